"""Tests for opslab.mapping: header mapping, table guessing, date / amount / status parsing."""

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opslab.ingest.mapping import (normalize_header, parse_amounts, parse_datetimes, parse_status,
                            suggest_mapping, suggest_table)

T = pd.Timestamp

DATE_CASES = [
    ("2024-01-05", T("2024-01-05")),
    ("2024-01-05 13:20", T("2024-01-05 13:20")),
    ("2024-01-05T13:20:00Z", T("2024-01-05 13:20")),
    ("2024-01-05T13:20:00+08:00", T("2024-01-05 13:20")),  # wall clock kept
    ("2024/1/5", T("2024-01-05")),
    ("2024/01/05 8:03", T("2024-01-05 08:03")),
    ("2024.1.5", T("2024-01-05")),
    ("2024年1月5日", T("2024-01-05")),
    ("2024年1月5日 13时20分", T("2024-01-05 13:20")),
    ("2024年1月5日 13:20", T("2024-01-05 13:20")),
    ("２０２４－０１－０５", T("2024-01-05")),  # full-width
    ("20240105", T("2024-01-05")),
    ("20240105132000", T("2024-01-05 13:20:00")),
    ("45296", T("2024-01-05")),
    ("45296.5", T("2024-01-05 12:00")),
    ("1704412800", T("2024-01-05")),           # epoch seconds (UTC)
    ("1704457200000", T("2024-01-05 12:20")),  # epoch milliseconds
    ("  2024-01-05  ", T("2024-01-05")),
    ("Jan 5, 2024", T("2024-01-05")),
]


@pytest.mark.parametrize("raw,expected", DATE_CASES)
def test_parse_datetimes_formats(raw, expected):
    values, failed = parse_datetimes(pd.Series([raw]))
    assert values.dtype == "datetime64[us]"
    assert values.iloc[0] == expected
    assert not failed.iloc[0]


def test_excel_serial_matches_excel_epoch():
    # Excel day 1 = 1900-01-01 with the 1900 leap-year bug, so day 0 is 1899-12-30.
    expected = T("1899-12-30") + pd.Timedelta(days=45296)
    assert expected == T("2024-01-05")
    assert parse_datetimes(pd.Series(["45296"]))[0].iloc[0] == expected


def test_epoch_seconds_and_ms_agree_with_python():
    import datetime as dt
    secs = 1_700_000_123
    expected = T(dt.datetime.fromtimestamp(secs, dt.timezone.utc).replace(tzinfo=None))
    v, _ = parse_datetimes(pd.Series([str(secs), str(secs * 1000)]))
    assert v.tolist() == [expected, expected]


def test_empty_is_nat_not_failed_and_garbage_fails():
    v, f = parse_datetimes(pd.Series(["", None, "NULL", "abc", "2024-13-45", "12"]))
    assert v.isna().all()
    assert f.tolist() == [False, False, False, True, True, True]


def test_mixed_formats_in_one_column():
    raw = pd.Series(["2024-01-05", "2024/1/6", "2024年1月7日", "20240108", "45300", None],
                    index=[10, 11, 12, 13, 14, 15])
    v, f = parse_datetimes(raw)
    assert list(v.index) == [10, 11, 12, 13, 14, 15]
    assert v.iloc[:5].tolist() == [T(f"2024-01-{d:02d}") for d in range(5, 10)]
    assert not f.any()


def test_slash_dates_day_or_month_first_by_column():
    # 13/6 proves day-first for this column.
    v, f = parse_datetimes(pd.Series(["1/5/2024", "13/6/2024"]))
    assert v.tolist() == [T("2024-05-01"), T("2024-06-13")] and not f.any()
    # 6/13 proves month-first.
    v, _ = parse_datetimes(pd.Series(["1/5/2024", "6/13/2024"]))
    assert v.tolist() == [T("2024-01-05"), T("2024-06-13")]
    # no evidence -> month-first (US)
    v, _ = parse_datetimes(pd.Series(["1/5/2024"]))
    assert v.iloc[0] == T("2024-01-05")


