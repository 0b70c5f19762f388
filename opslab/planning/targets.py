"""Targets (目标) for calendar months, quarters and years: what they are, how they move in and out.

A :class:`Target` is a KPI, a calendar period ("2026Q3", "2026-07", "2026"), a value and a
direction (``at_least``, or ``at_most`` for costs such as CAC). Targets are kept with the
data set as JSON (:mod:`opslab.workspace.target_store`, under the stored data set's id) and
move in and out as .xlsx or CSV (:func:`read_targets`, :func:`targets_frame`).

How far a target is reached, and the odds of reaching it, is :mod:`opslab.planning.completion`.

This module also holds the adapters through which the targets, the campaign review and the
report read other parts of OpsLab (one function each, so they can be re-pointed in one
place): :func:`forecast_paths` (sample paths of a daily KPI forecast) and
:func:`_tier_rules` (the lifecycle tier rules).

Example
-------
>>> t = Target("gmv", "2026Q3", 22e6)
>>> t.bounds
(datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
>>> parse_period("2026-07").next().code
'2026-08'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from opslab.ingest.read import read_table
from opslab.ingest.read_result import ReadOptions
from opslab.lifecycle.fit import rules_in_force
from opslab.core.problems import ERROR, OpsLabError
from opslab.metrics import kpi_series as ks
from opslab.core.i18n import LANGUAGES, t
from opslab.metrics import catalogue
from opslab.core.periods import CALENDAR_GRAINS as PERIOD_GRAINS, Period, parse_period, period_of  # noqa: F401 - re-exported
from opslab.models.forecast import daily_config, daily_result
from opslab.models.forecast_grains import shared_paths

#: Targetable KPIs in display order, with how the period's value is built from its days:
#: sum (totals), distinct (users counted once per period), mean / max (of the daily values),
#: rate (a ratio of the period's totals; not additive over days).
KPI_KIND = {
    "gmv": "sum", "new_users": "sum", "paying_users": "distinct", "paid_conversion": "rate",
    "dau_avg": "mean", "dau_peak": "max",
    "m1_all": "rate", "m1_payer": "rate", "m1_high_value": "rate",
    "m3_all": "rate", "m3_payer": "rate", "m3_high_value": "rate",
    "cac": "rate", "roi": "rate", "participants": "sum",
}
TARGET_KPIS = tuple(KPI_KIND)


def trackable_kpis(ds) -> tuple[str, ...]:
    """The targetable KPIs ``ds`` can measure: every one, or without a buyer id
    (``ds.buyers_known`` False) only those that count no people (GMV and the campaign figures).

    >>> from opslab.dataset.dataset import Dataset
    >>> od = pd.DataFrame({"user_id": ["~1"], "amount": [9.0], "order_time": pd.to_datetime(["2024-01-05"])})
    >>> trackable_kpis(Dataset.from_tables(orders=od, buyers_known=False))
    ('gmv', 'cac', 'roi', 'participants')
    """
    if getattr(ds, "buyers_known", True):
        return TARGET_KPIS
    return tuple(k for k in TARGET_KPIS if not catalogue.needs_buyers(k))


#: The catalogue's unit of each (money, count, rate, ratio): :func:`opslab.present.formatting.kpi_value`.
KPI_UNIT = {k: catalogue.unit(k) for k in TARGET_KPIS}
#: The daily series of :mod:`opslab.metrics.kpi_series` that forecasts the rest of a period.
FORECAST_SERIES = {"gmv": "gmv", "new_users": "new_users", "dau_avg": "dau", "dau_peak": "dau"}
#: KPIs measured from the campaigns table (campaigns counted in the period they start in).
#: Daily series the anomaly alert checks (pay_rate = paying users / DAU of the day).
ALERT_SERIES = ("dau", "gmv", "pay_rate")
CAMPAIGN_KPIS = frozenset({"cac", "roi", "participants"})
DIRECTIONS = ("at_least", "at_most")
DEFAULT_DIRECTION = {k: "at_most" if k == "cac" else "at_least" for k in TARGET_KPIS}
COLUMNS = ("kpi", "period", "value", "direction")


# -- targets -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """``kpi`` should reach ``value`` over ``period`` (``direction`` at_least or at_most).

    Rates are fractions (M1 52 % is ``0.52``), ROI is revenue per unit of spend (1:3.5 is
    ``3.5``), money is in the data set's currency.
    """

    kpi: str
    period: str
    value: float
    direction: str = ""

    def __post_init__(self):
        if self.kpi not in KPI_KIND:
            raise OpsLabError("targets.bad_kpi", value=str(self.kpi)[:40])
        object.__setattr__(self, "period", parse_period(self.period).code)
        object.__setattr__(self, "direction", self.direction or DEFAULT_DIRECTION[self.kpi])
        if self.direction not in DIRECTIONS:
            raise OpsLabError("targets.bad_direction", value=str(self.direction)[:40])
        value = float(self.value)
        if not np.isfinite(value) or value < 0:
            raise OpsLabError("targets.bad_value", value=str(self.value)[:40])
        object.__setattr__(self, "value", value)

    @property
    def bounds(self) -> tuple[dt.date, dt.date]:
        p = parse_period(self.period)
        return p.start, p.end

    def met(self, actual: float) -> bool:
        return actual >= self.value if self.direction == "at_least" else actual <= self.value


def targets_frame(targets) -> pd.DataFrame:
    """Targets as a frame with the columns kpi, period, value, direction (the file format)."""
    return pd.DataFrame([asdict(t) for t in targets], columns=list(COLUMNS))


def _label_codes() -> dict[str, str]:
    """KPI and direction labels in both languages -> codes, so a file written in the app's
    Chinese or English export reads back."""
    out = {}
    for lang in LANGUAGES:
        out |= {t(f"targets.kpi_legacy.{k}", lang).strip().lower(): k for k in TARGET_KPIS}  # older files
        out |= {catalogue.name(k, lang).strip().lower(): k for k in TARGET_KPIS}
        out |= {t(f"targets.direction.{d}", lang).strip().lower(): d for d in DIRECTIONS}
    return out


_HEADERS = {"kpi": ("kpi", "指标", "metric"), "period": ("period", "周期", "期间"),
            "value": ("value", "目标值", "目标", "target"), "direction": ("direction", "方向")}


def targets_from_frame(frame: pd.DataFrame) -> list[Target]:
    """Targets from a table with columns kpi, period, value and (optional) direction.

    Headers and KPI names may be the codes or the app's Chinese/English labels; values may be
    written "52%". A bad row raises ``OpsLabError("targets.bad_row", row=..., detail=...,
    value=...)`` naming its spreadsheet row (the header is row 1), the problem's i18n code and
    the cell. A later row for the same KPI and period
    replaces an earlier one.
    """
    cols = {str(c).strip().lower(): c for c in frame.columns}
    pick = {}
    for name, options in _HEADERS.items():
        found = next((cols[o] for o in options if o in cols), None)
        if found is None and name != "direction":
            raise OpsLabError("targets.missing_column", column=name)
        pick[name] = found
    labels = _label_codes()
    out: dict[tuple[str, str], Target] = {}
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        rec = dict(zip(frame.columns, row))
        raw_kpi = str(rec[pick["kpi"]]).strip()
        if raw_kpi in ("", "nan", "None"):
            continue
        try:
            kpi = raw_kpi if raw_kpi in KPI_KIND else labels.get(raw_kpi.lower(), raw_kpi)
            direction = str(rec[pick["direction"]]).strip() if pick["direction"] is not None else ""
            direction = "" if direction in ("nan", "None") else labels.get(direction.lower(), direction)
            target = Target(kpi, rec[pick["period"]], _number(rec[pick["value"]]), direction)
        except (OpsLabError, ValueError, TypeError) as err:
            detail = err.code if isinstance(err, OpsLabError) else "targets.bad_value"
            value = err.params.get("value", "") if isinstance(err, OpsLabError) else str(rec[pick["value"]])
            raise OpsLabError("targets.bad_row", row=i, detail=detail, value=str(value)[:40]) from None
        out[(target.kpi, target.period)] = target
    return list(out.values())


def _number(value) -> float:
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        if text.startswith("1:"):
            return float(text[2:])
        if text.endswith("%"):
            return float(text[:-1]) / 100
        return float(text)
    return float(value)


#: A targets file is a few dozen rows: limits far below an upload's, checked while reading.
TARGETS_READ = ReadOptions(max_bytes=10 * 2**20, max_rows=10_000, max_columns=50, header=True,
                           max_sheet_rows=10_000, max_line_bytes=2**20)


def read_targets(data: bytes, name: str = "targets.csv") -> list[Target]:
    """Targets from the bytes of an .xlsx (first sheet) or CSV file (UTF-8, BOM or GB18030).

    Read by the one hardened reader every upload uses (:func:`opslab.ingest.read.read_table`:
    spreadsheets in a capped worker process, limits checked while streaming), so a hostile
    workbook costs that worker, never the server (issue 28: ``pd.read_excel`` in the server
    process spent 360 s of CPU and 4 GB on a 5.3 MB file)."""
    got = read_table(data, name, TARGETS_READ)
    if got.df is None:
        err = next((p for p in got.report.problems if p.severity == ERROR), None)
        if err is None:
            raise OpsLabError("targets.unreadable", detail="io.empty_file")
        raise OpsLabError(err.code, **err.params)  # the reader's own translated reason
    frame = got.df.astype(object).where(got.df.notna(), None)
    return targets_from_frame(frame)


# -- adapters (one place to re-point) ----------------------------------------------------------
def _tier_rules(ds, rules=None):
    """The lifecycle tier rules the targets and the report use (high-value threshold): the
    rules given (the ones in force on the Lifecycle page), else the rules fitted to the data,
    which is what the Lifecycle page starts from."""
    return rules if rules is not None else rules_in_force(ds)


def forecast_paths(ds, kpi: str, grain: str, start, end, config=None):
    """Sample paths of the daily series behind ``kpi`` for the days ``start``..``end``.

    The forecaster (:class:`opslab.models.forecast.KPIForecaster`, festival-aware) is fitted
    on the series up to the day before ``start`` and memoised on the data set. Returns
    ``(paths, days)`` with ``paths`` of shape ``(n_paths, len(days))``, or ``(None, None)``
    when the KPI has no forecast or the history is too short. ``grain`` is the series grain
    (only "day" is used). ``kpi`` may also be a daily series of :data:`ALERT_SERIES`.
    """

    series = FORECAST_SERIES.get(kpi) or (kpi if kpi in ALERT_SERIES else None)
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if series is None or end < start:
        return None, None
    if series == "pay_rate":  # paying users / DAU per day (0 on a day without actives)
        frame = ks.regular_kpis(ds, grain)
        y = (frame["paying_users"] / frame["dau"].where(frame["dau"] > 0)).fillna(0.0).rename(series)
    else:
        y = ks.kpi_series(ds, series, grain)
    y = y[y.index < start]
    if len(y) < 28 or y.index[-1] != start - pd.Timedelta(days=1):
        return None, None
    days = pd.date_range(start, end, freq="D")
    cfg = config or daily_config(ds)  # the Forecast page's own fit when as of the data's end
    result = daily_result(ds, series, y, cfg)
    return np.asarray(shared_paths(result, len(days)), float), days
