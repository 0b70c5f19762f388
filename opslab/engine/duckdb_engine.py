"""The in-process DuckDB engine (the default): named SQL from ``opslab/sql/*.sql`` run as
written, over Arrow frames or Parquet folders read in place.

The session time zone is UTC: timestamps are naive local wall-clock times and must never shift.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from opslab.engine.base import POSITION, projection, sql_catalog

_PARAM = re.compile(r"\$(\w+)")
_COMMENT = re.compile(r"--[^\n]*")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def parquet_glob(location: str) -> str:
    """A folder means every ``*.parquet`` file below it (Hive-style ``key=value`` partition
    folders included); a file or a glob is used as given."""
    path = Path(location)
    return str(path / "**" / "*.parquet") if path.is_dir() else str(location)


class DuckDBEngine:
    """A private DuckDB database holding one data set's tables.

    Tables are registered as Arrow (no copy) or as views over Parquet files; derived tables
    are materialised by the ``prepare`` queries. One lock serialises access, since a
    connection is not meant to be used from two threads at once (Streamlit may run a fragment
    beside a full rerun).

    Examples
    --------
    >>> eng = DuckDBEngine(threads=1)
    >>> eng.sql("SELECT 1 AS x")["x"].tolist()
    [1]
    """

    name = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = None,
                 temp_directory: str | None = None):
        self._con = duckdb.connect(database=":memory:")
        self._con.execute("SET TimeZone = 'UTC'")
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self._con.execute(f"SET memory_limit = '{memory_limit}'")
        if temp_directory:  # where a larger-than-memory Parquet data set spills
            self._con.execute(f"SET temp_directory = '{temp_directory}'")
        self._lock = threading.RLock()
        self._keep: dict[str, Any] = {}  # Arrow tables must outlive their registration

    def register(self, name: str, frame: pd.DataFrame | pa.Table) -> None:
        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        with self._lock:
            self._keep[name] = table
            self._con.register(name, table)

    def register_source(self, name: str, location: str, columns: dict[str, str],
                        kind: str = "parquet") -> None:
        """A view ``name`` over a Parquet folder, read in place (nothing is loaded until a
        query runs, and then only the columns and row groups it needs)."""
        if kind != "parquet":
            raise ValueError(f"the DuckDB engine reads Parquet folders, not {kind!r} sources")
        glob = "'" + parquet_glob(location).replace("'", "''") + "'"
        scan = f"read_parquet({glob}, hive_partitioning = true, union_by_name = true)"
        # the same scan with each row's file and row number (see base.POSITION); the file
        # name is read under a generated name so that it cannot collide with a source column
        placed = (f"read_parquet({glob}, hive_partitioning = true, union_by_name = true, "
                  f"filename = '__opslab_file', file_row_number = true)")
        with self._lock:
            present = [r[0] for r in self._con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
            self._con.execute(f"CREATE OR REPLACE VIEW {_quote(name)} AS "
                              f"SELECT {projection(present, columns, _quote)}, "
                              f"CAST(__opslab_file AS VARCHAR) AS {POSITION[0]}, "
                              f"CAST(file_row_number AS BIGINT) AS {POSITION[1]} "
                              f"FROM {placed}")

    def run(self, name: str, **params: Any) -> pd.DataFrame | None:
        """Run the named query; SELECTs return a DataFrame, DDL returns None."""
        return self.sql(sql_catalog()[name], **params)

    def sql(self, sql: str, **params: Any) -> pd.DataFrame | None:
        used = set(_PARAM.findall(_COMMENT.sub("", sql)))
        missing = used - params.keys()
        if missing:
            raise ValueError(f"missing SQL parameters: {sorted(missing)}")
        args = {k: v for k, v in params.items() if k in used}
        with self._lock:
            rel = self._con.execute(sql, args) if args else self._con.execute(sql)
            if rel.description is None:
                return None
            return rel.fetch_df()

    def close(self) -> None:
        with self._lock:
            self._con.close()

