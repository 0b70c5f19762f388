"""Segments (人群): the data set's saved segments with their size today, each one's members
exported, the segment shown on every screen or deleted, and compared with everyone (a profile
with TGI per attribute value). Always on all users: the sidebar's segment does not limit this
page (it is what the page compares)."""

import re

import pandas as pd
import streamlit as st

from opslab.core.problems import OpsLabError
from opslab.metrics import segment_profile as sp
from opslab.metrics.segments import member_uids
from opslab.present import formatting as fmt
from ui import segments
from ui.breakdown import _dim_label, group_label
from ui.safe import md
from ui.state import lang, rules_seen, tr, translator
from ui.url_state import url_choice
from ui.widgets import export_buttons, page_start, require_buyers

ds = page_start("segpage", scoped=False)
require_buyers()  # segments are groups of customers: without a buyer id, say why and stop
if not ds.events_in_memory:  # a Parquet / Spark source: segments cannot be applied there yet
    st.info(tr("segpage.source_unavailable"))
    st.stop()
code = lang()
saved = segments.saved()
if not saved:
    st.info(tr("segpage.none"))
    st.page_link("views/overview.py", label=tr("app.nav.overview"), icon=":material/monitoring:")
    st.page_link("views/funnels.py", label=tr("funnels.nav"), icon=":material/filter_alt:")
    st.stop()
st.caption(tr("segpage.stored") if segments.stored() else tr("segpage.session_only"))


def definition(seg) -> str:
    if seg.users is not None:
        return tr("segpage.kind_list", n=fmt.integer(len(seg.users)))
    return "; ".join(f"{_dim_label(d)}: {', '.join(group_label(d, v) for v in vs)}" for d, vs in seg.rules)


# -- the list, with each segment's size today -----------------------------------------------
rows = []
for name, seg in saved.items():
    try:
        size = sp.size(ds, seg)
        users, share = size.users, size.share
        missing = size.missing if seg.users is not None else None  # a rules segment lists no ids
    except OpsLabError:  # a rule on a dimension this data lacks: no size ("–"); said when picked
        users, share, missing = None, None, None
    rows.append({tr("segpage.col.name"): name, tr("segpage.col.definition"): definition(seg),
                 tr("segpage.col.users"): users, tr("segpage.col.share"): share,
                 tr("segpage.col.missing"): missing})
listing = pd.DataFrame(rows)
st.subheader(tr("segpage.list_title"))
st.dataframe(fmt.table(listing, {tr("segpage.col.share"): "pct", tr("segpage.col.users"): "count",
                                 tr("segpage.col.missing"): "count"}, code),
             hide_index=True, width="stretch")  # names are cells: shown as typed, never markdown
st.caption(tr("segpage.size_caption", end=fmt.date(ds.end), total=fmt.count(ds.n_users, code)))

# -- one segment: show, delete, export -------------------------------------------------------
names = list(saved)
active = st.session_state.get(segments.ACTIVE) or ""
name = url_choice("selectbox", tr("segpage.pick"), names, active if active in names else names[0], "sp_seg")
seg = saved[name]
try:
    uids = member_uids(ds, seg)
except OpsLabError as err:  # a rule on a dimension this data does not have
    st.warning(tr(err.code, **{k: md(v) for k, v in err.params.items()}))
    st.stop()


def _show():
    st.session_state[segments.ACTIVE] = name


def _delete():
    segments.delete(name)
    st.session_state.pop("sp_seg", None)
    st.session_state[segments.FLASH] = tr("segpage.deleted", name=md(name))


a, b = st.columns(2)
a.button(tr("segpage.show"), key="sp_show", icon=":material/visibility:", on_click=_show,
         disabled=active == name, help=tr("segpage.show_help"))
with b.popover(tr("segpage.delete"), icon=":material/delete:"):
    st.caption(tr("segpage.delete_confirm", name=md(name)))
    st.button(tr("segpage.delete_yes"), key="sp_delete", type="primary", on_click=_delete)

st.subheader(tr("segpage.members_title", name=md(name)), anchor=False)
st.caption(tr("segpage.members_caption", n=fmt.count(len(uids), code), end=fmt.date(ds.end)))
tier_rules, t = rules_seen(), translator()  # captured now: the export is built when clicked
file_name = "segment_" + (re.sub(r"[^\w-]+", "_", name).strip("_")[:40] or "users")
export_buttons(lambda: segments.members_frame(ds, uids, tier_rules, t), file_name, "sp_export", len(uids),
               tr("segpage.export_csv"), tr("segpage.export_xlsx"))

# -- compared with everyone: TGI ---------------------------------------------------------------
st.subheader(tr("segpage.profile_title", name=md(name)), anchor=False)
if not len(uids):
    st.info(tr("segpage.profile_empty"))
    st.stop()
min_users = sp.MIN_USERS
res = sp.profile(ds, seg, min_users=min_users)
dims = list(dict.fromkeys(res.frame["dimension"]))
chosen = url_choice("selectbox", tr("segpage.dimension"), ["", *dims], "", "sp_dim",
                    format_func=lambda d: t("segpage.all_dimensions") if d == "" else _dim_label(d, t))
shown = res.frame if not chosen else res.of(chosen)
few = tr("segpage.few")
profile = pd.DataFrame({
    tr("segpage.col.dimension"): shown["dimension"].map(_dim_label),
    tr("segpage.col.value"): [group_label(d, v) for d, v in zip(shown["dimension"], shown["value"])],
    tr("segpage.col.segment_users"): shown["segment_users"],
    tr("segpage.col.segment_share"): shown["segment_share"],
    tr("segpage.col.all_users"): shown["all_users"],
    tr("segpage.col.all_share"): shown["all_share"],
    tr("segpage.col.tgi"): shown["tgi"],
    tr("segpage.col.note"): shown["few"].map(lambda f: few if f else ""),
})
st.dataframe(fmt.table(profile, {tr("segpage.col.segment_share"): "pct", tr("segpage.col.all_share"): "pct",
                                 tr("segpage.col.tgi"): "decimal"}, code),
             hide_index=True, width="stretch")
st.caption(tr("segpage.tgi_caption", n=fmt.count(res.size.users, code), total=fmt.count(res.size.total, code),
              min=min_users))
