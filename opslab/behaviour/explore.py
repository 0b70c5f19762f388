"""Explore: behaviour retention, distributions (分布), the time between two events (间隔) and LTV
curves, each one query on the data set's engine (``explore.sql``), so they run on an in-memory
data set, a Parquet source and Spark alike.

Definitions (checked against brute-force pandas in ``opslab/behaviour/tests/test_explore.py``):

* **Behaviour retention**: a user's cohort is the period (day, week, month) of their first
  ``start_event`` (any event when None) up to ``as_of``; they are retained at period k
  ("on") when they did ``return_event`` (any event when None) in period k after the cohort's,
  at or after that first start event; "on_or_after": in period k or any later one.
* **Distribution**: one value per user active in ``[start, as_of]``: ``events``,
  ``active_days``, ``orders`` (paid) or ``spend`` (paid amount); binned in steps a person reads.
* **Interval**: from a user's first ``event_a`` in the range (log order) to their first
  ``event_b`` after it in the log; users without one have no value (``converted`` counts them).
* **LTV**: cumulative paid revenue per user ``n`` days after the anchor day (first paid day,
  or signup), by the anchor's cohort; at each ``n`` only users observed for ``n`` days count.

Splits (``by``): a user column (channel, city, any attribute), ``"tier"`` (lifecycle tier on
``as_of``); ``segment``: a list of user ids the analysis is limited to.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from opslab.behaviour.explore_bins import (INTERVAL_EDGES, bin_label, count_edges, duration_label, money_edges,
                                           per_user_values, shape_bins, value_bins, value_stats)
from opslab.behaviour.explore_groups import (ALL, NONE, OTHER, frame_sql, group_labels, named_query, period_range,
                                             run_grouped, split_columns, tiers_on)
from opslab.behaviour.funnel_sql import register_events
from opslab.core.periods import period_end, period_start, shift
from opslab.core.problems import OpsLabError
from opslab.core.results import old_names, result_surface
from opslab.dataset.dataset import Dataset
from opslab.engine.base import sql_catalog

GRAINS = ("day", "week", "month")
MODES = ("on", "on_or_after")
#: Per-user measures of a period: events, active days, paid orders and GMV (the paid amount less
#: refund rows, the catalogue's GMV per user; the feature table's ``spend`` is the paid amount).
MEASURES = ("events", "active_days", "orders", "gmv")
#: Deprecated measure names: "spend" was the GMV measure's old name.
MEASURE_ALIASES = {"spend": "gmv"}
LTV_DAYS = tuple(range(0, 31)) + (45, 60, 90, 120, 150, 180, 270, 365, 540, 730)


# --- settings and results -----------------------------------------------------------------------

@dataclass(frozen=True)
class ExploreConfig:
    """Settings shared by the explore analyses (each reads the ones it needs).

    ``start_event`` / ``return_event`` (retention; None = any event), ``mode`` ("on" or
    "on_or_after"), ``by`` (a user column or "tier"), ``segment`` (user ids to keep), ``top_n``
    (groups kept, the rest pooled as ``__other__``), ``start`` (first day; default the data's),
    ``max_k`` (periods shown), ``anchor`` ("first_purchase" or "signup"), ``cohort_grain`` and
    ``days`` (the LTV curve's day grid), ``grain`` (the interval trend's periods).
    """

    start_event: str | None = None
    return_event: str | None = None
    mode: str = "on"
    by: str | None = None
    segment: tuple | None = None
    top_n: int = 6
    start: Any = None
    max_k: int = 12
    anchor: str = "first_purchase"
    cohort_grain: str = "month"
    days: tuple = ()
    horizon_days: int = 180
    grain: str = "week"


@result_surface(frame="cells")
@dataclass(frozen=True)
class BehaviourRetentionResult:
    """``cells``: cohort, group, size, k, retained, rate, complete (long form); ``curve``: per
    group and k the pooled rate over cohorts that completed k; ``over_time``: the k = 1 cell of
    every cohort (D1/W1/M1 over time)."""

    cells: pd.DataFrame
    curve: pd.DataFrame
    over_time: pd.DataFrame
    grain: str
    config: ExploreConfig
    as_of: Any


@result_surface(frame="bins")
@dataclass(frozen=True)
class DistributionResult:
    """``bins``: group, bin, lo, hi (hi NaN: open), label, users, share; ``stats``: per group
    users, mean, min, max and p10 … p90. Money (``spend``) is in ``currency``."""

    measure: str
    bins: pd.DataFrame
    stats: pd.DataFrame
    currency: str
    config: ExploreConfig
    as_of: Any


@result_surface(frame="bins")
@dataclass(frozen=True)
class IntervalResult:
    """``bins``: group, bin, lo_s, hi_s, label, users, share (of users with an interval);
    ``stats``: per group users (did event a), converted (did b after), mean and p10 … p90 in
    seconds; ``trend``: by period of the first ``event_a``: users, converted, mean_s."""

    events: tuple
    bins: pd.DataFrame
    stats: pd.DataFrame
    trend: pd.DataFrame
    config: ExploreConfig
    as_of: Any


@result_surface(frame="cells")
@dataclass(frozen=True)
class LtvResult:
    """``cells``: cohort, group, n (days), users (observed n days), revenue, ltv, size;
    ``curve``: per group and n pooled over cohorts; ``payback``: per group CAC (where
    campaigns give it) and the first day on the grid where LTV reaches it."""

    cells: pd.DataFrame
    curve: pd.DataFrame
    payback: pd.DataFrame
    currency: str
    config: ExploreConfig
    as_of: Any


# --- behaviour retention -------------------------------------------------------------------------

def events_by_name(ds: Dataset) -> str:
    """The engine table of the log ordered by event name, then time (``xev_name``: event_name,
    event_time, uid), made once per data set: a start or return event reads only its own
    rows, and a period of them only the blocks of that period (``explore_events_by_name``)."""
    def build():
        ds.engine.sql(named_query("explore_events_by_name").format(table="xev_name"))
        return "xev_name"
    return ds.memo(("explore_events_by_name",), build)


def first_starts(ds: Dataset, start_event: str | None) -> str:
    """The name of the engine table holding each user's first ``start_event`` (any event when
    None): ``uid``, ``t0`` over the whole log, made once per data set and start event and kept
    with the engine's tables (``explore_first_start``); cohorts and cells filter it."""
    digest = hashlib.sha1(("\x00any" if start_event is None else "e:" + str(start_event)).encode()).hexdigest()
    table = f"xfirst_{digest[:16]}"

    def build():
        ds.engine.sql(named_query("explore_first_start").format(table=table, events=events_by_name(ds)),
                      start_any=start_event is None, start_event=str(start_event or ""))
        return table
    return ds.memo(("explore_first_start", start_event), build)


