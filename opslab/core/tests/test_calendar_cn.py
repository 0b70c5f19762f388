"""Tests for opslab.core.calendar_cn: official holidays and make-up workdays against the State
Council's published schedules (typed in here from the notices, independent of the package),
lunar dates against lunardate, commerce festivals, and weekly regressors on the app's own
frequency (W-MON, weeks labelled by their Monday) checked with pandas' resample."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from lunardate import LunarDate

from opslab.core.calendar_cn import (
    COLUMNS, COMMERCE, REGRESSORS, commerce_calendar, festival_overlap, festival_regressors,
    festival_windows, has_festival, official_days, spring_festival,
)
from opslab.metrics.kpi_series import kpi_series
from opslab.core.periods import FREQ


def _days(first: str, last: str) -> set[date]:
    return {d.date() for d in pd.date_range(first, last)}


# From the State Council notices (国务院办公厅关于2024年/2025年部分节假日安排的通知).
OFF_2024 = {
    "spring_festival": _days("2024-02-10", "2024-02-17"),
    "national_day": _days("2024-10-01", "2024-10-07"),
    "labour_day": _days("2024-05-01", "2024-05-05"),
}
MAKEUP_2024 = {date(2024, 2, 4), date(2024, 2, 18), date(2024, 4, 7), date(2024, 4, 28),
               date(2024, 5, 11), date(2024, 9, 14), date(2024, 9, 29), date(2024, 10, 12)}
OFF_2025 = {"spring_festival": _days("2025-01-28", "2025-02-04"),
            "national_day": _days("2025-10-01", "2025-10-05"),   # then Mid-Autumn 6-8 Oct
            "mid_autumn": _days("2025-10-06", "2025-10-08"),
            "dragon_boat": _days("2025-05-31", "2025-06-02")}
MAKEUP_2025 = {date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28),
               date(2025, 10, 11)}


@pytest.mark.parametrize("year, off, makeup", [(2024, OFF_2024, MAKEUP_2024),
                                               (2025, OFF_2025, MAKEUP_2025)])
def test_official_days_off_and_makeup_workdays_match_the_notices(year, off, makeup):
    named, workdays = official_days(year)
    for name, days in off.items():
        assert {d for d, n in named.items() if n == name} == days, name
    assert set(workdays) == makeup
    cal = commerce_calendar(f"{year}-01-01", f"{year}-12-31")
    assert {d.date() for d in cal.index[cal["makeup_workday"] == 1]} == makeup
    # a make-up workday is a weekend day that is not a holiday
    assert all(d.weekday() >= 5 and d not in named for d in makeup)


def test_spring_festival_matches_lunardate_for_sixty_years():
    for year in range(1990, 2051):
        assert spring_festival(year) == LunarDate(year, 1, 1).to_solar_date(), year


def test_commerce_festivals_every_year():
    cal = commerce_calendar("2016-01-01", "2035-12-31")
    assert list(cal.columns) == list(COLUMNS) and not cal.isna().any().any()
    for year in range(2016, 2036):
        y = cal.loc[str(year)]
        for name, (lo, hi) in COMMERCE.items():
            peak = pd.Timestamp(year, *hi)
            assert y[name].sum() == 1 and cal.loc[peak, name] == 1.0
            presale = y.index[y[f"{name}_presale"] == 1]
            assert presale.equals(pd.date_range(pd.Timestamp(year, *lo), peak - pd.Timedelta(days=1),
                                                name="date"))
        if year <= 2026:  # announced years (later ones are the package's estimate)
            golden = y.loc[f"{year}-09-20":f"{year}-10-15", ["national_day", "mid_autumn"]]
            assert golden.max(axis=1).sum() >= 7  # the golden week (some years with Mid-Autumn)


def test_festival_windows_are_the_campaign_seasons():
    w = festival_windows(2024)
    assert w["d618"] == (date(2024, 6, 1), date(2024, 6, 18))
    assert w["d11"] == (date(2024, 10, 20), date(2024, 11, 11))
    assert w["d12"] == (date(2024, 12, 1), date(2024, 12, 12))
    assert w["spring_festival"] == (date(2024, 1, 27), date(2024, 2, 17))  # 14 days before
    assert festival_overlap("2024-02-16", "2024-02-20") and not festival_overlap("2024-02-18", "2024-02-20")


def test_daily_regressors():
    idx = pd.date_range("2023-06-01", "2025-03-01", freq="D")
    reg = festival_regressors(idx, "day")
    assert list(reg.columns) == list(REGRESSORS) and reg.index.equals(idx)
    assert reg.loc["2024-11-11", "d11"] == 1 and reg.loc["2024-11-10", "d11"] == 0
    assert reg.loc["2024-11-10", "d11_presale"] == 1 and reg.loc["2024-12-12", "d12"] == 1
    assert reg.loc["2024-02-12", "spring_festival"] == 1 and reg.loc["2024-02-18", "spring_festival"] == 0
    assert reg.loc["2024-02-18", "makeup_workday"] == 1
    assert reg.loc["2024-10-03", "national_day"] == 1 and reg.loc["2024-05-02", "other_holiday"] == 1


def test_weekly_regressors_follow_the_apps_week_labels():
    # the app's weeks: pandas "W-MON" labels, Monday to Sunday. Independent computation: the
    # daily flags resampled to weeks starting Monday, labelled by that Monday.
    idx = pd.date_range("2023-01-02", periods=160, freq=FREQ["week"])
    reg = festival_regressors(idx, "week")
    daily = festival_regressors(pd.date_range(idx[0], idx[-1] + pd.Timedelta(days=6)), "day")
    brute = daily.resample("W-MON", label="left", closed="left").mean()
    pd.testing.assert_frame_equal(reg, brute.reindex(idx), check_freq=False)
    # Double 11 2024 is a Monday: its own week (labelled 11-11), never the week before; in
    # 2025 (a Tuesday) it is in the week labelled Monday 2025-11-10
    assert reg.loc["2024-11-11", "d11"] == pytest.approx(1 / 7)
    assert reg.loc["2024-11-04", "d11"] == 0 and reg.loc["2024-11-04", "d11_presale"] == 1
    assert reg.loc["2025-11-10", "d11"] == pytest.approx(1 / 7)
    assert has_festival(idx, "week")[idx.get_loc(pd.Timestamp("2024-11-11"))]


@pytest.mark.slow
def test_weekly_kpi_series_and_calendar_share_one_week():
    from opslab.dataset.load import load_sample
    y = kpi_series(load_sample(), "gmv", "week")
    assert (y.index.day_of_week == 0).all() and y.index.freqstr == "W-MON"
    reg = festival_regressors(y.index, "week")
    # the sample runs over Double 11 2025 (Tuesday): the week of Monday 10 Nov holds it
    assert reg.loc["2025-11-10", "d11"] == pytest.approx(1 / 7)
    assert reg["d11"].sum() == pytest.approx(1 / 7)


def test_empty_and_single():
    assert festival_regressors(pd.DatetimeIndex([]), "week").shape == (0, len(REGRESSORS))
    one = festival_regressors(pd.DatetimeIndex(["2030-11-11"]), "day")
    assert one["d11"].iloc[0] == 1 and np.isfinite(one.to_numpy()).all()
