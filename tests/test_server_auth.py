"""The HTTP guard: with a password configured nothing (page, upload, media, websocket) passes
without the signed cookie; wrong passwords are slowed per client; the cookie is HttpOnly."""

from __future__ import annotations

import asyncio
import threading
import re
from urllib.parse import urlencode

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute

from opslab.workspace.passwords import hash_password
from opslab.workspace.audit import AuditLog
from opslab.workspace.ratelimit import SignInLimiter
from opslab.workspace.sessions import SessionOwners, owner_key
from ui.server_auth import Guard, GuardMiddleware, safe_next


async def _inner(request):
    return PlainTextResponse("the app")


async def _ws(websocket):
    await websocket.accept()
    await websocket.close()



def run_coroutine(coro):
    """``asyncio.run`` in a thread of its own: the browser tests' session-wide Playwright keeps an
    event loop running in this worker's main thread, where ``asyncio.run`` refuses to start."""
    box = {}

    def target():
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = err

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")

def make(tmp_path, password: str | None = "team-2026", users: dict | None = None):
    env = {"OPSLAB_DATA_DIR": str(tmp_path)}
    if password:
        env["OPSLAB_PASSWORD_HASH"] = hash_password(password, iterations=1000)
    guard = Guard(env=env, limiter=SignInLimiter(free=3, base=1.0), owners=SessionOwners())
    routes = guard.routes() + [WebSocketRoute("/_stcore/stream", _ws), Route("/{p:path}", _inner, methods=["GET", "PUT", "POST"])]
    return guard, Starlette(routes=routes, middleware=[Middleware(GuardMiddleware, guard=guard)])


