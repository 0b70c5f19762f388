"""Treatment effects from each arm's summary statistics (n, sums, sums of squares and products).

One representation covers every metric kind a readout needs: an arm is a :class:`Block`,
the mean vector and covariance matrix of k per-user columns, and a metric is a smooth function
of the means (the delta method gives its variance):

* ``"mean"``  (k=1): revenue, orders, conversion per user;
* ``"ratio"`` (k=2: numerator, denominator): revenue per order, ...;
* ``"cuped"`` (k=2: post, pre): the mean adjusted by its pre-period value (Deng et al. 2013);
* ``"ratio_cuped"`` (k=4: numerator and denominator, post then pre): CUPED for a ratio metric,
  both ratios linearised by the delta method.

The effect is absolute (``b - a``) or relative (``(b - a) / |a unadjusted|``). On it:
:func:`t_test` (fixed horizon, two- or one-sided, Welch's degrees of freedom),
:func:`sequential_test` (always-valid confidence sequence and p-value, Waudby-Smith et al. 2023,
tuned by the sample size at which it is sharpest), :func:`bayes` (a Gaussian prior on the
effect: chance to beat control, credible interval, expected loss of shipping either arm) and
:func:`post_stratified` (an effect weighted by each stratum's share of users).

The formulas are the published ones and are checked to five decimals against GrowthBook's
engine tests in ``opslab/behaviour/tests/test_effect_stats.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

KINDS = ("mean", "ratio", "cuped", "ratio_cuped")
ALTERNATIVES = ("two-sided", "greater", "less")


@dataclass(frozen=True)
class Block:
    """One arm: ``n`` users, the ``mean`` vector and ``cov`` matrix (per user) of k columns."""

    n: int
    mean: np.ndarray
    cov: np.ndarray

    @classmethod
    def from_sums(cls, n: int, sums, products, binary: bool = False) -> "Block":
        """From the sums of each column and the matrix of sums of products (the diagonal holds
        the sums of squares). A 0/1 column has the variance ``p (1 - p)`` (``binary``); others
        the unbiased sample covariance.

        >>> b = Block.from_sums(4, [2.0], [[2.0]], binary=True)
        >>> float(b.mean[0]), float(b.cov[0, 0])
        (0.5, 0.25)
        """
        s = np.atleast_1d(np.asarray(sums, dtype=float))
        p = np.atleast_2d(np.asarray(products, dtype=float))
        if n <= 1:
            return cls(int(n), s / max(n, 1), np.zeros((len(s), len(s))))
        cov = (p - np.outer(s, s) / n) / (n if binary else n - 1)
        return cls(int(n), s / n, cov)

    @classmethod
    def from_values(cls, *columns, binary: bool = False) -> "Block":
        """From per-user values (one array per column)."""
        x = np.column_stack([np.asarray(c, dtype=float) for c in columns])
        return cls.from_sums(len(x), x.sum(axis=0), x.T @ x, binary=binary)


@dataclass(frozen=True)
class Effect:
    """An effect and what the tests need: its standard error, Welch's degrees of freedom,
    the users behind it and the control's unadjusted mean."""

    estimate: float
    se: float
    dof: float
    n: int
    baseline: float
    relative: bool


def _value(kind: str, m: np.ndarray, theta: float) -> tuple[float, np.ndarray, float, np.ndarray]:
    """The metric at the means ``m``, its gradient, the unadjusted value and its gradient."""
    if kind == "mean":
        return m[0], np.array([1.0]), m[0], np.array([1.0])
    if kind == "cuped":
        return m[0] - theta * m[1], np.array([1.0, -theta]), m[0], np.array([1.0, 0.0])
    r_grad = np.array([1 / m[1], -m[0] / m[1] ** 2])
    if kind == "ratio":
        return m[0] / m[1], r_grad, m[0] / m[1], r_grad
    pre = np.array([1 / m[3], -m[2] / m[3] ** 2])
    grad = np.r_[r_grad, -theta * pre]
    return m[0] / m[1] - theta * m[2] / m[3], grad, m[0] / m[1], np.r_[r_grad, 0.0, 0.0]


