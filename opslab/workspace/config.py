"""Workspace settings from the environment: where data sets live, quota, retention.

>>> cfg = WorkspaceConfig.from_env({"OPSLAB_DATA_DIR": "/srv/opslab", "OPSLAB_QUOTA_MB": "500",
...                                 "OPSLAB_RETENTION_DAYS": "90"})
>>> str(cfg.data_dir), cfg.quota_bytes, cfg.retention_days
('/srv/opslab', 524288000, 90)
>>> WorkspaceConfig.from_env({}).quota_bytes is None
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

DEFAULT_DIR = ".opslab_data"


@dataclass(frozen=True)
class WorkspaceConfig:
    """Where stored data sets live and how much of them to keep.

    Parameters
    ----------
    data_dir : Path
        The data directory (``OPSLAB_DATA_DIR``, default ``.opslab_data/``, gitignored).
    quota_bytes : int or None
        Refuse a new data set when the directory would exceed this (``OPSLAB_QUOTA_MB``).
    retention_days : int or None
        Delete data sets nobody opened for this many days (``OPSLAB_RETENTION_DAYS``).
    """

    data_dir: Path = Path(DEFAULT_DIR)
    quota_bytes: int | None = None
    retention_days: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "WorkspaceConfig":
        env = os.environ if env is None else env
        quota = _positive(env.get("OPSLAB_QUOTA_MB"))
        return cls(
            data_dir=Path(env.get("OPSLAB_DATA_DIR") or DEFAULT_DIR),
            quota_bytes=None if quota is None else int(quota * 1024 * 1024),
            retention_days=None if (days := _positive(env.get("OPSLAB_RETENTION_DAYS"))) is None else int(days),
        )


def _positive(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and value > 0 else None
