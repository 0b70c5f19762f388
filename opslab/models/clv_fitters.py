"""BG/NBD and Gamma-Gamma fitters for non-contractual purchasing (used by :mod:`opslab.models.clv`
and by the churn model's label-free score).

* :class:`BetaGeoFitter` -- the BG/NBD model of Fader, Hardie & Lee (2005), "Counting your
  customers the easy way": how many repeat purchases, and is the customer still alive.
* :class:`GammaGammaFitter` -- the Gamma-Gamma spend model (Fader & Hardie 2013): the expected
  value of a customer's future transactions, shrunk towards the population mean.

Both are fitted by maximum likelihood on log-parameters (L-BFGS-B with analytic gradients,
Nelder-Mead as a fallback), with BLAS held to one thread (the problems are small and vectorised;
extra BLAS threads only contend on a shared machine). Failures raise :class:`OpsLabError`
(namespace ``clv``); no fit silently returns NaN.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> T = rng.integers(30, 300, 500).astype(float)
>>> x = rng.poisson(T / 60).astype(float)
>>> tx = np.where(x > 0, T * rng.uniform(0.3, 1, 500), 0)
>>> bgf = BetaGeoFitter().fit(x, tx, T)
>>> bool(0 < bgf.conditional_probability_no_purchase(30, x, tx, T).mean() < 1)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special
from threadpoolctl import threadpool_limits

from opslab.core.problems import OpsLabError

MIN_CUSTOMERS = 20       # fewer customers cannot identify four BG/NBD parameters
MIN_REPEAT_BUYERS = 10   # Gamma-Gamma learns only from customers with repeat purchases
_LOG_BOUND = 20.0        # |log parameter| bound; beyond exp(20) a parameter is degenerate

def _as_arrays(*cols) -> list[np.ndarray]:
    out = [np.asarray(c, dtype=float).ravel() for c in cols]
    if any(a.size != out[0].size for a in out):
        raise ValueError("inputs must have the same length")
    if not all(np.isfinite(a).all() for a in out):
        raise ValueError("inputs must be finite (no NaN or inf)")
    return out


def fit_summary(total_ll, params: dict) -> pd.DataFrame:
    """Estimates with standard errors from the observed information (the inverse Hessian of
    ``total_ll`` at the optimum, by central differences) and 95 % Wald intervals."""
    theta = np.array(list(params.values()), float)
    k = theta.size
    h = 1e-4 * np.maximum(np.abs(theta), 1e-8)
    hess = np.empty((k, k))
    with np.errstate(all="ignore"):
        for i in range(k):
            for j in range(i, k):
                def at(di, dj):
                    t = theta.copy()
                    t[i] += di * h[i]
                    t[j] += dj * h[j]
                    return total_ll(t)
                val = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[i] * h[j])
                hess[i, j] = hess[j, i] = val
        try:
            cov = np.linalg.inv(-hess)
            se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
        except np.linalg.LinAlgError:
            se = np.full(k, np.nan)
    return pd.DataFrame({"coef": theta, "se": se, "lower_95": theta - 1.96 * se,
                         "upper_95": theta + 1.96 * se}, index=pd.Index(list(params), name="param"))


def _check_rft(frequency, t_x, T):
    x, tx, T = _as_arrays(frequency, t_x, T)
    if (x < 0).any() or (tx < 0).any() or (tx > T + 1e-9).any():
        raise ValueError("need frequency >= 0 and 0 <= t_x <= T")
    return x, np.where(x > 0, tx, 0.0), T


def _maximise(neg_ll, n_params: int, max_iter: int, model: str):
    """Minimise ``neg_ll(log_params) -> (value, gradient)``; L-BFGS-B, then Nelder-Mead."""
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * n_params
    x0 = np.zeros(n_params)
    with np.errstate(all="ignore"), threadpool_limits(1, user_api="blas"):
        res = optimize.minimize(neg_ll, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                                options={"maxiter": max_iter})
        if not (res.success and np.isfinite(res.fun)):
            # L-BFGS-B often stops on a line-search failure at the optimum's precision
            # floor; Nelder-Mead (no gradients) either confirms the point or moves on.
            start = res.x if np.isfinite(res.x).all() else x0
            res = optimize.minimize(lambda p: neg_ll(p)[0], start, method="Nelder-Mead",
                                    bounds=bounds, options={"maxiter": 40 * max_iter,
                                                            "xatol": 1e-7, "fatol": 1e-12})
    if not (res.success and np.isfinite(res.fun) and np.isfinite(res.x).all()):
        raise OpsLabError("clv.not_converged", model=model)
    return res


def bgnbd_log_likelihood(params, frequency, t_x, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005 eq. 6) at ``params = (r, alpha, a, b)``."""
    x, tx, T = _check_rft(frequency, t_x, T)
    r, alpha, a, b = np.asarray(params, float)
    rep = x > 0
    lab = special.betaln(a, b)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - lab - (r + x) * np.log(alpha + T)
    a3 = np.where(rep, special.betaln(a + 1, b + np.where(rep, x, 1.0) - 1) - lab
                  - (r + x) * np.log(alpha + tx), -np.inf)
    return a1 + np.logaddexp(a2, a3)


