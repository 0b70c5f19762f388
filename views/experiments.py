"""A/B test readout: assignment (file, sample file or event property), metric, SRM gate, lift
with intervals, fixed and always-valid p-values, the Bayesian readout, verdict, power; every
metric at once (BH / Holm), effects by segment and the projected effect on the quarter's GMV."""

import math

import pandas as pd
import streamlit as st

from opslab.behaviour import experiment_readouts as xr
from opslab.behaviour import experiments as ex
from opslab.present import formatting as fmt
from opslab.present.charts import behaviour as charts
from opslab.behaviour.funnels import event_names, event_properties
from opslab.dataset.load import sample_dir
from opslab.ingest.read import read_table
from opslab.core.problems import OpsLabError
from opslab.planning import experiment_impact as impact
from opslab.planning.targets import period_of
from opslab.workspace.target_store import TargetStore
from opslab.metrics.segments import within
from ui.safe import md
from ui.state import dataset_key, labeller, lang, tr
from ui.url_state import url_choice
from ui.widgets import page_start, require_buyers

ds = page_start("experiments")
require_buyers()  # customers to follow: without a buyer id, say why and stop
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
assignment = within(ds, assignment)  # a segment: its assigned users only
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
    t1, t2, t3, t4 = st.columns(4)
    no_cap, no_attr = tr("experiments.cap.none"), tr("experiments.strata.none")  # format_func runs outside the script
    alternative = t1.selectbox(tr("experiments.alternative"), ex.ALTERNATIVES, key="ab_alt",
                               format_func=labeller("experiments.alternative."), help=tr("experiments.alternative_help"))
    seq_method = t2.selectbox(tr("experiments.seq_method"), ex.SEQ_METHODS, key="ab_seq",
                              format_func=labeller("experiments.seq_method."), help=tr("experiments.seq_method_help"))
    tuning = t2.number_input(tr("experiments.seq_tuning"), min_value=0, value=0, step=1000, key="ab_tuning",
                             help=tr("experiments.seq_tuning_help"), disabled=seq_method != "msprt")
    cap = t3.selectbox(tr("experiments.cap"), [0.0, 95.0, 99.0, 99.9], index=0, key="ab_cap", help=tr("experiments.cap_help"),
                       format_func=lambda v: no_cap if not v else "P" + fmt.general(v))
    attributes = xr.attribute_columns(ds)
    strata = t4.selectbox(tr("experiments.strata"), [""] + attributes, key="ab_strata", help=tr("experiments.strata_help"),
                          format_func=lambda v: v or no_attr)
    u1, u2, _, _ = st.columns(4)
    prior = u1.number_input(tr("experiments.prior_sd"), min_value=0.0, max_value=100.0, value=0.0, step=1.0,
                            key="ab_prior", help=tr("experiments.prior_help"))
    correction = u2.selectbox(tr("experiments.correction"), ["holm", "bh"], key="ab_correction",
                              format_func=labeller("experiments.correction."), help=tr("experiments.correction_help"))
config = ex.ABConfig(alpha=alpha, window_days=window or None, pre_days=int(pre_days), retention_day=int(ret_day),
                     event=event, mde_rel=mde_pct / 100, alternative=alternative, seq_method=seq_method,
                     seq_tuning=(tuning or None) if seq_method == "msprt" else None,
                     cap_pct=cap or None, strata=strata or None, prior_sd=prior / 100 or None, correction=correction)

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
    return fmt.money(x, code, exact=True, currency=ds.currency) if money else fmt.number(x, 3)


def lift(x: float) -> str:
    if not math.isfinite(x):
        return "–" if math.isnan(x) else ("+∞" if x > 0 else "−∞")
    if rate:
        return fmt.pp(x, code)
    return ("+" if x >= 0 else "−") + (fmt.money(abs(x), code, exact=True, currency=ds.currency) if money else fmt.number(abs(x), 3))


