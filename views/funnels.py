"""Funnels: steps from event names, window, order mode, exclusions, split with attribution;
conversion per step, time to convert, trend, two periods, and who dropped (export / segment)."""

import datetime as dt

import pandas as pd
import streamlit as st

from opslab.present import formatting as fmt
from opslab.behaviour import funnels as fn
from opslab.present.charts import behaviour as charts
from opslab.core.problems import OpsLabError
from opslab.metrics.segments import Segment
from ui import segments
from ui.safe import md
from ui.state import labeller, lang, tr, translator
from ui.url_state import url_choice, url_multi
from ui.widgets import export_buttons, page_start, require_buyers

ds = page_start("funnels")
require_buyers()  # customers to follow: without a buyer id, say why and stop
code = lang()
t = translator()  # for format_func callbacks, which may run outside this script run
events = fn.event_names(ds)["event_name"].tolist()
props = fn.event_properties(ds)
dims = fn.user_dimensions(ds) + [p for p in props if p not in fn.user_dimensions(ds)]
preferred = [e for e in ("visit", "view", "add_to_cart", "checkout", "purchase") if e in events]
default_steps = preferred if len(preferred) >= 2 else events[:3]


def group_label(g: str) -> str:
    if g == fn.OTHER:
        return tr("funnels.other")
    if g == fn.NONE:
        return tr("funnels.none")
    return tr(f"lifecycle.tier.{g}") if by == "tier" else g


# -- definition ---------------------------------------------------------------------------
steps = url_multi(tr("funnels.steps"), events, default_steps, "fn_steps", help=tr("funnels.steps_help"),
                  max_selections=fn.MAX_STEPS)
a, b, c, d = st.columns([1, 1.5, 1.2, 1.2])
window = a.number_input(tr("funnels.window"), min_value=0.01, max_value=365.0, value=7.0, step=1.0,
                        key="fn_window", help=tr("funnels.window_help"), bind="query-params")
order = url_choice("segmented_control", tr("funnels.order"), fn.ORDERS, "ordered", "fn_order", b,
                   format_func=labeller("funnels.order."), help=tr("funnels.order_help"))
by = url_choice("selectbox", tr("funnels.by"), ["", *dims], "", "fn_by", c,
                format_func=lambda v: t("funnels.by_none") if v == "" else
                (t("funnels.tier") if v == "tier" else v))
attribution = url_choice("selectbox", tr("funnels.attribution"), fn.ATTRIBUTIONS, "first_touch", "fn_attr", d,
                         format_func=labeller("funnels.attribution."), help=tr("funnels.attribution_help"),
                         disabled=by not in props or by in fn.user_dimensions(ds))
left, right = st.columns(2)
span = left.date_input(tr("funnels.range"), value=(ds.start, ds.end), min_value=ds.start, max_value=ds.end,
                       key="fn_range")
start, end = (span[0], span[1]) if isinstance(span, (tuple, list)) and len(span) == 2 else (ds.start, ds.end)

step_defs = []
with st.expander(tr("funnels.filters"), icon=":material/filter_alt:"):
    st.caption(tr("funnels.filters_help"))
    for i, name in enumerate(steps):
        c1, c2 = st.columns([1, 2])
        col = c1.selectbox(tr("funnels.filter_property", n=i + 1, event=md(name)), ["", *props], key=f"fn_fprop_{i}",
                           format_func=lambda v: t("funnels.no_filter") if v == "" else v)
        values = []
        if col:
            options = fn.property_values(ds, name, col)
            values = c2.multiselect(tr("funnels.filter_values"), options, key=f"fn_fval_{i}")
        step_defs.append(fn.Step(name, {col: values} if col and values else {}))
exclusions = []
with right:
    excl_events = st.multiselect(tr("funnels.exclude"), [e for e in events if e not in steps], key="fn_excl",
                                 placeholder=tr("funnels.exclude_placeholder"),
                                 help=tr("funnels.exclude_help"), disabled=order != "ordered")
    if excl_events and len(steps) >= 2:
        lo, hi = st.select_slider(tr("funnels.exclude_between"), options=list(range(1, len(steps) + 1)),
                                  value=(1, len(steps)), key="fn_excl_span")
        if lo < hi:
            exclusions = [fn.Exclusion(e, lo, hi) for e in excl_events]

if len(step_defs) < fn.MIN_STEPS:
    st.info(tr("funnels.pick_steps"))
    st.stop()

try:
    with st.spinner(tr("funnels.computing")):
        res = fn.funnel(ds, step_defs, window, by=by or None, order=order, exclusions=exclusions,
                        attribution=attribution, start=start, end=end)
except OpsLabError as err:
    st.error(tr(err.code, **err.params))
    st.stop()

# -- headline -----------------------------------------------------------------------------
table = res.steps.copy()
table["label"] = [f"{i}. {e}" for i, e in zip(table["step"], table["event"])]
m1, m2, m3, m4 = st.columns(4)
m1.metric(tr("funnels.entered"), fmt.count(table["users"].iloc[0], code), border=True)
m2.metric(tr("funnels.converted"), fmt.count(table["users"].iloc[-1], code), border=True)
m3.metric(tr("funnels.overall"), fmt.pct(table["conv_first"].iloc[-1]), border=True)
median = table["median_s"].iloc[-1]
m4.metric(tr("funnels.median_time"), fmt.duration(median, code), border=True, help=tr("funnels.median_help"))
if res.excluded:
    st.caption(tr("funnels.excluded", n=fmt.integer(res.excluded)))
