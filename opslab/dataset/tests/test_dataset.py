"""The Dataset fills the gaps of the data model and its engine keeps sessions apart."""

import pandas as pd
import pytest

from opslab.dataset.dataset import Dataset
from opslab.engine import DuckDBEngine as Engine, sql_catalog


def _events(rows):
    return pd.DataFrame(rows, columns=["user_id", "event_time", "event_name", "amount"]).assign(
        event_time=lambda f: pd.to_datetime(f["event_time"]))


def test_purchase_events_become_orders_and_signup_is_first_activity():
    ev = _events([("a", "2024-01-02 10:00", "visit", None), ("a", "2024-01-03 11:00", "支付", 99.0),
                  ("b", "2024-01-05 09:00", "purchase", None), ("c", "2024-01-04 08:00", "view", None)])
    ds = Dataset.from_tables(events=ev)
    assert "orders" in ds.derived and "signup" in ds.derived
    assert sorted(ds.orders["user_id"]) == ["a", "b"]
    assert ds.orders.set_index("user_id").loc["a", "amount"] == 99.0
    signup = ds.users.set_index("user_id")["signup_time"]
    assert signup["a"] == pd.Timestamp("2024-01-02 10:00") and signup["c"] == pd.Timestamp("2024-01-04 08:00")


def test_orders_only_and_users_table():
    orders = pd.DataFrame({"user_id": ["a", "b"], "order_time": pd.to_datetime(["2024-02-01", "2024-02-03"]),
                           "amount": [10.0, 20.0], "status": ["paid", "refunded"]})
    users = pd.DataFrame({"user_id": ["a", "z"], "signup_time": pd.to_datetime(["2024-01-15", "2024-01-20"]),
                          "city": ["上海", "北京"]})
    ds = Dataset.from_tables(orders=orders, users=users)
    assert set(ds.users["user_id"]) == {"a", "b", "z"}  # z registered but never active: still a user
    assert ds.users.set_index("user_id").loc["a", "city"] == "上海"
    gmv = ds.engine.sql("SELECT sum(gmv) AS g FROM paid_day")["g"].iloc[0]
    assert gmv == 10.0  # the refunded order is not GMV


def test_signup_after_first_activity_is_pulled_back():
    ev = _events([("a", "2024-01-02", "visit", None)])
    users = pd.DataFrame({"user_id": ["a"], "signup_time": pd.to_datetime(["2024-03-01"])})
    ds = Dataset.from_tables(events=ev, users=users)
    assert ds.users["signup_time"].iloc[0] == pd.Timestamp("2024-01-02")


def test_fingerprint_tracks_content():
    ev = _events([("a", "2024-01-02", "visit", None)])
    ev2 = _events([("a", "2024-01-03", "visit", None)])
    assert Dataset.from_tables(events=ev).fingerprint == Dataset.from_tables(events=ev.copy()).fingerprint
    assert Dataset.from_tables(events=ev).fingerprint != Dataset.from_tables(events=ev2).fingerprint


def test_needs_events_or_orders():
    with pytest.raises(ValueError):
        Dataset.from_tables(users=pd.DataFrame({"user_id": ["a"]}))


def test_two_datasets_have_separate_engines():
    a = Dataset.from_tables(events=_events([("a", "2024-01-02", "visit", None)]))
    b = Dataset.from_tables(events=_events([("b", "2024-01-02", "visit", None), ("c", "2024-01-02", "visit", None)]))
    assert a.engine is not b.engine
    assert a.engine.sql("SELECT count(*) n FROM user_day")["n"].iloc[0] == 1
    assert b.engine.sql("SELECT count(*) n FROM user_day")["n"].iloc[0] == 2


def test_engine_session_is_utc_and_params_checked():
    eng = Engine()
    assert eng.sql("SELECT current_setting('TimeZone') AS tz")["tz"].iloc[0] == "UTC"
    with pytest.raises(ValueError):
        eng.sql("SELECT $x AS v")
    assert eng.sql("SELECT $x AS v", x=3, unused=1)["v"].iloc[0] == 3


def test_sql_catalog_has_unique_named_queries():
    names = sql_catalog()
    assert {"daily", "period_totals", "cohort_activity", "user_day"} <= set(names)


def _orders_only() -> Dataset:
    od = pd.DataFrame({"user_id": ["a", "b"], "order_time": pd.to_datetime(["2024-01-05", "2024-01-20"]),
                       "amount": [300.0, 700.0]})
    return Dataset.from_tables(orders=od)


def test_memo_computes_a_key_once_while_other_keys_go_on():
    """Sessions share a data set: a slow computation (a model fit) makes only the sessions
    asking for that result wait; another session's result is not held up behind it."""
    import threading
    import time

    ds = _orders_only()
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append("slow")
        started.set()
        assert release.wait(10)
        return "fitted"

    results = {}
    a = threading.Thread(target=lambda: results.setdefault("a", ds.memo("fit", slow)))
    b = threading.Thread(target=lambda: results.setdefault("b", ds.memo("fit", slow)))
    a.start()
    assert started.wait(10)
    b.start()  # asks for the key being computed: waits for it, never computes it again
    t0 = time.perf_counter()
    assert ds.memo("chart", lambda: "drawn") == "drawn"  # another key: not blocked by the fit
    assert time.perf_counter() - t0 < 1.0 and "a" not in results
    release.set()
    a.join(10), b.join(10)
    assert results == {"a": "fitted", "b": "fitted"} and calls == ["slow"]


def test_memo_retries_after_a_failed_computation():
    ds = _orders_only()

    def boom():
        raise RuntimeError("degenerate data")
    with pytest.raises(RuntimeError):
        ds.memo("k", boom)
    assert ds.memo("k", lambda: 42) == 42
