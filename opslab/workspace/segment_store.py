"""Saved segments, stored with the data set: one JSON file per data set,
``<data dir>/segments/<key>.json`` (beside ``targets/<key>.json``), in the workspace's data
directory (:class:`~opslab.workspace.config.WorkspaceConfig`, ``OPSLAB_DATA_DIR``).

The key is the data set's key as the app knows it (``ui.state.dataset_key``): a stored data
set's id, else the full content key of its files. So a stored data set opened later, by the
same person or by a teammate from a link, lists the segments saved on it; a segment is saved
under its name (the same name replaces it) and deleted by name.

Writes follow the workspace's discipline (:mod:`opslab.workspace.atomic`): read the newest
file and write the whole new one through a unique temporary file, fsync and rename, under a
lock on the folder, so two pages saving different segments at once both keep theirs and a
killed server leaves the old file or the new one, never half of one. A name is user text: it is
stored as typed (one printable line, at most :data:`MAX_NAME` characters) and escaped wherever
it is shown.

>>> import tempfile
>>> store = SegmentStore(tempfile.mkdtemp())
>>> store.save("a" * 64, Segment("抖音", rules={"channel": ["抖音"]}), by="li")
1
>>> [s.name for s in store.load("a" * 64).values()], store.load("b" * 64)
(['抖音'], {})
"""

from __future__ import annotations

import time
from pathlib import Path

from opslab.core.keys import is_content_key, is_dataset_id
from opslab.core.problems import OpsLabError
from opslab.metrics.segments import Segment
from opslab.workspace.atomic import clean_temps, locked, read_json, write_json
from opslab.workspace.config import WorkspaceConfig

MAX_NAME = 60
MAX_SEGMENTS = 200
_CACHE: dict[str, tuple[tuple, dict]] = {}  # path -> ((mtime_ns, size), segments): a list is parsed once


def clean_name(name) -> str:
    """A segment name as stored: printable, one line, stripped, at most :data:`MAX_NAME`
    characters; ``segments.bad_name`` when nothing is left."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(name)).strip()[:MAX_NAME].strip()
    if not text:
        raise OpsLabError("segments.bad_name")
    return text


def _row(seg: Segment, by: str, at: float) -> dict:
    return {"name": seg.name, "users": None if seg.users is None else list(seg.users),
            "rules": {dim: list(values) for dim, values in seg.rules}, "saved_by": str(by or ""), "saved_at": float(at)}


def _segment(row: dict) -> Segment:
    if row.get("users") is not None:
        return Segment(row["name"], users=row["users"])
    return Segment(row["name"], rules=row.get("rules") or {})


class SegmentStore:
    """Segments per data set (see the module docstring). ``key``: a stored data set's id or a
    full content key; anything else is refused (``segments.bad_key``), so a key can never
    leave the folder."""

    def __init__(self, root=None, clock=time.time):
        self.root = Path(root) if root is not None else WorkspaceConfig.from_env().data_dir
        self.clock = clock

    def path(self, key: str) -> Path:
        if not (is_dataset_id(key) or is_content_key(key)):
            raise OpsLabError("segments.bad_key")
        return self.root / "segments" / f"{key}.json"

    def rows(self, key: str) -> list[dict]:
        """The stored rows (name, users or rules, saved_by, saved_at), oldest first."""
        body = read_json(self.path(key))
        return list((body or {}).get("segments", []))

    def load(self, key: str) -> dict[str, Segment]:
        """The data set's segments by name, in the order they were first saved ({} when none)."""
        path = self.path(key)
        try:
            st = path.stat()
        except FileNotFoundError:
            return {}
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        hit = _CACHE.get(str(path))
        if hit is not None and hit[0] == stamp:
            return dict(hit[1])
        out = {}
        for row in self.rows(key):
            try:
                out[row["name"]] = _segment(row)
            except (KeyError, TypeError, ValueError):
                continue  # a row no version of this code wrote: skipped, never guessed
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[str(path)] = (stamp, out)
        return dict(out)

    def save(self, key: str, segment: Segment, by: str = "") -> int:
        """Store ``segment`` under its (cleaned) name, replacing one of the same name; the
        number of segments the data set now has."""
        seg = _segment({**_row(segment, by, 0), "name": clean_name(segment.name)})
        return self._change(key, lambda rows: [r for r in rows if r.get("name") != seg.name]
                            + [_row(seg, by, self.clock())])

    def delete(self, key: str, name: str) -> bool:
        """Remove the segment named ``name``; whether there was one."""
        gone = []

        def change(rows):
            kept = [r for r in rows if r.get("name") != name]
            gone.append(len(kept) != len(rows))
            return kept
        self._change(key, change)
        return gone[0]

    def _change(self, key: str, change) -> int:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with locked(path.parent):
            clean_temps(path.parent)
            body = read_json(path) or {}
            rows = change(list(body.get("segments", [])))
            if len(rows) > MAX_SEGMENTS:
                raise OpsLabError("segments.too_many", n=MAX_SEGMENTS)
            if rows or path.exists():
                write_json(path, {"version": int(body.get("version", 0)) + 1, "segments": rows})
            return len(rows)