def http(app, method, path, body=b"", headers=None, client="10.0.0.1"):
    """Drive the ASGI app once; (status, headers dict (lists), body)."""
    path, _, query = path.partition("?")
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
             "client": (client, 1234), "server": ("testserver", 80), "scheme": "http", "http_version": "1.1",
             "root_path": "", "app": app}
    sent, done = [], [False]

    async def receive():
        if done[0]:
            await asyncio.sleep(3600)
        done[0] = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(msg):
        sent.append(msg)

    run_coroutine(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    hdrs: dict[str, list[str]] = {}
    for k, v in start["headers"]:
        hdrs.setdefault(k.decode().lower(), []).append(v.decode())
    return start["status"], hdrs, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def websocket(app, cookie=None):
    scope = {"type": "websocket", "path": "/_stcore/stream", "raw_path": b"/_stcore/stream", "query_string": b"",
             "headers": [(b"cookie", cookie.encode())] if cookie else [], "client": ("10.0.0.1", 1),
             "server": ("testserver", 80), "scheme": "ws", "subprotocols": [], "root_path": "", "app": app}
    sent, queue = [], [{"type": "websocket.connect"}]

    async def receive():
        if queue:
            return queue.pop(0)
        return {"type": "websocket.disconnect", "code": 1000}

    async def send(msg):
        sent.append(msg)

    run_coroutine(app(scope, receive, send))
    return [m["type"] for m in sent]


def csrf_pair(app, client="10.0.0.1"):
    """What a browser gets with the sign-in form: the CSRF cookie and the form's token."""
    status, hdrs, body = http(app, "GET", "/signin", headers={"accept": "text/html"}, client=client)
    assert status == 200
    cookie = next(c.split(";")[0] for c in hdrs["set-cookie"] if c.startswith("opslab_csrf="))
    token = re.search(rb'name="csrf" value="([0-9a-f]+)"', body).group(1).decode()
    return cookie, token


def sign_in(app, password, name="li", nxt="/", client="10.0.0.1", cookies=None, csrf=None):
    cookie, token = csrf or csrf_pair(app, client)
    body = urlencode({"name": name, "password": password, "next": nxt, "csrf": token}).encode()
    jar = "; ".join([cookie, *(cookies or [])])
    return http(app, "POST", "/signin", body, {"content-type": "application/x-www-form-urlencoded",
                                                "cookie": jar}, client)


def cookie_of(hdrs, name="opslab_auth"):
    return next(c.split(";")[0] for c in hdrs["set-cookie"] if c.startswith(name + "="))


def test_nothing_passes_before_sign_in(tmp_path):
    _, app = make(tmp_path)
    status, hdrs, _ = http(app, "GET", "/churn?ds=abc", headers={"accept": "text/html"})
    assert status == 303 and hdrs["location"] == ["/signin?next=%2Fchurn%3Fds%3Dabc"]
    assert http(app, "PUT", "/_stcore/upload_file/session/file", b"x" * 1000)[0] == 401
    assert http(app, "GET", "/media/abc.csv")[0] == 401
    assert http(app, "GET", "/auth/verify")[0] == 401
    assert websocket(app) == ["websocket.close"]  # refused before the handshake completes
    assert http(app, "GET", "/_stcore/health")[0] == 200  # for the load balancer only


def test_sign_in_sets_a_signed_httponly_cookie_that_opens_everything(tmp_path):
    guard, app = make(tmp_path)
    status, hdrs, _ = sign_in(app, "team-2026", nxt="/churn?ds=abc")
    assert status == 303 and hdrs["location"] == ["/churn?ds=abc"]
    cookie = next(c for c in hdrs["set-cookie"] if c.startswith("opslab_auth="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    value = cookie.split(";")[0]
    assert http(app, "GET", "/", headers={"cookie": value})[2] == b"the app"
    payload = guard._payload({"opslab_auth": value.split("=", 1)[1]}, guard.access())
    guard.owners.claim("s", owner_key(payload, "li"))  # what the app's gate records at its first run
    assert http(app, "PUT", "/_stcore/upload_file/s/f", b"x", headers={"cookie": value})[0] == 200
    assert http(app, "GET", "/auth/verify", headers={"cookie": value})[0] == 204
    assert websocket(app, value) == ["websocket.accept", "websocket.close"]
    tampered = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    assert http(app, "GET", "/media/x", headers={"cookie": tampered})[0] == 401
    assert [e["event"] for e in AuditLog(tmp_path / "audit.log").read()] == ["sign_in"]


def test_wrong_passwords_are_slowed_per_client_and_logged(tmp_path):
    _, app = make(tmp_path)
    codes = [sign_in(app, f"guess{i}")[0] for i in range(10)]
    assert codes[:4] == [401, 401, 401, 401]  # three free, the fourth starts a backoff
    assert 429 in codes[4:]  # later attempts are refused without checking the password
    status, hdrs, body = sign_in(app, "team-2026")  # even the right password waits its turn
    assert status == 429 and int(hdrs["retry-after"][0]) >= 1
    assert "Too many wrong passwords".encode() in body or "密码错误次数过多".encode() in body
    assert sign_in(app, "team-2026", client="10.0.0.2")[0] == 303  # another client is not blocked
    log = [e["event"] for e in AuditLog(tmp_path / "audit.log").read()]
    assert log.count("sign_in_failed") == 4 and "sign_in_throttled" in log and log[-1] == "sign_in"


def test_no_access_control_means_no_guard(tmp_path):
    _, app = make(tmp_path, password=None)
    assert http(app, "GET", "/anything")[2] == b"the app"
    assert websocket(app) == ["websocket.accept", "websocket.close"]


@pytest.mark.parametrize("value,expected", [("/churn?x=1", "/churn?x=1"), ("//evil.example/x", "/"),
                                            ("https://evil.example", "/"), ("/\\evil", "/"), ("", "/"),
                                            ("/a\r\nSet-Cookie: x", "/")])
def test_return_address_stays_on_this_site(value, expected):
    assert safe_next(value) == expected


def test_sign_in_page_escapes_what_it_echoes(tmp_path):
    _, app = make(tmp_path)
    status, _, body = http(app, "GET", '/signin?lang=en&next=/%22%3E%3Cscript%3Ealert(1)%3C/script%3E',
                           headers={"accept": "text/html"})
    assert status == 200 and b"<script>" not in body and b"&lt;script&gt;" in body
    assert b"Sign in to OpsLab" in body


def test_sign_out_revokes_the_cookie_everywhere(tmp_path):
    from ui.access import signed_in_user
    guard, app = make(tmp_path)
    value = cookie_of(sign_in(app, "team-2026")[1])
    assert http(app, "GET", "/media/x", headers={"cookie": value})[0] == 200
    assert signed_in_user(value.split("=", 1)[1], secrets={}, env=guard.env) == "li"  # the script's gate
    # A cross-site link to /signout (no token) signs nobody out.
    assert http(app, "GET", "/signout", headers={"cookie": value})[1]["location"] == ["/"]
    assert http(app, "GET", "/media/x", headers={"cookie": value})[0] == 200
    token = guard.signout_token(value.split("=", 1)[1])
    status, hdrs, _ = http(app, "GET", f"/signout?t={token}", headers={"cookie": value})
    assert status == 303 and hdrs["location"][0].startswith("/signin")
    # The same cookie, kept by another tab or replayed from a log, no longer opens anything.
    assert http(app, "GET", "/media/x", headers={"cookie": value})[0] == 401
    assert signed_in_user(value.split("=", 1)[1], secrets={}, env=guard.env) is None
    assert [e["event"] for e in AuditLog(tmp_path / "audit.log").read()] == ["sign_in", "sign_out"]


def test_personal_accounts_sign_in_as_themselves_only(tmp_path):
    secrets = {"opslab": {"users": {"li": hash_password("li-pw", iterations=1000),
                                    "wang": hash_password("wang-pw", iterations=1000)}}}
    guard = Guard(env={"OPSLAB_DATA_DIR": str(tmp_path)}, secrets=secrets)
    app = Starlette(routes=guard.routes() + [Route("/{p:path}", _inner)],
                    middleware=[Middleware(GuardMiddleware, guard=guard)])
    assert guard.access().mode == "users" and guard.access().identities_verified
    assert sign_in(app, "wang-pw", name="li")[0] == 401  # someone else's password
    assert sign_in(app, "li-pw", name="nobody", client="10.0.0.9")[0] == 401
    status, hdrs, _ = sign_in(app, "li-pw", name="li", client="10.0.0.8")
    assert status == 303
    cookie = cookie_of(hdrs)
    assert guard.user({"opslab_auth": cookie.split("=", 1)[1]}, guard.access()) == "li"
    # Changing a password signs everyone out: the cookie's tag no longer matches.
    secrets["opslab"]["users"]["li"] = hash_password("new", iterations=1000)
    assert guard.user({"opslab_auth": cookie.split("=", 1)[1]}, guard.access()) is None
