"""Tests for opslab.models.forecast: metrics and baselines by hand, model choice, per-festival
effects on the app's own weekly frequency, interval coverage, real data, edge cases."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslab.core.calendar_cn import festival_regressors
from opslab.models.forecast import (
    BASELINES, MODELS, ForecastConfig, KPIForecaster, default_market, forecast, mase,
    prob_at_least, regularize, smape,
)
from opslab.models.forecast_candidates import Drift, Mean, SeasonalNaive

LOCALES = Path(__file__).resolve().parents[3] / "opslab" / "present" / "locales"


# --- metrics ---------------------------------------------------------------------------------

def test_smape_by_hand():
    # terms 2*2/22, 2*2/38, 0 -> mean * 100
    assert smape([10, 20, 30], [12, 18, 30]) == pytest.approx(100 * (4 / 22 + 4 / 38) / 3)
    assert smape([0, 0], [0, 0]) == 0.0
    assert smape([0], [5]) == pytest.approx(200.0)


def test_mase_by_hand():
    # in-sample seasonal (m=2) diffs |2-1|, |6-3|, |4-2| -> scale 2; MAE (2+2+0)/3
    assert mase([10, 20, 30], [12, 18, 30], insample=[1, 3, 2, 6, 4], season=2) == \
        pytest.approx((4 / 3) / 2)
    # lag-1 fallback when the history is not longer than a season
    assert mase([5], [4], insample=[1, 3], season=7) == pytest.approx(1 / 2)
    assert mase([5], [5], insample=[2, 2, 2], season=1) == 0.0
    assert mase([5], [4], insample=[2, 2, 2], season=1) == float("inf")


def test_prob_at_least_is_empirical_share_and_decreasing():
    rng = np.random.default_rng(3)
    paths = rng.gamma(2.0, 10.0, size=(500, 30))
    totals = paths.sum(axis=1)
    targets = np.linspace(totals.min() - 1, totals.max() + 1, 25)
    probs = [prob_at_least(paths, tg) for tg in targets]
    assert probs[0] == 1.0 and probs[-1] == 0.0
    assert all(a >= b for a, b in zip(probs, probs[1:]))
    tg = float(np.median(totals))
    count = sum(1 for row in paths if sum(row) >= tg)
    assert prob_at_least(paths, tg) == pytest.approx(count / 500)
    assert prob_at_least(paths, tg / 30, agg="mean") == pytest.approx(count / 500)
    assert prob_at_least(np.array([[1.0, 2.0], [3.0, 4.0]]), 5.0) == 0.5
    with pytest.raises(ValueError):
        prob_at_least(paths, 1.0, agg="median")


def test_regularize_fills_missing_days_with_zero():
    s = pd.Series([1.0, 2.0, 5.0], index=pd.to_datetime(["2024-01-01 09:00", "2024-01-01 18:00",
                                                         "2024-01-04 00:00"]))
    out = regularize(s, "day")
    assert out.index.equals(pd.date_range("2024-01-01", "2024-01-04", freq="D"))
    assert out.tolist() == [3.0, 0.0, 0.0, 5.0]
    # weeks as the app labels them: by their Monday (2024-01-01 is a Monday)
    weekly = regularize(pd.concat([s, pd.Series([4.0], index=[pd.Timestamp("2024-01-15")])]), "week")
    assert weekly.tolist() == [8.0, 0.0, 4.0]
    assert weekly.index.equals(pd.date_range("2024-01-01", periods=3, freq="W-MON"))


def test_baselines_by_hand():
    y = np.array([1.0, 3.0, 2.0, 6.0, 4.0])
    assert Mean(y, 1, window=3).mean(2).tolist() == [4.0, 4.0]        # (2 + 6 + 4) / 3
    assert Drift(y, 1).mean(3).tolist() == [4.75, 5.5, 6.25]          # slope (4 - 1) / 4
    assert SeasonalNaive(y, 2).mean(3).tolist() == [6.0, 4.0, 6.0]
    rng = np.random.default_rng(0)
    p = Drift(y, 1).paths(3, 4000, rng)
    assert p.shape == (4000, 3) and abs(p[:, 0].mean() - 4.75) < 0.1  # centred shocks


# --- model choice on a planted series ---------------------------------------------------------

def _planted(n=730, seed=1):
    """log GMV = level + trend + weekday effect + AR(1) noise + a different effect per festival."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2023-01-01", periods=n, freq="D")
    fest = festival_regressors(idx, "day")
    week = np.array([0.0, 0.05, 0.1, 0.05, 0.0, 0.3, 0.4])[idx.day_of_week]
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = 0.5 * noise[i - 1] + rng.normal(0, 0.08)
    log_y = (10 + 0.0008 * np.arange(n) + week + noise - 0.5 * fest["spring_festival"]
             + 0.3 * fest["d11_presale"] + 1.0 * fest["d11"] + 0.4 * fest["d12"]
             + 0.2 * fest["d618_presale"] + 0.6 * fest["d618"])
    return pd.Series(np.exp(log_y.to_numpy()), index=idx)


