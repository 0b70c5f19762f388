"""Per-session state: the language and the current Dataset.

Nothing here is module-level mutable state: every value lives in ``st.session_state``
(private to one browser session) or in caches keyed on content hashes.
"""

from __future__ import annotations

import streamlit as st

from opslab import formatting as fmt
from opslab import i18n
from opslab.dataset import Dataset

LANG_KEY = "lang"


def lang() -> str:
    """The session's language: the URL/sidebar choice, else the browser's locale."""
    value = st.session_state.get(LANG_KEY)
    if value in i18n.LANGUAGES:
        return value
    try:
        return i18n.language_from_locale(st.context.locale)
    except Exception:  # noqa: BLE001 - no browser context (AppTest, bare mode)
        return i18n.DEFAULT_LANGUAGE


def currency() -> str:
    """ISO code of the session's data set's amounts (CNY before any data)."""
    ds = st.session_state.get("dataset")
    return getattr(ds, "currency", None) or "CNY"


def tr(key: str, **params) -> str:
    """Translate into the session's language; ``{cur}`` in a text is the data set's currency
    symbol, so every label that names money carries it."""
    params.setdefault("cur", fmt.symbol(currency()))
    return i18n.t(key, lang(), **params)


def dataset() -> Dataset | None:
    return st.session_state.get("dataset")


def set_dataset(ds: Dataset | None, source: dict | None = None) -> None:
    """Install a data set for this session and drop anything computed on the previous one."""
    st.session_state["dataset"] = ds
    st.session_state["dataset_source"] = source or {}
    for key in [k for k in st.session_state if str(k).startswith("model:")]:
        del st.session_state[key]


def init_language() -> None:
    """Bind the language to the URL (``?lang=en``) with the browser's locale as default."""
    if LANG_KEY not in st.session_state:
        url = st.query_params.get(LANG_KEY)
        st.session_state[LANG_KEY] = url if url in i18n.LANGUAGES else lang()


def labeller(prefix: str, suffix: str = ""):
    """A ``format_func`` translating ``prefix + option + suffix`` in the language of this run.

    The language is captured now rather than looked up when the function is called, since
    Streamlit may call a widget's ``format_func`` outside the script run (AppTest does).
    """
    code, cur = lang(), fmt.symbol(currency())
    return lambda option: i18n.t(f"{prefix}{option}{suffix}", code, cur=cur)


def translator():
    """``tr`` bound to this run's language, for ``format_func`` callbacks (see :func:`labeller`)."""
    code, cur = lang(), fmt.symbol(currency())
    return lambda key, **params: i18n.t(key, code, **{"cur": cur, **params})
