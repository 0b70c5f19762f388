"""deploy/nginx/opslab.conf, run for real in front of serve.py: uploads, media and pages need the
sign-in cookie at the proxy too (auth_request), sign-in POSTs (never the form) are rate-limited
there, a shared link's address survives sign-in (``next``), and the access log never holds a
session id (issue 28, findings 3 and 5).

The shipped file is used as is, except for what a test machine must change: ports, no TLS
certificate (plain HTTP on a loopback port), one upstream process.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.e2e.conftest import ROOT, free_port
from tests.e2e.test_workspace import PASSWORD, Server

pytestmark = pytest.mark.e2e
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _config(upstream_port: int, listen_port: int, folder: Path) -> Path:
    conf = (ROOT / "deploy" / "nginx" / "opslab.conf").read_text()
    conf = re.sub(r"server 127\.0\.0\.1:8501;\s*server 127\.0\.0\.1:8502;", f"server 127.0.0.1:{upstream_port};", conf)
    conf = re.sub(r"server \{\s*listen 80;.*?\n\}\n", "", conf, count=1, flags=re.S)  # no HTTP->HTTPS hop
    conf = conf.replace("listen 443 ssl;", f"listen 127.0.0.1:{listen_port};")
    conf = re.sub(r"\s*ssl_certificate(_key)? [^;]+;", "", conf)
    conf = conf.replace("/var/log/nginx/opslab.access.log", str(folder / "access.log"))
    (folder / "opslab.conf").write_text(conf)
    main = folder / "nginx.conf"
    main.write_text(f"""worker_processes 1; pid {folder}/nginx.pid; error_log {folder}/error.log;
events {{ worker_connections 64; }}
http {{ access_log off; client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;
fastcgi_temp_path {folder}/fcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
include {folder}/opslab.conf; }}
""")
    return main


@pytest.fixture
def proxied():
    """nginx in front of serve.py, fresh for each test: the rate-limit test spends the sign-in
    burst, which would refuse the other test's sign-in if the two shared one proxy."""
    if not os.path.exists(NGINX):
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is missing: CI must install it (apt-get install nginx)")
        pytest.skip("nginx is not installed")
    backend = Server("serve.py", Path(tempfile.mkdtemp(prefix="opslab-e2e-nginx-")), PASSWORD).start()
    folder = Path(tempfile.mkdtemp(prefix="opslab-nginx-"))
    port = free_port()
    main = _config(backend.port, port, folder)
    check = subprocess.run([NGINX, "-t", "-p", str(folder), "-c", str(main)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(main), "-g", "daemon off;"])
    deadline = time.monotonic() + 30
    while True:  # until nginx answers (no fixed sleep)
        try:
            if request(port, "GET", "/_stcore/health")[0] == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline and proc.poll() is None, "nginx did not start answering"
        time.sleep(0.05)
    yield port, folder
    proc.terminate()
    proc.wait(10)
    backend.stop()


def request(port, method, path, body=b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    if r.msg.get_all("set-cookie"):  # several cookies: keep the sign-in one first
        hdrs["set-cookie"] = "\n".join(sorted(r.msg.get_all("set-cookie"), key=lambda c: not c.startswith("opslab_auth=")))
    return r.status, hdrs, data


def form_of(port, path="/signin"):
    """The sign-in form as a browser gets it through the proxy: (CSRF cookie, token, next)."""
    status, hdrs, page = request(port, "GET", path, headers={"Accept": "text/html"})
    assert status == 200, status
    cookie = hdrs["set-cookie"].split(";")[0]
    token = re.search(rb'name="csrf" value="([0-9a-f]+)"', page).group(1).decode()
    nxt = re.search(rb'name="next" value="([^"]*)"', page).group(1).decode().replace("&amp;", "&")
    return cookie, token, nxt


def post_signin(port, cookie, token, password, nxt="/", name="li"):
    form = urlencode({"name": name, "password": password, "next": nxt, "csrf": token}).encode()
    return request(port, "POST", "/signin", form, {"Content-Type": "application/x-www-form-urlencoded",
                                                   "Cookie": cookie})


def test_proxy_refuses_everything_without_the_cookie_and_passes_it_with(proxied):
    port, folder = proxied
    status, hdrs, _ = request(port, "GET", "/churn", headers={"Accept": "text/html"})
    assert status == 303 and hdrs["location"].endswith("/signin?next=%2Fchurn")
    session_id = "5f0c7f2e-8d1a-4b7e-9c3d-2a1b0c9d8e7f"
    assert request(port, "PUT", f"/_stcore/upload_file/{session_id}/f", b"x" * 4096)[0] == 401
    assert request(port, "GET", "/media/abc.csv")[0] == 401
    assert request(port, "GET", "/_stcore/health")[0] == 200
    cookie, token, _ = form_of(port)
    status, hdrs, _ = post_signin(port, cookie, token, PASSWORD)
    assert status == 303 and "HttpOnly" in hdrs["set-cookie"]
    auth = hdrs["set-cookie"].split(";")[0]
    status, _, page = request(port, "GET", "/", headers={"Cookie": auth, "Accept": "text/html"})
    assert status == 200 and b"<html" in page.lower()
    # Signed in, but the session is not this browser's: refused (the app binds sessions).
    assert request(port, "PUT", f"/_stcore/upload_file/{session_id}/f", b"x", {"Cookie": auth})[0] in (401, 403)
    # The access log shows the requests, never the session id of an upload URL.
    log = (folder / "access.log").read_text()
    assert "/_stcore/upload_file/-/f" in log and session_id not in log


def test_a_shared_link_survives_sign_in_through_the_proxy(proxied):
    port, _ = proxied
    link = "/overview?ds=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&ov_grain=week"
    status, hdrs, _ = request(port, "GET", link, headers={"Accept": "text/html"})
    assert status == 303
    cookie, token, nxt = form_of(port, hdrs["location"])
    assert nxt == link  # the form carries the whole address, query included
    status, hdrs, _ = post_signin(port, cookie, token, PASSWORD, nxt=nxt)
    assert status == 303 and hdrs["location"] == link


def test_proxy_limits_sign_in_posts_not_the_form(proxied):
    port, _ = proxied
    assert [request(port, "GET", "/signin", headers={"Accept": "text/html"})[0] for _ in range(25)] == [200] * 25
    cookie, token, _ = form_of(port)
    codes = [post_signin(port, cookie, token, "wrong", name="x")[0] for _ in range(16)]
    assert codes.count(429) >= 4, codes  # burst 10 at 10/min: the rest are refused by nginx or the app
    # A cross-site auto-post (no CSRF cookie, foreign Origin) is refused through the proxy too.
    form = urlencode({"name": "li", "password": PASSWORD, "next": "/"}).encode()
    status, hdrs, _ = request(port, "POST", "/signin", form, {"Content-Type": "application/x-www-form-urlencoded",
                                                              "Origin": "https://evil.example"})
    assert status in (403, 429) and "opslab_auth" not in hdrs.get("set-cookie", "")
