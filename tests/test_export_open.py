"""Exports that always open: characters an .xlsx cannot hold are replaced, the file is still
written, and a download built later is in the language the reader had when it was offered."""

from __future__ import annotations

import io
import threading

import pandas as pd
from openpyxl import load_workbook

from opslab.present import export


def _roundtrip(frame: pd.DataFrame):
    wb = load_workbook(io.BytesIO(export.to_xlsx_bytes(frame)))  # what Excel would have to parse
    return [[c.value for c in row] for row in wb.active.iter_rows()]


def test_form_feed_and_uffff_no_longer_break_the_xlsx():
    frame = pd.DataFrame({"user_id": ["u\x0c1", "u\uffff2", "ok", "tab\tand\nnewline", "\x00nul", "=cmd\x1f"],
                          "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    rows = _roundtrip(frame)
    assert rows[0] == ["user_id", "amount"]
    assert [r[0] for r in rows[1:]] == ["u\ufffd1", "u\ufffd2", "ok", "tab\tand\nnewline", "\ufffdnul", "'=cmd\ufffd"]
    assert [r[1] for r in rows[1:]] == [1, 2, 3, 4, 5, 6]
    data = export.to_xlsx_bytes(frame)
    assert b"\xef\xbf\xbf" not in data  # no U+FFFF anywhere in the package's XML


def test_illegal_characters_in_headers_and_sheet_names():
    frame = pd.DataFrame({"列\x0b名": ["x"]})
    wb = load_workbook(io.BytesIO(export.to_xlsx_bytes(frame, sheet="a/b\x0c[c]")))
    assert wb.active.title == "a_b\ufffd_c_"
    assert wb.active["A1"].value == "列\ufffd名"


def test_csv_keeps_what_csv_can_hold_and_never_fails_on_lone_surrogates():
    frame = pd.DataFrame({"user_id": ["u\x0c1", "bad\ud800", "+1"]}, dtype=object)
    text = export.to_csv_bytes(frame).decode("utf-8-sig")
    assert text.split("\r\n")[1:-1] == ["u\x0c1", "bad\ufffd", "'+1"]


def test_a_deferred_build_uses_the_language_pinned_when_the_button_was_drawn():
    from ui.state import lang, pinned_language, tr
    out = {}

    def later():  # a download callback, run after the script, in another thread
        with pinned_language("en"):
            out["lang"], out["text"] = lang(), tr("workspace.delete")

    t = threading.Thread(target=later)
    t.start()
    t.join()
    assert out == {"lang": "en", "text": "Delete"}
    with pinned_language("zh"):
        assert tr("workspace.delete") == "删除"
