"""What happened on the calendar behind a trend: the data set's campaigns and, for data from
the Chinese market (currency CNY, found or chosen), the Chinese commerce festivals
(:mod:`opslab.core.calendar_cn`), as date ranges to draw on trend charts. No market is assumed:
pounds or an unstated currency get no 618 or Double 11.

Example
-------
>>> ev = pd.DataFrame({"user_id": ["a"], "event_time": pd.to_datetime(["2024-06-05"])})
>>> camp = pd.DataFrame({"campaign_id": ["C1"], "name": ["618 预热"], "start_date": ["2024-06-01"],
...                      "end_date": ["2024-06-18"], "spend": [100.0]})
>>> m = trend_markers(Dataset.from_tables(events=ev, campaigns=camp, currency="CNY"), "2024-05-01", "2024-07-31")
>>> m[["kind", "code", "label"]].values.tolist()
[['campaign', 'C1', '618 预热'], ['festival', 'd618', '']]
>>> trend_markers(Dataset.from_tables(events=ev, campaigns=camp, currency="GBP"), "2024-05-01", "2024-07-31")["kind"].tolist()
['campaign']
"""

from __future__ import annotations

import pandas as pd

from opslab.core import calendar_cn
from opslab.dataset.dataset import Dataset

COLUMNS = ["kind", "code", "label", "start", "end"]


def trend_markers(ds: Dataset, start, end, max_campaigns: int = 12) -> pd.DataFrame:
    """Campaigns (kind "campaign": code = campaign id, label = its name) and festival windows
    (kind "festival": code = the festival's code, label empty, the view names it) that overlap
    ``start``..``end``, clipped to it. Only the ``max_campaigns`` with the largest spend are
    kept so a busy calendar stays readable."""
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    rows = []
    c = ds.campaigns
    if c is not None and len(c) and {"start_date", "end_date"} <= set(c.columns):
        s = pd.to_datetime(c["start_date"], errors="coerce")
        e = pd.to_datetime(c["end_date"], errors="coerce").fillna(s)
        spend = pd.to_numeric(c["spend"], errors="coerce") if "spend" in c else pd.Series(0.0, index=c.index)
        keep = s.notna() & (s <= hi) & (e >= lo)
        sel = c[keep].assign(_s=s[keep], _e=e[keep], _spend=spend[keep].fillna(0.0))
        sel = sel.sort_values("_spend", ascending=False, kind="stable").head(max_campaigns)
        for _, r in sel.sort_values("_s", kind="stable").iterrows():
            name = r.get("name")
            label = str(name) if isinstance(name, str) and name else str(r["campaign_id"])
            rows.append(("campaign", str(r["campaign_id"]), label, max(r["_s"], lo), min(r["_e"], hi)))
    china = str(getattr(ds, "currency", "") or "").upper() == "CNY"  # as forecast.default_market
    for year in range(lo.year, hi.year + 1) if china else ():
        for code, (a, b) in calendar_cn.festival_windows(year).items():
            a, b = pd.Timestamp(a), pd.Timestamp(b)
            if a <= hi and b >= lo:
                rows.append(("festival", code, "", max(a, lo), min(b, hi)))
    return pd.DataFrame(rows, columns=COLUMNS)