def rel(x: float) -> str:
    if math.isfinite(x) or math.isnan(x):
        return fmt.pct(x, signed=True)
    return "+∞" if x > 0 else "−∞"


if res.dropped.get("multiple_variants") or res.dropped.get("unknown_users"):
    st.caption(tr("experiments.dropped", multi=res.dropped["multiple_variants"], unknown=res.dropped["unknown_users"]))

# -- the SRM gate -------------------------------------------------------------------------
counts = ", ".join(f"{md(v)}: {fmt.integer(n)}" for v, n in zip(res.variants["variant"], res.variants["n"]))
if not res.srm_ok:
    st.error(tr("experiments.srm_fail", p=fmt.general(res.srm_p, 2), counts=counts), icon=":material/block:")
    st.stop()
st.caption(tr("experiments.srm_ok", p=fmt.p_value(res.srm_p, 3), counts=counts))

# -- readout ------------------------------------------------------------------------------
comp = res.comparisons
cols = st.columns(len(res.variants))
for col, row in zip(cols, res.variants.itertuples()):
    col.metric(f"{md(row.variant)} · n={fmt.integer(row.n)}", value(row.mean), border=True,
               help=tr("experiments.control_help") if row.variant == res.control else None)

sequential_verdict = seq_method != "msprt"   # a group-sequential test makes every call, with its own interval
for r in comp.itertuples():
    low, high = (r.seq_low, r.seq_high) if sequential_verdict else (r.ci_low, r.ci_high)
    params = {"variant": md(r.variant), "control": md(res.control), "metric": tr(f"experiments.metric.{metric}"),
              "lift": lift(r.lift), "rel": fmt.pct(r.rel_lift, signed=True), "low": lift(low),
              "high": lift(high), "beat": fmt.pct(r.chance_to_beat), "days": r.days_more or 0,
              "level": fmt.pct(1 - alpha, 0)}
    box = {"win": st.success, "loss": st.error}.get(r.verdict, st.info)
    box(tr(f"experiments.verdict.{r.verdict}", **params)
        + (" " + tr("experiments.sequential_stop", days=r.days_more, share=fmt.pct(r.info_share)) if r.stopped_early else ""))

table = pd.DataFrame({
    tr("experiments.variant"): comp["variant"],
    tr("experiments.lift"): comp["lift"].map(lift),
    tr("experiments.ci", level=fmt.pct(1 - alpha, 0)): [f"{lift(lo)} … {lift(hi)}" for lo, hi in zip(comp["ci_low"], comp["ci_high"])],
    tr("experiments.rel_lift"): comp["rel_lift"].map(lambda x: fmt.pct(x, signed=True)),
    tr("experiments.rel_ci"): [f"{rel(lo)} … {rel(hi)}" for lo, hi in zip(comp["rel_low"], comp["rel_high"])],
    tr("experiments.p_value"): comp["p_value"].map(fmt.p_value),
    tr("experiments.p_adjusted", method=tr(f"experiments.correction.{correction}")):
        comp["p_holm" if correction == "holm" else "p_bh"].map(fmt.p_value),
    tr("experiments.p_sequential"): comp["p_sequential"].map(fmt.p_value),
    tr("experiments.seq_ci", level=fmt.pct(1 - alpha, 0)): [f"{lift(lo)} … {lift(hi)}" for lo, hi in zip(comp["seq_low"], comp["seq_high"])],
    tr("experiments.chance"): comp["chance_to_beat"].map(fmt.pct),
    tr("experiments.test"): comp["test"].map(lambda t: tr(f"experiments.test.{t}") + (" + CUPED" if res.cuped else "")
                                             + (" + " + tr("experiments.capped") if res.caps else "")),
})
st.dataframe(table, hide_index=True, width="stretch")
chart_data = comp[["variant", "rel_lift", "rel_low", "rel_high"]].copy()
chart_data["colour"] = ["#16a34a" if lo > 0 else "#dc2626" if hi < 0 else "#64748b"
                        for lo, hi in zip(comp["rel_low"], comp["rel_high"])]
