"""The HTTP guard of a hosted OpsLab: nothing is served before sign-in.

Streamlit's script can only gate what a script run draws; uploads (``/_stcore/upload_file``),
media and downloads (``/media/...``), the websocket (``/_stcore/stream``) and the page itself
are served by the web server before any script runs. ``serve.py`` therefore wraps the app in
:class:`GuardMiddleware`, which refuses every request without a valid sign-in cookie, and
adds the sign-in routes (a plain HTML form, so nothing of the app loads before sign-in):

- ``GET /signin``  the form (zh/en by ``?lang=`` or the browser's language);
- ``POST /signin`` reads at most 4 KiB of body (streamed; a longer body is refused before it is
  held), requires the CSRF token of the form (bound to a ``SameSite=Strict`` cookie set with the
  form, and a same-site ``Origin`` when one is sent), hashes a password for unknown users too
  (no user enumeration by timing), is rate-limited per address + account, per address and per
  account (``opslab.workspace.ratelimit``; a browser that signed in to the account before keeps
  a signed "known device" cookie and is never slowed by other addresses' failures); on success
  sets the signed, HttpOnly, SameSite=Lax cookie and redirects to ``next``;
- ``GET /signout?t=<token>`` clears the cookie (the token is derived from the sign-in cookie, so
  a cross-site link cannot sign anyone out);
- ``GET /auth/verify`` 204 or 401, for a reverse proxy's ``auth_request`` (docs/hosting.md).

Sessions are bound to their owner (:mod:`opslab.workspace.sessions`): a websocket that asks to
resume a Streamlit session, or an upload into one, passes only when its sign-in cookie names the
user the session belongs to; otherwise the session id is dropped (a fresh session starts) or the
upload refused.

With OIDC (``[auth]`` in secrets) the guard accepts Streamlit's own signed user cookie and
sends everyone else to Streamlit's ``/auth/login``.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import secrets
from urllib.parse import parse_qs, quote, urlencode

from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from opslab.core import i18n
from opslab.workspace.passwords import ITERATIONS, hash_password, verify_password
from opslab.workspace import tokens
from opslab.workspace.sessions import OWNERS, SessionOwners, owner_key
from opslab.workspace.audit import AuditLog
from opslab.workspace.config import WorkspaceConfig
from opslab.workspace.ratelimit import SignInLimiter
from ui.access import Access, access, cookie_secret

OPEN_PATHS = ("/signin", "/signout", "/auth/verify", "/_stcore/health")
OIDC_PATHS = ("/auth/login", "/auth/logout", "/oauth2callback")
MAX_FORM = 4096
CSRF_COOKIE = "opslab_csrf"
DEVICE_COOKIE = "opslab_device"
DEVICE_TTL = 180 * 86400
UPLOAD_PREFIX = "/_stcore/upload_file/"
GUARD_FLAG = "OPSLAB_GUARD_ACTIVE"


def client_of(headers: dict, peer: str | None, trust_proxy: bool) -> str:
    """The client address: the proxy's ``X-Real-IP`` / last ``X-Forwarded-For`` hop when the
    proxy is trusted (``OPSLAB_TRUSTED_PROXY=1``), else the TCP peer."""
    if trust_proxy:
        real = headers.get("x-real-ip") or (headers.get("x-forwarded-for", "").split(",")[-1].strip())
        if real:
            return real[:64]
    return (peer or "?")[:64]


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The request body, or ``None`` as soon as it exceeds ``limit`` bytes (by its declared
    length or while streaming): a huge body is never held in memory."""
    try:
        if int(request.headers.get("content-length", "0")) > limit:
            return None
    except ValueError:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def safe_next(value: str | None) -> str:
    """A same-site path to return to after sign-in (never another host, never a scheme)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 2000:
        return "/"
    if any(ord(ch) < 0x20 for ch in value):
        return "/"
    return value


class Guard:
    """Process-wide sign-in state: the limiter, the audit log and the configuration."""

    def __init__(self, env=None, limiter: SignInLimiter | None = None, secrets: dict | None = None,
                 owners: SessionOwners | None = None):
        self.env = os.environ if env is None else env
        self.secrets = secrets  # None: read .streamlit/secrets.toml
        os.environ[GUARD_FLAG] = "1"  # tells the script's gate that /signin exists in this process
        self.limiter = limiter or SignInLimiter()
        self.data_dir = WorkspaceConfig.from_env(self.env).data_dir
        self.audit = AuditLog(self.data_dir / "audit.log")
        self.trust_proxy = self.env.get("OPSLAB_TRUSTED_PROXY") == "1"
        self._secret: bytes | None = None
        self._decoys: dict[int, str] = {}
        self.owners: SessionOwners = owners or OWNERS

    def access(self) -> Access:
        return access(self.secrets, env=self.env)

    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = cookie_secret(self.secrets, env=self.env)
        return self._secret

    def user(self, cookies: dict, acc: Access) -> str | None:
        if acc.mode == "oidc":
            return _streamlit_user(cookies)
        payload = self._payload(cookies, acc)
        return None if payload is None else payload["user"]

    def _payload(self, cookies: dict, acc: Access) -> dict | None:
        payload = tokens.verify(self.secret(), cookies.get(tokens.COOKIE), tag=acc.tag)
        if payload is None or tokens.is_revoked(self.data_dir, payload):
            return None
        return payload

    # -- routes --------------------------------------------------------------------------------
    async def signin_page(self, request: Request) -> Response:
        acc = self.access()
        lang = _lang(request)
        if request.method == "GET":
            return self._form(request, acc, lang, safe_next(request.query_params.get("next")), "", 200)
        client = client_of(dict(request.headers), request.client.host if request.client else None, self.trust_proxy)
        body = await read_capped(request, MAX_FORM)
        if body is None:
            return Response(status_code=413)
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), max_num_fields=8).items()}
        nxt = safe_next(str(form.get("next", "/")))
        if not self.csrf_ok(request, str(form.get("csrf", ""))):
            self.audit.record("sign_in_refused", client=client, reason="csrf")
            return self._form(request, acc, lang, nxt, i18n.t("workspace.auth.csrf", lang), 403)
        name = str(form.get("name", "")).strip()[:60]
        password = str(form.get("password", ""))[:256]
        if acc.mode not in ("password", "users"):
            return RedirectResponse(nxt, status_code=303)
        account = name if acc.mode == "users" else ""
        known = self.known_device(request, account)
        wait = self.limiter.wait(client, account, known)
        if wait > 0:
            self.audit.record("sign_in_throttled", client=client, user=name, wait=round(wait, 1))
            return self._form(request, acc, lang, nxt, i18n.t("workspace.auth.throttled", lang, seconds=int(wait + 0.999)),
                              429, retry_after=wait)
        ok = await run_in_threadpool(self.check_password, acc, name, password)
        if not ok:
            delay = self.limiter.failure(client, account, known)
            self.audit.record("sign_in_failed", client=client, user=name, backoff=round(delay, 1))
            msg = i18n.t("workspace.auth.wrong", lang)
            if delay > 0:
                msg += " " + i18n.t("workspace.auth.throttled", lang, seconds=int(delay + 0.999))
            return self._form(request, acc, lang, nxt, msg, 401)
        self.limiter.success(client, account)
        user = name if acc.mode == "users" else (name or i18n.t("workspace.auth.team_member", lang))
        self.audit.record("sign_in", client=client, user=user)
        response = RedirectResponse(nxt, status_code=303)
        secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
        response.set_cookie(tokens.COOKIE, tokens.issue(self.secret(), user, tag=acc.tag), max_age=tokens.TTL,
                            httponly=True, samesite="lax", secure=secure, path="/")
        response.set_cookie(DEVICE_COOKIE, tokens.issue(self.secret(), account, ttl=DEVICE_TTL, tag="device"),
                            max_age=DEVICE_TTL, httponly=True, samesite="strict", secure=secure, path="/signin")
        return response

    def check_password(self, acc: Access, name: str, password: str) -> bool:
        """The password check, costing the same for an unknown user as for a known one: an
        unknown name is checked against a decoy hash with the same iteration count."""
        if acc.mode == "users":
            stored = acc.users.get(name)
            ok = verify_password(password, stored if stored is not None else self._decoy(acc))
            return ok and stored is not None
        return acc.mode == "password" and verify_password(password, acc.password_hash)

    def _decoy(self, acc: Access) -> str:
        iterations = ITERATIONS
        for stored in acc.users.values():
            try:
                iterations = int(stored.split("$")[1])
                break
            except (IndexError, ValueError):
                continue
        if iterations not in self._decoys:
            self._decoys[iterations] = hash_password(secrets.token_hex(16), iterations=iterations)
        return self._decoys[iterations]

    # -- CSRF and the known-device cookie ---------------------------------------------------------
    def csrf_for(self, nonce: str) -> str:
        return hmac.new(self.secret(), b"opslab-csrf|" + nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, request: Request, supplied: str) -> bool:
        """The form's token matches the HMAC of this browser's CSRF cookie (which a cross-site
        page can neither read nor send: SameSite=Strict), and the Origin, when sent, is this site."""
        nonce = request.cookies.get(CSRF_COOKIE, "")
        if not nonce or not supplied or not hmac.compare_digest(self.csrf_for(nonce), supplied):
            return False
        origin = request.headers.get("origin")
        if origin and origin != "null":
            host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
            return origin.split("://", 1)[-1] == host
        return origin != "null"

    def known_device(self, request: Request, account: str) -> bool:
        payload = tokens.verify(self.secret(), request.cookies.get(DEVICE_COOKIE), tag="device")
        return payload is not None and payload["user"] == account

    def signout_token(self, cookie_value: str | None) -> str:
        return tokens.signout_token(self.secret(), cookie_value)

    def _form(self, request: Request, acc: Access, lang: str, nxt: str, message: str, status: int,
              retry_after: float = 0) -> HTMLResponse:
        nonce = request.cookies.get(CSRF_COOKIE) or ""
        fresh = not (nonce.isalnum() and len(nonce) == 32)
        if fresh:
            nonce = secrets.token_hex(16)
        response = _form(acc, lang, nxt, message, status, retry_after, csrf=self.csrf_for(nonce))
        if fresh:
            secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
            response.set_cookie(CSRF_COOKIE, nonce, max_age=tokens.TTL, httponly=True, samesite="strict",
                                secure=secure, path="/signin")
        return response

    async def signout(self, request: Request) -> Response:
        acc = self.access()
        cookie = request.cookies.get(tokens.COOKIE)
        payload = self._payload(dict(request.cookies), acc) if acc.mode in ("password", "users") else None
        if payload and not hmac.compare_digest(self.signout_token(cookie), request.query_params.get("t", "")):
            return RedirectResponse("/", status_code=303)  # a cross-site link: nobody is signed out
        if payload:
            tokens.revoke(self.data_dir, payload)  # other tabs with this cookie are signed out too
            client = client_of(dict(request.headers), request.client.host if request.client else None, self.trust_proxy)
            self.audit.record("sign_out", client=client, user=payload["user"])
        response = RedirectResponse("/signin?" + urlencode({"lang": _lang(request)}), status_code=303)
        response.delete_cookie(tokens.COOKIE, path="/")
        return response

    async def verify(self, request: Request) -> Response:
        """For nginx ``auth_request``: 204 when the cookie is valid, 401 otherwise."""
        acc = self.access()
        if acc.mode is None or self.user(dict(request.cookies), acc):
            return Response(status_code=204)
        return Response(status_code=401)

    def routes(self):
        return [Route("/signin", self.signin_page, methods=["GET", "POST"]),
                Route("/signout", self.signout, methods=["GET"]),
                Route("/auth/verify", self.verify, methods=["GET"])]


class GuardMiddleware:
    """Pure ASGI middleware: every HTTP request and websocket needs a signed-in cookie."""

    def __init__(self, app, guard: Guard):
        self.app, self.guard = app, guard

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        acc = self.guard.access()
        path = scope.get("path", "/")
        if acc.mode is None or path in OPEN_PATHS or (acc.mode == "oidc" and path in OIDC_PATHS):
            return await self.app(scope, receive, send)
        request = HTTPConnection(scope)
        user = self.guard.user(dict(request.cookies), acc)
        if user:
            payload = self.guard._payload(dict(request.cookies), acc) if acc.mode in ("password", "users") else None
            return await self._as_owner(owner_key(payload, user), scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        wants_page = scope["type"] == "http" and scope.get("method") == "GET" and "text/html" in request.headers.get("accept", "")
        if wants_page:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            to = _oidc_login() if acc.mode == "oidc" else f"/signin?next={quote(target, safe='')}"
            response = RedirectResponse(to, status_code=303)
        else:
            response = Response(status_code=401)
        await response(scope, receive, send)


    async def _as_owner(self, user: str, scope, receive, send):
        """Pass the request on, naming a Streamlit session only if ``user`` (an owner key:
        :func:`opslab.workspace.sessions.owner_key`) owns it."""
        owners = self.guard.owners
        if scope["type"] == "websocket":
            headers = list(scope.get("headers", []))
            for i, (k, v) in enumerate(headers):
                if k.lower() != b"sec-websocket-protocol":
                    continue
                entries = v.decode("latin-1").split(",")
                if len(entries) >= 3 and entries[2].strip() and not owners.may_use(entries[2].strip(), user):
                    # Someone else's (or an unknown) session: start a fresh one instead.
                    entries[2] = ""
                    headers[i] = (k, ",".join(entries).encode("latin-1"))
                    scope = {**scope, "headers": headers}
                    self.guard.audit.record("session_refused", user=user.split("#")[0], how="resume")
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if path.startswith(UPLOAD_PREFIX):
            session_id = path[len(UPLOAD_PREFIX):].split("/", 1)[0]
            if not owners.may_use(session_id, user):
                self.guard.audit.record("session_refused", user=user.split("#")[0], how="upload")
                return await Response(status_code=403)(scope, receive, send)
        return await self.app(scope, receive, send)


def _oidc_login() -> str:
    """Streamlit's login URL for the default provider (it needs a signed provider token)."""
    try:
        from streamlit.user_info import generate_login_redirect_url
        return generate_login_redirect_url("default")
    except Exception:  # noqa: BLE001
        return "/auth/login"


