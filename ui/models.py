"""Fitted models and other heavy results, computed once per data set and settings.

The key is the data set's key (see :func:`ui.state.dataset_key`): a stored data set's
unguessable id, or the full SHA-256 of the files' bytes plus their mapping. Only sessions
allowed to open that stored set, or holding byte-identical data, share an entry: a team on
one hosted data set trains the churn model once, not once per viewer, and nobody reaches a
result computed on data they cannot open. The short fingerprint is a display label and is
refused as a key. Entries are read-only, never pickled, and expire (``ttl``) or give way to
newer ones (``max_entries``).
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any, Callable

import pandas as pd
import streamlit as st

from opslab.dataset.dataset import Dataset
from opslab.core.keys import is_content_key, is_dataset_id
from ui.state import dataset, dataset_key


@st.cache_resource(ttl=3600, max_entries=64, show_spinner=False)
def _slot(kind: str, key: str, settings: str) -> dict:
    return {"lock": threading.Lock()}


def frame_key(ds: Dataset) -> str:
    """The full SHA-256 of a Dataset's tables (for a Dataset no session installed)."""
    def compute():
        h = hashlib.sha256(b"opslab-frames-v1")
        for name in ("events", "orders", "users", "campaigns"):
            frame = getattr(ds, name)
            h.update(f"|{name}|{list(map(str, frame.columns))}|{len(frame)}|".encode())
            if len(frame):
                h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        return h.hexdigest()
    return ds.memo(("ui.models.frame_key",), compute)


def key_of(ds: Dataset) -> str:
    """The sharing key of ``ds``: the session's data set key when ``ds`` is the session's
    data set, else the full hash of its tables."""
    if ds is dataset():
        key = dataset_key()
        if key:
            return key
    return frame_key(ds)


def shared_result(kind: str, ds: Dataset, settings: str, compute: Callable[[], Any],
                  progress: Callable[[Callable[[], Any]], Any] | None = None) -> Any:
    """The result of ``compute()`` for this data set and settings, computed at most once.

    ``progress`` wraps the computation when it actually runs (e.g. in an ``st.status``), so a
    session reusing a result shows no progress box.
    """
    return shared_by_key(kind, key_of(ds), settings, compute, progress)


def shared_by_key(kind: str, key: str, settings: str, compute: Callable[[], Any],
                  progress: Callable[[Callable[[], Any]], Any] | None = None) -> Any:
    """As :func:`shared_result`, keyed on a stored data set id or a full content key directly."""
    if not (is_dataset_id(key) or is_content_key(key)):
        raise ValueError("shared results are keyed on a data set id or a full SHA-256, never a short label")
    slot = _slot(kind, key, settings)
    if "value" not in slot:
        with slot["lock"]:  # a second session asking meanwhile waits instead of training again
            if "value" not in slot:
                slot["value"] = progress(compute) if progress else compute()
    return slot["value"]
