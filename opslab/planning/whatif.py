"""What-if: targets and the odds of hitting them, and a lifecycle projection.

A :class:`Window` is the days a forecast is read over (a calendar target's period, from
:class:`opslab.planning.targets.Target`, the one target class) and the value to reach there.
:func:`outlook_from_paths` sums (or, for level KPIs such as DAU, averages) the forecast sample
paths over the target period and reports the baseline forecast, the gap and
P(hit) = :func:`opslab.models.forecast.prob_at_least` over those paths. Days of the period
that are already in the data count with their actual values. The GMV driver tree and
goal-seek live in :mod:`opslab.planning.driver_tree`; :func:`rank_levers` ranks the levers that could
close a gap by how far each must move against its own history.

:func:`lifecycle_projection` pushes the current 8-tier sizes through the average of the recent
monthly transition-rate matrices (:mod:`opslab.lifecycle.tiers` month-end snapshots). Newly
registered users enter each month (the recent monthly average, spread like the recent
newcomers: the ``not_yet_registered`` row), so the tier sizes after ``m`` months sum to the
starting total plus ``m`` x new users per month. A tier-month is worth the tier's average
30-day spend per user, measured over the month after each recent snapshot.
:func:`improve_transition` raises one transition by some percentage points and takes the
same mass proportionally from the row's other destinations, so rows still sum to 1.

Example
-------
>>> paths = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]])
>>> idx = pd.date_range("2027-01-04", periods=2, freq="W-MON")
>>> out = outlook_from_paths(paths, idx, Window("gmv", "2027-01-04", "2027-01-17", 5.0))
>>> round(out.p_hit, 3), out.forecast
(0.667, 5.0)
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from opslab.planning import driver_tree as dtree
from opslab.lifecycle import tiers as lc
from opslab.dataset.dataset import Dataset
from opslab.metrics.kpi_series import agg_of
from opslab.planning.completion import p_hit


@dataclass(frozen=True)
class Window:
    """The days ``start``..``end`` (inclusive) a forecast series ``kpi`` is read over, and the
    ``value`` to reach there (NaN: no target, no odds). Not a target definition: targets are
    :class:`opslab.planning.targets.Target` (a KPI, a calendar period, a value, a direction). For level
    KPIs (DAU, paying users) ``value`` is the average per period; otherwise the total."""

    kpi: str = "gmv"
    start: dt.date | str | None = None
    end: dt.date | str | None = None
    value: float = 0.0

    @property
    def agg(self) -> str:
        return agg_of(self.kpi)


@dataclass(frozen=True)
class TargetOutlook:
    """Baseline forecast of a target period and the odds of reaching the target."""

    target: Window
    forecast: float        # mean of the path totals (or averages), actuals included
    lower: float
    upper: float
    gap: float             # target - forecast
    p_hit: float
    n_periods: int         # periods of the target period (observed + future)
    n_observed: int
    observed: float        # the observed periods' total (actuals inside the target period)
    totals: np.ndarray = field(repr=False)  # per path (actuals included)


def _period_mask(index, start, end) -> np.ndarray:
    idx = pd.DatetimeIndex(index)
    s = pd.Timestamp(start) if start is not None else idx.min()
    e = pd.Timestamp(end) if end is not None else idx.max()
    return np.asarray((idx >= s) & (idx <= e), bool)


def path_totals(paths: np.ndarray, future_index, target: Window, history: pd.Series | None = None,
                ratio: float = 1.0) -> tuple[np.ndarray, int, int, float]:
    """Per-path value of the target period: sum or mean over its periods, actuals included.

    ``ratio`` scales the future part (a driver-tree uplift). Returns (values, n, n_observed,
    observed total).
    """
    paths = np.atleast_2d(np.asarray(paths, float))
    fut = _period_mask(future_index, target.start, target.end)
    obs_sum, n_obs = 0.0, 0
    if history is not None and len(history):
        hmask = _period_mask(history.index, target.start, target.end)
        obs_sum, n_obs = float(history.to_numpy()[hmask].sum()), int(hmask.sum())
    n = n_obs + int(fut.sum())
    totals = obs_sum + ratio * paths[:, fut].sum(axis=1)
    if target.agg == "mean":
        totals = totals / max(n, 1)
    return totals, n, n_obs, obs_sum


def outlook_from_paths(paths, future_index, target: Window, history: pd.Series | None = None,
                       ratio: float = 1.0, interval: float = 0.8) -> TargetOutlook:
    """:class:`TargetOutlook` from given sample paths (shape ``(n_paths, h)``)."""
    totals, n, n_obs, obs = path_totals(paths, future_index, target, history, ratio)
    if n == 0:
        raise ValueError("the target period holds no forecast or observed period")
    a = (1 - interval) / 2
    mean = float(totals.mean())
    # the one P(hit) rule (opslab.planning.completion.p_hit); no target, no odds
    p = p_hit(totals, float(target.value))
    return TargetOutlook(target, mean, float(np.quantile(totals, a)),
                         float(np.quantile(totals, 1 - a)), float(target.value) - mean, p, n,
                         n_obs, obs, totals)


def rank_levers(base: dtree.DriverBase, target: float, node: str = "gmv",
                changes: dict | None = None, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Which single lever could bring ``node`` to ``target``, ranked by how far it must move
    against its own history.

    For every driver of :data:`opslab.planning.driver_tree.DRIVERS`: the relative change that alone
    (the other ``changes`` held) brings ``node`` of the base period to ``target``
    (:func:`opslab.planning.driver_tree.goal_seek`), whether that change lies in the driver's possible
    range (:func:`opslab.planning.driver_tree.lever_range`: a rate cannot pass 100 %), and how large it
    is against the driver's own period-to-period moves in ``history`` (one row per past
    period, a column per driver, e.g. :func:`opslab.planning.driver_tree.driver_history`):
    ``effort = |log(1 + change)| / sd(log period-to-period ratio)``, so 1 means "a typical
    period's move" and 3 "three times a typical move".

    Parameters
    ----------
    base : DriverBase
        The base period (:func:`opslab.planning.driver_tree.driver_base`).
    target : float
        The value ``node`` should reach, in the base period's terms.
    node : str
        ``"gmv"``, ``"paying_users"`` or ``"active_users"``.
    changes : dict, optional
        Driver changes already applied (held fixed).
    history : DataFrame, optional
        Past driver values; without it (or with fewer than 3 periods) ``effort`` is NaN and
        reachable levers rank by the size of the change.

    Returns
    -------
    pd.DataFrame
        One row per lever, easiest first: ``lever``, ``change`` (required relative change, NaN
        if none), ``status`` (``"ok"``; ``"out_of_range"``: not reachable with this lever
        alone; ``"no_effect"``: the lever does not move this node), ``max_change`` (upper end
        of its range, ``inf`` if none), ``typical_move`` (sd of its log period-to-period
        ratio), ``largest_move`` (largest relative move in the history), ``effort``,
        ``rank`` (1 = easiest; NaN for levers that cannot do it).

    Example
    -------
    >>> b = dtree.DriverBase(None, None, "month", 600, 300, 100, 500, 1e4, 900, 2000)
    >>> t = rank_levers(b, 3e4).set_index("lever")
    >>> t.loc["paid_rate", "status"], round(float(t.loc["arppu", "change"]), 6)
    ('out_of_range', 2.0)
    """
    changes = dict(changes or {})
    rows = []
    for lever in dtree.DRIVERS:
        _, hi = dtree.lever_range(base, lever)
        x = dtree.goal_seek(base, lever, target, changes, node)
        held = {k: v for k, v in changes.items() if k != lever}
        moves = (dtree.tree_values(base, held | {lever: 0.5})[node]
                 != dtree.tree_values(base, held)[node])
        status = "ok" if x == x else ("out_of_range" if moves else "no_effect")
        typical = largest = np.nan
        if history is not None and lever in history and len(history) >= 3:
            v = history[lever].to_numpy(float)
            ok = (v[1:] > 0) & (v[:-1] > 0)
            if ok.sum() >= 2:
                ratio = v[1:][ok] / v[:-1][ok]
                typical = float(np.std(np.log(ratio), ddof=1))
                largest = float(np.max(np.abs(ratio - 1)))
        effort = abs(np.log1p(x)) / typical if status == "ok" and typical > 0 else np.nan
        rows.append({"lever": lever, "change": x, "status": status, "max_change": hi,
                     "typical_move": typical, "largest_move": largest, "effort": effort})
    out = pd.DataFrame(rows)
    ok = out["status"] == "ok"
    key = out["effort"].where(out["effort"].notna(), 1e6 + out["change"].abs())
    out["rank"] = key.where(ok).rank(method="first")
    status_order = out["status"].map({"ok": 0, "out_of_range": 1, "no_effect": 2})
    order = np.lexsort((np.arange(len(out)), status_order, out["rank"].fillna(np.inf)))
    return out.iloc[order].reset_index(drop=True)


