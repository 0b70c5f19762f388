"""The shared per-user feature table (opslab/dataset/features.py) against plain pandas on the raw
random log: every column, at several as-of days, with the standard and with added windows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from opslab.dataset import features as uf
from opslab.dataset.dataset import Dataset
from tests.random_logs import random_activity

T0 = pd.Timestamp("2024-01-01")


def random_log(seed: int):
    """The random log with amounts in cents (so exact money can be checked to the last bit),
    some zero-amount paid orders (an active day, but no sale) and a users table whose signups
    are sometimes earlier than the first activity."""
    events, orders = random_activity(n_users=80, days=150, seed=seed)
    rng = np.random.default_rng(seed + 100)
    cents = rng.integers(0, 100, len(orders))
    orders["amount"] = (orders["amount"].to_numpy() * 100 + cents) / 100
    zero = rng.random(len(orders)) < 0.05
    orders.loc[zero & (orders["status"] == "paid"), "amount"] = 0.0
    first = pd.concat([events.groupby("user_id")["event_time"].min(),
                       orders.groupby("user_id")["order_time"].min()], axis=1).min(axis=1)
    early = pd.to_timedelta(rng.integers(0, 20, len(first)), unit="D")
    users = pd.DataFrame({"user_id": first.index, "signup_time": (first - early).to_numpy()})
    return events, orders, users


def pandas_features(events, orders, users, as_of: dt.date, act_days, paid_windows) -> pd.DataFrame:
    """Every column of the shared table, from the raw log with pandas alone (index user_id).

    Active day: a day with an event or a paid order; sale: a paid order with an amount above
    zero; signup: the earlier of the stated signup and the first activity (any order counts)."""
    day = pd.Timestamp(as_of)
    ev = events.assign(day=events["event_time"].dt.normalize())
    od = orders.assign(day=orders["order_time"].dt.normalize())
    seen = pd.concat([ev.groupby("user_id")["day"].min(), od.groupby("user_id")["day"].min(),
                      users.set_index("user_id")["signup_time"].dt.normalize()], axis=1).min(axis=1)
    paid = od[od["status"] == "paid"]
    active = pd.concat([ev[["user_id", "day"]], paid[["user_id", "day"]]]).drop_duplicates()
    active = active[active["day"] <= day]
    sales = paid[(paid["amount"] > 0) & (paid["day"] <= day)].copy()
    sales["cents"] = np.rint(sales["amount"] * 100).astype("int64")
    per_day = sales.groupby(["user_id", "day"], as_index=False).agg(cents=("cents", "sum"), n=("cents", "size"))

    out = pd.DataFrame(index=pd.Index(sorted(seen.index[seen <= day]), name="user_id"))
    ago = lambda s: (day - s).dt.days.astype("float64")  # noqa: E731
    out["days_since_signup"] = ago(seen.reindex(out.index))
    g = active.sort_values("day").groupby("user_id")["day"]
    out["days_since_first_active"] = ago(g.min()).reindex(out.index)
    out["days_since_last_active"] = ago(g.max()).reindex(out.index)
    prev = g.apply(lambda days: days.iloc[-2] if len(days) > 1 else pd.NaT)  # the day before the last
    out["days_since_prev_active"] = ago(pd.to_datetime(prev)).reindex(out.index)
    out["active_days"] = g.size().reindex(out.index, fill_value=0)
    age = (day - active["day"]).dt.days
    for w in act_days:
        out[uf.activity_column(w)] = active[age < w].groupby("user_id").size().reindex(out.index, fill_value=0)
    p = per_day.sort_values("day").groupby("user_id")
    out["days_since_first_paid"] = ago(p["day"].min()).reindex(out.index)
    out["days_since_last_paid"] = ago(p["day"].max()).reindex(out.index)
    out["paid_days"] = p.size().reindex(out.index, fill_value=0)
    out["orders"] = p["n"].sum().reindex(out.index, fill_value=0)
    out["spend"] = p["cents"].sum().reindex(out.index, fill_value=0) / 100
    out["first_spend"] = p["cents"].first().reindex(out.index) / 100
    page = (day - per_day["day"]).dt.days
    for lo, hi in paid_windows:
        inside = per_day[(page >= lo) & (page < hi)].groupby("user_id")
        orders_col, spend_col = uf.paid_columns(lo, hi)
        out[orders_col] = inside["n"].sum().reindex(out.index, fill_value=0)
        out[spend_col] = inside["cents"].sum().reindex(out.index, fill_value=0) / 100
    return out


def _by_user(ds: Dataset, table: pd.DataFrame) -> pd.DataFrame:
    out = table.assign(user_id=ds.users["user_id"].to_numpy()[table["uid"].to_numpy()])
    return out.set_index("user_id").sort_index()


@pytest.mark.parametrize("seed,offset,extra_act,extra_paid", [
    (1, 149, (), ()),
    (2, 90, (10, 3), ((5, 20),)),
    (3, 35, (1,), ((0, 1), (7, 14))),
])
def test_every_column_equals_pandas_on_the_raw_log(seed, offset, extra_act, extra_paid):
    events, orders, users = random_log(seed)
    ds = Dataset.from_tables(events=events, orders=orders, users=users)
    as_of = (T0 + pd.Timedelta(days=offset)).date()
    got = _by_user(ds, uf.user_features(ds, as_of, activity_days=extra_act, paid_windows=extra_paid))
    act = sorted(set(uf.ACTIVITY_DAYS) | set(extra_act))
    paid = sorted(set(uf.PAID_WINDOWS) | set(extra_paid))
    want = pandas_features(events, orders, users, as_of, act, paid)
    assert list(got.index) == list(want.index)
    assert len(want) > 20 and want["paid_days"].gt(0).sum() > 5  # the log exercises the columns
    assert got["registered"].all()  # everyone with activity signed up no later than it
    for col in want.columns:
        g, w = got[col].to_numpy(dtype="float64"), want[col].to_numpy(dtype="float64")
        # money exactly: summed as decimals in the engine, as whole cents here
        np.testing.assert_array_equal(g, w, err_msg=col)


def test_rows_are_users_known_by_the_day():
    events, orders, users = random_log(4)
    ds = Dataset.from_tables(events=events, orders=orders, users=users)
    as_of = (T0 + pd.Timedelta(days=10)).date()
    got = _by_user(ds, uf.user_features(ds, as_of))
    signup = users.set_index("user_id")["signup_time"].dt.normalize()
    known = sorted(signup.index[signup <= pd.Timestamp(as_of)])
    assert list(got.index) == known and 0 < len(known) < ds.n_users
    # signed up but not yet active: no activity figures, zeros in the counts
    idle = got[got["active_days"] == 0]
    assert len(idle) > 0 and idle["days_since_last_active"].isna().all()
    assert (idle["days_since_signup"] >= 0).all()


def test_standard_windows_share_one_table_and_bad_windows_are_refused():
    events, orders, users = random_log(5)
    ds = Dataset.from_tables(events=events, orders=orders, users=users)
    a = uf.user_features(ds)
    assert uf.user_features(ds, ds.end, activity_days=(14, 30), paid_windows=((0, 90),)) is a
    assert uf.user_features(ds, ds.end, activity_days=(15,)) is not a
    with pytest.raises(ValueError):
        uf.user_features(ds, activity_days=(0,))
    with pytest.raises(ValueError):
        uf.user_features(ds, paid_windows=((30, 30),))
    with pytest.raises(ValueError):
        uf.user_features(ds, activity_days=(1, 2, 3, 4, 5))


def test_a_table_not_kept_is_computed_again_and_a_kept_one_is_reused(monkeypatch):
    events, orders, users = random_log(6)
    ds = Dataset.from_tables(events=events, orders=orders, users=users)
    calls = []
    run = ds.engine.run
    monkeypatch.setattr(ds.engine, "run", lambda name, **kw: calls.append(name) or run(name, **kw))
    past = ds.end - dt.timedelta(days=30)
    a = uf.user_features(ds, past, keep=False)
    b = uf.user_features(ds, past, keep=False)
    assert calls == ["user_features"] * 2 and a is not b
    pd.testing.assert_frame_equal(a, b)
    kept = uf.user_features(ds, past)
    assert uf.user_features(ds, past, keep=False) is kept and len(calls) == 3
