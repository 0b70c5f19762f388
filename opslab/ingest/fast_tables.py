"""Whole-table fast paths of ingest: exact duplicate rows by DuckDB row hashes, rows taken
from Arrow text column by column and chunk by chunk, and the text columns validation adds
(row ids, empty text) built in Arrow rather than from Python lists.

>>> exact_duplicates(pd.DataFrame({"a": ["x", "y", "x", None, None]})).tolist()
[False, False, True, False, True]
>>> rows_at(pd.DataFrame({"a": ["x", "y", "z"]}), np.array([2, 0]))["a"].tolist()
['z', 'x']
>>> row_ids(2).tolist(), null_text(1).isna().tolist()
(['row-2', 'row-3'], [True])
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from opslab.ingest.fastparse import filter_rows

#: Below this many rows pandas' own ``duplicated`` is as fast as hashing in DuckDB.
HASH_MIN_ROWS = 100_000


def shared_hashes(h: np.ndarray) -> np.ndarray:
    """Positions of the hashes that occur more than once (in order).

    Sorted (NumPy's vectorised sort), equal neighbours give the repeated values, few in any
    real table; only those go into a hash table to mark their positions. About 5x cheaper at
    10 M rows than putting every hash into a table (``duplicated``), which misses the cache
    on each row.
    """
    hs = np.sort(h)
    repeated = hs[1:][hs[1:] == hs[:-1]]
    del hs
    if not len(repeated):
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(pd.Series(h, copy=False).isin(np.unique(repeated)).to_numpy(dtype=bool))


def repeated_rows(raw: pd.DataFrame, min_rows: int = HASH_MIN_ROWS, threads: int = 2) -> np.ndarray | None:
    """Positions of the rows whose 64-bit hash occurs more than once (a superset of the
    duplicate rows, few in any real table), from one hash of every row computed by DuckDB on
    all cores. ``None`` when the table is small, not all text, or DuckDB cannot hash it: then
    pandas compares the rows itself."""
    if len(raw) < min_rows or not raw.shape[1] or \
            not all(isinstance(t, pd.StringDtype) for t in raw.dtypes):
        return None
    try:
        names = [f"c{j}" for j in range(raw.shape[1])]
        table = pa.Table.from_arrays([pa.array(raw.iloc[:, j]) for j in range(raw.shape[1])],
                                     names=names)
        con = duckdb.connect(config={"threads": threads})
        con.execute("SET enable_progress_bar = false")
        con.register("t", table)
        h = con.execute(f"SELECT hash({', '.join(names)}) AS h FROM t").arrow()
        con.close()
    except (duckdb.Error, pa.ArrowException):
        return None
    return shared_hashes((h if isinstance(h, pa.Table) else h.read_all()).column("h").to_numpy())


def exact_duplicates(raw: pd.DataFrame, within: np.ndarray | None = None,
                     repeated: np.ndarray | None = None) -> np.ndarray:
    """``raw.duplicated(keep="first")`` as a boolean array: every row equal (cell for cell,
    missing equal to missing) to an earlier row; with ``within`` (a mask) only those rows are
    compared, and the others are never duplicates.

    Large tables of text: only the rows of :func:`repeated_rows` (given, or computed here)
    are compared exactly by pandas, so the answer is exact and the cost is one hash pass when
    duplicates are few.

    >>> exact_duplicates(pd.DataFrame({"a": ["x", "y", "x", None, None]})).tolist()
    [False, False, True, False, True]
    >>> exact_duplicates(pd.DataFrame({"a": ["x", "y", "x", "x"]}), np.array([0, 1, 1, 1], bool)).tolist()
    [False, False, False, True]
    """
    n = len(raw)
    if repeated is None:
        repeated = repeated_rows(raw)
    dup = np.zeros(n, dtype=bool)
    if repeated is not None:
        cand = repeated if within is None else repeated[within[repeated]]
        if len(cand):
            dup[cand] = rows_at(raw, cand).duplicated(keep="first").to_numpy(dtype=bool)
        return dup
    pos = np.arange(n) if within is None else np.flatnonzero(within)
    sub = raw if len(pos) == n else rows_at(raw, pos)
    try:
        dup[pos] = sub.duplicated(keep="first").to_numpy(dtype=bool)
    except TypeError:  # unhashable cells: compare as text
        dup[pos] = sub.astype("str").duplicated(keep="first").to_numpy(dtype=bool)
    return dup


def take_rows(s: pd.Series, pos: np.ndarray) -> pd.Series:
    """``s.iloc[pos]`` with a fresh index. Arrow text is taken chunk by chunk: a take from a
    column of many chunks (one per 4 MiB block read) first joins them all, ~0.07 s per call
    and column at 10 M rows however few rows are taken."""
    pos = np.asarray(pos, dtype=np.int64)
    arr = getattr(s.array, "_pa_array", None)
    if not isinstance(arr, pa.ChunkedArray) or arr.num_chunks < 2 or not isinstance(s.dtype, pd.StringDtype):
        return s.iloc[pos].reset_index(drop=True)
    starts = np.cumsum([0] + [len(c) for c in arr.chunks])
    order = np.argsort(pos, kind="stable")
    ordered = pos[order]
    which = np.searchsorted(starts, ordered, side="right") - 1
    cuts = np.searchsorted(which, np.arange(arr.num_chunks + 1))
    pieces = [arr.chunk(k).take(pa.array(ordered[cuts[k]:cuts[k + 1]] - starts[k]))
              for k in range(arr.num_chunks) if cuts[k + 1] > cuts[k]]
    got = pa.chunked_array(pieces, type=arr.type)
    if len(order) > 1 and not bool((order[1:] > order[:-1]).all()):  # back to the asked order
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        got = got.take(pa.array(inverse))
    return pd.Series(pd.array(got, dtype=s.dtype), name=s.name)


def rows_at(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The rows at ``rows`` (a boolean mask or positions), with a fresh index, column by column
    (a DataFrame's boolean filter also filters its index: 0.3 s at 10 M rows)."""
    rows = np.asarray(rows)
    pos = np.flatnonzero(rows) if rows.dtype == bool else rows
    if not frame.columns.is_unique:
        return frame.iloc[pos].reset_index(drop=True)
    if rows.dtype == bool and len(pos) == len(frame):
        return frame.reset_index(drop=True)
    if rows.dtype == bool and len(pos) > len(frame) // 8:  # many rows: one filter pass a column
        return pd.DataFrame({c: filter_rows(frame[c], rows) for c in frame.columns}, copy=False)
    return pd.DataFrame({c: take_rows(frame[c], pos) for c in frame.columns}, copy=False)


def null_text(n: int) -> pd.Series:
    """``n`` missing cells of the ``str`` dtype, without a Python list of ``None``."""
    return pd.Series(pd.array(pa.nulls(n, pa.large_string()), dtype="str"))


def row_ids(n: int) -> pd.Series:
    """``"row-2"``, ``"row-3"``, ...: the spreadsheet row of each data row, built in Arrow."""
    nums = pc.cast(pa.array(np.arange(2, n + 2, dtype=np.int64)), pa.large_string())
    ids = pc.binary_join_element_wise(pa.scalar("row-", pa.large_string()), nums,
                                      pa.scalar("", pa.large_string()))
    return pd.Series(pd.array(ids, dtype="str"))
