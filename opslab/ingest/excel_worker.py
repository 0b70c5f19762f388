"""Read one Excel / OpenDocument sheet in a separate, capped process (see :mod:`opslab.ingest.excel`).

Run as ``python -m opslab.ingest.excel_worker '<json options>'`` with the file's bytes on
stdin. The process limits its own memory first (``RLIMIT_DATA``), checks every limit it can
before the parser allocates (unpacked size of the zip, cells and rows of the sheet's XML),
then reads the sheet with python-calamine and writes one Arrow IPC stream to stdout: every
cell as text (or null), plus a JSON ``info`` entry in the schema metadata (sheets with their
visibility, the chosen sheet, formulas without saved values, or an error code and its
parameters). Whatever the input does to this process (a parser panic, the memory cap, the
time limit), the server process only sees a failed child.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import os
import re
import resource
import sys
import zipfile
import numpy as np
import pyarrow as pa
import python_calamine as pc

#: Excel itself refuses longer cells; anything longer is not a spreadsheet cell a person typed.
MAX_CELL_CHARS = 32_767

#: The parser stores the sheet as a dense rows x columns box: refuse a box far larger than
#: the cells that hold values (one value at A1 and one at ZZ200000 would cost gigabytes).
SPARSE_MIN_BOX = 4_000_000
SPARSE_RATIO = 16

_ROW = re.compile(rb"<(?:\w+:)?row\b")
_LONG_TEXT = re.compile(rb">[^<]{%d}" % (MAX_CELL_CHARS * 4 + 1))  # 4 bytes: one CJK char at most


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _xml_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML part in an .xlsx (workbook.xml + its relationships)."""
    try:
        book = z.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return {}
    targets = {}
    for m in re.finditer(r"<Relationship\b[^>]*>", rels):
        tag = m.group(0)
        rid, target = re.search(r'\bId="([^"]*)"', tag), re.search(r'\bTarget="([^"]*)"', tag)
        if rid and target:
            t = target.group(1)
            targets[rid.group(1)] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    parts = {}
    for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", book):
        tag = m.group(0)
        name, rid = re.search(r'\bname="([^"]*)"', tag), re.search(r'\br:id="([^"]*)"', tag)
        if name and rid and rid.group(1) in targets:
            parts[html.unescape(name.group(1))] = targets[rid.group(1)]
    return parts


_END = re.compile(rb"</(?:\w+:)?(?:c|row)>|<(?:\w+:)?row\b[^<>]*/>")
_MAX_ELEMENT = 4 * MAX_CELL_CHARS + 4096


def _last_end(data: bytes) -> int:
    """Offset just after the last ``</c>``, ``</row>`` or empty ``<row/>``: whole cells before it."""
    for start in (max(0, len(data) - 65536), 0):
        last = None
        for last in _END.finditer(data, start):
            pass
        if last is not None:
            return last.end()
    return 0


_VALUE_CELL = re.compile(
    rb"<(?:\w+:)?c\b[^>]*?\br\s*=\s*[\"']([A-Z]{1,3})([0-9]{1,7})[\"'][^>]*(?<!/)>"
    rb"(?:\s*<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>))?\s*<(?:\w+:)?(?:v|is)\b")
#: The common layout (Excel, WPS, openpyxl, xlsxwriter): ``<c r="A1" ...>`` with ``r`` first.
_VALUE_CELL_COMMON = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*(?<!/)>(?:<f>[^<]*</f>|<f[^>]*/>)?<[vi]')
_FORMULA_ONLY = re.compile(
    rb"<(?:\w+:)?c\b[^>]*?\br\s*=\s*[\"']([A-Z]{1,3}[0-9]{1,7})[\"'][^>]*(?<!/)>"
    rb"\s*<(?:\w+:)?f\b[^>]*(?:/>|>[^<]*</(?:\w+:)?f>)\s*(?:<(?:\w+:)?v\s*/>\s*)?</(?:\w+:)?c>")


