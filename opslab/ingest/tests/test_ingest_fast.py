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
from opslab.dataset.dataset import Dataset
from opslab.ingest import validate as V
from opslab.dataset.load import apply_mapping, build_dataset, inspect_file
from opslab.ingest.read import read_table

CELLS = st.sampled_from(["a", "b", "ab", "", " a", "1", "1.0", "中", None])


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3).flatmap(lambda k: st.lists(st.lists(CELLS, min_size=k, max_size=k), max_size=60)),
       st.lists(st.booleans(), min_size=60, max_size=60))
def test_hashed_duplicates_equal_pandas(rows, alive):
    width = len(rows[0]) if rows else 2
    frame = pd.DataFrame(rows, columns=[f"c{j}" for j in range(width)], dtype="str")
    repeated = fast_tables.repeated_rows(frame, min_rows=0)  # the DuckDB path on small frames
    got = fast_tables.exact_duplicates(frame, repeated=repeated)
    assert got.tolist() == frame.duplicated(keep="first").tolist()
    within = np.array(alive[:len(frame)], dtype=bool)  # only the rows still valid are compared
    expected = np.zeros(len(frame), dtype=bool)
    expected[within] = frame[within].duplicated(keep="first").to_numpy()
    assert fast_tables.exact_duplicates(frame, within, repeated).tolist() == expected.tolist()
    assert fast_tables.exact_duplicates(frame, within).tolist() == expected.tolist()  # pandas' path


def test_rows_taken_from_a_chunked_column_equal_pandas():
    chunks = [pa.array([f"v{i}" if i % 7 else None for i in range(k, k + 50)], pa.large_string())
              for k in range(0, 500, 50)]
    frame = pd.DataFrame({"a": pd.array(pa.chunked_array(chunks), dtype="str"),
                          "b": pd.array([str(i) for i in range(500)], dtype="str")})
    assert frame["a"].array._pa_array.num_chunks == 10
    for pos in ([499, 0, 51, 51, 250], [], list(range(0, 500, 3))):
        got = fast_tables.take_rows(frame["a"], np.array(pos, dtype=int))
        assert got.tolist() == frame["a"].iloc[pos].tolist()
        assert fast_tables.rows_at(frame, np.array(pos, dtype=int)).equals(frame.iloc[pos].reset_index(drop=True))
    mask = np.arange(500) % 3 == 0
    assert fast_tables.rows_at(frame, mask).equals(frame[mask].reset_index(drop=True))


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
    from opslab.metrics import kpi_table as metrics
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


def test_hash_groups_are_exactly_the_repeated_hashes():
    """Rows grouped from one sort of (hash prefix, position) keys: exactly the rows whose hash
    repeats, each group one hash, in position order."""
    assert fast_tables.hash_groups(np.arange(5, dtype=np.uint64) << np.uint64(40))[0].tolist() == []
    rng = np.random.default_rng(11)
    h = rng.integers(0, 2**62, 40_000, dtype=np.int64).astype(np.uint64)
    h[rng.integers(0, len(h), 300)] = h[rng.integers(0, len(h), 300)]
    pos, group = fast_tables.hash_groups(h)
    want = np.flatnonzero(pd.Series(h).duplicated(keep=False).to_numpy())
    assert len(want) > 100
    assert sorted(pos.tolist()) == want.tolist()
    for g in np.unique(group):
        rows = pos[group == g]
        assert rows.tolist() == sorted(rows.tolist()) and len(set(h[rows].tolist())) == 1


TEXT_CELLS = st.one_of(st.sampled_from(["", " a", "a ", "\ta\n", "a\x1c", "\x1fa", " 中 ", "\u3000x", "x\xa0", "a b"]),
                       st.none(), st.text(alphabet=" \t\r\nab\x0b\x0c\x1c\x1d", max_size=5))


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT_CELLS, min_size=1, max_size=20), st.integers(0, 5))
def test_strip_text_equals_pandas_strip(values, cut):
    s = pd.Series(values, dtype="str")
    for part in (s, s.iloc[cut:], pd.concat([s, s.iloc[cut:]], ignore_index=True)):  # slices, several chunks
        pd.testing.assert_series_equal(fastparse.strip_text(part), part.str.strip())


