"""Spreadsheets (.xlsx, .xlsm, .xlsb, .xls, .ods) to a table of text, robust by construction.

The workbook is parsed by python-calamine (Rust) in a separate process
(:mod:`opslab.ingest.excel_worker`) whose memory is capped at a fixed size and whose time is
limited: a hostile file costs that process, never the server's memory
or its Python threads (the server only waits on a pipe). Before the parser allocates, the
worker (memory capped at a fixed size, CPU seconds capped by the kernel at a small base plus a
fixed multiple of the file's size, run at a low priority) checks the unpacked size of the zip, counts every ``<row>`` (empty ones too) and the
box of the cells that hold values (the claimed ``<dimension>`` is ignored), and refuses cells
longer than Excel's own 32,767-character limit.

Hidden sheets are listed but never read unless chosen; without a choice the first visible
sheet with data is read. Title rows above the header are detected and offered as a choice of
header row.

Examples
--------
>>> excel_kind(b"PK\\x03\\x04...", "orders.xlsx"), excel_kind(b"id,amount\\n", "a.csv")
('zip', None)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from opslab.core.problems import ERROR, INFO, WARNING, Problem

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, also password-protected .xlsx
EXTENSIONS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
#: Worker memory: a fixed cap, whatever the file's size (issue 28: a cap growing at 64x the
#: size let a 42.6 MB workbook hold 3.5 GB for 192 s). The sheet limits (rows, columns, cells,
#: unpacked size) bound what a workbook under it can ask for.
MEMORY_BASE = 1536 * 2**20
MEMORY_PER_BYTE = 0
#: The worker runs at this niceness: on a busy core the server's page runs go first.
NICE = 15
#: The zip may unpack to at most this multiple of its size (real workbooks: 3-15x) ...
UNPACKED_PER_BYTE = 40
#: ... and never beyond this, whatever the multiple.
MAX_UNPACKED = 2 * 2**30
#: Worker CPU seconds, enforced by the kernel (RLIMIT_CPU): a small base plus
#: a fixed multiple of the size (issue 28: an 11 KB workbook cost 31 s of one core).
TIME_BASE_S = 5.0
TIME_PER_MB_S = 2.0
WALL_FACTOR = 6
_ROOT = str(Path(__file__).resolve().parents[2])


def excel_kind(data: bytes, name: str = "") -> str | None:
    """``"zip"`` (xlsx / xlsm / xlsb / ods), ``"ole"`` (xls, or an encrypted xlsx), else None."""
    if data.startswith(ZIP_MAGIC):
        return "zip"
    if data.startswith(OLE_MAGIC):
        return "ole"
    return None


@dataclass
class ExcelRead:
    """The chosen sheet's cells as text (row ``i`` is sheet row ``i + 1``) and what was seen."""

    rows: pd.DataFrame | None
    problems: list[Problem] = field(default_factory=list)
    sheets: list[dict] = field(default_factory=list)  # name, visible, worksheet
    sheet: str | None = None
    header_rows: list[int] = field(default_factory=list)  # sheet rows offered as the header
    header_row: int | None = None  # the sheet row used as the header (1-based)
    header_chosen: bool = False  # the caller's header row differs from the detected one


def memory_limit(size: int) -> int:
    return MEMORY_BASE + MEMORY_PER_BYTE * size


