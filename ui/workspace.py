"""The team workspace in a session: stored data sets, which one is open, the link, the audit.

A session opens a stored data set by its id (from the Data page's list or from a link's
``?ds=``); the id stays in the URL, so F5 and a teammate's link reopen the same data. Access is
checked on every open (a private set of someone else is "not found"); the Dataset is shared
between sessions on the same id (``ui.models``), never on a short fingerprint.
"""

from __future__ import annotations

import inspect
import os
import time

import pandas as pd
import streamlit as st

from opslab.dataset.dataset import Dataset
from opslab.core.problems import OpsLabError
from opslab.workspace.audit import AuditLog
from opslab.workspace.config import WorkspaceConfig
from opslab.workspace.store import Manifest, Store
from opslab.workspace.urlcheck import clean
from ui import auth, state
from ui.models import shared_by_key
from ui.server_auth import client_of

DS_PARAM = "ds"
#: Dataset attributes that are choices made at upload and must come back with the stored set.
DATASET_SETTINGS = ("currency", "refunds", "has_amounts", "buyers_known")
PRUNE_EVERY = 3600.0


@st.cache_resource(show_spinner=False)
def _store(root: str, quota: int | None, retention: int | None) -> dict:
    """One Store per data directory and process (it holds no data, only paths and limits)."""
    return {"store": Store(root, quota, retention), "pruned": [0.0]}


def config() -> WorkspaceConfig:
    return WorkspaceConfig.from_env()


def store() -> Store:
    cfg = config()
    slot = _store(str(cfg.data_dir), cfg.quota_bytes, cfg.retention_days)
    s = slot["store"]
    if s.retention_days and time.time() - slot["pruned"][0] > PRUNE_EVERY:
        slot["pruned"][0] = time.time()
        for gone in s.prune():
            audit("retention_delete", dataset=gone)
    return s


def viewer() -> str | None:
    """Who is looking: the signed-in user, or ``None`` on a local run without access control."""
    return auth.identity()


def client() -> str:
    """The browser's address as the proxy reports it (``OPSLAB_TRUSTED_PROXY=1``), else the peer."""
    try:
        headers = {k.lower(): v for k, v in st.context.headers.items()}
        return client_of(headers, st.context.ip_address, os.environ.get("OPSLAB_TRUSTED_PROXY") == "1")
    except Exception:  # noqa: BLE001 - AppTest
        return "?"


def audit(event: str, **fields) -> None:
    AuditLog(config().data_dir / "audit.log").record(event, user=viewer(), client=client(), **fields)


# -- opening ----------------------------------------------------------------------------------
def open_stored(dataset_id: str) -> Manifest:
    """Install a stored data set in this session (raises ``workspace.not_found``)."""
    s, who = store(), viewer()
    m = s.get(dataset_id, who)

    def build():
        tables = s.load(m.id, who)
        # Data-set settings stored with it (e.g. a currency, once Dataset has one) are passed back
        # to the constructor when it takes them.
        accepted = inspect.signature(Dataset.from_tables).parameters
        settings = {k: v for k, v in m.settings.items() if k in accepted and k != "fingerprint"}
        return Dataset.from_tables(**{t: tables.get(t) for t in ("events", "orders", "users", "campaigns",
                                                                 "order_lines")},
                                   fingerprint=m.content_key[:12] or m.id[:12], **settings)

    ds = shared_by_key("dataset", m.id, "", build)
    state.set_dataset(ds, {"kind": "stored", "id": m.id, "name": m.name, "files": [f.get("name", "") for f in m.files]})
    return m


def restore_from_url() -> None:
    """On a session's first run: open the data set the link names, if this viewer may."""
    if "dataset" in st.session_state or st.session_state.get("ws_restored"):
        return
    st.session_state["ws_restored"] = True
    raw = st.query_params.get(DS_PARAM)
    if raw is None:
        return
    dataset_id = clean(DS_PARAM, raw)
    try:
        if dataset_id is None:
            raise OpsLabError("workspace.not_found")
        open_stored(dataset_id)
        audit("open", dataset=dataset_id, via="link")
    except OpsLabError:
        st.session_state["ws_link_failed"] = True  # said on the page; the value is never echoed


def sync_link() -> None:
    """Keep the URL naming the stored data set on screen (nothing for the sample or an unsaved
    upload); drop the old ``fp`` parameter; say when a link could not be opened."""
    if "fp" in st.query_params:
        del st.query_params["fp"]
    source = st.session_state.get("dataset_source") or {}
    wanted = source.get("id") if source.get("kind") == "stored" else None
    if wanted and st.query_params.get(DS_PARAM) != wanted:
        st.query_params[DS_PARAM] = wanted
    elif not wanted and DS_PARAM in st.query_params:
        del st.query_params[DS_PARAM]
    if st.session_state.pop("ws_link_failed", False):  # said once, in a fixed sentence
        st.warning(state.tr("workspace.link_not_found"), icon=":material/link_off:")


# -- storing ----------------------------------------------------------------------------------
def tables_of(files) -> dict[str, pd.DataFrame]:
    """The validated canonical rows of the usable files, stacked per table (as the Dataset is
    built from them)."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for f in files:
        if f.usable:
            parts.setdefault(f.table, []).append(f.result.clean)
            if f.result.lines is not None:
                parts.setdefault("order_lines", []).append(f.result.lines)
    return {t: pd.concat(p, ignore_index=True) if len(p) > 1 else p[0] for t, p in parts.items()}


def save_upload(files, ds: Dataset, content_key: str, private: bool = False, options: dict | None = None) -> Manifest:
    """Store an applied upload with its mapping; open it in this session; audit it."""
    usable = [f for f in files if f.usable]
    name = " + ".join(f.name for f in usable)
    info = [{"name": f.name, "table": f.table, "digest": f.digest, "mapping": [list(p) for p in f.mapping],
             "options": (options or {}).get(f.digest, {})} for f in usable]
    settings = {k: getattr(ds, k) for k in DATASET_SETTINGS if isinstance(getattr(ds, k, None), (str, int, float, bool))}
    m = store().save(tables_of(usable), name=name, uploader=viewer() or "", content_key=content_key,
                     start=ds.start, end=ds.end, private=private and auth.identities_verified(), files=info,
                     settings=settings)
    audit("upload", dataset=m.id, name=m.name, rows=m.n_rows)
    shared_by_key("dataset", m.id, "", lambda: ds)  # the Dataset just built serves this id too
    state.set_dataset(ds, {"kind": "stored", "id": m.id, "name": m.name, "files": [f.name for f in usable]})
    return m


def current_id() -> str | None:
    source = st.session_state.get("dataset_source") or {}
    return source.get("id") if source.get("kind") == "stored" else None
