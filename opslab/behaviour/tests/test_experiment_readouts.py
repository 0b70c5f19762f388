"""The readout's new parts against independent computations in plain pandas / scipy /
statsmodels on the raw rows: capping, post-stratification, one-sided and Bayesian readouts,
the sequential tuning parameter, several metrics with BH, effects by segment, and the A/A
simulation of daily checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from opslab.behaviour import effect_stats as es
from opslab.behaviour import experiment_stats as st
from opslab.behaviour.experiment_readouts import ab_metrics, ab_segments, attribute_columns
from opslab.behaviour.experiments import ABConfig, ab_test
from opslab.core.problems import OpsLabError
from opslab.dataset.dataset import Dataset

CITIES = np.array(["北京", "上海", "广州", "成都", "杭州", "武汉", "西安", "南京"])


def _shop(seed=0, n=2400, lift=0.0, city_lift=None, whale=False, cities=4):
    """Users in ``cities`` cities, one visit at exposure, purchases after it and, for most
    buyers, one before it (at about the same amount). ``lift``: extra chance of buying in B;
    ``city_lift``: (city, extra chance) only there; ``whale``: three huge orders in A."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"u{i}" for i in range(n)])
    variant = np.where(rng.random(n) < 0.5, "A", "B")
    k = rng.integers(0, cities, n)
    city = CITIES[k]
    t0 = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 14 * 24, n), unit="h")
    base = 0.15 + 0.1 * (k % 3)               # cities differ in how often they buy: strata help
    p = base + np.where(variant == "B", lift, 0.0)
    if city_lift:
        p = p + np.where((variant == "B") & (city == city_lift[0]), city_lift[1], 0.0)
    buy = rng.random(n) < p
    pre = np.where(rng.random(n) < 0.8, buy, rng.random(n) < base)   # buyers tend to have bought before
    amount = np.round(rng.lognormal(4, 0.6, n), 2)
    if whale:
        amount[np.flatnonzero(buy & (variant == "A"))[:3]] = 250_000.0
    ev = pd.concat([
        pd.DataFrame({"user_id": ids, "event_time": t0, "event_name": "visit"}),
        pd.DataFrame({"user_id": ids[buy], "event_time": t0[buy] + pd.Timedelta(days=2), "event_name": "purchase"}),
        pd.DataFrame({"user_id": ids[pre], "event_time": t0[pre] - pd.Timedelta(days=5), "event_name": "purchase"}),
        pd.DataFrame({"user_id": ids, "event_time": pd.Timestamp("2024-01-01"), "event_name": "visit"})])
    od = pd.concat([
        pd.DataFrame({"user_id": ids[buy], "order_time": t0[buy] + pd.Timedelta(days=2), "amount": amount[buy]}),
        pd.DataFrame({"user_id": ids[pre], "order_time": t0[pre] - pd.Timedelta(days=5),
                      "amount": np.round(amount[pre] * rng.uniform(0.8, 1.2, pre.sum()), 2)})])
    od["status"] = "paid"
    users = pd.DataFrame({"user_id": ids, "city": city})
    asg = pd.DataFrame({"user_id": ids, "variant": variant, "time": t0})
    truth = pd.DataFrame({"user_id": ids, "variant": variant, "city": city, "buy": buy.astype(float),
                          "rev": np.where(buy, amount, 0.0)})
    return Dataset.from_tables(events=ev, orders=od, users=users), asg, truth


@pytest.fixture(scope="module")
def shop():
    return _shop(seed=3, lift=0.04, whale=True)


def test_capping_matches_a_winsorized_welch_test(shop):
    ds, asg, truth = shop
    res = ab_test(ds, asg, "revenue", control="A", config=ABConfig(cap_pct=99, pre_days=0))
    limit = np.percentile(truth["rev"], 99)
    capped = truth["rev"].clip(upper=limit)
    assert res.caps["rev_post"] == pytest.approx(limit)
    a, b = capped[truth["variant"] == "A"], capped[truth["variant"] == "B"]
    row = res.comparisons.iloc[0]
    assert (row["mean_c"], row["mean_t"]) == (pytest.approx(a.mean()), pytest.approx(b.mean()))
    assert row["p_value"] == pytest.approx(stats.ttest_ind(b, a, equal_var=False).pvalue, rel=1e-9)
    # three 250,000 orders in A turn B's real lift negative and swamp the error; capped, the
    # sign is back and the interval a tenth as wide
    raw = ab_test(ds, asg, "revenue", control="A", config=ABConfig(pre_days=0)).comparisons.iloc[0]
    assert raw["lift"] < 0 < row["lift"] and row["se"] < 0.1 * raw["se"]


