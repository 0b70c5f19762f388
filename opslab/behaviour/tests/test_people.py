"""A user's profile: the size of the timeline and the counts the People screen shows, against
plain pandas over the raw tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

import opslab
from opslab.dataset.dataset import Dataset


def _tables(seed: int = 4, n_users: int = 12):
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2024-03-01")
    n = 600
    events = pd.DataFrame({"user_id": [f"u{i}" for i in rng.integers(0, n_users, n)],
                           "event_time": t0 + pd.to_timedelta(rng.integers(0, 90 * 24, n), unit="h"),
                           "event_name": rng.choice(["view", "cart", "pay"], n)})
    m = 120
    orders = pd.DataFrame({"user_id": [f"u{i}" for i in rng.integers(0, n_users, m)],
                           "order_time": t0 + pd.to_timedelta(rng.integers(0, 90 * 24, m), unit="h"),
                           "amount": rng.uniform(5, 200, m).round(2),
                           "status": rng.choice(["paid", "refunded"], m, p=[0.7, 0.3])})
    return events, orders


def test_timeline_size_counts_every_row_of_every_page():
    events, orders = _tables()
    ds = Dataset.from_tables(events=events, orders=orders)
    uid = orders.loc[orders["status"] == "refunded", "user_id"].iloc[0]  # a user with a refund
    p = opslab.user_profile(ds, uid)
    mine_ev, mine_od = events[events["user_id"] == uid], orders[orders["user_id"] == uid]
    assert (mine_od["status"] == "refunded").any()
    assert p.timeline_size() == len(mine_ev) + len(mine_od)  # refunded orders are rows too
    assert p.timeline_size(["pay", "cart"], orders=False) == mine_ev["event_name"].isin(["pay", "cart"]).sum()
    assert p.timeline_size([], orders=True) == len(mine_od)
    assert p.timeline_size(orders=False) == len(p.timeline(per_page=10_000, orders=False))
    assert p.event_count("view") == (mine_ev["event_name"] == "view").sum()
    assert p.event_count("never") == 0


def test_user_table_reads_the_one_feature_table_and_matches_pandas_on_a_past_day():
    """A user's story as of a past day: signup, first and last active day, active days and paid
    orders are the per-user feature table's (one definition), GMV to date is the paid amount
    less the refund rows (the catalogue's GMV summed per user), and nothing after the day is
    counted; a user first seen after the day has no days and zero counts."""
    from opslab.behaviour import people
    from opslab.dataset import features
    events, orders = _tables(seed=9, n_users=15)
    paid = orders[orders["status"] == "paid"]
    back = paid.head(10).assign(amount=-paid["amount"].head(10) / 2, status="refunded",
                                order_time=paid["order_time"].head(10) + pd.Timedelta(days=2))
    late = pd.DataFrame({"user_id": ["late"], "event_time": [pd.Timestamp("2024-05-29 10:00")], "event_name": ["view"]})
    events = pd.concat([events, late], ignore_index=True)
    orders = pd.concat([orders, back], ignore_index=True)
    ds = Dataset.from_tables(events=events, orders=orders)
    day = pd.Timestamp("2024-04-20").date()
    uids = ds.users["uid"].to_numpy()
    got = people.user_table(ds, uids, day).set_index("user_id")

    upto = pd.Timestamp(day) + pd.Timedelta(days=1)
    ev = events[events["event_time"] < upto]
    od = orders[orders["order_time"] < upto]
    sold = od[(od["status"] == "paid") & (od["amount"] > 0)]
    days = pd.concat([ev.assign(d=ev["event_time"].dt.normalize())[["user_id", "d"]],
                      od[od["status"] == "paid"].assign(d=lambda x: x["order_time"].dt.normalize())[["user_id", "d"]]])
    days = days.drop_duplicates()
    want_active = days.groupby("user_id")["d"].nunique()
    want_events = ev.groupby("user_id").size()
    want_orders = sold.groupby("user_id").size()
    want_gmv = sold.groupby("user_id")["amount"].sum().sub(
        -od[od["amount"] < 0].groupby("user_id")["amount"].sum(), fill_value=0)
    ids = got.index
    assert (got["active_days"] == want_active.reindex(ids, fill_value=0)).all()
    assert (got["events"] == want_events.reindex(ids, fill_value=0)).all()
    assert (got["orders"] == want_orders.reindex(ids, fill_value=0)).all()
    np.testing.assert_allclose(got["gmv"], want_gmv.reindex(ids, fill_value=0.0), atol=1e-9)
    assert (got["last_active"].dropna() == days.groupby("user_id")["d"].max().reindex(got["last_active"].dropna().index)).all()
    assert (got["first_active"].dropna() == days.groupby("user_id")["d"].min().reindex(got["first_active"].dropna().index)).all()
    assert got.loc["late", "active_days"] == 0 and pd.isna(got.loc["late", "last_active"])
    assert want_gmv.sum() < sold["amount"].sum()  # the refund rows are subtracted

    f = features.user_features(ds, day).set_index("uid")
    shared = got.set_index("uid").loc[f.index]
    assert (shared["active_days"].to_numpy() == f["active_days"].to_numpy()).all()
    assert (shared["orders"].to_numpy() == f["orders"].to_numpy()).all()
    last = (pd.Timestamp(day) - pd.to_timedelta(f["days_since_last_active"], unit="D")).to_numpy()
    assert (shared["last_active"].to_numpy()[~pd.isna(last)] == last[~pd.isna(last)]).all()