AMOUNT_CASES = [
    ("¥1,280.00", 1280.0), ("￥1280", 1280.0), ("$12.5", 12.5), ("1,280元", 1280.0),
    ("1280.00 元", 1280.0), ("(1,200)", -1200.0), ("-35", -35.0), ("１２８０", 1280.0),
    ("1.2万", 12000.0), ("3亿", 3e8), ("0", 0.0), (" 42 ", 42.0), ("1,234,567.5", 1234567.5),
    ("RMB 99", 99.0), ("-¥35", -35.0), ("1.5E+03", 1500.0),
]


@pytest.mark.parametrize("raw,expected", AMOUNT_CASES)
def test_parse_amounts_formats(raw, expected):
    v, f = parse_amounts(pd.Series([raw]))
    assert v.iloc[0] == pytest.approx(expected)
    assert not f.iloc[0]


@pytest.mark.parametrize("raw", ["12.5%", "1 280,00", "1,28", "abc", "12..5", "inf", "1,2345"])
def test_parse_amounts_rejects(raw):
    v, f = parse_amounts(pd.Series([raw]))
    assert np.isnan(v.iloc[0]) and f.iloc[0]


def test_parse_amounts_empty_is_nan_not_failed():
    v, f = parse_amounts(pd.Series(["", None, "-", "null"]))
    assert v.isna().all() and not f.any()


def test_parse_status():
    s = pd.Series(["已支付", "支付成功", "已完成", "PAID", "success", "completed", "已退款",
                   "退款", "refunded", "refund", "cancelled", "已取消", "待支付", None, "??", "??"])
    v, unknown = parse_status(s)
    assert v.tolist() == ["paid"] * 6 + ["refunded"] * 6 + ["unpaid", "paid", "paid", "paid"]
    assert int(unknown.sum()) == 2 and unknown.iloc[-2:].all()


def test_normalize_header():
    assert normalize_header(" User_ID ") == "userid"
    assert normalize_header("用户ＩＤ") == "用户id"


@pytest.mark.parametrize("columns,table,expected", [
    (["用户ID", "行为时间", "订单金额"], "events",
     {"user_id": "用户ID", "event_time": "行为时间", "amount": "订单金额"}),
    (["会员号", "下单时间", "实付金额", "订单状态"], "orders",
     {"user_id": "会员号", "order_time": "下单时间", "amount": "实付金额", "status": "订单状态",
      "order_id": None}),
    (["USER ID", "Event_Name", "timestamp", "utm_source"], "events",
     {"user_id": "USER ID", "event_name": "Event_Name", "event_time": "timestamp",
      "channel": "utm_source"}),
    (["客户ID", "注册日期", "所在城市", "获客渠道", "性别"], "users",
     {"user_id": "客户ID", "signup_time": "注册日期", "city": "所在城市", "channel": "获客渠道"}),
    (["活动编号", "活动名称", "开始时间", "结束时间", "投放金额", "拉新人数", "活动收入"], "campaigns",
     {"campaign_id": "活动编号", "name": "活动名称", "start_date": "开始时间",
      "end_date": "结束时间", "spend": "投放金额", "new_users": "拉新人数", "revenue": "活动收入"}),
    # 订单号 must not be taken as the user id, nor 订单金额 as a time
    (["订单号", "用户编号", "支付时间", "订单金额"], "orders",
     {"order_id": "订单号", "user_id": "用户编号", "order_time": "支付时间", "amount": "订单金额"}),
])
def test_suggest_mapping(columns, table, expected):
    got = suggest_mapping(columns, table)
    for field, col in expected.items():
        assert got[field] == col, field
    used = [c for c in got.values() if c is not None]
    assert len(used) == len(set(used))


def test_suggest_mapping_uses_sample_to_pick_the_date_column():
    cols = ["uid", "日期类型", "日期"]
    sample = pd.DataFrame({"uid": ["1", "2"], "日期类型": ["工作日", "周末"],
                           "日期": ["2024-01-05", "2024-01-06"]})
    # 日期类型 also contains 日期 (substring match) but the exact header wins
    assert suggest_mapping(cols, "events", sample)["event_time"] == "日期"
    # here the better header (时间) holds no dates, so the values decide
    sample2 = pd.DataFrame({"uid": ["1"], "时间": ["上午"], "访问日期": ["2024/1/5"]})
    assert suggest_mapping(["uid", "时间", "访问日期"], "events", sample2)["event_time"] == "访问日期"
    assert suggest_mapping(["uid", "时间", "访问日期"], "events")["event_time"] == "时间"


