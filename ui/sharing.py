"""Shareable links: settings live in the URL (widgets bound with ``bind="query-params"``) and
the URL carries the data fingerprint, so a colleague opening the link on other data is told."""

from __future__ import annotations

import streamlit as st

from opslab.dataset import Dataset
from ui.state import tr

FP_PARAM = "fp"


def sync_fingerprint(ds: Dataset | None) -> None:
    """Remember the fingerprint the link was made on; warn while the data differ; keep the URL
    pointing at the data on screen."""
    linked = st.session_state.setdefault("linked_fp", st.query_params.get(FP_PARAM))
    if ds is None:
        return
    if st.query_params.get(FP_PARAM) != ds.fingerprint:
        st.query_params[FP_PARAM] = ds.fingerprint
    if linked and linked != ds.fingerprint:
        st.warning(tr("app.fingerprint_mismatch", linked=linked, current=ds.fingerprint), icon=":material/link:")
