"""Saved segments: who is in one (rules or a list), the data set of its users equals the data
built from tables filtered with pandas, and campaign figures on a segment (no CAC; ROI of the
segment's own revenue) equal a pandas computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.core.problems import OpsLabError
from opslab.dataset.dataset import Dataset
from opslab.lifecycle import tiers as lc
from opslab.metrics import kpi_table as metrics
from opslab.metrics import lead_kpis
from opslab.metrics import segments as sg
from tests.random_logs import random_activity

CHANNELS = ["抖音", "微信", "搜索"]


@pytest.fixture(scope="module")
def frames():
    events, orders = random_activity(n_users=90, days=150, seed=11)
    rng = np.random.default_rng(5)
    users = pd.DataFrame({"user_id": [f"u{i}" for i in range(90)],
                          "channel": rng.choice(CHANNELS, 90), "city": rng.choice(["京", "沪"], 90)})
    campaigns = pd.DataFrame({"campaign_id": ["c1", "c2", "c3"],
                              "start_date": pd.to_datetime(["2024-02-01", "2024-02-10", "2024-03-05"]),
                              "end_date": pd.to_datetime(["2024-02-14", "2024-02-20", "2024-03-09"]),
                              "spend": [1000.0, 500.0, 800.0], "new_users": [10.0, 5.0, 4.0],
                              "revenue": [3000.0, 900.0, 1000.0], "participants": [50.0, 20.0, 30.0]})
    return events, orders, users, campaigns


def _ds(events, orders, users, campaigns):
    return Dataset.from_tables(events=events, orders=orders, users=users, campaigns=campaigns, currency="CNY")


def test_rules_and_lists_pick_the_users_pandas_picks(frames):
    events, orders, users, campaigns = frames
    ds = _ds(*frames)
    rule = sg.Segment("wx-bj", rules={"channel": ["微信"], "city": ["京"]})
    want = users.loc[(users["channel"] == "微信") & (users["city"] == "京"), "user_id"]
    assert sorted(sg.members(ds, rule)) == sorted(want)
    listed = sg.Segment("few", users=["u3", "u7", "u7", "nobody"])
    assert sorted(sg.members(ds, listed)) == ["u3", "u7"]
    sub = sg.apply(ds, listed)
    assert sub.scope.missing == 1 and sub.scope.users == 2 and sub.scope.total == 90 and not sub.whole
    # what a caller may pass
    assert sg.as_segment({"channel": ["抖音"]}).kind == "rules"
    assert sg.as_segment(pd.Series(["u1"])).users == ("u1",)
    with pytest.raises(TypeError):
        sg.as_segment("u1")
    with pytest.raises(ValueError):
        sg.Segment("both", users=["u1"], rules={"channel": ["抖音"]})


def test_a_segment_is_the_data_of_its_users_filtered_with_pandas(frames):
    events, orders, users, campaigns = frames
    ds = _ds(*frames)
    keep = set(users.loc[users["channel"] == "抖音", "user_id"])
    sub = sg.apply(ds, {"channel": ["抖音"]})
    plain = _ds(events[events["user_id"].isin(keep)], orders[orders["user_id"].isin(keep)],
                users[users["user_id"].isin(keep)], campaigns)
    assert (sub.start, sub.end) == (ds.start, ds.end)
    for grain in ("day", "month"):
        a = metrics.kpis(sub, grain)
        b = metrics.kpis(plain, grain)
        common = a.index.intersection(b.index)
        for col in ("dau", "gmv", "orders", "paying_users", "new_users", "active_users"):
            assert np.allclose(a.loc[common, col].fillna(-1), b.loc[common, col].fillna(-1)), (grain, col)
    # GMV of the segment, as pandas counts it: paid orders only (the net rule)
    paid = orders[orders["user_id"].isin(keep) & (orders["status"] == "paid")]
    assert metrics.kpis(sub, "month")["gmv"].sum() == pytest.approx(paid["amount"].sum())
    # tiers on a subset: each user keeps their own features (users are numbered again)
    tiers = lc.segment(sub).set_index("user_id")["tier"]
    assert tiers.equals(lc.segment(plain).set_index("user_id")["tier"].reindex(tiers.index))
    assert set(tiers.index) == keep


def test_campaign_figures_on_a_segment(frames):
    events, orders, users, campaigns = frames
    ds = _ds(*frames)
    keep = set(users.loc[users["channel"] == "微信", "user_id"])
    sub = sg.apply(ds, {"channel": ["微信"]})
    cards = lead_kpis.lead_cards(sub, pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-29"))
    assert np.isnan(cards.loc["cac", "value"])  # spend is not split by users
    days = pd.date_range("2024-02-01", "2024-02-20")  # c1 and c2 overlap: each day once
    paid = orders[orders["user_id"].isin(keep) & (orders["status"] == "paid")
                  & orders["order_time"].dt.normalize().isin(days)]
    assert cards.loc["roi", "value"] == pytest.approx(paid["amount"].sum() / 1500.0)
    whole = lead_kpis.lead_cards(ds, pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-29"))
    assert whole.loc["cac", "value"] == pytest.approx(1500 / 15) and whole.loc["roi", "value"] == pytest.approx(3900 / 1500)


def test_a_segment_that_cannot_be_shown_says_why(frames):
    ds = _ds(*frames)
    with pytest.raises(OpsLabError) as err:
        sg.apply(ds, ["nobody"])
    assert err.value.code == "segments.empty"
    with pytest.raises(OpsLabError) as err:
        sg.apply(ds, {"no_such_column": ["x"]})
    assert err.value.code == "segments.unknown_dimension" and err.value.params["column"] == "no_such_column"


def test_assignments_are_limited_to_the_segment(frames):
    ds = _ds(*frames)
    sub = sg.apply(ds, ["u1", "u2"])
    a = pd.DataFrame({"user_id": ["u1", "u2", "u3"], "variant": ["A", "B", "A"]})
    assert sg.within(sub, a)["user_id"].tolist() == ["u1", "u2"]
    assert sg.within(ds, a) is a
