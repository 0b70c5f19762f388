"""KPI forecasting: baselines and models compared by a rolling-origin backtest.

``KPIForecaster(config).fit(y)`` backtests every candidate of
:mod:`opslab.models.forecast_candidates` (mean, drift and seasonal naive baselines; ETS,
Theta, ARIMA and their combination) and keeps the plain mean unless another beats it clearly
(:func:`~opslab.models.forecast_candidates.choose`). The calendar, campaign regressors and the
weekday profile are taken out first and put back on the forecast
(:mod:`opslab.models.forecast_adjust`), so every candidate carries Double 11. The chosen candidate's interval is widened until it covers its
share of the backtest (:mod:`opslab.models.forecast_calibration`) and its paths are held to
what the history makes plausible (:mod:`opslab.models.forecast_plausible`). It returns a
:class:`ForecastResult`, a read-only results object in the statsmodels style:
``forecast(h)`` for the point forecast, ``summary_frame(alpha=...)`` for the interval at the
``alpha`` asked, ``sample_paths`` for odds of hitting a target (:func:`prob_at_least`).
Candidates are fitted on ``log1p(y)`` for non-negative series (``ForecastConfig.log_transform``)
when the mean's backtest is no worse there; forecasts are means of paths on the original scale.

:func:`forecast` fits a KPI once, by day (:func:`daily_result`, memoised on the data set), and
shows it at any grain (:class:`~opslab.models.forecast_grains.GrainForecastResult`): the Forecast
page, the Targets screen, the report and the digest read that one fit. With ``market="CN"``
(the default when the data's currency is CNY, see :func:`forecast`)
the Chinese commerce calendar (:func:`opslab.core.calendar_cn.festival_regressors`) is used, and
when the history holds a festival one backtest fold is placed on it, so the choice is tested
where forecasts matter most.

Example
-------
>>> idx = pd.date_range("2024-01-01", periods=120, freq="D")
>>> y = pd.Series(100 + 10 * (idx.day_of_week >= 5), index=idx, dtype=float)
>>> res = KPIForecaster(ForecastConfig(horizon=14, grain="day")).fit(y)
>>> res.summary_frame(alpha=0.1).columns.tolist()
['mean', 'mean_ci_lower', 'mean_ci_upper']
>>> len(res.forecast(7))
7
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from opslab.core import periods
from opslab.core.calendar_cn import festival_regressors, has_festival
from opslab.metrics.kpi_series import agg_of, kpi_series
from opslab.models import forecast_candidates as cands
from opslab.models.forecast_adjust import adjusted, fit_adjustment, restore
from opslab.models.forecast_calibration import calibrate
from opslab.models.forecast_candidates import BASELINES, COMBO, MIN_LENGTH, MODELS, OWN_SEASON, mase, smape
from opslab.models.forecast_grains import GrainForecastResult, __getattr__  # noqa: F401 (GrainForecast, one release)
from opslab.models.forecast_result import ForecastResult, back_transform, FittedCandidate
from opslab.core.problems import INFO, WARNING, Problem

__all__ = ["ForecastConfig", "ForecastResult", "GrainForecastResult", "KPIForecaster", "forecast",
           "daily_config", "daily_result", "prob_at_least",
           "regularize", "smape", "mase", "MODELS", "BASELINES"]
MIN_TRAIN = 10  # shortest training window of a backtest fold
MARKETS = ("CN", None)
#: The daily fit behind every grain: its horizon (days) and backtest window (days).
DAILY_HORIZON, DAILY_BACKTEST = 366, 28


@dataclass(frozen=True)
class ForecastConfig:
    """Settings of :class:`KPIForecaster`.

    ``grain`` is one of :data:`opslab.core.periods.GRAINS` (the series' periods).
    ``backtest_horizon=None`` means ``min(horizon, 28)`` for days and ``min(horizon, 13)``
    otherwise; ``backtest_folds=0`` skips the backtest and uses the first entry of
    ``models``. ``market="CN"`` applies the Chinese calendar (regressors and a festival
    fold); ``None`` applies none. ``interval`` is the default coverage of
    :meth:`ForecastResult.summary_frame`.
    """

    horizon: int = 13
    grain: str = "week"
    models: tuple = MODELS
    backtest_folds: int = 3
    backtest_horizon: int | None = None
    interval: float = 0.8
    n_paths: int = 1000
    seed: int = 0
    log_transform: bool = True
    market: str | None = "CN"

    def __post_init__(self):
        periods.check_grain(self.grain)
        if self.market not in MARKETS:
            raise ValueError(f"market must be one of {MARKETS}")
        unknown = set(self.models) - set(MODELS)
        if unknown:
            raise ValueError(f"unknown models {sorted(unknown)}")

    @property
    def freq(self) -> str:
        return periods.FREQ[self.grain]

    @property
    def calendar(self) -> bool:
        return self.market == "CN"


def regularize(series: pd.Series, grain: str = "day") -> pd.Series:
    """Sum ``series`` per period of ``grain`` (labels as in :mod:`opslab.core.periods`) and fill
    periods without data with 0 (counts).

    >>> days = pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-03"])
    >>> regularize(pd.Series([1.0, 2.0, 5.0], index=days)).tolist()
    [3.0, 0.0, 5.0]
    """
    s = pd.Series(series, dtype=float).copy()
    s.index = periods.period_starts(s.index, grain)
    s = s.groupby(level=0).sum()
    full = pd.date_range(s.index.min(), s.index.max(), freq=periods.FREQ[grain])
    return s.reindex(full, fill_value=0.0).astype(float)


def _season(grain: str, n: int) -> int:
    m = periods.SEASON[grain]
    return m if n >= 2 * m else 1


def prob_at_least(paths: np.ndarray, target: float, agg: str = "sum") -> float:
    """Share of sample paths whose total (``agg="sum"``) or mean (``"mean"``) reaches ``target``.

    >>> prob_at_least(np.array([[1.0, 2.0], [3.0, 4.0]]), 5.0)
    0.5
    """
    paths = np.atleast_2d(np.asarray(paths, float))
    if agg not in ("sum", "mean"):
        raise ValueError(f"agg must be 'sum' or 'mean', not {agg!r}")
    totals = paths.sum(axis=1) if agg == "sum" else paths.mean(axis=1)
    return float(np.mean(totals >= target))


class KPIForecaster:
    """Backtest every candidate, keep the best mean MASE (baselines win ties), refit on all.

    Parameters
    ----------
    config : ForecastConfig

    Example
    -------
    >>> y = pd.Series(np.random.default_rng(0).normal(100, 10, 40),  # noise around a level
    ...               index=pd.date_range("2024-01-01", periods=40, freq="W-MON"))
    >>> KPIForecaster(ForecastConfig(horizon=4, models=("mean", "drift"))).fit(y).model_name
    'mean'
    """

    def __init__(self, config: ForecastConfig = ForecastConfig()):
        self.config = config

    def fit(self, y: pd.Series, exog: pd.DataFrame | None = None) -> ForecastResult:
        """Backtest, choose and refit on all of ``y`` (regular periods of ``config.grain``,
        see :func:`regularize`). ``exog``: extra regressors by period (their effects are
        taken out before every candidate and put back on its forecast)."""
        # The state-space matrices are tiny: multi-threaded BLAS only spins, and under CPU
        # contention it made fitting 5-10x slower (measured), so fit single-threaded.
        with threadpool_limits(1, user_api="blas"):
            return self._fit(y, exog)

    def _fit(self, y, exog):
        start, cfg = time.perf_counter(), self.config
        y = pd.Series(y, dtype=float)
        y.index = pd.DatetimeIndex(y.index)
        if len(y) == 0:
            raise ValueError("cannot forecast an empty series")
        if not periods.is_regular(y.index, cfg.grain) or y.isna().any():
            raise ValueError(f"series must be regular {cfg.grain}s; use regularize()")
        y.index = pd.date_range(y.index[0], periods=len(y), freq=cfg.freq)
        problems: list[Problem] = []
        log = cfg.log_transform and y.min() >= 0
        if cfg.log_transform and not log:
            problems.append(Problem("forecast.warn.no_log", INFO))
        yt = np.log1p(y.to_numpy()) if log else y.to_numpy()
        X, exog_cols = self._design(y.index, exog)
        n, season = len(y), periods.SEASON[cfg.grain]
        names = [mm for mm in cfg.models if n >= MIN_LENGTH[mm]]
        if np.ptp(yt) == 0:
            names = [mm for mm in names if mm in BASELINES] or ["mean"]
            problems.append(Problem("forecast.warn.constant", INFO))
        if season > 1 and n < 3 * season:
            problems.append(Problem("forecast.warn.short_series", INFO, params={"n": n}))
        names = names or ["mean"]
        if log and "mean" in names:  # the scale is chosen by the mean's backtest (log on ties)
            on_log, on_raw = (self._backtest(y, v, X, lg, ["mean"], [])["mase"].mean() for v, lg in ((yt, True), (y.to_numpy(), False)))
            if on_raw < on_log:
                log, yt = False, y.to_numpy()
                problems.append(Problem("forecast.note.raw_scale", INFO, params={"log": round(on_log, 3), "raw": round(on_raw, 3)}))
        backtest = self._backtest(y, yt, X, log, names, problems)
        if backtest.empty:
            order = [names[0]]
            if cfg.backtest_folds > 0:
                problems.append(Problem("forecast.warn.no_backtest", INFO, params={"n": n}))
        else:
            order, kept = cands.choose(backtest, names)  # the plain mean unless beaten clearly
            problems += [Problem("forecast.note.mean_kept", INFO, params=kept)] if kept else []
        m = _season(cfg.grain, n)
        adj = fit_adjustment(yt, X, m)
        fitted = None
        for name in [*order, "mean"]:
            own = name in OWN_SEASON
            start_at = getattr(self, "_arima_start", None)
            model = self._fit_one(name, adjusted(yt, X, adj, own), m, problems,
                                  None if start_at is None else {"start": start_at})
            if model is not None:
                scale = self._calibrate(name, y, yt, log)
                fitted = FittedCandidate(model, name, log, tuple(exog_cols), adj, own, scale)
                break
        self._folds = {}
        return ForecastResult(cfg, y, fitted, backtest, problems, time.perf_counter() - start)

    def _design(self, index, exog):
        parts = [festival_regressors(index, self.config.grain)] if self.config.calendar else []
        cols = []
        if exog is not None:
            ex = pd.DataFrame(exog).reindex(index).astype(float)
            if ex.isna().any().any():
                raise ValueError("exog must cover every period of the series without NaN")
            parts.append(ex)
            cols = list(ex.columns)
        X = pd.concat(parts, axis=1).to_numpy(float) if parts else None
        return X, cols

    def _fit_one(self, name, yt, m, problems, arima=None):
        if name in BASELINES:  # closed forms: nothing to fail
            return cands.make(name, yt, m, None, self.config.grain)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fitted = cands.make(name, yt, m, None, self.config.grain, arima)
                if not np.all(np.isfinite(fitted.mean(2))):
                    raise ValueError("non-finite forecast")
            except Exception as exc:  # statsmodels raises many types on degenerate data
                fitted = None
                problems.append(Problem("forecast.warn.model_failed", WARNING,
                                        params={"model": name, "detail": str(exc)[:200]}))
        seen = {(p.code, p.params.get("model"), p.params.get("detail")) for p in problems}
        for w in caught:
            code = ("forecast.warn.convergence" if issubclass(w.category, ConvergenceWarning)
                    else "forecast.warn.model_warning")
            key = (code, name, str(w.message)[:200])
            if key not in seen:
                seen.add(key)
                problems.append(Problem(code, INFO, params={"model": name, "detail": key[2]}))
        return fitted

    def fold_origins(self, index: pd.DatetimeIndex) -> tuple[list[int], int]:
        """First forecast position of each backtest fold and the fold length.

        The last ``folds`` windows of ``bh`` periods before the end; with the Chinese
        calendar, when none of them holds a festival but the history has one after
        :data:`MIN_TRAIN` periods, the earliest fold moves onto the latest such festival.
        """
        cfg, n = self.config, len(index)
        bh = cfg.backtest_horizon or min(cfg.horizon, 28 if cfg.grain == "day" else 13)
        folds = min(cfg.backtest_folds, max(0, (n - MIN_TRAIN) // max(bh, 1)))
        if folds == 0 and cfg.backtest_folds > 0:  # too short for full folds: one shorter fold
            folds, bh = 1, min(bh, n - MIN_TRAIN)
        if bh < 1 or folds == 0:
            return [], 0
        origins = [n - (folds - k) * bh for k in range(folds)]
        if cfg.calendar:
            fest = np.flatnonzero(has_festival(index, cfg.grain))
            fest = fest[fest >= MIN_TRAIN]
            covered = any(o <= p < o + bh for o in origins for p in fest)
            if len(fest) and not covered:
                p = int(fest[-1])
                origins[0] = int(min(max(MIN_TRAIN, p - bh // 2), n - bh))
        return sorted(set(origins)), bh

    def _backtest(self, y, yt, X, log, names, problems) -> pd.DataFrame:
        """Every candidate on every fold; the fold fits are kept for :meth:`_calibrate`."""
        cfg = self.config
        origins, bh = self.fold_origins(y.index)
        fest = has_festival(y.index, cfg.grain) if cfg.calendar else np.zeros(len(y), bool)
        values = y.to_numpy()
        rows, self._folds = [], {}
        # ARIMA is estimated on the earliest fold only; later folds filter with its
        # parameters (never estimated on their future) and the final fit starts from them
        arima_params = self._arima_start = None
        for fold, origin in enumerate(origins):
            m = _season(cfg.grain, origin)
            actual = values[origin:origin + bh]
            Xo, Xf = (None, None) if X is None else (X[:origin], X[origin:origin + bh])
            adj = fit_adjustment(yt[:origin], Xo, m)
            fits = {}
            for name in [mm for mm in MODELS if mm in names]:
                if origin < MIN_LENGTH[name]:
                    continue
                own = name in OWN_SEASON
                if name == "combo":
                    members = [fits.get(mm) for mm in COMBO]
                    fitted = None if any(mm is None for mm in members) else cands.Combo(members)
                else:
                    reuse = {"params": arima_params} if name == "arima" and arima_params is not None else None
                    fitted = self._fit_one(name, adjusted(yt[:origin], Xo, adj, own), m, problems,
                                           reuse)
                    if name == "arima" and fitted is not None and arima_params is None:
                        arima_params = self._arima_start = fitted.params
                fits[name] = fitted
                row = [name, fold, y.index[origin], bool(fest[origin:origin + bh].any())]
                if fitted is None:
                    rows.append(row + [np.nan, np.inf])
                    continue
                self._folds.setdefault(name, []).append((origin, bh, adj, fitted, Xf, own))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    raw = restore(fitted.mean(bh), Xf, adj, origin, own)
                    pred = back_transform(raw, log, pd.Series(values[:origin]))
                rows.append(row + [smape(actual, pred), mase(actual, pred, values[:origin], m)])
        return pd.DataFrame(rows, columns=["model", "fold", "origin", "festival", "smape", "mase"])

    def _calibrate(self, name, y, yt, log, n_paths: int = 200) -> float:
        """The interval factor of the chosen candidate from its backtest folds
        (:func:`opslab.models.forecast_calibration.calibrate`)."""
        folds = getattr(self, "_folds", {}).get(name, [])
        if not folds:
            return 1.0
        rng = np.random.default_rng(self.config.seed)
        values = y.to_numpy()
        runs = []
        with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
            warnings.simplefilter("ignore")
            for origin, bh, adj, fitted, Xf, own in folds:
                p = restore(fitted.paths(bh, n_paths, rng), Xf, adj, origin, own)
                runs.append((p, values[origin:origin + bh], pd.Series(values[:origin])))
        return calibrate(runs, log, self.config.interval)


def default_market(ds) -> str | None:
    """``"CN"`` when the data set's currency is CNY (the market the user chose or the data
    showed), else None: never China by default.

    >>> default_market(type("D", (), {"currency": "USD"})()), default_market(object())
    (None, None)
    """
    return "CN" if str(getattr(ds, "currency", "") or "").upper() == "CNY" else None


def daily_config(ds=None, **config) -> ForecastConfig:
    """The config of a KPI's one daily fit: :data:`DAILY_HORIZON` days, a
    :data:`DAILY_BACKTEST`-day backtest, the market of the data set (:func:`default_market`)
    unless ``market`` is given; any other :class:`ForecastConfig` field may be set."""
    config.setdefault("market", default_market(ds))
    config.setdefault("horizon", DAILY_HORIZON)
    config["backtest_horizon"] = config.get("backtest_horizon") or DAILY_BACKTEST  # None: unset
    return ForecastConfig(**{**config, "grain": "day"})


def daily_result(ds, series: str, y: pd.Series, cfg: ForecastConfig) -> ForecastResult:
    """The daily forecast of ``y`` (the series ``series`` of the data set, up to its last
    day), fitted once per data set, series, last day and config (memoised on ``ds``): the
    Forecast page, targets, the report and the digest all read this one fit."""
    key = ("kpi_forecast", series, pd.Timestamp(y.index[-1]), repr(cfg))
    return ds.memo(key, lambda: KPIForecaster(cfg).fit(y))


def forecast(ds, kpi: str = "gmv", grain: str = "week", horizon: int = 13,
             **config) -> GrainForecastResult:
    """Forecast a KPI of a data set ``horizon`` periods of ``grain`` ahead.

    The KPI is forecast once, by day (:func:`daily_result`); ``grain`` only changes how the
    daily sample paths are summed (or averaged) per period, so every grain agrees
    (:mod:`opslab.models.forecast_grains`).

    Parameters
    ----------
    ds : Dataset
    kpi : str
        One of :data:`opslab.metrics.kpi_series.KPIS` (gmv, dau, new_users, paying_users, orders).
    grain : str
        One of :data:`opslab.core.periods.GRAINS` (day, week, month, quarter).
    horizon : int
        Periods ahead, counting the period that holds the first forecast day.
    **config
        Any other :class:`ForecastConfig` field of the daily fit; ``market`` defaults to
        :func:`default_market` (the Chinese calendar for CNY data).

    Returns
    -------
    GrainForecastResult

    Example
    -------
    >>> import opslab.dataset.load as load
    >>> res = forecast(load.load_sample(), "gmv", "week", horizon=4)
    >>> res.summary_frame(alpha=0.2).shape
    (4, 3)
    """
    periods.check_grain(grain)
    agg = agg_of(kpi)
    y = kpi_series(ds, kpi, "day")
    return GrainForecastResult(daily_result(ds, kpi, y, daily_config(ds, **config)), grain,
                               int(horizon), agg)
