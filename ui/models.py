"""Fitted models and other heavy results, computed once per data set and settings.

The key is the data fingerprint (a hash of the uploaded bytes plus their mapping) and the
settings, so only sessions holding byte-identical data share an entry: a team opening one
hosted data set trains the churn model once, not once per viewer, and nobody can reach a
result computed on data they do not have. Entries are read-only, never pickled, and expire
(``ttl``) or give way to newer ones (``max_entries``).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import streamlit as st

from opslab.dataset import Dataset


@st.cache_resource(ttl=3600, max_entries=64, show_spinner=False)
def _slot(kind: str, fingerprint: str, settings: str) -> dict:
    return {"lock": threading.Lock()}


def shared_result(kind: str, ds: Dataset, settings: str, compute: Callable[[], Any],
                  progress: Callable[[Callable[[], Any]], Any] | None = None) -> Any:
    """The result of ``compute()`` for this data set and settings, computed at most once.

    ``progress`` wraps the computation when it actually runs (e.g. in an ``st.status``), so a
    session reusing a result shows no progress box.
    """
    return shared_by_key(kind, ds.fingerprint, settings, compute, progress)


def shared_by_key(kind: str, fingerprint: str, settings: str, compute: Callable[[], Any],
                  progress: Callable[[Callable[[], Any]], Any] | None = None) -> Any:
    """As :func:`shared_result`, keyed on a content fingerprint directly."""
    slot = _slot(kind, fingerprint, settings)
    if "value" not in slot:
        with slot["lock"]:  # a second session asking meanwhile waits instead of training again
            if "value" not in slot:
                slot["value"] = progress(compute) if progress else compute()
    return slot["value"]