def test_applied_file_keeps_a_preview_and_cannot_be_mapped_again():
    from opslab.dataset.load import PREVIEW_ROWS, decide_upload
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


def test_fixed_width_dates_equal_numpy_on_every_day_of_the_layouts_range(monkeypatch):
    days = np.arange(np.datetime64("1000-01-01"), np.datetime64("3000-01-01"))
    got = fastparse.fast_datetimes(pd.Series(np.datetime_as_string(days), dtype="str"))
    assert got is not None
    assert (got[0].to_numpy() == days.astype("datetime64[us]")).all()
    monkeypatch.setattr(fastparse, "MIN_CELLS", 0)
    for impossible in ("2100-02-29", "2023-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00"):
        assert fastparse.fast_datetimes(pd.Series(["2000-02-29", impossible], dtype="str")) is None


def test_byte_lengths_and_byte_lookups_see_only_each_cell():
    # a sliced chunk (the header row cut off) shares a buffer holding the header's bytes
    arr = pa.array(["user_id", "U1", None, "", "U22"], pa.large_string())
    s = pd.Series(pd.array(pa.chunked_array([arr.slice(1), arr.slice(0, 2)]), dtype="str"))
    assert fastparse.byte_lengths(s).tolist() == [2, 0, 0, 3, 7, 2]
    assert fastparse.has_byte(pd.Series(pd.array(arr.slice(1), dtype="str")), b"eE") is False
    assert fastparse.has_byte(s, b"e") is True  # the second chunk holds "user_id"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["a", "NULL", "n/a", "-", "中", "", " na ", "NaN", "none", "Nat", "abcde"]),
                min_size=1, max_size=30))
def test_clean_text_equals_the_pandas_rule(values):
    from opslab.ingest.cells import MISSING_TOKENS, clean_text
    s = pd.Series(values, dtype="str")
    stripped = s.str.strip()
    expected = stripped.where(~stripped.str.lower().isin(MISSING_TOKENS))
    pd.testing.assert_series_equal(clean_text(s), expected, check_names=False)


def test_parallel_validation_equals_one_column_after_another(monkeypatch):
    """The columns parsed side by side give the very result of parsing them in turn: kept
    table, rejected and set-aside rows, and every problem in the same order."""
    from opslab.ingest import parallel
    rng = np.random.default_rng(3)
    n = 3_000
    raw = pd.DataFrame({
        "uid": rng.choice(["7", "7.0", "8", "", "1.23E+11", " 9 "], n),
        "time": rng.choice(["2024-01-05 10:00:00", "1970-01-01", "bad", "2024-02-30", "2023-12-31 23:59:59"], n),
        "amount": rng.choice(["¥12.5", "3", "-4", "x", "$1,000.00"], n),
        "status": rng.choice(["已支付", "refunded", "unpaid", "??"], n),
    }, dtype="str")
    raw = pd.concat([raw, raw.iloc[:50]], ignore_index=True)  # identical rows too
    mapping = {"user_id": "uid", "order_time": "time", "amount": "amount", "status": "status"}
    results = []
    for min_rows in (10**12, 0):
        monkeypatch.setattr(parallel, "PARALLEL_MIN_ROWS", min_rows)
        results.append(V.coerce_table(raw, mapping, "orders", today="2024-06-01"))
    one, side = results
    pd.testing.assert_frame_equal(one.clean, side.clean)
    pd.testing.assert_frame_equal(one.rejected, side.rejected)
    pd.testing.assert_frame_equal(one.dropped, side.dropped)
    assert [(p.code, p.column, p.count, p.examples) for p in one.report] == \
        [(p.code, p.column, p.count, p.examples) for p in side.report]
    assert one.n_clean > 0 and one.n_rejected > 0 and one.set_aside["duplicates"]["n"] >= 50


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ev=st.lists(st.tuples(IDS, TIMES, st.sampled_from(["visit", "支付", " Purchase ", "view"])), min_size=1, max_size=40),
       od=st.lists(st.tuples(IDS, TIMES, st.sampled_from(["paid", "refunded", "unpaid"])), min_size=1, max_size=30))
