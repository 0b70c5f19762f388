"""A/B test readout: assignment (file, sample file or event property), metric, SRM gate, lift
with intervals, fixed and always-valid p-values, chance to beat control, verdict, power."""

import math

import pandas as pd
import streamlit as st

from opslab.behaviour import experiments as ex
from opslab.present import formatting as fmt
from opslab.present.charts import behaviour as charts
from opslab.behaviour.funnels import event_names, event_properties
from opslab.dataset.load import sample_dir
from opslab.ingest.read import read_table
from opslab.core.problems import OpsLabError
from ui.safe import md
from ui.state import labeller, lang, tr
from ui.url_state import url_choice
from ui.widgets import page_start

ds = page_start("experiments")
code = lang()
sample_file = sample_dir() / "assignments.csv"
props = event_properties(ds)
on_sample = st.session_state.get("dataset_source", {}).get("kind") == "sample"  # its test fits only its data
sources = [s for s, ok in (("sample", on_sample and sample_file.exists()), ("upload", True), ("property", bool(props)))
           if ok]

# -- where the variants come from ---------------------------------------------------------
source = url_choice("segmented_control", tr("experiments.source"), sources, sources[0], "ab_source",
                    format_func=labeller("experiments.source."))
assignment = None
try:
    if source == "sample":
        st.caption(tr("experiments.sample_caption"))
        assignment = ex.read_assignments(pd.read_csv(sample_file, dtype=str))
    elif source == "upload":
        up = st.file_uploader(tr("experiments.upload"), type=["csv", "tsv", "txt", "xlsx"], key="ab_upload",
                              help=tr("experiments.upload_help"))
        if up is not None:
            raw = read_table(up.getvalue(), up.name)
            if raw.df is None or raw.df.empty:
                st.error(tr("experiments.bad_assignment_file"))
            else:
                assignment = ex.read_assignments(raw.df)
    else:
        column = st.selectbox(tr("experiments.property"), props, key="ab_property")
        assignment = ex.assignments_from_events(ds, column)
except OpsLabError as err:
    st.error(tr(err.code, **err.params))
if assignment is None or assignment.empty:
    st.info(tr("experiments.need_assignment"))
    st.stop()

# -- what to measure ----------------------------------------------------------------------
variants = sorted(assignment["variant"].unique())
events = event_names(ds)["event_name"].tolist()
a, b, c, d = st.columns(4)
metric = url_choice("selectbox", tr("experiments.metric"), ex.METRICS, "conversion", "ab_metric", a,
                    format_func=labeller("experiments.metric."))
control = url_choice("selectbox", tr("experiments.control"), variants, ex._default_control(variants), "ab_control", b)
event = url_choice("selectbox", tr("experiments.event"), events, "purchase" if "purchase" in events else events[0],
                   "ab_event", c, disabled=metric != "conversion")
window = d.number_input(tr("experiments.window"), min_value=0, max_value=365, value=0, key="ab_window",
                        help=tr("experiments.window_help"), bind="query-params")
with st.expander(tr("experiments.settings"), icon=":material/tune:"):
    s1, s2, s3, s4 = st.columns(4)
    alpha = s1.select_slider(tr("experiments.alpha"), options=[0.01, 0.05, 0.1], value=0.05, key="ab_alpha")
    mde_pct = s2.number_input(tr("experiments.mde"), min_value=0.5, max_value=200.0, value=10.0, step=0.5,
                              key="ab_mde", help=tr("experiments.mde_help"))
    ret_day = s3.number_input(tr("experiments.retention_day"), min_value=1, max_value=90, value=7, key="ab_ret")
    pre_days = s4.number_input(tr("experiments.pre_days"), min_value=0, max_value=90, value=14, key="ab_pre",
                               help=tr("experiments.pre_help"))
config = ex.ABConfig(alpha=alpha, window_days=window or None, pre_days=int(pre_days), retention_day=int(ret_day),
                     event=event, mde_rel=mde_pct / 100)

try:
    with st.spinner(tr("experiments.computing")):
        res = ex.ab_test(ds, assignment, metric, control=control, config=config)
except OpsLabError as err:
    st.error(tr(err.code, **err.params))
    st.stop()

money = metric in ("revenue", "aov")
rate = metric in ex.BINARY


def value(x: float) -> str:
    if rate:
        return fmt.pct(x)
    return fmt.money(x, code, exact=True, currency=ds.currency) if money else f"{x:,.3f}"


def lift(x: float) -> str:
    if rate:
        return f"{x * 100:+.1f} pp"
    return ("+" if x >= 0 else "−") + (fmt.money(abs(x), code, exact=True, currency=ds.currency) if money else f"{abs(x):,.3f}")


if res.dropped.get("multiple_variants") or res.dropped.get("unknown_users"):
    st.caption(tr("experiments.dropped", multi=res.dropped["multiple_variants"], unknown=res.dropped["unknown_users"]))

