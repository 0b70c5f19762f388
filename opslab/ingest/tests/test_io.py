"""Tests for opslab.io.read_table: encodings, delimiters, headers, xlsx, limits, no crashes."""

from __future__ import annotations

import datetime as dt
import csv
import io
import json
import random
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import opslab.ingest.read as oio
from opslab.ingest import delimited
LOCALES = Path(__file__).resolve().parents[3] / "opslab" / "present" / "locales"
from opslab.ingest.read import ReadOptions, ReadResult, read_table
from opslab.core.problems import ERROR, INFO, WARNING, Report

HEADER = ["用户ID", "行为时间", "订单金额"]
ROWS = [["u001", "2024-01-05 13:20:00", "99.5"],
        ["u002", "2024-01-06 08:00:00", "120"],
        ["u003", "2024-01-07 21:15:30", "0.5"]]


def csv_text(sep: str = ",", header=HEADER, rows=ROWS) -> str:
    lines = ([sep.join(header)] if header else []) + [sep.join(r) for r in rows]
    return "\r\n".join(lines) + "\r\n"


def codes(res: ReadResult) -> dict[str, object]:
    return {p.code: p for p in res.report}


def values(res: ReadResult) -> list[list[object]]:
    return [[None if pd.isna(v) else v for v in row] for row in res.df.itertuples(index=False)]


def assert_table(res: ReadResult, header=HEADER, rows=ROWS) -> None:
    assert not res.report.has_errors, [p.code for p in res.report]
    assert list(res.df.columns) == header
    assert values(res) == rows
    assert res.n_rows == len(rows)


# ----------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("enc, reported", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                           ("gbk", "gb18030"), ("gb18030", "gb18030")])
def test_encodings_comma(enc, reported):
    res = read_table(csv_text().encode(enc), "data.csv")
    assert_table(res)
    assert res.encoding == reported and res.delimiter == "," and res.has_header is True
    assert "io.encoding_replaced" not in codes(res)


@pytest.mark.parametrize("enc, reported", [("utf-16", "utf-16-le"), ("utf-16-le", "utf-16-le"),
                                           ("utf-16-be", "utf-16-be")])
def test_utf16_unicode_text_with_tabs(enc, reported):
    text = csv_text("\t")
    data = text.encode(enc) if enc == "utf-16" else ("\ufeff" + text).encode(enc)
    res = read_table(data, "export.txt")
    assert_table(res)
    assert res.encoding == reported and res.delimiter == "\t"


def test_utf16_without_bom_latin_text():
    res = read_table(csv_text("\t", header=["uid", "time", "amount"]).encode("utf-16-le"))
    assert_table(res, header=["uid", "time", "amount"])
    assert res.encoding == "utf-16-le"


def test_bom_followed_by_gbk_bytes():
    res = read_table(b"\xef\xbb\xbf" + csv_text().encode("gbk"))
    assert_table(res)
    assert res.encoding == "gb18030"
    assert codes(res)["io.bom_mismatch"].severity == INFO


def test_mostly_utf8_with_one_broken_byte_stays_utf8():
    data = csv_text().encode("utf-8") + "u004,2024-01-08 10:00:00,中".encode("utf-8")[:-1]
    res = read_table(data)
    assert res.encoding == "utf-8"
    assert list(res.df.columns) == HEADER  # not GB18030 mojibake
    p = codes(res)["io.encoding_replaced"]
    assert p.severity == WARNING and p.count == 1
    assert res.df.iloc[3, 2] == "\ufffd"


def test_forced_encoding():
    res = read_table(csv_text().encode("gbk"), options=ReadOptions(encoding="gbk"))
    assert_table(res)
    assert res.encoding == "gbk"


# ----------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize("sep", [",", "\t", ";", "|"])
def test_each_delimiter(sep):
    res = read_table(csv_text(sep).encode("utf-8"))
    assert_table(res)
    assert res.delimiter == sep


def test_runs_of_spaces():
    text = ("user_id   event    amount\n"
            "  u1      login    0\n"
            "u22       pay      12.5\n"
            "u333   refund      3\n")
    res = read_table(text.encode())
    assert res.delimiter == "whitespace"
    assert_table(res, header=["user_id", "event", "amount"],
                 rows=[["u1", "login", "0"], ["u22", "pay", "12.5"], ["u333", "refund", "3"]])


@pytest.mark.parametrize("text", ["event_time\n2024-01-05 10:00\n2024-01-06 11:00\n",
                                  "2024-01-05 10:00\n2024-01-06 11:00\n2024-01-07 12:00\n"])