class _BGData:
    """Fitting data plus the distinct frequencies: every special function of x is evaluated
    once per distinct x (a few hundred values) instead of once per customer."""

    def __init__(self, x, tx, T):
        self.x, self.tx, self.T, self.n = x, tx, T, x.size
        self.xu, self.inv, self.counts = np.unique(x, return_inverse=True, return_counts=True)
        self.xs_u = np.where(self.xu > 0, self.xu, 1.0)  # keeps b + x - 1 > 0 where masked out

    def __call__(self, theta):
        """Mean log-likelihood and its gradient in (r, alpha, a, b)."""
        r, alpha, a, b = theta
        xu, inv, cnt, n, x = self.xu, self.inv, self.counts, self.n, self.x
        lab = special.betaln(a, b)
        gl_bx, gl_abx = special.gammaln(b + xu), special.gammaln(a + b + xu)
        bx1 = b + self.xs_u - 1
        k1 = special.gammaln(r + xu) - special.gammaln(r) + r * np.log(alpha)
        k2 = special.gammaln(a) + gl_bx - gl_abx - lab
        # B(a+1, b+x-1) = B(a, b+x) * a / (b+x-1), since Gamma(b+x) = (b+x-1) Gamma(b+x-1)
        k3 = np.where(xu > 0, k2 + np.log(a) - np.log(bx1), -np.inf)
        rx = r + x
        ln_aT, ln_at = np.log(alpha + self.T), np.log(alpha + self.tx)
        alive = k2[inv] - rx * ln_aT
        d = k3[inv] - rx * ln_at - alive  # log-odds of "dropped out after the last purchase"
        e = np.exp(-np.abs(d))
        mean_ll = (cnt @ k1 + np.sum(alive + np.maximum(d, 0) + np.log1p(e))) / n
        w3 = np.where(d >= 0, 1.0, e) / (1 + e)  # posterior weight of that branch
        w2 = 1 - w3
        psi_ab, psi_abx = special.digamma(a + b), special.digamma(a + b + xu)
        grad = np.array([
            cnt @ special.digamma(r + xu) / n - special.digamma(r) + np.log(alpha)
            - (w2 @ ln_aT + w3 @ ln_at) / n,
            r / alpha - rx @ (w2 / (alpha + self.T) + w3 / (alpha + self.tx)) / n,
            w3.sum() / (n * a) + psi_ab - cnt @ psi_abx / n,
            cnt @ (special.digamma(b + xu) - psi_abx) / n - special.digamma(b) + psi_ab
            - w3 @ (1 / bx1)[inv] / n,
        ])
        return mean_ll, grad


def _objective(mean_ll_grad, penalizer):
    """Mean negative log-likelihood (+ L2 penalty on the parameters) and its log-gradient."""
    def f(logp):
        theta = np.exp(logp)
        ll, g = mean_ll_grad(theta)
        val = -ll + penalizer * np.sum(theta ** 2)
        grad = (-g + 2 * penalizer * theta) * theta
        if not (np.isfinite(val) and np.isfinite(grad).all()):
            return 1e300, np.zeros_like(logp)
        return val, grad
    return f