def theta(kind: str, a: Block, b: Block) -> float:
    """The CUPED coefficient, computed on both arms together so it cannot favour one.

    ``cuped``: the slope of post on pre over all users (their pooled sums); ``ratio_cuped``:
    the summed covariances of the linearised post and pre ratios over their summed variances.
    """
    if kind == "cuped":
        joint = _pool([a, b])
        return float(joint.cov[0, 1] / joint.cov[1, 1]) if joint.cov[1, 1] > 0 and joint.cov[0, 0] > 0 else 0.0
    if kind == "ratio_cuped":
        cov = var = 0.0
        for x in (a, b):
            g_post = np.array([1 / x.mean[1], -x.mean[0] / x.mean[1] ** 2])
            g_pre = np.array([1 / x.mean[3], -x.mean[2] / x.mean[3] ** 2])
            cov += g_post @ x.cov[0:2, 2:4] @ g_pre
            var += g_pre @ x.cov[2:4, 2:4] @ g_pre
        return float(cov / var) if var > 0 else 0.0
    return 0.0


def effect(a: Block, b: Block, kind: str = "mean", relative: bool = True) -> Effect:
    """Treatment ``b`` against control ``a`` on a metric of ``kind`` (see the module).

    >>> a = Block.from_values([1.0, 2.0, 3.0, 4.0]); b = Block.from_values([2.0, 3.0, 4.0, 5.0])
    >>> e = effect(a, b, relative=False)
    >>> e.estimate, round(e.se, 4)
    (1.0, 0.9129)
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    dens = {"ratio": [1], "ratio_cuped": [1, 3]}.get(kind, [])
    if a.n < 2 or b.n < 2 or any(x.mean[i] == 0 for x in (a, b) for i in dens):
        nan = float("nan")  # too few users, or a ratio with nothing in its denominator
        return Effect(nan, nan, nan, a.n + b.n, nan, relative)
    th = theta(kind, a, b)
    f_a, g_a, u_a, gu_a = _value(kind, a.mean, th)
    f_b, g_b, _, _ = _value(kind, b.mean, th)
    var_a, var_b = float(g_a @ a.cov @ g_a), float(g_b @ b.cov @ g_b)  # per user
    diff = f_b - f_a
    if relative:
        if u_a == 0:
            return Effect(float("nan"), float("nan"), float("nan"), a.n + b.n, float(u_a), True)
        est = diff / abs(u_a)
        grad_a = -g_a / abs(u_a) - diff * np.sign(u_a) * gu_a / u_a ** 2
        grad_b = g_b / abs(u_a)
        variance = float(grad_a @ a.cov @ grad_a) / a.n + float(grad_b @ b.cov @ grad_b) / b.n
    else:
        est, variance = diff, var_a / a.n + var_b / b.n
    denom = var_b ** 2 / (b.n ** 2 * (b.n - 1)) + var_a ** 2 / (a.n ** 2 * (a.n - 1))
    dof = (var_b / b.n + var_a / a.n) ** 2 / denom if denom > 0 else float(a.n + b.n - 2)
    se = float(np.sqrt(variance)) if variance > 0 else float("nan")
    return Effect(float(est), se, float(dof), a.n + b.n, float(u_a), relative)


def _check(alpha: float, alternative: str) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, not {alternative!r}")


def t_test(e: Effect, alpha: float = 0.05, alternative: str = "two-sided") -> tuple[float, float, float]:
    """Fixed-horizon test of the effect: ``(p, ci_low, ci_high)``; a one-sided test
    (``greater``: the treatment raises the metric; ``less``) has a one-sided interval."""
    _check(alpha, alternative)
    if not np.isfinite(e.se) or e.se <= 0:
        return float("nan"), float("nan"), float("nan")
    t = e.estimate / e.se
    if alternative == "two-sided":
        half = stats.t.ppf(1 - alpha / 2, e.dof) * e.se
        return float(2 * stats.t.sf(abs(t), e.dof)), e.estimate - half, e.estimate + half
    half = stats.t.ppf(1 - alpha, e.dof) * e.se
    if alternative == "greater":
        return float(stats.t.sf(t, e.dof)), e.estimate - half, float("inf")
    return float(stats.t.cdf(t, e.dof)), float("-inf"), e.estimate + half


def sequential_rho(alpha: float, tuning: float, two_sided: bool = True) -> float:
    """The mixture's spread that makes the confidence sequence tightest after ``tuning``
    users (Waudby-Smith et al. 2023, arXiv:2103.06476 v7, eq. 161)."""
    a = alpha if two_sided else 2 * alpha
    return float(np.sqrt((-2 * np.log(a) + np.log(-2 * np.log(a) + 1)) / tuning))


def _halfwidth(e: Effect, alpha: float, rho: float, two_sided: bool) -> float:
    n, s2 = e.n, e.se ** 2 * e.n           # s2: the per-user variance behind the effect
    nr2 = n * rho ** 2
    if two_sided:  # eq. 9
        return float(np.sqrt(s2 * 2 * (nr2 + 1) / (n * rho) ** 2 * np.log(np.sqrt(nr2 + 1) / alpha)))
    return float(np.sqrt(s2 * 2 * (nr2 + 1) / (n * rho) ** 2 * np.log(1 + np.sqrt(nr2 + 1) / (2 * alpha))))  # eq. 134


def sequential_test(e: Effect, alpha: float = 0.05, tuning: float = 5000.0,
                    alternative: str = "two-sided", rho: float | None = None) -> tuple[float, float, float]:
    """Always-valid ``(p, ci_low, ci_high)``: it may be read after every new user or day.

    ``tuning`` is the number of users (both arms) at which the sequence is narrowest; a test
    read far earlier or later pays with a wider interval. The two-sided p-value is the inverse
    of the mixture likelihood ratio (eq. 155, the same as mSPRT with prior variance
    ``rho**2 * se**2 * n``); a one-sided one is the alpha at which the one-sided sequence's
    bound reaches zero, which the sequence defines for alpha below one half (so it is at
    most 0.4999). ``rho`` (the mixture's spread per unit of the per-user sd) overrides
    ``tuning``."""
    _check(alpha, alternative)
    if rho is None and tuning <= 0:
        raise ValueError(f"tuning must be a positive number of users, not {tuning}")
    if not np.isfinite(e.se) or e.se <= 0:
        return float("nan"), float("nan"), float("nan")
    two = alternative == "two-sided"
    if two:
        rho = rho or sequential_rho(alpha, tuning)
        half = _halfwidth(e, alpha, rho, True)
        nr2 = e.n * rho ** 2 + 1
        z2 = e.estimate ** 2 / e.se ** 2
        log_e = rho ** 2 * e.n * z2 / (2 * nr2) - 0.5 * np.log(nr2)
        return float(min(1.0, np.exp(-log_e))), e.estimate - half, e.estimate + half
    if alpha >= 0.5:
        raise ValueError("a one-sided sequential test needs alpha below 0.5")
    rho = rho or sequential_rho(alpha, tuning, two_sided=False)
    half = _halfwidth(e, alpha, rho, False)
    sign = 1.0 if alternative == "greater" else -1.0

    def bound(a: float) -> float:  # the interval's finite end, signed so that > 0 is significant
        return sign * e.estimate - _halfwidth(e, a, rho, False)

    lo, hi = 1e-5, 0.4999
    if bound(lo) > 0:
        p = lo
    elif bound(hi) < 0:
        p = hi
    else:
        p = float(optimize.brentq(bound, lo, hi, xtol=1e-12))
    if alternative == "greater":
        return p, e.estimate - half, float("inf")
    return p, float("-inf"), e.estimate + half


@dataclass(frozen=True)
class Bayes:
    """Posterior of the effect: mean, sd, credible interval, chance to beat control and the
    expected loss (risk) of shipping control (``risk_control``) or treatment."""

    mean: float
    sd: float
    ci_low: float
    ci_high: float
    chance_to_win: float
    risk_control: float
    risk_treatment: float


def bayes(e: Effect, alpha: float = 0.05, prior_mean: float = 0.0, prior_var: float | None = None) -> Bayes:
    """Normal-normal posterior of the effect: the data's estimate and standard error with a
    Gaussian prior (``prior_var`` None: flat). The prior is in the effect's units (relative
    for a relative effect). Risk is the expected loss ``E[max(-d, 0)]`` of shipping the
    treatment and ``E[max(d, 0)]`` of keeping control (closed form of the truncated normal).

    >>> b = bayes(Effect(0.05, 0.03572, 18.0, 20, 10.0, True))
    >>> round(b.chance_to_win, 5), round(b.risk_control, 5), round(b.risk_treatment, 5)
    (0.91921, 0.05131, 0.00131)
    """
    if not np.isfinite(e.se) or e.se <= 0:
        return Bayes(*([float("nan")] * 7))
    prec = 1 / e.se ** 2 + (1 / prior_var if prior_var else 0.0)
    mean = (e.estimate / e.se ** 2 + (prior_mean / prior_var if prior_var else 0.0)) / prec
    sd = float(np.sqrt(1 / prec))
    z = mean / sd
    gain = mean * stats.norm.cdf(z) + sd * stats.norm.pdf(z)       # E[max(d, 0)]
    loss = -mean * stats.norm.cdf(-z) + sd * stats.norm.pdf(z)     # E[max(-d, 0)]
    q = stats.norm.ppf(1 - alpha / 2)
    return Bayes(float(mean), sd, float(mean - q * sd), float(mean + q * sd), float(stats.norm.sf(-z)),
                 float(gain), float(loss))


def post_stratified(strata: list[tuple[Block, Block]], relative: bool = True) -> Effect:
    """The effect on a plain mean weighted by each stratum's share of all users (strata from a
    pre-period attribute). Within a stratum the arms differ by chance only in that attribute's
    mix; weighting the strata's effects by their pooled shares removes that noise. The
    variance treats the strata's sizes as multinomial (they were not fixed in advance)."""
    n = np.array([a.n + b.n for a, b in strata], dtype=float)
    keep = np.array([a.n > 1 and b.n > 1 for a, b in strata])
    if keep.sum() == 0:
        raise ValueError("post-stratification needs a stratum with two users in each arm")
    strata = [s for s, k in zip(strata, keep) if k]
    n = n[keep]
    total, nu = n.sum(), n / n.sum()
    # per stratum: (control mean, effect) and their covariance, per user of the stratum
    alpha = np.array([[a.mean[0], b.mean[0] - a.mean[0]] for a, b in strata]).T
    cells = []
    for (a, b), nk in zip(strata, n):
        va, vb = a.cov[0, 0] * nk / a.n, b.cov[0, 0] * nk / b.n
        cells.append(np.array([[va, -va], [-va, va + vb]]))
    nu_cov = (np.diag(nu) - np.outer(nu, nu)) / total
    cov = alpha @ nu_cov @ alpha.T + sum(w * c for w, c in zip(nu, cells)) / total
    m = alpha @ nu
    if relative:
        grad = np.array([-m[1] / m[0] ** 2, 1 / m[0]])
        est = m[1] / abs(m[0])
    else:
        grad, est = np.array([0.0, 1.0]), m[1]
    var = float(grad @ cov @ grad)
    dof = effect(_pool([a for a, _ in strata]), _pool([b for _, b in strata]), relative=relative).dof  # Welch's, pooled
    return Effect(float(est), float(np.sqrt(var)) if var > 0 else float("nan"), dof, int(total), float(m[0]), relative)


def _pool(blocks: list[Block]) -> Block:
    """The blocks of several strata as one arm (sums and sums of products added)."""
    n = sum(b.n for b in blocks)
    sums = sum(b.mean * b.n for b in blocks)
    prods = sum(b.cov * (b.n - 1) + np.outer(b.mean, b.mean) * b.n for b in blocks)
    return Block.from_sums(n, sums, prods)


def adjust(p_values, method: str = "bh") -> np.ndarray:
    """p-values adjusted for testing several metrics or variants at once: ``bh``
    (Benjamini-Hochberg 1995, controls the share of false discoveries), ``holm`` (controls
    the chance of any false alarm) or ``bonferroni``.

    >>> adjust([0.01, 0.04, 0.03], "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return p.copy()
    order = np.argsort(p)
    ranked = p[order]
    if method == "bh":
        adj = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    elif method == "holm":
        adj = np.maximum.accumulate(ranked * (m - np.arange(m)))
    elif method == "bonferroni":
        adj = ranked * m
    else:
        raise ValueError(f"method must be 'bh', 'holm' or 'bonferroni', not {method!r}")
    out = np.empty(m)
    out[order] = np.minimum(1.0, adj)
    return out
