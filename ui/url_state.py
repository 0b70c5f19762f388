"""Settings in the URL that survive a change of language.

``bind="query-params"`` writes a selectbox's *translated label* into the URL, so a link made
in Chinese would not restore in English. These helpers keep the raw option instead: read it
from the URL once when the session starts, write it back after every run (dropped when it
equals the default, to keep links short). Numbers, dates and sliders can use ``bind`` as is.
"""

from __future__ import annotations

import streamlit as st
from opslab.workspace.urlcheck import plausible

SEP = ","
MEMORY = "url_memory"  # the session's last value of every URL setting, across page switches


def _remembered(key: str):
    """The URL's value for ``key``, else the value this session last had for it (a page switch
    clears the query string; an upload must not reset the settings a link brought)."""
    value = st.query_params.get(key)
    return value if value is not None else st.session_state.get(MEMORY, {}).get(key)


def drop_implausible_params() -> None:
    """Remove URL values no setting could have (see ``urlcheck.plausible``) before any widget
    bound to the URL parses them; each page still checks its own against its options."""
    for key in list(st.query_params.keys()):
        values = st.query_params.get_all(key)
        if not plausible(str(key)) or not values or not all(plausible(v) for v in values):
            del st.query_params[key]


def remember_link() -> None:
    """On a session's first run, keep every setting the link carries (values are checked against
    each widget's options when used, never rendered)."""
    if MEMORY not in st.session_state:
        st.session_state[MEMORY] = {k: v for k, v in st.query_params.items() if isinstance(v, str) and len(v) <= 512}


def url_choice(widget: str, label: str, options, default, key: str, container=st, **kwargs):
    """A single-choice widget (``selectbox``, ``segmented_control``, ``radio``) whose raw
    option lives in the URL under ``key``."""
    by_text = {str(o): o for o in options}
    if key not in st.session_state or st.session_state[key] not in by_text.values():
        st.session_state[key] = by_text.get(_remembered(key), default)
    value = getattr(container, widget)(label, options, key=key, **kwargs)
    value = default if value is None else value
    _write(key, None if value == default else str(value))
    return value


def url_multi(label: str, options, default: list, key: str, container=st, **kwargs) -> list:
    """A multiselect whose raw options live in the URL, comma-separated."""
    by_text = {str(o): o for o in options}
    stale = key in st.session_state and not set(st.session_state[key]) <= set(options)  # other data
    if key not in st.session_state or stale:
        raw = None if stale else _remembered(key)
        chosen = [by_text[p] for p in raw.split(SEP) if p in by_text] if raw is not None else list(default)
        st.session_state[key] = chosen
    value = container.multiselect(label, options, key=key, **kwargs)
    _write(key, None if list(value) == list(default) else SEP.join(str(v) for v in value))
    return value


def _write(key: str, text: str | None) -> None:
    memory = st.session_state.setdefault(MEMORY, {})
    if text is None:
        memory.pop(key, None)
    else:
        memory[key] = text
    if text is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != text:
        st.query_params[key] = text
