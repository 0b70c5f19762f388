"""Per-session state: the language, the current Dataset and the lifecycle rules in force.

Nothing here is module-level mutable state: every value lives in ``st.session_state``
(private to one browser session) or in caches keyed on content hashes.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, fields, replace

import streamlit as st

from opslab.present import formatting as fmt
from opslab.core import i18n
from opslab.dataset.dataset import Dataset
from opslab.lifecycle.tiers import LifecycleRules
from opslab.lifecycle.fit import rules_in_force
from opslab.present import formatting as fmt
from opslab.metrics import catalogue
from opslab.core import i18n
from opslab.dataset.dataset import Dataset
from opslab.lifecycle.tiers import LifecycleRules
from opslab.lifecycle.fit import rules_in_force

LANG_KEY = "lang"
# The language a deferred callback (a download built at click time) must use: captured when
# the button was drawn, since the callback may run where the session's state is not at hand.
_PINNED: ContextVar[str | None] = ContextVar("opslab_pinned_lang", default=None)


@contextmanager
def pinned_language(code: str):
    """Run a block (e.g. building an export) with :func:`lang` fixed to ``code``."""
    token = _PINNED.set(code)
    try:
        yield
    finally:
        _PINNED.reset(token)


def lang() -> str:
    """The session's language: the URL/sidebar choice, else the browser's locale."""
    pinned = _PINNED.get()
    if pinned in i18n.LANGUAGES:
        return pinned
    try:
        value = st.session_state.get(LANG_KEY)
    except Exception:  # noqa: BLE001 - outside a script run
        value = None
    if value in i18n.LANGUAGES:
        return value
    try:
        return i18n.language_from_locale(st.context.locale)
    except Exception:  # noqa: BLE001 - no browser context (AppTest, bare mode)
        return i18n.DEFAULT_LANGUAGE


def currency() -> str:
    """ISO code of the session's data set's amounts ("" before any data or when not stated:
    amounts are then plain numbers)."""
    ds = st.session_state.get("dataset")
    return getattr(ds, "currency", None) or ""


def tr(key: str, **params) -> str:
    """Translate into the session's language; ``{cur}`` in a text is the data set's currency
    symbol, so every label that names money carries it."""
    params.setdefault("cur", fmt.symbol(currency()))
    return _no_empty_unit(i18n.t(key, lang(), **params), params["cur"])


def _no_empty_unit(text: str, cur: str) -> str:
    """Without a stated currency ``{cur}`` is empty: "Spend ()" reads "Spend"."""
    return text if cur else text.replace(" ()", "").replace("（）", "").replace("()", "")


def dataset() -> Dataset | None:
    return st.session_state.get("dataset")


def set_dataset(ds: Dataset | None, source: dict | None = None) -> None:
    """Install a data set for this session (results live in shared caches keyed on the data
    set's id or content key, never in the session, so nothing stale needs dropping)."""
    st.session_state["dataset"] = ds
    st.session_state["dataset_source"] = source or {}


def dataset_key() -> str | None:
    """The key of the session's data set: a stored data set's unguessable id, or the full
    SHA-256 content key (files' bytes plus mapping) of the built-in sample or an unsaved upload.
    Caches and shared results are keyed on this, never on the short fingerprint."""
    source = st.session_state.get("dataset_source") or {}
    return source.get("id") or source.get("key")


def init_language() -> None:
    """Bind the language to the URL (``?lang=en``) with the browser's locale as default."""
    if LANG_KEY not in st.session_state:
        url = st.query_params.get(LANG_KEY)
        st.session_state[LANG_KEY] = url if url in i18n.LANGUAGES else lang()  # validated: zh or en


def metric_labeller():
    """A ``format_func`` writing a metric key as its catalogue name in this run's language."""
    code = lang()
    return lambda key: catalogue.name(key, code)


def labeller(prefix: str, suffix: str = ""):
    """A ``format_func`` translating ``prefix + option + suffix`` in the language of this run.

    The language is captured now rather than looked up when the function is called, since
    Streamlit may call a widget's ``format_func`` outside the script run (AppTest does).
    """
    code, cur = lang(), fmt.symbol(currency())
    return lambda option: _no_empty_unit(i18n.t(f"{prefix}{option}{suffix}", code, cur=cur), cur)


def translator():
    """``tr`` bound to this run's language, for ``format_func`` callbacks (see :func:`labeller`)."""
    code, cur = lang(), fmt.symbol(currency())
    return lambda key, **params: _no_empty_unit(i18n.t(key, code, **{"cur": cur, **params}), cur)


# -- the lifecycle rules in force (one rule set for every page) -----------------------------------
RULES_BASE = "lc_rules"            # URL + session: "standard" when the user chose the defaults
RULES_OVERRIDES = "lc_rules_overrides"
_RULE_FIELDS = {f.name: type(f.default) for f in fields(LifecycleRules)}


def _fitted_rules() -> LifecycleRules:
    ds = dataset()
    return rules_in_force(ds) if ds is not None and ds.n_users else LifecycleRules()


def _init_rules() -> None:
    """Read the rule state from the link once per session (``?lc_rules=standard&lc_churn_days=60``)."""
    if RULES_OVERRIDES in st.session_state:
        return
    st.session_state[RULES_BASE] = "standard" if st.query_params.get(RULES_BASE) == "standard" else "fitted"
    overrides = {}
    for name, kind in _RULE_FIELDS.items():
        raw = st.query_params.get(f"lc_{name}")
        if raw is None:
            continue
        try:
            overrides[name] = kind(float(raw)) if kind is int else kind(raw)
        except ValueError:
            continue  # a hand-edited link: ignore what does not parse
    st.session_state[RULES_OVERRIDES] = overrides


def rules_base() -> LifecycleRules:
    """The rules the user's edits start from: fitted to the data (purchase-only data) or the
    standard defaults (after "back to defaults", or for data with visit events)."""
    _init_rules()
    return LifecycleRules() if st.session_state[RULES_BASE] == "standard" else _fitted_rules()


def rules() -> LifecycleRules:
    """The lifecycle rules in force for this session: the base plus the user's edits.

    Every page reads its tiers through this function (Lifecycle, Churn, Forecast, exports), and
    every page writes the state back into the link, so a shared link carries the same rules.
    """
    base = rules_base()
    overrides = st.session_state[RULES_OVERRIDES]
    try:
        current = replace(base, **overrides)
    except (TypeError, ValueError):
        st.session_state[RULES_OVERRIDES] = {}
        current = base
    _write_rules_url()
    return current


def set_rules(new: LifecycleRules) -> None:
    """Store ``new`` as the user's rules (kept as differences from the base)."""
    base = rules_base()
    st.session_state[RULES_OVERRIDES] = {k: v for k, v in asdict(new).items() if getattr(base, k) != v}
    _write_rules_url()


def reset_rules(to: str) -> LifecycleRules:
    """Back to the rules fitted to the data (``"fitted"``) or the standard defaults (``"standard"``)."""
    _init_rules()
    st.session_state[RULES_BASE] = to
    st.session_state[RULES_OVERRIDES] = {}
    _write_rules_url()
    return rules_base()


def _write_rules_url() -> None:
    wanted = {f"lc_{k}": _text(v) for k, v in st.session_state[RULES_OVERRIDES].items()}
    if st.session_state[RULES_BASE] == "standard":
        wanted[RULES_BASE] = "standard"
    for key in [f"lc_{k}" for k in _RULE_FIELDS] + [RULES_BASE]:
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def rules_seen() -> LifecycleRules:
    """The rules in force without starting the session's rule state: :func:`rules` once a page
    that edits rules has read them (with the link's edits), else the data set's default rules.
    For pages that only read a threshold (the Overview), so that a link's ``lc_*`` settings are
    still read by the Lifecycle, Churn or Forecast page the reader opens next. Until then the
    link's rule edits are not applied here."""
    if RULES_OVERRIDES in st.session_state:
        return rules()
    return _fitted_rules()