@pytest.fixture(scope="module")
def planted_result():
    return KPIForecaster(ForecastConfig(horizon=90, grain="day")).fit(_planted())


@pytest.mark.slow
def test_chosen_model_is_the_best_and_every_candidate_is_reported(planted_result):
    res = planted_result
    summ = res.backtest_summary
    assert set(summ.index) == set(MODELS)  # baselines too, not only the winner
    assert summ["mase"].idxmin() == res.model_name == summ.index[summ["chosen"]][0]
    models = [m for m in MODELS if m not in BASELINES]
    assert set(models) == {"ets", "theta", "arima", "combo"}
    assert summ.loc[list(BASELINES), "baseline"].all() and not summ.loc[models, "baseline"].any()
    # the combination's fold forecast is the mean of its members' (on the transformed scale),
    # so its error lies within theirs only loosely; it is reported like any candidate
    assert np.isfinite(summ.loc["combo", "mase"])
    bt = res.backtest
    assert list(bt.columns) == ["model", "fold", "origin", "festival", "smape", "mase"]
    assert sorted(bt["fold"].unique()) == [0, 1, 2]
    assert bt["festival"].any()  # Double 11 / 12.12 lie in the last folds


@pytest.mark.slow
def test_backtest_baseline_rows_match_hand_computation():
    # without a calendar the only effect taken out is the weekday profile: recomputed here
    # with plain pandas (deviation from the centred 29-day rolling median, mean per weekday
    # position, centred over the week), then each baseline by its textbook formula
    y = _planted().to_numpy()
    res = KPIForecaster(ForecastConfig(horizon=90, grain="day", market=None,
                                       models=BASELINES)).fit(_planted())
    bt = res.backtest
    for fold in range(3):   # origins 730 - 84, 730 - 56, 730 - 28; 28-day horizon
        origin = 730 - (3 - fold) * 28
        train, actual = y[:origin], y[origin:origin + 28]
        scale = np.mean(np.abs(train[7:] - train[:-7]))
        lt = pd.Series(np.log1p(train))  # candidates work on log1p(y)
        dev = lt - lt.rolling(29, center=True, min_periods=1).median()
        means = dev.groupby(np.arange(origin) % 7).mean()
        profile = (means - means.mean()).to_numpy()
        z = lt.to_numpy() - profile[np.arange(origin) % 7]
        back = profile[np.arange(origin, origin + 28) % 7]
        preds = {"seasonal_naive": np.expm1(np.resize(lt.to_numpy()[-7:], 28)),
                 "mean": np.expm1(np.full(28, z[-28:].mean()) + back),
                 "drift": np.expm1(z[-1] + (z[-1] - z[0]) / (origin - 1) * np.arange(1, 29) + back)}
        for name, pred in preds.items():
            row = bt[(bt.model == name) & (bt.fold == fold)].iloc[0]
            assert row.mase == pytest.approx(np.mean(np.abs(actual - pred)) / scale, rel=1e-6)
            assert row.smape == pytest.approx(
                100 * np.mean(2 * np.abs(actual - pred) / (np.abs(actual) + np.abs(pred))), rel=1e-6)


