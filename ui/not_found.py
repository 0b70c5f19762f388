"""Unknown page addresses (a mistyped or outdated link such as ``/lifecylce``) answered by our
own translated page instead of Streamlit's "Page not found" dialog, which its frontend draws
in English whatever the app's language.

``st.navigation`` sends that dialog when no page has the address the browser asked for. The
router asks first (:func:`unknown_addresses`) and registers a hidden page at that address
(``views/not_found.py``), so the address resolves and the dialog is never sent. The address
is only ever used as a page's url path: nothing from it is shown.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

PAGE = "views/not_found.py"
KEY = "nf_addresses"
MAX_KEPT = 8  # a session that tries many bad links keeps only the latest few
MAX_LEN = 200


def requested_address() -> str:
    """The page address (url path) the browser asked for on this run, "" when none (the
    root, or a click in the navigation, which names the page by its hash)."""
    try:
        ctx = get_script_run_ctx()
        return str(getattr(ctx.pages_manager, "intended_page_name", "") or "")
    except Exception:  # noqa: BLE001 - Streamlit internals moved: Streamlit's own dialog remains
        return ""


def usable(address: str, known: set[str]) -> bool:
    """An address a hidden page can take: not one of ours, non-empty, no ``/`` (Streamlit
    refuses nested url paths), printable, not too long.

    >>> [usable(a, {"overview"}) for a in ("lifecylce", "overview", "", "a/b", "x" * 300, "bad\\n")]
    [True, False, False, False, False, False]
    """
    a = address.strip().strip("/")
    return bool(a) and a == address and a not in known and "/" not in a and len(a) <= MAX_LEN and a.isprintable()


def unknown_addresses(known: set[str]) -> list[str]:
    """The unknown addresses this session has asked for (the latest first kept): each needs a
    hidden page on every run, since a rerun on that page names it by its hash."""
    kept = [a for a in st.session_state.get(KEY, []) if usable(a, known)]
    address = requested_address()
    if usable(address, known) and address not in kept:
        kept = (kept + [address])[-MAX_KEPT:]
    st.session_state[KEY] = kept
    return kept