def retention_sql(ds: Dataset, cfg: ExploreConfig, groups, final: str) -> str:
    """The retention query ``final`` (``explore_retention`` or ``explore_retention_users``) with
    its first-start table and split filled in (builds the table on first use)."""
    grp, join = frame_sql(groups, "st.uid")
    first, events = first_starts(ds, cfg.start_event), events_by_name(ds)
    if final == "explore_retention_users":
        return named_query(final).format(first=first, events=events, grp=grp, join=join)
    base = named_query("explore_retention_base").format(grp=grp, join=join, first=first, events=events)
    return sql_catalog()[final].format(base=base)


def retention_params(ds: Dataset, cfg: ExploreConfig, grain: str, day) -> dict:
    start, stop = period_range(ds, cfg.start, day)
    return {"grain": grain, "start": start, "stop": stop, "last": str(day), "max_k": int(cfg.max_k),
            "return_any": cfg.return_event is None, "return_event": str(cfg.return_event or "")}


def cell_params(ds: Dataset, cfg: ExploreConfig, grain: str, day, cohort, k: int | None) -> dict:
    """The bounds of one retention cell (``explore_retention_users``): the cohort's first start
    events in [c_lo, c_hi), a return event in [r_lo, r_hi) at or after it (period k "on"; from
    period k to the end "on or after"); ``k`` None: the whole cohort."""
    start, stop = period_range(ds, cfg.start, day)
    label = period_start(pd.Timestamp(cohort), grain)
    out = {"c_lo": max(start, label), "c_hi": min(stop, shift(label, grain, 1)), "whole": k is None,
           "return_any": cfg.return_event is None, "return_event": str(cfg.return_event or "")}
    lo = shift(label, grain, int(k or 0))
    hi = stop if cfg.mode == "on_or_after" else min(stop, shift(label, grain, int(k or 0) + 1))
    out.update(r_lo=lo, r_hi=max(lo, hi))
    return out


