"""Read uploaded bytes (CSV / TSV / TXT / Parquet / Excel and OpenDocument sheets) into a
DataFrame of raw strings.

Nothing here raises on bad input: every difficulty becomes a :class:`~opslab.core.problems.Problem`
(codes ``io.*``) in the result's report, and ``df`` is ``None`` when the file is unusable.
Typing the cells (dates, money) is the job of :mod:`opslab.ingest.validate`; reading only finds
the encoding (:mod:`~opslab.ingest.encoding`), the delimiter (:mod:`~opslab.ingest.delimited`),
the sheet (:mod:`~opslab.ingest.excel`) and the header row (:mod:`~opslab.ingest.header`), and
hands back trimmed strings. This module holds the entry point and the tail every format shares.

Examples
--------
>>> res = read_table("用户ID,金额\\nu1,9.5\\n".encode("gbk"), "orders.csv")
>>> res.encoding, res.has_header, list(res.df.columns), res.df.iloc[0, 1]
('gb18030', True, ['用户ID', '金额'], '9.5')
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd

from opslab.ingest.arrow_memory import use_returning_allocator
from opslab.ingest.delimited import text_rows
from opslab.ingest.excel import excel_kind, read_excel
from opslab.ingest.fastparse import byte_lengths, strip_text
from opslab.ingest.header import clean_name, looks_like_header, unique_names
from opslab.ingest.parallel import run_all
from opslab.ingest.parquet import PARQUET_MAGIC, parquet_rows
from opslab.ingest.read_result import ReadOptions, ReadResult, fail
from opslab.core.problems import ERROR, INFO, MAX_EXAMPLES, WARNING, Problem

__all__ = ["ReadOptions", "ReadResult", "read_table"]
use_returning_allocator()  # big uploads: freed Arrow buffers go back to the system at once


def read_table(data: bytes, filename: str = "", options: ReadOptions = ReadOptions()) -> ReadResult:
    """Turn the bytes of an uploaded file into a table of raw strings. Never raises.

    Parameters
    ----------
    data : bytes
        The file content.
    filename : str
        Used only as a hint (``.xlsx`` / ``.xls``); content sniffing decides.
    options : ReadOptions
        Limits and overrides.

    Returns
    -------
    ReadResult

    Examples
    --------
    >>> read_table(b"").report.problems[0].code
    'io.empty_file'
    """
    res = ReadResult(df=None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _read(bytes(data), filename.lower(), options, res)
    except Exception as exc:  # the promise is "never raise": report and give up
        res.df, res.n_rows = None, 0
        res.report.add(Problem("io.unreadable", ERROR, params={"error": type(exc).__name__}))
    return res


def _read(data: bytes, name: str, opt: ReadOptions, res: ReadResult) -> None:
    if not data[:65536].strip() and not data.strip():  # (the head decides for any real file: no full copy)
        return fail(res, "io.empty_file")
    if len(data) > opt.max_bytes:
        return fail(res, "io.too_large", size_mb=round(len(data) / 1024**2, 1),
                    limit_mb=round(opt.max_bytes / 1024**2, 1))
    kind = excel_kind(data, name)
    if kind == "ole" and name.endswith((".xlsx", ".xlsm")):
        return fail(res, "io.xlsx_encrypted")
    if kind is not None:
        rows, chosen = _excel_rows(data, opt, res)
        if rows is not None and chosen:  # the user picked the header row: it is the header
            opt = replace(opt, header=True)
    elif data[:4] == PARQUET_MAGIC and data[-4:] == PARQUET_MAGIC:
        rows = _parquet_rows(data, opt, res)
        opt = replace(opt, header=True)
    else:
        if not lines_bounded(data, opt.max_line_bytes):
            return fail(res, "io.line_too_long", limit_mb=round(opt.max_line_bytes / 2**20, 1))
        rows = text_rows(data, opt, res)
        res.n_lines = physical_lines(data)
        # Without a quote character no cell of a text file can span lines: skip that scan.
        if rows is not None:
            return _finish(rows, opt, res, multiline=b'"' in data)
    if rows is not None:
        _finish(rows, opt, res)


def physical_lines(data: bytes) -> int:
    """Lines as an editor (or ``wc -l`` plus an unterminated last line) counts them.

    >>> physical_lines(b"a\\nb\\n"), physical_lines(b"a\\r\\nb"), physical_lines(b"")
    (2, 2, 0)
    """
    if not data:
        return 0
    n = data.count(b"\n")
    if n == 0 and b"\r" in data:  # old Mac line ends
        n = data.count(b"\r")
        return n + (not data.endswith(b"\r"))
    return n + (not data.endswith(b"\n"))


def lines_bounded(data: bytes, limit: int) -> bool:
    """False when some window of ``limit`` bytes holds no line break (so a line at least that
    long); True guarantees every line is shorter than ``2 * limit``. One ``find`` per ``limit``
    bytes, each stopping at the first break: microseconds for a 1 GB file, before anything is
    decoded or split.

    >>> lines_bounded(b"a,b\\n" * 10, 8), lines_bounded(b"x" * 100 + b"\\n", 8), lines_bounded(b"x" * 7, 8)
    (True, False, True)
    """
    for start in range(0, len(data) - limit + 1, limit):  # whole windows only
        if data.find(b"\n", start, start + limit) < 0 and data.find(b"\r", start, start + limit) < 0:
            return False
    return True


# ----------------------------------------------------------------------------- spreadsheets


def _excel_rows(data: bytes, opt: ReadOptions, res: ReadResult) -> tuple[pd.DataFrame | None, bool]:
    got = read_excel(data, sheet=opt.sheet, header_row=opt.header_row,
                     max_rows=min(opt.max_rows, opt.max_sheet_rows), max_columns=opt.max_columns)
    res.sheets, res.sheet_names, res.sheet = got.sheets, [s["name"] for s in got.sheets], got.sheet
    res.header_rows, res.header_row = got.header_rows, got.header_row
    for p in got.problems:
        res.report.add(p)
    if got.rows is None:
        res.df = None
        return None, False
    return got.rows, got.header_chosen


# ----------------------------------------------------------------------------- Parquet


def _parquet_rows(data: bytes, opt: ReadOptions, res: ReadResult) -> pd.DataFrame | None:
    rows, problems = parquet_rows(data, max_rows=opt.max_rows, max_columns=opt.max_columns)
    for p in problems:
        res.report.add(p)
    if rows is None:
        res.df = None
    return rows


# ----------------------------------------------------------------------------- shared tail


def _finish(df: pd.DataFrame, opt: ReadOptions, res: ReadResult, multiline: bool = True) -> None:
    keep_rows = np.zeros(len(df), dtype=bool)  # rows with any cell: from each column's lengths
    filled_cols = []
    trimmed = run_all({c: partial(_trimmed, df[c]) for c in df.columns}, rows=len(df))
    for c in df.columns:
        df[c], filled = trimmed.pop(c)
        keep_rows |= filled
        filled_cols.append(bool(filled.any()))
    n_empty = int((~keep_rows).sum())
    if n_empty:  # filtering copies every column: only when there is something to drop
        df = df[keep_rows]
    keep_cols = pd.Series(filled_cols, index=df.columns)  # the dropped rows had no cell anyway
    if n_empty:
        res.report.add(Problem("io.empty_rows_dropped", INFO, count=n_empty, params={"n": n_empty}))
    if not keep_cols.all():
        n = int((~keep_cols).sum())
        res.report.add(Problem("io.empty_columns_dropped", INFO, count=n, params={"n": n}))
        df = df.loc[:, keep_cols]
    if df.shape[0] == 0 or df.shape[1] == 0:
        return fail(res, "io.empty_file")
    if df.shape[1] > opt.max_columns:
        return fail(res, "io.too_many_columns", n=df.shape[1], limit=opt.max_columns)
    has_header = looks_like_header(df) if opt.header is None else bool(opt.header)
    if has_header:
        names = [clean_name(v, i) for i, v in enumerate(df.iloc[0], 1)]
        df = df.iloc[1:]
    else:
        names = [f"col_{i}" for i in range(1, df.shape[1] + 1)]
        if opt.header is None:
            res.report.add(Problem("io.no_header_detected", INFO))
    unique, renamed = unique_names(names)
    if renamed:
        res.report.add(Problem("io.duplicate_headers", INFO, count=len(renamed),
                               params={"names": ", ".join(dict.fromkeys(renamed))}))
    res.has_header = has_header
    if len(df) == 0:
        return fail(res, "io.no_data_rows", columns=", ".join(unique))
    if len(df) > opt.max_rows:
        df = df.iloc[: opt.max_rows]
        res.report.add(Problem("io.rows_truncated", WARNING, params={"limit": opt.max_rows}))
    df = df.set_axis(unique, axis=1).reset_index(drop=True)
    if multiline:
        _report_multiline(df, 2 if has_header else 1, res)
    if df.shape[1] == 1:
        res.report.add(Problem("io.single_column", INFO, params={"column": unique[0]}))
    res.df, res.n_rows = df, len(df)


def _trimmed(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The column trimmed, empty cells missing, and the mask of cells with any character."""
    s = strip_text(s)
    filled = byte_lengths(s) > 0  # from Arrow's offsets for Arrow text: no scan
    empty = ~filled & s.notna().to_numpy(dtype=bool)  # "" (a missing cell is missing already)
    return (s.mask(empty) if empty.any() else s), filled  # no copy when nothing is empty