st.altair_chart(charts.lift_intervals(chart_data, tr("experiments.rel_lift"), tr("experiments.variant")), width="stretch")
st.caption(tr(f"experiments.peek_rule.{seq_method}", days=res.days_running, alpha=fmt.pct(alpha),
              share=fmt.pct(float(comp["info_share"].min()))))
if res.cuped:
    st.caption(tr("experiments.cuped_note", days=config.pre_days))
if res.caps:
    st.caption(tr("experiments.caps_note", pct="P" + fmt.general(config.cap_pct),
                  caps=", ".join(value(v) for v in res.caps.values())))
if res.strata:
    st.caption(tr("experiments.strata_note", column=md(res.strata)))

# -- Bayesian readout ---------------------------------------------------------------------
st.subheader(tr("experiments.bayes_title"))
st.dataframe(pd.DataFrame({
    tr("experiments.variant"): comp["variant"],
    tr("experiments.chance"): comp["chance_to_beat"].map(fmt.pct),
    tr("experiments.credible", level=fmt.pct(1 - alpha, 0)): [f"{rel(lo)} … {rel(hi)}" for lo, hi in
                                                            zip(comp["bayes_low"], comp["bayes_high"])],
    tr("experiments.risk_ship"): comp["risk_treatment"].map(lambda x: fmt.pct(x)),
    tr("experiments.risk_keep"): comp["risk_control"].map(lambda x: fmt.pct(x)),
}), hide_index=True, width="stretch")
st.caption(tr("experiments.bayes_note_prior", sd=fmt.general(prior) + "%") if prior else tr("experiments.bayes_note"))

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
    plan = ex.power_plan(base["mean_c"], sd, mde / 100, daily, n_now, alpha=alpha, power=config.power,
                         sequential=seq_method)
    fixed = ex.power_plan(base["mean_c"], sd, mde / 100, daily, n_now, alpha=alpha,
                          power=config.power)["n_per_variant"]
    q1, q2, q3 = st.columns(3)
    factor = plan["n_per_variant"] / fixed if math.isfinite(fixed) and fixed > 0 else float("nan")
    q1.metric(tr("experiments.n_needed"), "–" if not math.isfinite(plan["n_per_variant"]) else fmt.integer(math.ceil(plan["n_per_variant"])), border=True,
              help=tr("experiments.n_needed_help_seq", factor=fmt.number(factor, 2), method=tr(f"experiments.seq_method.{seq_method}"))
              if seq_method in ("obf", "pocock") and math.isfinite(factor) else None)
    stopped = bool(base["stopped_early"]) and mde == mde_pct and daily == per_day
    q2.metric(tr("experiments.days_more"), tr("experiments.days_more_stopped") if stopped
              else "–" if plan["days_more"] is None else fmt.integer(plan["days_more"]), border=True,
              help=tr("experiments.days_more_help", variant=md(base["variant"])))
    q3.metric(tr("experiments.mde_now"), lift(plan["mde_now"]) if math.isfinite(plan["mde_now"]) else "–", border=True,
              help=tr("experiments.mde_now_help", n=fmt.integer(n_now)))


power_panel()

# -- every metric at once -------------------------------------------------------------------
st.subheader(tr("experiments.all_title"))
if st.toggle(tr("experiments.all_toggle"), key="ab_all"):
    with st.spinner(tr("experiments.computing")):
        family = xr.ab_metrics(ds, assignment, control=control, config=config).frame
    st.dataframe(pd.DataFrame({
        tr("experiments.metric"): family["metric"].map(lambda m: tr(f"experiments.metric.{m}")),
        tr("experiments.variant"): family["variant"],
        tr("experiments.rel_lift"): family["rel_lift"].map(rel),
        tr("experiments.p_value"): family["p_value"].map(fmt.p_value),
        tr("experiments.p_bh"): family["p_bh"].map(fmt.p_value),
        tr("experiments.p_holm"): family["p_holm"].map(fmt.p_value),
        tr("experiments.significant"): family["significant"].map(lambda x: tr(f"experiments.yes_no.{bool(x)}")),
    }), hide_index=True, width="stretch")
    st.caption(tr("experiments.all_note", method=tr(f"experiments.correction.{correction}"), n=len(family)))