def test_post_stratification_weights_each_citys_effect_by_its_share(shop):
    ds, asg, truth = shop
    res = ab_test(ds, asg, "conversion", control="A", config=ABConfig(strata="city", pre_days=0))
    g = truth.groupby(["city", "variant"])["buy"].mean().unstack()
    share = truth["city"].value_counts(normalize=True)
    expected = float(((g["B"] - g["A"]) * share).sum())
    row = res.comparisons.iloc[0]
    assert res.strata == "city" and row["method"] == "strata"
    assert row["lift"] == pytest.approx(expected, rel=1e-9)
    plain = ab_test(ds, asg, "conversion", control="A", config=ABConfig(pre_days=0)).comparisons.iloc[0]
    assert row["se"] < plain["se"]            # the cities' different base rates no longer add noise
    with pytest.raises(OpsLabError):
        ab_test(ds, asg, "conversion", config=ABConfig(strata="no_such_column"))


def test_one_sided_and_bayesian_readouts(shop):
    ds, asg, truth = shop
    two = ab_test(ds, asg, "conversion", control="A", config=ABConfig(pre_days=0)).comparisons.iloc[0]
    one = ab_test(ds, asg, "conversion", control="A",
                  config=ABConfig(pre_days=0, alternative="greater")).comparisons.iloc[0]
    assert two["lift"] > 0 and one["p_value"] == pytest.approx(two["p_value"] / 2, rel=1e-9)
    assert one["ci_high"] == np.inf and one["ci_low"] > two["ci_low"]
    # Bayesian, flat prior: the posterior of the relative lift is N(rel_lift, se_rel^2)
    a, b = (truth.loc[truth["variant"] == v, "buy"] for v in ("A", "B"))
    rel = b.mean() / a.mean() - 1
    se_rel = np.sqrt(b.var(ddof=0) / len(b) / a.mean() ** 2 + b.mean() ** 2 * a.var(ddof=0) / len(a) / a.mean() ** 4)
    assert two["rel_lift"] == pytest.approx(rel, rel=1e-9)
    assert two["chance_to_beat"] == pytest.approx(stats.norm.cdf(rel / se_rel), rel=1e-9)
    draws = np.random.default_rng(0).normal(rel, se_rel, 400_000)
    assert two["risk_treatment"] == pytest.approx(np.maximum(-draws, 0).mean(), abs=2e-4)
    assert two["risk_control"] == pytest.approx(np.maximum(draws, 0).mean(), abs=2e-4)
    assert two["bayes_low"] == pytest.approx(rel - 1.959964 * se_rel, rel=1e-5)
    # a sceptical prior pulls the lift towards zero
    sceptic = ab_test(ds, asg, "conversion", control="A", config=ABConfig(pre_days=0, prior_sd=0.02)).comparisons.iloc[0]
    assert sceptic["chance_to_beat"] < two["chance_to_beat"]


def test_sequential_tuning_parameter_and_always_valid_interval(shop):
    ds, asg, _ = shop
    rows = {k: ab_test(ds, asg, "conversion", control="A", config=ABConfig(pre_days=0, seq_method="msprt", seq_tuning=k)).comparisons.iloc[0]
            for k in (100, 2400, 10 ** 6)}
    for r in rows.values():
        assert r["seq_low"] < r["lift"] < r["seq_high"]
        assert r["seq_high"] - r["seq_low"] > r["ci_high"] - r["ci_low"]   # the price of looking daily
    width = {k: r["seq_high"] - r["seq_low"] for k, r in rows.items()}
    assert width[2400] < width[100] and width[2400] < width[10 ** 6]      # sharpest near the tuned size
    for bad in (dict(alternative="both"), dict(seq_tuning=0), dict(cap_pct=20), dict(correction="fdr"),
                dict(alternative="greater", alpha=0.6)):
        with pytest.raises(ValueError):
            ABConfig(**bad)


def test_several_metrics_are_adjusted_together(shop):
    ds, asg, _ = shop
    out = ab_metrics(ds, asg, ["conversion", "revenue", "orders", "aov"], control="A",
                     config=ABConfig(correction="bh", cap_pct=99))
    f = out.frame
    assert list(f["metric"]) == ["conversion", "revenue", "orders", "aov"]
    assert np.allclose(f["p_bh"], multipletests(f["p_value"], method="fdr_bh")[1])
    assert np.allclose(f["p_holm"], multipletests(f["p_value"], method="holm")[1])
    assert (f["significant"] == (f["p_bh"] < 0.05)).all()
    one = ab_test(ds, asg, "orders", control="A", config=ABConfig(correction="bh", cap_pct=99)).comparisons.iloc[0]
    assert f.loc[f["metric"] == "orders", "p_value"].iloc[0] == pytest.approx(one["p_value"])
    with pytest.raises(ValueError):
        ab_metrics(ds, asg, ["clicks"])


