"""Signed sign-in tokens for the HttpOnly cookie that binds a browser to its sign-in.

A token is ``base64url(json payload) . base64url(HMAC-SHA256)``; the payload holds the user,
the issue and expiry times and a tag of the password configuration, so changing the password
(or the secret) signs everyone out. Verification is constant-time and returns ``None`` for
anything forged, expired or malformed.

>>> secret = b"k" * 32
>>> tok = issue(secret, "li", now=1000.0, ttl=60, tag="pw1")
>>> verify(secret, tok, now=1030.0, tag="pw1")["user"]
'li'
>>> verify(secret, tok, now=2000.0, tag="pw1") is None, verify(secret, tok + "x", now=1030.0, tag="pw1") is None
(True, True)
>>> verify(secret, tok, now=1030.0, tag="pw2") is None
True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

COOKIE = "opslab_auth"
TTL = 12 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, b"opslab-auth-v1|" + body.encode("ascii"), hashlib.sha256).digest())


def issue(secret: bytes, user: str, *, now: float | None = None, ttl: float = TTL, tag: str = "") -> str:
    """A signed token for ``user`` valid ``ttl`` seconds."""
    now = time.time() if now is None else now
    payload = {"user": user, "iat": int(now), "exp": int(now + ttl), "tag": tag, "nonce": secrets.token_hex(8)}
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return f"{body}.{_sign(secret, body)}"


def verify(secret: bytes, token, *, now: float | None = None, tag: str = "") -> dict | None:
    """The payload of a valid token, else ``None``."""
    if not isinstance(token, str) or len(token) > 4096 or token.count(".") != 1:
        return None
    body, sig = token.split(".")
    try:
        if not hmac.compare_digest(_sign(secret, body), sig):
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeError):
        return None
    now = time.time() if now is None else now
    if not isinstance(payload, dict) or payload.get("tag") != tag or not isinstance(payload.get("user"), str):
        return None
    if not (isinstance(payload.get("exp"), int) and now < payload["exp"]):
        return None
    return payload


def signout_token(secret: bytes, cookie_value) -> str:
    """What a sign-out link must carry: derived from the sign-in cookie itself, so a cross-site
    link (which cannot read the HttpOnly cookie) cannot sign anyone out."""
    return hmac.new(secret, b"opslab-signout|" + str(cookie_value or "").encode(), hashlib.sha256).hexdigest()[:32]


def config_tag(*parts: str) -> str:
    """A short tag of the password configuration (never the hash itself)."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def load_or_create_secret(data_dir) -> bytes:
    """The cookie-signing key kept in the data directory (mode 0600), made once, shared by
    every server process on this host. A configured ``cookie_secret`` takes precedence."""
    path = Path(data_dir) / "cookie_secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        pass
    tmp = path.with_name(f".cookie_secret.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)  # first writer wins; a concurrent process reads the winner's key
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return bytes.fromhex(path.read_text().strip())


def revoke(data_dir, payload: dict, now: float | None = None) -> None:
    """Mark a token as signed out (one empty file per token nonce, kept until it expires), so
    other tabs and server processes holding the same cookie stop being signed in."""
    folder = Path(data_dir) / "revoked"
    folder.mkdir(parents=True, exist_ok=True)
    nonce = str(payload.get("nonce", ""))
    if nonce.isalnum():
        path = folder / nonce
        path.touch()
        os.utime(path, (payload.get("exp", 0), payload.get("exp", 0)))
    now = time.time() if now is None else now
    for old in folder.iterdir():  # forget revocations of tokens that have expired anyway
        try:
            if old.stat().st_mtime < now:
                old.unlink()
        except OSError:
            pass


def is_revoked(data_dir, payload: dict) -> bool:
    nonce = str(payload.get("nonce", ""))
    return not nonce.isalnum() or (Path(data_dir) / "revoked" / nonce).exists()
