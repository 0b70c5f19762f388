"""The A/B readout's sequential test: group-sequential boundaries with Lan-DeMets alpha spending.

Checked against published boundaries (gsDesign / Jennison & Turnbull for the two-sided
O'Brien-Fleming-type design with four equally spaced looks; SeqBounds.jl's README for the
one-sided one), against a Monte Carlo of Brownian motion, and by the deliverable of issue 26:
10,000 A/A tests read every day until the planned sample keep the false-positive rate at
5 % +- 0.5 points, while a real effect is still found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from opslab.behaviour import experiment_effects as fx
from opslab.behaviour import experiment_stats as st
from opslab.behaviour import group_sequential as gs
from opslab.behaviour.experiments import ABConfig, ab_test
from opslab.behaviour.tests.test_experiment_readouts import _shop

QUARTERS = [0.25, 0.5, 0.75, 1.0]


def test_boundaries_match_published_designs():
    # gsDesign::gsDesign(k=4, test.type=2, alpha=0.025, sfu=sfLDOF) upper bounds (two-sided 5 %),
    # the Lan-DeMets O'Brien-Fleming design tabulated in Jennison & Turnbull (2000), ch. 7
    assert gs.boundaries(QUARTERS, kind="obf") == pytest.approx([4.3326, 2.9631, 2.3590, 2.0141], abs=1e-4)
    # PharmCat/SeqBounds.jl README: bounds([0.25, 0.5, 0.75, 1.0], 0.05) one-sided OBF (grid 0.05)
    assert gs.boundaries(QUARTERS, kind="obf", two_sided=False) == pytest.approx([3.74955, 2.53993, 2.01604, 1.72014], abs=1e-4)
    # one look is the fixed-horizon test; spending sums to alpha
    assert gs.boundaries([1.0])[0] == pytest.approx(stats.norm.isf(0.025), abs=1e-6)
    assert gs.boundaries([1.0], kind="pocock", alpha=0.1)[0] == pytest.approx(stats.norm.isf(0.05), abs=1e-6)
    for kind in gs.SPENDING:
        assert gs.spent(1.0, 0.05, kind) == pytest.approx(0.05)
    with pytest.raises(ValueError):
        gs.boundaries([0.5, 0.5])
    with pytest.raises(ValueError):
        gs.spent(0.5, kind="haybittle")


def test_boundaries_spend_what_a_brownian_motion_crosses():
    """Independent check of the numerical integration: 200,000 simulated Brownian paths read
    at 30 equally spaced looks cross each design's boundaries at the rates it spends."""
    rng = np.random.default_rng(26)
    k = 30
    t = np.arange(1, k + 1) / k
    score = rng.normal(0, np.sqrt(1 / k), (200_000, k)).cumsum(axis=1)
    z = score / np.sqrt(t)
    for kind in gs.SPENDING:
        c = gs.boundaries(t, 0.05, kind)
        first = np.where((np.abs(z) >= c).any(axis=1), (np.abs(z) >= c).argmax(axis=1), k)
        by_look = np.bincount(first, minlength=k + 1)[:k].cumsum() / len(z)
        se = np.sqrt(0.05 * 0.95 / len(z))
        assert abs(by_look[-1] - 0.05) < 3 * se
        assert np.abs(by_look[[9, 19]] - gs.spent(t[[9, 19]], 0.05, kind)).max() < 3 * se
        assert gs.crossing(t, c).sum() == pytest.approx(0.05, abs=1e-6)


def _aa_looks(rng, runs, days, per_day, p, lift=0.0):
    c = rng.binomial(per_day, p, (runs, days)).cumsum(axis=1)
    t = rng.binomial(per_day, p + lift, (runs, days)).cumsum(axis=1)
    n = per_day * np.arange(1, days + 1)
    pc, pt = c / n, t / n
    var = pc * (1 - pc) / n + pt * (1 - pt) / n
    return pt - pc, var, 2 * n


def test_ten_thousand_aa_tests_checked_daily_keep_five_percent():
    """Issue 26: 10,000 A/A tests of a 10 % conversion, 200 users per arm a day, planned for
    30 days and read every day. The readout's default (Pocock spending over the share of the
    planned users) calls a winner in 5 % +- 0.5 points of them, as does O'Brien-Fleming
    spending. Measured beside it (seed 20261207): stopping at the first fixed-horizon p < 0.05
    28 %, the always-valid mSPRT at its default spread 1.6 % (it pays for looking without end)."""
    rng = np.random.default_rng(20261207)
    runs, days, per_day, p = 10_000, 30, 200, 0.1
    lift, var, users = _aa_looks(rng, runs, days, per_day, p)
    z = lift / np.sqrt(var)
    keep, t = gs.information(users, planned=users[-1])
    assert keep.tolist() == list(range(days)) and t[-1] == 1.0
    rate = {}
    for kind in gs.SPENDING:
        c = gs.boundaries(t, 0.05, kind)
        rate[kind] = (np.abs(z) >= c).any(axis=1).mean()
        assert 0.045 <= rate[kind] <= 0.055, (kind, rate[kind])
    naive = (2 * stats.norm.sf(np.abs(z)) < 0.05).any(axis=1).mean()
    msprt = (st.msprt_pvalues(lift, var, tau2=(ABConfig().seq_tau * p) ** 2) < 0.05).any(axis=1).mean()
    assert naive > 0.2 and msprt < 0.03 < rate["obf"]
    # the readout's per-test p-value is the same decision as the boundaries
    c = gs.boundaries(t)
    crossed = (np.abs(z) >= c).any(axis=1)
    for k in (int(np.flatnonzero(crossed)[0]), int(np.flatnonzero(~crossed)[0])):
        looks = list(zip(lift[k], var[k], users))
        pv, lo, hi = fx.sequential(looks, ABConfig(), p, planned=users[-1])
        assert (pv < 0.05) == crossed[k]
        assert (hi - lo) / 2 == pytest.approx(c[-1] * np.sqrt(var[k, -1]))