def test_a_data_set_of_one_table_indexes_and_orders_like_the_rules(ev, od):
    """Only events: the orders are the purchase events; only orders: the events are the paid
    orders. Users in order of first appearance (events first), both tables in time order."""
    events = pd.DataFrame(ev, columns=["user_id", "event_time", "event_name"])
    ds = Dataset.from_tables(events=events)
    ids, signup = _reference_users([(u, t) for u, t, _ in ev], [], None)
    assert ds.users["user_id"].tolist() == ids and ds.users["signup_time"].tolist() == [signup[u] for u in ids]
    buys = events[events["event_name"].str.strip().str.lower().isin(["支付", "purchase"])]
    expected = buys.sort_values("event_time", kind="stable")
    assert ds.orders["user_id"].tolist() == expected["user_id"].tolist()
    assert ds.events["event_time"].tolist() == sorted(events["event_time"])

    orders = pd.DataFrame(od, columns=["user_id", "order_time", "status"]).assign(amount=2.0)
    ds = Dataset.from_tables(orders=orders)
    paid = [(u, t) for u, t, s in od if s == "paid"]
    ids, signup = _reference_users(paid, [(u, t) for u, t, _ in od], None)
    assert ds.users["user_id"].tolist() == ids and ds.users["signup_time"].tolist() == [signup[u] for u in ids]
    want = orders[orders["status"] == "paid"].sort_values("order_time", kind="stable")
    assert ds.events["user_id"].tolist() == want["user_id"].tolist()
    assert ds.orders["order_time"].tolist() == sorted(orders["order_time"])
    by_uid = ds.users.set_index("uid")["user_id"]
    assert by_uid.reindex(ds.events["uid"]).tolist() == ds.events["user_id"].tolist()
    assert by_uid.reindex(ds.orders["uid"]).tolist() == ds.orders["user_id"].tolist()


def test_rows_sharing_a_hash_but_different_are_told_apart():
    """A 64-bit hash shared by different rows (made here on purpose) is compared exactly."""
    frame = pd.DataFrame({"a": ["x", "y", "x", "y", "z", None, None], "b": ["1", "1", "1", "1", "2", None, None]},
                         dtype="str")
    one_hash = (np.arange(7), np.zeros(7, dtype=np.int64))  # every row in one hash group
    got = fast_tables.exact_duplicates(frame, repeated=one_hash)
    assert got.tolist() == frame.duplicated(keep="first").tolist() == [False, False, True, True, False, False, True]


def test_a_file_exported_twice_sets_aside_every_copy_exactly():
    """Half the rows repeat the other half (one export appended to itself): every copy is
    found, and rows in = kept + set aside, by count and by amount."""
    rng = np.random.default_rng(8)
    n = 120_000
    half = pd.DataFrame({"u": rng.integers(0, 9_000, n).astype(str),
                         "t": pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), "s"))
                         .dt.strftime("%Y-%m-%d %H:%M:%S"),
                         "e": rng.choice(["view", "pay"], n), "v": rng.integers(1, 500, n).astype(str)}, dtype="str")
    raw = pd.concat([half, half], ignore_index=True)
    mapping = {"user_id": "u", "event_time": "t", "event_name": "e", "amount": "v"}
    res = V.coerce_table(raw, mapping, "events", today="2024-12-31")
    expected = raw.duplicated(keep="first").to_numpy()
    assert res.n_duplicates == int(expected.sum()) >= n
    assert res.n_clean + res.n_dropped + res.n_rejected == len(raw)
    assert res.dropped["row"].tolist() == (np.flatnonzero(expected) + 2).tolist()
    rec = res.reconciliation()
    assert rec.loc["input", "amount"] == pytest.approx(rec.loc["kept", "amount"] + rec.loc["dropped", "amount"])
    assert rec.loc["kept", "amount"] == pytest.approx(raw.loc[~expected, "v"].astype(float).sum())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=50), st.sampled_from([1, 1_000_000, 2**40, 2**60, 3 * 10**18]))
def test_stable_order_equals_numpys_stable_argsort(values, scale):
    from opslab.dataset.tables import stable_order
    t = np.array(values, dtype=np.int64) * scale  # ties, seconds, microseconds, a range too wide to pack
    assert stable_order(t).tolist() == np.argsort(t, kind="stable").tolist()
