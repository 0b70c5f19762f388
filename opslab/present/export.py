"""Spreadsheet-safe exports: CSV as UTF-8 with BOM (Excel shows Chinese) and .xlsx with no
formula cells.

Text cells starting with ``= + - @``, a tab or a carriage return are prefixed with ``'`` so a
spreadsheet never evaluates them (OWASP "CSV injection"). Numbers stay numbers: a negative
amount is not text and is left alone.
"""

from __future__ import annotations

import io
import re

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"
# Characters XML 1.0 forbids (so an .xlsx holding them will not open): C0 controls other than
# tab, LF, CR; lone surrogates; U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def xml_safe(text: str) -> str:
    """``text`` with every character an .xlsx cannot hold replaced by U+FFFD, visibly.

    >>> xml_safe("u\x0c1\uffff")
    'u\ufffd1\ufffd'
    """
    return _XML_ILLEGAL.sub(REPLACEMENT, text)


def neutralise(value):
    """Prefix a dangerous text value with a quote; leave everything else as it is."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame, xml: bool = False) -> pd.DataFrame:
    """A copy whose text cells (and column names) cannot start a formula; with ``xml`` also
    free of characters an .xlsx cannot hold (see :func:`xml_safe`). Lone surrogates, which no
    encoding can write, are always replaced."""
    clean = xml_safe if xml else (lambda v: _SURROGATE.sub(REPLACEMENT, v))

    def cell(v):
        return neutralise(clean(v)) if isinstance(v, str) else v

    out = frame.copy()
    out.columns = [cell(str(c)) for c in out.columns]
    for col in range(out.shape[1]):
        s = out.iloc[:, col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            out.isetitem(col, s.map(cell, na_action="ignore"))
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV in ``utf-8-sig`` so that Excel opens Chinese text correctly.

    Lines end in CRLF, as Excel writes them; the csv module then also quotes any cell holding
    a bare carriage return, which would otherwise split the row.
    """
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """An .xlsx in which every text cell is stored as a string, never as a formula."""

    safe = safe_frame(frame, xml=True)
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = re.sub(r"[\\/?*\[\]:]", "_", xml_safe(sheet))[:31] or "data"
    ws.append(list(safe.columns))
    for row in safe.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in row])
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING  # openpyxl would otherwise treat "=..." as a formula
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(v):
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item"):  # numpy scalar
        return v.item()
    return v
