"""Tests for opslab.forecast: metrics by hand, model choice, interval coverage, edge cases."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslab.calendar_cn import festival_regressors
from opslab.models.forecast import (
    ForecastConfig, KPIForecaster, mase, prob_at_least, regularize, smape,
)

LOCALES = Path(__file__).resolve().parents[1] / "opslab" / "locales"


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
    out = regularize(s, "D")
    assert out.index.equals(pd.date_range("2024-01-01", "2024-01-04", freq="D"))
    assert out.tolist() == [3.0, 0.0, 0.0, 5.0]
    weekly = regularize(s, "W")
    assert weekly.tolist() == [8.0] and weekly.index[0] == pd.Timestamp("2024-01-07")


# --- model choice on a planted series ---------------------------------------------------------

def _planted(n=730, seed=1):
    """log GMV = level + trend + weekday effect + AR(1) noise + festival effects."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2023-01-01", periods=n, freq="D")
    fest = festival_regressors(idx)
    week = np.array([0.0, 0.05, 0.1, 0.05, 0.0, 0.3, 0.4])[idx.day_of_week]
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = 0.5 * noise[i - 1] + rng.normal(0, 0.08)
    log_y = (10 + 0.0008 * np.arange(n) + week + noise - 0.5 * fest["sf_window"]
             + 0.6 * fest["shopping_ramp"] + 1.0 * fest["shopping_peak"])
    return pd.Series(np.exp(log_y.to_numpy()), index=idx)


@pytest.fixture(scope="module")
def planted_result():
    return KPIForecaster(ForecastConfig(horizon=90)).fit(_planted())


def test_chosen_model_beats_seasonal_naive(planted_result):
    res = planted_result
    summ = res.backtest_summary
    assert set(summ.index) == {"seasonal_naive", "ets", "sarimax"}
    assert res.model_name != "seasonal_naive"
    assert summ.loc[res.model_name, "mase"] < summ.loc["seasonal_naive", "mase"]
    assert summ["mase"].idxmin() == res.model_name
    bt = res.backtest
    assert list(bt.columns) == ["model", "fold", "smape", "mase"]
    assert sorted(bt["fold"].unique()) == [0, 1, 2]


def test_backtest_baseline_rows_match_hand_computation(planted_result):
    y = _planted()
    bt = planted_result.backtest
    for fold in range(3):   # origins 730 - 84, 730 - 56, 730 - 28; 28-day horizon
        origin = 730 - (3 - fold) * 28
        train, actual = y.to_numpy()[:origin], y.to_numpy()[origin:origin + 28]
        pred = np.resize(train[-7:], 28)
        scale = np.mean(np.abs(train[7:] - train[:-7]))
        row = bt[(bt.model == "seasonal_naive") & (bt.fold == fold)].iloc[0]
        assert row.mase == pytest.approx(np.mean(np.abs(actual - pred)) / scale, rel=1e-9)
        assert row.smape == pytest.approx(
            100 * np.mean(2 * np.abs(actual - pred) / (np.abs(actual) + np.abs(pred))), rel=1e-9)


def test_forecast_frame_consistent_with_paths(planted_result):
    res = planted_result
    fc = res.forecast()
    assert list(fc.columns) == ["mean", "lower", "upper"] and len(fc) == 90
    assert fc.index[0] == _planted().index[-1] + pd.Timedelta(days=1)
    assert (np.diff(fc.index) == pd.Timedelta(days=1)).all()
    paths = res.sample_paths()
    assert paths.shape == (1000, 90)
    np.testing.assert_allclose(fc["mean"], paths.mean(axis=0))
    np.testing.assert_allclose(fc["lower"], np.quantile(paths, 0.1, axis=0))
    np.testing.assert_allclose(fc["upper"], np.quantile(paths, 0.9, axis=0))
    assert (fc["lower"] <= fc["mean"]).all() and (fc["mean"] <= fc["upper"]).all()
    assert res.sample_paths(10, n=50).shape == (50, 10)
    assert "SARIMAX" in res.summary().splitlines()[0]
    # the planted Spring Festival dip (x exp(-0.5)) carries into the forecast via the calendar
    window = fc.loc["2025-01-28":"2025-02-04", "mean"].mean()
    before = fc.loc["2025-01-14":"2025-01-27", "mean"].mean()
    assert 0.5 < window / before < 0.75
    assert res.summary("zh").startswith("选用模型")


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


@pytest.mark.parametrize("model,process,h,reps", [
    ("seasonal_naive", _ar1_weekly, 7, 150),
    ("ets", _local_level_weekly, 10, 40),
    ("sarimax", _ar1_weekly, 10, 25),
])
def test_80pct_interval_coverage(model, process, h, reps):
    rng = np.random.default_rng(42)
    cfg = ForecastConfig(horizon=h, models=(model,), backtest_folds=0, calendar=False,
                         log_transform=False, n_paths=500)
    hits = []
    for _ in range(reps):   # independent replications of the known process
        y = process(rng, 224 + h)
        res = KPIForecaster(cfg).fit(y.iloc[:-h])
        assert res.model_name == model
        fc = res.forecast()
        actual = y.iloc[-h:].to_numpy()
        hits.append(np.mean((actual >= fc["lower"].to_numpy()) & (actual <= fc["upper"].to_numpy())))
    assert 0.70 <= np.mean(hits) <= 0.90


