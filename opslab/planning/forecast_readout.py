"""Display-ready data for the Forecast & what-if screen, one function per section.

Each function returns numbers and codes (no text, no formatting): the view translates and
draws. The forecast section carries the sample paths the other sections use, with a
planned campaign's effect (:func:`opslab.models.campaign_planner.campaign_effect`) already
added, so the chart, the odds of a target and the planner all show one campaign effect.

Example
-------
>>> from opslab.dataset.load import load_sample
>>> from opslab.models.forecast import forecast
>>> ds = load_sample()
>>> fv = forecast_view(forecast(ds, "gmv", "week", horizon=4))
>>> fv.frame.columns.tolist(), len(fv.candidates) >= 3
(['mean', 'lower', 'upper', 'effect'], True)
>>> p = target_periods(fv, "week", ds.end)[0] if target_periods(fv, "week", ds.end) else None
>>> p is None or target_view(fv, "gmv", "week", p).target is None   # no target set: no odds
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslab.planning import driver_tree as dtree
from opslab.lifecycle import tiers as lc
from opslab.core import periods
from opslab.planning import whatif as wi
from opslab.dataset.dataset import Dataset
from opslab.models.forecast import ForecastResult
from opslab.core.problems import Problem
from opslab.core.periods import Period, parse_period
from opslab.core.problems import Problem
from opslab.planning.targets import Target

#: Problem codes worth showing next to the forecast (the rest are fitting details).
SHOWN = ("forecast.warn.short_series", "forecast.warn.no_backtest", "forecast.warn.constant",
         "forecast.note.raw_scale", "forecast.note.mean_kept")


@dataclass(frozen=True)
class ForecastView:
    """The forecast chart and its backtest table.

    ``frame``: by future period, ``mean``, ``lower``, ``upper`` (the central ``interval``
    band) and ``effect`` (a planned campaign's addition, included in the other three).
    ``candidates``: every candidate's mean sMAPE and MASE, with ``baseline`` and ``chosen``.
    ``paths``: the sample paths (campaign effect included) behind the frame.
    ``days`` / ``day_paths`` / ``day_history``: the one daily fit behind every grain (its
    forecast days, their sample paths with the campaign effect of each day, and the whole
    daily history): a calendar period's forecast and odds (:func:`target_view`) sum exactly
    its days, as the Targets screen and the report do, whatever grain the chart shows.
    """

    history: pd.Series
    frame: pd.DataFrame
    paths: np.ndarray
    model: str
    candidates: pd.DataFrame
    interval: float
    fit_seconds: float
    notes: tuple[Problem, ...]
    market: str | None
    days: pd.DatetimeIndex | None = None
    day_paths: np.ndarray | None = None
    day_history: pd.Series | None = None


def forecast_view(result: ForecastResult, effect: pd.Series | None = None,
                  alpha: float | None = None, h: int | None = None,
                  history_periods: int | None = None,
                  day_effect: pd.Series | None = None) -> ForecastView:
    """The forecast section: history tail, mean and band, all candidates' errors.

    ``h`` periods ahead (default the result's horizon: one fit serves every shorter horizon,
    so changing it only simulates). ``effect`` (per future period, e.g. a planned campaign)
    is added to every sample path; ``day_effect`` is the same effect per day, added to the
    daily paths behind the periods (without it, a period's effect is spread evenly over its
    forecast days). ``alpha`` defaults to ``1 - config.interval``; the history shown
    defaults to three horizons (at least 8 weeks or 60 days).
    """
    cfg = result.config
    alpha = 1 - cfg.interval if alpha is None else float(alpha)
    index = result.future_index(h)
    add = np.zeros(len(index)) if effect is None else \
        pd.Series(effect).reindex(index, fill_value=0.0).to_numpy(float)
    paths = result.sample_paths(len(index)) + add[None, :]
    lo, hi = np.quantile(paths, [alpha / 2, 1 - alpha / 2], axis=0)
    frame = pd.DataFrame({"mean": paths.mean(axis=0), "lower": lo, "upper": hi, "effect": add},
                         index=index)
    y = result.history
    n_hist = history_periods or max(3 * len(index), 8 if cfg.grain != "day" else 60)
    days, day_paths, day_history = _daily(result, index, add, day_effect)
    return ForecastView(y.iloc[-n_hist:], frame, paths, result.model_name,
                        result.backtest_summary.rename_axis("model").reset_index(), 1 - alpha,
                        result.fit_seconds, tuple(p for p in result.problems if p.code in SHOWN),
                        cfg.market, days, day_paths, day_history)


def _daily(result, index, add, day_effect):
    """The daily paths behind ``index`` (the one daily fit, campaign effect per day added),
    their days and the whole daily history; ``(None, None, None)`` for a result without a
    daily fit behind it."""
    if hasattr(result, "daily_paths"):  # a GrainForecastResult: the daily fit seen by a grain
        paths, days = result.daily_paths(len(index))
        history = result.daily.history
    elif result.config.grain == "day":
        paths, days, history = result.sample_paths(len(index)), index, result.history
    else:
        return None, None, None
    paths = np.array(paths, float)
    days = pd.DatetimeIndex(days)
    if day_effect is not None:
        paths += pd.Series(day_effect).reindex(days, fill_value=0.0).to_numpy(float)[None, :]
    elif add.any():  # a period's effect spread evenly over its forecast days
        grain = result.config.grain
        starts = days if grain == "day" else periods.period_starts(days, grain)
        per = pd.Series(add, index=index)
        counts = pd.Series(1, index=days).groupby(np.asarray(starts)).transform("sum").to_numpy()
        paths += (per.reindex(pd.DatetimeIndex(starts)).fillna(0.0).to_numpy(float) / counts)[None, :]
    return days, paths, history


#: The calendar target (:class:`opslab.planning.targets.Target`) each forecast series is read against;
#: the daily paying users and orders have no target of their own (a period's paying users
#: count each payer once, the daily series once per day).
TARGET_KPI = {"gmv": "gmv", "dau": "dau_avg", "new_users": "new_users"}


def target_periods(fv: ForecastView, grain: str, data_end) -> list[Period]:
    """The calendar quarters and months a target can be read against: not over by the data's
    last day and reached to their last day by the forecast."""
    last = periods.period_end(fv.frame.index[-1], grain).date()
    end = periods.as_of_day(data_end)
    out = []
    for g in ("quarter", "month"):
        p = periods.period_of(end, g)
        while p.end <= last:
            if p.end > end:
                out.append(p)
            p = p.next()
    return out


@dataclass(frozen=True)
class TargetView:
    """The forecast of one calendar period and, when the user set a target for it, the gap
    and P(hit). Nothing is invented: without a target ``target`` is None and the odds NaN."""

    outlook: wi.TargetOutlook
    target: Target | None
    period: Period
    start: dt.date
    end: dt.date
    agg: str


def target_view(fv: ForecastView, kpi: str, grain: str, period, target: Target | None = None,
                ratio: float = 1.0) -> TargetView:
    """The target section for the calendar ``period`` ("2026Q3"): the period's forecast
    (observed periods included) and, for a saved :class:`opslab.planning.targets.Target`, the gap and
    P(hit) (:func:`opslab.planning.completion.p_hit`, the one odds rule). A forecast period counts
    toward the calendar period its label (first day) falls in; with the daily fit behind the
    view (:attr:`ForecastView.day_paths`) the period holds exactly its own days."""
    p = parse_period(period)
    value = float("nan") if target is None else float(target.value)
    window = wi.Window(kpi, p.start, p.end, value)
    paths, index, history = _period_source(fv)
    out = wi.outlook_from_paths(paths, index, window, history=history, ratio=ratio,
                                interval=fv.interval)
    return TargetView(out, target, p, p.start, p.end, window.agg)


def _period_source(fv: ForecastView):
    """The paths, their labels and the history a calendar period is read from: the daily
    fit's days when the view has them (so the period holds exactly its days, as on the
    Targets screen and in the report), else the view's own periods."""
    if fv.day_paths is not None:
        return fv.day_paths, fv.days, fv.day_history
    return fv.paths, fv.frame.index, fv.history


