"""Same answers on DuckDB and on local Spark for the explore analyses (behaviour retention,
distributions, intervals, LTV curves) and the users behind their numbers, on the sample
(counts exactly, floats to 1e-9 relative): opslab/behaviour/explore.sql and people.sql are
written once and transpiled for Spark."""

from __future__ import annotations

import pandas as pd
import pytest

import opslab
from opslab.dataset.load import load_sample
from opslab.engine.spark_engine import SparkEngine
from tests.spark_support import same_rows

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def pair(spark):
    ds = load_sample()
    return ds, ds.on_engine(lambda: SparkEngine(spark))


def test_explore_analyses_same_on_both_engines(pair):
    duck, spk = pair
    for grain, mode, by in (("week", "on", None), ("month", "on_or_after", "channel"), ("day", "on", None)):
        kw = dict(start_event="visit", return_event="purchase", mode=mode, by=by, max_k=8)
        a, b = opslab.retention(duck, grain, **kw), opslab.retention(spk, grain, **kw)
        assert a.frame["retained"].sum() > 0
        same_rows(a.frame, b.frame, f"retention {grain} {mode} {by}")
    for measure in ("events", "active_days", "orders", "spend"):
        a, b = opslab.distribution(duck, measure, by="city"), opslab.distribution(spk, measure, by="city")
        same_rows(a.frame, b.frame, f"distribution {measure} bins")
        same_rows(a.stats, b.stats, f"distribution {measure} stats")
    a, b = opslab.interval(duck, ("add_to_cart", "purchase")), opslab.interval(spk, ("add_to_cart", "purchase"))
    same_rows(a.frame, b.frame, "interval bins")
    same_rows(a.stats, b.stats, "interval stats")
    same_rows(a.trend, b.trend, "interval trend")
    a, b = opslab.ltv_curve(duck, by="channel"), opslab.ltv_curve(spk, by="channel")
    same_rows(a.frame, b.frame, "ltv cells")


def test_users_behind_same_on_both_engines(pair):
    duck, spk = pair
    month = pd.Timestamp(duck.end).replace(day=1)
    for kpi in ("active_users", "paying_users", "new_users"):
        same_rows(opslab.users(duck, kpi, period=month).frame, opslab.users(spk, kpi, period=month).frame, kpi)
    a = opslab.retention(duck, "month", start_event="visit", return_event="purchase")
    b = opslab.retention(spk, "month", start_event="visit", return_event="purchase")
    row = a.frame[(a.frame["k"] == 2) & (a.frame["retained"] > 0)].iloc[0]
    ua = opslab.users(duck, a, cohort=row.cohort, k=2)
    assert ua.count == row.retained
    same_rows(ua.frame, opslab.users(spk, b, cohort=row.cohort, k=2).frame, "retention cell users")
    pa_, pb = opslab.user_profile(duck, "U000562"), opslab.user_profile(spk, "U000562")
    same_rows(pa_.summary, pb.summary, "profile summary")
    same_rows(pa_.timeline(per_page=30, events=["purchase", "view"]),
              pb.timeline(per_page=30, events=["purchase", "view"]), "profile timeline")
