"""Pareto/NBD (non-contractual) and shifted beta-geometric (contractual) fitters, with the same
public shape as :class:`~opslab.models.clv_fitters.BetaGeoFitter`: ``fit(frequency, t_x, T)``
returns the fitter with ``params_``, ``log_likelihood_``, ``converged_`` and ``summary``.

* :class:`ParetoNBDFitter` -- Schmittlein, Morrison & Colombo (1987), in the form of Fader &
  Hardie, "A note on deriving the Pareto/NBD model and related expressions" (2005): purchases
  Poisson(lambda) while alive, an exponential lifetime with rate mu, lambda ~ Gamma(r, alpha),
  mu ~ Gamma(s, beta). Unlike BG/NBD a customer can die before a first repeat purchase.
* :class:`ShiftedBetaGeoFitter` -- Fader & Hardie (2007), "How to project customer retention":
  each subscriber churns at the end of every period with a constant chance theta ~ Beta(a, b).

Example
-------
>>> sbg = ShiftedBetaGeoFitter().fit(*ShiftedBetaGeoFitter.from_survivors([1000, 869, 743, 653]))
>>> round(sbg.params_["alpha"], 2) > 0 and sbg.converged_
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special
from threadpoolctl import threadpool_limits

from opslab.core.problems import OpsLabError
from opslab.models.clv_fitters import _LOG_BOUND, MIN_CUSTOMERS, _as_arrays, _check_rft, fit_summary


def pareto_nbd_log_likelihood(params, frequency, t_x, T) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood (Fader & Hardie 2005 note, eq. 19-22).

    ``L = Gamma(r+x) a^r b^s / Gamma(r) * [1 / ((a+T)^(r+x) (b+T)^s) + s / (r+s+x) * A0]`` with
    A0 a difference of two Gauss hypergeometric terms (written on the larger of alpha, beta so
    that the argument stays in [0, 1)).
    """
    x, tx, T = _check_rft(frequency, t_x, T)
    r, alpha, s, beta = np.asarray(params, float)
    rsx = r + s + x
    if alpha >= beta:
        big, b_arg = alpha, s + 1.0
    else:
        big, b_arg = beta, r + x
    d = abs(alpha - beta)
    q1, q2 = big + tx, big + T
    with np.errstate(all="ignore"):
        h1 = special.hyp2f1(rsx, b_arg, rsx + 1.0, d / q1)
        h2 = special.hyp2f1(rsx, b_arg, rsx + 1.0, d / q2)
        # log(h1 / q1^rsx - h2 / q2^rsx), the first term is the larger (tx <= T)
        l1, l2 = np.log(h1) - rsx * np.log(q1), np.log(h2) - rsx * np.log(q2)
        log_a0 = l1 + np.log1p(-np.exp(np.minimum(l2 - l1, 0.0)))
        log_a0 = np.where(T > tx, log_a0, -np.inf)  # tx == T: the two terms cancel
        head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        return head + np.logaddexp(alive, np.log(s) - np.log(rsx) + log_a0)


def _fit_log_params(neg_ll, x0, model: str):
    """Minimise ``neg_ll(log_params)``: L-BFGS-B (numerical gradient); when it reports no
    convergence, Nelder-Mead from where it stopped. Returns (log_params, converged)."""
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(x0)
    with np.errstate(all="ignore"), threadpool_limits(1, user_api="blas"):
        safe = lambda p: float(v) if np.isfinite(v := neg_ll(p)) else 1e300  # noqa: E731
        best = optimize.minimize(safe, x0, method="L-BFGS-B", bounds=bounds,
                                 options={"maxiter": 500, "ftol": 1e-14, "gtol": 1e-9})
        converged = bool(best.success)
        if not converged:
            nm = optimize.minimize(safe, best.x, method="Nelder-Mead", bounds=bounds,
                                   options={"maxiter": 800, "xatol": 1e-8, "fatol": 1e-10})
            converged = bool(nm.success)
            best = nm if nm.fun <= best.fun else best
    if not (np.isfinite(best.fun) and best.fun < 1e299 and np.isfinite(best.x).all()):
        raise OpsLabError("clv.not_converged", model=model)
    return best.x, converged