@dataclass(frozen=True)
class DriverView:
    """The driver tree after the slider changes, the forecast they imply, and the levers
    that could close the gap to the target (:func:`opslab.planning.whatif.rank_levers`)."""

    base: dtree.DriverBase
    tree: pd.DataFrame
    ratio: float
    moved: wi.TargetOutlook
    node: str | None
    goal: float
    levers: pd.DataFrame


def driver_view(ds: Dataset, fv: ForecastView, tv: TargetView, kpi: str, changes: dict,
                base_grain: str = "month", n_history: int = 12) -> DriverView:
    """The driver section: tree (:func:`opslab.planning.driver_tree.tree_frame`), the forecast moved by
    the changed node's ratio, and the lever ranking for the target.

    The goal for the tree's node is its base-period value scaled by the ratio the forecast
    part of the target period needs (its observed periods stay as they were); no target, no
    goal and no lever ranking.
    KPIs without a tree node (new users, orders) move with the new users driver and get no
    lever ranking.
    """
    base = dtree.driver_base(ds, base_grain)
    node = dtree.KPI_NODE.get(kpi)
    ratio = dtree.node_ratio(base, changes, node) if node else 1 + changes.get("new", 0.0)
    out = tv.outlook
    paths, index, history = _period_source(fv)
    moved = wi.outlook_from_paths(paths, index, out.target, history=history,
                                  ratio=ratio, interval=fv.interval)
    goal = float("nan")
    levers = pd.DataFrame(columns=["lever", "change", "status", "max_change", "typical_move",
                                   "largest_move", "effort", "rank"])
    # the drivers move the forecast part only: the ratio that brings the period (its observed
    # days included) to the target
    scale = out.n_periods if out.target.agg == "mean" else 1
    future = out.forecast * scale - out.observed
    need = (out.target.value * scale - out.observed) / future if future > 0 else float("nan")
    if node is not None and np.isfinite(need):
        goal = dtree.tree_values(base)[node] * need
        history = ds.memo(("driver_history", base_grain, n_history),
                          lambda: dtree.driver_history(ds, base_grain, n_history))
        levers = wi.rank_levers(base, goal, node, changes, history)
    return DriverView(base, dtree.tree_frame(base, changes), ratio, moved, node, goal, levers)


