"""Saving small JSON files so that nothing is ever lost or half-written.

Every save of saved work (targets, data set settings, subscriptions) goes through
:func:`write_json`: a temporary file with a unique name (so concurrent writers never share
one), ``fsync``, ``os.replace`` (readers see the old file or the new one, never a mix) and an
``fsync`` of the directory (the rename survives a power cut). Read-modify-write sequences hold
:func:`locked` (an ``flock`` on the folder, so they are serialised across threads and server
processes). A full disk becomes :class:`~opslab.core.problems.OpsLabError` ``workspace.disk_full``
(translated) and leaves no temporary file; a temporary file left by a process killed with
``kill -9`` is removed by :func:`clean_temps` at the next save.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.json"
>>> write_json(p, {"version": 1}); read_json(p)
{'version': 1}
>>> sorted(x.name for x in p.parent.iterdir())
['t.json']
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import threading
from contextlib import contextmanager
from pathlib import Path

from opslab.core.problems import OpsLabError

TEMP_MARK = ".tmp-"
_THREAD_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def temp_name(path: Path) -> Path:
    """``.<name>.tmp-<pid>-<random>``: unique per writer, and names the process that wrote it."""
    return path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(6)}")


def write_json(path, data) -> None:
    """Write ``data`` as JSON to ``path`` atomically and durably (see the module docstring)."""
    path = Path(path)
    write_bytes(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))


def write_bytes(path, body: bytes) -> None:
    path = Path(path)
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise OpsLabError("workspace.disk_full", file=path.name) from None
        raise


def read_json(path) -> dict | None:
    """The JSON object in ``path``; ``None`` when there is no file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return json.loads(text)


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries (a rename is durable only then), or a file's data, to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def locked(folder):
    """Hold an exclusive lock on ``folder`` (threads of this process and other processes)."""
    folder = Path(folder)
    with _GUARD:
        lock = _THREAD_LOCKS.setdefault(str(folder.resolve()), threading.Lock())
    with lock:
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock


def clean_temps(folder) -> list[str]:
    """Remove temporary files whose writing process is gone (killed mid-save)."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith(".") or TEMP_MARK not in name:
            continue
        try:
            pid = int(name.rsplit(TEMP_MARK, 1)[1].split("-", 1)[0])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not process_alive(pid):
            try:
                entry.unlink()
                removed.append(name)
            except OSError:
                pass
    return removed


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a temp file or lock of a dead writer may be removed)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
