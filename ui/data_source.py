"""Loading data into the session: the sample set and uploaded files, with content-keyed caches.

``st.cache_data`` is shared by all sessions, so every cached function takes the file bytes
(hashed by Streamlit) as an argument: two people get the same cached result only when they
uploaded byte-identical files. The Dataset (with its DuckDB engine) is likewise shared only
between sessions whose files and mapping hash the same (``ui.models``); which Dataset a
session is looking at lives in its own ``st.session_state``.
"""

from __future__ import annotations

import streamlit as st

from opslab.ingest import load as loader
from opslab.ingest.choices import Choices
from opslab.ingest.read import ReadOptions
from ui import state
from ui.models import shared_by_key

CACHE = dict(ttl=3600, max_entries=16, show_spinner=False)


@st.cache_data(**CACHE)
def inspect_file(name: str, data: bytes, no_header: bool = False) -> loader.LoadedFile:
    options = ReadOptions(header=False) if no_header else ReadOptions()
    return loader.inspect_file(name, data, options)


@st.cache_data(**CACHE)
def apply_mapping(name: str, data: bytes, table: str, mapping: tuple, no_header: bool = False,
                  choices: tuple = ()) -> loader.LoadedFile:
    """``choices``: the upload's resolved :class:`~opslab.ingest.choices.Choices` as a tuple."""
    return loader.apply_mapping(inspect_file(name, data, no_header), table, dict(mapping),
                                choices=Choices.from_tuple(choices) if choices else None)


@st.cache_data(**CACHE)
def sample_files(files: tuple[tuple[str, bytes], ...]) -> list[loader.LoadedFile]:
    return loader.prepare_files(list(files))[0]


def build_dataset(files: list[loader.LoadedFile], currency: str | None = None):
    """The Dataset of these files, shared by every session that loaded byte-identical files
    with the same mapping (read-only; its memo and engine are thread-safe): the sample data
    are built once per server, not once per visitor."""
    usable = [f for f in files if f.usable]
    if not usable:
        return loader.build_dataset(files, currency)
    return shared_by_key("dataset", loader.fingerprint(usable, currency or "CNY"), "",
                         lambda: loader.build_dataset(files, currency))


def load_sample() -> None:
    files = sample_files(tuple(loader.sample_bytes()))
    ds, _ = build_dataset(files)
    state.set_dataset(ds, {"kind": "sample", "files": [f.name for f in files]})


def ensure_default_data() -> None:
    """A first visitor sees a populated app: load the sample unless the session chose otherwise."""
    if "dataset" not in st.session_state:
        with st.spinner(state.tr("app.loading_sample")):
            load_sample()