@dataclass(frozen=True)
class LifecycleView:
    """Projected GMV with measured transitions and with one transition improved.

    ``baseline_gmv`` / ``improved_gmv`` (by month ahead, 1..months) are what the screen
    shows. Anchored on the KPI forecast (``anchored``), the baseline *is* the GMV forecast
    of those months (the same daily fit as the chart, summed per month) and the improvement
    applies the lifecycle model's relative change month by month, so the box and the
    forecast cannot show two next-quarter GMVs; ``baseline`` / ``improved`` keep the tier
    model's own projection (its ``total_gmv`` is shown as the model's own view).
    """

    inputs: wi.LifecycleInputs
    baseline: wi.Projection
    improved: wi.Projection
    rate_before: float
    rate_after: float
    gain: float  # improved - baseline total GMV shown (negative: a loss)
    baseline_gmv: pd.Series
    improved_gmv: pd.Series
    anchored: bool


def lifecycle_inputs(ds: Dataset, rules: lc.LifecycleRules) -> wi.LifecycleInputs | None:
    """:func:`opslab.planning.whatif.lifecycle_inputs` under the rules in force, or None when the data
    hold fewer than two month ends."""
    month_ends = [d for d in lc.snapshot_dates(ds, "month", n=None) if pd.Timestamp(d).is_month_end]
    return wi.lifecycle_inputs(ds, rules=rules) if len(month_ends) >= 2 else None


def lifecycle_view(inputs: wi.LifecycleInputs, months: int, source: str, dest: str,
                   points: float, forecast_gmv: pd.Series | None = None) -> LifecycleView:
    """The lifecycle section: ``points`` (0.1 = 10 pp) more of ``source`` -> ``dest``.

    ``forecast_gmv``: the KPI forecast's GMV per month from the month after the inputs'
    last month end (:func:`opslab.models.forecast.forecast` at the month grain); when given
    (and the tier model projects some GMV every month), the baseline is that forecast and
    the improvement its relative change under the tier model."""
    base = wi.lifecycle_projection(inputs, months)
    better = wi.lifecycle_projection(
        inputs, months, wi.improve_transition(inputs.rates, source, dest, points))
    before = float(inputs.rates.loc[source, dest])
    base_gmv, improved_gmv, anchored = base.gmv, better.gmv, False
    if (forecast_gmv is not None and len(forecast_gmv) >= months
            and (base.gmv.to_numpy() > 0).all()):
        fc = pd.Series(np.asarray(forecast_gmv, float)[:months], index=base.gmv.index, name="gmv")
        base_gmv, improved_gmv, anchored = fc, fc * (better.gmv / base.gmv), True
    return LifecycleView(inputs, base, better, before, min(1.0, max(0.0, before + points)),
                         float(improved_gmv.sum() - base_gmv.sum()), base_gmv, improved_gmv,
                         anchored)
