"""From per-user outcomes to one treatment's effect: capping, CUPED (plain and ratio),
post-stratification, the fixed-horizon and Bayesian readouts, the always-valid test over daily
looks. The formulas live in :mod:`opslab.behaviour.effect_stats`; this module chooses which
apply to a metric and feeds them the users' values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.behaviour import effect_stats as es
from opslab.behaviour import group_sequential as gs
from opslab.behaviour.experiment_stats import Comparison

#: per metric: (post-period column(s), pre-period column(s)); ratio metrics have two each
COLUMNS = {"conversion": ("n_post", "n_pre"), "revenue": ("rev_post", "rev_pre"), "orders": ("ord_post", "ord_pre"),
           "retention": ("retained", "days_pre"), "aov": (("rev_post", "ord_post"), ("rev_pre", "ord_pre"))}
#: the columns a cap applies to (counts of events and 0/1 outcomes are not capped)
CAPPABLE = {"revenue": ("rev_post", "rev_pre"), "orders": ("ord_post", "ord_pre"), "aov": ("rev_post", "rev_pre")}
MIN_STRATUM = 2   # users per arm a stratum needs to count


def cap(users: pd.DataFrame, metric: str, pct: float | None) -> tuple[pd.DataFrame, dict]:
    """Winsorize: each capped column's values above its ``pct`` percentile over all users
    (every variant pooled, so the cap cannot favour one) are set to that percentile.

    >>> u = pd.DataFrame({"rev_post": [1.0, 2.0, 3.0, 100.0], "rev_pre": [0.0] * 4})
    >>> out, caps = cap(u, "revenue", 75)
    >>> out["rev_post"].tolist(), caps["rev_post"]
    ([1.0, 2.0, 3.0, 27.25], 27.25)
    """
    if not pct or metric not in CAPPABLE:
        return users, {}
    out, caps = users.copy(), {}
    for col in CAPPABLE[metric]:
        limit = float(np.percentile(out[col].to_numpy(dtype=float), pct))
        caps[col] = limit
        out[col] = out[col].astype(float).clip(upper=limit)
    return out, caps


def outcome(users: pd.DataFrame, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """(post, pre) per user as floats; conversion is 0/1 after and before exposure."""
    post, pre = COLUMNS[metric]
    y, x = users[post].to_numpy(dtype=float), users[pre].to_numpy(dtype=float)
    if metric == "conversion":
        return (y > 0).astype(float), (x > 0).astype(float)
    return y, x


def kind_of(metric: str, cuped: bool) -> str:
    if metric == "aov":
        return "ratio_cuped" if cuped else "ratio"
    return "cuped" if cuped else "mean"


def block(users: pd.DataFrame, metric: str, cuped: bool) -> es.Block:
    """One arm's summary block for the metric (see :mod:`opslab.behaviour.effect_stats`)."""
    if metric == "aov":
        (m, d), (mp, dp) = COLUMNS["aov"]
        cols = [users[c].to_numpy(dtype=float) for c in ((m, d, mp, dp) if cuped else (m, d))]
        return es.Block.from_values(*cols)
    y, x = outcome(users, metric)
    if cuped:
        return es.Block.from_values(y, x)
    return es.Block.from_values(y, binary=metric in ("conversion", "retention"))


def pre_period_usable(users: pd.DataFrame, metric: str) -> bool:
    """CUPED helps only when the pre-period value varies (and, for a ratio, its denominator
    is not zero in either arm)."""
    if metric == "aov":
        pre = users[["rev_pre", "ord_pre"]].to_numpy(dtype=float)
        return bool(pre[:, 1].sum() > 0 and pre[:, 0].var() > 0)
    return bool(outcome(users, metric)[1].var() > 0)


def effects(g_c: pd.DataFrame, g_t: pd.DataFrame, metric: str, cuped: bool,
            strata: str | None) -> tuple[es.Effect, es.Effect, str]:
    """Absolute and relative effects of treatment ``g_t`` on control ``g_c`` and the method."""
    if strata and metric != "aov":
        cells = []
        for value in pd.unique(pd.concat([g_c[strata], g_t[strata]])):
            c, t = g_c[g_c[strata] == value], g_t[g_t[strata] == value]
            if len(c) >= MIN_STRATUM and len(t) >= MIN_STRATUM:
                cells.append((block(c, metric, False), block(t, metric, False)))
        if len(cells) >= 2:
            return es.post_stratified(cells, relative=False), es.post_stratified(cells), "strata"
    kind = kind_of(metric, cuped)
    b_c, b_t = block(g_c, metric, cuped), block(g_t, metric, cuped)
    return es.effect(b_c, b_t, kind, relative=False), es.effect(b_c, b_t, kind), "delta" if metric == "aov" else "welch"