worst = table.iloc[1:]["conv_prev"].idxmin() if len(table) > 1 and table["users"].iloc[0] else None
if worst is not None and pd.notna(table.loc[worst, "conv_prev"]):
    st.warning(tr("funnels.worst_step", step=int(table.loc[worst, "step"]), event=md(table.loc[worst, "event"]),
                  share=fmt.pct(1 - table.loc[worst, "conv_prev"]), n=fmt.integer(table.loc[worst, "dropped"])))

st.altair_chart(charts.funnel_bars(table, "label", tr("funnels.users"), tr("funnels.conv_first")), width="stretch")
shown = pd.DataFrame({
    tr("funnels.step"): table["label"], tr("funnels.users"): table["users"],
    tr("funnels.conv_prev"): table["conv_prev"].map(fmt.pct), tr("funnels.conv_first"): table["conv_first"].map(fmt.pct),
    tr("funnels.dropped"): table["dropped"],
    tr("funnels.median_h"): table["median_s"] / 3600})
st.dataframe(fmt.table(shown, lang=code, currency=ds.currency), hide_index=True, width="stretch")

# -- split --------------------------------------------------------------------------------
if by and not res.by_group.empty:
    st.subheader(tr("funnels.split_title", by=tr("funnels.tier") if by == "tier" else md(by)))
    g = res.by_group.copy()
    g["group_label"] = g["group"].map(group_label)
    g["step_label"] = g["step"].map(dict(zip(table["step"], table["label"])))
    st.altair_chart(charts.grouped_conversion(g, tr("funnels.step"), tr("funnels.conv_first"), tr("funnels.group")),
                    width="stretch")
    wide = res.users_by_group().rename(index=group_label, columns=dict(zip(table["step"], table["label"])))
    wide.index.name = tr("funnels.group")
    st.dataframe(fmt.table(wide, lang=code, currency=ds.currency), width="stretch")

# -- time to convert and trend ------------------------------------------------------------
left, right = st.columns(2)
with left:
    st.subheader(tr("funnels.time_title"))
    dist = res.time_distribution()
    dist["bin_label"] = [f"{fmt.duration_edge(lo, code)}–{fmt.duration_edge(hi, code)}" for lo, hi in zip(dist["from_h"], dist["to_h"])]
    st.altair_chart(charts.histogram(dist, tr("funnels.hours"), tr("funnels.users")), width="stretch")
with right:
    st.subheader(tr("funnels.trend_title"))
    grain = url_choice("segmented_control", tr("funnels.grain"), ("day", "week", "month"), "week", "fn_grain",
                       format_func=labeller("metrics.grain."))
    tr_frame = fn.trend(res, grain, data_end=end)
    if tr_frame.empty:
        st.info(tr("funnels.no_users"))
    else:
        st.altair_chart(charts.rate_trend(tr_frame, tr("metrics.period"), tr("funnels.overall")), width="stretch")
        st.caption(tr("funnels.trend_caption"))

# -- two periods --------------------------------------------------------------------------
with st.expander(tr("funnels.compare"), icon=":material/compare_arrows:"):
    mid = ds.start + (ds.end - ds.start) // 2
    c1, c2 = st.columns(2)
    pa = c1.date_input(tr("funnels.period_a"), value=(ds.start, mid), min_value=ds.start, max_value=ds.end,
                       key="fn_pa")
    pb = c2.date_input(tr("funnels.period_b"), value=(mid + dt.timedelta(days=1), ds.end), min_value=ds.start,
                       max_value=ds.end, key="fn_pb")
    run = st.toggle(tr("funnels.compare_run"), key="fn_compare_on")  # two more funnels: only on request
    if run and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in (pa, pb)):
        cmp = fn.compare_periods(ds, step_defs, window, tuple(pa), tuple(pb), order=order, exclusions=exclusions)
        st.dataframe(fmt.table(pd.DataFrame({
            tr("funnels.step"): [f"{s}. {e}" for s, e in zip(cmp["step"], cmp["event"])],
            tr("funnels.users_a"): cmp["users_a"], tr("funnels.conv_a"): cmp["conv_first_a"].map(fmt.pct),
            tr("funnels.users_b"): cmp["users_b"], tr("funnels.conv_b"): cmp["conv_first_b"].map(fmt.pct),
            tr("funnels.change"): cmp["change"].map(lambda x: fmt.pct(x, signed=True))}), lang=code),
            hide_index=True, width="stretch")

# -- who dropped --------------------------------------------------------------------------
st.subheader(tr("funnels.dropped_title"))
most = int(table.iloc[1:]["dropped"].idxmax()) - 1 if res.n_steps > 1 else 0  # open on the biggest loss
drop_step = st.selectbox(tr("funnels.dropped_at"), list(range(2, res.n_steps + 1)), key="fn_drop_step", index=most,
                         format_func=lambda s: f"{s}. {table.loc[s - 1, 'event']}")
who = fn.segment_users(ds, res.dropped_at(drop_step)["user_id"])
st.caption(tr("funnels.dropped_caption", n=fmt.integer(len(who)), step=drop_step - 1))
st.dataframe(fmt.table(who.head(200), {c: "date" for c in who.columns if who[c].dtype.kind == "M"}, code,
                       ds.currency), hide_index=True, width="stretch")
export_buttons(lambda: who, f"funnel_dropped_step{drop_step}", "fn_export", len(who),
               tr("funnels.export_csv"), tr("funnels.export_xlsx"))
seg_name = st.text_input(tr("funnels.segment_name"), value=tr("funnels.segment_default", step=drop_step),
                         key="fn_seg_name", max_chars=40)
if st.button(tr("funnels.save_segment"), key="fn_save_segment", icon=":material/group_add:", disabled=len(who) == 0):
    segments.save(Segment(seg_name, users=who["user_id"]),
                  tr("funnels.segment_saved", name=md(seg_name), n=fmt.integer(len(who))))