# -- lifecycle projection ---------------------------------------------------------------
@dataclass(frozen=True)
class LifecycleInputs:
    """Measured once per data set by :func:`lifecycle_inputs`."""

    start_sizes: pd.Series      # users per tier at the last snapshot (ds.end)
    rates: pd.DataFrame         # rows NOT_YET + TIERS, columns TIERS, rows sum to 1
    new_per_month: float
    value_per_user: pd.Series   # 30-day spend per user, index NOT_YET + TIERS
    as_of: dt.date
    n_pairs: int


def _spend_to(ds: Dataset, day, rules: lc.LifecycleRules) -> np.ndarray:
    """Every user's paid amount up to ``day`` (index uid; 0 for a user not yet seen): the
    feature table's ``spend``, the same memoised table the tier snapshot of that day read."""
    f = lc.shared_features(ds, day, rules)
    out = np.zeros(ds.n_users)
    out[f["uid"].to_numpy(dtype=np.int64)] = f["spend"].to_numpy(dtype="float64")
    return out


def lifecycle_inputs(ds: Dataset, n_months: int = 3,
                     rules: lc.LifecycleRules = lc.LifecycleRules()) -> LifecycleInputs:
    """Average of the last ``n_months`` monthly transition-rate matrices, monthly newcomers
    and per-tier 30-day spend, from month-end snapshots (plus ``ds.end`` when it is one)."""
    dates = [d for d in lc.snapshot_dates(ds, "month", n=None)
             if pd.Timestamp(d).is_month_end][-(n_months + 1):]
    end = ds.end
    hist_dates = sorted(set(dates) | {end})
    history = lc.tier_history(ds, rules, hist_dates)
    rows = [lc.NOT_YET, *lc.TIERS]
    k = len(lc.TIERS)
    rate_sum = np.zeros((k + 1, k))
    rate_n = np.zeros((k + 1, 1))
    spend_sum = pd.Series(0.0, index=rows)
    spend_n = pd.Series(0.0, index=rows)
    newcomers = []
    for a, b in zip(dates[:-1], dates[1:]):
        counts, rates = lc.transition_matrix(history[a].to_numpy(), history[b].to_numpy())
        ok = counts.sum(axis=1).to_numpy() > 0
        rate_sum[ok] += rates.to_numpy()[ok]
        rate_n[ok] += 1
        newcomers.append(float(counts.loc[lc.NOT_YET].sum()))
        per_user = _spend_to(ds, b, rules) - _spend_to(ds, a, rules)  # paid amount in (a, b]
        codes = history[a].to_numpy()
        registered_by_b = history[b].to_numpy() >= 0
        scale = 30.0 / (b - a).days
        for i, name in enumerate(rows):
            members = (codes == i - 1) & registered_by_b
            spend_sum[name] += per_user[members].sum() * scale
            spend_n[name] += members.sum()
    rates = np.where(rate_n > 0, rate_sum / np.maximum(rate_n, 1), 0.0)
    for i in range(1, k + 1):  # a tier never seen at a snapshot keeps its users
        if rate_n[i, 0] == 0:
            rates[i, i - 1] = 1.0
    if rate_n[0, 0] == 0:
        rates[0, lc.TIERS.index("new")] = 1.0
    start_codes = history[end].to_numpy()
    start_sizes = pd.Series(np.bincount(start_codes[start_codes >= 0], minlength=k).astype(float),
                            index=list(lc.TIERS))
    value = (spend_sum / spend_n.where(spend_n > 0)).fillna(0.0)
    return LifecycleInputs(start_sizes, pd.DataFrame(rates, index=rows, columns=list(lc.TIERS)),
                           float(np.mean(newcomers)) if newcomers else 0.0, value, end,
                           max(len(dates) - 1, 0))


