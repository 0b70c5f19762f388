"""Spreadsheets: every hostile input of issue #10 and the real-world shapes, through read_table
and the pipeline (counts and sums checked against an independent computation)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslab.core.i18n import t
from opslab.ingest import excel
from opslab.ingest.excel_worker import scan_sheet_xml
from opslab.dataset.load import apply_mapping, inspect_file
from opslab.ingest.read import ReadOptions, read_table
from tests.data import make_bad_excel as mk

ROOT = Path(__file__).resolve().parents[3]
ORDERS = {"user_id": "用户ID", "order_time": "下单时间", "amount": "实付金额"}


def codes(res) -> dict:
    return {p.code: p for p in res.report.problems}


def _translatable(res) -> None:
    for p in res.report.problems:
        for lang in ("zh", "en"):
            text = t(p.code, lang, **p.params)
            assert text != p.code and "{" not in text, (p.code, text)


def test_no_import_loop_between_read_and_excel():
    # read.py uses the spreadsheet reader; the reader never imports read.py back
    import ast
    for name in ("excel.py", "excel_worker.py"):
        tree = ast.parse((ROOT / "opslab/ingest" / name).read_text("utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert "opslab.ingest.read" not in imported, name
    assert "import" not in "".join(
        line for line in (ROOT / "opslab/ingest/read.py").read_text("utf-8").splitlines()
        if line.startswith((" ", "\t")) and "opslab.ingest" in line)


def test_dimension_bomb_reads_only_the_real_cells():
    data = mk.dimension_bomb()
    assert len(data) < 5000
    t0 = time.perf_counter()
    res = read_table(data, "bomb.xlsx")
    assert time.perf_counter() - t0 < 30  # seconds, not the 17 minutes of a padded read
    assert res.df.shape == (2, 3) and res.df["实付金额"].tolist() == ["10", "20"]


@pytest.mark.slow
def test_empty_rows_count_toward_the_row_cap():
    data = mk.empty_rows(300_000)
    res = read_table(data, "rows.xlsx", ReadOptions(max_rows=100_000))
    assert res.df is None and codes(res)["excel.too_many_rows"].params["limit"] == 100_000
    _translatable(res)
    ok = read_table(data, "rows.xlsx")  # under the default cap: the one real row is kept
    assert ok.df["用户ID"].tolist() == ["u1"]
    assert codes(ok)["io.empty_rows_dropped"].params["n"] == 300_000


def test_far_apart_cells_are_refused_before_the_parser_allocates():
    res = read_table(mk.far_cell(), "far.xlsx")
    p = codes(res)["excel.sparse"]
    assert res.df is None and p.params["rows"] == 200_000 and p.params["cols"] == 500 and p.params["cells"] == 2
    _translatable(res)
    wide = mk.xlsx([mk.sheet("s", [mk.row(1, ["id"]), mk.row(2, ["x"], first_col=16384)])])
    assert "io.too_many_columns" in codes(read_table(wide, "w.xlsx"))


@pytest.mark.slow
def test_one_gigabyte_cell_is_refused_not_taken_as_an_id():
    data = mk.huge_cell_xlsx(2**30)
    assert len(data) < 3 * 2**20  # a small upload
    res = read_table(data, "cell.xlsx")
    assert res.df is None and "excel.unpacked_too_large" in codes(res)
    _translatable(res)
    f = inspect_file("cell.xlsx", data)
    assert f.table is None and f.read.df is None


def test_long_cell_under_the_unpacked_limit_is_refused_by_length():
    data = mk.huge_cell_xlsx(2 * 2**20)  # 2 MB of digits: over Excel's 32,767 characters
    res = read_table(data, "cell.xlsx")
    assert res.df is None and codes(res)["excel.cell_too_long"].params["limit"] == 32_767
    inline = mk.xlsx([mk.sheet("s", [mk.row(1, ["id", "amount"]), mk.row(2, ["9" * 40_000, 1])])])
    assert "excel.cell_too_long" in codes(read_table(inline, "x.xlsx"))


@pytest.mark.slow
def test_hidden_first_sheet_is_listed_not_loaded():
    data = mk.hidden_first_sheet()
    res = read_table(data, "h.xlsx")
    assert res.sheets == [{"name": "配置", "visible": False, "worksheet": True},
                          {"name": "订单", "visible": True, "worksheet": True}]
    assert res.sheet == "订单" and list(res.df.columns) == ["用户ID", "下单时间", "实付金额"]
    assert codes(res)["excel.hidden_sheets"].params == {"sheets": "配置", "sheet": "订单"}
    _translatable(res)
    chosen = read_table(data, "h.xlsx", ReadOptions(sheet="配置"))
    assert chosen.sheet == "配置" and chosen.df["key"].tolist() == ["secret"]
    only_hidden = mk.xlsx([mk.sheet("空", []), mk.sheet("数据", [mk.row(1, ["id"]), mk.row(2, ["u1"])], state="hidden")])
    res = read_table(only_hidden, "h.xlsx")
    assert res.df is None and codes(res)["excel.only_hidden_sheets"].params == {"sheets": "数据"}
    assert [s["name"] for s in res.sheets] == ["空", "数据"]  # listed, so the page can offer them
    _translatable(res)


@pytest.mark.slow
def test_title_rows_above_the_header_are_detected_and_the_header_row_can_be_chosen():
    data = mk.title_rows()
    res = read_table(data, "t.xlsx")
    assert res.header_row == 4 and res.header_rows[:3] == [1, 2, 4]
    assert list(res.df.columns) == ["用户ID", "下单时间", "实付金额"] and len(res.df) == 20
    assert codes(res)["excel.title_rows_skipped"].params == {"rows": "1, 2", "header": 4}
    _translatable(res)
    f = apply_mapping(inspect_file("t.xlsx", data), "orders", ORDERS, today="2024-03-01")
    assert f.result.n_clean == 20 and f.result.clean["amount"].sum() == sum(10 * (i + 1) for i in range(20))
    picked = read_table(data, "t.xlsx", ReadOptions(header_row=5))  # the user's choice wins
    assert picked.header_row == 5 and list(picked.df.columns) == ["U0", "2024-01-01", "10"]
    assert len(picked.df) == 19 and "excel.title_rows_skipped" not in codes(picked)


def test_formulas_without_saved_values_are_named_as_such():
    res = read_table(mk.formulas_without_values(), "f.xlsx")
    p = codes(res)["excel.formulas_without_value"]
    assert p.params == {"n": 3, "cells": "E2, E3, E4"} and p.count == 3
    _translatable(res)
    assert res.df["实付金额"].tolist()[3:] == ["8", "10", "12"]  # saved values are read
    assert res.df["实付金额"].isna().sum() == 3


def test_scan_counts_rows_and_ignores_the_claimed_dimension():
    xml = (b'<worksheet><dimension ref="A1:XFD1048576"/><sheetData>' + b'<row r="1"/>' * 10
           + b'<row r="11"><c r="C11"><v>1</v></c></row></sheetData></worksheet>')
    for chunk in (7, 64, 1 << 20):  # element boundaries across chunks do not matter
        s = scan_sheet_xml(io.BytesIO(xml), 100, 10, chunk=chunk)
        assert (s["rows"], s["max_row"], s["max_col"], s["cells"]) == (11, 11, 3, 1), chunk


def _orders_rows(n: int, seed: int = 3) -> list[list]:
    rng = np.random.default_rng(seed)
    rows = [["用户ID", "下单时间", "实付金额"]]
    for i in range(n):
        rows.append([f"U{rng.integers(0, n // 3 + 1)}", f"2024-01-{rng.integers(1, 29):02d}",
                     round(float(rng.uniform(1, 500)), 2)])
    return rows


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "xlsb", "ods"])
def test_every_format_keeps_every_row_and_the_file_sum(fmt):
    rows = _orders_rows(300)
    if fmt == "xlsx":
        data = mk.xlsx([mk.sheet("orders", [mk.row(i + 1, r) for i, r in enumerate(rows)])])
    else:
        data = getattr(mk, f"{fmt}_bytes")(rows)
    f = inspect_file(f"orders.{fmt}", data)
    assert f.read.sheet == "orders"
    f = apply_mapping(f, "orders", ORDERS, today="2024-03-01")
    truth = pd.DataFrame(rows[1:], columns=rows[0])
    # orders without an order id: identical rows are separate purchases, every row is kept
    assert f.result.n_input == len(truth)
    assert f.result.n_clean == len(truth) and f.result.n_rejected == 0
    assert f.result.clean["amount"].sum() == pytest.approx(truth["实付金额"].sum(), abs=1e-6)
    assert sorted(f.result.clean["user_id"].unique()) == sorted(truth["用户ID"].unique())


def test_cdnow_as_xlsx_matches_the_raw_file():
    from tests.realdata import cdnow_truth
    truth = cdnow_truth().head(3000)
    rows = [["customer_id", "date", "number_of_cds", "dollar_value"]]
    rows += [[str(r.customer_id), r.date.strftime("%Y-%m-%d"), int(r.number_of_cds), float(r.dollar_value)]
             for r in truth.itertuples()]
    data = mk.xlsx([mk.sheet("cdnow", [mk.row(i + 1, r) for i, r in enumerate(rows)])])
    res = read_table(data, "cdnow.xlsx")
    assert res.n_rows == len(truth)
    got = pd.to_numeric(res.df["dollar_value"]).sum()
    assert got == pytest.approx(truth["dollar_value"].sum(), abs=1e-6)
    assert (res.df["customer_id"] == truth["customer_id"].to_numpy()).all()


_MEMORY_SCRIPT = """
import json, resource, sys
from tests.data import make_bad_excel as mk
from opslab.ingest.read import read_table
data = getattr(mk, sys.argv[1])()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
res = read_table(data, "x.xlsx")
print(json.dumps({"size": len(data), "self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base,
                  "child": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
                  "codes": [p.code for p in res.report.problems]}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("case", ["dimension_bomb", "empty_rows", "far_cell", "formulas_without_values"])
def test_memory_is_a_fixed_multiple_of_the_input(case):
    """The worker's peak stays under its cap (a fixed size, whatever the file); the server
    process itself grows by little more than a copy of the table it gets back."""
    out = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, case], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=300)
    m = json.loads(out.stdout.strip().splitlines()[-1])
    assert m["child"] <= excel.memory_limit(m["size"]), m
    assert m["child"] < 400 * 2**20, m  # measured: ~100-200 MiB for every case here
    assert m["self"] < 64 * 2**20 + 20 * m["size"], m


