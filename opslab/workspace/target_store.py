"""Where targets live and under which key: one JSON file per data set,
``<data dir>/targets/<key>.json``, in the workspace's data directory
(:class:`~opslab.workspace.config.WorkspaceConfig`, ``OPSLAB_DATA_DIR``).

The key is the data set's key as the app knows it (``ui.state.dataset_key``): a stored data
set's id, else the full content key of its files (:func:`opslab.dataset.load.files_key`: bytes,
mapping, how they were read, the upload's decisions and currency). The Targets screen saves
under that key; the command line (``python -m opslab report``) and a notebook
(:func:`saved_targets`) find the key of the files they load with :func:`dataset_key_of`: the
id of the stored data set made from the same files and choices, else the content key. So
targets entered in the app are the ones the report and the notebook read.

>>> import tempfile
>>> store = TargetStore(tempfile.mkdtemp())
>>> store.save("a" * 64, [Target("gmv", "2026Q3", 1e6)])
1
>>> store.load("a" * 64)[0].value, store.load("b" * 64)
(1000000.0, [])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from opslab.dataset.load import LoadResult, files_key
from opslab.core.problems import OpsLabError
from opslab.planning.targets import COLUMNS, Target
from opslab.workspace.atomic import clean_temps, locked, read_json, write_json
from opslab.workspace.config import WorkspaceConfig
from opslab.core.keys import is_content_key, is_dataset_id
from opslab.workspace.store import Store


def data_dir(root=None) -> Path:
    """``root`` when given, else the workspace's data directory (``OPSLAB_DATA_DIR``)."""
    return Path(root) if root is not None else WorkspaceConfig.from_env().data_dir


@dataclass(frozen=True)
class SavedTargets:
    """What a save left on disk: the targets, their version, and what a teammate changed
    meanwhile that this save merged with (``merged``: their (kpi, period) keys)."""

    targets: list
    version: int
    merged: tuple = ()


class TargetStore:
    """Targets per data set, one JSON file each: ``<root>/targets/<key>.json``.

    ``key`` is a stored data set's id or a full content key (:mod:`opslab.core.keys`);
    anything else is refused (``targets.bad_key``), so a key can never leave the folder.

    Every file carries a ``version``, raised by one at each save. Saves are atomic
    (:mod:`opslab.workspace.atomic`: unique temporary file, fsync, rename) and serialised;
    :meth:`update` applies one page's edits to the newest file, so two pages editing different
    targets both keep theirs, and a page whose target a teammate changed meanwhile is refused
    (``targets.conflict``, naming the targets) instead of overwriting it.
    """

    def __init__(self, root=None):
        self.root = data_dir(root)

    def path(self, key: str) -> Path:
        if not (is_dataset_id(key) or is_content_key(key)):
            raise OpsLabError("targets.bad_key")
        return self.root / "targets" / f"{key}.json"

    def load(self, key: str) -> list[Target]:
        return self.load_versioned(key)[0]

    def load_versioned(self, key: str) -> tuple[list[Target], int]:
        """The targets and their version (0: nothing saved yet)."""
        body = read_json(self.path(key))
        if body is None:
            return [], 0
        rows = body.get("targets", [])
        return [Target(**{c: r[c] for c in COLUMNS if c in r}) for r in rows], int(body.get("version", 1))

    def save(self, key: str, targets, *, base_version: int | None = None) -> int:
        """Replace the targets; the new version. With ``base_version``, refuse
        (``targets.conflict``) when the file changed since that version."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with locked(path.parent):
            clean_temps(path.parent)
            current, version = self.load_versioned(key)
            if base_version is not None and version != base_version:
                names = sorted({f"{t.kpi} {t.period}" for t in set(current) ^ set(targets)})
                raise OpsLabError("targets.conflict", targets=", ".join(names[:5]) or "-")
            write_json(path, {"version": version + 1, "targets": [asdict(t) for t in targets]})
            return version + 1

    def update(self, key: str, base, mine, base_version: int) -> SavedTargets:
        """Apply the edits that turned ``base`` (read at ``base_version``) into ``mine`` to the
        newest saved targets. Edits to targets nobody else touched merge; a target both this
        page and a teammate changed since ``base_version`` is a conflict: nothing is written and
        ``targets.conflict`` names it."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        before, after = _by_key(base), _by_key(mine)
        edits = {k: after.get(k) for k in set(before) | set(after) if before.get(k) != after.get(k)}
        with locked(path.parent):
            clean_temps(path.parent)
            current, version = self.load_versioned(key)
            theirs = _by_key(current)
            merged: tuple = ()
            if version != base_version:
                clash = [k for k, v in edits.items() if theirs.get(k) != before.get(k) and theirs.get(k) != v]
                if clash:
                    raise OpsLabError("targets.conflict", targets=", ".join(f"{k[0]} {k[1]}" for k in sorted(clash)[:5]))
                merged = tuple(sorted(k for k in set(theirs) | set(before) if theirs.get(k) != before.get(k)))
            for k, v in edits.items():
                if v is None:
                    theirs.pop(k, None)
                else:
                    theirs[k] = v
            targets = [theirs[k] for k in sorted(theirs)]
            write_json(path, {"version": version + 1, "targets": [asdict(t) for t in targets]})
            return SavedTargets(targets, version + 1, merged)


def _by_key(targets) -> dict:
    return {(t.kpi, t.period): t for t in targets}


def dataset_key_of(content_key: str, root=None) -> str:
    """The key the app uses for data with this content key: the id of the newest stored data
    set (visible without signing in) made from the same files and choices, else the content
    key itself (the built-in sample, an upload that was not stored)."""
    if not (data_dir(root) / "sets").is_dir():
        return content_key
    same = [m for m in Store(data_dir(root)).list() if m.content_key == content_key]
    return same[0].id if same else content_key


def saved_targets(loaded: LoadResult, root=None) -> list[Target]:
    """The targets saved in the app for the data a :func:`opslab.load` call loaded.

    Examples
    --------
    >>> import tempfile, opslab
    >>> res = opslab.load(("orders.csv", b"user_id,order_time,amount\\nu1,2024-01-05,30\\n"))
    >>> saved_targets(res, tempfile.mkdtemp())
    []
    """
    if loaded.dataset is None:
        return []
    key = dataset_key_of(files_key(list(loaded.files), loaded.dataset.currency), root)
    return TargetStore(root).load(key)