def _report_multiline(df: pd.DataFrame, first_row: int, res: ReadResult) -> None:
    """Cells holding line breaks: a quoted field spanning lines. Legitimate in remarks, but a
    stray quote that opens in one row and closes hundreds of lines later swallows those rows
    into one cell, so the rows and the number of lines are named."""
    lines = np.zeros(len(df), dtype=np.int64)  # lines in the row's tallest cell (0: none)
    for c in df.columns:
        col = df[c]
        has = col.str.contains("\n", regex=False).fillna(False).to_numpy(dtype=bool)
        if has.any():
            idx = np.flatnonzero(has)
            lines[idx] = np.maximum(lines[idx], col[has].str.count("\n").to_numpy() + 1)
    rows_hit = np.flatnonzero(lines)
    if not len(rows_hit):
        return
    worst = rows_hit[np.argsort(-lines[rows_hit], kind="stable")[:MAX_EXAMPLES]]
    rows = ", ".join(f"{i + first_row} ({lines[i]})" for i in sorted(worst))
    total = int((lines[rows_hit] - 1).sum())
    res.n_spanning, res.n_spanned_lines = int(len(rows_hit)), total
    severity = WARNING if int(lines.max()) >= 10 or total >= 50 else INFO
    res.report.add(Problem("io.multiline_cells", severity, count=len(rows_hit),
                           examples=tuple((int(i) + first_row, None) for i in sorted(worst)),
                           params={"n": len(rows_hit), "rows": rows, "lines": total}))
