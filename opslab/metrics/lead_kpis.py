"""The figures leads set quarterly targets on, defined once for the Overview cards, the
targets (:mod:`opslab.planning.completion`) and the report: CAC, ROI, peak DAU, and M1/M3
retention of all new users, of payers and of high-value users.

- **M``k`` retention of a base group in month m** (``targets_month_retention`` in
  ``opslab/metrics/lead_kpis.sql``): "all" = users who signed up in m (existing users left out),
  "payer" = users with a paid order in m, "high_value" = users whose paid orders in m sum to
  at least the lifecycle rules' high-value monthly spend; retained = active in month m + k.
  A period's figure pools the base months whose month m + k lies in the period and has ended.
- **CAC** = spend / new users of the campaigns starting in the period; **ROI** = their
  revenue / spend (shown "1:x"). On a segment (a data set of some users only, ``ds.whole``
  False) campaigns are still the whole business's: spend is not split by users, so CAC is not
  given (NaN) and ROI is the segment's own GMV on the campaigns' days / their spend
  (:func:`campaign_cac_roi`, labelled so on every screen and in the report).
- **peak DAU**: the highest daily active users on one day of the period (and that day).

Example
-------
>>> days = pd.to_datetime(["2024-01-05", "2024-02-10", "2024-01-06", "2024-03-01"])
>>> od = pd.DataFrame({"user_id": ["a", "a", "b", "c"], "order_time": days,
...                    "amount": [300.0, 50.0, 20.0, 10.0]})
>>> ds = Dataset.from_tables(orders=od)
>>> rate, size = retention_in(ds, 1, "payer", "2024-02-01", "2024-02-29", high_value=200)
>>> rate, size          # a and b paid in January; only a came back in February
(0.5, 2)
>>> retention_in(ds, 1, "high_value", "2024-02-01", "2024-02-29", high_value=200)
(1.0, 1)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.dataset.dataset import Dataset
from opslab.lifecycle.fit import rules_in_force
from opslab.metrics.kpi_table import daily
from opslab.core.periods import as_of_day

#: The cards the Overview shows next to the KPI cards, in display order.
LEAD_CARDS = ("cac", "roi", "peak_dau", "m1_payer", "m3_payer", "m1_high_value", "m3_high_value")
CAMPAIGN_COLUMNS = ("spend", "participants", "new_users", "conversions", "revenue")


def default_high_value(ds: Dataset) -> float:
    """The high-value monthly spend of the lifecycle rules in force for ``ds`` (fitted to the
    data, as the Lifecycle page starts from; see :func:`opslab.lifecycle.fit.rules_in_force`)."""
    return float(rules_in_force(ds).high_value_monthly_spend)


def month_retention(ds: Dataset, as_of=None, high_value: float | None = None) -> pd.DataFrame:
    """Month-k retention bases (k = 1, 3) per base month: base, base_month, k, size, retained.

    ``high_value``: the monthly spend that makes a payer high-value (default: the threshold of
    the rules in force, :func:`default_high_value`)."""
    day = as_of_day(as_of, ds.end)
    hv = float(default_high_value(ds) if high_value is None else high_value)

    def compute():
        out = ds.engine.run("targets_month_retention", as_of=day, high_value=hv)
        out["base_month"] = pd.to_datetime(out["base_month"])
        return out
    return ds.memo(("targets_month_retention", day, hv), compute)


def retention_in(ds: Dataset, k: int, base: str, start, end, as_of=None,
                 high_value: float | None = None) -> tuple[float, int]:
    """Pooled M``k`` retention of the ``base`` group over the months m whose month m + k lies
    in ``start``..``end`` and has ended by ``as_of``: (rate, base size)."""
    if not getattr(ds, "buyers_known", True):  # nobody to follow from month to month
        return float("nan"), 0
    as_of = pd.Timestamp(as_of or ds.end)
    r = month_retention(ds, as_of, high_value)
    r = r[(r["base"] == base) & (r["k"] == k)]
    if base == "all":  # cohorts older than the data would only show missing history
        r = r[r["base_month"] >= pd.Timestamp(ds.start).replace(day=1)]
    month = r["base_month"] + pd.DateOffset(months=k)
    month_end = month + pd.offsets.MonthEnd(0)
    keep = (month >= pd.Timestamp(start)) & (month_end <= pd.Timestamp(end)) & (month_end <= as_of)
    size = int(r.loc[keep, "size"].sum())
    return (float(r.loc[keep, "retained"].sum() / size) if size else float("nan")), size


def campaigns_in(ds: Dataset, start, end) -> pd.DataFrame:
    """Campaigns starting in ``start``..``end`` with numeric spend and outcomes."""
    c = ds.campaigns
    if c is None or not len(c):
        return pd.DataFrame(columns=list(CAMPAIGN_COLUMNS))
    starts = pd.to_datetime(c["start_date"], errors="coerce")
    sel = c[(starts >= pd.Timestamp(start)) & (starts <= pd.Timestamp(end))].copy()
    for col in CAMPAIGN_COLUMNS:
        sel[col] = pd.to_numeric(sel[col], errors="coerce") if col in sel else np.nan
    return sel


def cac_roi(campaigns: pd.DataFrame) -> tuple[float, float]:
    """(CAC, ROI) of a set of campaigns: total spend / total new users, total revenue / total
    spend; NaN without a positive base.

    >>> cac_roi(pd.DataFrame({"spend": [100.0, 300.0], "new_users": [10, 10], "revenue": [500.0, 700.0]}))
    (20.0, 3.0)
    """
    spend = float(campaigns["spend"].sum()) if len(campaigns) else 0.0
    new = float(campaigns["new_users"].sum()) if len(campaigns) else 0.0
    revenue = float(campaigns["revenue"].sum()) if len(campaigns) else 0.0
    return (spend / new if new > 0 else float("nan"), revenue / spend if spend > 0 else float("nan"))


def segment_revenue(ds: Dataset, campaigns: pd.DataFrame) -> float:
    """GMV of ``ds``'s users (the catalogue's GMV, refunds rule included) on the days covered
    by at least one of ``campaigns`` (a day two campaigns share counts once)."""
    if not len(campaigns):
        return 0.0
    days = pd.DatetimeIndex([])
    for a, b in zip(pd.to_datetime(campaigns["start_date"], errors="coerce"),
                    pd.to_datetime(campaigns["end_date"], errors="coerce")):
        if pd.notna(a) and pd.notna(b):
            days = days.union(pd.date_range(a.normalize(), b.normalize(), freq="D"))
    gmv = daily(ds)["gmv"]
    return float(gmv[gmv.index.isin(days)].sum())


def campaign_cac_roi(ds: Dataset, campaigns: pd.DataFrame) -> tuple[float, float]:
    """(CAC, ROI) of ``campaigns`` for ``ds``: :func:`cac_roi` on a whole data set; on a
    segment (``ds.whole`` False) CAC is NaN (spend is not split by users) and ROI is
    :func:`segment_revenue` / the campaigns' spend."""
    if getattr(ds, "whole", True):
        return cac_roi(campaigns)
    spend = float(campaigns["spend"].sum()) if len(campaigns) else 0.0
    if not getattr(ds, "has_amounts", True) or spend <= 0:
        return float("nan"), float("nan")
    return float("nan"), segment_revenue(ds, campaigns) / spend


