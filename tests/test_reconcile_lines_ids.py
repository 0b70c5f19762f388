"""Issue 28, finding 11 (last part): the reconciliation counts lines the way a user does, and id
coercion never merges ids silently. Numbers checked against plain Python over the raw bytes."""

from __future__ import annotations

import pandas as pd

from opslab.core.i18n import t
from opslab.dataset.load import load
from opslab.ingest.read import read_table
from ui.data_report import lines_note


def _stray_quote_file() -> bytes:
    """500 lines: a header, a row, a row whose remark opens a quote that closes 496 lines later
    (swallowing them), and a last row -- the review's "3 in / 3 kept" file."""
    lines = ["user_id,order_time,amount,remark", "u1,2024-01-05,10,ok", 'u2,2024-01-06,20,"stray quote']
    lines += [f"u{i},2024-01-07,{i},swallowed" for i in range(3, 499)]
    lines[-1] += '"'
    lines.append("u999,2024-01-08,30,last")
    return ("\n".join(lines) + "\n").encode()


def test_a_quoted_field_spanning_lines_is_counted_and_shown():
    data = _stray_quote_file()
    lines = data.decode().splitlines()
    assert len(lines) == 500  # what an editor shows
    read = read_table(data, "orders.csv")
    assert read.n_lines == len(lines) and read.df.shape[0] == 3
    assert read.n_spanning == 1 and read.n_spanned_lines == 496
    assert 1 + 3 + read.n_spanned_lines == read.n_lines  # header + rows + swallowed lines
    for lang in ("zh", "en"):
        text = t("data.lines", lang, lines="500", header=1, rows="3", spanning="1", extra="496", other="0")
        assert "500" in text and "496" in text
    # The same numbers through the whole pipeline: 3 in, 3 kept, and the lines accounted for.
    res = load(("orders.csv", data))
    f = res.files[0]
    rec = f.result.reconciliation()
    assert rec.loc["input", "rows"] == 3 and rec.loc["kept", "rows"] == 3
    note = lines_note(f.read, int(rec.loc["input", "rows"]))
    assert note is not None and "500" in note and "496" in note
    # A file whose lines are its rows needs no note.
    plain = b"user_id,order_time,amount\nu1,2024-01-05,10\nu2,2024-01-06,20\n"
    r2 = read_table(plain, "o.csv")
    assert r2.n_lines == 3 and lines_note(r2, 2) is None


def test_ids_that_differ_only_by_a_decimal_ending_are_never_merged():
    # Four real members: 7, 7.0, 70 and 700 as typed in a text export (the review: 4 -> 2).
    data = ("user_id,order_time,amount\n7,2024-01-05,10\n7.0,2024-01-05,11\n"
            "70,2024-01-06,12\n7.00,2024-01-06,13\n").encode()
    res = load(("orders.csv", data))
    f = res.files[0]
    kept = f.result.clean["user_id"].tolist()
    assert kept == ["7", "7.0", "70", "7.00"]
    assert f.result.clean["user_id"].nunique() == pd.read_csv(pd.io.common.BytesIO(data), dtype=str)["user_id"].nunique()
    codes = {p.code: p for p in f.result.report.problems}
    assert "validate.ids_kept_apart" in codes and codes["validate.ids_kept_apart"].count == 2
    for lang in ("zh", "en"):
        assert "7.0" in t("validate.ids_kept_apart", lang, column="user_id", count=2, n=2)
    # An Excel float column on its own still meets the text ids of another file (one person).
    floats = b"user_id,order_time,amount\n7.0,2024-01-05,10\n8.0,2024-01-06,20\n"
    res2 = load(("orders.csv", floats))
    assert res2.files[0].result.clean["user_id"].tolist() == ["7", "8"]
    assert "validate.ids_unified" in {p.code for p in res2.files[0].result.report.problems}
