"""Hostile and real-world spreadsheets, built at test time (small, seeded, nothing committed).

The .xlsx builder writes the XML by hand so a test can put anything in it: a claimed
``<dimension>``, rows far apart, formulas without a saved value, hidden sheets, a shared string
of any length. ``.xls`` files come from xlwt, ``.xlsb`` from pyxlsbwriter and ``.ods`` from pandas' odf writer (all
in requirements-dev.txt).

Example
-------
>>> data = xlsx([sheet("s", [row(1, ["id", "amount"]), row(2, ["u1", 5])])])
>>> data[:2]
b'PK'
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape


def col_letters(n: int) -> str:
    """1 -> A, 27 -> AA, 16384 -> XFD."""
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


@dataclass(frozen=True)
class Formula:
    text: str
    value: object = None  # None: no saved value (the file was written without calculating)


def cell(ref: str, v) -> str:
    if v is None:
        return ""
    if isinstance(v, Formula):
        saved = "" if v.value is None else f"<v>{v.value}</v>"
        return f'<c r="{ref}"><f>{escape(v.text)}</f>{saved}</c>'
    if isinstance(v, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
    if isinstance(v, bool):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    return f'<c r="{ref}"><v>{v}</v></c>'


def row(r: int, values: list, first_col: int = 1) -> str:
    cells = "".join(cell(f"{col_letters(first_col + j)}{r}", v) for j, v in enumerate(values))
    return f'<row r="{r}">{cells}</row>'


def sheet(name: str, rows: list[str], state: str | None = None, dimension: str | None = None) -> tuple:
    return name, "".join(rows), state, dimension


def xlsx(sheets: list[tuple], shared_strings: list[str] | None = None,
         compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A minimal workbook; ``shared_strings`` become xl/sharedStrings.xml (cells ``t="s"``)."""
    out = io.BytesIO()
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    with zipfile.ZipFile(out, "w", compression) as z:
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{ct}.worksheet+xml"/>'
                            for i in range(len(sheets)))
        if shared_strings is not None:
            overrides += f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>{overrides}</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        entries = "".join(
            f'<sheet name="{escape(n)}" sheetId="{i + 1}"{f" state={chr(34)}{st}{chr(34)}" if st else ""} r:id="rId{i + 1}"/>'
            for i, (n, _, st, _) in enumerate(sheets))
        z.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
                                      f"<sheets>{entries}</sheets></workbook>")
        rels = "".join(f'<Relationship Id="rId{i + 1}" Type="{rel}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                       for i in range(len(sheets)))
        if shared_strings is not None:
            rels += f'<Relationship Id="rId{len(sheets) + 1}" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f"{rels}</Relationships>")
        for i, (_, data, _, dim) in enumerate(sheets):
            dim_xml = f'<dimension ref="{dim}"/>' if dim else ""
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml",
                       f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">{dim_xml}'
                       f"<sheetData>{data}</sheetData></worksheet>")
        if shared_strings is not None:
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
                f.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}">'.encode())
                for s in shared_strings:
                    f.write(b"<si><t>" + escape(s).encode() + b"</t></si>")
                f.write(b"</sst>")
    return out.getvalue()


def huge_cell_xlsx(n_bytes: int = 2**30) -> bytes:
    """One shared string of ``n_bytes`` "9"s (an "id") in a ~1 MB file: written in chunks."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    base = xlsx([sheet("s", [row(1, ["user_id", "amount"]),
                             '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><v>5</v></c></row>'])],
                shared_strings=[])
    src = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename != "xl/sharedStrings.xml":
                z.writestr(info.filename, src.read(info.filename))
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}"><si><t>'.encode())
            chunk = b"9" * 2**20
            for _ in range(n_bytes // len(chunk)):
                f.write(chunk)
            f.write(b"</t></si></sst>")
    return out.getvalue()


def dimension_bomb() -> bytes:
    """A tiny table that claims the whole sheet, A1:XFD1048576."""
    return xlsx([sheet("订单", [row(1, ["用户ID", "下单时间", "实付金额"]), row(2, ["u1", "2024-01-05", 10]),
                              row(3, ["u2", "2024-01-06", 20])], dimension="A1:XFD1048576")])


def empty_rows(n: int = 300_000) -> bytes:
    """Header, ``n`` empty ``<row>`` elements, one data row at the bottom."""
    rows = [row(1, ["用户ID", "下单时间", "实付金额"])]
    rows += [f'<row r="{r}"/>' for r in range(2, n + 2)]
    rows.append(row(n + 2, ["u1", "2024-01-05", 10]))
    return xlsx([sheet("s", rows)])


def far_cell() -> bytes:
    """Two values far apart: a dense parser would hold 200,000 x 500 cells."""
    return xlsx([sheet("s", [row(1, ["id"]), row(200_000, ["x"], first_col=500)])])


def hidden_first_sheet() -> bytes:
    return xlsx([sheet("配置", [row(1, ["key", "value"]), row(2, ["secret", "1"])], state="hidden"),
                 sheet("订单", [row(1, ["用户ID", "下单时间", "实付金额"]), row(2, ["u1", "2024-01-05", 10]),
                              row(3, ["u2", "2024-01-06", 20.5])])])


def title_rows() -> bytes:
    """A report title and an export note above the header, a blank row, then the table."""
    rows = [row(1, ["2024年1月订单明细"]), row(2, ["导出时间：2024-02-01 09:00"]),
            row(4, ["用户ID", "下单时间", "实付金额"])]
    rows += [row(5 + i, [f"U{i}", f"2024-01-{i % 28 + 1:02d}", 10 * (i + 1)]) for i in range(20)]
    return xlsx([sheet("明细", rows)])


def formulas_without_values() -> bytes:
    rows = [row(1, ["用户ID", "下单时间", "单价", "数量", "实付金额"])]
    for i in range(6):
        total = Formula(f"C{i + 2}*D{i + 2}", None if i < 3 else (i + 1) * 2)
        rows.append(row(i + 2, [f"U{i}", "2024-01-05", i + 1, 2, total]))
    return xlsx([sheet("s", rows)])


def xls_bytes(rows: list[list], sheet_name: str = "orders") -> bytes:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet(sheet_name)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            if v is not None:
                ws.write(i, j, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ods_bytes(rows: list[list], sheet_name: str = "orders") -> bytes:
    import pandas as pd

    buf = io.BytesIO()
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(buf, sheet_name=sheet_name, index=False, engine="odf")
    return buf.getvalue()


def xlsb_bytes(rows: list[list], sheet_name: str = "orders") -> bytes:
    import os
    import tempfile

    from pyxlsbwriter import XlsbWriter

    fd, path = tempfile.mkstemp(suffix=".xlsb")
    os.close(fd)
    try:
        with XlsbWriter(path) as w:
            w.add_sheet(sheet_name)
            w.write_sheet(rows)
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)
