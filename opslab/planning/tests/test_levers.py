"""Levers: the required move of each driver, set against its own monthly history, ranked
with the infeasible last; and the campaign model's accuracy is measured without peeking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.planning import campaign_review as cr
from opslab.planning import driver_tree as dtree
from opslab.dataset.load import load_sample
from opslab.planning.levers import HISTORY_MONTHS, gap_ratio, rank_levers
from opslab.planning.targets import Target


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def row_for(forecast, actual=40_000.0):
    return {"state": "current", "actual": actual, "forecast": forecast, "run_rate": np.nan,
            "days_total": 92, "days_elapsed": 31}


def test_gap_ratio_by_hand():
    t = Target("gmv", "2026Q4", 200_000)
    # need 200k - 40k = 160k from the rest; the forecast expects 120k - 40k = 80k -> x2
    assert gap_ratio(t, row_for(120_000.0)) == pytest.approx(2.0)
    dau = Target("dau_avg", "2026Q4", 100)
    # need 100 x 92 - 80 x 31 = 6,720 DAU-days; expected 90 x 92 - 80 x 31 = 5,800
    assert gap_ratio(dau, row_for(90.0, 80.0)) == pytest.approx(6720 / 5800)


@pytest.mark.slow
def test_gmv_levers_against_their_history(sample):
    t = Target("gmv", "2026Q4", 200_000)
    row = row_for(120_000.0)
    out = rank_levers(sample, t, row).set_index("lever")
    # GMV is proportional to the paid rate and to ARPPU: each alone must double
    assert out.loc["paid_rate", "change"] == pytest.approx(1.0)
    assert out.loc["arppu", "change"] == pytest.approx(1.0)
    # the history: the last 12 calendar months wholly inside the data, oldest first
    end = pd.Timestamp(sample.end)
    last = end.to_period("M") if (end + pd.Timedelta(days=1)).day == 1 else end.to_period("M") - 1
    months = [p.start_time.date() for p in pd.period_range(end=last, periods=HISTORY_MONTHS, freq="M")
              if p.start_time.date() >= sample.start]
    assert len(months) >= 3
    arppu = np.array([dtree.driver_base(sample, "month", start=m).arppu for m in months])
    swings = arppu[1:] / arppu[:-1] - 1
    assert out.loc["arppu", "typical"] == pytest.approx(np.std(swings, ddof=1))
    assert out.loc["arppu", "effort"] == pytest.approx(1.0 / np.std(swings, ddof=1))
    # a paid rate above 100 % is impossible; feasible levers come first, easiest first
    base = dtree.driver_base(sample, "month", start=months[-1])
    assert out.loc["paid_rate", "feasible"] == (base.paid_rate * 2 <= 1)
    ranked = rank_levers(sample, t, row)
    feasible = ranked[ranked["feasible"]]
    assert list(feasible["effort"]) == sorted(feasible["effort"])
    assert ranked["feasible"].tolist() == sorted(ranked["feasible"].tolist(), reverse=True)


def test_no_levers_when_on_course_or_past(sample):
    t = Target("gmv", "2026Q4", 100_000)
    assert rank_levers(sample, t, row_for(120_000.0)).empty
    assert rank_levers(sample, t, {**row_for(120_000.0), "state": "past"}).empty


def test_campaign_accuracy_never_trains_on_later_campaigns(sample, monkeypatch):
    seen = []
    real_fit = cr.CampaignResponseModel.fit

    def spy(self, campaigns):
        seen.append(pd.to_datetime(campaigns["end_date"]).max())
        return real_fit(self, campaigns)
    monkeypatch.setattr(cr.CampaignResponseModel, "fit", spy)
    acc = cr.forecast_accuracy(sample.campaigns, n_last=4)
    assert len(acc) == 4 and len(seen) == 4
    starts = pd.to_datetime(sample.campaigns.set_index("campaign_id").loc[acc["campaign_id"], "start_date"])
    assert all(trained < start for trained, start in zip(seen, starts))
    assert acc["ape"].between(0, 10).all() and acc["covered"].dtype == bool
