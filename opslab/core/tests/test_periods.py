"""opslab.core.periods: one week convention (W-MON, labelled by Monday) checked against pandas'
own resampling, future indexes, as-of days, aggregation of daily values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from opslab.core import periods


@pytest.mark.parametrize("grain, day, start, end", [
    ("day", "2024-03-05 17:30", "2024-03-05", "2024-03-05"),
    ("week", "2024-03-10", "2024-03-04", "2024-03-10"),     # a Sunday belongs to Monday's week
    ("week", "2024-03-11", "2024-03-11", "2024-03-17"),
    ("month", "2024-02-29", "2024-02-01", "2024-02-29"),
    ("quarter", "2024-12-31", "2024-10-01", "2024-12-31"),
])
def test_period_bounds_by_hand(grain, day, start, end):
    assert periods.period_start(day, grain) == pd.Timestamp(start)
    assert periods.period_end(start, grain) == pd.Timestamp(end)
    days = periods.period_days(start, grain)
    assert days[0] == pd.Timestamp(start) and days[-1] == pd.Timestamp(end)


def test_week_labels_are_pandas_w_mon_anchors():
    days = pd.date_range("2023-12-20", "2024-02-10")
    labels = periods.period_starts(days, "week")
    assert (labels.day_of_week == 0).all()
    assert set(labels) <= set(pd.date_range("2023-12-18", "2024-02-05", freq=periods.FREQ["week"]))
    # independent: pandas' resample with Monday-anchored, left-labelled weeks
    s = pd.Series(np.arange(len(days), dtype=float), index=days)
    ours = s.groupby(labels).sum()
    theirs = s.resample("W-MON", label="left", closed="left").sum()
    pd.testing.assert_series_equal(ours, theirs, check_names=False, check_freq=False,
                                   check_index_type=False)


def test_future_index_for_every_grain():
    assert periods.future_index("2024-01-31", 2, "day").strftime("%m-%d").tolist() == ["02-01", "02-02"]
    weeks = periods.future_index(pd.Series([1.0], index=[pd.Timestamp("2024-01-08")]), 2, "week")
    assert weeks.strftime("%m-%d").tolist() == ["01-15", "01-22"] and weeks.freqstr == "W-MON"
    assert periods.future_index("2024-01-01", 2, "month").strftime("%m-%d").tolist() == ["02-01", "03-01"]
    assert periods.future_index("2024-10-01", 1, "quarter")[0] == pd.Timestamp("2025-01-01")
    assert len(periods.future_index("2024-01-01", 0, "day")) == 0
    with pytest.raises(ValueError):
        periods.future_index(pd.DatetimeIndex([]), 2, "day")


def test_as_of_day_drops_the_time_and_accepts_every_form():
    want = dt.date(2024, 3, 1)
    for value in ("2024-03-01", "2024-03-01T23:59:59", pd.Timestamp("2024-03-01 23:59"),
                  dt.datetime(2024, 3, 1, 23, 59), want, np.datetime64("2024-03-01T12:00")):
        assert periods.as_of_day(value) == want
    assert periods.as_of_day(None, want) == want
    with pytest.raises(ValueError):
        periods.as_of_day(None)
    with pytest.raises(ValueError):
        periods.as_of_day("NaT")


def test_aggregate_keeps_complete_periods_only():
    days = pd.date_range("2024-01-03", "2024-02-06")  # Wed .. Tue
    s = pd.Series(1.0, index=days)
    w = periods.aggregate(s, "week")
    assert w.index[0] == pd.Timestamp("2024-01-08") and w.index[-1] == pd.Timestamp("2024-01-29")
    assert (w == 7.0).all() and w.index.freqstr == "W-MON"
    assert periods.aggregate(s, "month").empty  # neither January nor February is complete
    assert periods.aggregate(pd.Series(1.0, index=pd.date_range("2024-01-01", "2024-02-29")),
                             "month").tolist() == [31.0, 29.0]
    frame = pd.DataFrame({"a": 2.0, "b": np.arange(len(days), dtype=float)}, index=days)
    means = periods.aggregate(frame, "week", {"a": "sum", "b": "mean"})
    assert means["a"].tolist() == [14.0] * 4 and means["b"].iloc[0] == pytest.approx(8.0)  # 5..11


def test_grain_of_and_regular_indexes():
    assert periods.grain_of("W-MON") == "week"
    with pytest.raises(ValueError):
        periods.grain_of("W")  # Sunday-labelled weeks are the other convention
    assert periods.horizon_periods(91, "week") == 13 and periods.horizon_periods(1, "month") == 1
    assert periods.is_regular(pd.date_range("2024-01-01", periods=5), "day")
    assert not periods.is_regular(pd.DatetimeIndex(["2024-01-01", "2024-01-03"]), "day")
    with pytest.raises(ValueError):
        periods.check_grain("year")
