"""Property-based: no file, however broken, crashes the loader, and rows are accounted for.

Generated inputs: CSV-ish text with Chinese/English headers drawn from the mapping synonyms,
random delimiters, encodings, junk cells and ragged row lengths; and raw random bytes.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from opslab.dataset.dataset import Dataset
from opslab.core.i18n import catalog
from opslab.dataset.load import load_files
from opslab.ingest.mapping import SYNONYMS
from opslab.core.problems import ERROR

HEADERS = sorted({h for syns in SYNONYMS.values() for h in syns} | {"备注", "x", ""})
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "latin-1")
GOOD_CELLS = ("U001", "张三", "2024-01-05", "2024/1/5 10:00", "2024年1月5日", "20240105", "45296",
              "1704412800", "¥1,280.00", "(20)", "99.5", "已支付", "refunded", "visit", "支付", "抖音")
JUNK_CELLS = ("", " ", "NULL", "N/A", "-", "#N/A", "=1+1", "@SUM(A1)", "+cmd", "\"", "\"\"\"", "1e400",
              "-0", "nan", "inf", "1900-01-01", "2100-12-31", "9999999999999999999", "🙂", "\x00",
              "\u200b", "\ufeff", "a,b", "\t", "；", "，")
CELL = st.one_of(st.sampled_from(GOOD_CELLS + JUNK_CELLS), st.text(max_size=12))
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CODES = set(catalog("zh")) & set(catalog("en"))


@st.composite
def csvish(draw):
    n_cols = draw(st.integers(1, 7))
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=n_cols, max_size=n_cols))
    sep = draw(st.sampled_from([",", "\t", ";", "|", "  ", "，"]))
    rows = [header] if draw(st.booleans()) or n_cols == 1 else []
    for _ in range(draw(st.integers(0, 25))):
        width = n_cols + draw(st.sampled_from([0, 0, 0, 0, -1, 1, 3]))
        rows.append(draw(st.lists(CELL, min_size=max(width, 0), max_size=max(width, 0))))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(sep.join(r) for r in rows) + draw(st.sampled_from(["", newline]))
    enc = draw(st.sampled_from(ENCODINGS))
    data = text.encode(enc, errors="replace")
    name = draw(st.sampled_from(["data.csv", "导出.csv", "x.tsv", "a.txt", "b.xlsx", "c.xls", "noext"]))
    return name, data


def _check(files_in):
    ds, files, report = load_files(files_in)
    assert ds is None or isinstance(ds, Dataset)
    every = list(report)
    for f in files:
        every += list(f.read.report)
        if f.result is not None:
            every += list(f.result.report)
            r = f.result
            assert r.n_clean + r.n_rejected + r.n_dropped == r.n_input
            assert r.n_clean == len(r.clean)
            assert r.n_input == f.read.n_rows == len(f.read.df)
        if f.read.df is None:
            assert f.read.report.has_errors  # an unreadable file always says why
    if ds is None:
        assert any(p.severity == ERROR for p in every)
    else:
        assert any(f.usable for f in files)
        assert len(ds.events) + len(ds.orders) > 0
    event("dataset" if ds is not None else "no dataset")
    unknown = {p.code for p in every} - CODES
    assert not unknown, unknown


IDS = st.one_of(st.sampled_from(["U1", "U2", "张三", "1001", "1001.0", "u-9"]), st.sampled_from(JUNK_CELLS))
TIMES = st.one_of(st.sampled_from(["2024-01-05", "2024/1/5 10:00", "2024年1月5日", "20240105", "45296",
                                   "1704412800", "1704412800000", "05/01/2024", "2024-02-30",
                                   "2024-01-05T10:00:00+08:00"]), st.sampled_from(JUNK_CELLS))
AMOUNTS = st.one_of(st.sampled_from(["10", "¥1,280.00", "(20)", "99.5元", "-3", "1e15", "0", "$5"]),
                    st.sampled_from(JUNK_CELLS))


@st.composite
def tabular(draw):
    """Mostly well-typed columns under real synonyms, with junk mixed in: reaches validation."""
    cols = [(draw(st.sampled_from(SYNONYMS["user_id"])), IDS),
            (draw(st.sampled_from(SYNONYMS["event_time"] + SYNONYMS["order_time"])), TIMES)]
    if draw(st.booleans()):
        cols.append((draw(st.sampled_from(SYNONYMS["amount"])), AMOUNTS))
    if draw(st.booleans()):
        cols.append((draw(st.sampled_from(SYNONYMS["status"] + SYNONYMS["event_name"])), CELL))
    cols = draw(st.permutations(cols))
    n = draw(st.integers(1, 30))
    rows = [[h for h, _ in cols]] + [[draw(s) for _, s in cols] for _ in range(n)]
    sep = draw(st.sampled_from([",", "\t", ";"]))
    text = "\r\n".join(sep.join(r) for r in rows) + "\r\n"
    return "upload.csv", text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@pytest.mark.slow
@SETTINGS
@given(csvish())
def test_csvish_files_never_crash(file):
    _check([file])


@pytest.mark.slow
@SETTINGS
@given(tabular())
def test_tabular_files_never_crash_and_rows_add_up(file):
    _check([file])


@pytest.mark.slow
@SETTINGS
@given(st.binary(max_size=3000), st.sampled_from(["x.csv", "x.xlsx", "x.xls", "x.tsv"]))
def test_random_bytes_never_crash(data, name):
    _check([(name, data)])


@pytest.mark.slow
@SETTINGS
@given(st.binary(max_size=400))
def test_magic_prefixes_never_crash(tail):
    """Bytes that start like a zip, an OLE file, a BOM or HTML, then go wrong."""
    for prefix in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf", b"\xff\xfe",
                   b"\xfe\xff", b"<html>", b"\x00\x00\xfe\xff"):
        _check([("f.csv", prefix + tail)])


@pytest.mark.parametrize("seed", range(3))
def test_several_files_at_once(seed):
    """Two good files and a broken one: the broken one is reported, the good ones load."""
    import random

    rng = random.Random(seed)
    junk = bytes(rng.randrange(256) for _ in range(500))
    events = "用户ID,行为时间\nU1,2024-01-05\nU2,2024-01-06\n".encode("gbk")
    orders = "user_id,order_time,amount\nU1,2024-01-05,10\nU1,2024-01-07,-\n".encode()
    ds, files, _ = load_files([("e.csv", events), ("junk.csv", junk), ("o.csv", orders)])
    assert ds is not None and ds.n_users == 2
    assert len(ds.orders) == 1 and files[1].read.df is None
