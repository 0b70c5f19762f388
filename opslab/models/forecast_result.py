"""The results object of :mod:`opslab.models.forecast` (statsmodels style, read-only).

Example
-------
>>> from opslab.models.forecast import ForecastConfig, KPIForecaster
>>> y = pd.Series(np.arange(30.0), index=pd.date_range("2024-01-01", periods=30, freq="W-MON"))
>>> res = KPIForecaster(ForecastConfig(horizon=4, grain="week")).fit(y)
>>> res.summary_frame(alpha=0.5).shape
(4, 3)
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from opslab.core import periods
from opslab.core.calendar_cn import festival_regressors
from opslab.models.forecast_adjust import Adjustment, restore
from opslab.models.forecast_candidates import BASELINES, MODELS
from opslab.core.results import result_surface
from opslab.models.forecast_plausible import Plausibility, cap_paths

#: Shortest run checked against the history's best runs (:func:`cap_paths`), per grain.
MIN_RUN = {"day": 7}


@dataclass(frozen=True)
class FittedCandidate:
    """The chosen candidate fitted on all the history, with the effects taken out before it
    (:class:`~opslab.models.forecast_adjust.Adjustment`), whether it models the season
    itself, and the interval calibration factor of its backtest."""

    model: object
    name: str
    log: bool
    exog_cols: tuple = field(default_factory=tuple)
    adjustment: Adjustment | None = None
    own_season: bool = False
    scale: float = 1.0


@result_surface(frame=lambda r: r.summary_frame(alpha=1 - r.config.interval),
                as_of=lambda r: r.history.index[-1].date() if len(r.history) else None)
class ForecastResult:
    """A fitted forecast (returned by :meth:`KPIForecaster.fit` and :func:`forecast`).

    Read-only: properties return copies, sample paths are read-only arrays. Shareable across
    threads (simulation runs under a lock: statsmodels' ``simulate`` briefly mutates the
    model).

    Example
    -------
    >>> from opslab.models.forecast import ForecastConfig, KPIForecaster
    >>> res = KPIForecaster(ForecastConfig(horizon=4, grain="week")).fit(
    ...     pd.Series(np.arange(30.0), index=pd.date_range("2024-01-01", periods=30, freq="W-MON")))
    >>> res.summary_frame(alpha=0.5).index.freqstr
    'W-MON'
    """

    def __init__(self, config, y, fitted: FittedCandidate, backtest, problems, seconds):
        self._config, self._y, self._fitted = config, y, fitted
        self._backtest, self._problems, self._seconds = backtest, tuple(problems), seconds
        self._lock = threading.Lock()
        self._paths: dict = {}  # seeded, so the same request always gives the same paths
        self._checks: dict = {}  # the plausibility check of each cached set of paths

    config = property(lambda self: self._config, doc="The :class:`ForecastConfig` used.")
    model_name = property(lambda self: self._fitted.name, doc="Name of the chosen candidate.")
    problems = property(lambda self: self._problems,
                        doc="Problems (i18n codes, :class:`opslab.core.problems.Problem`) met.")
    fit_seconds = property(lambda self: self._seconds, doc="Wall time of backtest + fit.")
    history = property(lambda self: self._y.copy(), doc="The series the result was fitted on.")

    @property
    def backtest(self) -> pd.DataFrame:
        """One row per candidate and fold: model, fold, origin (first forecast period),
        festival (whether the fold's window holds a festival), smape (percent), mase."""
        return self._backtest.copy()

    @property
    def backtest_summary(self) -> pd.DataFrame:
        """Every candidate's mean sMAPE and MASE over the folds (index: model, best MASE
        first), with ``baseline`` and ``chosen`` flags: all candidates, not only the winner."""
        cols = ["smape", "mase", "folds", "baseline", "chosen"]
        if self._backtest.empty:
            return pd.DataFrame(columns=cols)
        g = self._backtest.groupby("model")
        out = g[["smape", "mase"]].mean().assign(folds=g.size())
        out["baseline"] = out.index.isin(BASELINES)
        out["chosen"] = out.index == self.model_name
        order = sorted(out.index, key=lambda mm: (out.loc[mm, "mase"], MODELS.index(mm)))
        return out.loc[order, cols]

    def future_index(self, h=None) -> pd.DatetimeIndex:
        """Labels of the next ``h`` periods (default the configured horizon)."""
        h = self._config.horizon if h is None else int(h)
        return periods.future_index(self._y.index, h, self._config.grain)

    @property
    def interval_scale(self) -> float:
        """The factor the paths' spread was widened (> 1) or narrowed by so that the central
        interval covers its share of the backtest's held-out periods."""
        return self._fitted.scale

    def _design(self, index, exog_future):
        parts = [festival_regressors(index, self._config.grain)] if self._config.calendar else []
        if self._fitted.exog_cols:
            if exog_future is None:
                raise ValueError("exog_future is required: the model was fitted with exog")
            ex = pd.DataFrame(exog_future)
            if isinstance(ex.index, pd.DatetimeIndex) and index.isin(ex.index).all():
                ex = ex.reindex(index)
            elif len(ex) >= len(index):
                ex = ex.iloc[:len(index)].set_axis(index)
            else:
                raise ValueError(f"exog_future covers {len(ex)} periods, {len(index)} needed")
            parts.append(ex[list(self._fitted.exog_cols)].astype(float))
        return pd.concat(parts, axis=1).to_numpy(float) if parts else None

    def sample_paths(self, h=None, n=None, exog_future=None) -> np.ndarray:
        """Simulated future paths, shape ``(n, h)``, on the original scale (seeded, read-only)."""
        index = self.future_index(h)
        X = self._design(index, exog_future)
        n = self._config.n_paths if n is None else int(n)
        if len(index) == 0:
            return np.empty((n, 0))
        digest = None if X is None else hashlib.sha1(np.ascontiguousarray(X, "float64")).hexdigest()
        key = (len(index), n, digest)
        with self._lock:
            if key not in self._paths:
                rng = np.random.default_rng(self._config.seed)
                with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
                    warnings.simplefilter("ignore")
                    raw = self._fitted.model.paths(len(index), n, rng)
                f = self._fitted
                if f.adjustment is not None:
                    raw = restore(raw, X, f.adjustment, len(self._y), f.own_season)
                p = widened(raw, f.scale, f.log, self._y)
                p, self._checks[key] = cap_paths(p, self._y, min_run=MIN_RUN.get(self._config.grain, 1))
                p.setflags(write=False)
                self._paths[key] = p
                while len(self._paths) > 16:
                    self._checks.pop(old := next(iter(self._paths)), None)
                    self._paths.pop(old)
            return self._paths[key]

    def plausibility(self, h=None, exog_future=None, within: int | None = None) -> Plausibility:
        """The check of the paths of the next ``h`` periods against the best runs of the
        history (:func:`opslab.models.forecast_plausible.cap_paths`), summarised over their
        first ``within`` periods (default all ``h``)."""
        index = self.future_index(h)
        if len(index) == 0:
            return Plausibility(0, float("nan"), float("nan"), float("nan"), 0.0)
        self.sample_paths(h, exog_future=exog_future)
        X = self._design(index, exog_future)
        digest = None if X is None else hashlib.sha1(np.ascontiguousarray(X, "float64")).hexdigest()
        with self._lock:
            trace = self._checks[(len(index), self._config.n_paths, digest)]
        return trace.at(len(index) if within is None else min(int(within), len(index)))

    def forecast(self, h=None, exog_future=None) -> pd.Series:
        """Point forecast (mean of the sample paths) of the next ``h`` periods, by label."""
        p = self.sample_paths(h, exog_future=exog_future)
        return pd.Series(p.mean(axis=0), index=self.future_index(h), name="mean")

    def summary_frame(self, h=None, alpha: float | None = None, exog_future=None) -> pd.DataFrame:
        """Mean and the central ``1 - alpha`` prediction interval of the next ``h`` periods.

        ``alpha`` defaults to ``1 - config.interval``; the bounds are the ``alpha/2`` and
        ``1 - alpha/2`` quantiles of the sample paths at each period.
        Columns ``mean``, ``mean_ci_lower``, ``mean_ci_upper`` (as statsmodels names them).
        """
        alpha = 1 - self._config.interval if alpha is None else float(alpha)
        if not 0 < alpha < 1:
            raise ValueError("alpha must be in (0, 1)")
        p = self.sample_paths(h, exog_future=exog_future)
        lo, hi = (np.quantile(p, [alpha / 2, 1 - alpha / 2], axis=0) if p.shape[1]
                  else (np.empty(0), np.empty(0)))
        return pd.DataFrame({"mean": p.mean(axis=0), "mean_ci_lower": lo, "mean_ci_upper": hi},
                            index=self.future_index(h))


def back_transform(p, log, y):
    if log:
        # A simulated period may reach at most 3x the best one observed: bootstrapped log
        # changes on a sparse (mostly zero) series otherwise compound into paths 100x the
        # history, and the mean of the paths, the headline forecast, follows them.
        cap = np.log1p(3.0 * max(float(y.max()), 0.0))
        p = np.expm1(np.minimum(p, cap))
    return np.maximum(p, 0.0) if y.min() >= 0 else p


def widened(p, scale: float, log: bool, y) -> np.ndarray:
    """Paths ``p`` (transformed scale) widened by ``scale`` around their median and
    back-transformed, each period's mean kept at that of the paths before widening.

    Widening on the log scale alone raised the mean of the paths, the point forecast: on
    Olist's daily GMV a factor of 1.45 put the mean of recent days 20 % above the plain mean
    of those days. The interval widens; the forecast does not move (non-negative series are
    rescaled, others shifted).

    >>> p = np.log1p(np.array([[50.0], [100.0], [200.0]]))
    >>> w = widened(p, 2.0, True, pd.Series([500.0]))
    >>> round(float(w.mean()), 6) == round(float(np.expm1(p).mean()), 6), float(np.ptp(w)) > 150
    (True, True)
    """
    med = np.median(p, axis=0)
    out = back_transform(med + scale * (p - med), log, y)
    if scale == 1.0 or out.shape[1] == 0:
        return out
    before, after = back_transform(p, log, y).mean(axis=0), out.mean(axis=0)
    if y.min() >= 0:
        return out * np.divide(before, after, out=np.ones_like(after), where=after > 0)
    return out + (before - after)