# -- the SRM gate -------------------------------------------------------------------------
counts = ", ".join(f"{md(v)}: {n:,}" for v, n in zip(res.variants["variant"], res.variants["n"]))
if not res.srm_ok:
    st.error(tr("experiments.srm_fail", p=f"{res.srm_p:.2g}", counts=counts), icon=":material/block:")
    st.stop()
st.caption(tr("experiments.srm_ok", p=f"{res.srm_p:.3f}", counts=counts))

# -- readout ------------------------------------------------------------------------------
comp = res.comparisons
cols = st.columns(len(res.variants))
for col, row in zip(cols, res.variants.itertuples()):
    col.metric(f"{md(row.variant)} · n={row.n:,}", value(row.mean), border=True,
               help=tr("experiments.control_help") if row.variant == res.control else None)

for r in comp.itertuples():
    params = {"variant": md(r.variant), "control": md(res.control), "metric": tr(f"experiments.metric.{metric}"),
              "lift": lift(r.lift), "rel": fmt.pct(r.rel_lift, signed=True), "low": lift(r.ci_low),
              "high": lift(r.ci_high), "beat": fmt.pct(r.chance_to_beat), "days": r.days_more or 0,
              "level": f"{1 - alpha:.0%}"}
    box = {"win": st.success, "loss": st.error}.get(r.verdict, st.info)
    box(tr(f"experiments.verdict.{r.verdict}", **params)
        + (" " + tr("experiments.sequential_stop", days=r.days_more) if r.stopped_early else ""))

table = pd.DataFrame({
    tr("experiments.variant"): comp["variant"],
    tr("experiments.lift"): comp["lift"].map(lift),
    tr("experiments.ci", level=f"{1 - alpha:.0%}"): [f"{lift(lo)} … {lift(hi)}" for lo, hi in zip(comp["ci_low"], comp["ci_high"])],
    tr("experiments.rel_lift"): comp["rel_lift"].map(lambda x: fmt.pct(x, signed=True)),
    tr("experiments.rel_ci"): [f"{fmt.pct(lo, signed=True)} … {fmt.pct(hi, signed=True)}" for lo, hi in zip(comp["rel_low"], comp["rel_high"])],
    tr("experiments.p_value"): comp["p_value"].map(lambda p: f"{p:.4f}"),
    tr("experiments.p_holm"): comp["p_holm"].map(lambda p: f"{p:.4f}"),
    tr("experiments.p_sequential"): comp["p_sequential"].map(lambda p: "–" if pd.isna(p) else f"{p:.4f}"),
    tr("experiments.chance"): comp["chance_to_beat"].map(fmt.pct),
    tr("experiments.test"): comp["test"].map(lambda t: tr(f"experiments.test.{t}") + (" + CUPED" if res.cuped else "")),
})
st.dataframe(table, hide_index=True, width="stretch")
chart_data = comp[["variant", "rel_lift", "rel_low", "rel_high"]].copy()
chart_data["colour"] = ["#16a34a" if lo > 0 else "#dc2626" if hi < 0 else "#64748b"
                        for lo, hi in zip(comp["rel_low"], comp["rel_high"])]
st.altair_chart(charts.lift_intervals(chart_data, tr("experiments.rel_lift"), tr("experiments.variant")), width="stretch")
st.caption(tr("experiments.peek_rule", days=res.days_running))
if res.cuped:
    st.caption(tr("experiments.cuped_note", days=config.pre_days))

# -- power --------------------------------------------------------------------------------


@st.fragment
def power_panel():
    st.subheader(tr("experiments.power_title"))
    base = comp.iloc[0]  # the first comparison: the inputs its verdict used, so both say one number
    sd, n_now, per_day = float(base["sd_used"]), int(base["n_now"]), float(base["per_day"])
    p1, p2 = st.columns(2)
    mde = p1.number_input(tr("experiments.plan_mde"), min_value=0.5, max_value=200.0, value=float(mde_pct), step=0.5,
                          key="ab_plan_mde")
    daily = p2.number_input(tr("experiments.plan_daily"), min_value=0.01, value=per_day, format="%.2f",
                            key="ab_plan_daily")
    plan = ex.power_plan(base["mean_c"], sd, mde / 100, daily, n_now, alpha=alpha)
    q1, q2, q3 = st.columns(3)
    q1.metric(tr("experiments.n_needed"), "–" if not math.isfinite(plan["n_per_variant"]) else f"{math.ceil(plan['n_per_variant']):,}", border=True)
    stopped = bool(base["stopped_early"]) and mde == mde_pct and daily == per_day
    q2.metric(tr("experiments.days_more"), tr("experiments.days_more_stopped") if stopped
              else "–" if plan["days_more"] is None else f"{plan['days_more']:,}", border=True,
              help=tr("experiments.days_more_help", variant=md(base["variant"])))
    q3.metric(tr("experiments.mde_now"), lift(plan["mde_now"]) if math.isfinite(plan["mde_now"]) else "–", border=True,
              help=tr("experiments.mde_now_help", n=f"{n_now:,}"))


power_panel()
