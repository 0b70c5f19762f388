"""Access control in the script: off locally; OIDC (st.login) or passwords when
``.streamlit/secrets.toml`` configures them (see ``ui/access.py`` and README, "Hosting").

The sign-in itself happens outside the script, at ``/signin`` (``ui/server_auth.py``): it sets
a signed, HttpOnly cookie, and the HTTP guard refuses every request without it. This gate checks
the same cookie on every run, so a session is bound to the browser that signed in, not to a
session id that may leak (it appears in upload URLs): a client presenting someone's session id
without the cookie gets the sign-in screen.
"""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from opslab.workspace import tokens
from opslab.workspace.sessions import OWNERS, owner_key
from ui.access import access, cookie_secret, signed_in_payload, signed_in_user
from ui.state import lang, tr

USER_KEY = "auth_user"


def mode() -> str | None:
    return access().mode


def identities_verified() -> bool:
    return access().identities_verified


def _cookie() -> str | None:
    try:
        return st.context.cookies.get(tokens.COOKIE)
    except Exception:  # noqa: BLE001 - AppTest: no browser, no cookies
        return None


def identity() -> str | None:
    """The signed-in user (``None`` on a local run without access control)."""
    acc = access()
    if acc.mode == "oidc":
        try:
            return str(st.user.get("email") or st.user.get("sub") or "") or None if st.user.is_logged_in else None
        except Exception:  # noqa: BLE001
            return None
    if acc.mode in ("password", "users"):
        return signed_in_user(_cookie())
    return None


def _here() -> str:
    try:
        parts = urlsplit(st.context.url or "/")
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    except Exception:  # noqa: BLE001
        return "/"


def gate() -> None:
    """Stop the script with a sign-in screen unless this browser holds a valid sign-in."""
    how = mode()
    if how is None:
        return
    if how == "oidc":
        if not st.user.is_logged_in:
            st.title(tr("auth.title"))
            st.caption(tr("auth.oidc_help"))
            if st.button(tr("auth.sign_in"), key="auth_login", type="primary"):
                st.login()
            st.stop()
        return
    if os.environ.get("OPSLAB_GUARD_ACTIVE") != "1":
        # Started as `streamlit run app.py`: no /signin route and no guard in front of uploads.
        st.title(tr("auth.title"))
        st.error(tr("workspace.auth.no_guard"))
        st.stop()
    user = identity()
    if user is None:
        for key in [k for k in st.session_state if k != "lang"]:
            del st.session_state[key]  # an expired or stolen session keeps nothing it loaded
        st.title(tr("auth.title"))
        st.caption(tr("workspace.auth.go_sign_in"))
        st.link_button(tr("auth.sign_in"), f"/signin?lang={lang()}&next={quote(_here(), safe='')}",
                       type="primary", key="auth_signin_link")
        st.stop()
    if not _claim_session(user):
        # This session belongs to someone else (its id was presented by another sign-in):
        # nothing it loaded is shown, and the browser is sent to start a session of its own.
        for key in [k for k in st.session_state if k != "lang"]:
            del st.session_state[key]
        st.title(tr("auth.title"))
        st.error(tr("workspace.auth.session_not_yours"))
        st.stop()
    st.session_state[USER_KEY] = user


def _session_id() -> str | None:
    try:
        ctx = get_script_run_ctx()
        return None if ctx is None else ctx.session_id
    except Exception:  # noqa: BLE001
        return None


def _claim_session(user: str) -> bool:
    """Record this session's owner (this sign-in) for the HTTP guard; False if another owns it."""
    session_id = _session_id()
    owner = owner_key(signed_in_payload(_cookie()) if mode() in ("password", "users") else None, user)
    return session_id is None or OWNERS.claim(session_id, owner)


def sign_out_button() -> None:
    how = mode()
    if how is None:
        return
    if how == "oidc":
        if st.button(tr("auth.sign_out"), key="auth_logout"):
            st.logout()
        return
    st.caption(tr("workspace.auth.signed_in_as"))
    st.text(st.session_state.get(USER_KEY, ""))
    st.link_button(tr("auth.sign_out"), f"/signout?lang={lang()}&t={tokens.signout_token(cookie_secret(), _cookie())}", key="auth_logout")

