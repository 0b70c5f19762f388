"""Exports open cleanly in Excel and never carry a formula."""

import io

import pandas as pd
from openpyxl import load_workbook

from opslab.present import export

HOSTILE = pd.DataFrame({
    "用户ID": ["=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@x", "\tTAB", "\rCR", "张三", "safe"],
    "金额": [1.5, -20.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
})


def test_csv_is_utf8_sig_and_neutralised():
    data = export.to_csv_bytes(HOSTILE)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"用户ID": str}, keep_default_na=False)
    assert list(back.columns) == ["用户ID", "金额"]
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in back["用户ID"])
    assert back["用户ID"].iloc[6] == "张三" and back["用户ID"].iloc[0] == "'=cmd|' /C calc'!A0"
    assert back["金额"].iloc[1] == -20.0  # numbers stay numbers, negative or not


def test_xlsx_has_no_formula_cells():
    wb = load_workbook(io.BytesIO(export.to_xlsx_bytes(HOSTILE)))
    ws = wb.active
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert ws["A8"].value == "张三" and ws["B3"].value == -20.0
