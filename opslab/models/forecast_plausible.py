"""Plausibility of a forecast against the series' own history, checked before anything is
stated: the next ``L`` periods cannot be forecast far beyond the best run of ``L``
consecutive periods ever seen.

For every path and every length ``L`` from the first forecast period, the path's total over
its first ``L`` periods is compared with :data:`FACTOR` times the best total of ``L``
consecutive periods in the history (for ``L`` longer than the history: the best
whole-history total scaled to ``L``). A path that passes any of these limits is scaled down
until it meets them all; the share of paths scaled and the forecast before scaling are kept
in a :class:`Plausibility`, so a screen can say why the forecast stops there. Runs shorter than a week of days are not checked (``min_run``). Scaling whole
daily paths keeps every coarser grain summed from them coherent.

Example
-------
>>> hist = pd.Series([1.0, 2.0, 1.0, 2.0])
>>> capped, check = cap_paths(np.array([[10.0, 10.0], [1.0, 1.0]]), hist)
>>> capped[0].tolist(), check.best_run, round(check.share_capped, 2)
([1.875, 1.875], 3.0, 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: How far above the best run of the same length a forecast may go (1.25: a quarter more).
FACTOR = 1.25


@dataclass(frozen=True)
class Plausibility:
    """The check of a forecast's whole horizon: ``periods`` checked, the best total of that
    many consecutive periods in the history (``best_run``), the ``limit`` (``FACTOR`` times
    it), the mean total the model gave before scaling (``forecast_before``) and the share
    of paths scaled down to the limits."""

    periods: int
    best_run: float
    limit: float
    forecast_before: float
    share_capped: float

    @property
    def capped(self) -> bool:
        """Whether the model's own forecast was brought down (more than 1 % of the paths)."""
        return self.share_capped > 0.01


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
    runs times ``factor``, and the :class:`Plausibility` of the whole horizon. Runs shorter
    than ``min_run`` periods are not checked (a single day may peak; a week of days may not
    pass its best week by far). Series with negative values or no positive history are
    returned as they are."""
    p = np.asarray(paths, float)
    y = pd.Series(history, dtype=float).to_numpy()
    h = p.shape[1]
    before = float(p.sum(axis=1).mean()) if h else float("nan")
    if h == 0 or len(y) == 0 or y.min() < 0 or p.min() < 0 or y.max() <= 0:
        return p, Plausibility(h, float("nan"), float("nan"), before, 0.0)
    best = best_runs(y, h)
    limit = factor * best
    cum = np.cumsum(p, axis=1)
    ratio = np.divide(limit[None, :], cum, out=np.full_like(cum, np.inf), where=cum > 0)
    ratio[:, :max(0, min(int(min_run), h) - 1)] = np.inf
    scale = np.minimum(1.0, ratio.min(axis=1))
    out = p * scale[:, None]
    return out, Plausibility(h, float(best[-1]), float(limit[-1]), before,
                             float(np.mean(scale < 1.0)))
