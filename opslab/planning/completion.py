"""完成度 tracking: where each target stands, where it is heading and the odds of reaching it.

For one target and an ``as_of`` day (default: the data's last day):

- **actual** (实际): the KPI over the period's days up to ``as_of`` (:func:`period_actuals`).
- **完成度** (completion): ``actual / target`` for at-least targets and ``target / actual``
  for at-most ones (CAC <= 55: 100 % or more means the target is met).
- **时间进度** (time progress): days of the period elapsed by ``as_of`` / days in the period.
- **run-rate**: for totals ``actual / elapsed x days``; for distinct paying users the actual
  scaled by how much the previous period grew from the same point to its end; for averages,
  peaks and rates the value so far.
- **forecast of the rest**: sample paths of the daily KPI for the remaining days
  (:func:`opslab.planning.targets.forecast_paths`), added to the actual (sum), averaged with it
  (average DAU) or maxed with it (peak DAU): the period's value per path, its mean and
  central interval.
- **P(hit)**: the share of those per-path period values that meet the target.
- **status**: ``on_track`` (P(hit) >= 60 %), ``at_risk`` (>= 30 %), ``off_track``; without a
  forecast the run-rate completion decides (>= 100 %, >= 95 %). Past periods are ``hit`` or
  ``missed`` on their final 完成度; periods not started without a forecast ``not_started``.

Example
-------
>>> from opslab.planning.targets import Target
>>> time_progress("2026-07-01", "2026-09-30", "2026-08-15")   # 46 of 92 days
0.5
>>> status_from(p_hit=0.45, completion=float("nan"))
'at_risk'
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from opslab.core.periods import as_of_day, period_start
from opslab.dataset.dataset import Dataset
from opslab.metrics.kpi_table import MetricConfig, daily, period_totals
from opslab.metrics.lead_kpis import cac_roi, campaign_cac_roi, campaigns_in, month_retention, peak_dau, retention_in  # noqa: F401 - re-exported
from opslab.planning.targets import (
    KPI_KIND,
    Target,
    forecast_paths,
    parse_period,
)

ON_TRACK_P, AT_RISK_P = 0.6, 0.3
AT_RISK_COMPLETION = 0.95
STATUSES = ("on_track", "at_risk", "off_track", "hit", "missed", "not_started", "no_data")
RETENTION = {k: (int(k[1]), k.split("_", 1)[1]) for k in KPI_KIND if k[:2] in ("m1", "m3")}


def time_progress(start, end, as_of) -> float:
    """Share of the days ``start``..``end`` elapsed by ``as_of`` (inclusive), in [0, 1]."""
    s, e, a = as_of_day(start), as_of_day(end), as_of_day(as_of)
    total = (e - s).days + 1
    return float(min(max((a - s).days + 1, 0), total) / total)


def completion(actual: float, target: float, direction: str = "at_least") -> float:
    """完成度: ``actual / target`` (at least) or ``target / actual`` (at most); NaN when the
    denominator is not positive.

    >>> completion(2100.0, 2000.0), completion(50.0, 55.0, "at_most")
    (1.05, 1.1)
    """
    num, den = (actual, target) if direction == "at_least" else (target, actual)
    if not (np.isfinite(num) and np.isfinite(den)) or den <= 0:
        return float("nan")
    return round(float(num / den), 12)


def p_hit(values, target: float, direction: str = "at_least") -> float:
    """P(hit), the one odds rule of OpsLab (the targets, the Forecast page, the report): the
    share of per-path period values that meet ``target`` (``values >= target``, or ``<=``
    for an at-most target); NaN without a target or without paths.

    >>> p_hit([1.0, 2.0, 3.0, 4.0], 3.0), p_hit([1.0, 2.0], 1.5, "at_most")
    (0.5, 0.5)
    """
    values = np.asarray(values, float).ravel()
    if not len(values) or target is None or not np.isfinite(target):
        return float("nan")
    met = values >= target if direction == "at_least" else values <= target
    return float(met.mean())


def status_from(p_hit: float, completion: float) -> str:
    """on_track / at_risk / off_track from P(hit) when known, else from the projected 完成度."""
    if p_hit is not None and np.isfinite(p_hit):
        return "on_track" if p_hit >= ON_TRACK_P else "at_risk" if p_hit >= AT_RISK_P else "off_track"
    if completion is None or not np.isfinite(completion):
        return "no_data"
    return ("on_track" if completion >= 1 else "at_risk" if completion >= AT_RISK_COMPLETION
            else "off_track")


# -- actuals ---------------------------------------------------------------------------------
# The retention, campaign and peak definitions live in opslab.metrics.lead_kpis (the Overview's cards
# use the same ones); the high-value threshold defaults to the rules in force for the data set.


def period_actuals(ds: Dataset, start, end, as_of=None,
                   config: MetricConfig = MetricConfig(), high_value: float | None = None) -> dict[str, float]:
    """Every KPI of :data:`opslab.planning.targets.TARGET_KPIS` over the days ``start``..``end`` seen
    by ``as_of`` (default ``ds.end``), plus ``days`` observed. KPIs with no basis are NaN.

    ``high_value``: the monthly spend that makes a payer high-value (the tier rules in force;
    default: the rules fitted to the data, :func:`opslab.metrics.lead_kpis.default_high_value`)."""
    as_of = as_of_day(as_of, ds.end)
    s, e = as_of_day(start), min(as_of_day(end), as_of)
    # once per data set and range: the report asks for the same range's figures up to 17 times
    # (KPI table, plan anchors, odds), each reading every retention cohort
    key = ("period_actuals", s, e, as_of_day(start), as_of, config, high_value)
    return dict(ds.memo(key, lambda: _period_actuals(ds, s, e, start, as_of, config, high_value)))


def _period_actuals(ds, s, e, start, as_of, config, high_value) -> dict[str, float]:
    out = {k: float("nan") for k in KPI_KIND} | {"days": 0}
    if e < s or e < ds.start:
        return out

    totals = period_totals(ds, _range_grain(s, e), s, e, as_of, config.conversion_days)
    row = totals.iloc[0] if len(totals) else pd.Series(0.0, index=["gmv", "paying_users", "new_users", "converted"])
    d = daily(ds)["dau"]
    d = d[(d.index >= pd.Timestamp(s)) & (d.index <= pd.Timestamp(e))]
    peak, _ = peak_dau(ds, s, e)  # the one peak-DAU definition (opslab.metrics.lead_kpis)
    out.update(gmv=float(row["gmv"]), paying_users=float(row["paying_users"]),
               new_users=float(row["new_users"]), days=int(len(d)),
               paid_conversion=float(row["converted"] / row["new_users"]) if row["new_users"] else float("nan"),
               dau_avg=float(d.mean()) if len(d) else float("nan"), dau_peak=peak)
    for kpi, (k, base) in RETENTION.items():
        out[kpi] = retention_in(ds, k, base, start, e, as_of, high_value=high_value)[0]
    if not getattr(ds, "has_amounts", True):  # no amounts in the data: money is absent, never 0
        out.update(gmv=float("nan"), **{kpi: float("nan") for kpi, (_, base) in RETENTION.items()
                                        if base == "high_value"})
    camp = campaigns_in(ds, s, e)
    # a segment's participants are not known: campaigns report them for everyone
    out["participants"] = float(camp["participants"].sum()) if len(camp) and getattr(ds, "whole", True) else float("nan")
    out["cac"], out["roi"] = campaign_cac_roi(ds, camp)
    return out


def _range_grain(start: dt.date, end: dt.date) -> str:
    """The finest calendar grain whose one period holds every day of ``start``..``end``, so
    :func:`opslab.metrics.kpi_table.period_totals` returns the range as a single row."""
    for grain in ("month", "quarter", "year"):
        if period_start(start, grain) == period_start(end, grain):
            return grain
    raise ValueError(f"a range of days within one calendar year, not {start}..{end}")


# -- status ----------------------------------------------------------------------------------
def _run_rate(ds, kind, target, actual, start, end, as_of, days_elapsed, days_total, high_value=None):
    if not np.isfinite(actual) or days_elapsed == 0:
        return float("nan")
    if kind == "sum":
        return actual / days_elapsed * days_total
    if kind == "distinct":  # how the previous period grew from the same day to its end
        prev = parse_period(target.period).prev()
        cut = prev.start + dt.timedelta(days=days_elapsed - 1)
        part = period_actuals(ds, prev.start, cut, as_of, high_value=high_value)["paying_users"]
        full = period_actuals(ds, prev.start, prev.end, as_of, high_value=high_value)["paying_users"]
        if prev.end <= as_of and part > 0:
            return actual * full / part
        return actual / days_elapsed * days_total
    return actual


def _paths_outlook(ds, target: Target, kind, actual, days_elapsed, days_total, as_of, config):
    """Per-path period values (or None) from the forecast of the days after ``as_of``."""
    start, end = target.bounds
    first = max(as_of + dt.timedelta(days=1), start)
    if first > end:
        return None
    paths, days = forecast_paths(ds, target.kpi, "day", as_of + dt.timedelta(days=1), end, config)
    if paths is None:
        return None
    paths = paths[:, np.asarray(days >= pd.Timestamp(start))]
    base = actual if days_elapsed and np.isfinite(actual) else 0.0
    if kind == "sum":
        return base + paths.sum(axis=1)
    if kind == "mean":
        return (base * days_elapsed + paths.sum(axis=1)) / days_total
    if kind == "max":
        return np.maximum(base, paths.max(axis=1))
    return None


def target_row(ds: Dataset, target: Target, as_of=None, config=None,
               interval: float = 0.8, high_value: float | None = None) -> dict:
    """The status of one target (a dict; :func:`target_status` stacks them)."""
    as_of = as_of_day(as_of, ds.end)
    start, end = target.bounds
    kind = KPI_KIND[target.kpi]
    days_total = (end - start).days + 1
    progress = time_progress(start, end, as_of)
    days_elapsed = int(round(progress * days_total))
    state = "past" if end <= as_of else "future" if start > as_of else "current"
    actual = (period_actuals(ds, start, end, as_of, high_value=high_value)[target.kpi]
              if state != "future" else float("nan"))
    row = dict(kpi=target.kpi, period=target.period, direction=target.direction,
               target=target.value, state=state, start=start, end=end, days_total=days_total,
               days_elapsed=days_elapsed, time_progress=progress, actual=actual,
               completion=completion(actual, target.value, target.direction),
               run_rate=float("nan"), forecast=float("nan"), lower=float("nan"),
               upper=float("nan"), p_hit=float("nan"), status="no_data")
    if state == "past":
        ok = np.isfinite(actual)
        # a closed period has a final value, not a forecast or odds
        row.update(run_rate=actual,
                   status=("hit" if target.met(actual) else "missed") if ok else "no_data")
        return row
    run = _run_rate(ds, kind, target, actual, start, end, as_of, days_elapsed, days_total, high_value)
    row["run_rate"] = run
    values = _paths_outlook(ds, target, kind, actual, days_elapsed, days_total, as_of, config)
    if values is not None:
        a = (1 - interval) / 2
        row.update(forecast=float(values.mean()), lower=float(np.quantile(values, a)),
                   upper=float(np.quantile(values, 1 - a)),
                   p_hit=p_hit(values, target.value, target.direction))
    projected = row["forecast"] if np.isfinite(row["forecast"]) else run
    row["status"] = status_from(row["p_hit"], completion(projected, target.value, target.direction))
    if state == "future" and values is None:
        row["status"] = "not_started"
    return row


def target_status(ds: Dataset, targets, as_of=None, config=None,
                  high_value: float | None = None) -> pd.DataFrame:
    """Where every target stands on ``as_of`` (default: the data's last day).

    One row per target: kpi, period, direction, target, state (past / current / future),
    start, end, days_total, days_elapsed, time_progress (时间进度), actual (to date),
    completion (完成度), run_rate, forecast with lower/upper (80 % interval; the period's
    value, actuals included), p_hit and status; a closed period has no forecast, interval or
    P(hit), only its final value and hit / missed. ``config`` is the
    :class:`~opslab.models.forecast.ForecastConfig` of the forecasts (default: backtested
    model choice, 1,000 paths). ``high_value``: the monthly spend that makes a payer
    high-value, from the tier rules in force (default: the rules fitted to the data).

    Example
    -------
    >>> days = pd.to_datetime(["2024-01-05", "2024-01-20"])
    >>> od = pd.DataFrame({"user_id": ["a", "b"], "order_time": days, "amount": [300.0, 700.0]})
    >>> ds = Dataset.from_tables(orders=od)
    >>> out = target_status(ds, [Target("gmv", "2024-01", 800)], as_of="2024-01-31")
    >>> print(out.loc[0, "actual"], out.loc[0, "completion"], out.loc[0, "status"])
    1000.0 1.25 hit
    """
    targets = list(targets)
    rows = [target_row(ds, t, as_of, config, high_value=high_value) for t in targets]
    cols = ["kpi", "period", "direction", "target", "state", "start", "end", "days_total",
            "days_elapsed", "time_progress", "actual", "completion", "run_rate", "forecast",
            "lower", "upper", "p_hit", "status"]
    return pd.DataFrame(rows, columns=cols)
