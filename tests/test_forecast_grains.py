"""One forecast per KPI and period (issues 22 and 26): every grain sums the same daily sample
paths, the targets and the report read the same fit, intervals cover what they say on a real
log, a forecast's mean lies inside its interval, the rest of a period is held to what the
history makes plausible, the festival calendar pays for itself where it applies, and a fit
stays under two seconds per KPI."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest

from opslab.metrics import kpi_series as ks
from opslab.planning.completion import target_status
from opslab.dataset.dataset import Dataset
from opslab.models.forecast import KPIForecaster, daily_config, forecast
from opslab.models.forecast_candidates import mase
from opslab.models.forecast_plausible import FACTOR
from opslab.planning.targets import Target

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample():
    from opslab.dataset.load import load_sample
    return load_sample()


def _orders_frame(ds) -> pd.Series:
    """GMV per day by plain pandas over the data set's orders table (paid orders' amounts;
    refunded ones are not GMV)."""
    o = ds.orders[ds.orders["status"].astype(str) == "paid"]
    return o.assign(day=pd.to_datetime(o["order_time"]).dt.normalize()).groupby("day")["amount"].sum()


# --- one forecast, every grain ----------------------------------------------------------------

def test_a_quarter_has_one_total_whatever_the_grain(sample):
    ds = sample
    day = forecast(ds, "gmv", "day", 200)
    month = forecast(ds, "gmv", "month", 6)
    quarter = forecast(ds, "gmv", "quarter", 2)
    week = forecast(ds, "gmv", "week", 26)
    assert day.model_name == month.model_name == quarter.model_name == week.model_name
    # the data end on 31 October 2026: Q4 has begun, Q1 2027 lies wholly ahead
    assert quarter.future_index().tolist() == [pd.Timestamp("2026-10-01"), pd.Timestamp("2027-01-01")]
    q1_days = day.forecast().loc["2027-01-01":"2027-03-31"]
    assert len(q1_days) == 90
    q1_months = month.forecast().loc["2027-01-01":"2027-03-01"]
    assert len(q1_months) == 3
    assert q1_days.sum() == pytest.approx(q1_months.sum(), rel=1e-12)
    assert quarter.forecast().loc["2027-01-01"] == pytest.approx(q1_days.sum(), rel=1e-12)
    # per path too, so the quarter's interval and odds are the same from any grain
    np.testing.assert_allclose(quarter.sample_paths()[:, 1], month.sample_paths()[:, 2:5].sum(axis=1))
    # Q4 2026 = October as it happened (plain pandas over the orders) + the forecast days
    october = _orders_frame(ds).loc["2026-10-01":"2026-10-31"].sum()
    assert quarter.days_seen().iloc[0] == 31
    q4 = october + day.forecast().loc["2026-11-01":"2026-12-31"].sum()
    assert quarter.forecast().iloc[0] == pytest.approx(q4, rel=1e-9)
    assert month.forecast().loc["2026-11-01":"2026-12-01"].sum() + october == pytest.approx(q4, rel=1e-9)
    # weeks are sums of the same days: the week of 2 November 2026 (Monday) is its 7 days
    assert week.forecast().loc["2026-11-02"] == pytest.approx(
        day.forecast().loc["2026-11-02":"2026-11-08"].sum(), rel=1e-12)


def test_level_kpis_average_the_same_days(sample):
    dau_day = forecast(sample, "dau", "day", 120)
    dau_month = forecast(sample, "dau", "month", 3)
    assert dau_month.agg == "mean"
    assert dau_month.forecast().loc["2026-12-01"] == pytest.approx(
        dau_day.forecast().loc["2026-12-01":"2026-12-31"].mean(), rel=1e-12)


def test_targets_and_the_report_read_the_same_paths(sample):
    # the Targets screen's forecast of a quarter is the quarter view's, path for path
    quarter = forecast(sample, "gmv", "quarter", 2)
    status = target_status(sample, [Target("gmv", "2027Q1", 1.0), Target("gmv", "2026Q4", 1.0)])
    assert status.loc[0, "forecast"] == pytest.approx(quarter.forecast().loc["2027-01-01"], rel=1e-9)
    assert status.loc[1, "forecast"] == pytest.approx(quarter.forecast().loc["2026-10-01"], rel=1e-9)
    lo, hi = np.quantile(quarter.sample_paths()[:, 0], [0.1, 0.9])
    assert (status.loc[1, "lower"], status.loc[1, "upper"]) == pytest.approx((lo, hi), rel=1e-9)


@pytest.mark.parametrize("grain,h", [("week", 13), ("month", 3), ("day", 91)])
def test_the_forecast_page_reads_a_calendar_period_as_the_targets_screen_does(sample, grain, h):
    # weeks straddle month ends: the Forecast page's target section reads the daily paths
    # behind its grain, so a month or quarter holds exactly its days, as on the Targets
    # screen (completion) and in the report (findings.next_plan), whatever grain is shown
    from opslab.planning import forecast_readout as readout
    from opslab.report.findings import next_plan, round_sig
    from opslab.planning.targets import period_of

    fv = readout.forecast_view(forecast(sample, "gmv", grain, h), h=h)
    codes = [p.code for p in readout.target_periods(fv, grain, sample.end)]
    assert {"2026Q4", "2026-11", "2026-12"} <= set(codes)
    targets = [Target("gmv", c, 50_000.0) for c in ("2026Q4", "2026-11", "2026-12")]
    status = target_status(sample, targets).set_index("period")
    for t_ in targets:
        out = readout.target_view(fv, "gmv", grain, t_.period, t_).outlook
        row = status.loc[t_.period]
        assert out.forecast == pytest.approx(row["forecast"], rel=1e-9)
        assert (out.lower, out.upper) == pytest.approx((row["lower"], row["upper"]), rel=1e-9)
        assert out.p_hit == pytest.approx(row["p_hit"], abs=1e-12)
    # the report's proposal for the next quarter is the median of the same quarter paths
    plan = next_plan(sample, period_of(sample.end, "quarter"), [], sample.end, None,
                     pd.DataFrame(columns=["actual"])).set_index("kpi")
    q1 = forecast(sample, "gmv", "quarter", 2).sample_paths()[:, 1]
    if plan.loc["gmv", "basis"] == "forecast_median":
        assert plan.loc["gmv", "value"] == round_sig(float(np.median(q1)))
    assert plan.loc["gmv", "p_hit"] == pytest.approx(float(np.mean(q1 >= plan.loc["gmv", "value"])))


def test_festival_is_visible_in_the_forecast_where_the_calendar_is_on(sample):
    # Double 11 2026 lies ahead of the sample's last day: with the Chinese calendar the day
    # stands out from its week; without it nothing marks the day
    on = forecast(sample, "gmv", "day", 40).forecast()
    off = forecast(sample, "gmv", "day", 40, market=None).forecast()
    around = ["2026-11-04", "2026-11-18"]  # same weekday (Wednesday), a week either side
    assert on.loc["2026-11-11"] > 1.5 * on.loc[around].mean()
    assert off.loc["2026-11-11"] < 1.2 * off.loc[around].mean()


# --- intervals: coverage on a real log, mean inside -----------------------------------------

def _cdnow_ds() -> Dataset:
    from tests.realdata import cdnow_truth
    raw = cdnow_truth()
    return Dataset.from_tables(orders=pd.DataFrame({
        "user_id": raw.customer_id, "order_time": raw.date, "amount": raw.dollar_value,
        "status": "paid"}), currency="USD")


def test_80pct_intervals_cover_75_to_85pct_of_held_out_days_on_cdnow():
    # the real CDNOW log (Fader & Hardie; tests/realdata.py): daily revenue, orders and
    # buyers, eight rolling origins 28 days apart over its last 252 days, each forecasting
    # the next 28 days from the history before it; held-out values against the 80 % interval
    ds = _cdnow_ds()
    cfg = daily_config(ds, n_paths=500)
    assert cfg.market is None  # dollars: no Chinese calendar
    daily_hits, weekly_hits = [], []
    for kpi in ("gmv", "orders", "paying_users"):
        y = ks.kpi_series(ds, kpi, "day")
        for origin in range(len(y) - 28 * 8, len(y) - 27, 28):
            res = KPIForecaster(cfg).fit(y.iloc[:origin])
            paths = res.sample_paths(28)
            actual = y.iloc[origin:origin + 28].to_numpy()
            lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
            daily_hits.append((actual >= lo) & (actual <= hi))
            weeks, actual_weeks = paths.reshape(len(paths), 4, 7).sum(axis=2), actual.reshape(4, 7).sum(axis=1)
            wlo, whi = np.quantile(weeks, [0.1, 0.9], axis=0)
            weekly_hits.append((actual_weeks >= wlo) & (actual_weeks <= whi))
    daily = np.mean(np.concatenate(daily_hits))
    weekly = np.mean(np.concatenate(weekly_hits))
    assert 0.75 <= daily <= 0.85, daily          # measured 0.84 (672 held-out days)
    assert 0.75 <= weekly <= 0.85, weekly        # measured 0.80 (96 held-out weeks)


@pytest.mark.parametrize("kpi", ["gmv", "dau", "new_users", "orders", "paying_users"])
def test_mean_lies_inside_its_own_interval(sample, kpi):
    for grain, h in (("day", 182), ("week", 26), ("month", 6), ("quarter", 2)):
        sf = forecast(sample, kpi, grain, h).summary_frame(alpha=0.2)
        inside = (sf["mean"] >= sf["mean_ci_lower"]) & (sf["mean"] <= sf["mean_ci_upper"])
        assert inside.all(), (kpi, grain, sf[~inside])


# --- plausibility ------------------------------------------------------------------------------

def _autumn_ramp() -> Dataset:
    """Two years of steady sales (about 1,000 a day) and an autumn ramp: from 1 September the
    daily total grows 3 % a day, as the order-line export of issue 21 did before its Q4."""
    rng = np.random.default_rng(4)
    days = pd.date_range("2023-01-01", "2024-12-09", freq="D")
    level = np.where(days < "2024-09-01", 1000.0,
                     1000.0 * 1.03 ** np.maximum(0, (days - pd.Timestamp("2024-09-01")).days))
    amount = level * rng.lognormal(0, 0.15, len(days))
    return Dataset.from_tables(orders=pd.DataFrame({
        "user_id": [f"u{i % 500}" for i in range(len(days))], "order_time": days,
        "amount": amount, "status": "paid"}), currency="GBP")


def test_the_rest_of_a_period_is_held_to_the_best_run_seen():
    ds = _autumn_ramp()
    daily = _orders_frame(ds)
    # 22 days left in Q4 2024 after 9 December; the best 22 consecutive days ever, by pandas
    best_22 = daily.rolling(22).sum().max()
    seen = daily.loc["2024-10-01":].sum()
    status = target_status(ds, [Target("gmv", "2024Q4", 1.0)], as_of="2024-12-09").iloc[0]
    rest = status["forecast"] - seen
    assert status["actual"] == pytest.approx(seen, rel=1e-9)
    assert rest <= FACTOR * best_22 * (1 + 1e-9)  # never far beyond the best run seen
    assert status["upper"] - seen <= FACTOR * best_22 * (1 + 1e-9)
    # the forecast says so, with the numbers a user can check
    res = forecast(ds, "gmv", "day", 22)
    check = res.plausibility()
    assert check.periods == 22 and check.capped
    assert check.best_run == pytest.approx(best_22, rel=1e-9)
    assert check.limit == pytest.approx(FACTOR * best_22, rel=1e-9)
    assert check.forecast_before > check.limit > res.forecast().sum()


def test_a_steady_series_is_not_held_back(sample):
    check = forecast(sample, "dau", "day", 91).plausibility()
    assert not check.capped and check.share_capped == 0.0


# --- the calendar measured ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def festival_world():
    """28 months of the seeded simulation (:mod:`opslab.synth`): its festivals are its own
    multipliers (pre-sale ramps, peak days), not the forecaster's regressors."""
    from opslab.synth import SynthConfig, generate
    d = generate(SynthConfig(n_users=3000, months=28, start="2023-07-01", seed=7))
    return ks.kpi_series(Dataset.from_tables(events=d.events, orders=d.orders, users=d.users),
                         "gmv", "day")


