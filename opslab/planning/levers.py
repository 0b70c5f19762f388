"""Which levers could close a target's gap, ranked by how far each must move.

For a target behind its forecast, the rest of the period must deliver ``need`` where the
forecast expects ``expected``; the gap ratio is ``g = need / expected``. A lever is one
quantity the team can push:

- GMV, paying users and DAU: the drivers of the GMV tree (:mod:`opslab.planning.driver_tree`:
  retained, new and recovered users, paid rate, ARPPU). :func:`~opslab.planning.driver_tree.goal_seek`
  gives the change of each driver alone that lifts its node by ``g`` on the last complete
  month.
- New users and campaign participants: campaign spend at the campaigns' pooled yield
  (new users or participants per unit of spend), and the KPI's own monthly level.
- Every other KPI (rates, retention, CAC, ROI): the KPI's own monthly level.

Each lever's required change is set against its own history: ``typical`` is the standard
deviation of its month-on-month relative changes over the last 12 complete months, and
``effort = change / typical`` (how many typical months' swings it takes). A lever that would
leave its possible range (a paid rate above 100 %, more retained users than were active the
month before, a retention above 100 %) is marked infeasible and ranked last.

Example
-------
>>> rank_levers(ds, target, status_row)                          # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.planning import driver_tree as dtree
from opslab.dataset.dataset import Dataset
from opslab.planning.completion import KPI_KIND, campaigns_in, period_actuals
from opslab.core.periods import as_of_day
from opslab.planning.targets import Target, parse_period

NODE = {"gmv": "gmv", "paying_users": "paying_users", "dau_avg": "active_users",
        "dau_peak": "active_users"}
SPEND_KPIS = {"new_users": "new_users", "participants": "participants"}
HISTORY_MONTHS = 12
COLUMNS = ["lever", "current", "required", "change", "typical", "effort", "feasible", "rank"]


def _months(ds: Dataset, as_of, n: int = HISTORY_MONTHS) -> list:
    """The last ``n`` calendar months fully inside the data up to ``as_of``, oldest first."""
    last = parse_period(pd.Timestamp(as_of).strftime("%Y-%m"))
    if last.end > as_of_day(as_of):
        last = last.prev()
    out = []
    p = last
    while len(out) < n and p.start >= ds.start:
        out.append(p)
        p = p.prev()
    return out[::-1]


def gap_ratio(target: Target, row: dict) -> float:
    """``need / expected`` for the rest of the period (NaN when it cannot be said)."""
    kind = KPI_KIND[target.kpi]
    actual = row.get("actual", np.nan)
    actual = 0.0 if not np.isfinite(actual) else actual
    expected_total = row["forecast"] if np.isfinite(row.get("forecast", np.nan)) else row.get("run_rate", np.nan)
    if kind in ("sum", "distinct"):
        need, expected = target.value - actual, expected_total - actual
    elif kind == "mean":
        done = actual * row["days_elapsed"]
        need, expected = target.value * row["days_total"] - done, expected_total * row["days_total"] - done
    else:  # levels, peaks and rates: the level itself must move
        need, expected = target.value, expected_total
    if not (np.isfinite(need) and np.isfinite(expected)) or expected <= 0:
        return float("nan")
    return float(need / expected)


def _typical(values) -> float:
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) < 3:
        return float("nan")
    ch = v[1:] / np.where(v[:-1] > 0, v[:-1], np.nan) - 1
    ch = ch[np.isfinite(ch)]
    return float(np.std(ch, ddof=1)) if len(ch) >= 2 else float("nan")


def _lever(name, current, change, history, feasible=True) -> dict:
    typical = _typical(history)
    effort = abs(change) / typical if np.isfinite(typical) and typical > 0 else float("nan")
    return dict(lever=name, current=float(current), required=float(current) * (1 + change),
                change=float(change), typical=typical, effort=effort, feasible=bool(feasible))


def rank_levers(ds: Dataset, target: Target, row: dict, as_of=None,
                high_value: float | None = None) -> pd.DataFrame:
    """Levers for ``target`` given its status ``row`` (from :func:`target_status`), easiest
    feasible first. Empty when the target is met, past, or its gap cannot be sized.
    ``high_value``: as in :func:`opslab.planning.completion.period_actuals`."""
    as_of = as_of_day(as_of, ds.end)
    g = gap_ratio(target, row)
    at_most = target.direction == "at_most"
    if row.get("state") == "past" or not np.isfinite(g) or (g <= 1 and not at_most) or (at_most and g >= 1):
        return pd.DataFrame(columns=COLUMNS)
    months = _months(ds, as_of)
    if len(months) < 2:
        return pd.DataFrame(columns=COLUMNS)
    levers = []
    if target.kpi in NODE:
        node = NODE[target.kpi]
        bases = [dtree.driver_base(ds, "month", start=p.start) for p in months]
        base = bases[-1]
        for d in dtree.DRIVERS:
            x = dtree.goal_seek(base, d, dtree.tree_values(base)[node] * g, node=node)
            if not np.isfinite(x):
                continue
            value = base.drivers()[d] * (1 + x)
            prev_active = bases[-2].active_users
            ok = not ((d == "paid_rate" and value > 1) or (d == "retained" and value > prev_active))
            levers.append(_lever(d, base.drivers()[d], x, [b.drivers()[d] for b in bases], ok))
    else:
        hist = [period_actuals(ds, p.start, p.end, as_of, high_value=high_value)[target.kpi] for p in months]
        current = hist[-1]
        if np.isfinite(current) and current > 0:
            change = g - 1
            ok = not (KPI_KIND[target.kpi] == "rate" and target.kpi not in ("cac", "roi")
                      and current * g > 1)
            levers.append(_lever(target.kpi, current, change, hist, ok))
        if target.kpi in SPEND_KPIS and getattr(ds, "whole", True):  # a segment's spend is not known
            spend = [float(campaigns_in(ds, p.start, p.end)["spend"].sum()) for p in months]
            camp = campaigns_in(ds, months[0].start, months[-1].end)
            yield_ = camp[SPEND_KPIS[target.kpi]].sum() / camp["spend"].sum() if camp["spend"].sum() > 0 else np.nan
            expected = row["forecast"] if np.isfinite(row.get("forecast", np.nan)) else row.get("run_rate", np.nan)
            missing = target.value - expected
            months_left = max(row["days_total"] - row["days_elapsed"], 1) / 30.0
            if np.isfinite(yield_) and yield_ > 0 and np.isfinite(missing) and spend[-1] > 0:
                extra_per_month = missing / yield_ / months_left
                levers.append(_lever("campaign_spend", spend[-1], extra_per_month / spend[-1], spend))
    if not levers:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.DataFrame(levers)
    out["_key"] = out["effort"].fillna(np.inf)
    out = out.sort_values(["feasible", "_key"], ascending=[False, True], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out.drop(columns="_key").reset_index(drop=True)[COLUMNS]
