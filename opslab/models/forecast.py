"""KPI series forecasting: seasonal naive, ETS and SARIMAX, chosen by a rolling-origin backtest.

``KPIForecaster(config).fit(y, exog)`` returns a :class:`ForecastResult` (statsmodels style).
All candidate models are fitted on ``log1p(y)`` (for non-negative series, see
``ForecastConfig.log_transform``); the forecast mean and the interval come from the same
simulated sample paths that :func:`prob_at_least` turns into odds of hitting a target.

Example
-------
>>> idx = pd.date_range("2024-01-01", periods=120, freq="D")
>>> y = pd.Series(100 + 10 * (idx.day_of_week >= 5), index=idx, dtype=float)
>>> res = KPIForecaster(ForecastConfig(horizon=14)).fit(y)
>>> res.forecast().shape
(14, 3)
"""

from __future__ import annotations

import hashlib
import threading
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.statespace.sarimax import SARIMAX
from threadpoolctl import threadpool_limits

from opslab.calendar_cn import festival_regressors
from opslab.i18n import t
from opslab.problems import INFO, WARNING, Problem

MODELS = ("seasonal_naive", "ets", "sarimax")
BASELINE = "seasonal_naive"
MIN_TRAIN = 10  # shortest training window of a backtest fold


@dataclass(frozen=True)
class ForecastConfig:
    """Settings of :class:`KPIForecaster`.

    ``backtest_horizon=None`` means ``min(horizon, 28)`` for daily data and
    ``min(horizon, 13)`` otherwise; ``backtest_folds=0`` skips the backtest and uses the first
    entry of ``models``. ``calendar`` adds :func:`opslab.calendar_cn.festival_regressors` to the
    SARIMAX regressors (daily or weekly data).
    """

    horizon: int = 90
    freq: str = "D"
    models: tuple = MODELS
    backtest_folds: int = 3
    backtest_horizon: int | None = None
    interval: float = 0.8
    n_paths: int = 1000
    seed: int = 0
    log_transform: bool = True
    calendar: bool = True


def regularize(series: pd.Series, freq: str = "D") -> pd.Series:
    """Sum ``series`` per period of ``freq`` and fill periods without data with 0 (counts).

    >>> days = pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-03"])
    >>> regularize(pd.Series([1.0, 2.0, 5.0], index=days)).tolist()
    [3.0, 0.0, 5.0]
    """
    s = pd.Series(series, dtype=float).copy()
    s.index = pd.DatetimeIndex(s.index)
    return s.sort_index().resample(freq).sum(min_count=0).astype(float).fillna(0.0)


def _step(freq: str):
    off = pd.tseries.frequencies.to_offset(freq)
    return pd.Timedelta(days=1) * off.n if off.rule_code == "D" else off


def _base_season(freq: str) -> int:
    name = pd.tseries.frequencies.to_offset(freq).rule_code
    return 7 if name == "D" else 52 if name.startswith("W") else 12 if name.startswith("M") else 1


def _season(freq: str, n: int) -> int:
    m = _base_season(freq)
    return m if n >= 2 * m else 1


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


class _SeasonalNaive:
    """y[t] = y[t - m] (+ bootstrapped, centred in-sample seasonal differences in the paths)."""

    def __init__(self, y, m, X=None):
        self.y, self.m = y, m
        diff = y[m:] - y[:-m]
        self.resid = diff - diff.mean() if len(diff) else np.zeros(1)

    def mean(self, h, X=None):
        return np.resize(self.y[-self.m:], h)

    def paths(self, h, n, rng, X=None):
        buf = np.empty((n, self.m + h))
        buf[:, : self.m] = self.y[-self.m:]
        shocks = rng.choice(self.resid, size=(n, h))
        for j in range(h):
            buf[:, self.m + j] = buf[:, j] + shocks[:, j]
        return buf[:, self.m:]


class _ETS:
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