@pytest.mark.slow
def test_parsing_never_blocks_another_thread():
    """A watchdog ticking every 10 ms while a 20,000-row sheet and each hostile file are read:
    the longest gap stays far below a second (the parse runs in another process)."""
    rows = _orders_rows(20_000)
    big = mk.xlsx([mk.sheet("orders", [mk.row(i + 1, r) for i, r in enumerate(rows)])])
    gaps: list[float] = []
    stop = threading.Event()

    def tick():
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    th = threading.Thread(target=tick)
    th.start()
    try:
        for data in (big, mk.dimension_bomb(), mk.empty_rows(100_000), mk.far_cell(), mk.title_rows()):
            read_table(data, "x.xlsx")
    finally:
        stop.set()
        th.join()
    assert len(gaps) > 10 and max(gaps) < 1.0, max(gaps)


def test_every_excel_code_has_both_messages():
    import re
    used = set()
    for name in ("excel.py", "excel_worker.py"):
        used |= set(re.findall(r'"(excel\.[a-z_]+)"', (ROOT / "opslab/ingest" / name).read_text("utf-8")))
    en = json.loads((ROOT / "opslab/present/locales/excel.en.json").read_text("utf-8"))
    zh = json.loads((ROOT / "opslab/present/locales/excel.zh.json").read_text("utf-8"))
    assert en.keys() == zh.keys() and used <= en.keys(), used - en.keys()
