"""Excel (.xlsx) sheets to rows of text for :func:`opslab.io.read_table`.

Cells come back as the text a person sees in Excel: dates as ISO strings, whole numbers
without ".0", 15 significant digits, booleans as TRUE/FALSE.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd

from opslab.ingest.read import ReadOptions, ReadResult, _fail
from opslab.problems import INFO, Problem


def _cell_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat(sep=" ") if isinstance(v, dt.datetime) else v.isoformat()
    if isinstance(v, float):
        if not np.isfinite(v):
            return None
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        # Excel shows 15 significant digits; 0.1 + 0.2 should read "0.3", not 0.30000000000000004
        return np.format_float_positional(float(f"{v:.15g}"), trim="-")
    return str(v)


def xlsx_rows(data: bytes, opt: ReadOptions, res: ReadResult) -> pd.DataFrame | None:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        return _fail(res, "io.xlsx_invalid")
    try:
        res.sheet_names = [str(s) for s in wb.sheetnames]
        if opt.sheet is not None:
            idx = opt.sheet if isinstance(opt.sheet, int) else (
                res.sheet_names.index(opt.sheet) if opt.sheet in res.sheet_names else -1)
            if not 0 <= idx < len(res.sheet_names):
                return _fail(res, "io.sheet_not_found", sheet=str(opt.sheet),
                             sheets=", ".join(res.sheet_names))
            order = [idx]
        else:
            order = range(len(res.sheet_names))
        for idx in order:
            rows: list[list[str | None]] = []
            for raw in wb.worksheets[idx].iter_rows(values_only=True):
                row = [_cell_text(v) for v in raw]
                while row and (row[-1] is None or not row[-1].strip()):
                    row.pop()
                if not row:
                    continue
                if len(row) > opt.max_columns:
                    return _fail(res, "io.too_many_columns", n=len(row), limit=opt.max_columns)
                rows.append(row)
                if len(rows) >= opt.max_rows + 2:
                    break
            if rows:
                if len(order) > 1 and idx > 0:
                    res.report.add(Problem("io.sheet_auto_selected", INFO,
                                           params={"sheet": res.sheet_names[idx]}))
                return pd.DataFrame(rows, dtype=str)
        return _fail(res, "io.empty_file")
    finally:
        wb.close()
