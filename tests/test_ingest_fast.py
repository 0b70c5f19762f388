"""The fast paths of ingest give exactly what the general (lenient) paths give.

* duplicates: DuckDB row hashes + an exact check of the colliding rows == ``DataFrame.duplicated``;
* Dataset users and dense ids (one factorisation of all ids, or the general path for frames with
  missing ids or times) == the rules written out in the test;
* Arrow-built row ids and empty text columns == the Python lists they replaced;
* Parquet input == the same table as CSV, through mapping and validation.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opslab.ingest import fast_tables, fastparse
from opslab.dataset import Dataset
from opslab.ingest import validate as V
from opslab.ingest.load import apply_mapping, build_dataset, inspect_file
from opslab.ingest.read import read_table

CELLS = st.sampled_from(["a", "b", "ab", "", " a", "1", "1.0", "中", None])


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3).flatmap(lambda k: st.lists(st.lists(CELLS, min_size=k, max_size=k), max_size=60)))
def test_hashed_duplicates_equal_pandas(rows):
    width = len(rows[0]) if rows else 2
    frame = pd.DataFrame(rows, columns=[f"c{j}" for j in range(width)], dtype="str")
    got = fast_tables.exact_duplicates(frame, hash_min_rows=0)  # the DuckDB path on small frames
    assert got.tolist() == frame.duplicated(keep="first").tolist()


def test_hashed_duplicates_on_a_large_frame_with_collisions_checked_exactly():
    rng = np.random.default_rng(5)
    n = 150_000
    frame = pd.DataFrame({"u": rng.integers(0, 40_000, n).astype(str), "d": rng.integers(0, 30, n).astype(str),
                          "a": rng.integers(0, 5, n).astype(str)}, dtype="str")
    got = fast_tables.exact_duplicates(frame)
    assert got.sum() > 1000 and got.tolist() == frame.duplicated().tolist()


def test_arrow_row_ids_and_empty_text_equal_the_python_lists():
    n = 1234
    assert fast_tables.row_ids(n).equals(pd.Series([f"row-{i + 2}" for i in range(n)], dtype="str"))
    assert fast_tables.null_text(n).equals(pd.Series([None] * n, dtype="str"))


def _reference_users(ev: list, od: list, us: list | None) -> tuple[list, dict]:
    """The users a Dataset must hold, written from the rules (not from OpsLab's code): the users
    table's order (first row of a repeated id), then ids first seen in events, then in orders;
    signup = the earlier of the given signup and the first activity; a listed user with
    neither is left out."""
    first: dict = {}
    for uid, when in [*ev, *od]:
        first[uid] = min(first.get(uid, when), when)
    given, order = {}, []
    for uid, signup, _ in us or []:
        if uid not in given:
            given[uid] = signup
            order.append(uid)
    for uid, _ in [*ev, *od]:
        if uid not in given and uid not in order:
            order.append(uid)
    signup = {u: min([t for t in (given.get(u), first.get(u)) if t is not None], default=None) for u in order}
    return [u for u in order if signup[u] is not None], signup


IDS = st.sampled_from([f"u{i}" for i in range(12)])
TIMES = st.integers(0, 60).map(lambda d: pd.Timestamp("2024-01-01") + pd.Timedelta(hours=7 * d))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ev=st.lists(st.tuples(IDS, TIMES), min_size=1, max_size=40),
       od=st.lists(st.tuples(IDS, TIMES), max_size=20),
       us=st.one_of(st.none(), st.lists(st.tuples(IDS, st.one_of(st.none(), TIMES), st.sampled_from(["app", None])),
                                        max_size=10)))
def test_dataset_users_and_dense_ids_follow_the_rules(ev, od, us):
    ds = Dataset.from_tables(
        events=pd.DataFrame(ev, columns=["user_id", "event_time"]),
        orders=pd.DataFrame(od, columns=["user_id", "order_time"]).assign(amount=1.0),
        users=None if us is None else pd.DataFrame(us, columns=["user_id", "signup_time", "channel"]))
    ids, signup = _reference_users(ev, od, us)
    assert ds.users["user_id"].tolist() == ids
    assert ds.users["uid"].tolist() == list(range(len(ids)))
    assert ds.users["signup_time"].tolist() == [signup[u] for u in ids]
    assert ("signup" in ds.derived) == (us is None or all(s is None for _, s, _ in us))
    # every event and order carries its user's dense id
    by_uid = ds.users.set_index("uid")["user_id"]
    assert by_uid.reindex(ds.events["uid"]).tolist() == ds.events["user_id"].tolist()
    assert by_uid.reindex(ds.orders["uid"]).tolist() == ds.orders["user_id"].tolist()


def test_missing_ids_are_left_out_of_the_users():
    ev = pd.DataFrame({"user_id": ["a", None], "event_time": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    ds = Dataset.from_tables(events=ev)
    assert ds.n_users == 1 and ds.events["uid"].tolist() == [0, -1]


def test_derived_tables_keep_their_values():
    ev = pd.DataFrame({"user_id": ["a", "b", "a"], "event_time": pd.to_datetime(["2024-01-03", "2024-01-01", "2024-01-02"]),
                       "event_name": ["purchase", "visit", "buy"], "amount": [5.0, np.nan, np.nan]})
    ds = Dataset.from_tables(events=ev)
    assert ds.orders["order_id"].tolist() == ["E1", "E0"]  # numbered in event order, then sorted by time
    assert ds.orders["amount"].tolist() == [0.0, 5.0]
    od = pd.DataFrame({"user_id": ["x", "y"], "order_time": pd.to_datetime(["2024-01-02", "2024-01-01"]),
                       "amount": [3.0, 4.0], "status": ["paid", "refunded"], "channel": ["app", "web"]})
    ds = Dataset.from_tables(orders=od)
    assert ds.events["user_id"].tolist() == ["x"] and ds.events["channel"].tolist() == ["app"]
    assert ds.users["user_id"].tolist() == ["x", "y"] and ds.users["uid"].tolist() == [0, 1]


CSV = ("用户ID,下单时间,实付金额,渠道\n"
       "u1,2024-01-05 10:00:00,12.5,app\n"
       "u2,2024-01-06 11:30:00,30,web\n"
       "u1,2024-01-07 09:00:00,7.25,\n"
       "u3,2024-01-07 09:00:00,100,app\n")


def test_parquet_gives_the_same_table_as_csv():
    typed = pd.DataFrame({"用户ID": ["u1", "u2", "u1", "u3"],
                          "下单时间": pd.to_datetime(["2024-01-05 10:00", "2024-01-06 11:30", "2024-01-07 09:00",
                                                  "2024-01-07 09:00"]),
                          "实付金额": [12.5, 30.0, 7.25, 100.0], "渠道": ["app", "web", None, "app"]})
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(typed, preserve_index=False), buf)
    pf = inspect_file("orders.parquet", buf.getvalue())
    cf = inspect_file("orders.csv", CSV.encode())
    assert list(pf.read.df.columns) == list(cf.read.df.columns) and pf.table == cf.table == "orders"
    assert pf.mapping == cf.mapping
    pr = apply_mapping(pf, pf.table, pf.mapping_dict, today="2024-02-01").result
    cr = apply_mapping(cf, cf.table, cf.mapping_dict, today="2024-02-01").result
    pd.testing.assert_frame_equal(pr.clean, cr.clean)
    assert pr.clean["amount"].sum() == typed["实付金额"].sum() == 149.75


def test_parquet_caps_and_damage():
    buf = io.BytesIO()
    pq.write_table(pa.table({f"c{i}": [1] for i in range(8)}), buf)
    from opslab.ingest.read import ReadOptions
    res = read_table(buf.getvalue(), "x.parquet", ReadOptions(max_columns=5))
    assert res.df is None and res.report.problems[0].code == "io.too_many_columns"
    broken = b"PAR1" + b"\x00" * 100 + b"PAR1"
    res = read_table(broken, "x.parquet")
    assert res.df is None and res.report.problems[0].code == "parquet.invalid"


@pytest.mark.slow
def test_replicated_cdnow_whole_path_equals_the_raw_file():
    """CDNOW x 3 (ids and dates shifted per copy, ~209k rows) through the app's path: the
    kept rows and GMV equal a plain pandas reading of the same bytes."""
    from tests.realdata import cdnow_truth
    base = cdnow_truth()
    parts = []
    for k in range(3):
        p = base.copy()
        p["customer_id"] = (p["customer_id"].astype(int) + 100_000 * k).astype(str)
        p["date"] = p["date"] + pd.Timedelta(days=7305 + k)
        parts.append(p)
    frame = pd.concat(parts, ignore_index=True)
    text = frame.assign(date=frame["date"].dt.strftime("%Y%m%d")).to_csv(index=False).encode()
    f = inspect_file("cdnow.csv", text)
    f = apply_mapping(f, "orders", {"user_id": "customer_id", "order_time": "date", "amount": "dollar_value"},
                      today="2030-01-01")
    # orders without an order id: identical rows are separate purchases, every row is kept
    assert f.result.n_clean == len(frame) and f.result.n_duplicates == 0
    ds, _ = build_dataset([f])
    assert ds.orders["amount"].sum() == pytest.approx(frame["dollar_value"].sum(), abs=1e-6)
    assert ds.n_users == frame["customer_id"].nunique()
    from opslab import metrics
    assert metrics.daily(ds)["gmv"].sum() == pytest.approx(frame["dollar_value"].sum(), abs=1e-6)


AMOUNT_CELLS = st.one_of(st.sampled_from(["", "0", "-0", "12", "12.50", "007", "-3.25", "1e5", " 12", "¥3", "null",
                                          "123456789012345", "0.1", "9.999999999999999"]),
                         st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False).map(str))
DATE_CELLS = st.sampled_from(["", "2024-01-05", "2024-02-29", "2023-02-29", "2024-1-5", "2024-01-05 10:20:30",
                              "2024/01/05", "2024/01/05 23:59:59", "20240105", "20241399", "19970101",
                              "2024-01-05T10:20:30", "0000-01-01", "2024-01-05 24:00:00", "45296", "null"])


def _both(parser, fast, values):
    from opslab.ingest import fastparse
    s = pd.Series(values, dtype="str")
    old = fastparse.MIN_CELLS
    try:
        fastparse.MIN_CELLS = 0
        quick = fast(s)
        fastparse.MIN_CELLS = 10**12
        general = parser(s)
    finally:
        fastparse.MIN_CELLS = old
    return quick, general


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(AMOUNT_CELLS, min_size=1, max_size=30))
def test_fast_amounts_equal_the_general_parser(values):
    from opslab.ingest.fastparse import fast_amounts
    from opslab.ingest.mapping import parse_amounts
    quick, general = _both(parse_amounts, fast_amounts, values)
    if quick is not None:
        pd.testing.assert_series_equal(quick[0], general[0])
        pd.testing.assert_series_equal(quick[1], general[1])


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(DATE_CELLS, min_size=1, max_size=30))
def test_fast_datetimes_equal_the_general_parser(values):
    from opslab.ingest.fastparse import fast_datetimes
    from opslab.ingest.mapping import parse_datetimes
    quick, general = _both(parse_datetimes, fast_datetimes, values)
    if quick is not None:
        pd.testing.assert_series_equal(quick[0], general[0])
        pd.testing.assert_series_equal(quick[1], general[1])


def test_fast_paths_take_the_common_columns():
    from opslab.ingest.fastparse import fast_amounts, fast_datetimes
    assert _both(lambda s: None, fast_datetimes, ["2024-01-05 10:00:00", ""] * 5)[0] is not None
    assert _both(lambda s: None, fast_datetimes, ["20240105"] * 5)[0] is not None
    assert _both(lambda s: None, fast_amounts, ["12.5", "3", ""] * 5)[0] is not None
    assert _both(lambda s: None, fast_datetimes, ["2024-01-05", "2024-01-05 10:00:00"])[0] is None


def test_sorted_hashes_find_exactly_the_repeated_ones():
    """Repeated hashes found from a sort are exactly those pandas' hash table finds."""
    assert fast_tables.shared_hashes(np.arange(5, dtype=np.uint64)).tolist() == []
    rng = np.random.default_rng(11)
    h = rng.integers(0, 2**62, 40_000, dtype=np.int64).astype(np.uint64)
    h[rng.integers(0, len(h), 300)] = h[rng.integers(0, len(h), 300)]
    want = np.flatnonzero(pd.Series(h).duplicated(keep=False).to_numpy())
    assert len(want) > 100
    assert fast_tables.shared_hashes(h).tolist() == want.tolist()


TEXT_CELLS = st.one_of(st.sampled_from(["", " a", "a ", "\ta\n", "a\x1c", "\x1fa", " 中 ", "\u3000x", "x\xa0", "a b"]),
                       st.none(), st.text(alphabet=" \t\r\nab\x0b\x0c\x1c\x1d", max_size=5))


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT_CELLS, min_size=1, max_size=20), st.integers(0, 5))
def test_strip_text_equals_pandas_strip(values, cut):
    s = pd.Series(values, dtype="str")
    for part in (s, s.iloc[cut:], pd.concat([s, s.iloc[cut:]], ignore_index=True)):  # slices, several chunks
        pd.testing.assert_series_equal(fastparse.strip_text(part), part.str.strip())


def test_applied_file_keeps_a_preview_and_cannot_be_mapped_again():
    from opslab.ingest.load import PREVIEW_ROWS, decide_upload
    rows = "".join(f"u{i % 37},2024-01-{1 + i % 28:02d} 10:00:{i % 60:02d},view\n" for i in range(PREVIEW_ROWS * 3))
    f = inspect_file("events.csv", ("user_id,event_time,event_name\n" + rows).encode())
    mapping = {"user_id": "user_id", "event_time": "event_time", "event_name": "event_name"}
    applied = apply_mapping(f, "events", mapping, today="2024-02-01")
    assert applied.read.complete is False and applied.read.n_rows == PREVIEW_ROWS * 3
    pd.testing.assert_frame_equal(applied.read.df, f.read.df.head(PREVIEW_ROWS))
    assert applied.result.n_input == PREVIEW_ROWS * 3  # every row validated, not the preview
    with pytest.raises(ValueError):
        apply_mapping(applied, "events", mapping)
    with pytest.raises(ValueError):
        decide_upload([applied])