def scan_sheet_xml(stream, max_rows: int, max_columns: int, chunk: int = 1 << 22) -> dict:
    """One pass over a worksheet's XML, in chunks, with whole-chunk regular expressions (no
    per-cell Python): rows (empty ``<row>`` elements included), the box holding every cell
    with a value, formulas without a saved value, overlong text. The claimed ``<dimension>``
    is never read. Stops early once a cap is exceeded.

    >>> xml = b'<sheetData><row r="1"><c r="B2"><f>A1*2</f></c><c r="C2"><v>1</v></c></row><row r="9"/></sheetData>'
    >>> s = scan_sheet_xml(io.BytesIO(xml), 100, 10)
    >>> s["rows"], s["max_row"], s["max_col"], s["formulas_without_value"], s["formula_examples"]
    (2, 2, 3, 1, ['B2'])
    """
    info = {"rows": 0, "max_row": 0, "max_col": 0, "cells": 0, "formulas_without_value": 0,
            "formula_examples": [], "too_long": False}
    tail = b""
    while True:
        block = stream.read(chunk)
        data = tail + block
        if not data:
            break
        cut = _last_end(data) if block else len(data)
        part, tail = data[:cut], data[cut:]
        if len(tail) > max(_MAX_ELEMENT, chunk) or _LONG_TEXT.search(part):
            info["too_long"] = True
            return info
        info["rows"] += part.count(b"<row ") + part.count(b"<row>") + (len(_ROW.findall(part)) if b":row" in part else 0)
        common = part.count(b"<c ") + part.count(b"<c>") == part.count(b'<c r="') and b":c " not in part
        refs = (_VALUE_CELL_COMMON if common else _VALUE_CELL).findall(part)
        if refs:
            info["cells"] += len(refs)
            letters = {c for c, _ in refs}
            info["max_col"] = max(info["max_col"], max(_col_number(c) for c in letters))
            info["max_row"] = max(info["max_row"], max(map(int, (r for _, r in refs))))
        formulas = _FORMULA_ONLY.findall(part) if b"<f" in part or b":f" in part else []
        if formulas:
            info["formulas_without_value"] += len(formulas)
            room = 5 - len(info["formula_examples"])
            info["formula_examples"] += [f.decode() for f in formulas[:max(room, 0)]]
        if info["rows"] > max_rows or info["max_row"] > max_rows or info["max_col"] > max_columns:
            return info
        if not block:
            break
    return info


def _text(v):
    """A cell as the text a person sees in Excel (dates ISO, whole numbers without ".0")."""
    if v is None or v == "":
        return None
    t = type(v)
    if t is str:
        return v
    if t is float:
        if v != v or v in (float("inf"), float("-inf")):
            return None
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return _float_text(v)
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is int:
        return str(v)
    if t is dt.datetime:
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return str(v)


def _float_text(v: float) -> str:
    # Excel shows 15 significant digits: 0.1 + 0.2 reads "0.3", not 0.30000000000000004
    short = float(f"{v:.15g}")
    text = repr(short)
    if "e" not in text:
        return text

    return np.format_float_positional(short, trim="-")


