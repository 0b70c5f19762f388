"""The candidate models of :mod:`opslab.models.forecast` and the errors they are judged by.

Baselines (:data:`BASELINES`), as in Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice*, ch. 5.2:

- ``mean``: the mean of the last :data:`MEAN_WINDOW` periods (13 weeks, 28 days, ...),
- ``drift``: the last value plus the average change per period over the history,
- ``seasonal_naive``: the value one season (a week of days, a year of weeks) earlier;

models: ``ets`` (damped trend), ``theta`` (the Theta method), ``arima`` (ARIMA(1,1,1)) and
``combo``, their equal-weight combination. All work on the (log-)transformed series handed
to them, with the calendar, campaign regressors and the weekday (within-season) pattern
already taken out by :mod:`opslab.models.forecast_adjust` (the seasonal naive keeps its
season), and give a point forecast (``mean``) and simulated sample paths (``paths``);
baselines and Theta simulate by bootstrapping their own in-sample errors.

Example
-------
>>> m = Drift(np.array([1.0, 2.0, 3.0]), 1)
>>> m.mean(2).tolist()
[4.0, 5.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.signal import lfilter
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX

BASELINES = ("mean", "drift", "seasonal_naive")
MODELS = (*BASELINES, "ets", "theta", "arima", "combo")
#: Candidates that model the season themselves (the others see the deseasonalised series).
OWN_SEASON = frozenset({"seasonal_naive"})
#: Periods averaged by the ``mean`` baseline, per grain.
MEAN_WINDOW = {"day": 28, "week": 13, "month": 12, "quarter": 4}
#: Shortest history each candidate is fitted on.
MIN_LENGTH = {"mean": 1, "drift": 2, "seasonal_naive": 1, "ets": 10, "theta": 10, "arima": 20,
              "combo": 20}


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


def draw(resid: np.ndarray, n: int, h: int, rng, block: int = 1) -> np.ndarray:
    """``(n, h)`` errors bootstrapped from ``resid`` (in time order) in runs of ``block``
    consecutive values (a moving-block bootstrap), so errors that come in runs (a slow week)
    stay together and period sums are as uncertain as the history says; iid when
    ``block`` is 1 or the residuals are too few.

    >>> draw(np.arange(10.0), 2, 5, np.random.default_rng(0), block=5)[0].tolist()
    [5.0, 6.0, 7.0, 8.0, 9.0]
    """
    r = np.asarray(resid, float)
    if block <= 1 or len(r) < 2 * block:
        return rng.choice(r, size=(n, h))
    k = -(-h // block)
    starts = rng.integers(0, len(r) - block + 1, size=(n, k))
    return r[(starts[:, :, None] + np.arange(block)).reshape(n, -1)[:, :h]]


def _block(m: int) -> int:
    """The bootstrap block: a season of days (7); other grains draw single periods."""
    return m if 1 < m <= 7 else 1


class Mean:
    """The mean of the last ``window`` values; paths add bootstrapped deviations from it."""

    def __init__(self, y, m, X=None, window: int = 13):
        tail = y[-window:]
        self.level = float(tail.mean())
        self.resid = _centred(tail - self.level)
        self.block = _block(m)

    def mean(self, h, X=None):
        return np.full(h, self.level)

    def paths(self, h, n, rng, X=None):
        return self.level + draw(self.resid, n, h, rng, self.block)


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
    """Damped-trend exponential smoothing (additive errors, ``statsmodels``); the season
    and the calendar are taken out before and put back after
    (:mod:`opslab.models.forecast_adjust`)."""

    def __init__(self, y, m, X=None):
        self.res = ExponentialSmoothing(y, trend="add", damped_trend=True,
                                        initialization_method="estimated").fit()

    def mean(self, h, X=None):
        return np.asarray(self.res.forecast(h), float)

    def paths(self, h, n, rng, X=None):
        sim = self.res.simulate(h, anchor="end", repetitions=n, rng=rng)
        return np.asarray(sim, float).reshape(h, n).T


def _ses(y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """One-step forecasts and levels of simple exponential smoothing (level starts at y[0])."""
    level = lfilter([alpha], [1.0, alpha - 1.0], y[1:], zi=[(1 - alpha) * y[0]])[0]
    level = np.concatenate([[y[0]], level])
    return level[:-1], level


class Theta:
    """The Theta method (Assimakopoulos & Nikolopoulos 2000) in the form Hyndman & Billah
    (2003) proved equivalent: simple exponential smoothing with a drift of half the
    series' linear-trend slope. Paths add SES shocks bootstrapped from the one-step errors."""

    def __init__(self, y, m, X=None):
        y = np.asarray(y, float)
        t = np.arange(len(y))
        self.slope = float(np.polyfit(t, y, 1)[0]) if len(y) > 1 else 0.0

        def sse(a):
            return float(np.sum((y[1:] - _ses(y, a)[0]) ** 2))
        self.alpha = float(minimize_scalar(sse, bounds=(0.01, 0.99), method="bounded").x)
        fitted, level = _ses(y, self.alpha)
        self.level, self.n = float(level[-1]), len(y)
        self.resid = _centred(y[1:] - fitted)
        self.block = _block(m)

    def mean(self, h, X=None):
        a, k = self.alpha, np.arange(1, h + 1)
        return self.level + self.slope / 2 * (k - 1 + 1 / a - (1 - a) ** self.n / a)

    def paths(self, h, n, rng, X=None):
        e = draw(self.resid, n, h, rng, self.block)
        carried = self.alpha * (np.cumsum(e, axis=1) - e)  # shocks absorbed into the level
        return self.mean(h) + e + carried