def behaviour_retention(ds: Dataset, grain: str, cfg: ExploreConfig, day, rules=None) -> BehaviourRetentionResult:
    """Cohorts by the first start event, retained at k by a return event (see the module)."""
    if grain not in GRAINS:
        raise ValueError(f"retention grain must be one of {GRAINS}, not {grain!r}")
    if cfg.mode not in MODES:
        raise ValueError(f"retention mode must be one of {MODES}, not {cfg.mode!r}")
    groups = group_labels(ds, cfg.by, cfg.segment, cfg.top_n, day, rules)
    sql = retention_sql(ds, cfg, groups, "explore_retention")
    raw = run_grouped(ds, groups, sql, **retention_params(ds, cfg, grain, day))
    cells = pd.DataFrame({"cohort": pd.to_datetime(raw["cohort"]), "group": raw["grp"].astype("str"),
                          "size": raw["size"].astype("int64"), "k": raw["k"].astype("int64")})
    cells["retained"] = raw["retained_on" if cfg.mode == "on" else "retained_on_or_after"].astype("int64")
    cells["rate"] = cells["retained"] / cells["size"]
    ends = [period_end(shift(c, grain, int(k)), grain) for c, k in zip(cells["cohort"], cells["k"])]
    cells["complete"] = np.array(ends, dtype="datetime64[ns]") <= np.datetime64(pd.Timestamp(day))
    done = cells[cells["complete"]]
    curve = done.groupby(["group", "k"], as_index=False)[["size", "retained"]].sum()
    curve["rate"] = curve["retained"] / curve["size"]
    over_time = cells[cells["k"] == 1].reset_index(drop=True)
    return BehaviourRetentionResult(cells, curve, over_time, grain, cfg, day)


# --- distributions and intervals ------------------------------------------------------------------

def distribution(ds: Dataset, measure: str, cfg: ExploreConfig, day, rules=None) -> DistributionResult:
    """Per-user ``measure`` over users active in ``[start, day]``, in readable bins."""
    measure = MEASURE_ALIASES.get(measure, measure)
    if measure not in MEASURES:
        raise OpsLabError("api.bad_choice", name="measure", value=repr(measure), allowed=", ".join(MEASURES))
    if measure == "gmv" and not ds.has_amounts:  # money absent, never 0 (as the KPIs)
        raise OpsLabError("explore.no_amounts")
    groups = group_labels(ds, cfg.by, cfg.segment, cfg.top_n, day, rules)
    start, stop = period_range(ds, cfg.start, day)
    params = {"start": start, "stop": stop}
    values = per_user_values(ds, f"explore_v_{measure}", params)
    stats = value_stats(ds, groups, values, params)
    if stats.empty or stats["with_value"].sum() == 0:
        edges: list[float] = [0]
    else:
        lo, hi = float(stats["min"].min()), float(stats["max"].max())
        pos = float(stats["min_positive"].min()) if stats["min_positive"].notna().any() else None
        edges = money_edges(lo, hi, positive=pos) if measure == "gmv" else count_edges(lo, hi)
    raw = value_bins(ds, groups, values, params, edges)
    integer = measure != "gmv"
    bins = shape_bins(raw, edges, lambda lo, hi: bin_label(lo, hi, integer))
    return DistributionResult(measure, bins, stats, ds.currency, cfg, day)


def interval(ds: Dataset, events: tuple, cfg: ExploreConfig, day, rules=None) -> IntervalResult:
    """Time from each user's first ``events[0]`` to their next ``events[1]`` (see the module)."""
    if not isinstance(events, (tuple, list)) or len(events) != 2:
        raise ValueError("interval takes two event names: (event_a, event_b)")
    if cfg.grain not in GRAINS + ("quarter",):
        raise ValueError(f"trend grain must be day, week, month or quarter, not {cfg.grain!r}")
    register_events(ds)
    groups = group_labels(ds, cfg.by, cfg.segment, cfg.top_n, day, rules)
    start, stop = period_range(ds, cfg.start, day)
    params = {"start": start, "stop": stop, "event_a": str(events[0]), "event_b": str(events[1]),
              "grain": cfg.grain}
    values = per_user_values(ds, "explore_v_interval", params)
    stats = value_stats(ds, groups, values, params).rename(columns={"with_value": "converted"})
    raw = value_bins(ds, groups, values, params, INTERVAL_EDGES)
    bins = shape_bins(raw, INTERVAL_EDGES,
                       lambda lo, hi: f"≥{duration_label(lo)}" if hi is None else f"{duration_label(lo)}–{duration_label(hi)}",
                       "lo_s", "hi_s")
    grp, join = frame_sql(groups, "x.uid")
    trend = run_grouped(ds, groups, sql_catalog()["explore_value_trend"].format(grp=grp, join=join, values=values),
                        **params).rename(columns={"grp": "group"})
    trend["period"] = pd.to_datetime(trend["period"])
    trend["rate"] = trend["converted"] / trend["users"]
    return IntervalResult(tuple(str(e) for e in events), bins, stats, trend, cfg, day)


