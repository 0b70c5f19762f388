"""Breakdowns: groups partition the users, filtered KPIs equal an independent pandas count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.metrics import breakdowns as bd
from opslab.metrics import kpi_table as metrics
from opslab.dataset.dataset import Dataset
from opslab.core.problems import OpsLabError
from tests.random_logs import random_activity


@pytest.fixture(scope="module")
def ds_and_frames():
    events, orders = random_activity(n_users=80, days=120, seed=3)
    rng = np.random.default_rng(0)
    users = pd.DataFrame({"user_id": [f"u{i}" for i in range(80)],
                          "channel": rng.choice(["抖音", "微信", "搜索", "小红书", "快手", "=cmd"], 80)})
    events["platform"] = np.where(np.arange(len(events)) % 3 == 0, "ios", "android")
    return Dataset.from_tables(events=events, orders=orders, users=users), events, orders, users


def test_additive_kpis_of_the_groups_sum_to_the_whole(ds_and_frames):
    ds = ds_and_frames[0]
    whole = metrics.kpis(ds, "month")
    parts = bd.kpi_breakdown(ds, "month", "channel", top_n=3)
    assert set(parts["group"]) == {*bd.group_sizes(ds, "channel", 3).index}
    assert "__other__" in set(parts["group"])
    summed = parts.groupby("period")[["dau", "gmv", "orders", "new_users", "active_users"]].sum()
    for col in ("dau", "gmv", "orders", "new_users", "active_users"):
        assert np.allclose(summed[col].to_numpy(), whole[col].to_numpy()), col


def test_filtered_kpis_equal_a_pandas_count(ds_and_frames):
    ds, events, orders, users = ds_and_frames
    keep = set(users.loc[users["channel"].isin(["抖音", "微信"]), "user_id"])
    sub = bd.filtered(ds, "channel", ["抖音", "微信"])
    assert set(sub.users["user_id"]) == keep
    daily = metrics.daily(sub)
    ev = events[events["user_id"].isin(keep)]
    paid = orders[orders["user_id"].isin(keep) & (orders["status"] == "paid")]
    act = pd.concat([ev[["user_id"]].assign(day=ev["event_time"].dt.normalize()),
                     paid[["user_id"]].assign(day=paid["order_time"].dt.normalize())])
    dau = act.drop_duplicates().groupby("day").size()
    assert np.array_equal(daily["dau"].reindex(dau.index).to_numpy(), dau.to_numpy())
    assert daily.index[0] == pd.Timestamp(ds.start) and daily.index[-1] == pd.Timestamp(ds.end)
    gmv = paid.groupby(paid["order_time"].dt.to_period("M"))["amount"].sum()
    frame = metrics.kpis(sub, "month")
    assert np.allclose(frame["gmv"].to_numpy(), gmv.reindex(frame.index.to_period("M"), fill_value=0).to_numpy())


def test_event_property_first_touch_tier_and_cards(ds_and_frames):
    ds, events = ds_and_frames[0], ds_and_frames[1]
    assert "platform" in bd.dimensions(ds) and "tier" in bd.dimensions(ds)
    g = bd.user_groups(ds, "platform", top_n=5)
    first = events.sort_values("event_time", kind="stable").drop_duplicates("user_id").set_index("user_id")["platform"]
    ids = ds.users.set_index("uid")["user_id"]
    assert all(g[uid] == first[ids[uid]] for uid in g.index)
    tiers = bd.user_groups(ds, "tier", top_n=8)
    assert len(tiers) == ds.n_users
    cards = bd.kpi_cards_by(ds, "month", None, "channel", top_n=2)
    assert set(cards["kpi"]) == set(metrics.KPIS)
    with pytest.raises(OpsLabError):
        bd.user_groups(ds, "nope")


def test_channel_economics_reconciles_with_the_campaigns_table():
    ev = pd.DataFrame({"user_id": ["a"], "event_time": pd.to_datetime(["2024-01-01"])})
    cp = pd.DataFrame({"campaign_id": ["c1", "c2", "c3"],
                       "start_date": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-02-01"]),
                       "end_date": pd.to_datetime(["2024-01-10", "2024-02-08", "2024-02-01"]),
                       "spend": [1000.0, 2000.0, 300.0], "channel": ["抖音", "微信", "抖音"],
                       "new_users": [10.0, 40.0, 6.0], "revenue": [500.0, 4000.0, 0.0]})
    ce = bd.channel_economics(Dataset.from_tables(events=ev, campaigns=cp))
    allc = ce[ce["channel"] == "__all__"].set_index("period")
    assert allc["spend"].sum() == pytest.approx(3300.0)
    jan = allc.loc[pd.Timestamp("2024-01-01")]
    # January: all of c1 (1000, 10 users) and 12 of c2's 20 days (1200, 24 users)
    assert jan["spend"] == pytest.approx(2200.0) and jan["new_users"] == pytest.approx(34.0)
    assert jan["cac"] == pytest.approx(2200 / 34)
    assert ce.loc[(ce["channel"] == "微信"), "roi"].tolist() == pytest.approx([2.0, 2.0])