def peak_dau(ds: Dataset, start, end) -> tuple[float, pd.Timestamp | None]:
    """The highest DAU on one day of ``start``..``end`` and that day (the first, on ties)."""
    d = daily(ds)["dau"]
    d = d[(d.index >= pd.Timestamp(start)) & (d.index <= pd.Timestamp(end))].dropna()
    if not len(d):  # no day, or no user counted (no buyer id in the data)
        return float("nan"), None
    return float(d.max()), d.idxmax()


def lead_cards(ds: Dataset, start, end, high_value: float | None = None) -> pd.DataFrame:
    """The lead cards for the days ``start``..``end``: one row per :data:`LEAD_CARDS` name with
    ``value``, ``base`` (the users or campaigns behind it; 0 = no basis) and ``day`` (the peak
    DAU's day).

    Retention pools the base months whose month m + k ends inside the period (so a month's
    M1 of payers is "payers of the month before, active this month").
    """
    camp = campaigns_in(ds, start, end)
    cac, roi = campaign_cac_roi(ds, camp)
    peak, day = peak_dau(ds, start, end)
    rows = [{"card": "cac", "value": cac, "base": len(camp), "day": None},
            {"card": "roi", "value": roi, "base": len(camp), "day": None},
            {"card": "peak_dau", "value": peak, "base": int(np.isfinite(peak)), "day": day}]
    for card in LEAD_CARDS[3:]:
        k, base = int(card[1]), card.split("_", 1)[1]
        if base == "high_value" and not getattr(ds, "has_amounts", True):
            rows.append({"card": card, "value": float("nan"), "base": 0, "day": None})  # no spend, no tier
            continue
        rate, size = retention_in(ds, k, base, start, end, high_value=high_value)
        rows.append({"card": card, "value": rate, "base": size, "day": None})
    return pd.DataFrame(rows).set_index("card")