class _Sarimax:
    """Airline model (1,1,1)(0,1,1,m) for m <= 12, else ARIMA(1,1,1); regressors as exog."""

    def __init__(self, y, m, X=None):
        self.cols = [] if X is None else [j for j in range(X.shape[1]) if np.ptp(X[:, j]) > 0]
        self.mu, self.sd = y.mean(), (y.std() or 1.0)
        seasonal = (0, 1, 1, m) if 1 < m <= 12 and len(y) >= 3 * m else (0, 0, 0, 0)
        self.res = SARIMAX(
            (y - self.mu) / self.sd, exog=self._x(X), order=(1, 1, 1), seasonal_order=seasonal,
            concentrate_scale=True,
        ).fit(disp=False, maxiter=200)

    def _x(self, X):
        return X[:, self.cols] if self.cols else None

    def mean(self, h, X=None):
        return self.mu + self.sd * np.asarray(self.res.forecast(h, exog=self._x(X)), float)

    def paths(self, h, n, rng, X=None):
        sim = self.res.simulate(h, anchor="end", repetitions=n, exog=self._x(X), rng=rng)
        return self.mu + self.sd * np.asarray(sim, float).reshape(h, n).T


_CLASSES = {"seasonal_naive": _SeasonalNaive, "ets": _ETS, "sarimax": _Sarimax}


def _min_length(name: str) -> int:
    return {"seasonal_naive": 1, "ets": 10, "sarimax": 20}[name]


