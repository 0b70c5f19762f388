"""The audit log: one JSON line per sign-in, upload, rename, deletion, download, segment saved or deleted.

Lines are appended with ``O_APPEND`` (atomic for lines this short, also across the server
processes of one host) and flushed to disk. Values are data, never markup: readers should show
them as text.

>>> import tempfile, pathlib
>>> log = AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.log")
>>> log.record("sign_in", user="li", client="10.0.0.1", ok=True)
>>> [e["event"] for e in log.read()], log.read()[0]["ok"]
(['sign_in'], True)
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

EVENTS = ("sign_in", "sign_in_failed", "sign_in_throttled", "sign_in_refused", "session_refused", "sign_out", "upload", "open", "rename",
          "privacy", "delete", "download", "retention_delete", "segment_save", "segment_delete")


class AuditLog:
    """Append-only JSON lines at ``path``."""

    def __init__(self, path, clock=time.time):
        self.path = Path(path)
        self.clock = clock

    def record(self, event: str, **fields) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown audit event {event!r}")
        entry = {"time": round(self.clock(), 3), "event": event,
                 **{k: (v if isinstance(v, (bool, int, float)) or v is None else str(v)[:300]) for k, v in fields.items()}}
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # after a torn line (a crash mid-write) start a fresh one
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self, last: int | None = None) -> list[dict]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        out = []
        for line in lines[-last:] if last else lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a torn last line after a crash
        return out