def test_aov_is_a_ratio_metric_with_ratio_cuped():
    ds, asg, _ = _shop(seed=5, lift=0.04)
    res = ab_test(ds, asg, "aov", control="A")
    u = res.users
    for v, col in (("A", "mean_c"), ("B", "mean_t")):
        g = u[u["variant"] == v]
        assert res.comparisons.iloc[0][col] == pytest.approx(g["rev_post"].sum() / g["ord_post"].sum())
    assert res.cuped and res.comparisons.iloc[0]["test"] == "delta"
    # each user's pre-period order is their post-period amount +-20 %: CUPED removes most noise
    plain = ab_test(ds, asg, "aov", control="A", config=ABConfig(pre_days=0)).comparisons.iloc[0]
    assert res.comparisons.iloc[0]["se"] < 0.6 * plain["se"]


def test_a_segment_with_its_own_effect_is_flagged_and_only_it():
    ds, asg, truth = _shop(seed=8, n=8000, lift=0.0, city_lift=("成都", 0.15), cities=8)
    out = ab_segments(ds, asg, "conversion", "city", control="A")
    f = out.frame.set_index("segment")
    assert set(f.index) == set(CITIES) and out.frame["threshold"].iloc[0] == pytest.approx(0.05 / 8)
    assert f["flagged"].to_dict() == {c: c == "成都" for c in CITIES}
    for c in CITIES:   # the lift inside and in the rest, from the raw rows
        inside, rest = truth[truth["city"] == c], truth[truth["city"] != c]
        lift = lambda g: g.loc[g["variant"] == "B", "buy"].mean() - g.loc[g["variant"] == "A", "buy"].mean()
        assert f.loc[c, "lift"] == pytest.approx(lift(inside)) and f.loc[c, "lift_rest"] == pytest.approx(lift(rest))
        se = lambda g: np.sqrt(sum(g.loc[g["variant"] == v, "buy"].var(ddof=0) / (g["variant"] == v).sum()
                                   for v in ("A", "B")))
        z = (lift(inside) - lift(rest)) / np.hypot(se(inside), se(rest))
        assert f.loc[c, "p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-6)


def test_ten_thousand_aa_tests_checked_daily_with_the_msprt_option():
    """10,000 A/A tests of a 10 % conversion, 200 users per arm a day, read every day for 30
    days. Stopping at the first fixed-horizon p < 0.05 calls a winner in over a quarter of
    them; the always-valid p-value of the mSPRT option (default spread and tuned) stays
    within 5 % + 0.5 points. It is conservative with daily looks (measured: 1.6 % at the
    default spread): its 5 % bound is met with equality only by continuous monitoring without
    end (Ville's inequality), which is why the readout's default is group-sequential
    (test_group_sequential.py: 5 % +- 0.5 points). Read once at the planned end, the fixed-horizon test's
    rate is 5 % +- 0.5 points."""
    rng = np.random.default_rng(20261207)
    runs, days, per_day, p = 10_000, 30, 200, 0.1
    c = rng.binomial(per_day, p, (runs, days)).cumsum(axis=1)
    t = rng.binomial(per_day, p, (runs, days)).cumsum(axis=1)
    n = per_day * np.arange(1, days + 1)
    pc, pt = c / n, t / n
    var = pc * (1 - pc) / n + pt * (1 - pt) / n
    lift = pt - pc
    naive = 2 * stats.norm.sf(np.abs(lift) / np.sqrt(var))
    assert (naive < 0.05).any(axis=1).mean() > 0.2
    assert 0.045 <= (naive[:, -1] < 0.05).mean() <= 0.055
    default = st.msprt_pvalues(lift, var, tau2=(ABConfig().seq_tau * p) ** 2)
    rho = es.sequential_rho(0.05, 2 * n[-1])
    tuned = st.msprt_pvalues(lift, var, tau2=rho ** 2 * var * 2 * n)
    for pv in (default, tuned):
        assert (pv[:, -1] < 0.05).mean() <= 0.055
    # the vectorised mixture is the readout's per-look test
    k = 7
    e = es.Effect(lift[k, -1], np.sqrt(var[k, -1]), np.inf, 2 * n[-1], p, False)
    assert tuned[k, -1] <= es.sequential_test(e, rho=rho)[0] + 1e-12


def test_attribute_columns_are_the_users_few_valued_attributes():
    n = 120
    users = pd.DataFrame({"user_id": [f"u{i}" for i in range(n)], "city": CITIES[np.arange(n) % 8],
                          "member_no": [f"m{i}" for i in range(n)], "tier": ["a", "b", "c"] * 40,
                          "score": np.arange(n) % 60})
    ds = Dataset.from_tables(events=pd.DataFrame({"user_id": users["user_id"], "event_name": "visit",
                                                  "event_time": pd.Timestamp("2024-03-01")}), users=users)
    # plain pandas over the raw table: the columns with at most 50 distinct values, ids aside
    want = [c for c in users.columns if c != "user_id" and users[c].nunique() <= 50]
    assert attribute_columns(ds) == want == ["city", "tier"]
    assert attribute_columns(ds, max_values=60) == ["city", "tier", "score"]