@pytest.mark.parametrize("columns,expected", [
    (["活动ID", "开始日期", "结束日期", "花费"], "campaigns"),
    (["campaign", "start", "end", "cost", "revenue"], "campaigns"),
    (["会员号", "下单时间", "实付金额", "订单状态"], "orders"),
    (["user_id", "order_id", "amount", "created_at"], "orders"),
    (["uid", "注册时间", "渠道", "城市"], "users"),
    (["user_id", "channel", "age"], "users"),
    (["用户ID", "行为时间", "订单金额"], "events"),
    (["user_id", "event", "ts"], "events"),
    (["a", "b"], "events"),
])
def test_suggest_table(columns, expected):
    assert suggest_table(columns) == expected


texts = st.lists(st.one_of(st.none(), st.text(max_size=12),
                           st.sampled_from(["2024-01-05", "45296", "¥1,280", "(1)", "万", "年月日",
                                            "1/13/2024", "13/1/2024", "1e400", "9" * 20])),
                 max_size=30)


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(texts)
def test_parsers_never_raise(values):
    s = pd.Series(values, dtype="str")
    for parse in (parse_datetimes, parse_amounts, parse_status):
        v, flag = parse(s)
        assert len(v) == len(s) and len(flag) == len(s)
        assert flag.dtype == bool
    v, f = parse_amounts(s)
    assert not (f & v.notna()).any()
    assert np.isfinite(v.dropna()).all()


@pytest.mark.slow
def test_speed_one_million_dates():
    s = pd.Series(pd.date_range("2020-01-01", periods=1_000_000, freq="37s")
                  .strftime("%Y-%m-%d %H:%M:%S"))
    start = time.perf_counter()
    v, f = parse_datetimes(s)
    elapsed = time.perf_counter() - start
    print(f"1M distinct ISO timestamps parsed in {elapsed:.2f}s")
    assert not f.any() and v.iloc[-1] == T("2020-01-01") + pd.Timedelta(seconds=37 * 999_999)


def test_messy_time_column_is_still_the_time_not_the_event_name():
    # 行为 is an event-name synonym and one of four times is broken: the values decide.
    sample = pd.DataFrame({"用户ID": ["A1", "A2", "A1", "A3"],
                           "行为时间": ["2024/1/5 10:00", "2024年1月6日", "2024-01-20 08:30", "not a date"],
                           "订单金额": ["￥1,280.00", None, "35", "12"]})
    m = suggest_mapping(list(sample.columns), "events", sample)
    assert m["event_time"] == "行为时间" and m["event_name"] is None and m["amount"] == "订单金额"


@pytest.mark.parametrize("values", [
    ["2024-01-05 13:20:00", "2024-02-29 00:00:01", None],
    ["2024/1/5", "2024/12/31", "2024/02/03"],
    ["2024-01-05", "2024-01-06", "2024-01-07"],
])
def test_uniform_fast_path_agrees_with_the_general_parser(values):
    s = pd.Series(values, dtype="str")
    fast, failed = parse_datetimes(s)
    odd = pd.concat([s, pd.Series(["5 Jan 2024"], dtype="str")], ignore_index=True)  # forces the general path
    general, failed_general = parse_datetimes(odd)
    assert fast.tolist() == general.iloc[:len(s)].tolist()
    assert not failed.any() and not failed_general.any()


def test_one_bad_cell_in_a_uniform_column_is_still_reported():
    s = pd.Series(["2024-01-05 13:20:00"] * 300 + ["2024-13-45 99:00:00"], dtype="str")
    parsed, failed = parse_datetimes(s)
    assert failed.tolist() == [False] * 300 + [True]
    assert parsed.iloc[0] == pd.Timestamp("2024-01-05 13:20:00")


@settings(max_examples=60, deadline=None)
@given(texts, st.sampled_from([True, False, None]), st.sampled_from([None, "UTC", "+08:00", "Asia/Shanghai"]))
def test_date_parser_with_upload_choices_never_raises(values, day_first, tz):
    s = pd.Series(values, dtype="str")
    v, failed = parse_datetimes(s, day_first=day_first, tz=tz)
    assert len(v) == len(s) and failed.dtype == bool and not (failed & v.notna()).any()
