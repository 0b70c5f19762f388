"""Real-world shapes through the whole loader (tests/data/realworld/, see its README.md).

Every file is checked against an independent reading: the CDNOW-derived files against
``tests/realdata.cdnow_truth`` (plain pandas over the raw log), the hand-made ones against
plain pandas or hand-computed numbers. Rows in = kept + rejected + set aside, for rows and
amounts, and nothing is guessed silently.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslab.metrics import kpi_table as metrics
from opslab.core.i18n import catalog, t
from opslab.dataset.load import inspect_file, load
from opslab.ingest.header import cell_kind
from opslab.ingest.mapping import normalize_header
from opslab.ingest.read import read_table
from tests.data import make_realworld_files as mk
from tests.realdata import cdnow_bytes, cdnow_truth

HERE = Path(__file__).resolve().parents[3] / "tests" / "data" / "realworld"
TODAY = "2025-01-01"


@pytest.fixture(scope="module")
def truth400() -> pd.DataFrame:
    frame = cdnow_truth()
    return frame[frame["customer_id"].astype(int) <= mk.CUSTOMERS]


def _only(res):
    (f,) = res.files
    return f, f.result


def _codes(res) -> set[str]:
    return {p.code for _, p in res.problems}


def _reconciles(r) -> None:
    rec = r.reconciliation()
    assert rec.loc["input", "rows"] == rec.loc[["kept", "rejected", "dropped"], "rows"].sum()
    if r.amounts is not None:
        parts = rec.loc[["kept", "rejected", "dropped"], "amount"].sum()
        assert round(rec.loc["input", "amount"], 2) == round(parts, 2)


def test_committed_corpus_is_what_the_generator_makes():
    committed = {p.name for p in HERE.iterdir() if p.name != "README.md"}
    assert committed == set(mk.CORPUS)
    for name, make in mk.CORPUS.items():
        assert (HERE / name).read_bytes() == make(), name
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    for name in mk.CORPUS:
        assert f"`{name}`" in readme, f"{name} is not described in README.md"


@pytest.mark.parametrize("name,currency", [
    ("cdnow_400.txt", "USD"),            # header dollar_value
    ("cdnow_400_gbk.csv", "CNY"),        # ￥ in the cells
    ("cdnow_400_english.xlsx", "USD"),   # header "Sales ($)"
    ("cdnow_400_noheader.csv", ""),      # nothing says: not stated (never CNY by default), and said so
])
def test_cdnow_shapes_keep_every_purchase(name, currency, truth400):
    res = load(HERE / name, today=TODAY)
    f, r = _only(res)
    assert f.table == "orders"
    assert r.n_clean == len(truth400) == 1395 and r.n_rejected == 0 and r.n_dropped == 0
    assert round(r.amounts["kept"], 2) == round(truth400["dollar_value"].sum(), 2)
    assert r.clean["quantity"].sum() == truth400["number_of_cds"].sum()
    # per customer and day, the same money as plain pandas reads from the raw log
    ours = r.clean.groupby([r.clean["user_id"], r.clean["order_time"].dt.date])["amount"].sum().round(2)
    theirs = truth400.groupby([truth400["customer_id"], truth400["date"].dt.date])["dollar_value"].sum().round(2)
    assert ours.sort_index().tolist() == theirs.sort_index().tolist()
    ds = res.dataset
    assert ds.currency == currency and ds.n_users == truth400["customer_id"].nunique() == 400
    assert "validate.duplicate_rows_kept" in _codes(res)  # the one legitimately repeated row
    assert any(p.code.startswith("decide.currency.") for _, p in res.problems)
    _reconciles(r)


def test_headerless_file_gets_a_suggestion_from_its_values():
    f = inspect_file("x.csv", (HERE / "cdnow_400_noheader.csv").read_bytes())
    assert f.read.has_header is False and f.table == "orders"
    m = f.mapping_dict
    assert (m["user_id"], m["order_time"], m["quantity"], m["amount"]) == ("col_1", "col_2", "col_3", "col_4")
    assert [p.code for p in f.hints] == ["mapping.from_content"]


def test_full_cdnow_log_reconciles_with_pandas_month_by_month():
    truth = cdnow_truth()
    res = load(("CDNOW_master.txt", cdnow_bytes()))
    f, r = _only(res)
    ds = res.dataset
    assert (r.n_input, r.n_clean, r.n_rejected, r.n_dropped) == (69_659, 69_659, 0, 0)
    assert round(r.amounts["kept"], 2) == round(truth["dollar_value"].sum(), 2) == 2_500_315.63
    assert ds.n_users == 23_570 and ds.currency == "USD"
    assert len(ds.orders) == 69_659 and round(ds.orders["amount"].sum(), 2) == 2_500_315.63
    (p,) = [p for _, p in res.problems if p.code == "validate.duplicate_rows_kept"]
    dup = truth.duplicated()
    assert p.count == int(dup.sum()) == 255
    assert round(p.params["amount"], 2) == round(truth.loc[dup, "dollar_value"].sum(), 2)
    # the Overview's GMV for every month is a plain sum over the file
    frame = metrics.kpis(ds, "month")
    expected = truth.groupby(truth["date"].dt.to_period("M"))["dollar_value"].sum()
    got = frame["gmv"]
    got.index = pd.PeriodIndex(got.index, freq="M")
    got = got[got.index.isin(expected.index)]
    assert len(got) == len(expected) == 18
    np.testing.assert_allclose(got.sort_index().to_numpy(), expected.sort_index().to_numpy(), rtol=0, atol=0.005)
    daily = metrics.kpis(ds, "day")["gmv"]
    by_day = truth.groupby(truth["date"])["dollar_value"].sum()
    np.testing.assert_allclose(daily.reindex(by_day.index).to_numpy(), by_day.to_numpy(), rtol=0, atol=0.005)
    assert round(daily.sum(), 2) == 2_500_315.63  # no day outside the file carries money


def test_unit_price_times_quantity_is_the_amount_and_said_before_loading():
    raw = pd.read_csv(HERE / "unit_price_qty.csv", dtype=str)
    expected = (raw["商品单价"].str.replace(",", "").astype(float) * raw["购买数量"].astype(int)).sum()
    f = inspect_file("u.csv", (HERE / "unit_price_qty.csv").read_bytes())
    assert f.table == "orders" and f.mapping_dict["amount"] is None
    assert "mapping.amount_from_price" in {p.code for p in f.hints}
    res = load(HERE / "unit_price_qty.csv", today=TODAY)
    _, r = _only(res)
    assert r.n_clean == 40 and round(r.amounts["kept"], 2) == round(expected, 2)
    assert round(res.dataset.orders["amount"].sum(), 2) == round(expected, 2)
    assert "validate.amount_from_price" in _codes(res)


def test_campaigns_with_chinese_headers():
    f = inspect_file("c.csv", (HERE / "campaigns_zh.csv").read_bytes())
    assert f.table == "campaigns"
    m = f.mapping_dict
    assert (m["campaign_id"], m["start_date"], m["end_date"], m["spend"]) == ("活动名称", "活动开始", "活动结束", "投入")
    assert (m["participants"], m["new_users"], m["conversions"], m["revenue"]) == ("参与用户数", "新增注册", "订单数", "收入")
    res = load(HERE / "campaigns_zh.csv", HERE / "cdnow_400.txt", today=TODAY)
    camp = res.dataset.campaigns
    assert len(camp) == 4 and camp["spend"].sum() == 50_000 + 30_000 + 120_000 + 200_000
    assert camp["revenue"].sum() == 180_000 + 95_000 + 880_000 + 1_500_000


def test_double_export_of_events_dropped_and_switchable():
    raw = pd.read_csv(HERE / "double_export_events.csv", dtype=str)
    n_dup = int(raw.duplicated().sum())
    res = load(HERE / "double_export_events.csv", today=TODAY)
    _, r = _only(res)
    assert (r.n_clean, r.n_dropped) == (len(raw) - n_dup, n_dup) == (50, 10)
    assert r.set_aside["duplicates"]["dropped"] and r.set_aside["duplicates"]["default_dropped"]
    _, kept = _only(load(HERE / "double_export_events.csv", today=TODAY, duplicates="keep"))
    assert kept.n_clean == 60 and kept.n_dropped == 0


def test_orders_without_id_keep_identical_rows_with_id_drop_repeats():
    res = load(HERE / "dollar_revenue.csv", today=TODAY)
    _, r = _only(res)
    assert res.dataset.currency == "USD"
    # o2 repeated: dropped by default, with its amount; the refund stays negative
    assert r.n_clean == 3 and r.n_dropped == 1 and r.amounts["dropped"] == 99.99
    assert sorted(r.clean["amount"]) == [-20.0, 99.99, 1234.5]
    _, kept = _only(load(HERE / "dollar_revenue.csv", today=TODAY, duplicates="keep"))
    assert kept.n_clean == 4
    _reconciles(r)


def test_placeholder_dates_set_aside_by_default_and_kept_on_request():
    raw = pd.read_csv(HERE / "placeholder_orders.csv", dtype=str)
    far = raw["order_time"].str.startswith(("1970", "1900"))
    res = load(HERE / "placeholder_orders.csv", today=TODAY)
    _, r = _only(res)
    assert r.n_clean == int((~far).sum()) == 30 and r.n_dropped == 4
    assert r.amounts["kept"] == raw.loc[~far, "amount"].astype(float).sum()
    assert r.amounts["dropped"] == raw.loc[far, "amount"].astype(float).sum()
    (p,) = [p for _, p in res.problems if p.code == "validate.placeholder_dates"]
    assert "1970-01-01 (3)" in p.params["dates"] and "1900-01-01 (1)" in p.params["dates"]
    _, kept = _only(load(HERE / "placeholder_orders.csv", today=TODAY, placeholders="keep"))
    assert kept.n_clean == 34 and kept.amounts["kept"] == raw["amount"].astype(float).sum()
    _reconciles(r)


def test_day_month_order_decided_once_for_the_whole_upload():
    # Alone, the events file cannot tell; with the orders file (13/01/2024) both read day-first.
    alone = load(HERE / "ambiguous_events.csv", today=TODAY)
    assert "decide.date_order.ambiguous" in _codes(alone)
    both = load(HERE / "day_first_orders.csv", HERE / "ambiguous_events.csv", today=TODAY)
    assert both.decisions.choices.day_first is True and both.decisions.day_first_basis == "evidence"
    events = both.files[1].result.clean["event_time"].tolist()
    assert events == [pd.Timestamp("2024-03-02"), pd.Timestamp("2024-04-05"), pd.Timestamp("2024-02-01")]
    forced = load(HERE / "day_first_orders.csv", HERE / "ambiguous_events.csv", today=TODAY, day_first=False)
    assert forced.files[1].result.clean["event_time"].iloc[0] == pd.Timestamp("2024-02-03")
    assert forced.files[0].result.n_rejected == 1  # 13/01 cannot be month-first: said, not hidden


def test_time_zones_converted_once_so_one_instant_is_one_time():
    res = load(HERE / "zoned_events.csv", today=TODAY)
    t_ = res.files[0].result.clean["event_time"].tolist()
    assert t_[0] == t_[1] == pd.Timestamp("2024-01-05 23:30")
    assert t_[2] == pd.Timestamp("2024-01-06 09:00")  # no zone: the wall clock as written
    shanghai = load(HERE / "zoned_events.csv", today=TODAY, tz="+08:00")
    t8 = shanghai.files[0].result.clean["event_time"].tolist()
    assert t8[0] == t8[1] == pd.Timestamp("2024-01-06 07:30")
    assert "decide.zone.data" in _codes(res)


def test_twelve_hour_clocks_and_month_names():
    _, r = _only(load(HERE / "clock_times.csv", today=TODAY))
    assert r.n_clean == 5
    assert r.clean["order_time"].tolist() == [
        pd.Timestamp("2024-01-05 15:04:05"), pd.Timestamp("2024-01-05 15:04:05"),
        pd.Timestamp("2024-01-05 00:30:00"), pd.Timestamp("2024-01-05 15:04:05"),
        pd.Timestamp("2024-01-05 09:15:00")]


def test_month_name_dates_beyond_ten_thousand_distinct_values():
    days = pd.date_range("1990-01-01", periods=12_000, freq="D")
    raw = pd.DataFrame({"uid": [f"u{i % 50}" for i in range(len(days))],
                        "时间": [d.strftime("%b %d, %Y") for d in days]})
    res = load(raw, today=TODAY)
    _, r = _only(res)
    assert r.n_clean == 12_000 and r.clean["event_time"].tolist() == list(days)


def test_excel_sep_line_and_stray_quote_and_scientific_ids():
    _, r = _only(load(HERE / "excel_sep_line.csv", today=TODAY))
    assert r.n_clean == 2 and r.amounts["kept"] == 19.5
    res = load(HERE / "stray_quote.csv", today=TODAY)
    (p,) = [p for _, p in res.problems if p.code == "io.multiline_cells"]
    assert p.severity == "warning" and p.params["rows"] == "4 (497)"  # row 4 swallowed 496 lines
    res = load(HERE / "scientific_ids.csv", today=TODAY)
    (p,) = [p for _, p in res.problems if p.code == "validate.scientific_ids"]
    assert p.count == 2 and p.params["n_ids"] == 1
    ids = res.files[0].result.clean["user_id"].tolist()
    # issue 28: "55" and "55.0" in one column are kept apart (never merged silently) and said
    assert ids.count("55") == 1 and ids.count("55.0") == 1
    (kept,) = [p for _, p in res.problems if p.code == "validate.ids_kept_apart"]
    assert kept.severity == "warning" and kept.count == 1


def test_orders_like_file_without_amount_is_flagged_before_loading():
    f = inspect_file("n.csv", (HERE / "no_amount_orders.csv").read_bytes())
    (hint,) = f.hints
    assert hint.code == "mapping.no_amount" and hint.params["columns"] == "total_paid"


def test_nothing_usable_names_the_real_cause_with_numbers():
    csv = "customer_id,date,dollar_value\n" + "".join(f"{i},1850-01-0{1 + i % 9},1.5\n" for i in range(40))
    res = load(("old.csv", csv.encode()), today=TODAY)
    assert res.dataset is None
    first = res.report.problems[[p.code for p in res.report].index("loader.all_rejected")]
    assert first.params["n"] == "40" and first.params["reason_codes"] == (("validate.date_too_early", 40),)
    codes = [p.code for _, p in res.problems if p.severity == "error"]
    assert codes.index("loader.all_rejected") < codes.index("loader.need_activity")


@pytest.mark.slow
def test_every_problem_translates_in_both_languages():
    res = load(*[HERE / n for n in mk.CORPUS], today=TODAY)
    for _, p in res.problems:
        for lang in ("zh", "en"):
            assert p.code in catalog(lang), p.code
            params = {"column": p.column or "", "count": f"{p.count:,}", "cur": "$", "reasons": "x", **p.params}
            text = t(p.code, lang, **params)
            assert "{" not in text, (p.code, text)


def _cost(fn, arg, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(arg)
        best = min(best, time.perf_counter() - start)
    return best


def test_long_digit_cells_cost_linear_time():
    """The header vote and the parsers on a 1 MB digit cell: linear in its size (a quadratic
    pattern would make the 1 MB cell ~16x dearer than the 256 KB one, and take hours)."""
    def read(n):
        return read_table(b"a,b\n" + b"1" * n + b",2024-01-05\nx,2024-01-06\n", "d.csv")
    small, big = 256 * 1024, 1024 * 1024
    ratio = _cost(read, big) / _cost(read, small)
    assert ratio < 8, ratio
    df = read(big).df
    assert list(df.columns) == ["a", "b"] and df.shape == (2, 2)  # the header vote still finds a, b
    assert df.iloc[0, 0] == "1" * big and df.iloc[1].tolist() == ["x", "2024-01-06"]  # the cell kept whole
    kind_ratio = _cost(cell_kind, "9" * big + "x") / max(_cost(cell_kind, "9" * small + "x"), 1e-7)
    assert kind_ratio < 8, kind_ratio


def test_header_cache_is_bounded_in_size():
    """Headers are cut to 128 characters before anything is cached: forty different 2-million-
    character headers (4 MB each) leave well under 1 MB behind, and compare as their first 128."""
    import tracemalloc
    huge = "列" * 5_000_000
    assert normalize_header(huge) == normalize_header("列" * 128) == "列" * 128
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(40):
            normalize_header(chr(0x4E00 + i) * 2_000_000)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 1_000_000, kept  # caching the full keys would keep 160 MB