class BetaGeoFitter:
    """BG/NBD model (Fader, Hardie & Lee 2005) for repeat purchases of non-contract customers.

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters (fitted on times rescaled so that max T = 10), as lifetimes.
    max_iter : int
        Iteration cap for L-BFGS-B (Nelder-Mead fallback gets 40x as many).

    Example
    -------
    >>> bgf = BetaGeoFitter().fit(s["frequency"], s["t_x"], s["T"])   # doctest: +SKIP
    >>> bgf.params_                                                        # doctest: +SKIP
    {'r': 0.24, 'alpha': 4.41, 'a': 0.79, 'b': 2.43}
    """

    name = "bgnbd"

    def __init__(self, penalizer: float = 0.0, max_iter: int = 500):
        self.penalizer = penalizer
        self.max_iter = max_iter

    def fit(self, frequency, t_x, T) -> "BetaGeoFitter":
        x, tx, T = _check_rft(frequency, t_x, T)
        n, n_rep = x.size, int((x > 0).sum())
        if n < MIN_CUSTOMERS:
            raise OpsLabError("clv.too_few_customers", n=n, min=MIN_CUSTOMERS)
        if n_rep == 0:
            raise OpsLabError("clv.too_few_repeat_buyers", n=0, min=1)
        scale = 10.0 / T.max() if T.max() > 0 else 1.0  # alpha ~ 1 keeps the problem well scaled
        res = _maximise(_objective(_BGData(x, tx * scale, T * scale), self.penalizer),
                        4, self.max_iter, "BG/NBD")
        r, alpha, a, b = np.exp(res.x)
        self.params_ = {"r": float(r), "alpha": float(alpha / scale), "a": float(a), "b": float(b)}
        self.log_likelihood_ = float(bgnbd_log_likelihood(self._theta(), x, tx, T).sum())
        self.converged_ = True
        self.at_bound_ = bool((np.abs(res.x) > _LOG_BOUND - 0.5).any())
        self.n_customers_ = n
        self.n_iter_ = int(res.nit)
        self._data = (x, tx, T)
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and 95 % intervals (observed information)."""
        x, tx, T = self._data
        return fit_summary(lambda th: bgnbd_log_likelihood(th, x, tx, T).sum(), self.params_)

    def _theta(self):
        p = self.params_
        return np.array([p["r"], p["alpha"], p["a"], p["b"]])

    def conditional_probability_alive(self, frequency, t_x, T) -> np.ndarray:
        """P(alive | x, t_x, T) (FHL 2005 eq. 13); exactly 1 for customers with x = 0."""
        x, tx, T = _check_rft(frequency, t_x, T)
        return self._p_alive(x, tx, T)

    def _p_alive(self, x, tx, T):
        r, alpha, a, b = self._theta()
        rep = x > 0
        log_odds_dead = (np.log(a) - np.log(b + np.where(rep, x, 1.0) - 1)
                         + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)))
        return np.where(rep, special.expit(-log_odds_dead), 1.0)

    def conditional_probability_no_purchase(self, t, frequency, t_x, T) -> np.ndarray:
        """P(no purchase in the next ``t`` periods | x, t_x, T).

        A customer who has dropped out buys nothing; one still alive buys as a Poisson process
        whose rate has the posterior Gamma(r + x, alpha + T) (dropout happens only right after
        a purchase, so none can occur in a window without purchases). Hence
        ``1 - P(alive) + P(alive) * ((alpha + T) / (alpha + T + t)) ** (r + x)``.
        """
        x, tx, T = _check_rft(frequency, t_x, T)
        return self._p_none(np.asarray(t, float), x, T, self._p_alive(x, tx, T))

    def _p_none(self, t, x, T, p_alive):
        r, alpha = self.params_["r"], self.params_["alpha"]
        quiet = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
        return 1.0 - p_alive + p_alive * quiet

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, t_x,
                                                            T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` periods (eq. 10)."""
        x, tx, T = _check_rft(frequency, t_x, T)
        return self._cond_expected(np.asarray(t, float), x, T, self._p_alive(x, tx, T))

    def _cond_expected(self, t, x, T, p_alive):
        r, alpha, a, b = self._theta()
        t, x, T, p_alive = np.broadcast_arrays(np.asarray(t, float), x, T, p_alive)
        z = t / (alpha + T + t)
        c = a + b + x - 1
        with np.errstate(all="ignore"):
            # Euler's transformation of eq. 10: (1-z)^(r+x) 2F1(r+x, b+x; c; z) equals
            # (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z), which stays finite for large x and t ...
            inner = 1.0 - (1.0 - z) ** (a - 1) * special.hyp2f1(a + b - 1 - r, a - 1, c, z)
            bad = ~np.isfinite(inner)
            if bad.any():  # ... but not for huge a, b (no visible dropout): eq. 10 as printed
                zb = z[bad]
                inner[bad] = 1.0 - (1.0 - zb) ** (r + x[bad]) * special.hyp2f1(
                    r + x[bad], b + x[bad], c[bad], zb)
            return c / (a - 1) * inner * p_alive

    def expected_number_of_purchases_up_to_time(self, t) -> np.ndarray:
        """E[X(t)] for a new customer (eq. 9): the conditional formula at x = t_x = T = 0."""
        t = np.atleast_1d(np.asarray(t, float))
        zero = np.zeros_like(t)
        return self._cond_expected(t, zero, zero, np.ones_like(t))