def _distinct(*cols):
    """Distinct rows of the columns and their counts (daily data repeat (x, t_x, T) a lot)."""
    rows, counts = np.unique(np.column_stack(cols), axis=0, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts


class ParetoNBDFitter:
    """Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) for non-contract customers.

    Parameters ``r, alpha`` (purchase rate ~ Gamma(r, alpha)) and ``s, beta`` (dropout rate ~
    Gamma(s, beta)), in the time unit of ``t_x`` and ``T``.

    Example
    -------
    >>> pnbd = ParetoNBDFitter().fit(s["frequency"], s["t_x"], s["T"])   # doctest: +SKIP
    >>> pnbd.params_                                                       # doctest: +SKIP
    {'r': 0.553, 'alpha': 10.58, 's': 0.606, 'beta': 11.67}
    """

    name = "pareto_nbd"

    def fit(self, frequency, t_x, T) -> "ParetoNBDFitter":
        x, tx, T = _check_rft(frequency, t_x, T)
        n = x.size
        if n < MIN_CUSTOMERS:
            raise OpsLabError("clv.too_few_customers", n=n, min=MIN_CUSTOMERS)
        if not (x > 0).any():
            raise OpsLabError("clv.too_few_repeat_buyers", n=0, min=1)
        scale = 10.0 / T.max() if T.max() > 0 else 1.0
        (xs, txs, Ts), w = _distinct(x, tx * scale, T * scale)

        def neg_ll(logp):
            return -(w @ pareto_nbd_log_likelihood(np.exp(logp), xs, txs, Ts)) / n

        logp, self.converged_ = _fit_log_params(neg_ll, np.zeros(4), "Pareto/NBD")
        r, alpha, s, beta = np.exp(logp)
        self.params_ = {"r": float(r), "alpha": float(alpha / scale), "s": float(s),
                        "beta": float(beta / scale)}
        self.at_bound_ = bool((np.abs(logp) > _LOG_BOUND - 0.5).any())
        self.log_likelihood_ = float(pareto_nbd_log_likelihood(self._theta(), x, tx, T).sum())
        self.n_customers_ = n
        self._data = (x, tx, T)
        return self

    def _theta(self):
        p = self.params_
        return np.array([p["r"], p["alpha"], p["s"], p["beta"]])

    @property
    def summary(self) -> pd.DataFrame:
        x, tx, T = self._data
        return fit_summary(lambda th: pareto_nbd_log_likelihood(th, x, tx, T).sum(), self.params_)

    def conditional_probability_alive(self, frequency, t_x, T) -> np.ndarray:
        """P(alive | x, t_x, T) = 1 / (1 + s / (r+s+x) (a+T)^(r+x) (b+T)^s A0) (note eq. 18)."""
        x, tx, T = _check_rft(frequency, t_x, T)
        r, alpha, s, beta = self._theta()
        ll = pareto_nbd_log_likelihood(self._theta(), x, tx, T)
        head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        alive = head - (r + x) * np.log(alpha + T) - s * np.log(beta + T)
        return np.exp(np.minimum(alive - ll, 0.0))

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, t_x, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T] = (r+x)(b+T) / ((a+T)(s-1)) [1 - ((b+T)/(b+T+t))^(s-1)] P(alive)
        (note eq. 21; the limit (r+x)/(a+T) (b+T) log(1 + t/(b+T)) at s = 1)."""
        x, tx, T = _check_rft(frequency, t_x, T)
        r, alpha, s, beta = self._theta()
        t = np.asarray(t, float)
        rate = (r + x) / (alpha + T)
        if abs(s - 1) < 1e-9:
            life = (beta + T) * np.log1p(t / (beta + T))
        else:
            life = (beta + T) / (s - 1) * (1 - ((beta + T) / (beta + T + t)) ** (s - 1))
        return rate * life * self.conditional_probability_alive(x, tx, T)


class ShiftedBetaGeoFitter:
    """Shifted beta-geometric model of subscription churn (Fader & Hardie 2007).

    Every subscriber renews at the end of each period with chance ``1 - theta`` and
    ``theta ~ Beta(alpha, beta)`` across subscribers. For the common shape
    ``fit(frequency, t_x, T)``: ``frequency`` = renewals made, ``t_x`` = periods stayed (the same
    number for a contract renewed period by period), ``T`` = periods observed; a subscriber with
    ``t_x < T`` churned at the end of period ``t_x + 1``, one with ``t_x == T`` is still active.

    Example
    -------
    >>> sbg = ShiftedBetaGeoFitter().fit(*ShiftedBetaGeoFitter.from_survivors(
    ...     [1000, 869, 743, 653, 593, 551, 517, 491]))
    >>> {k: round(v, 3) for k, v in sbg.params_.items()}   # Fader & Hardie 2007, "high end"
    {'alpha': 0.668, 'beta': 3.806}
    """

    name = "sbg"

    @staticmethod
    def from_survivors(survivors):
        """(frequency, t_x, T) arrays of a cohort from its survivor counts at periods 0, 1, ..."""
        n = np.asarray(survivors, dtype="int64")
        if n.ndim != 1 or n.size < 2 or (np.diff(n) > 0).any() or (n < 0).any():
            raise ValueError("survivors must be a non-increasing sequence of counts, period 0 first")
        T = n.size - 1
        stayed = np.repeat(np.arange(T + 1), np.append(-np.diff(n), n[-1]))
        return stayed, stayed, np.full(stayed.size, T)

    @staticmethod
    def _ll(params, stayed, T):
        a, b = params
        lab = special.betaln(a, b)
        churned = stayed < T
        # P(churn at t) = B(a+1, b+t-1) / B(a, b) with t = stayed + 1; P(survive T) = B(a, b+T) / B(a, b)
        return np.where(churned, special.betaln(a + 1, b + stayed) - lab,
                        special.betaln(a, b + T) - lab)

    def fit(self, frequency, t_x, T) -> "ShiftedBetaGeoFitter":
        x, tx, T = _as_arrays(frequency, t_x, T)
        if (tx < 0).any() or (tx > T).any() or (tx != np.round(tx)).any() or (T != np.round(T)).any():
            raise ValueError("need whole periods with 0 <= t_x <= T")
        if (x != tx).any():
            raise ValueError("for subscriptions frequency (renewals) must equal t_x (periods stayed)")
        if x.size < MIN_CUSTOMERS:
            raise OpsLabError("clv.too_few_customers", n=int(x.size), min=MIN_CUSTOMERS)
        if not (tx < T).any():
            raise OpsLabError("clv.no_churn_observed", n=int(x.size))
        (txs, Ts), w = _distinct(tx, T)
        logp, self.converged_ = _fit_log_params(lambda lp: -(w @ self._ll(np.exp(lp), txs, Ts)) / w.sum(),
                                                np.zeros(2), "sBG")
        a, b = np.exp(logp)
        self.params_ = {"alpha": float(a), "beta": float(b)}
        self.at_bound_ = bool((np.abs(logp) > _LOG_BOUND - 0.5).any())
        self.log_likelihood_ = float(self._ll((a, b), tx, T).sum())
        self.n_customers_ = int(x.size)
        self._data = (tx, T)
        return self

    @property
    def summary(self) -> pd.DataFrame:
        tx, T = self._data
        return fit_summary(lambda th: self._ll(th, tx, T).sum(), self.params_)

    def survival(self, periods) -> np.ndarray:
        """Share of a new cohort still subscribed after ``periods`` renewals, B(a, b+t) / B(a, b)."""
        a, b = self.params_["alpha"], self.params_["beta"]
        t = np.asarray(periods, float)
        return np.exp(special.betaln(a, b + t) - special.betaln(a, b))

    def retention_rate(self, periods) -> np.ndarray:
        """Retention from period t-1 to t, (b + t - 1) / (a + b + t - 1): rises with tenure."""
        a, b = self.params_["alpha"], self.params_["beta"]
        t = np.asarray(periods, float)
        return (b + t - 1) / (a + b + t - 1)

    def conditional_probability_alive(self, frequency, t_x, T) -> np.ndarray:
        """1 for active subscribers (t_x == T), 0 for those who cancelled."""
        _, tx, T = _as_arrays(frequency, t_x, T)
        return np.where(tx >= T, 1.0, 0.0)
