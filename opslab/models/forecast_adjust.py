"""Calendar, regressor and within-season effects taken out of a series before a candidate
forecasts it, and put back on the forecast: so every candidate (the mean of recent days as
much as ETS or ARIMA) forecasts with the festival calendar and the weekday pattern.

On the (log-)transformed series ``y``:

1. the local level is a centred rolling median (:data:`LEVEL_WINDOW` periods, robust to the
   festival peaks themselves);
2. the deviations from it are regressed on an intercept, the regressors (the market's
   festival calendar, :func:`opslab.core.calendar_cn.festival_regressors`, and any user
   regressors such as campaign days) and effect-coded position-in-season dummies (weekday
   for daily series), by ridge least squares (:data:`RIDGE` shrinks an effect seen on one
   day by a tenth: a festival seen once keeps 91 % of last year's effect);
3. the adjusted series is ``y - X @ beta - profile[position % m]``.

A festival seen once (Double 11 in a year of data) gets last year's effect on its peak day
and pre-sale days; with the calendar off, no effect is estimated and none is added.

Example
-------
>>> idx = pd.date_range("2024-01-01", periods=70, freq="D")
>>> y = np.where(idx.day_of_week == 5, 2.0, 1.0)
>>> adj = fit_adjustment(y, None, 7)
>>> np.round(adj.seasonal(np.arange(5, 12)), 2).tolist()[:2]
[0.86, -0.14]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Centred window of the rolling-median level, per season length (7 -> 4 weeks of days).
LEVEL_WINDOW = {7: 29, 52: 9, 12: 7, 4: 5, 1: 9}
#: Ridge penalty on the regressor effects (transformed units; one observation weighs 1).
RIDGE = 0.1


@dataclass(frozen=True)
class Adjustment:
    """The fitted effects: ``beta`` per regressor column (``None`` without regressors) and
    the seasonal ``profile`` by position modulo ``m`` (zeros when not estimated)."""

    beta: np.ndarray | None
    profile: np.ndarray
    m: int

    def regressors(self, X) -> np.ndarray | float:
        """``X @ beta`` (0 when no regressor was used)."""
        if self.beta is None or X is None:
            return 0.0
        return np.asarray(X, float) @ self.beta

    def seasonal(self, positions) -> np.ndarray:
        """The seasonal profile at the given positions (0 = the series' first period)."""
        return self.profile[np.asarray(positions) % self.m]


def _level(y: np.ndarray, m: int) -> np.ndarray:
    w = LEVEL_WINDOW.get(m, 2 * m + 1)
    return pd.Series(y).rolling(w, center=True, min_periods=1).median().to_numpy()


def fit_adjustment(y, X, m: int, seasonal: bool = True) -> Adjustment:
    """Regressor effects and the seasonal profile of ``y`` (see the module docstring).

    ``X``: regressors by period (rows as ``y``) or None; columns constant over ``y`` get no
    effect. ``seasonal``: estimate the profile (needs two full seasons and ``m > 1``).
    """
    y = np.asarray(y, float)
    n = len(y)
    use_season = seasonal and 1 < m <= 12 and n >= 2 * m
    r = y - _level(y, m)
    blocks, penalty = [np.ones((n, 1))], [1e-9]  # an intercept: r need not average zero
    cols = np.zeros(0, int)
    if X is not None:
        X = np.asarray(X, float)
        cols = np.flatnonzero(np.ptp(X, axis=0) > 0) if len(X) else np.zeros(0, int)
        if len(cols):
            blocks.append(X[:, cols])
            penalty += [RIDGE] * len(cols)
    if use_season:  # effect coding: the profile sums to zero over a season
        pos = np.arange(n) % m
        D = (pos[:, None] == np.arange(m - 1)[None, :]).astype(float)
        D[pos == m - 1] = -1.0
        blocks.append(D)
        penalty += [1e-6] * (m - 1)
    beta, profile = None, np.zeros(max(m, 1))
    if len(blocks) > 1:
        A = np.hstack(blocks)
        coef = np.linalg.solve(A.T @ A + np.diag(penalty), A.T @ r)[1:]
        k = len(cols)
        if k:
            beta = np.zeros(X.shape[1])
            beta[cols] = coef[:k]
        if use_season:
            profile = np.append(coef[k:], -coef[k:].sum())
    return Adjustment(beta, profile, max(m, 1))


def adjusted(y, X, adj: Adjustment, own_season: bool = False) -> np.ndarray:
    """``y`` without the regressor effects and (unless ``own_season``: a candidate that
    models the season itself, the seasonal naive) without the seasonal profile."""
    y = np.asarray(y, float) - adj.regressors(X)
    return y if own_season else y - adj.seasonal(np.arange(len(y)))


def restore(values, X_future, adj: Adjustment, start: int, own_season: bool = False):
    """Put the effects back on forecasts (``values``: ``(h,)`` or ``(n, h)``) of the
    periods at positions ``start, start + 1, ...``; ``X_future`` their regressors."""
    values = np.asarray(values, float)
    h = values.shape[-1]
    add = np.zeros(h) + adj.regressors(X_future)
    if not own_season:
        add = add + adj.seasonal(np.arange(start, start + h))
    return values + add
