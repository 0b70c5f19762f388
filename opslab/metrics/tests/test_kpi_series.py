"""kpi_series: weekly sums/means against metrics.daily, campaign regressors by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.metrics import kpi_series as ks
from opslab.dataset.dataset import Dataset
from opslab.metrics.kpi_table import daily


@pytest.fixture(scope="module")
def ds(activity):
    events, orders = activity
    return Dataset.from_tables(events=events, orders=orders)


def test_daily_series_is_metrics_daily(ds):
    y = ks.kpi_series(ds, "gmv", "day")
    d = daily(ds)
    assert y.index.freqstr == "D"
    np.testing.assert_allclose(y.to_numpy(), d["gmv"].to_numpy(float))


@pytest.mark.parametrize("kpi", ks.KPIS)
def test_weekly_matches_daily_by_hand(ds, kpi):
    d = daily(ds)[kpi].astype(float)
    w = ks.kpi_series(ds, kpi, "week")
    assert len(w) > 5
    for monday, value in w.items():
        assert monday.day_of_week == 0
        days = d[(d.index >= monday) & (d.index < monday + pd.Timedelta(days=7))]
        assert len(days) == 7  # complete weeks only
        expected = days.mean() if kpi in ("dau", "paying_users") else days.sum()
        assert value == pytest.approx(expected, rel=1e-12)
    # every complete week of the data is there, and they are consecutive
    first = d.index[0] + pd.Timedelta(days=(7 - d.index[0].day_of_week) % 7)
    assert w.index[0] == first
    assert (w.index[1:] - w.index[:-1] == pd.Timedelta(days=7)).all()


def test_campaign_exog_hand_count():
    camp = pd.DataFrame({"campaign_id": ["a", "b", "c"],
                         "start_date": ["2024-01-02", "2024-01-03", "2024-01-10"],
                         "end_date": ["2024-01-04", "2024-01-03", "2024-01-09"],  # c: invalid
                         "spend": [30_000.0, 10_000.0, 5.0]})
    days = pd.date_range("2024-01-01", "2024-01-07")
    count = ks.campaign_exog(camp, days)["campaign_count"].tolist()
    assert count == [0, 1, 2, 1, 0, 0, 0]
    spend = ks.campaign_exog(camp, days, kind="spend")["campaign_spend"].tolist()
    # a: 30,000 over 3 days = 1.0 (in 10,000s) per day; b: 1.0 on its single day
    assert spend == pytest.approx([0, 1.0, 2.0, 1.0, 0, 0, 0])
    weeks = pd.DatetimeIndex(["2024-01-01", "2024-01-08"])
    assert ks.campaign_exog(camp, weeks, "week")["campaign_count"].tolist() == [4.0, 0.0]


def test_empty_campaigns_and_helpers():
    days = pd.date_range("2024-01-01", periods=3)
    assert ks.campaign_exog(None, days)["campaign_count"].tolist() == [0, 0, 0]
    with pytest.raises(ValueError):
        ks.agg_of("stickiness")
