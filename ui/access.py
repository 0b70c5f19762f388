"""Who may come in: the access configuration shared by the HTTP guard (``ui/server_auth.py``)
and the script's gate (``ui/auth.py``).

Read from ``.streamlit/secrets.toml`` (or the environment, handy for containers):

- ``[auth]`` (Streamlit's OIDC section): sign-in through the identity provider;
- ``[opslab] password_hash`` (``OPSLAB_PASSWORD_HASH``): one shared team password; the name a
  person types is a label, not a verified identity, so data sets cannot be private then;
- ``[opslab.users] name = "<hash>"``: one password per person; private data sets work;
- ``[opslab] cookie_secret`` (``OPSLAB_COOKIE_SECRET``): the cookie-signing key, else one kept
  in the data directory.

Nothing configured: a local run, no access control.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import streamlit as st

from opslab.workspace import tokens
from opslab.workspace.config import WorkspaceConfig


@dataclass(frozen=True)
class Access:
    mode: str | None  # None, "password", "users", "oidc"
    password_hash: str = ""
    users: dict = field(default_factory=dict)

    @property
    def identities_verified(self) -> bool:
        """Whether the signed-in name is a verified identity (private data sets need one)."""
        return self.mode in ("users", "oidc")

    @property
    def tag(self) -> str:
        """Changes whenever a password changes, so old cookies stop working."""
        return tokens.config_tag(self.mode or "", self.password_hash, *sorted(f"{k}={v}" for k, v in self.users.items()))


def _secrets() -> dict:
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # noqa: BLE001 - no secrets.toml
        return {}


def access(secrets: dict | None = None, env=None) -> Access:
    secrets = _secrets() if secrets is None else secrets
    env = os.environ if env is None else env
    if "auth" in secrets:
        return Access("oidc")
    section = dict(secrets.get("opslab", {}) or {})
    users = {str(k): str(v) for k, v in dict(section.get("users", {}) or {}).items()}
    if users:
        return Access("users", users=users)
    password = section.get("password_hash") or env.get("OPSLAB_PASSWORD_HASH") or ""
    if password:
        return Access("password", password_hash=str(password))
    return Access(None)


def cookie_secret(secrets: dict | None = None, env=None) -> bytes:
    secrets = _secrets() if secrets is None else secrets
    env = os.environ if env is None else env
    configured = (secrets.get("opslab", {}) or {}).get("cookie_secret") or env.get("OPSLAB_COOKIE_SECRET")
    if configured:
        return str(configured).encode("utf-8")
    return tokens.load_or_create_secret(WorkspaceConfig.from_env(env).data_dir)


def signed_in_user(cookie_value, secrets: dict | None = None, env=None) -> str | None:
    """The user a sign-in cookie names, when it is genuine, current and made under the present
    passwords; else ``None``."""
    acc = access(secrets, env)
    if acc.mode not in ("password", "users") or not cookie_value:
        return None
    payload = signed_in_payload(cookie_value, secrets, env)
    return None if payload is None else payload["user"]


def signed_in_payload(cookie_value, secrets: dict | None = None, env=None) -> dict | None:
    """The payload of a genuine, current, unrevoked sign-in cookie (user, nonce, times)."""
    acc = access(secrets, env)
    if acc.mode not in ("password", "users") or not cookie_value:
        return None
    payload = tokens.verify(cookie_secret(secrets, env), cookie_value, tag=acc.tag)
    if payload is None or tokens.is_revoked(WorkspaceConfig.from_env(env).data_dir, payload):
        return None
    return payload