def compare(g_c: pd.DataFrame, g_t: pd.DataFrame, metric: str, config, cuped: bool,
            strata: str | None = None) -> tuple[Comparison, dict]:
    """The fixed-horizon comparison (in the readout's long-standing shape) and the Bayesian
    readout beside it (posterior of the relative lift: credible interval, risk)."""
    e_abs, e_rel, test = effects(g_c, g_t, metric, cuped, strata)
    p, lo, hi = es.t_test(e_abs, config.alpha, config.alternative)
    _, r_lo, r_hi = es.t_test(e_rel, config.alpha, config.alternative)
    prior = config.prior_sd ** 2 if config.prior_sd else None
    b = es.bayes(e_rel, config.alpha, 0.0, prior)
    if metric == "aov":
        mean_c = g_c["rev_post"].sum() / g_c["ord_post"].sum() if g_c["ord_post"].sum() else float("nan")
        mean_t = g_t["rev_post"].sum() / g_t["ord_post"].sum() if g_t["ord_post"].sum() else float("nan")
    else:
        mean_c, mean_t = outcome(g_c, metric)[0].mean(), outcome(g_t, metric)[0].mean()
    comp = Comparison(float(mean_c), float(mean_t), e_abs.estimate, lo, hi, e_rel.estimate, r_lo, r_hi, e_abs.se,
                      p, b.chance_to_win, test)
    extra = {"bayes_low": b.ci_low, "bayes_high": b.ci_high, "risk_control": b.risk_control,
             "risk_treatment": b.risk_treatment, "method": test}
    return comp, extra


def sequential(looks: list[tuple[float, float, int]], config, mean_c: float,
               planned: float = float("nan")) -> tuple[float, float, float]:
    """Sequential p-value and the last look's interval from daily looks ``(lift, variance of
    the lift, users)``; stopping when the p-value falls below alpha keeps the error rate.

    ``config.seq_method`` "pocock" / "obf" (default "pocock"): a group-sequential test over the
    looks, alpha spent by the Lan-DeMets function by the share of the ``planned`` users (both
    arms) reached (:mod:`opslab.behaviour.group_sequential`): the error rate up to the planned
    sample is alpha exactly; the p-value is the repeated p-value and the interval the repeated
    confidence interval. "msprt": the always-valid mixture test, valid however long the test
    runs and so conservative with a planned end; its spread comes from ``config.seq_tuning``
    (the users at which it is sharpest, as GrowthBook's tuning parameter) or else from
    ``config.seq_tau`` (the prior sd of the lift relative to the control mean: Johari et al.
    2017); its p-value is the running minimum over looks."""
    looks = [lk for lk in looks if lk[1] > 0 and np.isfinite(lk[0])]
    if not looks:
        return float("nan"), float("nan"), float("nan")
    if config.seq_method != "msprt":
        return _group_sequential(looks, config, planned)
    best = 1.0
    two = config.alternative == "two-sided"
    fixed = es.sequential_rho(config.alpha, config.seq_tuning, two) if config.seq_tuning else None
    last = (float("nan"), float("nan"), float("nan"))
    for lift, var, n in looks:
        e = es.Effect(lift, float(np.sqrt(var)), float("inf"), n, mean_c, False)
        tau = config.seq_tau * abs(mean_c)
        rho = fixed if fixed else (tau / np.sqrt(var * n) if tau > 0 else 1 / np.sqrt(n))
        last = es.sequential_test(e, config.alpha, alternative=config.alternative, rho=rho)
        best = min(best, last[0])
    return best, last[1], last[2]


def _group_sequential(looks, config, planned: float) -> tuple[float, float, float]:
    lift, var, users = (np.array(col, dtype=float) for col in zip(*looks))
    keep, t = gs.information(users, planned)
    two = config.alternative == "two-sided"
    sign = -1.0 if config.alternative == "less" else 1.0
    z = sign * lift[keep] / np.sqrt(var[keep])
    p = gs.repeated_p(z, t, config.seq_method, two)
    c = float(gs.boundaries(t, config.alpha, config.seq_method, two)[-1])
    est, half = float(lift[-1]), c * float(np.sqrt(var[-1]))
    if two:
        return p, est - half, est + half
    return (p, est - half, float("inf")) if sign > 0 else (p, float("-inf"), est + half)
