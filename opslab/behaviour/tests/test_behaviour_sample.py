"""The sample data's funnel and planted A/B test are what the new screens recover."""

from __future__ import annotations

import pandas as pd
import pytest

from opslab.behaviour.experiments import ab_test, read_assignments
from opslab.behaviour.funnels import funnel
from opslab.dataset.load import load_sample, sample_dir
from opslab.behaviour.paths import leave_points, paths


@pytest.fixture(scope="module")
def sample():
    ds = load_sample()
    asg = read_assignments(pd.read_csv(sample_dir() / "assignments.csv", dtype=str))
    return ds, asg


@pytest.mark.slow
def test_sample_funnel_has_checkout_and_a_clear_leave_point(sample):
    ds, _ = sample
    res = funnel(ds, ["visit", "view", "add_to_cart", "checkout", "purchase"], window_days=1)
    users = res.steps["users"].tolist()
    assert users == sorted(users, reverse=True) and users[-1] > 0
    # the biggest relative drop is from viewing to carting (browsing without buying)
    worst = res.steps.iloc[1:]["conv_prev"].idxmin()
    assert res.steps.loc[worst, "event"] == "add_to_cart"
    assert len(res.dropped_at(3)) == res.steps.loc[1, "users"] - res.steps.loc[2, "users"]
    strict = funnel(ds, ["checkout", "purchase"], window_days=1, order="strict")
    assert strict.steps["conv_prev"].iloc[1] > 0.5   # a purchase comes right after its checkout
    p = paths(ds, "checkout", depth=2)
    assert p.nodes.iloc[0]["event"] == "checkout"
    assert leave_points(p).iloc[0]["left"] > 0


def test_planted_ab_effect_is_recovered(sample):
    ds, asg = sample
    assert set(asg["variant"]) == {"control", "new_checkout"}
    conv = ab_test(ds, asg, "conversion", control="control")
    orders = ab_test(ds, asg, "orders", control="control")
    assert conv.srm_ok and conv.verdicts["new_checkout"] == "win"
    assert orders.verdicts["new_checkout"] == "win"
    row = conv.comparisons.iloc[0]
    assert row["ci_low"] > 0.05 and row["p_sequential"] < 0.01 and row["chance_to_beat"] > 0.99
    # no planted effect on day-7 retention: not called a win or a loss
    assert ab_test(ds, asg, "retention", control="control").verdicts["new_checkout"] not in ("win", "loss")


def test_planted_srm_in_the_sample_assignment_stops_the_readout(sample):
    ds, asg = sample
    lost = asg[asg["variant"] == "new_checkout"].sample(frac=0.25, random_state=1).index
    broken = asg.drop(index=lost)   # a logging bug that lost a quarter of one arm
    res = ab_test(ds, broken, "conversion", control="control")
    assert not res.srm_ok and res.verdicts["new_checkout"] == "srm"