# --- LTV curves ---------------------------------------------------------------------------------

ANCHORS = ("first_purchase", "signup")


def ltv_days(cfg: ExploreConfig) -> tuple[int, ...]:
    days = cfg.days or tuple(d for d in LTV_DAYS if d <= cfg.horizon_days)
    days = tuple(sorted({int(d) for d in days}))
    if not days or days[0] < 0:
        raise ValueError("LTV days must be whole days >= 0")
    return days


def ltv_curve(ds: Dataset, cfg: ExploreConfig, day, rules=None, cac: pd.DataFrame | None = None) -> LtvResult:
    """Cumulative revenue per user ``n`` days after the anchor, by cohort and group; with
    ``cac`` (group, cac) the payback day per group."""
    if cfg.anchor not in ANCHORS:
        raise OpsLabError("api.bad_choice", name="anchor", value=repr(cfg.anchor), allowed=", ".join(ANCHORS))
    if not ds.has_amounts:
        raise OpsLabError("explore.no_amounts")
    if cfg.cohort_grain not in GRAINS + ("quarter",):
        raise OpsLabError("api.bad_choice", name="cohort_grain", value=repr(cfg.cohort_grain),
                          allowed="day, week, month, quarter")
    days = ltv_days(cfg)
    groups = group_labels(ds, cfg.by, cfg.segment, cfg.top_n, day, rules)
    grp, join = frame_sql(groups, "f.uid")
    start, _ = period_range(ds, cfg.start, day)
    params = {"grain": cfg.cohort_grain, "start": start.date(), "last": str(day), "max_n": int(days[-1]),
              "by_signup": cfg.anchor == "signup"}
    sql = sql_catalog()["explore_ltv"].format(grp=grp, join=join, ns=", ".join(f"({d})" for d in days))
    raw = run_grouped(ds, groups, sql, **params)
    sizes = run_grouped(ds, groups, sql_catalog()["explore_ltv_sizes"].format(grp=grp, join=join), **params)
    cells = raw.rename(columns={"grp": "group"})
    cells["cohort"] = pd.to_datetime(cells["cohort"])
    sizes = sizes.rename(columns={"grp": "group"}).assign(cohort=lambda f: pd.to_datetime(f["cohort"]))
    cells = cells.merge(sizes, on=["cohort", "group"], how="left")
    cells["ltv"] = cells["revenue"] / cells["users"]
    curve = cells.groupby(["group", "n"], as_index=False)[["users", "revenue"]].sum()
    curve["ltv"] = curve["revenue"] / curve["users"]
    return LtvResult(cells, curve, payback(curve, cac), ds.currency, cfg, day)


def payback(curve: pd.DataFrame, cac: pd.DataFrame | None) -> pd.DataFrame:
    """Per group: CAC and the first day ``n`` of the curve where LTV >= CAC (NaN: not yet).

    >>> c = pd.DataFrame({"group": ["a"] * 3, "n": [0, 7, 30], "ltv": [5.0, 12.0, 30.0]})
    >>> payback(c, pd.DataFrame({"group": ["a"], "cac": [10.0]}))["payback_day"].tolist()
    [7.0]
    """
    cols = ["group", "cac", "payback_day", "ltv_at_end"]
    if cac is None or not len(cac) or curve.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for g, c in cac.set_index("group")["cac"].items():
        mine = curve[curve["group"] == g].sort_values("n")
        if mine.empty or not np.isfinite(c):
            continue
        hit = mine[mine["ltv"] >= c]
        rows.append({"group": g, "cac": float(c), "payback_day": float(hit["n"].iloc[0]) if len(hit) else np.nan,
                     "ltv_at_end": float(mine["ltv"].iloc[-1])})
    return pd.DataFrame(rows, columns=cols)


__all__ = ["ExploreConfig", "BehaviourRetentionResult", "DistributionResult", "IntervalResult", "LtvResult",
           "behaviour_retention", "distribution", "interval", "ltv_curve", "payback", "split_columns",
           "group_labels", "run_grouped", "retention_sql", "retention_params", "cell_params", "first_starts",
           "events_by_name", "per_user_values", "count_edges", "money_edges", "tiers_on", "ALL", "OTHER", "NONE"]

#: The result's old name keeps working for one release, with a DeprecationWarning.
__getattr__ = old_names(globals(), {"BehaviourRetention": "BehaviourRetentionResult"})