def improve_transition(rates: pd.DataFrame, source: str, dest: str, points: float) -> pd.DataFrame:
    """Raise ``rates[source, dest]`` by ``points`` (0.1 = 10 percentage points, capped to
    [0, 1]) and rescale the other destinations of that row proportionally (rows sum to 1)."""
    out = rates.copy()
    row = out.loc[source].to_numpy(float)
    j = list(out.columns).index(dest)
    new = float(np.clip(row[j] + points, 0.0, 1.0))
    others = row.sum() - row[j]
    if others > 0:
        row = np.where(np.arange(len(row)) == j, new, row * (row.sum() - new) / others)
    elif new < row[j]:  # the row was all `dest`: give the freed mass back to staying put
        row[j] = new
        stay = list(out.columns).index(source) if source in out.columns else j
        row[stay] += 1.0 - row.sum()
    out.loc[source] = row
    return out


@dataclass(frozen=True)
class Projection:
    """Tier sizes at each month end (row 0 = now) and projected GMV per month."""

    sizes: pd.DataFrame
    gmv: pd.Series
    new_per_month: float

    @property
    def total_gmv(self) -> float:
        return float(self.gmv.sum())


def lifecycle_projection(inputs: LifecycleInputs, months: int, rates: pd.DataFrame | None = None,
                         include_new: bool = True) -> Projection:
    """Project tier sizes and GMV for ``months`` months with ``rates`` (default the measured).

    Month m's GMV = sizes at the start of month m x 30-day value per user, plus the month's
    newcomers x the newcomers' value; sizes(m) = sizes(m-1) @ rates + newcomers x rates[NOT_YET].
    """
    r = inputs.rates if rates is None else rates
    tiers = list(lc.TIERS)
    P = r.loc[tiers, tiers].to_numpy(float)
    entry = r.loc[lc.NOT_YET, tiers].to_numpy(float)
    v = inputs.value_per_user.reindex(tiers).to_numpy(float)
    v_new = float(inputs.value_per_user.get(lc.NOT_YET, 0.0))
    new = inputs.new_per_month if include_new else 0.0
    s = inputs.start_sizes.reindex(tiers).to_numpy(float)
    sizes, gmv = [s], []
    for _ in range(int(months)):
        gmv.append(float(s @ v + new * v_new))
        s = s @ P + new * entry
        sizes.append(s)
    months_idx = pd.RangeIndex(0, int(months) + 1, name="month")
    return Projection(pd.DataFrame(sizes, index=months_idx, columns=tiers),
                      pd.Series(gmv, index=pd.RangeIndex(1, int(months) + 1, name="month"),
                                name="gmv"), new)


def __getattr__(name: str):
    """``whatif.Target``: the old name of :class:`Window` (deprecated; targets are
    :class:`opslab.planning.targets.Target`)."""
    if name == "Target":
        warnings.warn("opslab.planning.whatif.Target is deprecated: use opslab.planning.whatif.Window (a forecast "
                      "window) or opslab.planning.targets.Target (a calendar target)", DeprecationWarning,
                      stacklevel=2)
        return Window
    raise AttributeError(name)