def test_single_spaces_inside_values_do_not_split(text):
    res = read_table(text.encode())
    assert res.df.shape[1] == 1 and "2024-01-06 11:00" in set(res.df.iloc[:, 0])


def test_semicolon_with_decimal_commas_beats_comma():
    text = "id;amount;note\n1;12,5;a\n2;3;b\n3;4,75;c\n"
    res = read_table(text.encode())
    assert res.delimiter == ";"
    assert values(res) == [["1", "12,5", "a"], ["2", "3", "b"], ["3", "4,75", "c"]]


def test_quoted_fields_with_delimiters_and_newlines():
    text = 'uid,comment,amount\nu1,"line one\nline two",5\nu2,"a, b, and ""c""",6\nu3,plain,7\n'
    res = read_table(text.encode())
    assert res.delimiter == ","
    assert values(res) == [["u1", "line one\nline two", "5"], ["u2", 'a, b, and "c"', "6"],
                           ["u3", "plain", "7"]]


def test_forced_delimiter():
    res = read_table(b"a|b,c\n1|2,3\n", options=ReadOptions(delimiter="|"))
    assert list(res.df.columns) == ["a", "b,c"] and values(res) == [["1", "2,3"]]


# ----------------------------------------------------------------------------- xlsx


def make_xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_round_trip_dates_and_numbers():
    data = make_xlsx({
        "空白": [],
        "订单": [["用户ID", "下单时间", "金额", "数量"],
                 ["u1", dt.datetime(2024, 1, 5, 13, 20), 99.5, 12.0],
                 ["u2", dt.datetime(2024, 2, 29, 0, 0), 0.1 + 0.2, 3],
                 [None, None, None, None],
                 ["  u3 ", dt.datetime(2024, 3, 1, 8, 5, 9), -1200, True]],
    })
    res = read_table(data, "")  # detected by the zip magic, not the name
    assert res.sheet_names == ["空白", "订单"]
    assert res.encoding is None and res.delimiter is None
    assert list(res.df.columns) == ["用户ID", "下单时间", "金额", "数量"]
    assert values(res) == [["u1", "2024-01-05 13:20:00", "99.5", "12"],
                           ["u2", "2024-02-29", "0.3", "3"],  # midnight: the date alone
                           ["u3", "2024-03-01 08:05:09", "-1200", "TRUE"]]
    assert codes(res)["io.sheet_auto_selected"].params == {"sheet": "订单"}


@pytest.mark.slow
def test_xlsx_sheet_choice():
    data = make_xlsx({"a": [["x"], ["1"]], "b": [["y", "z"], ["2", "3"]]})
    assert list(read_table(data, "f.xlsx").df.columns) == ["x"]
    assert values(read_table(data, "f.xlsx", ReadOptions(sheet="b"))) == [["2", "3"]]
    assert values(read_table(data, "f.xlsx", ReadOptions(sheet=1))) == [["2", "3"]]
    res = read_table(data, "f.xlsx", ReadOptions(sheet="c"))
    assert res.df is None and codes(res)["io.sheet_not_found"].params["sheets"] == "a, b"


def test_xlsx_too_many_columns_and_broken_zip():
    res = read_table(make_xlsx({"s": [list(range(8)), list(range(8))]}),
                     options=ReadOptions(max_columns=5))
    assert res.df is None and codes(res)["io.too_many_columns"].params == {"n": 8, "limit": 5}
    res = read_table(b"PK\x03\x04" + b"\x00" * 100, "x.xlsx")
    assert res.df is None and codes(res)["io.xlsx_invalid"].severity == ERROR


def test_old_xls_and_encrypted_xlsx():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    assert "io.xlsx_invalid" in codes(read_table(ole, "report.xls"))  # a damaged .xls (real ones: opslab/ingest/tests/test_excel.py)
    assert "io.xlsx_encrypted" in codes(read_table(ole, "report.xlsx"))
    html = "<html><body><table><tr><td>用户ID</td></tr></table></body></html>".encode()
    res = read_table(html, "fake_excel.xls")
    assert res.df is None and "io.xls_unsupported" in codes(res)


# ----------------------------------------------------------------------------- headers


def test_no_header_detected():
    res = read_table(csv_text(header=None).encode())
    assert res.has_header is False
    assert_table(res, header=["col_1", "col_2", "col_3"])
    assert codes(res)["io.no_header_detected"].severity == INFO