def _streamlit_user(cookies: dict) -> str | None:
    """The e-mail (or subject) in Streamlit's own signed OIDC cookie, when genuine."""
    try:
        from streamlit.auth_util import get_cookie_with_chunks
        from streamlit.web.server.server_util import get_cookie_secret
        from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value
        from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

        secret = get_cookie_secret()

        def one(name):
            raw = cookies.get(name)
            return None if raw is None else decode_signed_value(secret, name, raw)

        raw = get_cookie_with_chunks(one, USER_COOKIE_NAME)
        info = json.loads(raw) if raw else None
    except Exception:  # noqa: BLE001 - anything odd is "not signed in"
        return None
    if not isinstance(info, dict) or not info.get("is_logged_in", True):
        return None
    return str(info.get("email") or info.get("sub") or "") or None


def _lang(request: Request) -> str:
    value = request.query_params.get("lang")
    if value in i18n.LANGUAGES:
        return value
    return i18n.language_from_locale(request.headers.get("accept-language"))


def _form(acc: Access, lang: str, nxt: str, message: str, status: int, retry_after: float = 0,
          csrf: str = "") -> HTMLResponse:
    t = lambda key, **p: html.escape(i18n.t(key, lang, **p))  # noqa: E731 - every value escaped
    name_label = t("workspace.auth.user") if acc.mode == "users" else t("workspace.auth.name")
    required = " required" if acc.mode == "users" else ""
    error = f'<p class="err" role="alert">{html.escape(message)}</p>' if message else ""
    page = f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{t("workspace.auth.title")}</title>
<style>body{{font-family:sans-serif;background:#f4f6fb;color:#111827;display:flex;justify-content:center;padding-top:12vh}}
form{{background:#fff;padding:2rem;border-radius:.75rem;box-shadow:0 1px 4px #0002;width:22rem}}
label{{display:block;margin:.8rem 0 .3rem}}input{{width:100%;padding:.5rem;box-sizing:border-box}}
button{{margin-top:1.2rem;width:100%;padding:.6rem;background:#2563eb;color:#fff;border:0;border-radius:.4rem}}
.err{{color:#b91c1c}}</style></head><body><form method="post" action="/signin?lang={lang}">
<h1>{t("workspace.auth.title")}</h1><p>{t("workspace.auth.help")}</p>{error}
<label for="name">{name_label}</label><input id="name" name="name" autocomplete="username"{required}>
<label for="password">{t("workspace.auth.password")}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{html.escape(nxt, quote=True)}">
<input type="hidden" name="csrf" value="{html.escape(csrf, quote=True)}">
<button type="submit">{t("workspace.auth.sign_in")}</button></form></body></html>"""
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}
    if retry_after:
        headers["Retry-After"] = str(int(retry_after + 0.999))
    return HTMLResponse(page, status_code=status, headers=headers)
