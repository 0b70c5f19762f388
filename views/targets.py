"""Targets & completion: targets per calendar month / quarter / year, kept with the data set;
完成度, 时间进度, run-rate, forecast, P(hit) and status; levers for each gap; past periods.
Settings in the URL (tg_* keys)."""

import re

import numpy as np
import pandas as pd
import streamlit as st

from opslab.metrics import catalogue
from opslab.report.document import status_table
from opslab.report.findings import next_plan
from opslab.report.format import STATUS_STYLE, prob_text, value_text
from opslab.planning.completion import target_status
from opslab.planning.levers import rank_levers
from opslab.present import formatting as fmt
from opslab.planning.targets import (
    DEFAULT_DIRECTION,
    DIRECTIONS,
    PERIOD_GRAINS,
    TARGET_KPIS,
    Target,
    period_of,
    read_targets,
    targets_frame,
    trackable_kpis,
)
from opslab.core.problems import OpsLabError
from opslab.workspace.target_store import TargetStore
from ui.labels import driver_label
from ui.state import dataset_key, labeller, lang, rules_seen, tr
from ui.url_state import url_choice
from ui.widgets import export_buttons, page_start

def _plain(text: str) -> str:
    """Text from a file, escaped so Streamlit's markdown shows it literally."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~])", r"\\\1", str(text))


ds = page_start("targets")
# one rule set: the high-value retention targets use the tier threshold in force on Lifecycle
high_value = rules_seen().high_value_monthly_spend
code = lang()
currency = getattr(ds, "currency", "") or ""
key = dataset_key()
store = TargetStore()
if st.session_state.get("tg_loaded_for") != key:  # another data set: its own targets
    st.session_state["tg_targets"], st.session_state["tg_version"] = store.load_versioned(key)
    st.session_state["tg_loaded_for"] = key
saved: list[Target] = st.session_state["tg_targets"]


def _save(mine: list[Target], editor: str | None = None) -> bool:
    """Apply this page's edits to the newest saved targets (a teammate's meanwhile are kept);
    a target both changed is refused and shown, never silently overwritten."""
    try:
        res = store.update(key, st.session_state["tg_targets"], mine, st.session_state.get("tg_version", 0))
    except OpsLabError as err:
        if err.code == "targets.conflict":  # show theirs: the page reloads the newest file
            st.session_state["tg_targets"], st.session_state["tg_version"] = store.load_versioned(key)
            st.session_state.pop(editor, None)  # the editor shows the saved values again
        st.session_state["tg_save_error"] = tr(err.code, **{k: _plain(v) for k, v in err.params.items()})
        return False
    st.session_state["tg_targets"], st.session_state["tg_version"] = res.targets, res.version
    if res.merged:
        st.session_state["tg_save_note"] = tr("targets.merged", n=len(res.merged))
    return True


if "tg_save_error" in st.session_state:
    st.error(st.session_state.pop("tg_save_error"))
if "tg_save_note" in st.session_state:
    st.info(st.session_state.pop("tg_save_note"))

# -- which period -----------------------------------------------------------------------------
c1, c2 = st.columns([1, 2])
grain = url_choice("segmented_control", tr("targets.grain"), PERIOD_GRAINS, "quarter", "tg_grain", c1,
                   format_func=labeller("targets.grain."))
now = period_of(ds.end, grain)
options = [now.shift(i).code for i in range(-4, 3)]
period = url_choice("selectbox", tr("targets.period"), options, now.code, "tg_period", c2)

# -- the editor -------------------------------------------------------------------------------
st.subheader(tr("targets.editor"))
st.caption(tr("targets.editor_help", currency=currency or tr("targets.currency_not_stated")))
if not ds.has_amounts:  # GMV and high-value retention cannot be measured: said, not shown as 0
    st.info(tr("targets.no_amounts"))
# Without a buyer id, customer figures cannot be measured: not offered, and the page says why.
offered = trackable_kpis(ds)
if offered != TARGET_KPIS:
    st.info(tr("targets.no_buyers", kpis=", ".join(catalogue.name(k, code) for k in TARGET_KPIS
                                                  if k not in offered)))
mine = {t.kpi: t for t in saved if t.period == period and t.kpi in offered}
held = [t for t in saved if t.period == period and t.kpi not in offered]  # kept, never deleted by an edit
dir_label = {d: tr(f"targets.direction.{d}") for d in DIRECTIONS}
frame = pd.DataFrame({
    "kpi": list(offered),
    "label": [catalogue.name(k, code) for k in offered],
    "direction": [dir_label[mine[k].direction if k in mine else DEFAULT_DIRECTION[k]] for k in offered],
    "value": pd.Series([mine[k].value if k in mine else np.nan for k in offered], dtype="float64"),
})
edited = st.data_editor(
    frame, key=f"tg_editor_{period}_{code}", hide_index=True, width="stretch", num_rows="fixed",
    height=35 * (len(offered) + 1) + 3,  # every KPI visible without scrolling
    column_order=["label", "direction", "value"],
    column_config={
        "label": st.column_config.TextColumn(tr("targets.col.kpi"), disabled=True),
        "direction": st.column_config.SelectboxColumn(tr("targets.col.direction"),
                                                      options=list(dir_label.values()), required=True),
        "value": st.column_config.NumberColumn(tr("targets.col.value"), min_value=0.0, format="localized"),
    })
# Saved as soon as typed: a target survives switching period, grain or language, and a reload.
by_label = {v: k for k, v in dir_label.items()}
typed = [Target(r.kpi, period, float(r.value), by_label.get(r.direction, ""))
         for r in edited.itertuples() if r.value is not None and np.isfinite(r.value)]
if set(typed) != set(mine.values()):
    if not _save([t for t in saved if t.period != period] + held + typed, f"tg_editor_{period}_{code}"):
        st.rerun()
    saved = st.session_state["tg_targets"]
    if "tg_save_note" in st.session_state:
        st.info(st.session_state.pop("tg_save_note"))
    st.toast(tr("targets.saved", n=len(typed)), icon=":material/save:")

with st.expander(tr("targets.import"), icon=":material/upload:"):
    up = st.file_uploader(tr("targets.import"), type=["xlsx", "csv"], key="tg_import",
                          label_visibility="collapsed")
    if up is not None and st.session_state.get("tg_import_done") != up.file_id:
        try:
            got = read_targets(up.getvalue(), up.name)
            keys = {(t.kpi, t.period) for t in got}
            if _save([t for t in saved if (t.kpi, t.period) not in keys] + got):
                st.session_state["tg_import_done"] = up.file_id
                st.session_state["tg_save_note"] = tr("targets.imported", n=len(got))
            # else someone saved in between: their targets are loaded and the import is tried
            # again on them in the next run (it was lost silently when marked done first)
            st.rerun()
        except OpsLabError as err:
            params = dict(err.params)
            if "detail" in params:  # the cell comes from the user's file: never markdown
                params["detail"] = tr(params["detail"], value=_plain(params.get("value", "")))
            st.error(tr(err.code, **params))
    export_buttons(lambda: targets_frame(st.session_state["tg_targets"]), "targets", "tg_export",
                   len(saved), tr("targets.export_csv"), tr("targets.export_xlsx"))

# -- where each target stands --------------------------------------------------------------------
current = [t for t in saved if t.period == period and t.kpi in offered]
st.subheader(tr("targets.status_title", as_of=ds.end.isoformat()))
if held:  # e.g. imported, or set on an earlier upload that named its buyers: kept, not tracked
    st.info(tr("targets.held_no_buyers", kpis=", ".join(catalogue.name(t.kpi, code) for t in held)))
if not ds.whole:  # a segment: everyone's targets, the segment's figures
    st.caption(tr("segments.targets_note"))
if not current:
    if not held:  # targets kept but untracked were said just above
        st.info(tr("targets.none"))
else:
    with st.spinner(tr("targets.fitting")):
        status = target_status(ds, current, high_value=high_value)
    table = status_table(status, code, currency)
    status_col = tr("targets.col.status")
    colours = dict(zip(table[status_col], [STATUS_STYLE.get(s, ("",))[0] for s in status["status"]]))
    # st.table: a small, readable HTML table (words, icons and colours survive copy-paste)
    st.table(table.style.hide(axis="index").map(
        lambda v: f"color: {colours.get(v, '')}; font-weight: 600", subset=[status_col]))
    st.caption(tr("targets.status_caption", n=1000))
    for t_, (_, row) in zip(current, status.iterrows()):
        levers = rank_levers(ds, t_, row.to_dict(), high_value=high_value)
        if not len(levers):
            continue
        with st.expander(tr("targets.levers", kpi=catalogue.name(t_.kpi, code)), icon=":material/tune:"):
            st.caption(tr("targets.levers_help"))
            names = {d: driver_label(d) for d in ("retained", "new", "recovered", "paid_rate", "arppu")}
            unit = {"campaign_spend": "gmv"}  # every other lever is a catalogue figure or a user count
            show = pd.DataFrame({
                tr("targets.lever.col.lever"): [names.get(x) or (tr(f"targets.lever.{x}") if x == "campaign_spend"
                                                                 else catalogue.name(x, code)) for x in levers["lever"]],
                tr("targets.lever.col.current"): [value_text(unit.get(x, x if x in catalogue.KPIS else "new_users"), v, code, currency)
                                                  for x, v in zip(levers["lever"], levers["current"])],
                tr("targets.lever.col.required"): [value_text(unit.get(x, x if x in catalogue.KPIS else "new_users"), v, code, currency)
                                                   for x, v in zip(levers["lever"], levers["required"])],
                tr("targets.lever.col.change"): [fmt.pct(v, signed=True) for v in levers["change"]],
                tr("targets.lever.col.typical"): [("–" if not np.isfinite(v) else "±" + fmt.pct(v)) for v in levers["typical"]],
                tr("targets.lever.col.effort"): [("–" if not np.isfinite(v) else fmt.number(v, 1)) for v in levers["effort"]],
                tr("targets.lever.col.feasible"): levers["feasible"].to_numpy(),
            })
            st.dataframe(show, hide_index=True, width="stretch")

# -- proposals for the next period (anchored on what is in, the forecast and the history) -------
nxt = now.next()
plan = next_plan(ds, now, saved, ds.end, None, pd.DataFrame(columns=["actual"]), high_value=high_value)
plan = plan[plan["source"] == "forecast"]
st.subheader(tr("targetplan.title", period=nxt.code))
if not len(plan):
    st.caption(tr("targetplan.none", period=nxt.code))
else:
    st.caption(tr("targetplan.help", period=nxt.code))

    def _v(kpi, x):
        return "–" if not np.isfinite(x) else value_text(kpi, x, code, currency)
    st.dataframe(pd.DataFrame({
        tr("targetplan.col.kpi"): [catalogue.name(k, code) for k in plan["kpi"]],
        tr("targetplan.col.value"): [_v(k, x) for k, x in zip(plan["kpi"], plan["value"])],
        tr("targetplan.col.p_hit"): [prob_text(p) for p in plan["p_hit"]],
        tr("targetplan.col.floor"): [_v(k, x if x > 0 else np.nan) for k, x in zip(plan["kpi"], plan["floor"])],
        tr("targetplan.col.last_year"): [_v(k, x) for k, x in zip(plan["kpi"], plan["last_year"])],
        tr("targetplan.col.limit"): [_v(k, x) for k, x in zip(plan["kpi"], plan["limit"])],
        tr("targetplan.col.basis"): [tr(f"targetplan.basis.{b}") for b in plan["basis"]],
    }), hide_index=True, width="stretch")

# -- past periods ----------------------------------------------------------------------------------
past = [t for t in saved if t.bounds[1] <= ds.end and t.kpi in offered]
if past:
    st.subheader(tr("targets.past_title"))
    past_status = target_status(ds, past, high_value=high_value)
    table = status_table(past_status, code, currency)
    table.insert(1, tr("targets.period"), past_status["period"].to_numpy())
    keep = [tr("targets.col.kpi"), tr("targets.period"), tr("targets.col.target"), tr("targets.col.actual"),
            tr("targets.col.completion"), tr("targets.col.status")]
    st.table(table[keep].style.hide(axis="index"))
st.page_link("views/report.py", label=tr("targets.report_link"), icon=":material/description:")
