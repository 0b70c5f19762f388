"""存在的问题 and 下季度计划: problems found in the report's figures, each with its evidence,
and next period's targets proposed from the forecast with their odds.

A :class:`Finding` is an i18n code (``report.problem.*``) with its evidence as parameters:

- ``behind_target``: a target off track, at risk or missed (actual, target, 完成度, P(hit));
- ``retention_drop``: an M1/M3 retention at least :data:`RETENTION_DROP` (3 points) below
  the previous period;
- ``warning_growing``: the 流失预警 tier grew by at least :data:`WARNING_GROWTH` (10 %) over
  the period, with the value at risk;
- ``below_break_even``: the campaigns whose revenue did not cover their spend (ROI < 1:1),
  lowest ROI first, with their total spend and revenue;
- ``gmv_decline``: GMV fell by at least :data:`GMV_DROP` (5 %) against the previous period,
  with the factor and the segments that drove it (:mod:`opslab.report.why`);
- ``data_set_aside``: the load set aside at least 5 % of its rows or money
  (:mod:`opslab.report.trust`).

Problems are ranked by the money at stake (``Finding.money``: the GMV shortfall against a
target or the previous period, the value at risk of the 流失预警 tier, the campaigns' loss,
the money set aside), those without an amount after them, by kind.

Next period's plan keeps the targets already set for it and proposes one for each KPI with a
forecast that has none: the median of the forecast's per-path period values (the one daily
fit of :mod:`opslab.models.forecast`, its paths already held to the history's best runs),
rounded to three significant digits (odds near one in two; people counted in whole numbers),
never below what is already in, never above 1.5 times the best run of as many days, never
"at least 0", and none for a total with nothing in the last period's worth of days (a closed
cohort's new users); with P(hit)
computed on the same paths and the anchors (floor, same period last year, limit) beside it.

Example
-------
>>> round_sig(1_862_345.0)
1860000.0
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from opslab.metrics.kpi_series import kpi_series
from opslab.metrics import catalogue
from opslab.metrics.kpi_table import change
from opslab.models.forecast_plausible import FACTOR, best_runs
from opslab.planning.completion import KPI_KIND, target_row
from opslab.planning.targets import FORECAST_SERIES, Period, Target, forecast_paths
from opslab.planning.completion import _paths_outlook, period_actuals, time_progress
from opslab.report.trust import set_aside_is_large

RETENTION_DROP = 0.03
WARNING_GROWTH = 0.10
GMV_DROP = 0.05
SEVERITY = {"data_set_aside": 0, "behind_target": 1, "gmv_decline": 2, "retention_drop": 3,
            "warning_growing": 4, "below_break_even": 5}


@dataclass(frozen=True)
class Finding:
    """One problem: ``code`` (report.problem.*), the KPI or campaign concerned, evidence."""

    code: str
    subject: str = ""
    evidence: dict = field(default_factory=dict)
    money: float = float("nan")   # the money at stake, in the data set's currency


def round_sig(x: float, digits: int = 3) -> float:
    """``x`` rounded to ``digits`` significant digits."""
    if not np.isfinite(x) or x == 0:
        return float(x)
    return float(round(x, digits - 1 - int(np.floor(np.log10(abs(x))))))


def _rank(f: Finding):
    return (0 if np.isfinite(f.money) else 1, -f.money if np.isfinite(f.money) else 0.0, SEVERITY[f.code])


def findings(rep) -> list[Finding]:
    """The problems of a built report, the most money at stake first."""
    out = []
    q = getattr(rep, "quality", {}) or {}
    if set_aside_is_large(q):
        out.append(Finding("data_set_aside", "load", {k: q[k] for k in (
            "rows_in", "rows_set_aside", "amount_set_aside", "share_rows", "share_amount")},
            money=float(q["amount_set_aside"])))
    for _, s in rep.status.iterrows():
        if s["status"] in ("off_track", "at_risk", "missed"):
            gap = abs(float(s["target"]) - float(s["actual"])) if s["kpi"] == "gmv" else float("nan")
            out.append(Finding("behind_target", s["kpi"], {
                "actual": s["actual"], "target": s["target"], "completion": s["completion"],
                "p_hit": s["p_hit"], "status": s["status"], "direction": s["direction"]}, money=gap))
    why = (getattr(rep, "why", {}) or {}).get("gmv")
    if why is not None and why.before > 0 and why.change / why.before <= -GMV_DROP:
        worst = why.factors["contribution"].idxmin() if len(why.factors) else ""
        out.append(Finding("gmv_decline", "gmv", {"before": why.before, "now": why.now,
                                                  "factor": worst, "why": why}, money=-why.change))
    for kpi in [k for k in rep.kpis.index if k[:2] in ("m1", "m3")]:
        now, before = rep.kpis.loc[kpi, "actual"], rep.kpis.loc[kpi, "previous"]
        if np.isfinite(now) and np.isfinite(before) and before - now >= RETENTION_DROP:
            out.append(Finding("retention_drop", kpi, {"actual": now, "previous": before,
                                                       "points": 100 * (before - now)}))
    ch = rep.churn
    if np.isfinite(ch["growth"]) and ch["growth"] >= WARNING_GROWTH:
        out.append(Finding("warning_growing", "churn_warning", dict(ch), money=float(ch["value_at_risk"])))
    below = rep.campaigns.below_break_even.sort_values("roi", kind="stable")
    if len(below):
        names = [str(n) if isinstance(n, str) and n else str(i)
                 for n, i in zip(below.get("name", below["campaign_id"]), below["campaign_id"])]
        spend, revenue = float(below["spend"].sum()), float(below["revenue"].sum())
        out.append(Finding("below_break_even", "campaigns", {
            "campaigns": list(zip(names, below["roi"].astype(float))),
            "spend": spend, "revenue": revenue}, money=spend - revenue))
    return sorted(out, key=_rank)


def next_plan(ds, p: Period, targets, as_of: dt.date, config, kpis: pd.DataFrame,
                high_value: float | None = None) -> pd.DataFrame:
    """Next period's targets: those set (with their odds) and, for forecast KPIs without one,
    a proposal anchored on the history and the forecast (:func:`propose`).

    Columns kpi, period, value, direction, p_hit, source, change, and the anchors: floor
    (what is already in), last_year (the same period a year before, when in the data), limit
    (what is in plus what the history makes plausible for the days left) and basis (why the
    value is what it is: set, forecast_median, floor or limit)."""
    nxt = p.next()
    rows = []
    set_for_next = {t.kpi: t for t in targets if t.period == nxt.code}
    for kpi in dict.fromkeys([*set_for_next, *FORECAST_SERIES]):
        if not getattr(ds, "buyers_known", True) and catalogue.needs_buyers(kpi):
            continue  # no buyer id: nobody to count, so no target either
        anchors = _anchors(ds, kpi, nxt, as_of)
        if kpi in set_for_next:
            t = set_for_next[kpi]
            r = target_row(ds, t, as_of, config, high_value=high_value)
            rows.append({"kpi": kpi, "period": nxt.code, "value": t.value,
                         "direction": t.direction, "p_hit": r["p_hit"], "source": "target",
                         **anchors, "basis": "set"})
            continue
        if KPI_KIND[kpi] == "sum" and anchors["recent"] == 0 and not anchors["floor"]:
            continue  # none in a period's worth of days (a closed cohort's new users): a target would be invented
        values = _period_values(ds, kpi, nxt, as_of, config)
        if values is None:
            continue
        proposed, basis = propose(values, anchors["floor"], anchors["limit"])
        if whole_number(kpi):  # people counted: "at least 46.2 new users" is 47
            proposed = _whole(proposed, anchors["limit"])
        if not np.isfinite(proposed) or proposed <= 0:
            continue  # nothing to aim for: never "at least 0"
        rows.append({"kpi": kpi, "period": nxt.code, "value": proposed, "direction": "at_least",
                     "p_hit": float(np.mean(values >= proposed)), "source": "forecast",
                     **anchors, "basis": basis, "median": float(np.median(values))})
    out = pd.DataFrame(rows, columns=["kpi", "period", "value", "direction", "p_hit", "source",
                                      "floor", "last_year", "limit", "recent", "basis", "median"])
    # against this period's final value only: a running period's partial total would inflate it
    complete = p.end <= as_of
    out["change"] = [change(v, kpis.loc[k, "actual"]) if complete and k in kpis.index else np.nan
                     for k, v in zip(out["kpi"], out["value"])]
    return out


def whole_number(kpi: str) -> bool:
    """Whether a target of ``kpi`` is a whole number: people counted over a period or on its
    busiest day (not a daily average)."""
    return catalogue.unit(kpi) == "count" and KPI_KIND.get(kpi) in ("sum", "max")


def _whole(value: float, limit: float = float("nan")) -> float:
    """``value`` up to the next whole number, or down when that would pass the plausible limit.

    >>> _whole(46.2), _whole(46.2, limit=46.5), _whole(47.0)
    (47.0, 46.0, 47.0)
    """
    if not np.isfinite(value):
        return value
    up = float(np.ceil(round(value, 9)))
    return float(np.floor(value)) if np.isfinite(limit) and up > limit else up


def propose(values, floor: float = 0.0, limit: float = float("nan")) -> tuple[float, str]:
    """A target from per-path period values: their median to three significant digits
    (odds near one in two), raised to the floor the data make certain (rounded up) and
    held to the plausible limit (rounded down). Returns the value and its basis:
    ``forecast_median``, ``floor`` or ``limit``.

    >>> propose(np.array([90.0, 100.0, 110.0]), floor=101.234)
    (102.0, 'floor')
    >>> propose(np.array([90.0, 100.0, 110.0]), limit=95.0)
    (95.0, 'limit')
    """
    value, basis = round_sig(float(np.median(values))), "forecast_median"
    if np.isfinite(limit) and value > limit:
        value, basis = _round_sig_dir(limit, np.floor), "limit"
    if np.isfinite(floor) and floor > 0 and value < floor:
        value, basis = _round_sig_dir(floor, np.ceil), "floor"
    return value, basis


def _round_sig_dir(x: float, how, digits: int = 3) -> float:
    if not np.isfinite(x) or x == 0:
        return float(x)
    q = 10.0 ** (int(np.floor(np.log10(abs(x)))) - digits + 1)
    return float(how(round(x / q, 9)) * q)


def _anchors(ds, kpi: str, nxt: Period, as_of: dt.date) -> dict:
    """What the history says about ``kpi`` over ``nxt``: the floor already in (totals and
    peaks of a begun period), the same period a year before and the plausible limit
    (:data:`opslab.models.forecast_plausible.FACTOR` times the best run of as many days)."""
    kind = KPI_KIND[kpi]
    out = {"floor": 0.0, "last_year": float("nan"), "limit": float("nan"), "recent": float("nan")}
    if nxt.start <= as_of and kind in ("sum", "max"):
        got = period_actuals(ds, nxt.start, nxt.end, as_of)[kpi]
        out["floor"] = float(got) if np.isfinite(got) else 0.0
    ago = nxt.year_ago()
    if ago.start >= ds.start and ago.end <= as_of:
        out["last_year"] = float(period_actuals(ds, ago.start, ago.end, as_of)[kpi])
    y = kpi_series(ds, FORECAST_SERIES[kpi], "day")
    # net GMV has refund days below zero: as days of nothing, so the best runs stay an upper bound
    y = np.clip(y[y.index <= pd.Timestamp(as_of)].to_numpy(float), 0.0, None)
    rest = (nxt.end - max(as_of, nxt.start - dt.timedelta(days=1))).days  # days to forecast
    L = min(rest, len(y))
    out["recent"] = float(np.nansum(y[-nxt.days:])) if len(y) else 0.0  # as many days as the period, up to as_of
    if L > 0 and y.min() >= 0 and y.max() > 0:
        best = float(best_runs(y, L)[-1]) * rest / L
        if kind == "max":
            out["limit"] = max(out["floor"], FACTOR * float(y.max()))
        elif kind == "mean":  # a begun period's days so far are not kept here: the rest only
            out["limit"] = FACTOR * best / rest
        else:
            out["limit"] = out["floor"] + FACTOR * best
    return out


def _period_values(ds, kpi: str, nxt: Period, as_of: dt.date, config):
    """Per-path values of ``kpi`` over the whole period ``nxt`` (which starts after as_of)."""
    start = as_of + dt.timedelta(days=1)
    if nxt.start < start:  # the next period has begun: what is in plus the forecast of the rest
        values = _values_from_row(ds, kpi, nxt, as_of, config)
        return None if values is None or not np.isfinite(np.mean(values)) else values
    paths, days = forecast_paths(ds, kpi, "day", start, nxt.end, config)
    if paths is None:
        return None
    paths = paths[:, np.asarray(days >= pd.Timestamp(nxt.start))]
    kind = KPI_KIND[kpi]
    return paths.sum(1) if kind == "sum" else paths.mean(1) if kind == "mean" else paths.max(1)


def _values_from_row(ds, kpi, nxt, as_of, config):
    actual = period_actuals(ds, nxt.start, nxt.end, as_of)[kpi]
    total = nxt.days
    elapsed = int(round(time_progress(nxt.start, nxt.end, as_of) * total))
    return _paths_outlook(ds, Target(kpi, nxt.code, 0.0), KPI_KIND[kpi], actual, elapsed, total,
                          as_of, config)