@pytest.mark.slow
def test_results_object_forecast_and_summary_frame(planted_result):
    res = planted_result
    fc = res.forecast()
    assert isinstance(fc, pd.Series) and len(fc) == 90
    assert fc.index[0] == _planted().index[-1] + pd.Timedelta(days=1) and fc.index.freqstr == "D"
    paths = res.sample_paths()
    assert paths.shape == (1000, 90) and not paths.flags.writeable
    np.testing.assert_allclose(fc, paths.mean(axis=0))
    for alpha in (0.2, 0.05):  # the interval is computed for the alpha asked
        sf = res.summary_frame(alpha=alpha)
        assert list(sf.columns) == ["mean", "mean_ci_lower", "mean_ci_upper"]
        np.testing.assert_allclose(sf["mean_ci_lower"], np.quantile(paths, alpha / 2, axis=0))
        np.testing.assert_allclose(sf["mean_ci_upper"], np.quantile(paths, 1 - alpha / 2, axis=0))
    assert (res.summary_frame(alpha=0.05)["mean_ci_upper"] >= res.summary_frame(alpha=0.2)["mean_ci_upper"]).all()
    with pytest.raises(ValueError):
        res.summary_frame(alpha=1.5)
    assert res.sample_paths(10, n=50).shape == (50, 10)
    with pytest.raises(AttributeError):
        res.model_name = "mean"  # read-only
    assert not hasattr(res, "summary")  # no user-facing text in the engine
    # the planted Spring Festival dip (x exp(-0.5)) carries into the forecast via the
    # calendar, whichever candidate won (every candidate forecasts the adjusted series)
    window = fc.loc["2025-01-28":"2025-02-03"].mean()   # whole weeks: weekdays cancel
    before = fc.loc["2025-01-14":"2025-01-27"].mean()
    assert 0.5 < window / before < 0.72