@pytest.mark.parametrize("origin,end", [
    ("2024-10-13", "2024-11-18"),   # Double 11: a week before its pre-sale to a week after
    ("2025-05-25", "2025-06-25"),   # 618
    ("2024-11-24", "2024-12-19"),   # 12.12
])
def test_festival_weeks_forecast_better_with_the_calendar(festival_world, origin, end):
    y = festival_world
    train, test = y[y.index < origin], y[(y.index >= origin) & (y.index <= end)]
    errors = {}
    for market in ("CN", None):
        fc = KPIForecaster(daily_config(None, market=market)).fit(train).forecast(len(test))
        errors[market] = mase(test.to_numpy(), fc.to_numpy(), train.to_numpy(), 7)
    # measured: Double 11 1.23 vs 1.52, 618 1.03 vs 1.51, 12.12 0.73 vs 1.73
    assert errors["CN"] < 0.9 * errors[None], errors


# --- speed -------------------------------------------------------------------------------------------

def test_under_two_seconds_per_kpi_on_the_sample(sample):
    # CPU time of this process (the machine is shared: wall time depends on the neighbours)
    cfg = daily_config(sample)
    for kpi in ks.KPIS:
        y = ks.kpi_series(sample, kpi, "day")
        start = time.process_time()
        res = KPIForecaster(cfg).fit(y)
        res.sample_paths(cfg.horizon)
        assert time.process_time() - start < 2.0, kpi


