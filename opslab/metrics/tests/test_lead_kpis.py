"""The lead cards (CAC, ROI, peak DAU, payer / high-value M1/M3) against pandas on the raw
sample files, and the existing-users rule switched off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslab.metrics import lead_kpis
from opslab.metrics import kpi_table as metrics
from opslab.dataset.dataset import Dataset
from opslab.dataset.load import load_sample

SAMPLE = Path(__file__).resolve().parents[3] / "sample_data"


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def _raw():
    ev = pd.read_csv(SAMPLE / "events.csv", parse_dates=["event_time"])
    od = pd.read_csv(SAMPLE / "orders.csv", parse_dates=["order_time"])
    camp = pd.read_csv(SAMPLE / "campaigns.csv", parse_dates=["start_date", "end_date"])
    return ev, od, camp


def _month_base_retention(ev, od, k, threshold=None):
    """Users who paid in month m (spending >= threshold when given), active (event or paid
    order) in month m + k; pooled over the months m + k that end in 2026-07..2026-09."""
    paid = od[od.get("status", pd.Series("paid", index=od.index)).fillna("paid").eq("paid")] \
        if "status" in od else od
    paid = paid.assign(m=paid["order_time"].dt.to_period("M"))
    spend = paid.groupby(["user_id", "m"])["amount"].sum().reset_index()
    if threshold is not None:
        spend = spend[spend["amount"] >= threshold]
    act = pd.concat([ev[["user_id", "event_time"]].rename(columns={"event_time": "t"}),
                     paid[["user_id", "order_time"]].rename(columns={"order_time": "t"})])
    active = set(zip(act["user_id"], act["t"].dt.to_period("M")))
    months = [pd.Period(p, "M") for p in ("2026-07", "2026-08", "2026-09")]
    base = spend[(spend["m"] + k).isin(months)]
    kept = sum((u, m + k) in active for u, m in zip(base["user_id"], base["m"]))
    return kept / len(base), len(base)


@pytest.mark.slow
def test_lead_cards_match_pandas_on_the_sample(sample):
    ev, od, camp = _raw()
    cards = lead_kpis.lead_cards(sample, "2026-07-01", "2026-09-30", high_value=200)
    # CAC and ROI: campaigns starting in the quarter, totals over totals
    q = camp[(camp["start_date"] >= "2026-07-01") & (camp["start_date"] <= "2026-09-30")]
    assert len(q) > 0 and cards.loc["cac", "base"] == len(q)
    assert cards.loc["cac", "value"] == pytest.approx(q["spend"].sum() / q["new_users"].sum())
    assert cards.loc["roi", "value"] == pytest.approx(q["revenue"].sum() / q["spend"].sum())
    # peak DAU: distinct users with an event (or a paid order) per day, the quarter's maximum
    days = pd.concat([ev[["user_id", "event_time"]].rename(columns={"event_time": "t"}),
                      od[["user_id", "order_time"]].rename(columns={"order_time": "t"})])
    days = days[(days["t"] >= "2026-07-01") & (days["t"] < "2026-10-01")]
    dau = days.groupby(days["t"].dt.normalize())["user_id"].nunique()
    assert cards.loc["peak_dau", "value"] == dau.max()
    assert cards.loc["peak_dau", "day"] == dau.idxmax()
    for k in (1, 3):
        rate, size = _month_base_retention(ev, od, k)
        assert cards.loc[f"m{k}_payer", "value"] == pytest.approx(rate)
        assert cards.loc[f"m{k}_payer", "base"] == size
        rate, size = _month_base_retention(ev, od, k, threshold=200)
        assert cards.loc[f"m{k}_high_value", "value"] == pytest.approx(rate)
        assert cards.loc[f"m{k}_high_value", "base"] == size


def test_high_value_threshold_follows_the_rules(sample):
    low = lead_kpis.lead_cards(sample, "2026-07-01", "2026-09-30", high_value=50)
    high = lead_kpis.lead_cards(sample, "2026-07-01", "2026-09-30", high_value=500)
    assert low.loc["m1_high_value", "base"] > high.loc["m1_high_value", "base"] > 0


def test_targets_read_the_same_definition(sample):
    from opslab.planning.completion import period_actuals
    got = period_actuals(sample, "2026-07-01", "2026-09-30")
    cards = lead_kpis.lead_cards(sample, "2026-07-01", "2026-09-30")
    for card, kpi in (("cac", "cac"), ("roi", "roi"), ("peak_dau", "dau_peak"), ("m1_payer", "m1_payer"),
                      ("m3_high_value", "m3_high_value")):
        assert cards.loc[card, "value"] == pytest.approx(got[kpi])


def test_no_campaigns_or_no_base_month_is_nan_with_a_zero_base():
    ev = pd.DataFrame({"user_id": ["a", "b"], "event_time": pd.to_datetime(["2024-01-01", "2024-01-20"])})
    cards = lead_kpis.lead_cards(Dataset.from_tables(events=ev), "2024-01-01", "2024-01-31")
    assert np.isnan(cards.loc["cac", "value"]) and cards.loc["cac", "base"] == 0
    assert np.isnan(cards.loc["m1_payer", "value"]) and cards.loc["m1_payer", "base"] == 0
    assert cards.loc["peak_dau", "value"] == 1


def test_existing_users_rule_off_makes_first_seen_users_new():
    rng = np.random.default_rng(3)
    n = 400
    first = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 150, n), unit="D")
    ev = pd.DataFrame({"user_id": [f"u{i}" for i in range(n)] * 2,
                       "event_time": list(first) + list(first + pd.to_timedelta(rng.integers(0, 60, n), unit="D"))})
    ds = Dataset.from_tables(events=ev)
    off = metrics.existing_users_rule(ds, False)
    assert metrics.existing_users_rule(ds, True) is ds
    assert off is metrics.existing_users_rule(ds, False)  # built once per data set
    early = int((first < pd.Timestamp("2024-01-31")).sum())
    assert int(ds.users["censored"].sum()) == metrics.existing_users(ds) == early > 0
    assert metrics.existing_users(off) == 0  # the rule off: nobody set aside
    # new users per month: pandas on first-seen days, with and without the first 30 days
    by_month = pd.Series(first).dt.to_period("M").value_counts().sort_index()
    new_off = metrics.kpis(off, "month")["new_users"]
    assert [int(v) for v in new_off] == [int(v) for v in by_month] + [0] * (len(new_off) - len(by_month))
    new_on = metrics.kpis(ds, "month")["new_users"]
    assert int(new_on.sum()) == n - early
    sizes = metrics.cohort_retention(off, "month").query("k == 0")["size"]
    assert int(sizes.sum()) == n