class ForecastResult:
    """A fitted forecast (returned by :meth:`KPIForecaster.fit`); read-only.

    Example
    -------
    >>> res.forecast(28)                      # doctest: +SKIP
    >>> prob_at_least(res.sample_paths(90), 22e6)   # doctest: +SKIP
    """

    def __init__(self, config, y, fitted, model_name, backtest, design, exog_cols, log,
                 problems, seconds):
        self._config, self._y, self._fitted, self._name = config, y, fitted, model_name
        self._backtest, self._design, self._exog_cols = backtest, design, exog_cols
        self._log, self._problems, self._seconds = log, tuple(problems), seconds
        # statsmodels' simulate() briefly changes the fitted model's state: one result shared by
        # several sessions (ui.models) must simulate one call at a time.
        self._lock = threading.Lock()
        self._paths: dict = {}  # seeded, so the same request always gives the same paths

    config = property(lambda self: self._config)
    model_name = property(lambda self: self._name, doc="Name of the chosen model.")
    warnings_ = property(lambda self: self._problems,
                         doc="Problems (i18n codes, report.Problem) met while fitting.")
    fit_seconds = property(lambda self: self._seconds, doc="Wall time of fit + backtest.")

    @property
    def backtest(self) -> pd.DataFrame:
        """One row per model and fold: model, fold, smape (percent), mase."""
        return self._backtest.copy()

    @property
    def backtest_summary(self) -> pd.DataFrame:
        """Mean sMAPE and MASE per model (index: model), best MASE first."""
        if self._backtest.empty:
            return pd.DataFrame(columns=["smape", "mase"], dtype=float)
        out = self._backtest.groupby("model")[["smape", "mase"]].mean()
        return out.sort_values("mase", kind="stable")

    def _future(self, h, exog_future):
        h = self._config.horizon if h is None else int(h)
        index = pd.date_range(self._y.index[-1], periods=h + 1, freq=_step(self._config.freq))[1:]
        if self._name != "sarimax":
            return h, index, None
        # Prepend the last observed date so a one-step weekly index still knows its spacing.
        parts = [festival_regressors(self._y.index[-1:].append(index)).iloc[1:]
                 .set_axis(index)] if self._design else []
        if self._exog_cols:
            if exog_future is None:
                raise ValueError("exog_future is required: the model was fitted with exog")
            ex = pd.DataFrame(exog_future)
            if isinstance(ex.index, pd.DatetimeIndex) and index.isin(ex.index).all():
                ex = ex.reindex(index)
            elif len(ex) >= h:
                ex = ex.iloc[:h].set_axis(index)
            else:
                raise ValueError(f"exog_future covers {len(ex)} periods, {h} needed")
            parts.append(ex[self._exog_cols].astype(float))
        X = pd.concat(parts, axis=1).to_numpy(float) if parts else None
        return h, index, X

    def sample_paths(self, h=None, n=None, exog_future=None) -> np.ndarray:
        """Simulated future paths, shape ``(n, h)``, on the original scale (seeded)."""
        h, _, X = self._future(h, exog_future)
        n = self._config.n_paths if n is None else int(n)
        if h == 0:
            return np.empty((n, 0))
        key = (h, n, None if X is None else hashlib.sha1(np.ascontiguousarray(X, dtype="float64")).hexdigest())
        with self._lock:
            if key not in self._paths:
                rng = np.random.default_rng(self._config.seed)
                with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
                    warnings.simplefilter("ignore")
                    p = _back(self._fitted.paths(h, n, rng, X), self._log, self._y)
                p.setflags(write=False)  # shared: callers get a read-only array
                self._paths[key] = p
                while len(self._paths) > 16:
                    self._paths.pop(next(iter(self._paths)))
            return self._paths[key]

    def forecast(self, h=None, exog_future=None) -> pd.DataFrame:
        """Mean and central ``config.interval`` band of the sample paths, by future date."""
        h, index, _ = self._future(h, exog_future)
        p = self.sample_paths(h, exog_future=exog_future)
        a = (1 - self._config.interval) / 2
        return pd.DataFrame({"mean": p.mean(axis=0), "lower": np.quantile(p, a, axis=0),
                             "upper": np.quantile(p, 1 - a, axis=0)}, index=index)

    def summary(self, lang: str = "en") -> str:
        """A short text: chosen model, backtest means per model, warnings."""
        lines = [t("forecast.summary.chosen", lang, model=t(f"forecast.model.{self._name}", lang),
                   n=len(self._y), seconds=self._seconds)]
        summ = self.backtest_summary
        if summ.empty:
            lines.append(t("forecast.summary.no_backtest", lang))
        for name, row in summ.iterrows():
            lines.append(t("forecast.summary.model_line", lang,
                           model=t(f"forecast.model.{name}", lang), smape=row.smape, mase=row.mase))
        lines += [t(p.code, lang, **p.params) for p in self._problems]
        return "\n".join(lines)


def _back(p, log, y):
    if log:
        # A simulated period may reach at most 3x the best one observed: bootstrapped log
        # changes on a sparse (mostly zero) series otherwise compound into paths 100x the
        # history, and the mean of the paths, the headline forecast, follows them.
        cap = np.log1p(3.0 * max(float(y.max()), 0.0))
        p = np.expm1(np.minimum(p, cap))
    return np.maximum(p, 0.0) if y.min() >= 0 else p


