"""The one Chinese commerce calendar: official holidays, make-up workdays and the e-commerce
festivals, as daily flags, forecasting regressors and campaign festival windows.

Official public holidays (with the days off moved around them) and China's make-up workdays
(调休: weekend days that are working days) come from the maintained ``holidays`` package
(pinned in requirements.txt), which follows the State Council's yearly notices and computes
the lunar holidays for any year. OpsLab keeps only the commerce festivals itself
(:data:`COMMERCE`): 618, Double 11 and 12.12, each a pre-sale window ending on its peak day.

Weekly values follow :mod:`opslab.core.periods`: a week is labelled by its Monday and covers that
Monday to Sunday, so a festival is counted in the week that holds it.

Regressors (:data:`REGRESSORS`), each with its own coefficient in a forecast:

======================  ==========================================================
``d618``/``d11``/``d12``  the festival's peak day (18 June, 11 November, 12 December)
``*_presale``           its pre-sale window before the peak (:data:`COMMERCE`)
``spring_festival``     official Spring Festival days off (春节)
``national_day``        official National Day days off (国庆)
``other_holiday``       the other official days off (New Year, Qingming, Labour Day,
                        Dragon Boat, Mid-Autumn): one- to five-day holidays seen once a
                        year, too rare in a data set for a coefficient of their own
``makeup_workday``      weekend days that are official working days (调休)
======================  ==========================================================

Example
-------
>>> cal = commerce_calendar("2024-11-10", "2024-11-12")
>>> cal["d11"].tolist()
[0.0, 1.0, 0.0]
>>> commerce_calendar("2024-02-04", "2024-02-04")["makeup_workday"].tolist()
[1.0]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

import holidays
import numpy as np
import pandas as pd

from opslab.core.periods import check_grain, period_starts

#: OpsLab's own commerce festivals: name -> ((month, day) pre-sale start, (month, day) peak).
COMMERCE = {"d618": ((6, 1), (6, 18)), "d11": ((10, 20), (11, 11)), "d12": ((12, 1), (12, 12))}
#: Official holidays by the ``holidays`` package's English name -> OpsLab name.
_OFFICIAL = {"New Year's Day": "new_year", "Chinese New Year's Eve": "spring_festival",
             "Chinese New Year (Spring Festival)": "spring_festival",
             "Tomb-Sweeping Day": "qingming", "Labor Day": "labour_day",
             "Dragon Boat Festival": "dragon_boat", "Mid-Autumn Festival": "mid_autumn",
             "National Day": "national_day"}
HOLIDAYS = ("new_year", "spring_festival", "qingming", "labour_day", "dragon_boat",
            "mid_autumn", "national_day")
COLUMNS = (*HOLIDAYS, "makeup_workday", *COMMERCE, *(f"{f}_presale" for f in COMMERCE))
REGRESSORS = ("d618", "d618_presale", "d11", "d11_presale", "d12", "d12_presale",
              "spring_festival", "national_day", "other_holiday", "makeup_workday")
#: Festival names of :func:`festival_windows` (campaign seasons).
FESTIVALS = ("spring_festival", *COMMERCE)
SPRING_LEAD_DAYS = 14  # the shopping season before Spring Festival (campaign windows)
_LONG = ("spring_festival", "national_day")


@lru_cache(maxsize=64)
def official_days(year: int) -> tuple[Mapping[dt.date, str], frozenset[dt.date]]:
    """Official days off (day -> OpsLab holiday name) and make-up workdays of ``year``.

    A day off moved next to a holiday ("Day off (substituted from ...)") belongs to the
    nearest named holiday; weekend days joined to a holiday block (e.g. 1-2 February 2025
    within Spring Festival, 17 February 2024 at its end) are part of it.

    >>> days, workdays = official_days(2024)
    >>> days[dt.date(2024, 2, 16)], dt.date(2024, 2, 18) in workdays
    ('spring_festival', True)
    """
    cal = holidays.country_holidays("CN", years=year, language="en_US")
    named, moved = {}, []
    for day, label in sorted(cal.items()):
        base = label.replace(" (observed)", "")
        if base in _OFFICIAL:
            named[day] = _OFFICIAL[base]
        else:
            moved.append(day)
    for day in moved:
        if named:
            nearest = min(named, key=lambda d: (abs((d - day).days), d))
            named[day] = named[nearest]
    workdays = frozenset(d for d in cal.weekend_workdays if d.year == year)
    # The package lists a holiday's weekdays; the weekend days joined to the block (inside
    # it, or right before or after it, unless they are make-up workdays) are off too, as the
    # notices count them ("2月10日至17日放假调休，共8天").
    for group in (True, False):  # the long holidays first: a weekend between National Day
        grew = True              # and Mid-Autumn goes to National Day
        while grew:
            grew = False
            for day, name in sorted(named.items()):
                if (name in _LONG) != group:
                    continue
                for step in (-1, 1):
                    nxt = day + dt.timedelta(days=step)
                    if nxt.weekday() >= 5 and nxt not in named and nxt not in workdays \
                            and nxt.year == year:
                        named[nxt], grew = name, True
    return MappingProxyType(named), workdays  # cached: read-only


def spring_festival(year: int) -> dt.date:
    """The first day of the lunar new year (春节, 正月初一) in ``year``.

    >>> spring_festival(2024), spring_festival(2030)
    (datetime.date(2024, 2, 10), datetime.date(2030, 2, 3))
    """
    return _spring_festival(year)


@lru_cache(maxsize=256)
def _spring_festival(year: int) -> dt.date:
    cal = holidays.country_holidays("CN", years=year, language="en_US")
    return min(d for d, label in cal.items() if label == "Chinese New Year (Spring Festival)")


def festival_windows(year: int) -> dict[str, tuple[dt.date, dt.date]]:
    """Campaign festival seasons of ``year`` (first and last day, inclusive).

    The commerce festivals run from pre-sale to peak (:data:`COMMERCE`); Spring Festival from
    :data:`SPRING_LEAD_DAYS` days before its first official day off to its last one.

    >>> festival_windows(2024)["d11"]
    (datetime.date(2024, 10, 20), datetime.date(2024, 11, 11))
    """
    out = {name: (dt.date(year, *lo), dt.date(year, *hi)) for name, (lo, hi) in COMMERCE.items()}
    spring = sorted(d for d, name in official_days(year)[0].items() if name == "spring_festival")
    if spring:
        out["spring_festival"] = (spring[0] - dt.timedelta(days=SPRING_LEAD_DAYS), spring[-1])
    return {name: out[name] for name in FESTIVALS if name in out}


def festival_overlap(start, end) -> bool:
    """Whether the days ``start``..``end`` overlap any festival window of :func:`festival_windows`.

    >>> festival_overlap("2024-06-10", "2024-06-12"), festival_overlap("2024-07-01", "2024-07-02")
    (True, False)
    """
    s, e = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    return any(s <= hi and e >= lo for y in range(s.year, e.year + 1)
               for lo, hi in festival_windows(y).values())


def commerce_calendar(start, end) -> pd.DataFrame:
    """Daily flags (0/1 floats) of every name in :data:`COLUMNS` from ``start`` to ``end``.

    Returns
    -------
    pd.DataFrame
        Indexed by day (``DatetimeIndex`` named ``date``).

    Example
    -------
    >>> commerce_calendar("2024-10-01", "2024-10-08")["national_day"].tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    """
    index = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(),
                          freq="D", name="date")
    if len(index) == 0:
        return pd.DataFrame(0.0, index=index, columns=list(COLUMNS))
    years = _year_flags(index[0].year, index[-1].year)
    return years.loc[index[0]:index[-1]].copy()


@lru_cache(maxsize=32)
def _year_flags(first: int, last: int) -> pd.DataFrame:
    """Every day of the years ``first``..``last`` flagged (cached: forecasting asks for the
    same years many times, and marking them costs tenths of a second)."""
    index = pd.date_range(f"{first}-01-01", f"{last}-12-31", freq="D", name="date")
    cal = pd.DataFrame(0.0, index=index, columns=list(COLUMNS))
    for year in range(first, last + 1):
        named, workdays = official_days(year)
        for day, name in named.items():
            _mark(cal, name, day, day)
        for day in workdays:
            _mark(cal, "makeup_workday", day, day)
        for name, (lo, hi) in COMMERCE.items():
            peak = dt.date(year, *hi)
            _mark(cal, f"{name}_presale", dt.date(year, *lo), peak - dt.timedelta(days=1))
            _mark(cal, name, peak, peak)
    return cal


def _mark(frame: pd.DataFrame, col: str, first, last) -> None:
    frame.loc[(frame.index >= pd.Timestamp(first)) & (frame.index <= pd.Timestamp(last)), col] = 1.0


def festival_regressors(index, grain: str = "day") -> pd.DataFrame:
    """The forecasting regressors (:data:`REGRESSORS`) on the periods of ``index``.

    Daily: the day's flags. Coarser grains: the share of the period's days carrying each
    flag, for the period that each label of ``index`` starts (:mod:`opslab.core.periods`).

    Parameters
    ----------
    index : DatetimeIndex
        Period labels (days, or Mondays for ``grain="week"``).
    grain : str
        One of :data:`opslab.core.periods.GRAINS`.

    Returns
    -------
    pd.DataFrame
        Floats in [0, 1], same index, no NaN.

    Example
    -------
    >>> weeks = pd.date_range("2024-11-04", periods=2, freq="W-MON")
    >>> (7 * festival_regressors(weeks, "week")[["d11", "d11_presale"]]).round(6).to_numpy().tolist()
    [[0.0, 7.0], [1.0, 0.0]]
    """
    index = pd.DatetimeIndex(index)
    check_grain(grain)
    if len(index) == 0:
        return pd.DataFrame(columns=list(REGRESSORS), index=index, dtype=float)
    last = pd.Timestamp(index.max()) + pd.Timedelta(days=92)  # the last period's days
    daily = _regressor_days(commerce_calendar(index.min(), last))
    if grain != "day":
        # The peak day and the pre-sale stay apart: a week's share of each (a Double 11 week
        # is 1/7 peak and 6/7 pre-sale, or 1/7 peak only when 11 November is a Monday).
        daily = daily.groupby(period_starts(daily.index, grain)).mean()
    out = daily.reindex(index.normalize()).fillna(0.0)
    out.index = index
    return out.astype(float)


def _regressor_days(cal: pd.DataFrame) -> pd.DataFrame:
    out = cal[[c for c in REGRESSORS if c in cal.columns]].copy()
    others = [h for h in HOLIDAYS if h not in ("spring_festival", "national_day")]
    out["other_holiday"] = cal[others].max(axis=1)
    return out[list(REGRESSORS)]


def has_festival(index, grain: str = "day") -> np.ndarray:
    """Per period of ``index``: whether it holds a commerce festival's peak day or Spring
    Festival (used to place a backtest fold on a festival).

    >>> has_festival(pd.date_range("2024-11-10", periods=3)).tolist()
    [False, True, False]
    """
    reg = festival_regressors(index, grain)
    return (reg[[*COMMERCE, "spring_festival"]] > 0).any(axis=1).to_numpy()
