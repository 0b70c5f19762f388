"""RFM: quintile and cut-point scores on hand cases, values against brute-force pandas, the
segment grid, and the tier x segment cross-tab."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from opslab.lifecycle import tiers as lc
from opslab.lifecycle import rfm
from opslab.dataset.dataset import Dataset
from tests.random_logs import random_activity

D = dt.date(2024, 6, 30)


@pytest.fixture(scope="module")
def ten():
    """Users a..j: one paid order each, amount 10..100, placed 0..9 days before D."""
    users = list("abcdefghij")
    orders = pd.DataFrame({
        "user_id": users, "amount": [10.0 * (i + 1) for i in range(10)],
        "order_time": [pd.Timestamp(D) - pd.Timedelta(days=i) + pd.Timedelta(hours=12) for i in range(10)],
    })
    return Dataset.from_tables(orders=orders.iloc[::-1])  # time order: j first, so uid j=0


def test_quintiles_by_hand(ten):
    s = rfm.rfm_scores(ten, as_of=D).set_index("user_id").sort_index()
    assert s["recency_days"].tolist() == list(range(10))
    assert s["m"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s["r"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    # all frequencies tie at 1: rank(method="first") follows uid order (j has uid 0)
    assert s["f"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert s["fm"].tolist() == [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
    assert s["segment"].astype(str).tolist() == (
        ["potential_loyalists"] * 4 + ["need_attention"] * 2 + ["at_risk"] * 4)


def test_quintile_scores_edge_cases():
    assert rfm.quintile_scores([7.0]).tolist() == [1]
    assert rfm.quintile_scores([5, 5, 5, 5, 5]).tolist() == [1, 2, 3, 4, 5]
    assert rfm.quintile_scores([1, 2], higher_is_better=False).tolist() == [3, 1]
    twenty = rfm.quintile_scores(np.arange(20))
    assert np.bincount(twenty).tolist() == [0, 4, 4, 4, 4, 4]


def test_cut_points(ten):
    config = rfm.RFMConfig(recency_cuts=(1, 3, 5, 7), frequency_cuts=(0, 1, 2, 3), monetary_cuts=(20, 40, 60, 80))
    s = rfm.rfm_scores(ten, config, as_of=D).set_index("user_id").sort_index()
    assert s["r"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]   # recency 0..9: <=1, <=3, <=5, <=7, >7
    assert s["m"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]   # 10..100: <=20, <=40, ...
    assert set(s["f"]) == {2}                                   # 1 order: 0 < 1 <= 1
    with pytest.raises(ValueError):
        rfm.RFMConfig(monetary_cuts=(3, 2, 1, 0))
    with pytest.raises(ValueError):
        rfm.RFMConfig(recency_cuts=(1, 2))


def test_segment_grid_covers_every_score_pair():
    r, fm = np.meshgrid(np.arange(1, 6), np.arange(1, 6), indexing="ij")
    seg = rfm.segment_of(r.ravel(), fm.ravel())
    assert set(seg) == set(rfm.SEGMENTS)
    assert rfm.segment_of([5, 5, 1, 1, 3, 4, 2], [5, 1, 1, 5, 3, 1, 2]).tolist() == [
        "champions", "new_customers", "lost", "cant_lose", "need_attention", "promising", "hibernating"]


@pytest.mark.parametrize("window", [None, 30])
def test_values_equal_brute_force(window):
    events, orders = random_activity(n_users=60, days=120, seed=4)
    ds = Dataset.from_tables(events=events, orders=orders)
    as_of = dt.date(2024, 3, 20)
    got = rfm.rfm_values(ds, as_of, window).set_index("user_id").sort_index()
    paid = orders[(orders["status"] == "paid") & (orders["order_time"].dt.date <= as_of)]
    if window:
        paid = paid[paid["order_time"].dt.date > as_of - dt.timedelta(days=window)]
    want = paid.groupby("user_id").agg(last=("order_time", "max"), frequency=("amount", "size"),
                                       monetary=("amount", "sum")).sort_index()
    assert list(got.index) == list(want.index)
    assert got["recency_days"].tolist() == [(as_of - t.date()).days for t in want["last"]]
    assert got["frequency"].tolist() == want["frequency"].tolist()
    np.testing.assert_allclose(got["monetary"], want["monetary"])


def test_tier_crosstab():
    events, orders = random_activity(n_users=80, days=120, seed=6)
    ds = Dataset.from_tables(events=events, orders=orders)
    seg = lc.segment(ds)
    scores = rfm.rfm_scores(ds)
    table = rfm.tier_rfm_crosstab(seg, scores)
    assert list(table.index) == list(lc.TIERS) and list(table.columns) == [*rfm.SEGMENTS, rfm.NON_PAYER]
    assert (table.sum(axis=1) == lc.tier_counts(seg["tier"])).all()
    assert table[rfm.NON_PAYER].sum() == len(seg) - len(scores) == (~seg["has_paid_ever"]).sum()
    merged = seg.merge(scores, on="uid")
    want = pd.crosstab(merged["tier"].astype(str), merged["segment"].astype(str))
    for tier in want.index:
        for s in want.columns:
            assert table.loc[tier, s] == want.loc[tier, s]


def test_segment_counts_shares_and_members_equal_plain_pandas():
    events, orders = random_activity(n_users=80, days=120, seed=6)
    ds = Dataset.from_tables(events=events, orders=orders)
    seg, scores = lc.segment(ds), rfm.rfm_scores(ds)
    counts = rfm.segment_counts(scores)
    assert list(counts.index) == list(rfm.SEGMENTS) and counts.sum() == len(scores)
    plain = {s: sum(1 for v in scores["segment"].astype(str) if v == s) for s in rfm.SEGMENTS}
    assert counts.to_dict() == plain
    table = rfm.tier_rfm_crosstab(seg, scores)
    shares = rfm.row_shares(table)
    for tier in table.index:
        total = int(table.loc[tier].sum())
        if total:
            assert shares.loc[tier].tolist() == pytest.approx([v / total for v in table.loc[tier]])
        else:
            assert shares.loc[tier].isna().all()
    pick = counts.idxmax()
    members = rfm.segment_members(scores, seg, pick)
    assert members.columns[0] == "user_id" and "uid" not in members
    want = scores.loc[scores["segment"].astype(str) == pick, "user_id"]
    assert sorted(members["user_id"]) == sorted(want)
    tier_of = dict(zip(seg["user_id"], seg["tier"].astype(str)))
    assert all(tier_of[u] == t for u, t in zip(members["user_id"], members["tier"].astype(str)))