class Arima:
    """ARIMA(1,1,1) on the standardised, adjusted series (``statsmodels`` SARIMAX; the season
    and the calendar are handled by :mod:`opslab.models.forecast_adjust`).

    ``params``: estimated ARMA parameters to filter with instead of estimating them (a later
    backtest fold reuses the earliest fold's: estimated on less data, never on the future);
    ``start``: where the estimation starts (the final fit starts from the folds')."""

    def __init__(self, y, m, X=None, params=None, start=None):
        self.mu, self.sd = y.mean(), (y.std() or 1.0)
        model = SARIMAX((y - self.mu) / self.sd, order=(1, 1, 1), concentrate_scale=True)
        self.res = (model.filter(params) if params is not None else
                    model.fit(start_params=start, disp=False, maxiter=100))
        self.params = np.asarray(self.res.params, float)

    def mean(self, h, X=None):
        return self.mu + self.sd * np.asarray(self.res.forecast(h), float)

    def paths(self, h, n, rng, X=None):
        sim = self.res.simulate(h, anchor="end", repetitions=n, rng=rng)
        return self.mu + self.sd * np.asarray(sim, float).reshape(h, n).T


class Combo:
    """The equal-weight combination of ETS, Theta and ARIMA (forecast combination, as in
    the M competitions): the mean of their forecasts; each path is one member's path moved
    onto the combined mean."""

    def __init__(self, members):
        self.members = list(members)

    def mean(self, h, X=None):
        return np.mean([mm.mean(h) for mm in self.members], axis=0)

    def paths(self, h, n, rng, X=None):
        pick = rng.integers(len(self.members), size=n)
        out = np.empty((n, h))
        mean = self.mean(h)
        for j, mm in enumerate(self.members):
            rows = pick == j
            if rows.any():
                out[rows] = mm.paths(h, int(rows.sum()), rng) - mm.mean(h) + mean
        return out


CLASSES = {"mean": Mean, "drift": Drift, "seasonal_naive": SeasonalNaive, "ets": ETS,
           "theta": Theta, "arima": Arima}
#: The members of the ``combo`` candidate.
COMBO = ("ets", "theta", "arima")


def make(name: str, y: np.ndarray, m: int, X, grain: str, arima: dict | None = None):
    """Fit candidate ``name`` on ``y`` with season ``m`` (``combo``: fits its members);
    ``arima``: keyword arguments of :class:`Arima` (``params`` or ``start``)."""
    if name == "combo":
        return Combo(Arima(y, m, X, **(arima or {})) if mm == "arima" else CLASSES[mm](y, m, X)
                     for mm in COMBO)
    if name == "arima":
        return Arima(y, m, X, **(arima or {}))
    if name == "mean":
        return Mean(y, m, X, window=MEAN_WINDOW[grain])
    return CLASSES[name](y, m, X)


#: A candidate replaces the plain ``mean`` only when its backtest MASE is at least this much
#: lower on average and lower in most folds (see :func:`choose`).
CHOICE_MARGIN = 0.05


def choose(backtest: pd.DataFrame, names) -> tuple[list[str], dict | None]:
    """Candidates in the order they are tried, and the params of a note when the plain
    ``mean`` was kept over a candidate with a lower backtest MASE (else None).

    Lowest mean backtest MASE first (baselines win ties), except that the plain ``mean`` comes
    first unless the best candidate beats it by :data:`CHOICE_MARGIN` on average *and* in more
    than half of the folds. Three folds rank seven candidates noisily: on the real-export
    corpus (tests/test_models_corpus.py) the lowest-MASE rule picked drift, Theta or ARIMA on
    folds they won by chance and lost to the mean on the next weeks; the mean is the simple
    forecast a user would make, so another candidate has to beat it clearly.

    >>> bt = pd.DataFrame({"model": ["mean", "theta"] * 3, "fold": [0, 0, 1, 1, 2, 2],
    ...                    "mase": [1.0, 0.5, 1.0, 1.2, 1.0, 1.1]})
    >>> choose(bt, ["mean", "theta"])   # lower on average (0.93), but in one fold of three
    (['mean', 'theta'], {'model': 'theta', 'mase': 0.933, 'mean_mase': 1.0, 'wins': 1, 'folds': 3})
    """
    means = backtest.groupby("model")["mase"].mean()
    order = sorted((mm for mm in names if mm in means.index), key=lambda mm: (means[mm], MODELS.index(mm)))
    if "mean" not in order or order[0] == "mean":
        return order, None
    best = order[0]
    folds = backtest.pivot_table(index="fold", columns="model", values="mase", aggfunc="first")
    wins = int((folds[best] < folds["mean"]).sum())
    if means[best] <= (1 - CHOICE_MARGIN) * means["mean"] and wins > len(folds) / 2:
        return order, None
    note = {"model": best, "mase": round(float(means[best]), 3), "mean_mase": round(float(means["mean"]), 3),
            "wins": wins, "folds": int(len(folds))}
    return ["mean", *(mm for mm in order if mm != "mean")], note