# --- proposed targets ----------------------------------------------------------------------------

def test_proposed_targets_are_anchored_on_what_is_in_and_what_history_allows():
    from opslab.report.findings import next_plan
    from opslab.planning.targets import parse_period
    ds = _autumn_ramp()
    daily = _orders_frame(ds)
    as_of = dt.date(2024, 12, 9)
    kpis = pd.DataFrame({"actual": [np.nan]}, index=["gmv"])
    plan = next_plan(ds, parse_period("2024Q3"), [], as_of, None, kpis).set_index("kpi")
    gmv = plan.loc["gmv"]
    seen = daily.loc["2024-10-01":"2024-12-09"].sum()       # Q4 has begun: what is already in
    best_22 = daily.rolling(22).sum().max()                  # the 22 days left, at their best
    assert gmv["period"] == "2024Q4" and gmv["source"] == "forecast"
    assert gmv["floor"] == pytest.approx(seen, rel=1e-9)
    assert gmv["limit"] == pytest.approx(seen + FACTOR * best_22, rel=1e-9)
    assert seen <= gmv["value"] <= gmv["limit"]
    assert 0.3 <= gmv["p_hit"] <= 0.7   # the median of the same paths: about even odds
    # last year's Q4, by pandas, beside it
    assert gmv["last_year"] == pytest.approx(daily.loc["2023-10-01":"2023-12-31"].sum(), rel=1e-9)
    # no row is ever "at least 0"
    assert (plan["value"] > 0).all()