def gamma_gamma_log_likelihood(params, frequency, monetary_value) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend (needs frequency > 0)."""
    x, m = _as_arrays(frequency, monetary_value)
    p, q, v = np.asarray(params, float)
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(v + m * x))


class _GGData:
    """Gamma-Gamma fitting data; only log(v + m x) has to be recomputed per customer."""

    def __init__(self, x, m):
        self.x, self.m, self.n = x, m, x.size
        self.xu, self.counts = np.unique(x, return_counts=True)
        self.s_xlog = np.sum(x * (np.log(m) + np.log(x)))
        self.s_logm = np.sum(np.log(m))

    def __call__(self, theta):
        p, q, v = theta
        xu, cnt, n, x = self.xu, self.counts, self.n, self.x
        pxu = p * xu
        ln_vmx = np.log(v + self.m * x)
        ll = (cnt @ (special.gammaln(pxu + q) - special.gammaln(pxu))
              + n * (q * np.log(v) - special.gammaln(q)) + p * self.s_xlog - self.s_logm
              - p * (x @ ln_vmx) - q * ln_vmx.sum())
        psi_pxq = special.digamma(pxu + q)
        grad = np.array([
            (cnt @ (xu * (psi_pxq - special.digamma(pxu))) + self.s_xlog - x @ ln_vmx) / n,
            cnt @ psi_pxq / n - special.digamma(q) + np.log(v) - ln_vmx.mean(),
            q / v - np.mean((p * x + q) / (v + self.m * x)),
        ])
        return ll / n, grad


class GammaGammaFitter:
    """Gamma-Gamma model of spend per transaction (Fader & Hardie 2013).

    Fitted on customers with ``frequency > 0`` and positive ``monetary_value`` (the mean of
    their repeat purchases). Parameters ``p, q, v``; population mean spend ``p v / (q - 1)``.

    Example
    -------
    >>> ggf = GammaGammaFitter().fit(s["frequency"], s["monetary_value"])   # doctest: +SKIP
    >>> ggf.conditional_expected_average_profit(s["frequency"], s["monetary_value"])  # doctest: +SKIP
    """

    def __init__(self, penalizer: float = 0.0):
        self.penalizer = penalizer

    def fit(self, frequency, monetary_value) -> "GammaGammaFitter":
        x, m = _as_arrays(frequency, monetary_value)
        use = (x > 0) & (m > 0)
        x, m = x[use], m[use]
        if x.size < MIN_REPEAT_BUYERS:
            raise OpsLabError("clv.too_few_repeat_buyers", n=int(x.size), min=MIN_REPEAT_BUYERS)
        scale = 1.0 / np.median(m)  # money in units of the median spend keeps v near 1
        res = _maximise(_objective(_GGData(x, m * scale), self.penalizer), 3, 1000,
                        "Gamma-Gamma")
        p, q, v = np.exp(res.x)
        if q <= 1.0:
            raise OpsLabError("clv.infinite_mean_spend", q=round(float(q), 3))
        self.params_ = {"p": float(p), "q": float(q), "v": float(v / scale)}
        self.log_likelihood_ = float(gamma_gamma_log_likelihood([p, q, v / scale], x, m).sum())
        self.converged_ = True
        self.at_bound_ = bool((np.abs(res.x) > _LOG_BOUND - 0.5).any())
        self.n_customers_ = int(x.size)
        self._data = (x, m)
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and 95 % intervals (observed information)."""
        x, m = self._data
        return fit_summary(lambda th: gamma_gamma_log_likelihood(th, x, m).sum(), self.params_)

    @property
    def population_mean_(self) -> float:
        """Expected spend per transaction of a random customer, ``p v / (q - 1)``."""
        return self.params_["p"] * self.params_["v"] / (self.params_["q"] - 1)

    def conditional_expected_average_profit(self, frequency, monetary_value) -> np.ndarray:
        """E[Z | x, m_x]: a weighted mean of the population mean and the customer's own mean."""
        x, m = _as_arrays(frequency, monetary_value)
        p, q = self.params_["p"], self.params_["q"]
        w = (q - 1) / (p * x + q - 1)  # weight on the population mean; 1 when x = 0
        return np.where(x > 0, w * self.population_mean_ + (1 - w) * m, self.population_mean_)
