"""Loading data into the session: the sample set and uploaded files, with content-keyed caches.

``st.cache_data`` is shared by all sessions, so every cached function takes the file as an
:class:`Upload`, keyed on its full SHA-256: two people get the same cached result only when they
uploaded byte-identical files. The digest is computed once per uploaded file (``hashlib``
releases the GIL); Streamlit never hashes the bytes itself, because its hasher copies them twice
under the GIL on every rerun, which stalled every other user's page while a 1 GB upload was
open (issue 28's load test). The Dataset (with its DuckDB engine) is likewise shared only
between sessions whose files and mapping hash the same (``ui.models``); which Dataset a
session is looking at lives in its own ``st.session_state``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import streamlit as st

from opslab.dataset import sources
from opslab.synth import business as sample_business

from opslab.dataset import load as loader
from opslab.dataset.load import files_key
from opslab.ingest.choices import Choices
from opslab.ingest.read import ReadOptions
from opslab.report.trust import source_from_files
from ui import state
from ui.models import shared_by_key
from ui import workspace



@dataclass(frozen=True)
class Upload:
    """One uploaded file as the Data page reads it: its name, full SHA-256, reading choices (no
    header row, a spreadsheet's sheet and header row) and bytes. Cached functions key it on
    everything but the bytes, which the digest stands for."""

    name: str
    digest: str
    data: bytes = field(repr=False, compare=False)
    no_header: bool = False
    sheet: str | None = None
    header_row: int | None = None

    @property
    def key(self) -> tuple:
        return self.name, self.digest, self.no_header, self.sheet, self.header_row


CACHE = dict(ttl=3600, max_entries=16, show_spinner=False, hash_funcs={Upload: lambda u: u.key})
SOURCE_KEYS = ("source", "tables", "currency", "engine", "spark", "shuffle_partitions", "driver_memory",
               "threads", "memory_limit", "temp_directory")


def read_options(no_header: bool = False, sheet: str | None = None, header_row: int | None = None) -> ReadOptions:
    """The Data page's reading choices: no header row, a spreadsheet's sheet and header row."""
    return ReadOptions(header=False if no_header else None, sheet=sheet, header_row=header_row)


def upload_digest(up) -> str:
    """The full SHA-256 of a Streamlit ``UploadedFile``, computed once per upload (kept in the
    session under the upload's own id) rather than on every rerun of the page."""
    memo = st.session_state.setdefault("upload_digests", {})
    if up.file_id not in memo:
        memo[up.file_id] = loader.digest(up.getvalue())
    return memo[up.file_id]


@st.cache_data(**CACHE)
def inspect_cached(upload: Upload) -> loader.LoadedFile:
    """:func:`opslab.dataset.load.inspect_file` with the Data page's reading choices, cached on
    the file's digest and those choices."""
    return loader.inspect_file(upload.name, upload.data, read_options(upload.no_header, upload.sheet, upload.header_row),
                               sha256=upload.digest)


@st.cache_data(**CACHE)
def apply_mapping_cached(upload: Upload, table: str, mapping: tuple, choices: tuple = ()) -> loader.LoadedFile:
    """:func:`opslab.dataset.load.apply_mapping` of the cached inspection, cached on the file's
    digest, mapping and choices. ``choices``: the upload's resolved
    :class:`~opslab.ingest.choices.Choices` as a tuple."""
    return loader.apply_mapping(inspect_cached(upload), table, dict(mapping),
                                choices=Choices.from_tuple(choices) if choices else None)


@st.cache_data(**CACHE)
def sample_files(files: tuple[tuple[str, bytes], ...]) -> tuple[list[loader.LoadedFile], str | None]:
    """The sample's files, read and checked, and the currency their evidence names."""
    files, decisions = loader.prepare_files(list(files))
    return files, decisions.choices.currency


def shared_dataset(files: list[loader.LoadedFile], currency: str | None = None):
    """:func:`opslab.dataset.load.build_dataset`, shared by every session that loaded byte-identical files
    with the same mapping (read-only; its memo and engine are thread-safe): the sample data
    are built once per server, not once per visitor. Keyed on the full content key."""
    usable = [f for f in files if f.usable]
    if not usable:
        return loader.build_dataset(files, currency)
    return shared_by_key("dataset", files_key(usable, currency), "", lambda: loader.build_dataset(files, currency))


def opslab_config() -> dict:
    """The ``[opslab]`` table of ``.streamlit/secrets.toml`` ({} without one)."""
    try:
        return dict(st.secrets.get("opslab", {}))
    except Exception:  # noqa: BLE001 - no secrets.toml: a local run
        return {}


def configured_source():
    """The data set ``[opslab] source``/``tables`` points at (a Parquet folder or catalog
    tables, read in place by the configured engine), shared by every session; None if unset."""
    config = opslab_config()
    if not (config.get("source") or config.get("tables")):
        return None
    return shared_by_key("source", configured_key(), "", lambda: sources.source_from_config(config))


def configured_key() -> str:
    """The full SHA-256 of the source settings: the configured data set's sharing key."""
    config = opslab_config()
    text = json.dumps({k: config.get(k) for k in SOURCE_KEYS}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def on_configured_engine(ds, key: str):
    """``ds`` on the engine ``[opslab] engine`` names (shared per data set: ``key`` is its full
    content key), or as it is."""
    factory = sources.engine_from_config(opslab_config())
    if ds is None or factory is None:
        return ds
    return shared_by_key("dataset-engine", key, factory.name, lambda: ds.on_engine(factory))


def load_sample() -> None:
    source = configured_source()
    if source is not None:
        state.set_dataset(source, {"kind": "configured", "key": configured_key(),
                                   "engine": opslab_config().get("engine", "duckdb")})
        return
    files, currency = sample_files(tuple(loader.sample_bytes()))
    ds, _ = shared_dataset(files, currency)
    key = files_key(files, ds.currency)  # as the CLI and a notebook key the same files
    state.set_dataset(on_configured_engine(ds, key), {"kind": "sample", "key": key, "files": [f.name for f in files],
                                                      "report": source_from_files(files)})


def load_business_sample() -> None:
    """The business-scale sample (:mod:`opslab.synth.business`): generated and imported once
    into the data directory through the same import as an upload (its orders are a GBK CSV with
    Chinese headers); every later server process reopens the imported tables (Parquet). One
    Dataset per server, shared by every session."""
    data_dir = workspace.config().data_dir
    ds, key = shared_by_key("dataset", _business_key(str(data_dir)), "",
                            lambda: sample_business.business_dataset(data_dir))
    state.set_dataset(on_configured_engine(ds, key), {"kind": "sample", "preset": "business", "key": key,
                                                      "files": list(sample_business.FILES)})


def _business_key(data_dir: str) -> str:
    """The slot of the business sample of this data directory (a full SHA-256, as every
    shared entry is keyed)."""
    return hashlib.sha256(f"business-sample|{sample_business.VERSION}|{sample_business.IMPORT_VERSION}|{data_dir}"
                          .encode()).hexdigest()


def ensure_default_data() -> None:
    """A first visitor sees a populated app: the configured source if there is one, else the
    sample, unless the session chose otherwise."""
    if "dataset" not in st.session_state:
        with st.spinner(state.tr("app.loading_sample")):
            load_sample()
