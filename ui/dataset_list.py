"""The Data page's list of stored data sets: open, rename, mark private, delete.

Names, uploaders and file names are shown as plain text (a data frame, a text input, plain
option labels), never as markdown.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from opslab.present import formatting as fmt
from opslab.core.problems import OpsLabError
from ui import workspace
from ui.data_source import load_sample
from ui.state import lang, tr
from ui.widgets import problem_report


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def render_stored_list() -> None:
    s, who = workspace.store(), workspace.viewer()
    st.subheader(tr("workspace.list_title"))
    limits = []
    if s.quota_bytes:
        limits.append(tr("workspace.quota", used=f"{s.usage_bytes() / 2**20:,.1f}", quota=f"{s.quota_bytes / 2**20:,.0f}"))
    if s.retention_days:
        limits.append(tr("workspace.retention", days=s.retention_days))
    st.caption(" · ".join([tr("workspace.list_help")] + limits))
    flash = st.session_state.pop("ws_flash", None)
    if flash:
        st.success(tr(flash))
    sets = s.list(who)
    if not sets:
        st.caption(tr("workspace.list_empty"))
        return
    code, current = lang(), workspace.current_id()
    table = pd.DataFrame({
        tr("workspace.col.name"): [m.name for m in sets],
        tr("workspace.col.rows"): [fmt.count(m.n_rows, code) for m in sets],
        tr("workspace.col.range"): [f"{m.start} – {m.end}" for m in sets],
        tr("workspace.col.uploader"): [m.uploader or "—" for m in sets],
        tr("workspace.col.created"): [_when(m.created_at) for m in sets],
        tr("workspace.col.private"): [m.private for m in sets],
        tr("workspace.col.open"): [m.id == current for m in sets],
    })
    st.dataframe(table, hide_index=True, key="data_sets_table")
    by_id = {m.id: m for m in sets}
    ids = list(by_id)
    # The choice follows the data set on screen whenever that changes (an upload, a link).
    if st.session_state.get("data_sets_current") != current or st.session_state.get("data_sets_choice") not in by_id:
        st.session_state["data_sets_current"] = current
        st.session_state["data_sets_choice"] = current if current in by_id else ids[0]
    chosen = st.selectbox(tr("workspace.choose"), ids,
                          format_func=lambda i: f"{by_id[i].name} · {_when(by_id[i].created_at)}",
                          key="data_sets_choice")
    m = by_id[chosen]
    cols = st.columns([1, 2, 1, 1])
    try:
        if cols[0].button(tr("workspace.open"), key="data_sets_open", type="primary", disabled=chosen == current):
            workspace.open_stored(chosen)
            workspace.audit("open", dataset=chosen)
            st.session_state["ws_flash"] = "workspace.opened"
            st.rerun()
        new_name = cols[1].text_input(tr("workspace.rename"), value=m.name, key=f"data_sets_name_{chosen}",
                                      max_chars=120)
        if cols[1].button(tr("workspace.rename_button"), key="data_sets_rename", disabled=new_name == m.name):
            s.rename(chosen, new_name, who)
            workspace.audit("rename", dataset=chosen, name=new_name)
            if chosen == current:
                st.session_state["dataset_source"]["name"] = new_name.strip()
            st.session_state["ws_flash"] = "workspace.renamed"
            st.rerun()
        can_private = workspace.auth.identities_verified() and who == m.uploader
        private = cols[2].toggle(tr("workspace.private"), value=m.private, key=f"data_sets_private_{chosen}",
                                 disabled=not can_private,
                                 help=tr("workspace.private_help") if can_private else tr("workspace.private_unavailable"))
        if private != m.private:
            s.set_private(chosen, private, who)
            workspace.audit("privacy", dataset=chosen, private=private)
            st.rerun()
        sure = cols[3].checkbox(tr("workspace.delete_confirm"), key=f"data_sets_sure_{chosen}")
        if cols[3].button(tr("workspace.delete"), key="data_sets_delete", disabled=not sure):
            s.delete(chosen, who)
            workspace.audit("delete", dataset=chosen, name=m.name)
            if chosen == current:
                load_sample()
            st.session_state["ws_flash"] = "workspace.deleted"
            st.rerun()
    except OpsLabError as err:
        problem_report([err.problem])
