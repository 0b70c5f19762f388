"""Catalogue entries computed from their one definition.

:func:`values` runs the named SQL block an entry of :mod:`opslab.metrics.catalogue` points at and
evaluates the entry's expression over it, per period of a grain: the period-totals block
(``period_totals``: ``gmv / active_users`` …), the daily block (``daily``: ``mean(dau)``,
``max(dau)`` over the period's days), the month-k retention block
(:func:`opslab.metrics.lead_kpis.retention_in`) and, for the campaign figures that are not SQL, the
function the entry names (:func:`opslab.metrics.lead_kpis.cac_roi`). The screens read the same
functions (:func:`opslab.metrics.kpi_table.kpis`, :func:`opslab.planning.completion.period_actuals`,
:func:`opslab.metrics.lead_kpis.lead_cards`), and the tests check both against plain pandas.

>>> from opslab.dataset.dataset import Dataset
>>> od = pd.DataFrame({"user_id": ["a", "b", "a"], "amount": [10.0, 30.0, 5.0],
...                    "order_time": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-02"])})
>>> values(Dataset.from_tables(orders=od), "arppu", "month").tolist()
[20.0, 5.0]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from opslab.metrics import catalogue
from opslab.metrics import lead_kpis
from opslab.metrics import kpi_table as metrics
from opslab.core import periods as pr

_AGG = re.compile(r"\b(mean|max|sum)\((\w+)\)")


def values(ds, key: str, grain: str = "month", *, start=None, end=None, as_of=None,
           conversion_days: int = metrics.MetricConfig.conversion_days,
           high_value: float | None = None) -> pd.Series:
    """The figure ``key`` per period of ``grain`` (index: the period's first day) over the
    days ``start``..``end`` (default: all of the data), from its catalogue definition."""
    m = catalogue.get(key)
    if not m.is_kpi:
        raise ValueError(f"{key!r} is a concept, not a figure")
    if m.sql == "period_totals":
        frame = metrics.period_totals(ds, grain, start, end, as_of, conversion_days)
        return _eval(frame, m.expr).rename(m.key)
    if m.sql == "daily":
        d = metrics.daily(ds)
        d = d[(d.index >= pd.Timestamp(start or ds.start)) & (d.index <= pd.Timestamp(end or ds.end))]
        if not _AGG.search(m.expr):  # a figure of one day (daily paid rate)
            if grain != "day":
                raise ValueError(f"{key!r} exists per day only")
            return _eval(d, m.expr).rename(m.key)
        labels = pr.period_starts(d.index, grain)
        cols = {f"{agg}_{col}": d[col].groupby(labels).agg(agg) for agg, col in set(_AGG.findall(m.expr))}
        frame = pd.DataFrame(cols)
        frame.index.name = "period"
        return _eval(frame, _AGG.sub(r"\1_\2", m.expr)).rename(m.key)
    labels = _labels(ds, grain, start, end)
    if m.sql == "targets_month_retention":
        k, base = int(m.key[1]), m.key.split("_", 1)[1]
        out = [lead_kpis.retention_in(ds, k, base, p, pr.period_end(p, grain), as_of, high_value)[0]
               for p in labels]
        return pd.Series(out, index=labels, name=m.key, dtype="float64")
    out = []
    for p in labels:
        camp = lead_kpis.campaigns_in(ds, p, pr.period_end(p, grain))
        cac, roi = lead_kpis.campaign_cac_roi(ds, camp)  # a segment: spend is not split by users
        part = float(camp["participants"].sum()) if len(camp) and ds.whole else float("nan")
        out.append({"cac": cac, "roi": roi, "participants": part}[m.key])
    return pd.Series(out, index=labels, name=m.key, dtype="float64")


def _labels(ds, grain: str, start, end) -> pd.DatetimeIndex:
    first = pr.period_start(start or ds.start, grain)
    last = pr.period_start(end or ds.end, grain)
    return pd.date_range(first, last, freq=pr.FREQ[grain], name="period")


def _eval(frame: pd.DataFrame, expr: str) -> pd.Series:
    """``expr`` over ``frame``'s columns; a ratio with a zero base is NaN, not infinite."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = frame.astype("float64").eval(expr)
    return pd.Series(out, index=frame.index).replace([np.inf, -np.inf], np.nan)
