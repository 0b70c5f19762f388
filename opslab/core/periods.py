"""Periods for the whole engine (the one periods module): grains, pandas frequencies, the
week label, 环比/同比 shifts (:func:`shift`, :func:`year_ago`), "the next h periods", the
as-of day, and the calendar periods targets and reports are set on (:class:`Period`,
:func:`parse_period`: "2026-07", "2026Q3", "2026").

One convention everywhere: **a week runs Monday to Sunday and is labelled by its Monday**
(pandas frequency ``"W-MON"``, the anchor at which every label falls). A value labelled
``2024-11-11`` (a Monday) covers 11..17 November; :func:`period_days` gives those days, so a
festival on Monday 11 November falls in the week labelled 11 November, never in the week
before or after. Months and quarters are labelled by their first day (``"MS"``, ``"QS"``).

Example
-------
>>> period_start("2024-11-14", "week").date()
datetime.date(2024, 11, 11)
>>> [d.strftime("%m-%d") for d in future_index("2024-11-11", 2, "week")]
['11-18', '11-25']
>>> as_of_day(pd.Timestamp("2024-11-14 18:30"))
datetime.date(2024, 11, 14)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslab.core.problems import OpsLabError

GRAINS = ("day", "week", "month", "quarter")
#: The calendar periods targets and reports are set on ("2026-07", "2026Q3", "2026").
CALENDAR_GRAINS = ("month", "quarter", "year")
#: pandas frequency of each grain; every label is the period's first day.
FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}
#: Periods per year, the natural season of a series of that grain.
SEASON = {"day": 7, "week": 52, "month": 12, "quarter": 4}


def check_grain(grain: str, year: bool = False) -> str:
    """``grain`` itself when it is one of :data:`GRAINS` (or "year" with ``year``), else an
    :class:`OpsLabError` (a ``ValueError``) naming the grains allowed.

    >>> check_grain("week")
    'week'
    """
    allowed = GRAINS + ("year",) if year else GRAINS
    if grain not in allowed:
        raise OpsLabError("api.bad_choice", name="grain", value=repr(grain), allowed=", ".join(allowed))
    return grain


def grain_of(freq: str) -> str:
    """The grain of a pandas frequency string (``"W-MON"`` -> ``"week"``).

    >>> grain_of("D"), grain_of("W-MON"), grain_of("MS")
    ('day', 'week', 'month')
    """
    code = pd.tseries.frequencies.to_offset(freq).rule_code
    if code == "D":
        return "day"
    if code.startswith("W"):
        if code != "W-MON":
            raise ValueError(f"weeks are labelled by their Monday ('W-MON'), not {freq!r}")
        return "week"
    if code.startswith("M"):
        return "month"
    if code.startswith("Q"):
        return "quarter"
    raise ValueError(f"unsupported frequency {freq!r}")


def as_of_day(value, default: dt.date | None = None) -> dt.date:
    """The calendar day of ``value`` (date, datetime, Timestamp or ISO text); ``default``
    when ``value`` is None. Times of day are dropped, never rounded: 23:59 stays that day.

    >>> as_of_day("2024-03-01T23:59:59")
    datetime.date(2024, 3, 1)
    >>> as_of_day(None, dt.date(2024, 1, 2))
    datetime.date(2024, 1, 2)
    """
    if value is None:
        if default is None:
            raise ValueError("an as-of day is required")
        return default
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError(f"not a date: {value!r}")
    return ts.date()


def period_start(day, grain: str) -> pd.Timestamp:
    """The label (first day) of the period holding ``day``.

    >>> period_start("2024-08-15", "quarter").date()
    datetime.date(2024, 7, 1)
    """
    ts = pd.Timestamp(as_of_day(day))
    check_grain(grain, year=True)
    if grain == "day":
        return ts
    if grain == "week":
        return ts - pd.Timedelta(days=ts.day_of_week)
    if grain == "month":
        return ts.replace(day=1)
    if grain == "year":
        return ts.replace(day=1, month=1)
    return ts.replace(day=1, month=3 * ((ts.month - 1) // 3) + 1)


def period_starts(days, grain: str) -> pd.DatetimeIndex:
    """:func:`period_start` of every day of ``days`` (vectorised; times of day dropped).

    >>> period_starts(pd.to_datetime(["2024-01-07", "2024-01-08"]), "week").day.tolist()
    [1, 8]
    """
    idx = pd.DatetimeIndex(days).normalize()
    check_grain(grain)
    if grain == "day":
        return idx
    if grain == "week":
        return idx - pd.to_timedelta(idx.day_of_week, unit="D")
    return idx.to_period("M" if grain == "month" else "Q").to_timestamp()


def shift(label, grain: str, n: int) -> pd.Timestamp:
    """The label ``n`` periods after ``label`` (``n`` may be negative).

    >>> shift(pd.Timestamp("2024-01-31"), "month", 1).date()
    datetime.date(2024, 2, 29)
    """
    label = pd.Timestamp(label)
    check_grain(grain, year=True)
    if grain == "day":
        return label + pd.Timedelta(days=n)
    if grain == "week":
        return label + pd.Timedelta(weeks=n)
    return label + pd.DateOffset(months={"month": 1, "quarter": 3, "year": 12}[grain] * n)


def year_ago(label, grain: str) -> pd.Timestamp:
    """The comparable period one year earlier (同比): -364 days for days and weeks (same
    weekday), the calendar period a year before for months, quarters and years.

    >>> year_ago("2024-11-11", "week").date(), year_ago("2024-07-01", "quarter").date()
    (datetime.date(2023, 11, 13), datetime.date(2023, 7, 1))
    """
    label = pd.Timestamp(label)
    if check_grain(grain, year=True) in ("day", "week"):
        return label - pd.Timedelta(days=364)
    return label - pd.DateOffset(years=1)


def period_end(label, grain: str) -> pd.Timestamp:
    """The last day of the period labelled ``label``.

    >>> period_end("2024-11-11", "week").date()
    datetime.date(2024, 11, 17)
    """
    return shift(period_start(label, grain), grain, 1) - pd.Timedelta(days=1)


def compared_days(other_start, other_end, complete: bool, days: int) -> tuple[dt.date, dt.date]:
    """The days of a comparison period (环比 / 同比: ``other_start``..``other_end``) that a
    period is compared with: all of them when the period is complete, else the first ``days``
    days (a period still running, compared on as many days as it has run). The one rule the
    Overview's cards (:func:`opslab.metrics.kpi_table.kpi_cards`) and the report's KPI table
    and why (:mod:`opslab.report.content`) read.

    >>> compared_days("2026-07-01", "2026-09-30", True, 31)
    (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    >>> compared_days("2026-07-01", "2026-09-30", False, 31)
    (datetime.date(2026, 7, 1), datetime.date(2026, 7, 31))
    """
    start, end = as_of_day(other_start), as_of_day(other_end)
    if complete:
        return start, end
    return start, min(start + dt.timedelta(days=max(int(days), 1) - 1), end)


def period_days(label, grain: str) -> pd.DatetimeIndex:
    """Every day of the period labelled ``label``.

    >>> len(period_days("2024-02-01", "month"))
    29
    """
    start = period_start(label, grain)
    return pd.date_range(start, period_end(start, grain), freq="D")


def future_index(last, h: int, grain: str) -> pd.DatetimeIndex:
    """The labels of the ``h`` periods after the period labelled ``last`` (or after the last
    label of a series / index passed as ``last``), with the grain's frequency set.

    >>> future_index(pd.Series([1.0], index=pd.to_datetime(["2024-01-31"])), 2, "day").day.tolist()
    [1, 2]
    """
    if isinstance(last, (pd.Series, pd.DataFrame)):
        last = last.index
    if isinstance(last, pd.Index):
        if len(last) == 0:
            raise ValueError("cannot extend an empty index")
        last = last[-1]
    first = shift(period_start(last, grain), grain, 1)
    return pd.date_range(first, periods=max(int(h), 0), freq=FREQ[grain])


def horizon_periods(days: int, grain: str) -> int:
    """Periods needed to cover ``days`` days (whole periods, rounded up; months as 30 days).

    >>> horizon_periods(90, "week"), horizon_periods(90, "day")
    (13, 90)
    """
    length = {"day": 1, "week": 7, "month": 30, "quarter": 91}[check_grain(grain)]
    return int(np.ceil(int(days) / length))


def is_regular(index, grain: str) -> bool:
    """Whether ``index`` is exactly the consecutive labels of ``grain`` (no gaps, no
    duplicates, every label a period's first day).

    >>> is_regular(pd.date_range("2024-01-01", periods=3, freq="W-MON"), "week")
    True
    >>> is_regular(pd.date_range("2024-01-07", periods=3, freq="W-SUN"), "week")
    False
    """
    idx = pd.DatetimeIndex(index)
    if len(idx) == 0:
        return True
    expected = pd.date_range(period_start(idx[0], grain), periods=len(idx), freq=FREQ[grain])
    return bool(idx.equals(expected))


def aggregate(frame, grain: str, how="sum", complete: bool = True):
    """Daily values (a frame or series indexed by day) per period of ``grain``, labelled by
    the period's first day; ``complete`` keeps only periods whose every day is in the input.

    ``how`` is one aggregation for all columns or a dict column -> aggregation.

    >>> s = pd.Series(1.0, index=pd.date_range("2024-01-03", "2024-01-21"))
    >>> aggregate(s, "week").to_dict()
    {Timestamp('2024-01-08 00:00:00'): 7.0, Timestamp('2024-01-15 00:00:00'): 7.0}
    """
    obj = frame.copy()
    obj.index = pd.DatetimeIndex(obj.index).normalize()
    labels = period_starts(obj.index, grain)
    groups = obj.groupby(labels)
    out = groups.agg(how)
    if complete and grain != "day":
        lengths = pd.Series([len(period_days(x, grain)) for x in out.index], index=out.index)
        out = out[groups.size().reindex(out.index).to_numpy() == lengths.to_numpy()]
    out.index = pd.DatetimeIndex(out.index, name=grain)
    if len(out) and is_regular(out.index, grain):
        out = out.asfreq(FREQ[grain])
    return out


# -- calendar periods (targets, the report) ---------------------------------------------------
@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year; ``code`` is "2026-07", "2026Q3" or "2026"."""

    grain: str
    year: int
    index: int = 1  # month 1-12, quarter 1-4, 1 for a year

    @property
    def code(self) -> str:
        if self.grain == "month":
            return f"{self.year}-{self.index:02d}"
        return f"{self.year}Q{self.index}" if self.grain == "quarter" else str(self.year)

    @property
    def start(self) -> dt.date:
        month = {"month": self.index, "quarter": 3 * self.index - 2, "year": 1}[self.grain]
        return dt.date(self.year, month, 1)

    @property
    def end(self) -> dt.date:
        return self.next().start - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def shift(self, n: int) -> "Period":
        per_year = {"month": 12, "quarter": 4, "year": 1}[self.grain]
        k = self.year * per_year + (self.index - 1) + n
        return Period(self.grain, k // per_year, k % per_year + 1)

    def next(self) -> "Period":
        return self.shift(1)

    def prev(self) -> "Period":
        return self.shift(-1)

    def year_ago(self) -> "Period":
        return Period(self.grain, self.year - 1, self.index)

    @property
    def label(self) -> pd.Timestamp:
        """The period's first day, as :func:`period_start` labels it."""
        return pd.Timestamp(self.start)

    def __str__(self) -> str:
        return self.code


_PERIOD = re.compile(r"^\s*(\d{4})\s*(?:[-/.]?\s*(?:[Qq]\s*([1-4])|[Mm]?\s*(\d{1,2}))|年\s*(?:第?([1-4一二三四])季度|(\d{1,2})月)?)?\s*$")
_CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4}


def parse_period(text) -> Period:
    """A :class:`Period` from "2026Q3", "2026-Q3", "2026-07", "2026/7", "2026年7月",
    "2026年第三季度" or "2026" (a :class:`Period` passes through).

    >>> parse_period("2026年第三季度").code, parse_period("2026/7").code, parse_period(2026).code
    ('2026Q3', '2026-07', '2026')
    """
    if isinstance(text, Period):
        return text
    m = _PERIOD.match(str(text))
    if not m:
        raise OpsLabError("targets.bad_period", value=str(text)[:40])
    year = int(m.group(1))
    quarter = m.group(2) or m.group(4)
    month = m.group(3) or m.group(5)
    if quarter:
        return Period("quarter", year, _CN_DIGIT.get(quarter) or int(quarter))
    if month:
        if not 1 <= int(month) <= 12:
            raise OpsLabError("targets.bad_period", value=str(text)[:40])
        return Period("month", year, int(month))
    return Period("year", year)


def period_of(day, grain: str) -> Period:
    """The period of ``grain`` holding ``day``.

    >>> period_of("2026-08-15", "quarter").code
    '2026Q3'
    """
    d = pd.Timestamp(day)
    if grain not in CALENDAR_GRAINS:
        raise OpsLabError("targets.bad_grain", grain=str(grain))
    index = {"month": d.month, "quarter": (d.month - 1) // 3 + 1, "year": 1}[grain]
    return Period(grain, d.year, index)
