"""Campaign review (运营活动效果): per campaign and per period, against the previous period,
and how well the next campaign can be forecast.

A campaign belongs to the period its ``start_date`` falls in. Totals per period: campaigns,
spend, participants, new users, conversions, revenue; ROI = revenue / spend (shown "1:x"),
CAC = spend / new users, conversion rate = conversions / participants. A ratio with a zero
or missing denominator is NaN. Break-even is ROI 1:1.

The next-campaign forecast uses :class:`opslab.models.campaigns.CampaignResponseModel`; its
accuracy is measured honestly on a rolling origin (:func:`forecast_accuracy`): each of the
last campaigns is predicted by a model fitted only on campaigns that ended before it began.

Example
-------
>>> camp = pd.DataFrame({"campaign_id": ["a", "b"], "start_date": ["2026-07-03", "2026-04-02"],
...                      "end_date": ["2026-07-05", "2026-04-09"], "spend": [100.0, 50.0],
...                      "revenue": [320.0, 40.0], "new_users": [4.0, 1.0]})
>>> t = period_totals(camp, "quarter")
>>> t["roi"].round(2).tolist(), t.index.tolist()
([0.8, 3.2], ['2026Q2', '2026Q3'])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslab.models.campaigns import CampaignPlan, CampaignResponseModel, campaign_summary
from opslab.core.problems import OpsLabError
from opslab.planning.targets import parse_period, period_of

OUTCOMES = ("spend", "participants", "new_users", "conversions", "revenue")
TOTAL_COLUMNS = ["campaigns", *OUTCOMES, "roi", "cac", "conversion_rate"]


#: The columns :func:`~opslab.models.campaigns.campaign_summary` gives a full campaigns table.
SUMMARY_COLUMNS = ("campaign_id", "name", "type", "channel", "start_date", "end_date",
                          "spend", "revenue", "new_users", "participants", "conversions",
                          "roi", "cac", "conversion_rate")


def campaign_table(campaigns: pd.DataFrame, grain: str = "quarter") -> pd.DataFrame:
    """:func:`~opslab.models.campaigns.campaign_summary` plus ``period`` (the code of the
    period of ``grain`` holding the start date) and ``below_break_even`` (ROI < 1). Without
    campaigns: the same columns, no rows.

    >>> full = pd.DataFrame({"campaign_id": ["c1"], "name": ["618"], "type": ["满减"], "channel": ["站内"],
    ...                      "start_date": ["2024-06-01"], "end_date": ["2024-06-18"], "spend": [100.0],
    ...                      "revenue": [80.0], "new_users": [4], "participants": [50], "conversions": [5]})
    >>> table = campaign_table(full)
    >>> table.loc[0, "period"], bool(table.loc[0, "below_break_even"])
    ('2024Q2', True)
    >>> list(campaign_table(None).columns) == list(table.columns)
    True
    """
    if campaigns is None or not len(campaigns):
        return pd.DataFrame(columns=[*SUMMARY_COLUMNS, "period", "below_break_even"])
    out = campaign_summary(campaigns)
    starts = pd.to_datetime(out["start_date"], errors="coerce")
    out["period"] = [period_of(s, grain).code if pd.notna(s) else None for s in starts]
    out["below_break_even"] = out["roi"] < 1
    return out


def _totals(frame: pd.DataFrame) -> dict:
    sums = {c: float(pd.to_numeric(frame[c], errors="coerce").sum()) if len(frame) else 0.0
            for c in OUTCOMES}

    def div(a, b):
        return sums[a] / sums[b] if sums[b] > 0 else float("nan")
    return {"campaigns": int(len(frame)), **sums, "roi": div("revenue", "spend"),
            "cac": div("spend", "new_users"), "conversion_rate": div("conversions", "participants")}


def period_totals(campaigns: pd.DataFrame, grain: str = "quarter") -> pd.DataFrame:
    """Totals per period (index: period code, oldest first), columns :data:`TOTAL_COLUMNS`."""
    table = campaign_table(campaigns, grain)
    if not len(table):
        return pd.DataFrame(columns=TOTAL_COLUMNS)
    rows = {p: _totals(g) for p, g in table.dropna(subset=["period"]).groupby("period", sort=True)}
    return pd.DataFrame.from_dict(rows, orient="index", columns=TOTAL_COLUMNS)


@dataclass(frozen=True)
class CampaignReview:
    """One period's campaigns, totals, the previous period's totals and the changes."""

    period: str
    campaigns: pd.DataFrame   # one row per campaign of the period
    totals: dict
    previous: dict            # the previous period's totals (same grain)
    change: dict              # relative change of each total (NaN when the base is 0)

    @property
    def below_break_even(self) -> pd.DataFrame:
        if not len(self.campaigns):
            return self.campaigns
        return self.campaigns[self.campaigns["below_break_even"].astype(bool)]


def review(ds_or_campaigns, period) -> CampaignReview:
    """The review of ``period`` ("2026Q3" or a month "2026-07") against the period before."""
    campaigns = getattr(ds_or_campaigns, "campaigns", ds_or_campaigns)
    p = parse_period(period)
    table = campaign_table(campaigns, p.grain)
    cur = table[table["period"] == p.code] if len(table) else table
    prev = table[table["period"] == p.prev().code] if len(table) else table
    totals, previous = _totals(cur), _totals(prev)
    change = {k: (totals[k] / previous[k] - 1) if previous[k] and np.isfinite(previous[k])
              and np.isfinite(totals[k]) else float("nan") for k in TOTAL_COLUMNS}
    return CampaignReview(p.code, cur.reset_index(drop=True), totals, previous, change)


def forecast_accuracy(campaigns: pd.DataFrame, n_last: int = 8, min_campaigns: int = 8,
                      interval: float = 0.8) -> pd.DataFrame:
    """Rolling-origin test of the campaign response model on the last ``n_last`` campaigns:
    campaign_id, actual and predicted revenue and ROI, absolute percentage error of revenue
    and whether the actual revenue fell inside the ``interval`` band. Campaigns with fewer
    than ``min_campaigns`` earlier finished ones are skipped."""
    cols = ["campaign_id", "revenue", "predicted", "lower", "upper", "ape", "covered", "roi",
            "predicted_roi"]
    if campaigns is None or len(campaigns) < min_campaigns + 1:
        return pd.DataFrame(columns=cols)
    c = campaigns.copy()
    c["_start"] = pd.to_datetime(c["start_date"], errors="coerce")
    c["_end"] = pd.to_datetime(c["end_date"], errors="coerce")
    c = c.dropna(subset=["_start", "_end"]).sort_values("_start", kind="stable")
    rows = []
    for _, camp in c.tail(n_last).iterrows():
        train = c[c["_end"] < camp["_start"]].drop(columns=["_start", "_end"])
        spend, revenue = float(camp["spend"]), float(camp.get("revenue", np.nan))
        if len(train) < min_campaigns or not spend > 0 or not np.isfinite(revenue):
            continue
        try:
            model = CampaignResponseModel(interval=interval, min_campaigns=min_campaigns).fit(train)
            fc = model.predict(CampaignPlan(spend, camp.get("type"), camp.get("channel"),
                                            camp["start_date"], camp["end_date"]))
        except OpsLabError:
            continue
        if fc.revenue is None:
            continue
        rows.append({"campaign_id": camp["campaign_id"], "revenue": revenue,
                     "predicted": fc.revenue.mean, "lower": fc.revenue.lower,
                     "upper": fc.revenue.upper,
                     "ape": abs(fc.revenue.mean - revenue) / revenue if revenue > 0 else np.nan,
                     "covered": bool(fc.revenue.lower <= revenue <= fc.revenue.upper),
                     "roi": revenue / spend, "predicted_roi": fc.revenue.mean / spend})
    return pd.DataFrame(rows, columns=cols)


def next_campaign(campaigns: pd.DataFrame, period) -> dict | None:
    """Forecast of a typical next campaign (the period's median spend, most common type and
    channel, median duration, starting the day after the period ends), with the model's
    rolling-origin accuracy: dict(plan, forecast, mape, coverage, n_tested) or None."""
    p = parse_period(period)
    table = campaign_table(campaigns, p.grain)
    recent = table[table["period"] == p.code] if len(table) else table
    if not len(recent):
        return None
    try:
        model = CampaignResponseModel().fit(campaigns)
    except OpsLabError:
        return None
    days = (pd.to_datetime(recent["end_date"]) - pd.to_datetime(recent["start_date"])).dt.days
    start = pd.Timestamp(p.end) + pd.Timedelta(days=1)
    mode = (lambda s: s.dropna().astype(str).mode().iloc[0] if s.notna().any() else None)
    plan = CampaignPlan(float(recent["spend"].median()),
                        mode(recent["type"]) if "type" in recent else None,
                        mode(recent["channel"]) if "channel" in recent else None,
                        start.date(), (start + pd.Timedelta(days=int(days.median()))).date())
    acc = forecast_accuracy(campaigns)
    return {"plan": plan, "forecast": model.predict(plan),
            "mape": float(acc["ape"].median()) if len(acc) else float("nan"),
            "coverage": float(acc["covered"].mean()) if len(acc) else float("nan"),
            "n_tested": int(len(acc))}
