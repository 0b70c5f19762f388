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
