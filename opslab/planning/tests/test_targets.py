"""Targets: periods, validation, the JSON store, xlsx/CSV round trips, and 完成度 / 时间进度 /
P(hit) / status checked by hand on small cases and against pandas on the sample data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opslab.planning.completion as ts_mod
from opslab.present import export
from opslab.dataset.dataset import Dataset
from opslab.dataset.load import load_sample
from opslab.core.problems import OpsLabError
from opslab.planning.completion import completion, period_actuals, target_status, time_progress
from opslab.planning.targets import Target, parse_period, read_targets, targets_frame
from opslab.workspace.target_store import TargetStore


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def tiny() -> Dataset:
    """Jan 1-10 2024: one paid order of 100 per day by user d<i>, one extra user active
    every day (DAU 2 each day)."""
    days = pd.date_range("2024-01-01", periods=10, freq="D")
    orders = pd.DataFrame({"user_id": [f"d{i}" for i in range(10)], "order_time": days + pd.Timedelta(hours=9),
                           "amount": 100.0, "status": "paid"})
    events = pd.DataFrame({"user_id": ["x"] * 10 + [f"d{i}" for i in range(10)],
                           "event_time": list(days + pd.Timedelta(hours=8)) * 2})
    return Dataset.from_tables(events=events, orders=orders)


def test_periods():
    p = parse_period("2026Q3")
    assert (p.start.isoformat(), p.end.isoformat(), p.days) == ("2026-07-01", "2026-09-30", 92)
    assert parse_period("2026年第四季度").code == "2026Q4"
    assert parse_period("2026年2月").end.isoformat() == "2026-02-28"
    assert parse_period("2024-02").days == 29
    assert parse_period("2026Q4").next().code == "2027Q1"
    assert parse_period("2026-01").prev().code == "2025-12"
    assert parse_period("2026").days == 365
    with pytest.raises(OpsLabError):
        parse_period("2026Q5")
    with pytest.raises(OpsLabError):
        parse_period("2026-13")


def test_target_validation_and_default_direction():
    assert Target("cac", "2026Q3", 55).direction == "at_most"
    assert Target("gmv", "2026-7", 1).period == "2026-07"
    for bad in (dict(kpi="nope", period="2026Q3", value=1), dict(kpi="gmv", period="2026Q3", value=-1),
                dict(kpi="gmv", period="2026Q3", value=1, direction="more")):
        with pytest.raises(OpsLabError):
            Target(**bad)


def test_store_round_trip_and_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    store = TargetStore()
    targets = [Target("gmv", "2026Q3", 2.2e7), Target("m3_payer", "2026Q3", 0.58), Target("cac", "2026Q3", 55)]
    store.save("a" * 64, targets)
    assert (tmp_path / "targets" / ("a" * 64 + ".json")).exists()
    assert store.load("a" * 64) == targets
    assert store.load("b" * 64) == []
    for bad in ("../x", "a/b", "", "x" * 200):
        with pytest.raises(OpsLabError):
            store.save(bad, targets)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_file_round_trip(fmt):
    targets = [Target("gmv", "2026Q3", 2.2e7), Target("roi", "2026Q3", 3.5), Target("cac", "2026-08", 55)]
    frame = targets_frame(targets)
    data = export.to_csv_bytes(frame) if fmt == "csv" else export.to_xlsx_bytes(frame)
    assert read_targets(data, f"t.{fmt}") == targets


def test_file_with_chinese_labels_and_percent():
    text = "指标,周期,目标值,方向\nM3留存（付费用户）,2026年第三季度,58%,不低于\n获客成本CAC,2026Q3,55,不高于\n"
    got = read_targets(text.encode("gb18030"), "targets.csv")
    assert got == [Target("m3_payer", "2026Q3", 0.58, "at_least"), Target("cac", "2026Q3", 55, "at_most")]
    with pytest.raises(OpsLabError) as err:
        read_targets("kpi,period,value\ngmv,2026Q3,lots\n".encode(), "t.csv")
    assert err.value.code == "targets.bad_row" and err.value.params["row"] == 2
    assert err.value.params["value"] == "lots" and err.value.params["detail"] == "targets.bad_value"


def test_time_progress_and_completion_by_hand():
    assert time_progress("2026-07-01", "2026-09-30", "2026-07-01") == pytest.approx(1 / 92)
    assert time_progress("2026-07-01", "2026-09-30", "2026-08-15") == pytest.approx(46 / 92)
    assert time_progress("2026-07-01", "2026-09-30", "2026-06-30") == 0.0
    assert time_progress("2026-07-01", "2026-09-30", "2026-12-31") == 1.0
    assert completion(18.6, 17.714285714285715) == pytest.approx(1.05)
    assert completion(50.0, 55.0, "at_most") == pytest.approx(1.1)
    assert np.isnan(completion(10.0, 0.0))


def test_p_hit_completion_and_status_by_hand(monkeypatch):
    ds = tiny()
    # Three sample paths for the 21 remaining days of January: 10, 50 and 100 per day.
    paths = np.array([[10.0] * 21, [50.0] * 21, [100.0] * 21])

    def fake(ds_, kpi, grain, start, end, config=None):
        days = pd.date_range(start, end, freq="D")
        assert (days[0], days[-1]) == (pd.Timestamp("2024-01-11"), pd.Timestamp("2024-01-31"))
        return paths if kpi == "gmv" else np.full((3, 21), 2.0) * np.array([[1.0], [2.0], [4.0]]), days
    monkeypatch.setattr(ts_mod, "forecast_paths", fake)
    out = target_status(ds, [Target("gmv", "2024-01", 2000), Target("dau_avg", "2024-01", 5),
                             Target("dau_peak", "2024-01", 3)]).set_index("kpi")
    g = out.loc["gmv"]
    assert g["actual"] == 1000 and g["completion"] == 0.5
    assert g["time_progress"] == pytest.approx(10 / 31) and g["days_elapsed"] == 10
    assert g["run_rate"] == pytest.approx(3100)
    # period totals per path: 1000 + 21 x (10, 50, 100) = 1210, 2050, 3100
    assert g["forecast"] == pytest.approx((1210 + 2050 + 3100) / 3)
    assert g["p_hit"] == pytest.approx(2 / 3) and g["status"] == "on_track"
    d = out.loc["dau_avg"]  # (10 x 2 + 21 x (2, 4, 8)) / 31 = 2, 3.355, 6.065 -> 1 of 3 >= 5
    assert d["actual"] == 2 and d["p_hit"] == pytest.approx(1 / 3) and d["status"] == "at_risk"
    p = out.loc["dau_peak"]  # max(2, 2 / 4 / 8) -> 2 of 3 >= 3
    assert p["p_hit"] == pytest.approx(2 / 3)


def test_status_without_forecast_and_past_periods(monkeypatch):
    ds = tiny()
    monkeypatch.setattr(ts_mod, "forecast_paths", lambda *a, **k: (None, None))
    out = target_status(ds, [Target("paying_users", "2024-01", 30), Target("gmv", "2023-12", 10),
                             Target("gmv", "2024-01", 3000)], as_of="2024-01-10").set_index("period")
    # paying users: 10 so far; no earlier period to learn from -> linear run-rate 31 >= 30
    assert out.iloc[0]["run_rate"] == pytest.approx(31) and out.iloc[0]["status"] == "on_track"
    assert out.loc["2023-12", "state"] == "past" and out.loc["2023-12", "status"] == "no_data"
    g = out.loc["2024-01"].iloc[-1] if isinstance(out.loc["2024-01"], pd.DataFrame) else out.loc["2024-01"]
    assert g["run_rate"] == pytest.approx(3100) and g["status"] == "on_track"
    past = target_status(ds, [Target("gmv", "2024-01", 999)], as_of="2024-01-31").iloc[0]
    assert past["state"] == "past" and past["status"] == "hit" and past["completion"] == pytest.approx(1000 / 999)
    assert np.isnan(past["p_hit"]) and np.isnan(past["forecast"])  # final, not forecast


def test_no_silent_default_target(sample):
    assert target_status(sample, []).empty


def test_actuals_match_pandas(sample):
    got = period_actuals(sample, "2026-07-01", "2026-09-30")
    o = sample.orders[(sample.orders["status"] == "paid")]
    day = o["order_time"].dt.normalize()
    q = o[(day >= "2026-07-01") & (day <= "2026-09-30")]
    assert got["gmv"] == pytest.approx(q["amount"].sum())
    assert got["paying_users"] == q["user_id"].nunique()
    u = sample.users[~sample.users["censored"]]
    signup = u["signup_time"].dt.normalize()
    assert got["new_users"] == ((signup >= "2026-07-01") & (signup <= "2026-09-30")).sum()
    act = pd.concat([sample.events[["user_id", "event_time"]].rename(columns={"event_time": "t"}),
                     o[["user_id", "order_time"]].rename(columns={"order_time": "t"})])
    act = act.assign(d=act["t"].dt.normalize())
    dau = act.groupby("d")["user_id"].nunique().reindex(pd.date_range("2026-07-01", "2026-09-30"), fill_value=0)
    assert got["dau_avg"] == pytest.approx(dau.mean()) and got["dau_peak"] == dau.max()
    c = sample.campaigns[(sample.campaigns["start_date"] >= "2026-07-01") & (sample.campaigns["start_date"] <= "2026-09-30")]
    assert got["roi"] == pytest.approx(c["revenue"].sum() / c["spend"].sum())
    assert got["cac"] == pytest.approx(c["spend"].sum() / c["new_users"].sum())
    assert got["participants"] == c["participants"].sum()


def test_retention_matches_brute_force(sample):
    """M1/M3 of all users, payers and high-value users for 2026Q3, by plain pandas."""
    got = period_actuals(sample, "2026-07-01", "2026-09-30")
    o = sample.orders[sample.orders["status"] == "paid"]
    act = pd.concat([sample.events[["user_id", "event_time"]].rename(columns={"event_time": "t"}),
                     o[["user_id", "order_time"]].rename(columns={"order_time": "t"})])
    active = set(zip(act["user_id"], act["t"].dt.to_period("M")))
    spend = o.groupby([o["user_id"], o["order_time"].dt.to_period("M")])["amount"].sum()
    u = sample.users[~sample.users["censored"]]
    bases = {"all": list(zip(u["user_id"], u["signup_time"].dt.to_period("M"))),
             "payer": list(spend.index), "high_value": list(spend[spend >= 200].index)}
    first = pd.Period(sample.start, "M")
    for k in (1, 3):
        for base, pairs in bases.items():
            months = [pd.Period("2026-07", "M"), pd.Period("2026-08", "M"), pd.Period("2026-09", "M")]
            cells = [(uid, m) for uid, m in pairs if m + k in months and (base != "all" or m >= first)]
            expected = np.mean([(uid, m + k) in active for uid, m in cells])
            assert got[f"m{k}_{base}"] == pytest.approx(expected), (k, base)


def _brute_high_value_retention(ds, k: int, threshold: float, months) -> float:
    """Pooled M``k`` retention of the months' high-value payers (monthly spend ≥ threshold)."""
    o = ds.orders[ds.orders["status"] == "paid"]
    act = pd.concat([ds.events[["user_id", "event_time"]].rename(columns={"event_time": "t"}),
                     o[["user_id", "order_time"]].rename(columns={"order_time": "t"})])
    active = set(zip(act["user_id"], act["t"].dt.to_period("M")))
    spend = o.groupby([o["user_id"], o["order_time"].dt.to_period("M")])["amount"].sum()
    cells = [(uid, m) for uid, m in spend[spend >= threshold].index if m + k in months]
    return float(np.mean([(uid, m + k) in active for uid, m in cells]))