# -- effects by segment ---------------------------------------------------------------------
st.subheader(tr("experiments.seg_title"))
seg_col = st.selectbox(tr("experiments.seg_column"), [""] + attributes, key="ab_seg",
                       format_func=lambda v: v or no_attr)
if seg_col:
    try:
        seg = xr.ab_segments(ds, assignment, metric, seg_col, control=control, config=config)
    except OpsLabError as err:
        st.error(tr(err.code, **err.params))
    else:
        f = seg.frame
        for r in f[f["flagged"]].itertuples():
            st.warning(tr("experiments.seg_flagged", segment=md(r.segment), variant=md(r.variant), inside=rel(r.rel_lift),
                          rest=rel(r.rel_lift_rest), p=fmt.general(r.p_value, 2)))
        st.dataframe(pd.DataFrame({
            tr("experiments.variant"): f["variant"], tr("experiments.segment"): f["segment"],
            tr("experiments.users"): f["users"].map(lambda n: fmt.count(n, code)),
            tr("experiments.lift_in"): f["rel_lift"].map(rel), tr("experiments.lift_rest"): f["rel_lift_rest"].map(rel),
            tr("experiments.p_value"): f["p_value"].map(fmt.p_value),
            tr("experiments.flagged"): f["flagged"].map(lambda x: tr(f"experiments.yes_no.{bool(x)}")),
        }), hide_index=True, width="stretch")
        threshold = fmt.p_value(f["threshold"].iloc[0]) if len(f) else "–"
        st.caption(tr("experiments.seg_note", threshold=threshold, tests=len(f), skipped=len(seg.skipped)))

# -- the quarter's GMV ----------------------------------------------------------------------
if metric in impact.PROJECTED:
    st.subheader(tr("experiments.proj_title"))
    g1, g2 = st.columns(2)
    quarter = period_of(ds.end, "quarter").code
    saved = [t.value for t in TargetStore().load(dataset_key()) if t.kpi == "gmv" and t.period == quarter]
    goal = g1.number_input(tr("experiments.proj_target", cur=fmt.symbol(ds.currency).strip()), min_value=0.0,
                           value=float(saved[0]) if saved else 0.0, step=10000.0, key="ab_goal",
                           help=tr("experiments.proj_target_help"))
    rollout = g2.slider(tr("experiments.proj_rollout"), min_value=10, max_value=100, value=100, step=10, key="ab_rollout")
    proj = impact.ab_projection(ds, res, target=goal or None, rollout=rollout / 100)
    for r in proj.frame.itertuples():
        h1, h2, h3 = st.columns(3)
        h1.metric(tr("experiments.proj_extra", variant=md(r.variant)), fmt.money(r.extra, code, currency=ds.currency),
                  border=True, help=tr("experiments.proj_extra_help", low=fmt.money(r.extra_low, code, currency=ds.currency),
                                       high=fmt.money(r.extra_high, code, currency=ds.currency)))
        h2.metric(tr("experiments.proj_quarter", period=proj.period), fmt.money(r.projected_with, code, currency=ds.currency),
                  border=True, help=tr("experiments.proj_without", value=fmt.money(r.projected, code, currency=ds.currency)))
        if proj.target:
            h3.metric(tr("experiments.proj_completion"), fmt.pct(r.completion_with), border=True,
                      delta=fmt.pp(r.completion_with - r.completion, code))
    st.caption(tr("experiments.proj_note", days=proj.days_left, rate=fmt.money(proj.run_rate, code, currency=ds.currency),
                  window=impact.RUN_RATE_DAYS, share=f"{rollout}%"))
