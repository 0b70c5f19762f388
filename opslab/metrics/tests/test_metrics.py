"""KPIs and retention checked against hand computations and brute-force pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.metrics import kpi_table as metrics
from opslab.dataset.dataset import Dataset


def _ev(pairs):
    return pd.DataFrame({"user_id": [u for u, _ in pairs], "event_time": pd.to_datetime([t for _, t in pairs])})


def _signups(*frames):
    """A users table whose signup is each user's first event or order (known signups)."""
    parts = [f.rename(columns={"event_time": "t", "order_time": "t"})[["user_id", "t"]] for f in frames]
    first = pd.concat(parts).groupby("user_id")["t"].min()
    return pd.DataFrame({"user_id": first.index, "signup_time": first.to_numpy()})


def _known(events, orders=None):
    frames = [events] if orders is None else [events, orders]
    return Dataset.from_tables(events=events, orders=orders, users=_signups(*frames))


# -- retention on a hand-built five-user case -----------------------------------------------
FIVE = _ev([
    ("a", "2024-01-03"), ("a", "2024-02-10"), ("a", "2024-04-01"),   # Jan cohort, months 0,1,3
    ("b", "2024-01-20"), ("b", "2024-03-05"),                        # Jan cohort, months 0,2
    ("c", "2024-01-31"),                                             # Jan cohort, month 0 only
    ("d", "2024-02-01"), ("d", "2024-03-01"), ("d", "2024-04-30"),   # Feb cohort, months 0,1,2
    ("e", "2024-02-15"), ("e", "2024-02-16"),                        # Feb cohort, month 0 only
])


def test_five_user_retention_on():
    ds = _known(FIVE)
    c = metrics.cohort_retention(ds, "month", "on").set_index(["cohort", "k"])
    jan, feb = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")
    assert c.loc[(jan, 0), "size"] == 3 and c.loc[(feb, 0), "size"] == 2
    assert [c.loc[(jan, k), "retained"] for k in range(4)] == [3, 1, 1, 1]
    assert [c.loc[(feb, k), "retained"] for k in range(3)] == [2, 1, 1]
    assert c.loc[(jan, 1), "rate"] == pytest.approx(1 / 3)
    # Data end on 2024-04-30: April is complete, so Jan k=3 and Feb k=2 are complete cells.
    assert c.loc[(jan, 3), "complete"] and c.loc[(feb, 2), "complete"]
    m1 = metrics.headline_retention(c.reset_index(), 1)
    assert m1 == pytest.approx((1 + 1) / (3 + 2))  # pooled over both cohorts
    assert metrics.headline_retention(c.reset_index(), 3) == pytest.approx(1 / 3)  # Jan only


def test_five_user_retention_on_or_after():
    ds = _known(FIVE)
    c = metrics.cohort_retention(ds, "month", "on_or_after").set_index(["cohort", "k"])
    jan = pd.Timestamp("2024-01-01")
    # a: last month 3, b: last month 2, c: last month 0
    assert [c.loc[(jan, k), "retained"] for k in range(4)] == [3, 2, 2, 1]


def test_incomplete_cells_are_marked():
    ev = pd.concat([FIVE, _ev([("f", "2024-05-10")])])  # data now end mid-May
    ds = _known(ev)
    c = metrics.cohort_retention(ds, "month", "on").set_index(["cohort", "k"])
    assert not c.loc[(pd.Timestamp("2024-01-01"), 4), "complete"]
    assert c.loc[(pd.Timestamp("2024-01-01"), 3), "complete"]


# -- brute force on random data --------------------------------------------------------------
def _active_days(events, orders):
    a = pd.DataFrame({"user_id": events["user_id"], "day": events["event_time"].dt.normalize()})
    paid = orders[orders["status"] == "paid"]
    b = pd.DataFrame({"user_id": paid["user_id"], "day": paid["order_time"].dt.normalize()})
    return pd.concat([a, b]).drop_duplicates()