@pytest.mark.slow  # fits the daily forecasts behind P(hit)
def test_high_value_targets_follow_the_rules_in_force(sample):
    """One rule set: a high-value threshold edited on Lifecycle (here 500 instead of the fitted
    200) is the one the targets, their levers and the report measure high-value retention by."""
    from opslab.lifecycle.tiers import LifecycleRules
    from opslab.report import quarterly_report
    months = [pd.Period(m, "M") for m in ("2026-07", "2026-08", "2026-09")]
    expected = _brute_high_value_retention(sample, 1, 500.0, months)
    default = _brute_high_value_retention(sample, 1, 200.0, months)
    assert abs(expected - default) > 1e-3  # the threshold matters on the sample
    t = Target("m1_high_value", "2026Q3", 0.5)
    row = target_status(sample, [t], high_value=500.0).iloc[0]
    assert row["actual"] == pytest.approx(expected)
    assert target_status(sample, [t]).iloc[0]["actual"] == pytest.approx(default)
    rep = quarterly_report(sample, "2026Q3", targets=[t], lang="en",
                           rules=LifecycleRules(high_value_monthly_spend=500.0))
    assert rep.kpis.loc["m1_high_value", "actual"] == pytest.approx(expected)
    assert rep.status.iloc[0]["actual"] == pytest.approx(expected)
