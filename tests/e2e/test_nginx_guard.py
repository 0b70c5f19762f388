"""deploy/nginx/opslab.conf, run for real in front of serve.py: uploads, media and pages need the
sign-in cookie at the proxy too (auth_request), and /signin is rate-limited there.

The shipped file is used as is, except for what a test machine must change: ports, no TLS
certificate (plain HTTP on a loopback port), one upstream process.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
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
    deadline = time.time() + 30
    while True:  # nginx accepts connections once it listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.time() < deadline and proc.poll() is None, "nginx did not start listening"
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(10)
    backend.stop()


def request(port, method, path, body=b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def test_proxy_refuses_everything_without_the_cookie_and_passes_it_with(proxied):
    status, hdrs, _ = request(proxied, "GET", "/churn", headers={"Accept": "text/html"})
    assert status == 303 and hdrs["location"].endswith("/signin")
    assert request(proxied, "PUT", "/_stcore/upload_file/s/f", b"x" * 4096)[0] in (303, 401)
    assert request(proxied, "GET", "/media/abc.csv")[0] in (303, 401)
    assert request(proxied, "GET", "/_stcore/health")[0] == 200
    form = urlencode({"name": "li", "password": PASSWORD, "next": "/"}).encode()
    status, hdrs, _ = request(proxied, "POST", "/signin", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303 and "HttpOnly" in hdrs["set-cookie"]
    cookie = hdrs["set-cookie"].split(";")[0]
    status, _, page = request(proxied, "GET", "/", headers={"Cookie": cookie, "Accept": "text/html"})
    assert status == 200 and b"<html" in page.lower()


def test_proxy_rate_limits_sign_in_attempts(proxied):
    form = urlencode({"name": "x", "password": "wrong", "next": "/"}).encode()
    codes = [request(proxied, "POST", "/signin", form, {"Content-Type": "application/x-www-form-urlencoded"})[0]
             for _ in range(12)]
    assert codes.count(429) >= 4, codes  # burst 5 at 10/min: the rest are refused by nginx or the app