def test_header_option_overrides_detection():
    text = "u1,login\nu2,pay\n"
    assert read_table(text.encode(), options=ReadOptions(header=False)).n_rows == 2
    res = read_table(text.encode(), options=ReadOptions(header=True))
    assert list(res.df.columns) == ["u1", "login"] and res.n_rows == 1


def test_english_header_with_word_columns():
    # "event"/"channel" have the same letter shape as their values; uid column decides.
    res = read_table(b"uid,event,channel\nu1,login,app\nu2,pay,web\nu3,login,app\n")
    assert res.has_header is True and list(res.df.columns) == ["uid", "event", "channel"]


def test_header_names_cleaned_and_deduplicated():
    text = " \ufeff用户ID\u200b ,金额,金额,,金额_2\nu1,1,2,3,4\nu2,5,6,7,8\n"
    res = read_table(text.encode("utf-8"))
    assert list(res.df.columns) == ["用户ID", "金额", "金额_3", "col_4", "金额_2"]
    assert codes(res)["io.duplicate_headers"].params == {"names": "金额"}


def test_cells_stripped_empty_is_missing_and_empty_rows_cols_dropped():
    text = "id,name,,note\n,,,\n 1 , a ,,\n2,,,x\n,,,\n"
    res = read_table(text.encode())
    assert list(res.df.columns) == ["id", "name", "note"]
    assert values(res) == [["1", "a", None], ["2", None, "x"]]
    assert codes(res)["io.empty_rows_dropped"].count == 2
    assert codes(res)["io.empty_columns_dropped"].count == 1


# ----------------------------------------------------------------------------- errors and limits


@pytest.mark.parametrize("data", [b"", b"   \r\n\n\t ", b"\xef\xbb\xbf", b",,,\n,,\n"])
def test_empty_file(data):
    res = read_table(data)
    assert res.df is None and codes(res)["io.empty_file"].severity == ERROR


def test_header_only_is_no_data_rows():
    res = read_table("用户ID,行为时间,订单金额\r\n".encode("gbk"))
    p = codes(res)["io.no_data_rows"]
    assert res.df is None and p.severity == ERROR and p.params == {"columns": "用户ID, 行为时间, 订单金额"}


def test_binary_and_garbage():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    assert "io.binary_file" in codes(read_table(png, "chart.csv"))
    rng = random.Random(7)
    garbage = bytes(rng.randrange(256) for _ in range(5000))
    res = read_table(garbage, "data.csv")
    assert res.df is None and codes(res)["io.binary_file"].severity == ERROR


def test_a_few_nul_bytes_are_removed_not_fatal():
    data = csv_text().encode() + b"u004,2024-01-08 00:00:00,1\x00\n"
    res = read_table(data)
    assert res.n_rows == 4 and res.df.iloc[3, 2] == "1"
    assert codes(res)["io.control_chars_removed"].count == 1


def test_600_columns():
    header = ",".join(f"c{i}" for i in range(600))
    res = read_table((header + "\n" + ",".join("1" * 600) + "\n").encode())
    assert res.df is None and codes(res)["io.too_many_columns"].params == {"n": 600, "limit": 500}


def test_too_large():
    res = read_table(b"a,b\n1,2\n" * 100, options=ReadOptions(max_bytes=500))
    assert res.df is None and "io.too_large" in codes(res)


def test_bad_lines_reported_with_row_numbers():
    # Row numbers as in a spreadsheet: header is row 1.
    lines = ["a,b,c"] + [f"{i},x,y" for i in range(2, 13)]
    lines[3] = "4,x,y,EXTRA"
    lines[7] = "8,x,y,E,E"
    res = read_table(("\n".join(lines) + "\n").encode())
    p = codes(res)["io.bad_lines"]
    assert p.count == 2 and [r for r, _ in p.examples] == [4, 8]
    assert res.n_rows == 9 and "4" not in set(res.df["a"]) and "8" not in set(res.df["a"])


def test_unclosed_quote_still_reads():
    res = read_table(b'id,name\n1,"abc\n2,def\n')
    assert res.df is not None and "io.unclosed_quote" in codes(res)
    assert list(res.df["id"]) == ["1", "2"]


def test_row_cap():
    text = "id,v\n" + "".join(f"{i},{i * 2}\n" for i in range(25))
    res = read_table(text.encode(), options=ReadOptions(max_rows=10))
    assert res.n_rows == 10 and list(res.df["id"]) == [str(i) for i in range(10)]
    assert codes(res)["io.rows_truncated"].severity == WARNING
    exact = read_table(text.encode(), options=ReadOptions(max_rows=25))
    assert exact.n_rows == 25 and "io.rows_truncated" not in codes(exact)


