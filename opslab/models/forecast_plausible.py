"""Plausibility of a forecast against the series' own history, checked before anything is
stated: the next ``L`` periods cannot be forecast far beyond the best run of ``L``
consecutive periods ever seen.

For every path and every length ``L`` from the first forecast period, the path's total over
its first ``L`` periods is compared with :data:`FACTOR` times the best total of ``L``
consecutive periods in the history (for ``L`` longer than the history: the best
whole-history total scaled to ``L``). A path that passes any of these limits is scaled down
until it meets them all; the share of paths scaled and the forecast before scaling are kept
in a :class:`Trace` (:class:`Plausibility` for any number of periods), so a screen can say
why the forecast stops there. Runs shorter than a week of days are not checked (``min_run``). Scaling whole
daily paths keeps every coarser grain summed from them coherent.

Example
-------
>>> hist = pd.Series([1.0, 2.0, 1.0, 2.0])
>>> capped, trace = cap_paths(np.array([[10.0, 10.0], [1.0, 1.0]]), hist)
>>> capped[0].tolist(), trace.at(2).best_run, trace.at(2).share_capped, trace.at(2).forecast_before
([2.25, 2.25], 3.0, 0.5, 11.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: How far above the best run of the same length a forecast may go (1.5: half as much again).
FACTOR = 1.5


@dataclass(frozen=True)
class Plausibility:
    """The check of a forecast's first ``periods`` periods: the best total of that many
    consecutive periods in the history (``best_run``), the ``limit`` (``FACTOR`` times it),
    the mean total the model gave before the check (``forecast_before``) and the share of
    paths that passed a limit within those periods and were scaled down."""

    periods: int
    best_run: float
    limit: float
    forecast_before: float
    share_capped: float

    @property
    def capped(self) -> bool:
        """Whether the model's own forecast was brought down (more than 1 % of the paths)."""
        return self.share_capped > 0.01


@dataclass(frozen=True)
class Trace:
    """What :func:`cap_paths` saw, for every horizon: the best runs, the mean cumulative
    total before the check, and per path the first run length that passed its limit
    (``h + 1`` when none did)."""

    best: np.ndarray
    before: np.ndarray
    first_cross: np.ndarray
    factor: float = FACTOR

    def at(self, periods: int) -> Plausibility:
        """The :class:`Plausibility` of the first ``periods`` periods."""
        L = int(periods)
        if L < 1 or L > len(self.best) or not np.isfinite(self.best[L - 1]):
            return Plausibility(L, float("nan"), float("nan"),
                                float(self.before[L - 1]) if 0 < L <= len(self.before) else float("nan"),
                                0.0)
        return Plausibility(L, float(self.best[L - 1]), float(self.factor * self.best[L - 1]),
                            float(self.before[L - 1]), float(np.mean(self.first_cross <= L)))


def best_runs(history, h: int) -> np.ndarray:
    """Best total of ``L`` consecutive periods of ``history`` for ``L = 1..h``.

    >>> best_runs([1.0, 3.0, 2.0], 4).tolist()
    [3.0, 5.0, 6.0, 8.0]
    """
    y = np.asarray(history, float)
    n = len(y)
    c = np.concatenate([[0.0], np.cumsum(y)])
    out = np.empty(h)
    for L in range(1, min(h, n) + 1):
        out[L - 1] = np.max(c[L:] - c[:-L])
    if h > n:
        out[n:] = out[n - 1] * np.arange(n + 1, h + 1) / n
    return out


def cap_paths(paths, history, factor: float = FACTOR, min_run: int = 1):
    """``paths`` (``(n, h)``, original scale) scaled down where they pass the history's best
    runs times ``factor``, and the :class:`Trace` of the check. Runs shorter than
    ``min_run`` periods are not checked (a single day may peak; a week of days may not pass
    its best week by far). Series with negative values or no positive history are returned
    as they are."""
    p = np.asarray(paths, float)
    y = pd.Series(history, dtype=float).to_numpy()
    n, h = p.shape
    cum = np.cumsum(p, axis=1)
    before = cum.mean(axis=0) if n else np.full(h, np.nan)
    if h == 0 or len(y) == 0 or y.min() < 0 or p.min() < 0 or y.max() <= 0:
        return p, Trace(np.full(h, np.nan), before, np.full(n, h + 1), factor)
    best = best_runs(y, h)
    limit = factor * best
    ratio = np.divide(limit[None, :], cum, out=np.full_like(cum, np.inf), where=cum > 0)
    ratio[:, :max(0, min(int(min_run), h) - 1)] = np.inf
    over = ratio < 1.0
    first = np.where(over.any(axis=1), over.argmax(axis=1) + 1, h + 1)
    scale = np.minimum(1.0, ratio.min(axis=1))
    return p * scale[:, None], Trace(best, before, first, factor)