def test_daily_dau_wau_mau_match_brute_force(activity):
    events, orders = activity
    ds = Dataset.from_tables(events=events, orders=orders)
    got = metrics.daily(ds)
    act = _active_days(events, orders)
    for day in pd.date_range(ds.start, ds.end, freq="D")[::7]:
        on = act[act["day"] == day]["user_id"].nunique()
        w = act[(act["day"] > day - pd.Timedelta(days=7)) & (act["day"] <= day)]["user_id"].nunique()
        m = act[(act["day"] > day - pd.Timedelta(days=30)) & (act["day"] <= day)]["user_id"].nunique()
        age = (day - pd.Timestamp(ds.start)).days
        assert got.loc[day, "dau"] == on, day
        # Windows reaching back before the data are unknown rather than undercounted.
        assert got.loc[day, "wau"] == w if age >= 6 else np.isnan(got.loc[day, "wau"]), day
        assert got.loc[day, "mau"] == m if age >= 29 else np.isnan(got.loc[day, "mau"]), day


def test_monthly_kpis_match_brute_force(activity):
    events, orders = activity
    ds = _known(events, orders)
    frame = metrics.kpis(ds, "month", metrics.MetricConfig(conversion_days=30))
    act = _active_days(events, orders)
    paid = orders[orders["status"] == "paid"]
    first_seen = pd.concat([events.rename(columns={"event_time": "t"})[["user_id", "t"]],
                            orders.rename(columns={"order_time": "t"})[["user_id", "t"]]]).groupby("user_id")["t"].min()
    first_paid = paid.groupby("user_id")["order_time"].min()
    for month in frame.index:
        nxt = month + pd.DateOffset(months=1)
        in_m = lambda s: (s >= month) & (s < nxt)  # noqa: E731
        p = paid[in_m(paid["order_time"])]
        row = frame.loc[month]
        assert row["active_users"] == act[in_m(act["day"])]["user_id"].nunique()
        assert row["gmv"] == pytest.approx(p["amount"].sum())
        assert row["paying_users"] == p["user_id"].nunique()
        cohort = first_seen[in_m(first_seen)]
        conv = sum(1 for u, t in cohort.items() if u in first_paid.index
                   and (first_paid[u].normalize() - t.normalize()).days < 30)
        assert row["new_users"] == len(cohort)
        if len(cohort):
            assert row["paid_conversion"] == pytest.approx(conv / len(cohort))
        assert row["arppu"] == pytest.approx(p["amount"].sum() / p["user_id"].nunique()) if len(p) else True
        days = pd.date_range(max(month, pd.Timestamp(ds.start)), min(nxt - pd.Timedelta(days=1), pd.Timestamp(ds.end)))
        daily = act.groupby("day")["user_id"].nunique().reindex(days, fill_value=0)
        assert row["dau"] == pytest.approx(daily.mean())


def test_kpi_cards_period_over_period_and_year_over_year():
    # Two years of steady data, doubling activity in the second year.
    days = pd.date_range("2023-01-01", "2024-12-31", freq="D")
    pairs = [(f"u{i}", d) for d in days for i in range(2 if d.year == 2023 else 4)]
    ds = Dataset.from_tables(events=_ev([(u, str(d.date())) for u, d in pairs]))
    cards = metrics.kpi_cards(ds, "month", "2024-06-01")
    assert cards.loc["dau", "value"] == pytest.approx(4)
    assert cards.loc["dau", "pop_change"] == pytest.approx(0.0)
    assert cards.loc["dau", "yoy_change"] == pytest.approx(1.0)  # 4 vs 2 a year before
    q = metrics.kpi_cards(ds, "quarter", "2024-01-01")
    assert q.loc["dau", "yoy_change"] == pytest.approx(1.0)
    # The first month has no previous month in the data: no 环比, rather than a made-up one.
    first = metrics.kpi_cards(ds, "month", "2023-01-01")
    assert np.isnan(first.loc["dau", "pop_change"]) and np.isnan(first.loc["dau", "yoy_change"])


def test_default_period_is_latest_complete():
    ds = Dataset.from_tables(events=_ev([("a", "2024-01-01"), ("a", "2024-03-15")]))
    assert metrics.default_period(ds, "month") == pd.Timestamp("2024-02-01")


@pytest.mark.parametrize("grain,day,start", [
    ("week", "2024-01-04", "2024-01-01"), ("month", "2024-02-29", "2024-02-01"),
    ("quarter", "2024-05-20", "2024-04-01"), ("day", "2024-05-20", "2024-05-20")])
