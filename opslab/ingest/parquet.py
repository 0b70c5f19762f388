"""Parquet files to a table of text, so they take the same mapping and validation as a CSV.

Every column is cast to text by Arrow (times as ISO ``YYYY-MM-DD HH:MM:SS``, numbers in their
shortest round-trip form, time zones converted to the wall-clock time a CSV export would show).
The caps are checked on the file's metadata before any column is read.

Examples
--------
>>> import io, pyarrow.parquet as pq
>>> buf = io.BytesIO(); pq.write_table(pa.table({"id": ["u1"], "amount": [9.5]}), buf)
>>> rows, problems = parquet_rows(buf.getvalue())
>>> rows.values.tolist(), problems
([['id', 'amount'], ['u1', '9.5']], [])
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from opslab.core.problems import ERROR, WARNING, Problem

PARQUET_MAGIC = b"PAR1"
#: Cells (rows x columns) a file may hold: this many, plus so many per byte of the file. Real
#: exports hold well under 4 cells per byte (bench/RESULTS.md: 31.7 M rows x 5 in ~0.3 GB).
CELLS_BASE = 20_000_000
CELLS_PER_BYTE = 64
#: The row groups' declared unpacked size, likewise.
UNPACKED_BASE = 256 * 2**20
UNPACKED_PER_BYTE = 200


def parquet_rows(data: bytes, *, max_rows: int = 10_000_000, max_columns: int = 500
                 ) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The file's column names as the first row, then every row as text (``None`` on error)."""
    try:
        pf = pq.ParquetFile(io.BytesIO(data))
        meta = pf.metadata
    except (pa.ArrowException, OSError, ValueError):
        return None, [Problem("parquet.invalid", ERROR)]
    if meta.num_columns > max_columns:
        return None, [Problem("io.too_many_columns", ERROR, params={"n": meta.num_columns, "limit": max_columns})]
    problems = []
    rows = min(meta.num_rows, max_rows)
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if (rows * max(1, meta.num_columns) > CELLS_BASE + CELLS_PER_BYTE * len(data)
            or unpacked > UNPACKED_BASE + UNPACKED_PER_BYTE * len(data)):
        # A few MB that unpack to hundreds of millions of rows: refused from the footer alone,
        # before a row is decoded (the hostile review's 2.2 MB, 300 M-row file cost 63 s, 3.9 GB).
        return None, [Problem("parquet.too_dense", ERROR, params={"rows": int(meta.num_rows),
                                                                  "size_mb": round(len(data) / 2**20, 1)})]
    if meta.num_rows > max_rows:
        problems.append(Problem("io.rows_truncated", WARNING, params={"limit": max_rows}))
    try:
        batches, got = [], 0
        for batch in pf.iter_batches(batch_size=65_536):  # stop reading at the row limit
            batches.append(batch.slice(0, max_rows - got))
            got += batches[-1].num_rows
            if got >= max_rows:
                break
        table = pa.Table.from_batches(batches, schema=pf.schema_arrow) if batches else pf.schema_arrow.empty_table()
    except (pa.ArrowException, OSError, ValueError):
        return None, [Problem("parquet.invalid", ERROR)]
    names = [str(n) for n in table.column_names]
    cols = []
    for name, col in zip(names, table.columns):
        if pa.types.is_timestamp(col.type) and col.type.tz is not None:
            col = pc.local_timestamp(col)
        if pa.types.is_timestamp(col.type):
            col = _whole_seconds(col)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if not pa.types.is_large_string(col.type):
            try:
                col = col.cast(pa.large_string())
            except (pa.ArrowException, NotImplementedError):
                return None, [Problem("parquet.unsupported_column", ERROR, params={"column": name, "type": str(col.type)})]
        cols.append(col)
    keys = [str(i) for i in range(len(cols))]
    # The header as the first row, as in a CSV (chunks are concatenated, not copied).
    head = pa.table([pa.array([n], pa.large_string()) for n in names], names=keys)
    text = pa.concat_tables([head, pa.table(cols, names=keys)])
    df = text.to_pandas(types_mapper=lambda t: pd.StringDtype(na_value=np.nan)
                        if pa.types.is_string(t) or pa.types.is_large_string(t) else None)
    df.columns = list(range(len(cols)))
    return df, problems


def _whole_seconds(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Times written as a CSV export shows them: ``2025-07-01 08:13:22`` when no value has a
    fraction of a second (Arrow would write ``.000000``, which the fast date parser does not
    take), ``2025-07-03`` when every value is a midnight.

    >>> ts = pa.chunked_array([pa.array([0, 86_400_000_000], pa.timestamp("us"))])
    >>> _whole_seconds(ts).cast(pa.string()).to_pylist()
    ['1970-01-01', '1970-01-02']
    >>> _whole_seconds(pa.chunked_array([pa.array([1_500_000], pa.timestamp("us"))])).cast(pa.string()).to_pylist()
    ['1970-01-01 00:00:01.500000']
    """
    unit = col.type.unit
    if unit == "s" or col.null_count == len(col):
        return col
    try:
        if not pc.all(pc.equal(pc.floor_temporal(col, unit="second"), col)).as_py():
            return col
        if pc.all(pc.equal(pc.floor_temporal(col, unit="day"), col)).as_py():
            return col.cast(pa.date32())
        return col.cast(pa.timestamp("s"))
    except (pa.ArrowException, NotImplementedError):  # out of range for the coarser unit: as it is
        return col