def read_excel(data: bytes, *, sheet: str | int | None = None, header_row: int | None = None,
               max_rows: int = 1_000_000, max_columns: int = 500) -> ExcelRead:
    """Read one sheet of a workbook as text. Never raises; errors are in ``problems``."""
    opts = {"sheet": sheet, "max_rows": max_rows, "max_columns": max_columns,
            "max_unpacked": min(MAX_UNPACKED, max(64 * 2**20, UNPACKED_PER_BYTE * len(data))),
            "max_memory": memory_limit(len(data)), "nice": NICE,
            "max_cpu_seconds": int(TIME_BASE_S + TIME_PER_MB_S * len(data) / 2**20) + 1}
    env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "system", "PYTHONPATH": _ROOT,
           "OMP_NUM_THREADS": "1"}
    cpu_seconds = int(TIME_BASE_S + TIME_PER_MB_S * len(data) / 2**20) + 1
    # Wall clock: generous, since the worker runs niced and may wait for a busy core; the CPU
    # it may burn is what the kernel limit above bounds.
    wall = WALL_FACTOR * cpu_seconds + 30
    try:
        # The worker file is run by path in isolated mode (-I): it imports only numpy, pyarrow
        # and calamine, never the opslab package (whose API would pull in every model library).
        proc = subprocess.run([sys.executable, "-I", str(Path(__file__).with_name("excel_worker.py")),
                               json.dumps(opts)],
                              input=data, capture_output=True, timeout=wall, env=env, cwd=_ROOT)
    except subprocess.TimeoutExpired:
        return ExcelRead(None, [Problem("excel.too_complex", ERROR, params={"seconds": cpu_seconds})])
    if proc.returncode != 0 or not proc.stdout:
        return ExcelRead(None, [Problem("excel.too_complex", ERROR, params={"seconds": cpu_seconds})])
    try:
        table = pa.ipc.open_stream(proc.stdout).read_all()
        info = json.loads(table.schema.metadata[b"opslab"])
    except (pa.ArrowException, KeyError, ValueError, TypeError):
        return ExcelRead(None, [Problem("excel.too_complex", ERROR, params={"seconds": cpu_seconds})])
    out = ExcelRead(None, sheets=info.get("sheets", []), sheet=info.get("sheet"))
    if info.get("error"):
        params = info.get("params", {})
        if info["error"] == "excel.too_complex":
            params = {"seconds": cpu_seconds}
        out.problems.append(Problem(info["error"], ERROR, params=params))
        return out
    hidden = [s["name"] for s in out.sheets if not s["visible"]]
    if hidden and sheet is None:
        out.problems.append(Problem("excel.hidden_sheets", INFO, count=len(hidden),
                                    params={"sheets": ", ".join(hidden), "sheet": out.sheet}))
    visible = [s["name"] for s in out.sheets if s["visible"] and s["worksheet"]]
    if sheet is None and visible and out.sheet != visible[0]:
        out.problems.append(Problem("io.sheet_auto_selected", INFO, params={"sheet": out.sheet}))
    n_formulas = int(info.get("formulas_without_value", 0))
    if n_formulas:
        cells = ", ".join(info.get("formula_examples", []))
        out.problems.append(Problem("excel.formulas_without_value", WARNING, count=n_formulas,
                                    examples=tuple((c, None) for c in info.get("formula_examples", [])),
                                    params={"n": n_formulas, "cells": cells}))
    frame = table.to_pandas(types_mapper={pa.large_string(): pd.StringDtype(na_value=float("nan"))}.get)
    frame.columns = list(range(frame.shape[1]))
    out.rows = frame
    _choose_header(out, header_row)
    return out


def title_rows(frame: pd.DataFrame, look: int = 30) -> tuple[list[int], int | None]:
    """Sheet rows worth offering as the header, and the one that looks like it.

    A title row ("2024年订单明细", a date line, a note) fills one or two cells above a table that
    fills many: the header is the first row that fills at least half as many cells as the
    typical row below it (and at least two).

    >>> f = pd.DataFrame([["订单明细", None, None], [None, None, None], ["id", "date", "amount"],
    ...                   ["u1", "2024-01-05", "3"], ["u2", "2024-01-06", "4"]])
    >>> title_rows(f)
    ([1, 3, 4, 5], 3)
    """
    top = frame.iloc[:1000]
    counts = (top.notna() & top.astype("str").apply(lambda c: c.str.strip() != "")).sum(axis=1).to_numpy()
    rows = [i for i in range(len(counts)) if counts[i] > 0]
    if not rows:
        return [], None
    head = rows[:look]
    below = counts[head]
    typical = int(pd.Series(below).mode().max()) if len(below) else 0
    guess = head[0]
    for i in head:
        if counts[i] >= max(2, (typical + 1) // 2):
            guess = i
            break
    return [i + 1 for i in head[:10]], guess + 1


def _choose_header(out: ExcelRead, header_row: int | None) -> None:
    """Drop the rows above the header (the chosen one, else the detected one)."""
    frame = out.rows
    offered, guess = title_rows(frame)
    out.header_rows = offered
    if header_row is not None:
        if not 1 <= header_row <= len(frame):
            out.problems.append(Problem("excel.header_row_out_of_range", WARNING,
                                        params={"row": header_row, "rows": len(frame)}))
            header_row = guess
        elif header_row not in offered:
            out.header_rows = sorted({*offered, header_row})
    else:
        header_row = guess
    out.header_row = header_row
    out.header_chosen = header_row != guess
    if header_row is None:
        return
    skipped = [i + 1 for i in range(header_row - 1) if frame.iloc[i].notna().any()]
    if skipped and header_row == guess:
        out.problems.append(Problem("excel.title_rows_skipped", INFO, count=len(skipped),
                                    params={"rows": ", ".join(map(str, skipped)), "header": header_row}))
    out.rows = frame.iloc[header_row - 1:]
