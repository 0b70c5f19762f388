"""The engine interface every OpsLab analysis talks to, and the named-SQL catalog.

SQL lives in plain ``.sql`` files, one statement per ``-- name: <query>`` block, written once
in DuckDB SQL. The DuckDB engine runs it as written; the Spark engine transpiles it with
sqlglot at run time (:mod:`opslab.engine.spark_engine`). Parameters use DuckDB's ``$name``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol, runtime_checkable

from pathlib import Path

import pandas as pd
import pyarrow as pa

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)

@lru_cache(maxsize=None)
def sql_catalog() -> dict[str, str]:
    """Every named query from the ``.sql`` files in the rooms of ``opslab/`` (read once).

    Each room keeps its SQL beside its Python (``opslab/metrics/metrics.sql``, ...); a query
    name is unique across all of them.

    >>> "daily" in sql_catalog()
    True
    """
    queries: dict[str, str] = {}
    root = Path(str(resources.files("opslab")))
    for entry in sorted(root.rglob("*.sql"), key=lambda e: e.name):
        text = entry.read_text(encoding="utf-8")
        marks = list(_NAME.finditer(text))
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            name = mark.group(1)
            if name in queries:
                raise ValueError(f"duplicate query name {name!r} in {entry.name}")
            queries[name] = text[mark.end():end].strip()
    return queries


@runtime_checkable
class Engine(Protocol):
    """What a Dataset needs from an engine.

    ``register`` makes a small in-memory frame a table; ``register_source`` a folder of
    Parquet files or a catalog table (read in place, never pulled into Python); ``run`` runs a
    named query: a SELECT returns a (small) pandas frame, a ``CREATE`` statement materialises a
    table or view inside the engine and returns None. Dates come back as ``datetime64``, times
    as naive ``datetime64`` in UTC wall-clock (both engines run with the session zone UTC).
    """

    name: str

    def register(self, name: str, frame: pd.DataFrame | pa.Table) -> None: ...

    def register_source(self, name: str, location: str, columns: dict[str, str],
                        kind: str = "parquet") -> None: ...

    def run(self, name: str, **params: Any) -> pd.DataFrame | None: ...

    def sql(self, sql: str, **params: Any) -> pd.DataFrame | None: ...

    def close(self) -> None: ...


#: The columns every source view adds after the canonical ones: where each row sits in the
#: source (file path, row within the file; NULL where the engine cannot tell, e.g. a catalog
#: table that is not file-based). Events ordered by time and then by these keep the order of
#: the log as written, which is what an in-memory data set's time-sorted events keep too.
POSITION = ("src_file", "src_row")


def projection(present: list[str], columns: dict[str, str], quote) -> str:
    """``SELECT`` list putting a source in the canonical shape: every column of ``columns``
    (name -> SQL type), cast to its type, and a typed NULL for the ones the source lacks
    (optional columns of the canonical schema). ``quote`` quotes an identifier."""
    have = {c.lower(): c for c in present}
    parts = []
    for col, typ in columns.items():
        src = have.get(col.lower())
        expr = f"CAST({quote(src)} AS {typ})" if src else f"CAST(NULL AS {typ})"
        parts.append(f"{expr} AS {quote(col)}")
    return ", ".join(parts)
