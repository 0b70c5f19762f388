"""Paths: the most common next or previous steps around an event and where users leave (流失节点)."""

import pandas as pd
import streamlit as st

from opslab.present import formatting as fmt
from opslab.behaviour import paths as pt
from opslab.present.charts import behaviour as charts
from opslab.core.problems import OpsLabError
from ui.safe import md
from ui.state import labeller, lang, tr, translator
from ui.url_state import url_choice
from ui.widgets import page_start, require_buyers

ds = page_start("paths")
require_buyers()  # customers to follow: without a buyer id, say why and stop
code = lang()
t = translator()  # format_func may run outside this script run
events = pt.event_names(ds)["event_name"].tolist()
default = "add_to_cart" if "add_to_cart" in events else events[0]

a, b, c, d = st.columns(4)
event = url_choice("selectbox", tr("paths.event"), events, default, "pt_event", a)
direction = url_choice("segmented_control", tr("paths.direction"), pt.DIRECTIONS, "next", "pt_dir", b,
                       format_func=labeller("paths.direction."))
depth = c.slider(tr("paths.depth"), 1, 6, 3, key="pt_depth", bind="query-params")
gap = d.number_input(tr("paths.session"), min_value=1, max_value=24 * 60, value=30, step=5, key="pt_gap",
                     help=tr("paths.session_help"), bind="query-params")
e1, e2 = st.columns([1, 3])
collapse = e1.toggle(tr("paths.collapse"), value=True, key="pt_collapse", help=tr("paths.collapse_help"))
goal = url_choice("selectbox", tr("paths.goal"), ["", *events], "purchase" if "purchase" in events else "", "pt_goal",
                  e2, format_func=lambda v: t("paths.no_goal") if v == "" else v, help=tr("paths.goal_help"))

try:
    with st.spinner(tr("paths.computing")):
        res = pt.paths(ds, event, direction, depth=int(depth), session_minutes=float(gap), collapse=collapse)
except OpsLabError as err:
    st.error(tr(err.code, **err.params))
    st.stop()
if res.n_users == 0:
    st.info(tr("paths.no_users", event=md(event)))
    st.stop()

end_label = tr("paths.end_next") if direction == "next" else tr("paths.end_previous")


def label(e: str) -> str:
    return end_label if e == pt.END else tr("paths.other") if e == pt.OTHER else e


st.metric(tr("paths.users", event=md(event)), fmt.count(res.n_users, code), border=True)

st.subheader(tr("paths.leave_title"))
st.caption(tr("paths.leave_caption") if direction == "next" else tr("paths.start_caption"))
lp = pt.leave_points(res, goal or None).head(10)
st.dataframe(fmt.table(pd.DataFrame({
    tr("paths.level"): lp["level"], tr("paths.event_col"): lp["event"].map(label),
    tr("paths.users_col"): lp["users"], tr("paths.left"): lp["left"],
    tr("paths.leave_share"): lp["leave_share"].map(fmt.pct)}), {tr("paths.level"): "count"}, code),
    hide_index=True, width="stretch")
top = lp.iloc[0] if len(lp) else None
if top is not None and direction == "next":
    st.warning(tr("paths.leave_headline", event=md(label(top["event"])), level=int(top["level"]),
                  share=fmt.pct(top["leave_share"]), n=fmt.integer(top["left"])))

st.subheader(tr("paths.levels_title"))
nodes = res.nodes.copy()
nodes["level_label"] = nodes["level"].map(lambda k: tr("paths.level_n", k=k))
nodes["event_label"] = nodes["event"].map(label)
st.altair_chart(charts.path_levels(nodes, tr("paths.level"), tr("paths.users_col"), tr("paths.leave_share")))

st.subheader(tr("paths.top_title"))
arrow = " → " if direction == "next" else " ← "
top_paths = res.paths.copy()
st.dataframe(fmt.table(pd.DataFrame({
    tr("paths.path"): top_paths["path"].map(lambda p: arrow.join(label(e) for e in p)),
    tr("paths.users_col"): top_paths["users"], tr("paths.share"): top_paths["share"].map(fmt.pct)}), lang=code),
    hide_index=True, width="stretch")
