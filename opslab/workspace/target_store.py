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
>>> store.load("a" * 64)[0].value, store.load("b" * 64)
(1000000.0, [])
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from opslab.dataset.load import LoadResult, files_key
from opslab.core.problems import OpsLabError
from opslab.planning.targets import COLUMNS, Target
from opslab.workspace.config import WorkspaceConfig
from opslab.core.keys import is_content_key, is_dataset_id
from opslab.workspace.store import Store


def data_dir(root=None) -> Path:
    """``root`` when given, else the workspace's data directory (``OPSLAB_DATA_DIR``)."""
    return Path(root) if root is not None else WorkspaceConfig.from_env().data_dir


class TargetStore:
    """Targets per data set, one JSON file each: ``<root>/targets/<key>.json``.

    ``key`` is a stored data set's id or a full content key (:mod:`opslab.core.keys`);
    anything else is refused (``targets.bad_key``), so a key can never leave the folder.
    """

    def __init__(self, root=None):
        self.root = data_dir(root)

    def path(self, key: str) -> Path:
        if not (is_dataset_id(key) or is_content_key(key)):
            raise OpsLabError("targets.bad_key")
        return self.root / "targets" / f"{key}.json"

    def load(self, key: str) -> list[Target]:
        path = self.path(key)
        if not path.exists():
            return []
        rows = json.loads(path.read_text(encoding="utf-8")).get("targets", [])
        return [Target(**{c: r[c] for c in COLUMNS if c in r}) for r in rows]

    def save(self, key: str, targets) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"version": 1, "targets": [asdict(t) for t in targets]}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)  # atomic: a teammate never reads half a file


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
