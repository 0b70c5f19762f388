"""The in-process DuckDB engine: named SQL kept in ``opslab/sql/*.sql``, run over Arrow data.

SQL lives in plain ``.sql`` files, one statement per ``-- name: <query>`` block, so it can be
read, reviewed and later transpiled (sqlglot) to another dialect. Parameters use DuckDB's
``$name`` syntax. The session time zone is UTC: timestamps are naive local wall-clock times
and must never shift.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib import resources
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)
_PARAM = re.compile(r"\$(\w+)")
_COMMENT = re.compile(r"--[^\n]*")


@lru_cache(maxsize=None)
def sql_catalog() -> dict[str, str]:
    """Every named query from the ``opslab/sql`` folder (read once)."""
    queries: dict[str, str] = {}
    folder = resources.files("opslab") / "sql"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        text = entry.read_text(encoding="utf-8")
        marks = list(_NAME.finditer(text))
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            name = mark.group(1)
            if name in queries:
                raise ValueError(f"duplicate query name {name!r} in {entry.name}")
            queries[name] = text[mark.end():end].strip()
    return queries


class Engine:
    """A private DuckDB database holding one data set's tables.

    Tables are registered as Arrow (no copy); derived tables are materialised by the
    ``prepare`` queries. One lock serialises access, since a connection is not meant to be
    used from two threads at once (Streamlit may run a fragment beside a full rerun).

    Examples
    --------
    >>> eng = Engine(threads=1)
    >>> eng.sql("SELECT 1 AS x")["x"].tolist()
    [1]
    """

    def __init__(self, threads: int | None = None, memory_limit: str | None = None):
        self._con = duckdb.connect(database=":memory:")
        self._con.execute("SET TimeZone = 'UTC'")
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self._lock = threading.RLock()
        self._keep: dict[str, Any] = {}  # Arrow tables must outlive their registration

    def register(self, name: str, frame: pd.DataFrame | pa.Table) -> None:
        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        with self._lock:
            self._keep[name] = table
            self._con.register(name, table)

    def run(self, name: str, **params: Any) -> pd.DataFrame | None:
        """Run the named query; SELECTs return a DataFrame, DDL returns None."""
        sql = sql_catalog()[name]
        return self.sql(sql, **params)

    def sql(self, sql: str, **params: Any) -> pd.DataFrame | None:
        used = set(_PARAM.findall(_COMMENT.sub("", sql)))
        missing = used - params.keys()
        if missing:
            raise KeyError(f"missing SQL parameters: {sorted(missing)}")
        args = {k: v for k, v in params.items() if k in used}
        with self._lock:
            rel = self._con.execute(sql, args) if args else self._con.execute(sql)
            if rel.description is None:
                return None
            return rel.fetch_df()

    def close(self) -> None:
        with self._lock:
            self._con.close()
