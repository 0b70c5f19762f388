"""The projected effect of a test on the quarter's GMV, against plain pandas over the orders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.behaviour.experiments import ABConfig, ab_test
from opslab.core.problems import OpsLabError
from opslab.dataset.dataset import Dataset
from opslab.planning.experiment_impact import ab_projection
from opslab.planning.targets import Target


def _quarter_shop(seed=1, n=1500):
    rng = np.random.default_rng(seed)
    ids = np.array([f"u{i}" for i in range(n)])
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 70, 6 * n), unit="D")
    who = rng.integers(0, n, 6 * n)
    od = pd.DataFrame({"user_id": ids[who], "order_time": days + pd.Timedelta(hours=12),
                       "amount": np.round(rng.lognormal(4, 0.5, 6 * n), 2), "status": "paid"})
    variant = np.where(np.arange(n) % 2 == 0, "A", "B")
    extra = od[(od["order_time"] >= "2024-02-20") & (variant[who] == "B") & (rng.random(6 * n) < 0.3)]
    od = pd.concat([od, extra.assign(order_time=extra["order_time"] + pd.Timedelta(hours=1))], ignore_index=True)
    asg = pd.DataFrame({"user_id": ids, "variant": variant, "time": pd.Timestamp("2024-02-20")})
    return Dataset.from_tables(orders=od), asg, od


def test_projection_carries_the_lift_to_the_rest_of_the_quarter():
    ds, asg, od = _quarter_shop()
    res = ab_test(ds, asg, "revenue", control="A", config=ABConfig(pre_days=0))
    as_of = pd.Timestamp(ds.end)
    out = ab_projection(ds, res, target=Target("gmv", "2024Q1", 2_000_000))
    row = out.frame.iloc[0]
    paid = od.assign(day=od["order_time"].dt.normalize())
    to_date = paid[(paid["day"] >= "2024-01-01") & (paid["day"] <= as_of)]["amount"].sum()
    rate = paid[(paid["day"] > as_of - pd.Timedelta(days=28)) & (paid["day"] <= as_of)]["amount"].sum() / 28
    left = (pd.Timestamp("2024-03-31") - as_of).days
    rel = res.comparisons.iloc[0]["rel_lift"]
    assert out.period == "2024Q1" and out.days_left == left and out.kpi == "gmv"
    assert row["to_date"] == pytest.approx(to_date) and out.run_rate == pytest.approx(rate)
    assert row["extra"] == pytest.approx(rel * rate * left)
    assert row["extra_low"] < row["extra"] < row["extra_high"]
    assert row["completion_with"] == pytest.approx((to_date + rate * left * (1 + rel)) / 2_000_000)
    assert row["gap_closed"] == pytest.approx(rel * rate * left / (2_000_000 - to_date - rate * left))
    half = ab_projection(ds, res, target=2_000_000, rollout=0.5).frame.iloc[0]
    assert half["extra"] == pytest.approx(row["extra"] / 2)


def test_projection_needs_a_money_metric_and_a_matching_target():
    ds, asg, _ = _quarter_shop(n=300)
    conv = ab_test(ds, asg, "orders", control="A", config=ABConfig(pre_days=0))
    with pytest.raises(OpsLabError):
        ab_projection(ds, conv)
    rev = ab_test(ds, asg, "revenue", control="A", config=ABConfig(pre_days=0))
    with pytest.raises(ValueError):
        ab_projection(ds, rev, target=Target("gmv", "2024Q2", 1.0))
    with pytest.raises(ValueError):
        ab_projection(ds, rev, rollout=0)
