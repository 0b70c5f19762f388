"""Tests for opslab.synth: shape, determinism, and the structure analyses must be able to find.

Every structural claim is checked with a plain pandas computation on the generated tables
(never with the generator's own internals).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lunardate import LunarDate

from opslab.core import schema
from opslab.core.calendar_cn import spring_festival
from opslab.synth import (CHANNELS, CITY_TIERS, TYPE_EFFECT, SynthConfig,
                          generate, main, users_for_events)

DEFAULT = SynthConfig()
START, END = pd.Timestamp("2025-08-01"), pd.Timestamp("2026-11-01")


@pytest.fixture(scope="module")
def data():
    return generate(DEFAULT)  # 3000 users, 15 months: about 0.5 s


@pytest.fixture(scope="module")
def small():
    return generate(SynthConfig(n_users=400, months=3, seed=11))


def daily_active(events: pd.DataFrame) -> pd.Series:
    return events.groupby(events["event_time"].dt.floor("D"))["user_id"].nunique()


def test_spring_festival_matches_lunardate():
    for year in range(2015, 2036):  # the synth uses the project's one calendar
        assert LunarDate(year, 1, 1).to_solar_date() == spring_festival(year)
    assert str(spring_festival(2025)) == "2025-01-29" and str(spring_festival(2026)) == "2026-02-17"


def test_same_seed_same_data_other_seed_other_data(small):
    again = generate(SynthConfig(n_users=400, months=3, seed=11))
    for name in ("users", "events", "orders", "campaigns"):
        pd.testing.assert_frame_equal(getattr(small, name), getattr(again, name))
    other = generate(SynthConfig(n_users=400, months=3, seed=12))
    assert not other.events.equals(small.events)


def test_schema_and_dtypes(data):
    for name, spec in schema.TABLES.items():
        df = getattr(data, name)
        assert set(spec.required) <= set(df.columns) <= set(spec.columns), name
        for col in spec.times + spec.dates:
            if col in df:  # optional ones (an order's payment time) only when the data have them
                assert df[col].dtype == "datetime64[us]", (name, col)
        for col in spec.money + spec.numbers:
            if col in df:
                assert df[col].dtype == np.float64, (name, col)
        for col in ("user_id", "order_id", "campaign_id", "event_name", "status", "channel",
                    "city", "name", "type"):
            if col in df:
                assert df[col].dtype == pd.StringDtype(na_value=np.nan), (name, col)
                assert df[col].notna().all()
    assert list(data.events.columns) == ["user_id", "event_time", "event_name"]
    u, o, c = data.users, data.orders, data.campaigns
    assert len(u) == DEFAULT.n_users and u["user_id"].is_unique and o["order_id"].is_unique
    assert u["user_id"].str.fullmatch(r"U\d{6}").all()
    assert set(data.events["event_name"]) == {"visit", "view", "add_to_cart", "checkout", "purchase",
                                               "share", "search"}
    assert set(u["channel"]) <= set(CHANNELS) and set(o["status"]) == {"paid", "refunded"}
    cities = {c for names, _, _ in CITY_TIERS.values() for c in names.split()}
    assert set(u["city"]) <= cities and {"北京", "上海", "成都"} <= set(u["city"])
    assert set(c["type"]) == set(TYPE_EFFECT) and c["campaign_id"].is_unique
    assert (o["amount"] > 0).all() and np.allclose(o["amount"], o["amount"].round(2))
    assert (c[["spend", "participants", "new_users", "conversions", "revenue"]] >= 0).all().all()


def test_everything_inside_the_window(data):
    for s in (data.events["event_time"], data.orders["order_time"]):
        assert s.min() >= START and s.max() < END
    u = data.users
    assert u["signup_time"].max() < END
    assert START <= u["signup_time"].quantile(0.3) and u["signup_time"].max() > END - pd.Timedelta(days=30)
    c = data.campaigns
    assert (c["start_date"] >= START).all() and (c["end_date"] < END).all()
    assert (c["start_date"] <= c["end_date"]).all()
    # nobody is active before signing up
    first = data.events.groupby("user_id")["event_time"].min()
    assert (first >= u.set_index("user_id").loc[first.index, "signup_time"]).all()


def test_orders_match_purchase_events(data):
    e, o = data.events, data.orders
    assert o["user_id"].isin(data.users["user_id"]).all()
    buys = e[e["event_name"] == "purchase"]
    assert len(buys) == len(o)
    key = ["user_id", "order_time"]
    matched = o.merge(buys.rename(columns={"event_time": "order_time"}), on=key, how="left")
    assert (matched["event_name"] == "purchase").all()


def test_refunds_are_a_few_percent(data):
    share = (data.orders["status"] == "refunded").mean()
    assert 0.02 < share < 0.07


def test_weekend_activity_higher(data):
    dau = daily_active(data.events)
    weekend = dau.index.day_of_week >= 5
    assert dau[weekend].mean() > 1.08 * dau[~weekend].mean()


def test_evening_peak(data):
    hours = data.events["event_time"].dt.hour
    assert hours.isin([19, 20, 21, 22]).mean() > 3 * hours.isin([2, 3, 4, 5]).mean() * 1.5


def test_double_11_gmv_peak():
    d = generate(SynthConfig(n_users=1500, months=4, seed=3))
    paid = d.orders[d.orders["status"] == "paid"]
    gmv = paid.groupby(paid["order_time"].dt.floor("D"))["amount"].sum()
    october = gmv[gmv.index.month == 10].reindex(pd.date_range("2025-10-01", "2025-10-31"), fill_value=0)
    assert gmv[pd.Timestamp("2025-11-11")] > 4 * october.median()
    n_orders = d.orders.groupby(d.orders["order_time"].dt.floor("D")).size()
    assert n_orders.idxmax() == pd.Timestamp("2025-11-11")  # GMV too, give or take a whale


@pytest.mark.parametrize("seed", [7, 5])
def test_spring_festival_dip_and_recovery(seed):
    d = generate(SynthConfig(n_users=6000, start="2025-11-01", months=5, seed=seed))
    dau = daily_active(d.events)
    sf = pd.Timestamp("2026-02-17")
    span = lambda a, b: dau[sf + pd.Timedelta(days=a): sf + pd.Timedelta(days=b)].mean()  # noqa: E731
    dip = span(-1, 1)
    assert dip < 0.8 * span(-28, -8)
    assert span(10, 24) > 1.2 * dip


def test_campaign_revenue_has_diminishing_returns(data):
    c = data.campaigns[data.campaigns["revenue"] > 0]
    assert len(c) >= 40
    slope = np.polyfit(np.log(c["spend"]), np.log(c["revenue"]), 1)[0]
    assert 0.3 < slope < 0.9


def test_campaign_numbers_match_visible_lift(data):
    u, o, c = data.users, data.orders, data.campaigns
    day = u["signup_time"].dt.floor("D")
    for row in c[c["new_users"] > 0].itertuples():
        in_window = (day >= row.start_date) & (day <= row.end_date) & (u["channel"] == row.channel)
        assert in_window.sum() >= row.new_users, row.name
    oday = o["order_time"].dt.floor("D")
    for row in c.itertuples():
        assert ((oday >= row.start_date) & (oday <= row.end_date)).sum() >= row.conversions
    # attributed orders are a believable minority of all orders
    assert 0.05 < c["conversions"].sum() / len(o) < 0.5
    # signups per day are higher on days inside 拉新 campaigns than on other days
    signups = day[day >= START].value_counts().reindex(pd.date_range(START, END, inclusive="left"),
                                                       fill_value=0)
    acq = c[c["type"] == "拉新"]
    on = np.zeros(len(signups), bool)
    for row in acq.itertuples():
        on |= (signups.index >= row.start_date) & (signups.index <= row.end_date)
    assert signups[on].mean() > 1.1 * signups[~on].mean()


def test_churners_decline_before_they_leave(data):
    e = data.events
    days = e.assign(day=e["event_time"].dt.floor("D"))[["user_id", "day"]].drop_duplicates()
    span = days.groupby("user_id")["day"].agg(["min", "max"])
    churned = span[(span["max"] < END - pd.Timedelta(days=60))
                   & (span["min"] <= span["max"] - pd.Timedelta(days=56))]
    assert len(churned) > 200
    x = days.merge(churned[["max"]].reset_index(), on="user_id")
    lag = (x["max"] - x["day"]).dt.days
    recent = x[(lag >= 1) & (lag <= 28)].groupby("user_id").size().reindex(churned.index, fill_value=0)
    before = x[(lag >= 29) & (lag <= 56)].groupby("user_id").size().reindex(churned.index, fill_value=0)
    assert recent.mean() < 0.95 * before.mean()


def test_a_quarter_of_new_users_never_return(data):
    e = data.events
    active_days = e.groupby("user_id")["event_time"].agg(lambda s: s.dt.floor("D").nunique())
    u = data.users
    new = u[(u["signup_time"] >= START) & (u["signup_time"] < END - pd.Timedelta(days=45))]
    once = (active_days.reindex(new["user_id"]) == 1).mean()
    assert 0.2 < once < 0.4


def test_spend_is_long_tailed(data):
    paid = data.orders[data.orders["status"] == "paid"]
    per_user = paid.groupby("user_id")["amount"].sum().sort_values(ascending=False)
    top = per_user.head(len(per_user) // 10).sum() / per_user.sum()
    assert top > 0.35
    assert paid["amount"].mean() > 1.2 * paid["amount"].median()


@pytest.mark.parametrize("target,months", [(30_000, 15), (20_000, 3)])
def test_users_for_events_hits_the_target(target, months):
    n = users_for_events(target, months) if months != 15 else users_for_events(target)
    got = len(generate(SynthConfig(n_users=n, months=months)).events)
    assert abs(got - target) < 0.3 * target


def test_cli_writes_readable_csv(tmp_path):
    main(["--users", "150", "--months", "2", "--seed", "5", "--out", str(tmp_path)])
    ref = generate(SynthConfig(n_users=150, months=2, seed=5))
    for name in ("users", "events", "orders", "campaigns"):
        raw = pd.read_csv(tmp_path / f"{name}.csv", dtype=str, encoding="utf-8")
        assert list(raw.columns) == list(getattr(ref, name).columns)
        assert len(raw) == len(getattr(ref, name))
    ev = pd.read_csv(tmp_path / "events.csv", dtype=str)
    assert ev["event_time"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert (pd.to_datetime(ev["event_time"]) == ref.events["event_time"]).all()
    orders = pd.read_csv(tmp_path / "orders.csv", dtype=str)
    assert (orders["amount"] == ref.orders["amount"].map("{:.2f}".format)).all()
    camp = pd.read_csv(tmp_path / "campaigns.csv", dtype=str)
    assert camp["start_date"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    main(["--events", "4000", "--months", "2", "--out", str(tmp_path / "e")])
    assert 2800 < len(pd.read_csv(tmp_path / "e" / "events.csv")) < 5200
