"""A/B statistics checked against scipy / statsmodels on fixed data; outcomes against pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from opslab.behaviour import experiment_stats as st
from opslab.dataset.dataset import Dataset
from opslab.behaviour.experiments import ABConfig, ab_test, assignments_from_events, read_assignments
from opslab.core.problems import OpsLabError

RNG = np.random.default_rng(2024)
C_BIN = (RNG.random(1800) < 0.11).astype(float)
T_BIN = (RNG.random(1750) < 0.13).astype(float)
C_REV = RNG.lognormal(3, 1, 900) * (RNG.random(900) < 0.3)
T_REV = RNG.lognormal(3.1, 1.1, 950) * (RNG.random(950) < 0.32)


def test_two_proportion_z_test_matches_statsmodels():
    c = st.compare_means(C_BIN, T_BIN)
    z, p = proportions_ztest([T_BIN.sum(), C_BIN.sum()], [len(T_BIN), len(C_BIN)])
    assert c.test == "z" and c.p_value == pytest.approx(p, rel=1e-10)
    lo, hi = confint_proportions_2indep(T_BIN.sum(), len(T_BIN), C_BIN.sum(), len(C_BIN), method="wald",
                                        compare="diff", alpha=0.05)
    assert (c.ci_low, c.ci_high) == (pytest.approx(lo, rel=1e-9), pytest.approx(hi, rel=1e-9))


def test_welch_matches_scipy_and_statsmodels():
    c = st.compare_means(C_REV, T_REV, alpha=0.1)
    res = stats.ttest_ind(T_REV, C_REV, equal_var=False)
    assert c.test == "welch" and c.p_value == pytest.approx(res.pvalue, rel=1e-9)
    lo, hi = CompareMeans(DescrStatsW(T_REV), DescrStatsW(C_REV)).tconfint_diff(alpha=0.1, usevar="unequal")
    assert (c.ci_low, c.ci_high) == (pytest.approx(lo, rel=1e-9), pytest.approx(hi, rel=1e-9))
    assert c.lift == pytest.approx(T_REV.mean() - C_REV.mean())


def test_relative_lift_interval_by_delta_method_covers_like_a_bootstrap():
    c = st.compare_means(C_REV, T_REV)
    rng = np.random.default_rng(1)
    boots = [rng.choice(T_REV, len(T_REV)).mean() / rng.choice(C_REV, len(C_REV)).mean() - 1 for _ in range(3000)]
    assert c.rel_lift == pytest.approx(T_REV.mean() / C_REV.mean() - 1)
    assert (c.rel_high - c.rel_low) / 2 == pytest.approx(1.96 * np.std(boots), rel=0.1)


def test_srm_and_holm_and_power_match_references():
    chi2, p = st.srm_check([5123, 4877, 5050], [1, 1, 1])
    ref = stats.chisquare([5123, 4877, 5050])
    assert chi2 == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    chi2, p = st.srm_check([700, 300], [0.7, 0.3])
    assert chi2 == pytest.approx(0.0)
    pv = [0.012, 0.03, 0.004, 0.2]
    assert np.allclose(st.holm(pv), multipletests(pv, method="holm")[1])
    n = st.sample_size(sd=2.0, delta=0.3, alpha=0.05, power=0.8)
    assert n == pytest.approx(NormalIndPower().solve_power(effect_size=0.15, alpha=0.05, power=0.8, ratio=1), rel=1e-5)  # statsmodels adds the far tail
    assert st.mde(2.0, n) == pytest.approx(0.3, rel=1e-6)


def test_ratio_metric_delta_method_matches_bootstrap():
    rng = np.random.default_rng(5)
    orders = rng.poisson(1.2, 2000).astype(float)
    revenue = orders * rng.lognormal(4, 0.5, 2000)
    r, var = st.ratio_stats(revenue, orders)
    assert r == pytest.approx(revenue.sum() / orders.sum())
    idx = [rng.integers(0, 2000, 2000) for _ in range(2000)]
    boot = np.array([revenue[i].sum() / orders[i].sum() for i in idx])
    assert np.sqrt(var) == pytest.approx(boot.std(), rel=0.1)


def test_cuped_agrees_with_ancova_and_narrows_the_interval():
    rng = np.random.default_rng(11)
    n = 4000
    x = rng.gamma(2, 10, n)
    treat = np.r_[np.zeros(n // 2), np.ones(n // 2)]
    y = 5 + 0.8 * x + 2.0 * treat + rng.normal(0, 5, n)
    adj, theta = st.cuped(y, x)
    c_raw = st.compare_means(y[treat == 0], y[treat == 1])
    c_adj = st.compare_means(adj[treat == 0], adj[treat == 1])
    import statsmodels.api as sm
    ols = sm.OLS(y, sm.add_constant(np.column_stack([treat, x]))).fit()
    assert c_adj.lift == pytest.approx(ols.params[1], abs=0.05)
    assert c_adj.se == pytest.approx(ols.bse[1], rel=0.05)
    assert c_adj.se < 0.5 * c_raw.se


def test_chance_to_beat_matches_beta_posterior():
    c = st.compare_means(C_BIN, T_BIN)
    rng = np.random.default_rng(3)
    pc = rng.beta(1 + C_BIN.sum(), 1 + len(C_BIN) - C_BIN.sum(), 200_000)
    pt = rng.beta(1 + T_BIN.sum(), 1 + len(T_BIN) - T_BIN.sum(), 200_000)
    assert c.chance_to_beat == pytest.approx((pt > pc).mean(), abs=0.01)


@pytest.mark.slow
def test_daily_peeking_false_alarms_naive_vs_always_valid():
    """A/A tests looked at every day for 30 days: stopping at the first fixed-horizon p < 0.05
    raises false alarms well above 5 %; the mSPRT p-values keep them at or below 5 %."""
    rng = np.random.default_rng(7)
    naive = seq = 0
    runs, days, per_day = 400, 30, 60
    for _ in range(runs):
        n = per_day * np.arange(1, days + 1)
        ya = rng.normal(10, 3, days * per_day)
        yb = rng.normal(10, 3, days * per_day)
        lifts = np.array([yb[:k].mean() - ya[:k].mean() for k in n])
        var = np.array([yb[:k].var(ddof=1) / k + ya[:k].var(ddof=1) / k for k in n])
        p_fixed = 2 * stats.norm.sf(np.abs(lifts) / np.sqrt(var))
        naive += (p_fixed < 0.05).any()
        seq += (st.msprt_pvalues(lifts, var, tau2=(0.1 * 10) ** 2) < 0.05).any()
    assert naive / runs > 0.12
    assert seq / runs <= 0.05 + 0.02


def _toy(seed=0, n=600, lift=0.0, split=0.5):
    """Users with a pre-period and a post-period; treatment buys more (planted)."""
    rng = np.random.default_rng(seed)
    ids = [f"u{i}" for i in range(n)]
    variant = np.where(rng.random(n) < split, "A", "B")
    t_exp = pd.Timestamp("2024-02-01") + pd.to_timedelta(rng.integers(0, 10 * 24, n), unit="h")
    ev, od = [], []
    for i, u in enumerate(ids):
        ev.append((u, t_exp[i] - pd.Timedelta(days=20), "visit"))
        p = 0.2 + (lift if variant[i] == "B" else 0)
        if rng.random() < 0.3:
            ev.append((u, t_exp[i] - pd.Timedelta(days=3), "purchase"))
            od.append((u, t_exp[i] - pd.Timedelta(days=3), float(rng.integers(20, 200)), "paid"))
        ev.append((u, t_exp[i], "visit"))
        for d in range(1, 12):
            if rng.random() < p / 3:
                ev.append((u, t_exp[i] + pd.Timedelta(days=d, hours=1), "purchase"))
                od.append((u, t_exp[i] + pd.Timedelta(days=d, hours=1), float(rng.integers(20, 200)),
                           "refunded" if rng.random() < 0.05 else "paid"))
            elif rng.random() < 0.2:
                ev.append((u, t_exp[i] + pd.Timedelta(days=d, hours=2), "visit"))
    events = pd.DataFrame(ev, columns=["user_id", "event_time", "event_name"])
    orders = pd.DataFrame(od, columns=["user_id", "order_time", "amount", "status"])
    asg = pd.DataFrame({"user_id": ids, "variant": variant, "time": t_exp})
    return Dataset.from_tables(events=events, orders=orders), asg, events, orders


def test_outcomes_match_pandas_and_the_readout_matches_scipy():
    ds, asg, events, orders = _toy(seed=4, lift=0.15)
    cfg = ABConfig(window_days=7, retention_day=3)
    res = {m: ab_test(ds, asg, m, control="A", config=cfg) for m in ("conversion", "revenue", "orders", "retention")}
    # independent pandas outcomes
    a = asg.set_index("user_id")
    paid = orders[orders["status"] == "paid"].join(a, on="user_id")
    inwin = paid[(paid["order_time"] >= paid["time"]) & (paid["order_time"] < paid["time"] + pd.Timedelta(days=7))]
    rev = inwin.groupby("user_id")["amount"].sum().reindex(a.index, fill_value=0)
    buys = events[events["event_name"] == "purchase"].join(a, on="user_id")
    conv = buys[(buys["event_time"] >= buys["time"]) & (buys["event_time"] < buys["time"] + pd.Timedelta(days=7))]
    converted = a.index.isin(conv["user_id"]).astype(float)
    act = events.join(a, on="user_id")
    day3 = act[act["event_time"].dt.normalize() == act["time"].dt.normalize() + pd.Timedelta(days=3)]
    ret = a.index.isin(day3["user_id"]).astype(float)
    is_b = (a["variant"] == "B").to_numpy()
    u = res["revenue"].users.set_index("user_id").loc[a.index]
    assert np.allclose(u["rev_post"], rev.to_numpy())
    assert np.array_equal(u["retained"].to_numpy(dtype=float), ret)
    # CUPED applies (pre-period exists), so compare the raw means and the CUPED lift
    for metric, y in (("revenue", rev.to_numpy()), ("conversion", converted), ("retention", ret)):
        comp = res[metric].comparisons.iloc[0]
        assert comp["mean_c"] == pytest.approx(y[~is_b].mean()) and comp["mean_t"] == pytest.approx(y[is_b].mean())
    raw = stats.ttest_ind(rev.to_numpy()[is_b], rev.to_numpy()[~is_b], equal_var=False)
    assert res["revenue"].cuped and res["revenue"].comparisons.iloc[0]["p_value"] <= raw.pvalue * 1.5
    assert res["conversion"].srm_ok
    # a 15-point lift (fixed-horizon p 0.0003) at a tenth of the planned sample: the default
    # Pocock spending (and mSPRT) stops here; O'Brien-Fleming keeps its error for later looks
    conv = res["conversion"].comparisons.iloc[0]
    assert conv["p_value"] < 0.001 and conv["n_now"] < 0.15 * conv["n_needed"]
    assert res["conversion"].verdicts["B"] == "win" and conv["stopped_early"]
    for method, verdict in (("msprt", "win"), ("obf", "too_early")):
        cfg_m = ABConfig(window_days=7, retention_day=3, seq_method=method)
        assert ab_test(ds, asg, "conversion", control="A", config=cfg_m).verdicts["B"] == verdict


def test_planted_srm_stops_the_readout():
    ds, asg, _, _ = _toy(seed=2, split=0.58, n=1500)
    res = ab_test(ds, asg, "conversion", control="A")
    assert not res.srm_ok and res.srm_p < 0.001
    assert set(res.verdicts.values()) == {"srm"}


def test_no_effect_is_not_called_a_win():
    ds, asg, _, _ = _toy(seed=9, lift=0.0, n=800)
    res = ab_test(ds, asg, "conversion", control="A")
    assert res.verdicts["B"] not in ("win", "loss")
    assert 0.0 < res.comparisons.iloc[0]["p_sequential"] <= 1.0


def test_several_variants_are_holm_corrected_and_assignment_inputs_are_read():
    ds, asg, _, _ = _toy(seed=5, lift=0.1, n=900)
    asg = asg.copy()
    asg.loc[asg.index % 3 == 0, "variant"] = "C"
    res = ab_test(ds, asg, "orders", control="A", config=ABConfig(window_days=7))
    p = res.comparisons["p_value"].to_numpy()
    assert np.allclose(res.comparisons["p_holm"], multipletests(p, method="holm")[1])
    raw = pd.DataFrame({"用户ID": ["1", "2"], "分组": ["对照组", "实验组"], "时间": ["2024-01-01", "2024/01/02"]})
    got = read_assignments(raw)
    assert got["variant"].tolist() == ["对照组", "实验组"] and got["time"].notna().all()
    dup = pd.concat([asg, asg.head(5).assign(variant="Z")])
    res2 = ab_test(ds, dup, "conversion", control="A")
    assert res2.dropped["multiple_variants"] == 5
    with pytest.raises(OpsLabError):
        ab_test(ds, asg.assign(variant="A"), "conversion")


def test_equal_arms_with_enough_users_read_flat_and_a_real_loss_reads_loss():
    rng = np.random.default_rng(21)
    n = 6000
    ids = np.array([f"u{i}" for i in range(n)])
    t0 = pd.Timestamp("2024-03-01")
    buy = rng.random(n) < 0.5
    variant = np.where(np.arange(n) % 2 == 0, "A", "B")
    events = pd.DataFrame({"user_id": np.r_[ids, ids[buy]],
                           "event_time": np.r_[[t0] * n, [t0 + pd.Timedelta(hours=1)] * buy.sum()],
                           "event_name": np.r_[["visit"] * n, ["purchase"] * buy.sum()]})
    asg = pd.DataFrame({"user_id": ids, "variant": variant, "time": t0})
    cfg = ABConfig(mde_rel=0.2, pre_days=0)
    res = ab_test(Dataset.from_tables(events=events), asg, "conversion", control="A", config=cfg)
    row = res.comparisons.iloc[0]
    assert row["days_more"] == 0 and row["verdict"] == "flat"
    worse = buy & ~((variant == "B") & (rng.random(n) < 0.3))      # B loses 30 % of its buyers
    ev2 = events[~events["user_id"].isin(ids[buy & ~worse]) | (events["event_name"] == "visit")]
    res2 = ab_test(Dataset.from_tables(events=ev2), asg, "conversion", control="A", config=cfg)
    assert res2.verdicts["B"] == "loss"
