"""One forecast per KPI: the daily forecast seen by day, week, month or quarter.

A KPI is forecast once, by day (:class:`~opslab.models.forecast.KPIForecaster` on the daily
series, the model chosen by its rolling-origin backtest, memoised on the data set); every
coarser view sums (money, counts) or averages (DAU, paying users per day) the *same* daily
sample paths over each period's days. A quarter's total is therefore the same whichever grain
a screen shows, and the odds of a target come from the same paths as the chart.

The first future period may have begun: its value is the days already seen plus the
forecast of the rest (a week that ends two days after the data adds two forecast days to five
actual ones). History shows complete periods only.

Example
-------
>>> from opslab.dataset.load import load_sample
>>> from opslab.models.forecast import forecast
>>> ds = load_sample()
>>> q = forecast(ds, "gmv", "quarter", horizon=1)
>>> m = forecast(ds, "gmv", "month", horizon=3)
>>> q.model_name == m.model_name
True
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from opslab.core import periods
from opslab.core.results import old_names, result_surface


def shared_paths(daily, n_days: int) -> np.ndarray:
    """The first ``n_days`` of the daily result's paths over its whole configured horizon (at
    least ``n_days``): every view and target slices one simulation, so they agree exactly."""
    return daily.sample_paths(max(int(daily.config.horizon), int(n_days)))[:, :int(n_days)]


@result_surface(frame=lambda r: r.summary_frame(alpha=1 - r.config.interval),
                as_of=lambda r: r._days.index[-1].date() if len(r._days) else None)
class GrainForecastResult:
    """The daily result ``daily`` seen by ``grain``, ``horizon`` periods ahead (the
    statsmodels-style read-only interface of :class:`~opslab.models.forecast.ForecastResult`:
    ``forecast``, ``summary_frame``, ``sample_paths``, ``backtest_summary`` ...).

    ``actuals``: the daily series the forecast was fitted on (its history); ``agg`` "sum" or
    "mean" (:func:`opslab.metrics.kpi_series.agg_of`).
    """

    def __init__(self, daily, grain: str, horizon: int, agg: str = "sum"):
        periods.check_grain(grain)
        if agg not in ("sum", "mean"):
            raise ValueError(f"agg must be 'sum' or 'mean', not {agg!r}")
        self.daily, self.grain, self.agg = daily, grain, agg
        self._horizon = int(horizon)
        days = daily.history
        self._days = days
        self._first = days.index[-1] + pd.Timedelta(days=1)
        self._config = dataclasses.replace(daily.config, grain=grain, horizon=self._horizon)

    config = property(lambda self: self._config, doc="The daily config with this grain and horizon.")
    model_name = property(lambda self: self.daily.model_name)
    problems = property(lambda self: self.daily.problems)
    fit_seconds = property(lambda self: self.daily.fit_seconds)
    backtest = property(lambda self: self.daily.backtest)
    backtest_summary = property(lambda self: self.daily.backtest_summary)
    interval_scale = property(lambda self: self.daily.interval_scale)

    @property
    def history(self) -> pd.Series:
        """Complete periods of the daily history, summed or averaged."""
        if self.grain == "day":
            return self._days.copy()
        return periods.aggregate(self._days, self.grain, self.agg)

    def future_index(self, h=None) -> pd.DatetimeIndex:
        """The ``h`` periods from the one holding the first forecast day."""
        h = self._horizon if h is None else int(h)
        first = periods.period_start(self._first, self.grain)
        labels = [first]
        for _ in range(h - 1):
            labels.append(periods.shift(labels[-1], self.grain, 1))
        idx = pd.DatetimeIndex(labels[:h])
        return idx if self.grain != "day" else pd.DatetimeIndex(idx, freq="D")

    def _layout(self, h):
        index = self.future_index(h)
        if len(index) == 0:
            return index, np.zeros(0, int), 0
        end = periods.period_end(index[-1], self.grain)
        n_days = (end - self._first).days + 1
        days = pd.date_range(self._first, periods=n_days, freq="D")
        return index, periods.period_starts(days, self.grain), n_days

    def daily_paths(self, h=None) -> tuple[np.ndarray, pd.DatetimeIndex]:
        """The daily sample paths behind the ``h`` periods and their days."""
        n_days = self._layout(h)[2]
        return shared_paths(self.daily, n_days), pd.date_range(self._first, periods=n_days)

    def sample_paths(self, h=None, n=None, exog_future=None) -> np.ndarray:
        """Per-path values of each period, shape ``(n_paths, h)`` (read-only): the sum (or
        mean over the period's days) of the daily paths plus the days already seen."""
        index, starts, n_days = self._layout(h)
        paths = shared_paths(self.daily, n_days)
        out = np.empty((paths.shape[0], len(index)))
        for j, label in enumerate(index):
            cols = np.flatnonzero(starts == label)
            total = paths[:, cols].sum(axis=1)
            seen = self._days[(self._days.index >= label)]
            total = total + float(seen.sum())
            if self.agg == "mean":
                total = total / (len(cols) + len(seen))
            out[:, j] = total
        out.setflags(write=False)
        return out

    def days_seen(self, h=None) -> pd.Series:
        """Per future period, how many of its days are already in the data."""
        index = self.future_index(h)
        return pd.Series([int((self._days.index >= lab).sum()) if j == 0 else 0
                          for j, lab in enumerate(index)], index=index)

    def plausibility(self, h=None, exog_future=None):
        """The daily forecast's check against the history's best runs over the days up to
        the end of the ``h`` periods (:class:`~opslab.models.forecast_plausible.Plausibility`;
        its totals are forecast days only, without the days already seen)."""
        n_days = self._layout(h)[2]
        return self.daily.plausibility(max(int(self.daily.config.horizon), n_days), within=n_days)

    def forecast(self, h=None, exog_future=None) -> pd.Series:
        """Mean of the per-path period values (means add up: coherent across grains)."""
        return pd.Series(self.sample_paths(h).mean(axis=0), index=self.future_index(h), name="mean")

    def summary_frame(self, h=None, alpha: float | None = None, exog_future=None) -> pd.DataFrame:
        """``mean``, ``mean_ci_lower``, ``mean_ci_upper`` per period (central ``1 - alpha``)."""
        alpha = 1 - self._config.interval if alpha is None else float(alpha)
        if not 0 < alpha < 1:
            raise ValueError("alpha must be in (0, 1)")
        p = self.sample_paths(h)
        lo, hi = (np.quantile(p, [alpha / 2, 1 - alpha / 2], axis=0) if p.shape[1]
                  else (np.empty(0), np.empty(0)))
        return pd.DataFrame({"mean": p.mean(axis=0), "mean_ci_lower": lo, "mean_ci_upper": hi},
                            index=self.future_index(h))

#: The result's old name keeps working for one release, with a DeprecationWarning.
__getattr__ = old_names(globals(), {"GrainForecast": "GrainForecastResult"})
