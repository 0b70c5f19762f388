"""Tests for opslab.validate.coerce_table on hand-built messy tables."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslab.core.i18n import catalog
from opslab.core.problems import ERROR, INFO
from opslab.ingest.validate import coerce_table

T = pd.Timestamp
TODAY = "2024-02-01"

# (会员号, 下单时间, 实付金额, 订单状态, 订单号); spreadsheet row = index + 2
ORDERS = [
    ("u1", "2024-01-05", "¥100", "已支付", "O1"),           # r2 good
    ("u2", "2024/1/6 10:00", "1,280元", "paid", "O2"),      # r3 good
    ("", "2024-01-07", "50", "paid", "O3"),                 # r4 missing id
    ("u3", "not a date", "50", "paid", "O4"),               # r5 bad date
    ("u4", "1899-12-31", "50", "paid", "O5"),               # r6 before 1900
    ("u5", "2024-01-08", "abc", "paid", "O6"),              # r7 bad amount
    ("u6", "2024-01-08", "-30", "paid", "O7"),              # r8 negative: a refund, kept
    ("u7", "2024-01-08", "(30)", "已退款", "O8"),           # r9 negative refund: kept
    ("u8", "2024-01-08", "2亿", "paid", "O9"),              # r10 absurd amount
    ("u1", "2024-01-05", "¥100", "已支付", "O1"),           # r11 exact duplicate of r2 (every column)
    ("u9", "2024-01-09", "20", "paid", "O2"),               # r12 repeated order id, another customer
    ("u10", "2024-01-09", "20", None, None),                # r13 good: default status, auto id
    ("u11", "2030-01-01", "20", "paid", "O12"),             # r14 out of range (future)
    (" u12 ", "45301", "20", "weird", "O13"),               # r15 good, unknown status
    ("u13", "2024-01-10", "", "paid", "O14"),               # r16 missing amount
    ("u14", "2024-01-11", "20", "待支付", "O15"),           # r17 unpaid
]
COLS = ["会员号", "下单时间", "实付金额", "订单状态", "订单号"]
MAP = {"user_id": "会员号", "order_time": "下单时间", "amount": "实付金额",
       "status": "订单状态", "order_id": "订单号", "channel": None}


@pytest.fixture(scope="module")
def orders_result():
    raw = pd.DataFrame(ORDERS, columns=COLS, dtype="str").assign(备注="x")
    return coerce_table(raw, MAP, "orders", today=TODAY)


def test_orders_counts(orders_result):
    r = orders_result
    assert (r.n_input, r.n_clean, r.n_duplicates, r.n_rejected) == (16, 6, 2, 8)
    assert r.n_dropped == 2 and r.n_clean + r.n_rejected + r.n_dropped == r.n_input
    # the amounts reconcile too: 100 + 1280 - 30 - 30 + 20 + 20 kept; r11 (100) and r12 (20) dropped
    rec = r.reconciliation()
    assert rec.loc["kept", "amount"] == 1360.0 and rec.loc["dropped", "amount"] == 120.0
    # gross = the sales 100 + 1280 + 20 + 20; refunds = the two negative rows r8, r9
    assert tuple(rec.loc["kept", ["gross", "refunds", "net"]]) == (1420.0, 60.0, 1360.0)
    assert rec.loc["input", "amount"] == pytest.approx(rec.loc[["kept", "rejected", "dropped"], "amount"].sum())


def test_orders_clean_rows_intact(orders_result):
    c = orders_result.clean
    assert list(c.columns) == ["user_id", "order_time", "amount", "order_id", "status", "channel",
                               "quantity", "unit_price"]  # product fields only when mapped
    assert c["user_id"].tolist() == ["u1", "u2", "u6", "u7", "u10", "u12"]
    assert c["order_time"].tolist() == [T("2024-01-05"), T("2024-01-06 10:00"), T("2024-01-08"),
                                        T("2024-01-08"), T("2024-01-09"), T("2024-01-10")]
    assert c["amount"].tolist() == [100.0, 1280.0, -30.0, -30.0, 20.0, 20.0]
    assert c["status"].tolist() == ["paid", "paid", "refunded", "refunded", "paid", "paid"]
    assert c["order_id"].tolist() == ["O1", "O2", "O7", "O8", "row-13", "O13"]
    assert c["order_time"].dtype == "datetime64[us]" and c["amount"].dtype == "float64"
    assert c["channel"].isna().all()


def test_orders_rejected_reasons(orders_result):
    rej = orders_result.rejected
    got = dict(zip(rej["row"], rej["reason"]))
    assert got == {
        4: "validate.missing_id", 5: "validate.bad_date", 6: "validate.date_too_early",
        7: "validate.bad_amount", 10: "validate.absurd_amount",
        14: "validate.date_in_future",
        16: "validate.missing_value", 17: "validate.unpaid_order",
    }
    # original raw columns are kept verbatim
    assert rej.loc[rej["row"] == 7, "实付金额"].item() == "abc"
    assert set(COLS) <= set(rej.columns) and "备注" in rej.columns


def test_orders_problems(orders_result):
    probs = {p.code: p for p in orders_result.report}
    expected = {
        "validate.missing_id": (1, "会员号", ((4, ""),)),
        "validate.bad_date": (1, "下单时间", ((5, "not a date"),)),
        "validate.date_too_early": (1, "下单时间", ((6, "1899-12-31"),)),
        "validate.date_in_future": (1, "下单时间", ((14, "2030-01-01"),)),
        "validate.bad_amount": (1, "实付金额", ((7, "abc"),)),
        "validate.missing_value": (1, "实付金额", ((16, ""),)),
        "validate.refund_rows.negative": (2, "实付金额", ((8, "-30"), (9, "(30)"))),
        "validate.absurd_amount": (1, "实付金额", ((10, "2亿"),)),
        "validate.unknown_status": (1, "订单状态", ((15, "weird"),)),
        "validate.unpaid_order": (1, "订单状态", ((17, "待支付"),)),
        "validate.duplicate_rows": (1, "订单号", ((11, "O1"),)),
        "validate.duplicate_order_id": (1, "订单号", ((12, "O2"),)),
        "validate.currency_symbols": (3, "实付金额", ()),  # ¥ twice, 元 once
    }
    assert set(probs) == set(expected)
    for code, (count, column, examples) in expected.items():
        p = probs[code]
        assert (p.count, p.column, p.examples) == (count, column, examples), code
    assert probs["validate.unknown_status"].severity == INFO
    assert not orders_result.report.has_errors


def test_every_code_has_both_translations(orders_result):
    for p in orders_result.report:
        assert p.code in catalog("en") and p.code in catalog("zh")


def test_examples_capped_at_five():
    raw = pd.DataFrame({"uid": [str(i) for i in range(8)], "t": ["bad"] * 8})
    r = coerce_table(raw, {"user_id": "uid", "event_time": "t"}, "events", today=TODAY)
    (p,) = list(r.report)
    assert p.count == 8 and [e[0] for e in p.examples] == [2, 3, 4, 5, 6]
    assert r.n_clean == 0 and r.n_rejected == 8


def test_missing_required_mapping_is_an_error():
    raw = pd.DataFrame({"uid": ["1", "2"], "金额": ["3", "4"]})
    r = coerce_table(raw, {"user_id": "uid", "amount": "金额", "order_time": None}, "orders")
    (p,) = list(r.report)
    assert (p.code, p.severity, p.params) == ("validate.missing_column", ERROR,
                                              {"field": "order_time", "table": "orders"})
    assert r.n_clean == 0 and r.clean.empty and "user_id" in r.clean.columns
    assert r.n_clean + r.n_rejected == 2


def test_events_defaults_extras_and_excel_ids():
    raw = pd.DataFrame({"用户ID": ["123.0", " 45.0", "7"], "时间": ["2024-01-05"] * 3,
                        "行为": ["login", None, ""], "设备": ["ios", "android", None]})
    m = {"user_id": "用户ID", "event_time": "时间", "event_name": "行为"}
    r = coerce_table(raw, m, "events", today=TODAY)
    c = r.clean
    assert c["user_id"].tolist() == ["123", "45", "7"]
    assert c["event_name"].tolist() == ["login", "active", "active"]
    assert c["设备"].tolist()[:2] == ["ios", "android"] and pd.isna(c["设备"].iloc[2])
    assert c["amount"].isna().all() and [p.code for p in r.report] == ["validate.ids_unified"]


def test_decimal_ids_unified_even_next_to_text_ids():
    # A float column ("1.0", "2.0") is unified even when another id is not a number; 1.5 stays
    raw = pd.DataFrame({"uid": ["1.0", "2.0", "1.5", "A7"], "ts": ["2024-01-05"] * 4})
    r = coerce_table(raw, {"user_id": "uid", "event_time": "ts"}, "events", today=TODAY)
    assert r.clean["user_id"].tolist() == ["1", "2", "1.5", "A7"]
    (p,) = [p for p in r.report if p.code == "validate.ids_unified"]
    assert p.count == 2


def test_ids_written_apart_in_one_column_stay_apart():
    # Issue 28: "1.0" next to "1" in the same column are two ids as typed: never merged
    # silently (the default keeps people apart), and the page says why.
    raw = pd.DataFrame({"uid": ["1.0", "1", "1.5", "A7"], "ts": ["2024-01-05"] * 4})
    r = coerce_table(raw, {"user_id": "uid", "event_time": "ts"}, "events", today=TODAY)
    assert r.clean["user_id"].tolist() == ["1.0", "1", "1.5", "A7"]
    assert [p.count for p in r.report if p.code == "validate.ids_kept_apart"] == [1]
    assert not [p for p in r.report if p.code == "validate.ids_unified"]


def test_campaign_rules():
    raw = pd.DataFrame({
        "活动ID": ["C1", "C2", "C3", "C4"],
        "开始日期": ["2024-01-01", "2024-02-10", "2024-01-01", "2024-03-01"],
        "结束日期": ["2024-01-31", "2024-02-01", "2024-01-15", "2024-06-30"],  # C4 is planned
        "花费": ["1.2万", "500", "-10", "3000"],
        "参与人数": ["1,000", "x", "10", ""],
    })
    m = {"campaign_id": "活动ID", "start_date": "开始日期", "end_date": "结束日期",
         "spend": "花费", "participants": "参与人数"}
    r = coerce_table(raw, m, "campaigns", today=TODAY)
    assert dict(zip(r.rejected["row"], r.rejected["reason"])) == {
        3: "validate.end_before_start", 4: "validate.negative_spend"}
    assert r.clean["campaign_id"].tolist() == ["C1", "C4"]
    assert r.clean["spend"].tolist() == [12000.0, 3000.0]
    assert r.clean["participants"].iloc[0] == 1000.0 and np.isnan(r.clean["participants"].iloc[1])
    bad = {p.code: p for p in r.report}["validate.bad_amount"]  # optional: cleared, row kept
    assert bad.count == 1 and bad.examples == ((3, "x"),)


def test_users_duplicate_ids_and_optional_bad_date_kept():
    raw = pd.DataFrame({"uid": ["a", "b", "a"], "注册时间": ["2024-01-01", "??", "2024-01-02"],
                        "渠道": ["抖音", "微信", "微信"]})
    r = coerce_table(raw, {"user_id": "uid", "signup_time": "注册时间", "channel": "渠道"},
                     "users", today=TODAY)
    assert r.clean["user_id"].tolist() == ["a", "b"]
    assert pd.isna(r.clean["signup_time"].iloc[1])
    assert r.rejected["reason"].tolist() == ["validate.duplicate_key"]
    assert {p.code for p in r.report} == {"validate.bad_date", "validate.duplicate_key"}


cells = st.one_of(st.none(), st.text(max_size=10),
                  st.sampled_from(["2024-01-05", "45296", "-5", "¥1,280", "已退款", "1", "1.0"]))


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(cells, cells, cells, cells), max_size=15),
       st.sampled_from(["events", "orders", "users", "campaigns"]))
def test_coerce_table_never_raises_and_accounts_for_every_row(rows, table):
    raw = pd.DataFrame(rows, columns=["a", "b", "c", "d"], dtype="str")
    maps = {"events": {"user_id": "a", "event_time": "b", "amount": "c", "event_name": "d"},
            "orders": {"user_id": "a", "order_time": "b", "amount": "c", "status": "d"},
            "users": {"user_id": "a", "signup_time": "b", "channel": "c"},
            "campaigns": {"campaign_id": "a", "start_date": "b", "end_date": "b", "spend": "c"}}
    r = coerce_table(raw, maps[table], table, today=TODAY)
    assert r.n_clean + r.n_rejected + r.n_dropped == r.n_input == len(rows)
    assert r.n_clean == len(r.clean)
    assert r.clean["user_id" if table != "campaigns" else "campaign_id"].notna().all()
    assert set(r.rejected["row"]).isdisjoint(range(0, 2))