def test_a_real_effect_is_still_found():
    """An effect the fixed-horizon test has 80 % power for at 6,000 users per arm (10 % ->
    11.6 %): with the sequential plan (that sample times the design's inflation, spread over
    30 daily looks) each design finds it in 80 % +- 2 points of 10,000 simulated tests, most
    of them before the planned end (Pocock in about half the time); the mSPRT, read daily to
    the same sample, finds it far less often."""
    rng = np.random.default_rng(7)
    runs, days, p, fixed_n = 10_000, 30, 0.1, 6000
    drift = stats.norm.isf(0.025) + stats.norm.isf(0.2)
    # the lift whose z at 6,000 per arm has mean `drift` with each arm's own variance
    delta = optimize_lift(p, fixed_n, drift)
    for kind in gs.SPENDING:
        per_day = int(round(fixed_n * gs.inflation(days, kind=kind) / days))
        lift, var, users = _aa_looks(rng, runs, days, per_day, p, lift=delta)
        z = lift / np.sqrt(var)
        t = users / users[-1]
        c = gs.boundaries(t, kind=kind)
        crossed = (np.abs(z) >= c).any(axis=1)
        assert crossed.mean() == pytest.approx(0.8, abs=0.02), kind
        first = np.argmax(np.abs(z) >= c, axis=1)[crossed]
        assert (first < days - 1).mean() > 0.5, kind          # most wins come before the planned end
        if kind == "pocock":
            assert np.median(first + 1) <= days / 2 + 1
            msprt = (st.msprt_pvalues(lift, var, tau2=(ABConfig().seq_tau * p) ** 2) < 0.05).any(axis=1).mean()
            assert msprt < crossed.mean() - 0.1


def optimize_lift(p: float, n: int, drift: float) -> float:
    from scipy.optimize import brentq
    return brentq(lambda d: d / np.sqrt((p * (1 - p) + (p + d) * (1 - p - d)) / n) - drift, 1e-6, 0.5)


def test_the_readout_uses_it_by_default_on_looks_counted_from_the_raw_rows():
    """The readout's sequential p-value and interval are the group-sequential ones of the
    daily looks a lead would have seen (recounted here in pandas), spent by the share of the
    planned users; a win before the plan is an early stop; mSPRT stays an option."""
    ds, asg, truth = _shop(seed=11, n=3000, lift=0.06)
    res = ab_test(ds, asg, "conversion", control="A", config=ABConfig(pre_days=0))
    row = res.comparisons.iloc[0]
    t0 = asg.set_index("user_id")["time"].reindex(truth["user_id"]).to_numpy()
    day0 = pd.DatetimeIndex(t0).normalize()
    bought = pd.DatetimeIndex(t0 + pd.Timedelta(days=2)).normalize()
    lifts, vars_, users = [], [], []
    for d in pd.date_range(day0.min(), pd.Timestamp(ds.end)):
        seen = day0 <= d
        y = truth["buy"].to_numpy() * (bought <= d)
        a, b = y[seen & (truth["variant"] == "A").to_numpy()], y[seen & (truth["variant"] == "B").to_numpy()]
        if len(a) < 2 or len(b) < 2 or a.var() + b.var() == 0:   # a look with no variation says nothing
            continue
        lifts.append(b.mean() - a.mean())
        vars_.append(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
        users.append(len(a) + len(b))
    keep, t = gs.information(users, planned=2 * row["n_needed"])
    z = np.array(lifts)[keep] / np.sqrt(np.array(vars_)[keep])
    assert row["p_sequential"] == pytest.approx(gs.repeated_p(z, t), rel=1e-4)
    half = gs.boundaries(t)[-1] * np.sqrt(vars_[-1])
    assert (row["seq_low"], row["seq_high"]) == (pytest.approx(lifts[-1] - half), pytest.approx(lifts[-1] + half))
    assert row["verdict"] == "win" and row["days_more"] > 0 and row["stopped_early"]
    old = ab_test(ds, asg, "conversion", control="A", config=ABConfig(pre_days=0, seq_method="msprt")).comparisons.iloc[0]
    assert old["p_sequential"] > row["p_sequential"]
    with pytest.raises(ValueError):
        ABConfig(seq_method="bonferroni")