def test_period_start(grain, day, start):
    assert metrics.period_start(day, grain) == pd.Timestamp(start)


def test_users_signed_up_before_the_data_do_not_stretch_the_range():
    ev = _ev([("a", "2024-03-05"), ("b", "2024-03-06"), ("b", "2024-04-02")])
    users = pd.DataFrame({"user_id": ["a", "b"], "signup_time": pd.to_datetime(["2022-01-01", "2024-03-06"])})
    ds = Dataset.from_tables(events=ev, users=users)
    assert str(ds.start) == "2024-03-05"
    assert metrics.daily(ds).index[0] == pd.Timestamp("2024-03-05")
    cohorts = metrics.cohort_retention(ds, "month")
    assert cohorts["cohort"].min() == pd.Timestamp("2024-03-01")  # the 2022 signup is history, not a cohort


def test_first_month_mau_is_not_a_ramp_up_artefact():
    # 30 users each active every 30 days, staggered: the true MAU is 30 on every day.
    pairs = [(f"u{i}", str((pd.Timestamp("2024-01-01") + pd.Timedelta(days=i + 30 * k)).date()))
             for i in range(30) for k in range(3)]
    ds = _known(_ev(pairs))
    frame = metrics.kpis(ds, "month")
    assert frame.loc["2024-01-01", "mau"] == pytest.approx(30)  # only the fully observed days
    assert metrics.kpi_cards(ds, "month", "2024-02-01").loc["mau", "pop_change"] == pytest.approx(0.0)


def test_paid_conversion_is_compared_only_between_closed_windows():
    # One signup a day, each paying exactly 20 days later; the data end on 2024-02-29.
    days = pd.date_range("2024-01-01", "2024-02-29")
    ev = _ev([(f"u{i}", str(d.date())) for i, d in enumerate(days)])
    od = pd.DataFrame({"user_id": [f"u{i}" for i, d in enumerate(days) if d + pd.Timedelta(days=20) <= days[-1]],
                       "order_time": [d + pd.Timedelta(days=20) for d in days if d + pd.Timedelta(days=20) <= days[-1]],
                       "amount": 10.0, "status": "paid"})
    ds = _known(ev, od)
    cards = metrics.kpi_cards(ds, "month", "2024-02-01")
    assert cards.loc["paid_conversion", "value"] < 1.0  # late-February sign-ups have not paid yet
    assert np.isnan(cards.loc["paid_conversion", "pop_change"])  # so no fake drop against January
    jan = metrics.kpis(ds, "month").loc["2024-01-01"]
    assert jan["paid_conversion"] == 1.0 and jan["conversion_complete"]


def test_unknown_signups_in_the_first_days_are_existing_users_not_new():
    old = [(f"o{i}", str(d.date())) for i in range(20) for d in pd.date_range("2024-01-01", "2024-04-30", freq="7D")]
    new = [(f"n{i}", "2024-02-15") for i in range(5)]
    ds = Dataset.from_tables(events=_ev(old + new))  # no users table: signups are derived
    assert "signup" in ds.derived
    frame = metrics.kpis(ds, "month")
    assert frame.loc["2024-01-01", "new_users"] == 0  # first seen in the burn-in: not sign-ups
    assert frame.loc["2024-02-01", "new_users"] == 5
    cohorts = metrics.cohort_retention(ds, "month")
    assert set(cohorts["cohort"]) == {pd.Timestamp("2024-02-01")}


def test_periods_before_the_data_do_not_appear():
    ev = _ev([("a", "2024-03-05"), ("a", "2024-04-02")])
    users = pd.DataFrame({"user_id": ["a", "b"], "signup_time": pd.to_datetime(["2024-03-05", "2023-11-20"])})
    ds = Dataset.from_tables(events=ev, users=users)
    assert metrics.kpis(ds, "month").index.min() == pd.Timestamp("2024-03-01")


def test_short_exports_keep_first_seen_as_the_signup():
    ev = _ev([("a", "2024-01-05"), ("b", "2024-01-20"), ("b", "2024-02-10")])  # five weeks of data
    ds = Dataset.from_tables(events=ev)
    assert metrics.kpis(ds, "month").loc["2024-01-01", "new_users"] == 2
