"""Lifecycle rules fitted to repurchase gaps, and RFM recency cut-offs that agree with the tiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.lifecycle import tiers as lifecycle
from opslab.lifecycle import rfm
from opslab.dataset.dataset import Dataset
from opslab.lifecycle.fit import rules_in_force, suggest_rules


def _orders(seed=0, n=300):
    """Customers buying at their own pace over a year, with a few one-off buyers."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n):
        t = int(rng.integers(0, 60))
        gap_mean = rng.choice([7, 30, 90])
        while t < 365:
            rows.append((f"c{u}", pd.Timestamp("2023-01-01") + pd.Timedelta(days=t), float(rng.integers(5, 200))))
            t += int(rng.exponential(gap_mean)) + 1
            if rng.random() < 0.1:
                break
    return pd.DataFrame(rows, columns=["user_id", "order_time", "amount"])


def test_suggestion_comes_from_the_repurchase_gaps():
    orders = _orders()
    ds = Dataset.from_tables(orders=orders)
    s = suggest_rules(ds)
    # gaps by hand: distinct purchase days per customer, consecutive differences
    days = orders.assign(day=orders["order_time"].dt.normalize()).drop_duplicates(["user_id", "day"])
    gaps = days.sort_values(["user_id", "day"]).groupby("user_id")["day"].diff().dt.days.dropna().to_numpy()
    assert s.purchase_only and s.applies and s.n_gaps == len(gaps)
    for q in (0.5, 0.85, 0.9):
        assert s.gap_quantiles[q] == np.quantile(gaps, q, method="inverted_cdf")
    assert s.rules.churn_days == s.gap_quantiles[0.85]
    assert s.rules.warning_days == s.rules.new_days == s.gap_quantiles[0.5]
    assert s.rules.value_window_days == s.rules.churn_days
    assert s.share_within_churn == pytest.approx((gaps <= s.rules.churn_days).mean())
    assert rules_in_force(ds) == s.rules


def test_data_with_visit_events_keep_the_standard_rules(activity):
    events, orders = activity
    ds = Dataset.from_tables(events=events, orders=orders)
    s = suggest_rules(ds)
    assert not s.purchase_only and not s.applies
    assert rules_in_force(ds) == lifecycle.LifecycleRules()


def test_too_few_gaps_give_no_suggestion():
    od = pd.DataFrame({"user_id": ["a", "a", "b"], "amount": [1.0, 2.0, 3.0],
                       "order_time": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-02"])})
    ds = Dataset.from_tables(orders=od)
    s = suggest_rules(ds)
    assert s.rules is None and not s.applies and s.n_gaps == 1
    assert rules_in_force(ds) == lifecycle.LifecycleRules()


@pytest.mark.parametrize("churn_days,warning_days", [(30, 14), (152, 34), (10, 10), (60, 1)])
def test_recency_cuts_agree_with_the_tiers(churn_days, warning_days):
    rules = lifecycle.LifecycleRules(churn_days=churn_days, warning_days=warning_days)
    cuts = rfm.recency_cuts(rules)
    assert list(cuts) == sorted(cuts)
    days = np.arange(0, 400)
    r = rfm.cut_scores(days, cuts, higher_is_better=False)
    assert (r[days >= churn_days] == 1).all() and (r[days < churn_days] >= 2).all()
    assert (r[days >= min(warning_days, churn_days)] <= 2).all()


@pytest.mark.slow
def test_no_champion_is_churned_on_real_data():
    from bench.realdata_churn import cdnow_dataset
    ds = cdnow_dataset()
    rules = rules_in_force(ds)
    assert rules.churn_days > 30  # fitted: CDNOW customers buy every few months
    seg = lifecycle.segment(ds, rules)
    scores = rfm.rfm_scores(ds, rfm.RFMConfig(recency_cuts=rfm.recency_cuts(rules)))
    cross = rfm.tier_rfm_crosstab(seg, scores)
    assert cross.loc["churned", ["champions", "loyal", "potential_loyalists"]].sum() == 0
    # and the fitted rules no longer call nearly everyone churned (the defaults: 93.6 %)
    shares = lifecycle.tier_counts(seg["tier"]) / len(seg)
    default_share = (lifecycle.tier_counts(lifecycle.segment(ds)["tier"]) / len(seg))["churned"]
    assert shares["churned"] < default_share - 0.1
