"""Anomaly alerts with their likely cause, measured on anomalies seeded into the sample.

The seeds are written here with plain pandas (no OpsLab code): on 20 days drawn at random
(a week apart at least), one segment — a signup channel or a city with at least 150 users —
gets extra activity worth 1–3 times the KPI's usual day (the median of the 28 days before,
computed here), and for counts at least 8·√usual (eight times the Poisson noise of a count that size:
the sample's days hold about 6 orders and 5 sign-ups, where a doubling is within a Poisson
day's normal swing); DAU is capped by the segment's users idle that day: extra paid orders (GMV or orders), extra active users (DAU) or extra sign-ups
(new users). In the sample every order's channel is its buyer's signup channel, so for a
channel seed either channel dimension is the true cause. Measured over every day of the
window and every KPI: precision (alerts on a seeded incident's KPIs ÷ all alerts not
explained by a planned campaign); for each seed found (an alert on a KPI it moves), whether
its strongest alert names the seeded dimension and segment first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.report.alerts import AlertConfig, anomaly_alerts
from opslab.dataset.dataset import Dataset
from opslab.dataset.load import load_sample

AFFECTS = {"gmv": {"gmv", "orders", "paying_users"}, "orders": {"gmv", "orders", "paying_users"},
           "dau": {"dau"}, "new_users": {"new_users"}}
CHANNEL = {"order_channel", "user_channel"}


def _usual(series: pd.Series, day: pd.Timestamp) -> float:
    window = series[(series.index < day) & (series.index >= day - pd.Timedelta(days=28))]
    return float(window.median())


def seed_anomalies(ds, n: int = 20, seed: int = 11):
    rng = np.random.default_rng(seed)
    ev = ds.events.drop(columns="uid").copy()
    od = ds.orders.drop(columns="uid").copy()
    us = ds.users.drop(columns=["uid", "censored"]).copy()
    paid = od[od["status"] == "paid"]
    day_of = paid["order_time"].dt.normalize()
    gmv, orders = paid.groupby(day_of)["amount"].sum(), paid.groupby(day_of).size()
    dau = ev.groupby(ev["event_time"].dt.normalize())["user_id"].nunique()
    new = us.groupby(us["signup_time"].dt.normalize()).size()
    candidates = pd.date_range(pd.Timestamp(ds.start) + pd.Timedelta(days=35), pd.Timestamp(ds.end), freq="7D")
    days = sorted(rng.choice(candidates, size=n, replace=False))
    truth = []
    for i, day in enumerate(map(pd.Timestamp, days)):
        kpi = ["gmv", "orders", "dau", "new_users"][i % 4]
        dim = ["channel", "city"][(i // 4) % 2] if i < 16 else str(rng.choice(["channel", "city"]))
        sizes = us[dim].value_counts()
        seg = str(rng.choice(sizes[sizes >= 150].index.to_numpy()))
        members = us[us[dim] == seg]
        f = rng.uniform(1.0, 3.0)
        at = lambda k: day + pd.to_timedelta(rng.integers(8 * 3600, 22 * 3600, k), unit="s")  # noqa: E731
        if kpi in ("gmv", "orders"):
            pool = paid[paid["user_id"].isin(members["user_id"])]["amount"].to_numpy()
            usual = _usual(orders.reindex(pd.date_range(ds.start, ds.end), fill_value=0), day)
            k = int(np.ceil(max(f * usual, 8 * np.sqrt(usual))))
            if kpi == "gmv":
                k = max(k, int(np.ceil(f * _usual(gmv.reindex(pd.date_range(ds.start, ds.end), fill_value=0), day)
                                       / np.median(pool))))
            buyers = members[members["signup_time"] < day].sample(k, replace=False, random_state=int(rng.integers(1e9)))
            extra = pd.DataFrame({"user_id": buyers["user_id"].to_numpy(), "order_time": at(k),
                                  "amount": rng.choice(pool, k), "status": "paid",
                                  "order_id": [f"seed{i}_{j}" for j in range(k)],
                                  "channel": buyers["channel"].to_numpy()})
            od = pd.concat([od, extra], ignore_index=True)
        elif kpi == "dau":
            active = set(ev.loc[ev["event_time"].dt.normalize() == day, "user_id"])
            idle = members[~members["user_id"].isin(active) & (members["signup_time"] < day)]
            k = min(len(idle), int(np.ceil(f * _usual(dau, day))))
            who = idle.sample(k, replace=False, random_state=int(rng.integers(1e9)))
            extra = pd.DataFrame({"user_id": who["user_id"].to_numpy(), "event_time": at(k), "event_name": "visit",
                                  "channel": who["channel"].to_numpy()})
            ev = pd.concat([ev, extra], ignore_index=True)
        else:
            usual = max(_usual(new.reindex(pd.date_range(ds.start, ds.end), fill_value=0), day), 1)
            k = int(np.ceil(max(f * usual, 8 * np.sqrt(usual))))
            other = "city" if dim == "channel" else "channel"
            extra = pd.DataFrame({"user_id": [f"S{i}_{j}" for j in range(k)], "signup_time": at(k),
                                  dim: seg, other: rng.choice(us[other].dropna().to_numpy(), k)})
            us = pd.concat([us, extra], ignore_index=True)
        truth.append({"day": day.date(), "kpi": kpi, "dimension": dim, "segment": seg})
    seeded = Dataset.from_tables(events=ev, orders=od, users=us, campaigns=ds.campaigns)
    return seeded, pd.DataFrame(truth)


@pytest.fixture(scope="module")
def seeded():
    return seed_anomalies(load_sample())


@pytest.mark.slow
def test_seeded_anomalies_found_with_their_cause(seeded):
    ds, truth = seeded
    days = (pd.Timestamp(ds.end) - pd.Timestamp(truth["day"].min())).days + 1
    res = anomaly_alerts(ds, as_of=ds.end, config=AlertConfig(days=days))
    news = res.news()
    assert len(news)
    by_day = truth.set_index("day")
    hit = [r.day in by_day.index and r.kpi in AFFECTS[by_day.loc[r.day, "kpi"]] for r in news.itertuples()]
    precision = float(np.mean(hit))
    hits = news[hit]
    right = []
    for day, alerts in hits.groupby("day"):
        t, r = by_day.loc[day], alerts.loc[alerts["score"].abs().idxmax()]
        dim_ok = r["cause_dimension"] in CHANNEL if t["dimension"] == "channel" else r["cause_dimension"] == "city"
        right.append(dim_ok and r["cause_segment"] == t["segment"])
    recall = len(right) / len(truth)
    print(f"alerts {len(news)}, precision {precision:.2f}, seeds found {len(right)}/{len(truth)}, "
          f"cause first {np.mean(right):.2f}")
    assert precision >= 0.8
    assert recall >= 0.6 and np.mean(right) >= 0.7  # seeds on planned days are not news


def test_alert_arguments_checked():
    ds = load_sample()
    with pytest.raises(ValueError):
        AlertConfig(window_days=3)
    with pytest.raises(ValueError):
        anomaly_alerts(ds, ["revenue_per_moon"])
    with pytest.raises(TypeError):
        anomaly_alerts(ds, 42)


@pytest.mark.parametrize("rule", ["net", "gross"])
def test_a_days_value_is_the_catalogues_figure_of_that_day(rule):
    # what an alert compares is the figure every screen shows for that day (the metric
    # catalogue's definition): GMV net of refund rows under the net rule, orders and paying
    # users of sales only, DAU of users with an event or a paid order, new users whose signup
    # is known; checked on the sample with refunds added (a negative row and a refunded sale)
    from opslab.metrics import catalogue_values
    from opslab.report.alerts import ALERT_KPIS, _daily, _rows
    ds0 = load_sample()
    od = ds0.orders.drop(columns="uid").copy()
    last = od.sort_values("order_time").tail(40)
    refunds = last.head(20).assign(amount=-last.head(20)["amount"], status="refunded")
    od.loc[last.index[20:], "status"] = "refunded"
    ds = Dataset.from_tables(events=ds0.events.drop(columns="uid"), orders=pd.concat([od, refunds]),
                             users=ds0.users.drop(columns=["uid", "censored"]), campaigns=ds0.campaigns,
                             currency="CNY", refunds=rule)
    days = pd.date_range(ds.start, ds.end, freq="D")
    for kpi in ALERT_KPIS:
        rows, _ = _rows(ds, kpi)
        ours = _daily(rows, days)[""]
        key = "daily_paying_users" if kpi == "paying_users" else kpi
        theirs = catalogue_values.values(ds, key, "day").reindex(days, fill_value=0.0)
        np.testing.assert_allclose(ours.to_numpy(), theirs.fillna(0.0).to_numpy(), rtol=1e-9, atol=1e-6,
                                   err_msg=kpi)