def read(data: bytes, opt: dict) -> tuple[list[list], dict]:
    """Columns of text of the chosen sheet, and the info dict (see module docstring)."""

    info: dict = {"sheets": [], "sheet": None}
    max_rows, max_cols = int(opt["max_rows"]), int(opt["max_columns"])
    parts: dict[str, str] = {}
    z = None
    if data.startswith(b"PK"):
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
            unpacked = sum(i.file_size for i in z.infolist())
        except (zipfile.BadZipFile, ValueError):
            return [], {**info, "error": "io.xlsx_invalid", "params": {}}
        if unpacked > int(opt["max_unpacked"]):
            return [], {**info, "error": "excel.unpacked_too_large",
                        "params": {"size_mb": round(unpacked / 2**20, 1),
                                   "limit_mb": round(int(opt["max_unpacked"]) / 2**20, 1)}}
        parts = _xml_parts(z)
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 (any parser complaint means "not readable")
        code = "io.xlsx_encrypted" if "password" in str(exc).lower() else "io.xlsx_invalid"
        return [], {**info, "error": code, "params": {}}
    metas = [m for m in wb.sheets_metadata]
    sheets = [{"name": m.name, "visible": str(m.visible).endswith(".Visible"),
               "worksheet": str(m.typ).endswith(".WorkSheet")} for m in metas]
    info["sheets"] = sheets
    wanted = opt.get("sheet")
    if wanted is not None:
        names = [s["name"] for s in sheets]
        idx = wanted if isinstance(wanted, int) else (names.index(wanted) if wanted in names else -1)
        if not 0 <= idx < len(sheets):
            return [], {**info, "error": "io.sheet_not_found",
                        "params": {"sheet": str(wanted), "sheets": ", ".join(names)}}
        order = [idx]
    else:  # the first visible worksheet with data; hidden ones only when chosen
        order = [i for i, s in enumerate(sheets) if s["visible"] and s["worksheet"]]
    for idx in order:
        name = sheets[idx]["name"]
        if z is not None and name in parts:
            try:
                with z.open(parts[name]) as stream:
                    scan = scan_sheet_xml(stream, max_rows + 50, max_cols)
            except (KeyError, zipfile.BadZipFile, OSError, EOFError):
                return [], {**info, "error": "io.xlsx_invalid", "params": {}}
            if scan["too_long"]:
                return [], {**info, "error": "excel.cell_too_long", "params": {"limit": MAX_CELL_CHARS, "sheet": name}}
            if max(scan["rows"], scan["max_row"]) > max_rows + 50:
                return [], {**info, "error": "excel.too_many_rows",
                            "params": {"sheet": name, "limit": max_rows}}
            if scan["max_col"] > max_cols:
                return [], {**info, "error": "io.too_many_columns", "params": {"n": scan["max_col"], "limit": max_cols}}
            box = max(scan["max_row"], 1) * max(scan["max_col"], 1)
            if box > max(SPARSE_MIN_BOX, SPARSE_RATIO * scan["cells"]):
                return [], {**info, "error": "excel.sparse", "params": {
                    "sheet": name, "rows": scan["max_row"], "cols": scan["max_col"], "cells": scan["cells"]}}
            if scan["formulas_without_value"]:
                info["formulas_without_value"] = scan["formulas_without_value"]
                info["formula_examples"] = scan["formula_examples"]
            if not scan["cells"] and wanted is None:
                continue
        sheet = wb.get_sheet_by_name(name)
        if not sheet.height:
            if wanted is None:
                continue
            return [], {**info, "error": "io.empty_file", "params": {}}
        if sheet.start[0] + sheet.height > max_rows + 50:
            return [], {**info, "error": "excel.too_many_rows", "params": {"sheet": name, "limit": max_rows}}
        width = sheet.start[1] + sheet.width
        if width > max_cols:
            return [], {**info, "error": "io.too_many_columns", "params": {"n": width, "limit": max_cols}}
        rows = sheet.to_python(skip_empty_area=False)  # from sheet row 1 and column A
        del sheet
        columns = [list(col) for col in zip(*rows)] if rows else []
        del rows
        for j, col in enumerate(columns):
            if not all(type(v) is str for v in col):
                col = columns[j] = list(map(_text, col))
            else:
                col = columns[j] = [v or None for v in col]
            if max(map(len, filter(None, col)), default=0) > MAX_CELL_CHARS:
                return [], {**info, "error": "excel.cell_too_long", "params": {"limit": MAX_CELL_CHARS, "sheet": name}}
        info["sheet"] = name
        return columns, info
    hidden = [s["name"] for s in sheets if not s["visible"] and s["worksheet"]]
    if wanted is None and hidden:  # nothing visible to read: say where the data may be
        return [], {**info, "error": "excel.only_hidden_sheets", "params": {"sheets": ", ".join(hidden)}}
    return [], {**info, "error": "io.empty_file", "params": {}}


def main() -> None:
    opt = json.loads(sys.argv[1])
    limit = int(opt.get("max_memory", 0))
    if limit:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    cpu = int(opt.get("max_cpu_seconds", 0))
    if cpu:  # the kernel stops the process at this much CPU, whatever the parser is doing
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        os.nice(int(opt.get("nice", 0)))  # the server's page runs come first on a busy core
    except OSError:
        pass
    data = sys.stdin.buffer.read()

    try:
        columns, info = read(data, opt)
    except MemoryError:
        columns, info = [], {"error": "excel.too_complex", "params": {}}
    arrays = [pa.array(c, type=pa.large_string()) for c in columns]
    schema = pa.schema([pa.field(str(i), pa.large_string()) for i in range(len(arrays))],
                       metadata={"opslab": json.dumps(info)})
    table = pa.Table.from_arrays(arrays, schema=schema)
    with pa.ipc.new_stream(sys.stdout.buffer, schema) as out:
        out.write_table(table)


if __name__ == "__main__":
    main()