# --- exogenous regressors --------------------------------------------------------------------

def test_campaign_exog_is_used_and_required():
    rng = np.random.default_rng(0)
    idx = pd.date_range("2024-01-01", periods=200)
    camp = pd.DataFrame({"camp": (np.arange(200) % 30 < 3).astype(float)}, index=idx)
    y = pd.Series(100 + 50 * camp["camp"].to_numpy() + rng.normal(0, 5, 200), index=idx)
    res = KPIForecaster(ForecastConfig(horizon=30, models=("sarimax",))).fit(y, exog=camp)
    assert res.model_name == "sarimax"
    fut_idx = pd.date_range("2024-07-19", periods=30)
    fut = pd.DataFrame({"camp": (np.arange(200, 230) % 30 < 3).astype(float)}, index=fut_idx)
    fc = res.forecast(exog_future=fut)
    on, off = fc["mean"][fut["camp"] == 1], fc["mean"][fut["camp"] == 0]
    assert on.mean() - off.mean() == pytest.approx(50, abs=10)
    with pytest.raises(ValueError):
        res.forecast()
    with pytest.raises(ValueError):
        res.forecast(exog_future=fut.iloc[:5])


# --- robustness ------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 6, 15, 40, 400])
@pytest.mark.parametrize("kind", ["zeros", "constant", "counts", "signed"])
def test_degenerate_series_do_not_raise(n, kind):
    rng = np.random.default_rng(n)
    values = {"zeros": np.zeros(n), "constant": np.full(n, 7.0),
              "counts": rng.poisson(3, n).astype(float), "signed": rng.normal(0, 1, n)}[kind]
    y = pd.Series(values, index=pd.date_range("2024-01-01", periods=n))
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # nothing may leak out of fit or forecast
        res = KPIForecaster(ForecastConfig(horizon=14, n_paths=200)).fit(y)
        fc = res.forecast()
    assert fc.shape == (14, 3) and np.isfinite(fc.to_numpy()).all()
    if kind == "zeros":
        assert (fc.to_numpy() == 0).all()
    if kind == "constant":
        np.testing.assert_allclose(fc.to_numpy(), 7.0)
    if kind in ("zeros", "counts"):
        assert (fc["lower"] >= 0).all()
    assert isinstance(res.summary(), str)


def test_weekly_series():
    rng = np.random.default_rng(5)
    idx = pd.date_range("2022-01-02", periods=130, freq="W")
    y = pd.Series(rng.poisson(100, 130).astype(float), index=idx)
    res = KPIForecaster(ForecastConfig(horizon=13, freq="W")).fit(y)
    fc = res.forecast()
    assert len(fc) == 13 and fc.index[0] == idx[-1] + pd.Timedelta(days=7)
    assert not res.backtest.empty


def test_gaps_and_empty_are_rejected():
    y = pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-01", "2024-01-03"]))
    with pytest.raises(ValueError):
        KPIForecaster().fit(y)
    with pytest.raises(ValueError):
        KPIForecaster().fit(pd.Series([], dtype=float, index=pd.DatetimeIndex([])))


def test_warnings_are_known_i18n_codes_in_both_languages():
    en = json.loads((LOCALES / "forecast.en.json").read_text(encoding="utf-8"))
    zh = json.loads((LOCALES / "forecast.zh.json").read_text(encoding="utf-8"))
    assert en.keys() == zh.keys()
    y = pd.Series(np.arange(60.0) % 5 - 2, index=pd.date_range("2024-01-01", periods=60))
    res = KPIForecaster(ForecastConfig(horizon=7)).fit(y)
    assert "forecast.warn.no_log" in [p.code for p in res.warnings_]
    assert all(p.code in en for p in res.warnings_)


def test_one_result_can_be_shared_by_concurrent_sessions():
    """The app shares a fitted result between sessions on the same data; simulating from
    several threads at once must neither fail nor change the paths."""
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(3)
    idx = pd.date_range("2024-01-01", periods=200, freq="D")
    y = pd.Series(100 + 10 * np.sin(np.arange(200) * 2 * np.pi / 7) + rng.normal(0, 3, 200), index=idx)
    res = KPIForecaster(ForecastConfig(horizon=14, models=("sarimax",), backtest_folds=0, n_paths=200)).fit(y)
    expected = res.sample_paths(14)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: res.sample_paths(14), range(12)))
    for paths in results:
        np.testing.assert_allclose(paths, expected)