def test_single_column_is_fine():
    res = read_table("用户ID\nu1\nu2\nu3\n".encode())
    assert values(res) == [["u1"], ["u2"], ["u3"]]
    assert codes(res)["io.single_column"].severity == INFO and not res.report.has_errors


def test_unexpected_exception_becomes_problem(monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(oio.pd, "read_csv", boom)
    monkeypatch.setattr(delimited, "parse_arrow", boom)
    res = read_table(csv_text().encode())
    assert res.df is None and codes(res)["io.unreadable"].params == {"error": "RuntimeError"}


def test_every_code_has_both_messages():
    root = LOCALES
    en = json.loads((root / "io.en.json").read_text("utf-8"))
    zh = json.loads((root / "io.zh.json").read_text("utf-8"))
    sources = [Path(oio.__file__).with_name(name) for name in
               ("read.py", "read_result.py", "encoding.py", "delimited.py", "header.py", "excel.py", "excel_worker.py")]
    used = {code for src in sources for code in re.findall(r'"(io\.[a-z_]+)"', src.read_text("utf-8"))}
    assert en.keys() == zh.keys() == used


# ----------------------------------------------------------------------------- properties


def check_result(res: ReadResult) -> None:
    assert isinstance(res, ReadResult)
    # io.unreadable is the safety net for unexpected exceptions: fuzzing must never reach it.
    assert "io.unreadable" not in codes(res), codes(res)["io.unreadable"].params
    if res.df is None:
        assert res.report.has_errors and res.n_rows == 0
        return
    assert isinstance(res.df, pd.DataFrame) and res.n_rows == len(res.df)
    assert all(isinstance(c, str) for c in res.df.columns)
    assert len(set(res.df.columns)) == res.df.shape[1]
    for col in res.df.columns:
        assert all(isinstance(v, str) for v in res.df[col].dropna())


FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data):
    check_result(read_table(data, "upload.csv"))


csv_piece = st.sampled_from([",", "\t", ";", "|", "  ", '"', '""', "\n", "\r\n", "\r", "用户", "ID",
                             "2024-01-05", "13:20", "1,200", "¥", "\ufeff", "\u200b", "\x00", "=",
                             "a", "1", "-3.5", " ", ""])


@FAST
@given(st.lists(st.one_of(csv_piece, st.text(max_size=5)), max_size=80),
       st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_csvish_text_never_raises(pieces, enc):
    data = "".join(pieces).encode(enc, errors="replace")
    check_result(read_table(data, "x.csv"))


# -- the Arrow fast path reads exactly what the lenient C path reads ------------------------------
def _both(data: bytes, sep: str, n_cols: int):
    opt = oio.ReadOptions()
    res = oio.ReadResult(None, Report(), None, None, None, [], 0)
    slow = delimited.parse_lenient(lambda: io.BytesIO(data), "utf-8", sep, n_cols, opt, res)
    return delimited.parse_arrow(data, sep, n_cols, opt), slow


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(st.text(alphabet='ab中 ,;"\n\r\t1-', max_size=6), min_size=3, max_size=3),
                     min_size=1, max_size=8),
       sep=st.sampled_from([",", ";", "\t", "|"]), crlf=st.booleans())
def test_arrow_fast_path_reads_what_the_csv_module_reads(rows, sep, crlf):
    """The reference is Python's csv module (the C parser itself mis-reads a quoted lone CR)."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    text = buf.getvalue()
    fast, _ = _both(text.encode("utf-8"), sep, 3)
    if fast is not None:  # None means: leave it to the lenient parser
        expected = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep) if r]  # blank lines skip
        assert fast.fillna("").astype(str).to_numpy().tolist() == expected


def test_arrow_fast_path_agrees_with_the_c_parser_on_ordinary_files():
    text = 'id,name,amount\n1,"Zhang, San",12.5\n2,李四,\n3,"say ""hi""",7\n'
    fast, slow = _both(text.encode("utf-8"), ",", 3)
    assert fast is not None and fast.fillna("").equals(slow.fillna(""))


def test_arrow_fast_path_declines_ragged_files():
    fast, slow = _both("a,b,c\n1,2\n3,4,5,6\n".encode(), ",", 3)
    assert fast is None and slow is not None