def _festival_days(n_years=2, seed=3):
    """Two years of daily log GMV with a weekday pattern and two festivals of different size."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2022-11-01", "2024-10-31", freq="D")
    fest = festival_regressors(idx, "day")
    week = np.array([0.0, 0.05, 0.1, 0.05, 0.0, 0.3, 0.4])[idx.day_of_week]
    log_y = 9 + week + 1.2 * fest["d11"] + 0.4 * fest["d12"] + rng.normal(0, 0.05, len(idx))
    return pd.Series(np.exp(log_y.to_numpy()), index=idx)


@pytest.mark.slow
def test_each_festival_has_its_own_effect():
    # Double 11 (x e^1.2) and 12.12 (x e^0.4) must not share one coefficient; the plain mean
    # of recent days carries them as much as a model (the calendar is taken out before)
    res = KPIForecaster(ForecastConfig(horizon=60, grain="day", models=("mean",),
                                       backtest_folds=0, n_paths=400)).fit(_festival_days())
    assert res.model_name == "mean"
    fc = res.forecast()
    d11 = fc.loc["2024-11-11"] / fc.loc[["2024-11-04", "2024-11-18"]].mean()
    d12 = fc.loc["2024-12-12"] / fc.loc[["2024-12-05", "2024-12-19"]].mean()
    assert d11 == pytest.approx(np.exp(1.2), rel=0.15)
    assert d12 == pytest.approx(np.exp(0.4), rel=0.1)


@pytest.mark.slow
def test_weekly_festival_lands_in_the_week_that_holds_it():
    # weekly GMV on the app's own frequency (W-MON, weeks labelled by their Monday); the
    # Double 11 day adds x3 to its day: the forecast peak must be the week holding 11 November
    days = _festival_days()
    weekly = days.groupby(days.index - pd.to_timedelta(days.index.day_of_week, unit="D")).sum()
    weekly = weekly[weekly.index >= "2022-11-07"].iloc[:-1]  # complete weeks only
    weekly.index = pd.DatetimeIndex(weekly.index, freq="W-MON")
    res = KPIForecaster(ForecastConfig(horizon=8, grain="week", models=("ets",),
                                       backtest_folds=0, n_paths=400)).fit(weekly)
    fc = res.forecast()
    assert fc.index.freqstr == "W-MON" and (fc.index.day_of_week == 0).all()
    peak = fc.idxmax()
    assert peak == pd.Timestamp("2024-11-11")  # 11 Nov 2024 is a Monday: its own week
    assert peak <= pd.Timestamp("2024-11-11") <= peak + pd.Timedelta(days=6)


def test_festival_fold_is_added_when_the_history_has_one():
    idx = pd.date_range("2023-09-04", periods=60, freq="W-MON")  # ends 2024-10-21
    f = KPIForecaster(ForecastConfig(horizon=13, grain="week", backtest_horizon=4))
    origins, bh = f.fold_origins(idx)
    # the last three 4-week windows (Aug-Oct 2024) hold no festival: the first fold moves to
    # the latest festival week after 10 training weeks, the 618 week (2024-06-17, position 41)
    assert bh == 4
    assert origins == [41 - 2, 60 - 8, 60 - 4]
    assert idx[41] == pd.Timestamp("2024-06-17")
    plain = KPIForecaster(ForecastConfig(horizon=13, grain="week", backtest_horizon=4,
                                         market=None)).fold_origins(idx)
    assert plain == ([48, 52, 56], 4)


def _cdnow_weekly() -> pd.Series:
    from tests.realdata import cdnow_truth
    raw = cdnow_truth()
    y = regularize(pd.Series(raw.dollar_value.to_numpy(float), index=pd.DatetimeIndex(raw.date)),
                   "week")
    first, last = raw.date.min(), raw.date.max()  # complete Monday weeks only
    return y[(y.index >= first) & (y.index + pd.Timedelta(days=6) <= last)]


def _cdnow_ds():
    from tests.realdata import cdnow_truth
    from opslab.dataset.dataset import Dataset
    raw = cdnow_truth()
    return Dataset.from_tables(orders=pd.DataFrame({
        "user_id": raw.customer_id, "order_time": pd.to_datetime(raw.date),
        "amount": raw.dollar_value, "status": "paid"}))


@pytest.mark.slow
def test_real_cdnow_weekly_revenue_a_baseline_wins_when_models_do_worse():
    # the real purchase log, weekly: plain pandas weekly sums of the raw file
    y = _cdnow_weekly()
    assert len(y) == 77 and y.index[0] == pd.Timestamp("1997-01-06")
    res = KPIForecaster(ForecastConfig(horizon=13, grain="week", market=None)).fit(y)
    summ = res.backtest_summary
    models = summ.loc[[m for m in MODELS if m not in BASELINES], "mase"]
    # on this log the models do worse than the 13-week mean (as the issue found: MASE > 1)...
    assert (models > 1).all() and (models > summ.loc["mean", "mase"]).all()
    # ...so a baseline forecasts, the best backtest error decides, and every candidate is shown
    assert res.model_name in BASELINES and summ["mase"].idxmin() == res.model_name
    assert len(summ) == len(MODELS)
    # independent check of the 13-week mean baseline on the last fold, by hand (no calendar
    # and under two years of weeks: nothing is taken out before the mean)
    origin, actual = len(y) - 13, y.to_numpy()[-13:]
    pred = np.expm1(np.log1p(y.to_numpy()[origin - 13:origin]).mean())
    scale = np.mean(np.abs(np.diff(y.to_numpy()[:origin])))  # < 2 years: lag-1 scale
    row = res.backtest.query("model == 'mean' and fold == 2").iloc[0]
    assert row.mase == pytest.approx(np.mean(np.abs(actual - pred)) / scale, rel=1e-9)


@pytest.mark.slow
def test_real_cdnow_through_the_app_weeks_are_sums_of_the_daily_forecast():
    # the app's path: Dataset -> one daily fit -> weekly view; its history is the same plain
    # pandas weekly sums, its weeks the sums of the daily paths plus the days already seen
    from tests.realdata import cdnow_truth
    ds = _cdnow_ds()
    res = forecast(ds, "gmv", "week", 13, market=None)  # dollars: no Chinese calendar
    y = _cdnow_weekly()
    np.testing.assert_allclose(res.history.to_numpy(), y.to_numpy(), rtol=1e-12)
    assert res.history.index.equals(y.index)
    daily_paths, days = res.daily_paths()
    weeks = res.sample_paths()
    assert weeks.shape == (1000, 13)
    seen = res.days_seen()  # the data end on Tuesday 30 June 1998: Monday and Tuesday are in
    assert seen.iloc[0] == 2 and (seen.iloc[1:] == 0).all()
    raw = cdnow_truth()
    in_data = raw.loc[raw.date >= res.future_index()[0], "dollar_value"].sum()
    first_week = days < res.future_index()[1]
    np.testing.assert_allclose(weeks[:, 0], daily_paths[:, first_week].sum(axis=1) + in_data)
    np.testing.assert_allclose(weeks[:, 1], daily_paths[:, first_week.sum():first_week.sum() + 7].sum(axis=1))
    # the lowest backtest MASE, unless it beat the plain mean by too little (then the mean, said)
    kept = [p.params for p in res.problems if p.code == "forecast.note.mean_kept"]
    best = res.backtest_summary["mase"].idxmin()
    assert res.model_name == ("mean" if kept else best) and (not kept or kept[0]["model"] == best)


@pytest.mark.slow
def test_public_forecast_on_the_sample_and_market_default():
    from opslab.dataset.load import load_sample
    from opslab.metrics.kpi_series import kpi_series
    ds = load_sample()
    res = forecast(ds, "gmv", "week", horizon=6)
    assert res.config.market == default_market(ds) == "CN"
    assert res.config.grain == "week" and len(res.forecast()) == 6
    assert res.daily.config.grain == "day"  # one daily fit behind every grain
    y = kpi_series(ds, "gmv", "week")
    assert res.history.equals(y.set_axis(pd.date_range(y.index[0], periods=len(y), freq="W-MON")))
    # the first week shown is the one holding the first forecast day
    first_day = kpi_series(ds, "gmv", "day").index[-1] + pd.Timedelta(days=1)
    assert res.forecast().index[0] <= first_day < res.forecast().index[0] + pd.Timedelta(weeks=1)
    assert default_market(type("D", (), {"currency": "usd"})()) is None
    off = forecast(ds, "gmv", "week", horizon=6, market=None, models=("mean", "drift"))
    assert off.config.market is None and off.model_name in ("mean", "drift")


# --- interval coverage -----------------------------------------------------------------------

def _ar1_weekly(rng, n):
    season = np.array([0, 1, 2, 1, 0, 4, 5.0])
    x = np.zeros(n + 50)
    e = rng.normal(0, 1, n + 50)
    for i in range(1, n + 50):
        x[i] = 0.6 * x[i - 1] + e[i]
    idx = pd.date_range("2021-03-01", periods=n, freq="D")
    return pd.Series(50 + season[idx.day_of_week] + x[50:], index=idx)


def _local_level_weekly(rng, n):
    """Random-walk level + fixed weekday pattern + noise: the process ETS is built for."""
    season = np.array([0, 1, 2, 1, 0, 4, 5.0])
    level = 50 + np.cumsum(rng.normal(0, 0.5, n))
    idx = pd.date_range("2021-03-01", periods=n, freq="D")
    return pd.Series(level + season[idx.day_of_week] + rng.normal(0, 1, n), index=idx)


@pytest.mark.slow
@pytest.mark.parametrize("model,process,h,reps", [
    ("seasonal_naive", _ar1_weekly, 7, 150),
    ("ets", _local_level_weekly, 10, 40),
    ("arima", _ar1_weekly, 10, 25),
])
def test_80pct_interval_coverage(model, process, h, reps):
    rng = np.random.default_rng(42)
    cfg = ForecastConfig(horizon=h, grain="day", models=(model,), backtest_folds=0, market=None,
                         log_transform=False, n_paths=500)
    hits = []
    for _ in range(reps):   # independent replications of the known process
        y = process(rng, 224 + h)
        res = KPIForecaster(cfg).fit(y.iloc[:-h])
        assert res.model_name == model
        fc = res.summary_frame(alpha=0.2)
        actual = y.iloc[-h:].to_numpy()
        hits.append(np.mean((actual >= fc["mean_ci_lower"].to_numpy())
                            & (actual <= fc["mean_ci_upper"].to_numpy())))
    assert 0.70 <= np.mean(hits) <= 0.90


# --- exogenous regressors --------------------------------------------------------------------

@pytest.mark.slow
def test_campaign_exog_is_used_and_required():
    rng = np.random.default_rng(0)
    idx = pd.date_range("2024-01-01", periods=200)
    camp = pd.DataFrame({"camp": (np.arange(200) % 30 < 3).astype(float)}, index=idx)
    y = pd.Series(100 + 50 * camp["camp"].to_numpy() + rng.normal(0, 5, 200), index=idx)
    res = KPIForecaster(ForecastConfig(horizon=30, grain="day", models=("arima",))).fit(y, exog=camp)
    assert res.model_name == "arima"
    fut_idx = pd.date_range("2024-07-19", periods=30)
    fut = pd.DataFrame({"camp": (np.arange(200, 230) % 30 < 3).astype(float)}, index=fut_idx)
    fc = res.forecast(exog_future=fut)
    on, off = fc[fut["camp"] == 1], fc[fut["camp"] == 0]
    assert on.mean() - off.mean() == pytest.approx(50, abs=10)
    with pytest.raises(ValueError):
        res.forecast()
    with pytest.raises(ValueError):
        res.forecast(exog_future=fut.iloc[:5])


# --- robustness ------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 6, 15, 40, pytest.param(400, marks=pytest.mark.slow)])  # 400 days: full fits
@pytest.mark.parametrize("kind", ["zeros", "constant", "counts", "signed"])
def test_degenerate_series_do_not_raise(n, kind):
    rng = np.random.default_rng(n)
    values = {"zeros": np.zeros(n), "constant": np.full(n, 7.0),
              "counts": rng.poisson(3, n).astype(float), "signed": rng.normal(0, 1, n)}[kind]
    y = pd.Series(values, index=pd.date_range("2024-01-01", periods=n))
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # nothing may leak out of fit or forecast
        res = KPIForecaster(ForecastConfig(horizon=14, grain="day", n_paths=200)).fit(y)
        fc = res.summary_frame()
    assert fc.shape == (14, 3) and np.isfinite(fc.to_numpy()).all()
    if kind == "zeros":
        assert (fc.to_numpy() == 0).all()
    if kind == "constant":
        np.testing.assert_allclose(fc.to_numpy(), 7.0)
    if kind in ("zeros", "counts"):
        assert (fc["mean_ci_lower"] >= 0).all()
    assert res.model_name in MODELS


@pytest.mark.slow
def test_weekly_series_on_the_apps_frequency():
    rng = np.random.default_rng(5)
    idx = pd.date_range("2022-01-03", periods=130, freq="W-MON")
    y = pd.Series(rng.poisson(100, 130).astype(float), index=idx)
    res = KPIForecaster(ForecastConfig(horizon=13, grain="week")).fit(y)
    fc = res.forecast()
    assert len(fc) == 13 and fc.index[0] == idx[-1] + pd.Timedelta(days=7)
    assert (fc.index.day_of_week == 0).all() and not res.backtest.empty
    # weeks labelled by Sunday (pandas' "W") are another convention: rejected, not misread
    with pytest.raises(ValueError):
        KPIForecaster(ForecastConfig(horizon=4, grain="week")).fit(
            y.set_axis(pd.date_range("2022-01-02", periods=130, freq="W")))


def test_gaps_and_empty_are_rejected():
    y = pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-01", "2024-01-03"]))
    with pytest.raises(ValueError):
        KPIForecaster(ForecastConfig(grain="day")).fit(y)
    with pytest.raises(ValueError):
        KPIForecaster().fit(pd.Series([], dtype=float, index=pd.DatetimeIndex([])))
    with pytest.raises(ValueError):
        ForecastConfig(market="US")


def test_warnings_are_known_i18n_codes_in_both_languages():
    en = json.loads((LOCALES / "forecast.en.json").read_text(encoding="utf-8"))
    zh = json.loads((LOCALES / "forecast.zh.json").read_text(encoding="utf-8"))
    assert en.keys() == zh.keys()
    y = pd.Series(np.arange(60.0) % 5 - 2, index=pd.date_range("2024-01-01", periods=60))
    res = KPIForecaster(ForecastConfig(horizon=7, grain="day")).fit(y)
    assert "forecast.warn.no_log" in [p.code for p in res.problems]
    assert all(p.code in en for p in res.problems)
    assert all(f"forecast.model.{m}" in en for m in MODELS)


def test_one_result_can_be_shared_by_concurrent_sessions():
    """The app shares a fitted result between sessions on the same data; simulating from
    several threads at once must neither fail nor change the paths."""
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(3)
    idx = pd.date_range("2024-01-01", periods=200, freq="D")
    y = pd.Series(100 + 10 * np.sin(np.arange(200) * 2 * np.pi / 7) + rng.normal(0, 3, 200), index=idx)
    res = KPIForecaster(ForecastConfig(horizon=14, grain="day", models=("combo",), backtest_folds=0,
                                       n_paths=200)).fit(y)
    expected = res.sample_paths(14)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: res.sample_paths(14), range(12)))
    for paths in results:
        np.testing.assert_allclose(paths, expected)
