"""Issue 28, finding 3, against the running hosted app (serve.py) in real Chromium: a teammate
signed in with their own valid cookie presents another user's session id -- taken from an
upload URL, as it appears in proxy logs -- and gets a fresh session of their own, nothing of the
other user's. The owner resuming the same id gets it back (so the check can fail)."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.e2e.conftest import Server, new_context, wait_idle
from tests.e2e.test_workspace import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def hosted():
    srv = Server("serve.py", Path(tempfile.mkdtemp(prefix="opslab-e2e-takeover-")), PASSWORD).start()
    yield srv
    srv.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def _http_sign_in(url: str, name: str) -> str:
    """Sign in as a browser does (form, CSRF cookie, POST); the cookie header to send."""
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(urllib.request.Request(f"{url}/signin", headers={"Accept": "text/html"})) as r:
        page = r.read().decode()
        csrf_cookie = r.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    body = urlencode({"name": name, "password": PASSWORD, "next": "/", "csrf": token}).encode()
    req = urllib.request.Request(f"{url}/signin", data=body, headers={"Cookie": csrf_cookie})
    try:
        opener.open(req)
    except urllib.error.HTTPError as err:  # the 303 after a good sign-in
        assert err.code == 303
        cookies = [c.split(";")[0] for c in err.headers.get_all("Set-Cookie")]
        return "; ".join(c for c in cookies if c.startswith("opslab_auth="))
    raise AssertionError("sign-in did not redirect")


async def _session_of(url: str, cookie: str, resume: str) -> tuple[str, list[str]]:
    """Open Streamlit's websocket asking to resume ``resume``; the session id the server gives
    and the text of what it sends during one script run."""
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    texts: list[str] = []
    async with websockets.connect(ws_url, subprotocols=["streamlit", "xsrf-unused", resume],
                                  additional_headers={"Cookie": cookie, "Origin": url}, max_size=None) as ws:
        back = BackMsg()
        back.rerun_script.query_string = ""
        back.rerun_script.page_script_hash = ""
        await ws.send(back.SerializeToString())
        session_id = None
        async def read():
            nonlocal session_id
            while True:
                msg = ForwardMsg.FromString(await ws.recv())
                texts.append(str(msg))
                if msg.HasField("new_session") and msg.new_session.initialize.session_id:
                    session_id = session_id or msg.new_session.initialize.session_id
                if msg.HasField("script_finished") and session_id is not None:
                    return  # the run this connection started (a resumed session may first finish one in flight)
        try:
            await asyncio.wait_for(read(), timeout=180)
        except TimeoutError:
            pass  # no session given: the caller's assertion says so
    return session_id, texts


def _run(coro):
    """asyncio.run on a thread of its own (Playwright's sync API holds this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_a_teammate_presenting_my_session_id_gets_nothing_of_mine(hosted, browser, tmp_path):
    ctx = new_context(browser)
    pg = ctx.new_page()
    uploads: list[str] = []
    pg.on("request", lambda r: uploads.append(r.url) if "/_stcore/upload_file/" in r.url else None)
    pg.goto(f"{hosted.url}/data?lang=zh")
    pg.locator("#password").wait_for()
    pg.fill("#name", "li")
    pg.fill("#password", PASSWORD)
    pg.get_by_role("button", name="登录").click()
    wait_idle(pg)
    secret_name = "li-private-orders.csv"
    pg.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": secret_name, "mimeType": "text/csv",
         "buffer": b"user_id,order_time,amount\nu1,2024-01-05,10\nu2,2024-01-06,20\n"})
    wait_idle(pg)
    pg.get_by_text(secret_name).first.wait_for()
    li_session = re.search(r"/_stcore/upload_file/([^/]+)/", uploads[0]).group(1)
    li_cookie = "; ".join(f"{c['name']}={c['value']}" for c in ctx.cookies() if c["name"] == "opslab_auth")
    ctx.close()  # li's tab is closed: her session waits to be resumed

    wang_cookie = _http_sign_in(hosted.url, "wang")
    got, texts = _run(_session_of(hosted.url, wang_cookie, li_session))
    assert got and got != li_session  # a fresh session, not li's
    assert not any(secret_name in t for t in texts)
    # An upload into li's session with wang's cookie is refused.
    req = urllib.request.Request(f"{hosted.url}/_stcore/upload_file/{li_session}/x", data=b"x", method="PUT",
                                 headers={"Cookie": wang_cookie})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req)
    assert err.value.code in (401, 403)
    # li herself resuming the same id gets her session back (the mechanism the guard gates).
    mine, texts = _run(_session_of(hosted.url, li_cookie, li_session))
    assert mine == li_session
