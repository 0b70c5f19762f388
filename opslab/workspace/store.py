"""Stored data sets: canonical tables as Parquet plus a JSON manifest, written atomically.

Layout under the data directory::

    sets/<id>/manifest.json      name, uploader, rows, date range, files + mapping, settings
    sets/<id>/<table>.parquet    the validated canonical rows of each table
    sets/<id>/.used              its modification time is the last time someone opened the set
    sets/.incoming-<id>-<pid>/   a data set being written (never listed)
    sets/.trash-<id>-<rand>/     a data set being deleted (never listed)

A data set appears only by one ``rename`` of a complete, fsynced directory, so a server killed
mid-upload leaves at most an ``.incoming-`` directory, which the next start removes; the list
is the set of complete directories and has no index file that could be half-written. A rename
of the data set rewrites the manifest through a unique temporary file, fsync and ``os.replace``,
under a lock on the data set's folder (renames and privacy changes are serialised, each raises
the manifest's ``version``); a full disk is ``workspace.disk_full`` and leaves no temporary file.

Access: one team per instance; a data set marked private is listed, opened, renamed and
deleted only by its uploader.

>>> import tempfile, pandas as pd
>>> store = Store(tempfile.mkdtemp())
>>> ev = pd.DataFrame({"user_id": ["a"], "event_time": pd.to_datetime(["2024-01-02"])})
>>> m = store.save({"events": ev}, name="trial.csv", uploader="li", content_key="0" * 64)
>>> [x.name for x in store.list("wang")], store.load(m.id, "wang")["events"].shape
(['trial.csv'], (1, 2))
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from opslab.core.problems import OpsLabError
from opslab.workspace.atomic import clean_temps, fsync_dir, locked, process_alive, write_json
from opslab.core.keys import is_dataset_id, new_dataset_id

MANIFEST = "manifest.json"
USED = ".used"
INCOMING = ".incoming-"
TRASH = ".trash-"
STALE_SECONDS = 3600  # an .incoming- directory of a live process older than this is abandoned
MAX_NAME = 120
TABLES = ("events", "orders", "users", "campaigns", "order_lines")


@dataclass(frozen=True)
class Manifest:
    """What the data set list shows, and what is needed to rebuild the Dataset."""

    id: str
    name: str
    uploader: str
    created_at: float
    rows: dict = field(default_factory=dict)  # table -> row count
    start: str | None = None
    end: str | None = None
    private: bool = False
    content_key: str = ""
    files: list = field(default_factory=list)  # [{name, table, digest, mapping, options}]
    settings: dict = field(default_factory=dict)
    bytes: int = 0
    version: int = 1

    @property
    def n_rows(self) -> int:
        return int(sum(self.rows.values()))

    def visible_to(self, viewer: str | None) -> bool:
        return not self.private or (viewer is not None and viewer == self.uploader)


class Store:
    """The data sets of one team, in ``root`` (see the module docstring for the layout).

    Parameters
    ----------
    root : path
        The data directory (``OPSLAB_DATA_DIR``).
    quota_bytes : int, optional
        Refuse a data set that would take the directory above this size.
    retention_days : int, optional
        :meth:`prune` deletes data sets not opened for this many days.
    """

    def __init__(self, root, quota_bytes: int | None = None, retention_days: int | None = None, clock=time.time):
        self.root = Path(root)
        self.sets = self.root / "sets"
        self.quota_bytes, self.retention_days, self.clock = quota_bytes, retention_days, clock
        self.sets.mkdir(parents=True, exist_ok=True)
        self.recover()

    # -- reading -----------------------------------------------------------------------------
    def list(self, viewer: str | None = None) -> list[Manifest]:
        """Complete data sets the viewer may see, newest first."""
        out = []
        for entry in self.sets.iterdir():
            if not is_dataset_id(entry.name):
                continue
            try:
                m = self._read_manifest(entry.name)
            except (OSError, ValueError):
                continue  # unreadable: never listed, never opened
            if m.visible_to(viewer):
                out.append(m)
        return sorted(out, key=lambda m: (-m.created_at, m.id))

    def get(self, dataset_id: str, viewer: str | None = None) -> Manifest:
        """The manifest of a data set the viewer may see; ``workspace.not_found`` otherwise
        (a private set of someone else looks exactly like a missing one)."""
        if not is_dataset_id(dataset_id):
            raise OpsLabError("workspace.not_found")
        try:
            m = self._read_manifest(dataset_id)
        except (OSError, ValueError):
            raise OpsLabError("workspace.not_found") from None
        if not m.visible_to(viewer):
            raise OpsLabError("workspace.not_found")
        return m

    def load(self, dataset_id: str, viewer: str | None = None) -> dict[str, pd.DataFrame]:
        """The stored canonical tables, and a note that the set was used now (retention)."""
        m = self.get(dataset_id, viewer)
        folder = self.sets / m.id
        tables = {t: pq.read_table(folder / f"{t}.parquet").to_pandas() for t in m.rows}
        self._touch(folder)
        return tables

    def usage_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.sets.rglob("*") if p.is_file())

    # -- writing -----------------------------------------------------------------------------
    def save(self, tables: dict[str, pd.DataFrame], *, name: str, uploader: str, content_key: str,
             start=None, end=None, private: bool = False, files: list | None = None,
             settings: dict | None = None) -> Manifest:
        """Store the tables as a new data set; it appears in :meth:`list` complete or not at all."""
        tables = {t: f for t, f in tables.items() if f is not None and t in TABLES}
        dataset_id = new_dataset_id()
        tmp = self.sets / f"{INCOMING}{dataset_id}-{os.getpid()}"
        tmp.mkdir()
        try:
            size = 0
            for table, frame in tables.items():
                path = tmp / f"{table}.parquet"
                pq.write_table(_arrow(frame), path, compression="zstd")
                fsync_dir(path)
                size += path.stat().st_size
            if self.quota_bytes is not None and self.usage_bytes() > self.quota_bytes:
                raise OpsLabError("workspace.quota_exceeded", used_mb=round((self.usage_bytes() - size) / 2**20, 1),
                                  quota_mb=round(self.quota_bytes / 2**20, 1), need_mb=round(size / 2**20, 1))
            m = Manifest(id=dataset_id, name=_clean_name(name), uploader=str(uploader), created_at=self.clock(),
                         rows={t: int(len(f)) for t, f in tables.items()},
                         start=None if start is None else str(start), end=None if end is None else str(end),
                         private=bool(private), content_key=content_key, files=list(files or []),
                         settings=dict(settings or {}), bytes=size)
            _write_json(tmp / MANIFEST, asdict(m))
            (tmp / USED).touch()
            fsync_dir(tmp / USED)
            fsync_dir(tmp)
            os.rename(tmp, self.sets / dataset_id)  # the one step that makes it exist
            fsync_dir(self.sets)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return m

    def rename(self, dataset_id: str, name: str, viewer: str | None = None) -> Manifest:
        return self._change(dataset_id, viewer, lambda m: replace(m, name=_clean_name(name)))

    def set_private(self, dataset_id: str, private: bool, viewer: str | None = None) -> Manifest:
        def change(m: Manifest) -> Manifest:
            if private and viewer != m.uploader:
                raise OpsLabError("workspace.not_uploader")
            return replace(m, private=bool(private))
        return self._change(dataset_id, viewer, change)

    def _change(self, dataset_id: str, viewer: str | None, change) -> Manifest:
        """Read, change and write the manifest under the data set's lock, raising its version:
        a rename racing "make private" (from another thread or server process) keeps both."""
        self.get(dataset_id, viewer)  # visible to this viewer, else not found
        folder = self.sets / dataset_id
        try:
            with locked(folder):
                clean_temps(folder)
                m = self.get(dataset_id, viewer)  # the newest, read under the lock
                m = replace(change(m), version=m.version + 1)
                self._write_manifest(m)
        except FileNotFoundError:
            raise OpsLabError("workspace.not_found") from None
        return m

    def delete(self, dataset_id: str, viewer: str | None = None) -> Manifest:
        """Remove a data set: it leaves the list in one rename, then its files go."""
        m = self.get(dataset_id, viewer)
        trash = self.sets / f"{TRASH}{m.id}-{secrets.token_hex(4)}"
        os.rename(self.sets / m.id, trash)
        fsync_dir(self.sets)
        shutil.rmtree(trash, ignore_errors=True)
        try:  # its saved segments (opslab.workspace.segment_store) go with it
            (self.root / "segments" / f"{m.id}.json").unlink()
        except FileNotFoundError:
            pass
        return m

    def prune(self, now: float | None = None) -> list[str]:
        """Delete data sets not opened for ``retention_days``; the ids deleted."""
        if self.retention_days is None:
            return []
        cutoff = (self.clock() if now is None else now) - self.retention_days * 86400
        gone = []
        for m in self._all():
            try:
                used = (self.sets / m.id / USED).stat().st_mtime
            except OSError:
                used = m.created_at
            if used < cutoff:
                self.delete(m.id, m.uploader)
                gone.append(m.id)
        return gone

    def recover(self) -> list[str]:
        """Remove what a killed process left behind: incomplete uploads and half-deleted sets."""
        removed = []
        for entry in self.sets.iterdir():
            name = entry.name
            if name.startswith(TRASH) or (name.startswith(INCOMING) and self._abandoned(entry)):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(name)
        return removed

    # -- internals ---------------------------------------------------------------------------
    def _all(self) -> list[Manifest]:
        out = []
        for entry in self.sets.iterdir():
            if is_dataset_id(entry.name):
                try:
                    out.append(self._read_manifest(entry.name))
                except (OSError, ValueError):
                    pass
        return out

    def _abandoned(self, entry: Path) -> bool:
        try:
            pid = int(entry.name.rsplit("-", 1)[1])
        except (IndexError, ValueError):
            return True
        if pid != os.getpid() and not process_alive(pid):
            return True
        try:
            return self.clock() - entry.stat().st_mtime > STALE_SECONDS
        except OSError:
            return False

    def _read_manifest(self, dataset_id: str) -> Manifest:
        data = json.loads((self.sets / dataset_id / MANIFEST).read_text(encoding="utf-8"))
        known = {f for f in Manifest.__dataclass_fields__}
        m = Manifest(**{k: v for k, v in data.items() if k in known})
        if m.id != dataset_id:
            raise ValueError("manifest id does not match its directory")
        return m

    def _write_manifest(self, m: Manifest) -> None:
        _write_json(self.sets / m.id / MANIFEST, asdict(m))

    def _touch(self, folder: Path) -> None:
        try:
            os.utime(folder / USED, (self.clock(), self.clock()))
        except OSError:
            pass


def _clean_name(name: str) -> str:
    """A display name: printable, one line, bounded (never rendered as markdown anyway)."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(name)).strip()
    return (text or "data")[:MAX_NAME]


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """The frame as Arrow; a text column with stray non-text values is stored as text."""
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        fixed = frame.copy()
        for c in fixed.columns:
            if fixed[c].dtype == object:
                fixed[c] = fixed[c].map(lambda v: v if v is None or isinstance(v, str) or v != v else str(v))
        return pa.Table.from_pandas(fixed, preserve_index=False)


def _write_json(path: Path, data: dict) -> None:
    """Write through a unique temporary file, fsync it, ``os.replace`` it, fsync the directory
    (:func:`opslab.workspace.atomic.write_json`; a full disk is ``workspace.disk_full``)."""
    write_json(path, data)
