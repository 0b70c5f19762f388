"""The sidebar every page shares: language switch and what data is loaded."""

from __future__ import annotations

import streamlit as st

from opslab.present import formatting as fmt
from opslab.core import i18n
from ui import segments
from ui.auth import mode
from ui.state import LANG_KEY, dataset, lang, tr


def render_sidebar() -> None:
    """Draw into the current container (app.py calls it inside ``st.sidebar``)."""
    st.markdown(f"### {tr('app.title')}")
    st.caption(tr("app.tagline"))
    chosen = st.radio(
        tr("app.language"), i18n.LANGUAGES, key=LANG_KEY, horizontal=True,
        format_func=lambda code: {"zh": "中文", "en": "English"}[code],
    )
    # Always in the link (a bound widget would drop its default, zh, and the link would then
    # open in the viewer's browser language instead).
    if st.query_params.get(LANG_KEY) != chosen:
        st.query_params[LANG_KEY] = chosen
    render_data_status()
    if dataset() is not None:
        segments.picker()  # before the page runs: every screen reads the chosen segment


def render_data_status() -> None:
    ds = dataset()
    st.markdown(f"**{tr('app.data_status')}**")
    if ds is None:
        st.caption(tr("app.no_data"))
        return
    source = st.session_state.get("dataset_source", {})
    if source.get("kind") in ("upload", "stored"):
        st.caption(tr("workspace.sidebar_stored") if source.get("kind") == "stored" else tr("workspace.sidebar_upload"))
        st.text(source.get("name") or ", ".join(source.get("files", [])))  # a file name: plain text
    elif source.get("kind") == "configured":
        st.caption(tr("sources.data_configured", engine=tr(f"sources.engine.{source.get('engine', 'duckdb')}")))
    else:
        st.caption(tr("app.data_sample"))
    code = lang()
    if getattr(ds, "buyers_known", True):
        st.caption(tr("app.data_summary", users=fmt.count(ds.n_users, code),
                      events=fmt.count(ds.n_events, code), orders=fmt.count(ds.n_orders, code)))
    else:  # each order's user is anonymous: no count of "users" made of them
        st.caption(tr("app.data_summary_no_buyers", events=fmt.count(ds.n_events, code),
                      orders=fmt.count(ds.n_orders, code)))
    st.caption(tr("app.data_range", start=ds.start, end=ds.end, currency=ds.currency or tr("data.choice.currency_none")))
    st.caption(tr("app.fingerprint", fp=ds.fingerprint), help=tr("workspace.fingerprint_help"))
    if source.get("kind") != "stored":
        st.caption(tr("workspace.share_not_stored"))
    elif mode() is None:
        st.caption(tr("workspace.share_local"))
    else:
        st.caption(tr("workspace.share_team"))
