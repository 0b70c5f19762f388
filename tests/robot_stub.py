"""A local stand-in for a WeCom / DingTalk group robot: it records every message posted to it
and answers as the real robots do (``errcode`` 0, or an error for a path containing "fail")."""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


@contextlib.contextmanager
def robot_server(failure: dict):
    """Yield (base URL, received): ``received`` collects (path, JSON body) per POST; a path
    containing "fail" gets ``failure`` (e.g. ``{"errcode": 93000, "errmsg": "invalid webhook"}``)."""
    received: list[tuple[str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
            received.append((self.path, body))
            data = json.dumps(failure if "fail" in self.path else {"errcode": 0}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()
