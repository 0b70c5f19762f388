"""The GMV driver tree and goal-seek.

::

    GMV = active users x paid rate x ARPPU
    active users = retained + new + recovered

measured on one complete base period (month or quarter) of the data by
:func:`driver_base`. The identity holds exactly for the base period: paying users =
active users x paid rate and GMV = paying users x ARPPU (a payer is always active, because
a paid order counts as activity). Slider changes are relative (``0.1`` = +10 %) and the tree
recomputes every node from them (:func:`tree_values`); :func:`goal_seek` solves for the
change of one driver that brings a node (GMV, paying users or active users) to a target
with the other changes held.

Example
-------
>>> base = DriverBase(start=None, end=None, grain="month", retained=600, new=300,
...                   recovered=100, paying_users=100, gmv=20_000.0)
>>> round(tree_values(base, {"paid_rate": 0.1})["gmv"], 6)
22000.0
>>> round(goal_seek(base, "new", 22_000.0), 6)
0.333333
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from opslab.dataset.dataset import Dataset
from opslab.core.periods import period_end, period_start
from opslab.core.periods import shift as shift_period

ADDITIVE = ("retained", "new", "recovered")
MULTIPLICATIVE = ("paid_rate", "arppu")
DRIVERS = ADDITIVE + MULTIPLICATIVE
NODES = ("active_users", "paying_users", "gmv")
#: The tree node that a forecast KPI corresponds to (KPIs without a node have no goal-seek).
KPI_NODE = {"gmv": "gmv", "paying_users": "paying_users", "dau": "active_users"}


@dataclass(frozen=True)
class DriverBase:
    """Driver values of the base period (``start``..``end``, both inclusive)."""

    start: dt.date | None
    end: dt.date | None
    grain: str
    retained: float
    new: float
    recovered: float
    paying_users: float
    gmv: float
    prev_active: float | None = None   # users active in the previous period (caps retained)
    lapsed: float | None = None        # registered earlier, inactive last period (caps recovered)

    @property
    def active_users(self) -> float:
        return float(self.retained + self.new + self.recovered)

    @property
    def paid_rate(self) -> float:
        return self.paying_users / self.active_users if self.active_users else 0.0

    @property
    def arppu(self) -> float:
        return self.gmv / self.paying_users if self.paying_users else 0.0

    def drivers(self) -> dict[str, float]:
        """The five driver values (counts, rate, money)."""
        return {d: float(getattr(self, d)) for d in DRIVERS}


def base_period(ds: Dataset, grain: str = "month") -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the data's last complete month or quarter (the last period when
    none is complete)."""
    if grain not in ("month", "quarter"):
        raise ValueError(f"grain must be month or quarter, not {grain!r}")
    last, first = pd.Timestamp(ds.end), pd.Timestamp(ds.start)
    start = period_start(last, grain)
    if period_end(start, grain) > last:
        prev = shift_period(start, grain, -1)
        start = prev if prev >= first else start
    return start, min(period_end(start, grain), last)


def driver_base(ds: Dataset, grain: str = "month", start=None) -> DriverBase:
    """Measure the drivers on a base period (default: :func:`base_period`)."""
    if start is None:
        s, e = base_period(ds, grain)
    else:
        s = period_start(start, grain)
        e = period_end(s, grain)
    prev = shift_period(s, grain, -1)

    def compute():
        return ds.engine.run("whatif_driver_base", start=s.date(), end=e.date(),
                             prev_start=prev.date())
    row = ds.memo(("whatif_driver_base", s.date(), e.date()), compute).iloc[0]
    return DriverBase(s.date(), e.date(), grain, float(row["retained"]), float(row["new"]),
                      float(row["recovered"]), float(row["paying_users"]), float(row["gmv"]),
                      float(row["prev_active"]), float(row["lapsed"]))


def driver_history(ds: Dataset, grain: str = "month", n: int = 12) -> pd.DataFrame:
    """The five drivers of each of the last ``n`` complete periods before and including the
    base period (:func:`base_period`), oldest first; index: period start."""
    start, _ = base_period(ds, grain)
    rows, first = {}, period_start(ds.start, grain)
    for k in range(n):
        s = shift_period(start, grain, -k)
        if s < first or (s == first and pd.Timestamp(ds.start) > s):
            break
        rows[s] = driver_base(ds, grain, s).drivers()
    return pd.DataFrame.from_dict(rows, orient="index").sort_index()


