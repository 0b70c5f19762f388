"""Access control for a hosted OpsLab: off locally; OIDC (st.login) or a shared password when
``.streamlit/secrets.toml`` configures one. See README, "Hosting"."""

from __future__ import annotations

import time

import streamlit as st

from opslab.security import verify_password
from ui.state import tr

AUTH_KEY = "auth_ok"


def _secrets() -> dict:
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # noqa: BLE001 - no secrets.toml: a local run, access control off
        return {}


def mode() -> str | None:
    secrets = _secrets()
    if "auth" in secrets:
        return "oidc"
    if secrets.get("opslab", {}).get("password_hash"):
        return "password"
    return None


def gate() -> None:
    """Stop the script with a sign-in screen until the visitor is signed in."""
    how = mode()
    if how == "oidc":
        if not st.user.is_logged_in:
            st.title(tr("auth.title"))
            st.caption(tr("auth.oidc_help"))
            if st.button(tr("auth.sign_in"), key="auth_login", type="primary"):
                st.login()
            st.stop()
    elif how == "password":
        if not st.session_state.get(AUTH_KEY):
            _password_form(_secrets()["opslab"]["password_hash"])
            st.stop()


def _password_form(stored: str) -> None:
    st.title(tr("auth.title"))
    with st.form("auth_form"):
        password = st.text_input(tr("auth.password"), type="password", key="auth_password")
        submitted = st.form_submit_button(tr("auth.sign_in"), type="primary", key="auth_submit")
    if submitted:
        if verify_password(password, stored):
            st.session_state[AUTH_KEY] = True
            st.session_state.pop("auth_password", None)
            st.rerun()
        time.sleep(1.0)  # slow down guessing
        st.error(tr("auth.wrong_password"))


def sign_out_button() -> None:
    how = mode()
    if how is None:
        return
    if st.button(tr("auth.sign_out"), key="auth_logout"):
        if how == "oidc":
            st.logout()
        else:
            # Forget the sign-in and everything loaded under it.
            for key in list(st.session_state.keys()):
                if key != "lang":
                    del st.session_state[key]
            st.session_state[AUTH_KEY] = False
            st.rerun()