class KPIForecaster:
    """Fit candidate models, backtest them against seasonal naive, keep the best MASE.

    Parameters
    ----------
    config : ForecastConfig

    Example
    -------
    >>> KPIForecaster(ForecastConfig(horizon=28)).fit(daily_gmv).forecast()  # doctest: +SKIP
    """

    def __init__(self, config: ForecastConfig = ForecastConfig()):
        self.config = config

    def fit(self, y: pd.Series, exog: pd.DataFrame | None = None) -> ForecastResult:
        """Backtest, choose and refit on all of ``y`` (no gaps; see :func:`regularize`)."""
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
        expected = pd.date_range(y.index[0], periods=len(y), freq=_step(cfg.freq))
        if not y.index.equals(expected) or y.isna().any():
            raise ValueError(f"series must be regular at freq {cfg.freq!r}; use regularize()")
        problems: list[Problem] = []
        log = cfg.log_transform and y.min() >= 0
        if cfg.log_transform and not log:
            problems.append(Problem("forecast.warn.no_log", INFO))
        yt = np.log1p(y.to_numpy()) if log else y.to_numpy()
        design = cfg.calendar and _base_season(cfg.freq) in (7, 52)
        X, exog_cols = self._design(y.index, exog, design)
        n, m_full = len(y), _season(cfg.freq, len(y))
        names = [mname for mname in cfg.models if n >= _min_length(mname)]
        if np.ptp(yt) == 0:
            names = [BASELINE]
            problems.append(Problem("forecast.warn.constant", INFO))
        if _base_season(cfg.freq) > 1 and n < 3 * _base_season(cfg.freq):
            problems.append(Problem("forecast.warn.short_series", INFO, params={"n": n}))
        names = names or [BASELINE]
        backtest = self._backtest(y.to_numpy(), yt, X, log, names, problems)
        if backtest.empty:
            order = [names[0] if cfg.backtest_folds == 0 else BASELINE]
            if cfg.backtest_folds > 0:
                problems.append(Problem("forecast.warn.no_backtest", INFO, params={"n": n}))
        else:
            means = backtest.groupby("model")["mase"].mean()
            order = sorted((mm for mm in names if mm in means.index),
                           key=lambda mm: (means[mm], MODELS.index(mm)))
        fitted, chosen = None, BASELINE
        for name in order + [BASELINE]:
            fitted = self._fit_one(name, yt, m_full, X, problems)
            if fitted is not None:
                chosen = name
                break
        return ForecastResult(cfg, y, fitted, chosen, backtest, design, exog_cols, log,
                              problems, time.perf_counter() - start)

    def _design(self, index, exog, calendar):
        parts = [festival_regressors(index)] if calendar else []
        cols = []
        if exog is not None:
            ex = pd.DataFrame(exog).reindex(index).astype(float)
            if ex.isna().any().any():
                raise ValueError("exog must cover every date of the series without NaN")
            parts.append(ex)
            cols = list(ex.columns)
        X = pd.concat(parts, axis=1).to_numpy(float) if parts else None
        return X, cols

    def _fit_one(self, name, yt, m, X, problems):
        if name == BASELINE:  # cannot fail, nothing to catch
            return _SeasonalNaive(yt, m)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fitted = _CLASSES[name](yt, m, X)
                if not np.all(np.isfinite(fitted.mean(2, None if X is None else X[-2:]))):
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

    def _backtest(self, y, yt, X, log, names, problems) -> pd.DataFrame:
        cfg = self.config
        bh = cfg.backtest_horizon or min(cfg.horizon, 28 if _base_season(cfg.freq) == 7 else 13)
        folds = min(cfg.backtest_folds, max(0, (len(y) - MIN_TRAIN) // max(bh, 1)))
        if folds == 0 and cfg.backtest_folds > 0:  # too short for full folds: one shorter fold
            folds, bh = 1, min(bh, len(y) - MIN_TRAIN)
        rows = []
        candidates = [BASELINE] + [mm for mm in names if mm != BASELINE]
        for fold in range(folds if bh >= 1 else 0):
            origin = len(y) - (folds - fold) * bh
            m = _season(cfg.freq, origin)
            actual, Xf = y[origin:origin + bh], None if X is None else X[origin:origin + bh]
            for name in candidates:
                if origin < _min_length(name):
                    continue
                fitted = self._fit_one(name, yt[:origin], m, None if X is None else X[:origin],
                                       problems)
                if fitted is None:
                    rows.append((name, fold, np.nan, np.inf))
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    pred = fitted.mean(bh, Xf)
                pred = _back(pred, log, pd.Series(y[:origin]))
                rows.append((name, fold, smape(actual, pred), mase(actual, pred, y[:origin], m)))
        return pd.DataFrame(rows, columns=["model", "fold", "smape", "mase"])