def lever_range(base: DriverBase, driver: str) -> tuple[float, float]:
    """The relative changes a driver can take: a rate cannot pass 100 %, retained users
    cannot outnumber last period's active users, recovered users cannot outnumber the lapsed
    ones; nothing falls below zero (-100 %). ``inf`` where there is no upper limit.

    >>> b = DriverBase(None, None, "month", 600, 300, 100, 500, 1e4)
    >>> lever_range(b, "paid_rate")
    (-1.0, 1.0)
    """
    value = base.drivers()[driver]
    cap = {"paid_rate": 1.0, "retained": base.prev_active, "recovered": base.lapsed}.get(driver)
    if cap is None or value <= 0:
        return -1.0, float("inf")
    return -1.0, float(cap / value - 1.0)


def _change(changes, name) -> float:
    if name not in DRIVERS:
        raise ValueError(f"unknown driver {name!r}")
    return float((changes or {}).get(name, 0.0))


def tree_values(base: DriverBase, changes: dict | None = None) -> dict[str, float]:
    """Every driver and node after relative ``changes`` (driver -> change, 0.1 = +10 %).

    Returns the five drivers plus ``active_users``, ``paying_users`` and ``gmv``; ``gmv`` is
    exactly ``active_users * paid_rate * arppu``.
    """
    for name in changes or {}:
        _change(changes, name)
    out = {d: base.drivers()[d] * (1.0 + _change(changes, d)) for d in DRIVERS}
    out["active_users"] = out["retained"] + out["new"] + out["recovered"]
    out["paying_users"] = out["active_users"] * out["paid_rate"]
    out["gmv"] = out["paying_users"] * out["arppu"]
    return out


def node_ratio(base: DriverBase, changes: dict | None, node: str = "gmv") -> float:
    """``node`` after ``changes`` divided by ``node`` of the base period (1.0 when it is 0)."""
    before = tree_values(base)[node]
    return tree_values(base, changes)[node] / before if before else 1.0


def goal_seek(base: DriverBase, driver: str, target: float, changes: dict | None = None,
              node: str = "gmv") -> float:
    """The relative change of ``driver`` that brings ``node`` to ``target``, others held.

    Multiplicative drivers (paid rate, ARPPU) in closed form (``target / node_without - 1``);
    additive parts (retained, new, recovered) by bracketed root finding (Brent, a safeguarded
    bisection) on the monotone map change -> node. Returns NaN when no change within the
    driver's possible range (:func:`lever_range`) reaches the target (e.g. the paid rate
    would pass 100 %, the driver is 0, or the other parts alone exceed the target).
    """
    x = _unbounded_seek(base, driver, target, changes, node)
    lo, hi = lever_range(base, driver)
    return x if lo <= x <= hi + 1e-12 else float("nan")


def _unbounded_seek(base, driver, target, changes, node) -> float:
    if node not in NODES:
        raise ValueError(f"unknown node {node!r}")
    held = {k: v for k, v in (changes or {}).items() if k != driver}
    _change(held, driver)
    if node == "active_users" and driver in MULTIPLICATIVE:
        return float("nan")  # rates do not move the active users
    if node == "paying_users" and driver == "arppu":
        return float("nan")
    if driver in MULTIPLICATIVE:
        without = tree_values(base, held)[node]
        if without <= 0 or target < 0:
            return float("nan")
        return float(target / without - 1.0)

    def gap(x):
        return tree_values(base, held | {driver: x})[node] - target

    if base.drivers()[driver] <= 0 or gap(-1.0) > 0:
        return float("nan")
    hi = 1.0
    while gap(hi) < 0:
        hi *= 2.0
        if hi > 1e9:
            return float("nan")
    if gap(-1.0) == 0:
        return -1.0
    return float(brentq(gap, -1.0, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500))


def tree_frame(base: DriverBase, changes: dict | None = None) -> pd.DataFrame:
    """One row per driver and node: ``item``, ``base``, ``changed``, ``change`` (relative)."""
    before, after = tree_values(base), tree_values(base, changes)
    items = ["gmv", "active_users", *ADDITIVE, "paid_rate", "paying_users", "arppu"]
    rows = [{"item": k, "base": before[k], "changed": after[k],
             "change": after[k] / before[k] - 1 if before[k] else np.nan} for k in items]
    return pd.DataFrame(rows)
