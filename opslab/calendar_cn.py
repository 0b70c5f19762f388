"""A Chinese commerce calendar (2015-01-01 .. 2035-12-31) as a dated table of flags.

Lunar festivals (Spring Festival, Lantern, Dragon Boat, Qixi, Mid-Autumn) come from literal
tables, so nothing lunar is computed at run time; ``tests/test_calendar_cn.py`` checks the
tables against the ``lunardate`` package. Outside 2015..2035 the lunar columns are 0 (the
Gregorian ones, such as 11.11, are still filled in).

Columns of :func:`commerce_calendar` (1 on the day, 0 otherwise, ramps between 0 and 1):

=========================  ====================================================
new_year                   1 January
spring_festival            lunar 1/1 (春节)
spring_festival_window     eve .. day 6 (除夕 .. 初六), the usual public holiday
lantern                    lunar 1/15 (元宵)
qingming                   solar term Qingming (4 or 5 April)
labour_day                 1..5 May golden week
dragon_boat                lunar 5/5 (端午)
d618 / d618_peak           ramp 1/18 .. 18/18 over 1..18 June / 18 June
qixi                       lunar 7/7 (七夕)
mid_autumn                 lunar 8/15 (中秋)
national_day               1..7 October golden week
d11 / d11_peak             ramp 1/11 .. 11/11 over 1..11 November / 11 November
d12                        12 December
=========================  ====================================================

Example
-------
>>> cal = commerce_calendar("2024-11-09", "2024-11-12")
>>> cal["d11_peak"].tolist()
[0.0, 0.0, 1.0, 0.0]
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

FIRST_YEAR, LAST_YEAR = 2015, 2035


def _table(text: str) -> dict[int, date]:
    out = {}
    for item in text.split():
        d = date.fromisoformat(item)
        out[d.year] = d
    return out


SPRING_FESTIVAL: dict[int, date] = _table("""
    2015-02-19 2016-02-08 2017-01-28 2018-02-16 2019-02-05 2020-01-25 2021-02-12
    2022-02-01 2023-01-22 2024-02-10 2025-01-29 2026-02-17 2027-02-06 2028-01-26
    2029-02-13 2030-02-03 2031-01-23 2032-02-11 2033-01-31 2034-02-19 2035-02-08""")
LANTERN: dict[int, date] = _table("""
    2015-03-05 2016-02-22 2017-02-11 2018-03-02 2019-02-19 2020-02-08 2021-02-26
    2022-02-15 2023-02-05 2024-02-24 2025-02-12 2026-03-03 2027-02-20 2028-02-09
    2029-02-27 2030-02-17 2031-02-06 2032-02-25 2033-02-14 2034-03-05 2035-02-22""")
DRAGON_BOAT: dict[int, date] = _table("""
    2015-06-20 2016-06-09 2017-05-30 2018-06-18 2019-06-07 2020-06-25 2021-06-14
    2022-06-03 2023-06-22 2024-06-10 2025-05-31 2026-06-19 2027-06-09 2028-05-28
    2029-06-16 2030-06-05 2031-06-24 2032-06-12 2033-06-01 2034-06-20 2035-06-10""")
QIXI: dict[int, date] = _table("""
    2015-08-20 2016-08-09 2017-08-28 2018-08-17 2019-08-07 2020-08-25 2021-08-14
    2022-08-04 2023-08-22 2024-08-10 2025-08-29 2026-08-19 2027-08-08 2028-08-26
    2029-08-16 2030-08-05 2031-08-24 2032-08-12 2033-08-01 2034-08-20 2035-08-10""")
MID_AUTUMN: dict[int, date] = _table("""
    2015-09-27 2016-09-15 2017-10-04 2018-09-24 2019-09-13 2020-10-01 2021-09-21
    2022-09-10 2023-09-29 2024-09-17 2025-10-06 2026-09-25 2027-09-15 2028-10-03
    2029-09-22 2030-09-12 2031-10-01 2032-09-19 2033-09-08 2034-09-27 2035-09-16""")

COLUMNS = (
    "new_year", "spring_festival", "spring_festival_window", "lantern", "qingming",
    "labour_day", "dragon_boat", "d618", "d618_peak", "qixi", "mid_autumn",
    "national_day", "d11", "d11_peak", "d12",
)
REGRESSORS = ("sf_window", "golden_week", "other_holiday", "shopping_ramp", "shopping_peak")


def qingming_day(year: int) -> date:
    """Qingming (清明) for a 21st-century year by the usual solar-term formula.

    ``day = int(Y * 0.2422 + 4.81) - Y // 4`` with ``Y = year % 100``; it gives 4 or 5 April
    for 2015..2035 (e.g. 2015-04-05, 2024-04-04).
    """
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4)


def _mark(frame: pd.DataFrame, col: str, start, end=None, value=1.0) -> None:
    start = pd.Timestamp(start)
    end = start if end is None else pd.Timestamp(end)
    frame.loc[(frame.index >= start) & (frame.index <= end), col] = value


def commerce_calendar(start, end) -> pd.DataFrame:
    """Daily festival and shopping-event flags between ``start`` and ``end`` (inclusive).

    Parameters
    ----------
    start, end : date-like
        First and last day; anything ``pd.Timestamp`` accepts.

    Returns
    -------
    pd.DataFrame
        Indexed by day (``DatetimeIndex`` named ``date``), one float column per name in
        :data:`COLUMNS`, values in [0, 1].

    Example
    -------
    >>> commerce_calendar("2024-02-09", "2024-02-10")["spring_festival"].tolist()
    [0.0, 1.0]
    """
    index = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(),
                          freq="D", name="date")
    cal = pd.DataFrame(0.0, index=index, columns=list(COLUMNS))
    if len(index) == 0:
        return cal
    day = pd.Timedelta(days=1)
    for year in range(index[0].year, index[-1].year + 1):
        _mark(cal, "new_year", date(year, 1, 1))
        if year in SPRING_FESTIVAL:
            sf = pd.Timestamp(SPRING_FESTIVAL[year])
            _mark(cal, "spring_festival", sf)
            _mark(cal, "spring_festival_window", sf - day, sf + 6 * day)
            _mark(cal, "lantern", LANTERN[year])
            _mark(cal, "dragon_boat", DRAGON_BOAT[year])
            _mark(cal, "qixi", QIXI[year])
            _mark(cal, "mid_autumn", MID_AUTUMN[year])
        _mark(cal, "qingming", qingming_day(year))
        _mark(cal, "labour_day", date(year, 5, 1), date(year, 5, 5))
        for d in range(1, 19):
            _mark(cal, "d618", date(year, 6, d), value=d / 18)
        _mark(cal, "d618_peak", date(year, 6, 18))
        _mark(cal, "national_day", date(year, 10, 1), date(year, 10, 7))
        for d in range(1, 12):
            _mark(cal, "d11", date(year, 11, d), value=d / 11)
        _mark(cal, "d11_peak", date(year, 11, 11))
        _mark(cal, "d12", date(year, 12, 12))
    return cal


def _daily_regressors(cal: pd.DataFrame) -> pd.DataFrame:
    other = cal[["new_year", "qingming", "labour_day", "dragon_boat", "mid_autumn"]].max(axis=1)
    return pd.DataFrame({
        "sf_window": cal["spring_festival_window"],
        "golden_week": cal["national_day"],
        "other_holiday": other,
        "shopping_ramp": cal[["d618", "d11"]].max(axis=1),
        "shopping_peak": cal[["d618_peak", "d11_peak", "d12"]].max(axis=1),
    }, index=cal.index)


def festival_regressors(index: pd.DatetimeIndex) -> pd.DataFrame:
    """The compact festival set used as forecasting regressors, aligned to ``index``.

    For a daily index the values are the day's flags. For a coarser index (e.g. weekly) each
    row is the mean of the daily flags over the days since the previous label, up to and
    including the label (pandas' ``"W"`` labels each week by its last day, Sunday); the first
    row covers as many days as the second one does.

    Parameters
    ----------
    index : pd.DatetimeIndex
        Dates of the series (sorted, no duplicates).

    Returns
    -------
    pd.DataFrame
        Columns :data:`REGRESSORS` (``sf_window``, ``golden_week``, ``other_holiday``,
        ``shopping_ramp``, ``shopping_peak``), floats in [0, 1], same index, no NaN.

    Example
    -------
    >>> idx = pd.date_range("2024-11-10", periods=3, freq="D")
    >>> festival_regressors(idx)["shopping_peak"].tolist()
    [0.0, 1.0, 0.0]
    """
    index = pd.DatetimeIndex(index)
    if len(index) == 0:
        return pd.DataFrame(columns=list(REGRESSORS), index=index, dtype=float)
    days = index.normalize()
    steps = np.asarray((days[1:] - days[:-1]) / pd.Timedelta(days=1))
    steps = steps if len(steps) else np.ones(1)
    span = int(max(1, steps.min()))
    first = days[0] - pd.Timedelta(days=span - 1)
    daily = _daily_regressors(commerce_calendar(first, days[-1]))
    if (steps == 1).all():
        out = daily.reindex(days).fillna(0.0)
    else:
        # Label each day with the first index entry on or after it, then average per label.
        pos = days.searchsorted(daily.index, side="left")
        keep = pos < len(days)
        out = daily[keep].groupby(pos[keep]).mean().reindex(range(len(days))).fillna(0.0)
    out.index = index
    return out.astype(float)
