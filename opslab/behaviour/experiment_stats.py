"""The statistics behind an A/B readout, on plain arrays (no data set needed).

Each function is small and checked against scipy / statsmodels in ``opslab/behaviour/tests/test_experiments.py``:

* :func:`srm_check`: sample-ratio mismatch, Pearson chi-square on the variant counts.
* :func:`compare_means`: difference of means with Welch's t (or the two-proportion z-test for
  0/1 outcomes), absolute and relative lift with confidence intervals (delta method for the
  relative one), and a Bayesian chance to beat control.
* :func:`ratio_stats`: mean and variance of a ratio metric (e.g. revenue per order) by the
  delta method.
* :func:`cuped`: variance reduction with a pre-period covariate (Deng et al. 2013).
* :func:`msprt_pvalues`: always-valid p-values by the mixture sequential probability ratio test
  (Johari et al. 2017): a lead may look every day without inflating false alarms.
* :func:`sample_size`, :func:`mde`, :func:`power_plan`: the power calculator (with the
  sequential plan's inflation); :func:`holm`: several variants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from opslab.behaviour import group_sequential as gs


@dataclass(frozen=True)
class Comparison:
    """Treatment vs control on one metric."""

    mean_c: float
    mean_t: float
    lift: float            # mean_t - mean_c
    ci_low: float
    ci_high: float
    rel_lift: float        # mean_t / mean_c - 1
    rel_low: float
    rel_high: float
    se: float              # standard error of the lift
    p_value: float
    chance_to_beat: float  # P(treatment > control), flat prior, normal posterior
    test: str              # "z" (two proportions), "welch", "delta" (ratio metric)


def srm_check(counts, weights=None) -> tuple[float, float]:
    """Chi-square statistic and p-value of the observed variant ``counts`` against the planned
    ``weights`` (equal by default).

    >>> chi2, p = srm_check([5000, 5200])
    >>> round(p, 4)
    0.0477
    """
    counts = np.asarray(counts, dtype=float)
    w = np.ones_like(counts) if weights is None else np.asarray(weights, dtype=float)
    expected = counts.sum() * w / w.sum()
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    return chi2, float(stats.chi2.sf(chi2, len(counts) - 1))


def _rel(mean_c, mean_t, var_c, var_t):
    """Relative lift and its variance by the delta method (variances are of the means)."""
    if mean_c == 0:
        return float("nan"), float("nan")
    rel = mean_t / mean_c - 1
    var = var_t / mean_c ** 2 + mean_t ** 2 * var_c / mean_c ** 4
    return rel, var


def _finish(mean_c, mean_t, var_c, var_t, alpha, test, p_value=None, df=None) -> Comparison:
    lift = mean_t - mean_c
    se = float(np.sqrt(var_c + var_t))
    crit = stats.t.ppf(1 - alpha / 2, df) if df is not None else stats.norm.ppf(1 - alpha / 2)
    if p_value is None:
        p_value = float(2 * stats.norm.sf(abs(lift) / se)) if se > 0 else float("nan")
    rel, rel_var = _rel(mean_c, mean_t, var_c, var_t)
    zc = stats.norm.ppf(1 - alpha / 2)
    rel_se = np.sqrt(rel_var) if np.isfinite(rel_var) else np.nan
    beat = float(stats.norm.cdf(lift / se)) if se > 0 else float("nan")
    return Comparison(float(mean_c), float(mean_t), float(lift), float(lift - crit * se), float(lift + crit * se),
                      float(rel), float(rel - zc * rel_se), float(rel + zc * rel_se), se, float(p_value), beat, test)


def compare_means(control, treatment, alpha: float = 0.05, binary: bool | None = None) -> Comparison:
    """Treatment minus control for per-user values.

    0/1 outcomes use the pooled two-proportion z-test for the p-value and the unpooled Wald
    interval; anything else Welch's t-test and interval.

    >>> c = compare_means([0, 1, 0, 0, 1, 0, 0, 0], [1, 1, 0, 1, 1, 0, 1, 0])
    >>> c.test, round(c.lift, 3)
    ('z', 0.375)
    """
    c, t = np.asarray(control, dtype=float), np.asarray(treatment, dtype=float)
    n_c, n_t = len(c), len(t)
    if binary is None:
        binary = bool(np.isin(c, (0, 1)).all() and np.isin(t, (0, 1)).all())
    m_c, m_t = c.mean(), t.mean()
    if binary:
        var_c, var_t = m_c * (1 - m_c) / n_c, m_t * (1 - m_t) / n_t
        pool = (c.sum() + t.sum()) / (n_c + n_t)
        se0 = np.sqrt(pool * (1 - pool) * (1 / n_c + 1 / n_t))
        p = float(2 * stats.norm.sf(abs(m_t - m_c) / se0)) if se0 > 0 else float("nan")
        return _finish(m_c, m_t, var_c, var_t, alpha, "z", p)
    var_c, var_t = c.var(ddof=1) / n_c, t.var(ddof=1) / n_t
    denom = var_c ** 2 / (n_c - 1) + var_t ** 2 / (n_t - 1)
    df = (var_c + var_t) ** 2 / denom if denom > 0 else float(n_c + n_t - 2)
    se = np.sqrt(var_c + var_t)
    p = float(2 * stats.t.sf(abs(m_t - m_c) / se, df)) if se > 0 else float("nan")
    return _finish(m_c, m_t, var_c, var_t, alpha, "welch", p, df)


def ratio_stats(num, den) -> tuple[float, float]:
    """Ratio of sums ``sum(num) / sum(den)`` over users and the delta-method variance of it.

    >>> r, v = ratio_stats([10, 0, 30], [1, 0, 2])
    >>> round(r, 3)
    13.333
    """
    x, y = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    n = len(x)
    mx, my = x.mean(), y.mean()
    if my == 0 or n < 2:
        return float("nan"), float("nan")
    vx, vy = x.var(ddof=1), y.var(ddof=1)
    cxy = np.cov(x, y, ddof=1)[0, 1]
    var = (vx / my ** 2 - 2 * mx * cxy / my ** 3 + mx ** 2 * vy / my ** 4) / n
    return float(mx / my), float(var)


def compare_ratios(num_c, den_c, num_t, den_t, alpha: float = 0.05) -> Comparison:
    """Treatment vs control on a ratio metric (revenue per order, ...), delta-method z-test."""
    r_c, v_c = ratio_stats(num_c, den_c)
    r_t, v_t = ratio_stats(num_t, den_t)
    return _finish(r_c, r_t, v_c, v_t, alpha, "delta")


def cuped(y, x) -> tuple[np.ndarray, float]:
    """CUPED-adjusted outcomes ``y - theta * (x - mean(x))`` and ``theta = cov(y, x) / var(x)``,
    computed over all variants pooled (so the adjustment cannot favour one of them).

    >>> adj, theta = cuped([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    >>> theta, adj.tolist()
    (1.0, [2.0, 2.0, 2.0])
    """
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    vx = x.var(ddof=1)
    if len(x) < 3 or vx == 0:
        return y.copy(), 0.0
    theta = float(np.cov(y, x, ddof=1)[0, 1] / vx)
    return y - theta * (x - x.mean()), theta


def msprt_pvalues(lifts, variances, tau2: float) -> np.ndarray:
    """Always-valid p-values at successive looks.

    ``lifts[i]`` and ``variances[i]`` are the lift estimate and its variance at look i; the
    mixture likelihood ratio against a N(0, ``tau2``) prior on the true lift is
    ``sqrt(V / (V + tau2)) * exp(tau2 * lift**2 / (2 V (V + tau2)))`` and the p-value is the
    running minimum of ``1 / ratio`` (capped at 1): it only goes down, and stopping whenever
    it falls below alpha keeps the false-alarm rate at alpha. Looks run along the last axis,
    so a 2-D array holds many tests at once (one per row).

    >>> msprt_pvalues([0.0, 0.5], [0.04, 0.01], tau2=0.05).round(3).tolist()
    [1.0, 0.0]
    """
    d, v = np.asarray(lifts, dtype=float), np.asarray(variances, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_lr = 0.5 * np.log(v / (v + tau2)) + tau2 * d ** 2 / (2 * v * (v + tau2))
        p = np.minimum(1.0, np.exp(-log_lr))
    p = np.where(np.isfinite(p), p, 1.0)
    return np.minimum.accumulate(p, axis=-1)


def sample_size(sd: float, delta: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Users per variant for a two-sided test to detect an absolute difference ``delta``
    when each user's outcome has standard deviation ``sd`` (equal split).

    >>> round(sample_size(sd=0.5, delta=0.05))
    1570
    """
    if delta <= 0 or sd <= 0:
        return float("nan")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(2 * (z * sd / delta) ** 2)


def mde(sd: float, n_per_variant: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest absolute difference detectable with ``n_per_variant`` users per variant.

    >>> round(mde(0.5, 1570), 3)
    0.05
    """
    if n_per_variant <= 0:
        return float("nan")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(z * sd * np.sqrt(2 / n_per_variant))


def holm(p_values) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (several treatments against one control).

    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * p[i])
        adj[i] = min(1.0, running)
    return adj


def power_plan(baseline: float, sd: float, mde_rel: float, users_per_day: float, n_now: float = 0,
               alpha: float = 0.05, power: float = 0.8, sequential: str | None = None) -> dict:
    """The power calculator: users per variant to detect a relative lift ``mde_rel`` on a
    metric with mean ``baseline`` and per-user ``sd``, and how many more days that takes at
    ``users_per_day`` per variant.

    ``sequential`` ("obf" / "pocock"): the plan of a group-sequential test read every day:
    the fixed-horizon sample times the design's inflation for one look a day
    (:func:`opslab.behaviour.group_sequential.inflation`, at most 60 looks), so the planned
    power holds for the test the verdict uses.

    >>> plan = power_plan(0.2, 0.4, 0.1, users_per_day=100)
    >>> round(plan["n_per_variant"]), plan["days_more"]
    (6279, 63)
    >>> round(power_plan(0.2, 0.4, 0.1, users_per_day=100, sequential="pocock")["n_per_variant"])
    8029
    """
    need = sample_size(sd, abs(mde_rel * baseline), alpha, power)
    if sequential in gs.SPENDING and np.isfinite(need) and users_per_day > 0:
        looks = int(min(gs.MAX_LOOKS, max(1, math.ceil(need / users_per_day))))
        need = need * gs.inflation(looks, alpha, power, sequential)
    more = max(0, math.ceil((need - n_now) / users_per_day)) if np.isfinite(need) and users_per_day > 0 else None
    return {"n_per_variant": need, "days_more": more,
            "mde_now": mde(sd, n_now, alpha, power) if n_now else float("nan")}
