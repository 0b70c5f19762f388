"""The candidate models of :mod:`opslab.models.forecast` and the errors they are judged by.

Baselines (:data:`BASELINES`), as in Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice*, ch. 5.2:

- ``mean``: the mean of the last :data:`MEAN_WINDOW` periods (13 weeks, 28 days, ...),
- ``drift``: the last value plus the average change per period over the history,
- ``seasonal_naive``: the value one season (a week of days, a year of weeks) earlier;

models: ``ets`` (Holt-Winters, damped trend) and ``sarimax`` (airline model with calendar
regressors). All work on the (log-)transformed series handed to them and give a point
forecast (``mean``) and simulated sample paths (``paths``); baselines simulate by
bootstrapping their own in-sample errors.

Example
-------
>>> m = Drift(np.array([1.0, 2.0, 3.0]), 1)
>>> m.mean(2).tolist()
[4.0, 5.0]
"""

from __future__ import annotations

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX

BASELINES = ("mean", "drift", "seasonal_naive")
MODELS = (*BASELINES, "ets", "sarimax")
#: Periods averaged by the ``mean`` baseline, per grain.
MEAN_WINDOW = {"day": 28, "week": 13, "month": 12, "quarter": 4}
#: Shortest history each candidate is fitted on.
MIN_LENGTH = {"mean": 1, "drift": 2, "seasonal_naive": 1, "ets": 10, "sarimax": 20}


def smape(actual, forecast) -> float:
    """Symmetric MAPE in percent: ``100 * mean(2|a - f| / (|a| + |f|))``; 0/0 terms count 0.

    >>> smape([100, 200], [110, 180])
    10.025062656641603
    """
    a, f = np.asarray(actual, float), np.asarray(forecast, float)
    den = np.abs(a) + np.abs(f)
    terms = np.divide(2 * np.abs(a - f), den, out=np.zeros_like(den), where=den > 0)
    return float(100 * terms.mean())


def mase(actual, forecast, insample, season: int) -> float:
    """Mean absolute error scaled by the in-sample MAE of the seasonal naive forecast.

    Falls back to lag 1 when the series is shorter than two seasons; a zero scale gives 0 for
    a perfect forecast and ``inf`` otherwise.

    >>> mase([3, 4], [2, 5], insample=[1, 2, 4, 7], season=1)
    0.5
    """
    x = np.asarray(insample, float)
    m = season if len(x) > season else 1
    scale = np.mean(np.abs(x[m:] - x[:-m])) if len(x) > m else 0.0
    mae = np.mean(np.abs(np.asarray(actual, float) - np.asarray(forecast, float)))
    if scale == 0:
        return 0.0 if mae == 0 else float("inf")
    return float(mae / scale)


def _centred(x: np.ndarray) -> np.ndarray:
    return x - x.mean() if len(x) else np.zeros(1)


class Mean:
    """The mean of the last ``window`` values; paths add bootstrapped deviations from it."""

    def __init__(self, y, m, X=None, window: int = 13):
        tail = y[-window:]
        self.level = float(tail.mean())
        self.resid = _centred(tail - self.level)

    def mean(self, h, X=None):
        return np.full(h, self.level)

    def paths(self, h, n, rng, X=None):
        return self.level + rng.choice(self.resid, size=(n, h))


class Drift:
    """Random walk with drift: ``y[T] + k * (y[T] - y[1]) / (T - 1)``; paths accumulate
    bootstrapped, centred one-step changes."""

    def __init__(self, y, m, X=None):
        self.last = float(y[-1])
        diff = np.diff(y)
        self.slope = float(diff.mean()) if len(diff) else 0.0
        self.resid = _centred(diff)

    def mean(self, h, X=None):
        return self.last + self.slope * np.arange(1, h + 1)

    def paths(self, h, n, rng, X=None):
        return self.mean(h) + np.cumsum(rng.choice(self.resid, size=(n, h)), axis=1)


class SeasonalNaive:
    """``y[t] = y[t - m]``; paths add bootstrapped, centred seasonal differences."""

    def __init__(self, y, m, X=None):
        self.y, self.m = y, m
        self.resid = _centred(y[m:] - y[:-m])

    def mean(self, h, X=None):
        return np.resize(self.y[-self.m:], h)

    def paths(self, h, n, rng, X=None):
        buf = np.empty((n, self.m + h))
        buf[:, : self.m] = self.y[-self.m:]
        shocks = rng.choice(self.resid, size=(n, h))
        for j in range(h):
            buf[:, self.m + j] = buf[:, j] + shocks[:, j]
        return buf[:, self.m:]


class ETS:
    """Holt-Winters: damped additive trend, additive seasonality when >= 3 seasons."""

    def __init__(self, y, m, X=None):
        seasonal = "add" if m > 1 and len(y) >= 3 * m else None
        self.res = ExponentialSmoothing(
            y, trend="add", damped_trend=True, seasonal=seasonal,
            seasonal_periods=m if seasonal else None, initialization_method="estimated",
        ).fit()

    def mean(self, h, X=None):
        return np.asarray(self.res.forecast(h), float)

    def paths(self, h, n, rng, X=None):
        sim = self.res.simulate(h, anchor="end", repetitions=n, rng=rng)
        return np.asarray(sim, float).reshape(h, n).T


class Sarimax:
    """Airline model (1,1,1)(0,1,1,m) for m <= 12, else ARIMA(1,1,1); regressors as exog
    (columns constant over the training window are left out).

    The regression coefficients (one per festival) are estimated in the state vector by the
    Kalman filter (GLS given the ARMA parameters), not as MLE parameters: the optimiser's
    numerical gradient then costs 4 likelihood evaluations instead of 4 + one per festival,
    which made a daily fit with ten festival regressors 3-4× faster (bench/RESULTS.md)."""

    def __init__(self, y, m, X=None):
        self.cols = [] if X is None else [j for j in range(X.shape[1]) if np.ptp(X[:, j]) > 0]
        self.mu, self.sd = y.mean(), (y.std() or 1.0)
        seasonal = (0, 1, 1, m) if 1 < m <= 12 and len(y) >= 3 * m else (0, 0, 0, 0)
        self.res = SARIMAX(
            (y - self.mu) / self.sd, exog=self._x(X), order=(1, 1, 1), seasonal_order=seasonal,
            concentrate_scale=True, mle_regression=False,
        ).fit(disp=False, maxiter=200)

    def _x(self, X):
        return X[:, self.cols] if self.cols else None

    def mean(self, h, X=None):
        return self.mu + self.sd * np.asarray(self.res.forecast(h, exog=self._x(X)), float)

    def paths(self, h, n, rng, X=None):
        sim = self.res.simulate(h, anchor="end", repetitions=n, exog=self._x(X), rng=rng)
        return self.mu + self.sd * np.asarray(sim, float).reshape(h, n).T


CLASSES = {"mean": Mean, "drift": Drift, "seasonal_naive": SeasonalNaive, "ets": ETS,
           "sarimax": Sarimax}


def make(name: str, y: np.ndarray, m: int, X, grain: str):
    """Fit candidate ``name`` on ``y`` with season ``m`` (and regressors ``X``)."""
    if name == "mean":
        return Mean(y, m, X, window=MEAN_WINDOW[grain])
    return CLASSES[name](y, m, X)
