"""Tests for opslab.calendar_cn: literal lunar tables vs lunardate, flags, regressors."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from lunardate import LunarDate

from opslab.calendar_cn import (
    COLUMNS, DRAGON_BOAT, LANTERN, MID_AUTUMN, QIXI, REGRESSORS, SPRING_FESTIVAL,
    commerce_calendar, festival_regressors, qingming_day,
)

YEARS = range(2015, 2036)


def _solar(year, month, day):
    return LunarDate(year, month, day).to_solar_date()


@pytest.mark.parametrize("table,month,day", [
    (SPRING_FESTIVAL, 1, 1), (LANTERN, 1, 15), (DRAGON_BOAT, 5, 5), (QIXI, 7, 7),
    (MID_AUTUMN, 8, 15),
])
def test_lunar_tables_match_lunardate(table, month, day):
    assert sorted(table) == list(YEARS)
    for year in YEARS:
        assert table[year] == _solar(year, month, day), year


def test_known_spring_festivals():
    # Published dates, independent of lunardate.
    assert SPRING_FESTIVAL[2024] == date(2024, 2, 10)
    assert SPRING_FESTIVAL[2025] == date(2025, 1, 29)
    assert SPRING_FESTIVAL[2020] == date(2020, 1, 25)


def test_qingming_is_april_4_or_5_with_known_years():
    assert {qingming_day(y).day for y in YEARS} == {4, 5}
    assert qingming_day(2015) == date(2015, 4, 5)
    assert qingming_day(2024) == date(2024, 4, 4)
    assert qingming_day(2026) == date(2026, 4, 5)


@pytest.fixture(scope="module")
def cal():
    return commerce_calendar("2015-01-01", "2035-12-31")


def test_calendar_shape_and_values(cal):
    assert list(cal.columns) == list(COLUMNS)
    assert len(cal) == (date(2035, 12, 31) - date(2015, 1, 1)).days + 1
    assert cal.index.is_monotonic_increasing and cal.index.is_unique
    assert not cal.isna().any().any()
    assert ((cal >= 0) & (cal <= 1)).all().all()


def test_peaks_and_windows_every_year(cal):
    for year in YEARS:
        assert cal.loc[pd.Timestamp(year, 11, 11), "d11_peak"] == 1.0
        assert cal.loc[pd.Timestamp(year, 11, 11), "d11"] == 1.0
        assert cal.loc[pd.Timestamp(year, 6, 18), "d618_peak"] == 1.0
        assert cal.loc[pd.Timestamp(year, 12, 12), "d12"] == 1.0
        assert cal.loc[str(year), "d11_peak"].sum() == 1
        assert cal.loc[str(year), "national_day"].sum() == 7
        assert cal.loc[str(year), "labour_day"].sum() == 5
        sf = SPRING_FESTIVAL[year]
        window = cal.index[cal["spring_festival_window"] == 1]
        window = window[window.year == sf.year]
        expected = pd.date_range(sf - timedelta(days=1), sf + timedelta(days=6))
        assert window.equals(expected.rename("date")), year
        assert cal.loc[pd.Timestamp(sf), "spring_festival"] == 1.0


def test_shopping_ramps_rise_linearly(cal):
    d11 = cal.loc["2024-11-01":"2024-11-11", "d11"].to_numpy()
    np.testing.assert_allclose(d11, np.arange(1, 12) / 11)
    assert cal.loc["2024-10-31", "d11"] == 0 and cal.loc["2024-11-12", "d11"] == 0
    d618 = cal.loc["2024-06-01":"2024-06-18", "d618"].to_numpy()
    np.testing.assert_allclose(d618, np.arange(1, 19) / 18)


def test_outside_table_lunar_columns_are_zero():
    c = commerce_calendar("2014-01-01", "2014-12-31")
    assert c["spring_festival"].sum() == 0
    assert c.loc["2014-11-11", "d11_peak"] == 1.0


def test_festival_regressors_daily():
    idx = pd.date_range("2023-06-01", "2025-03-01", freq="D")
    reg = festival_regressors(idx)
    assert list(reg.columns) == list(REGRESSORS)
    assert reg.index.equals(idx)
    assert not reg.isna().any().any()
    assert reg.loc["2024-11-11", "shopping_peak"] == 1 and reg.loc["2024-11-10", "shopping_peak"] == 0
    assert reg.loc["2024-02-09", "sf_window"] == 1 and reg.loc["2024-02-08", "sf_window"] == 0
    assert reg.loc["2024-10-03", "golden_week"] == 1
    assert reg.loc["2024-05-02", "other_holiday"] == 1


def test_festival_regressors_weekly_is_mean_of_days_in_week():
    idx = pd.date_range("2023-01-01", periods=120, freq="W")   # Sundays
    reg = festival_regressors(idx)
    assert reg.index.equals(idx) and not reg.isna().any().any()
    daily = festival_regressors(pd.date_range(idx[0] - pd.Timedelta(days=6), idx[-1]))
    for label in idx[[0, 5, 45, 97, 119]]:   # brute force: mean over the 7 days ending on label
        brute = daily.loc[label - pd.Timedelta(days=6):label].mean()
        np.testing.assert_allclose(reg.loc[label].to_numpy(), brute.to_numpy())
    week_of_1111 = idx[idx.searchsorted(pd.Timestamp("2024-11-11"))]
    assert reg.loc[week_of_1111, "shopping_peak"] == pytest.approx(1 / 7)


def test_festival_regressors_empty_and_single():
    assert festival_regressors(pd.DatetimeIndex([])).shape == (0, len(REGRESSORS))
    one = festival_regressors(pd.DatetimeIndex(["2030-11-11"]))
    assert one["shopping_peak"].iloc[0] == 1
