"""People: the users behind a number, and one user's story (用户细查).

:func:`users_behind` turns a number into its users — the same count as the number: an
activity KPI of a period (``active_users`` of a day, week or month, ``dau`` of a day,
``paying_users``, ``new_users``), a lifecycle tier, a behaviour retention cell, a bin of a
distribution or an interval, a funnel step or drop, a path node or leave node — and :func:`user_table` gives each of them
their key attributes, activity, value and tier. :func:`profile` is one user's story: attributes,
activity, a paged timeline of events and orders, and (on first use) tier history.
Every list is a query on the data set's engine (``people.sql``, ``explore.sql``).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any, Callable

import numpy as np
import pandas as pd

from opslab.behaviour import explore as ex
from opslab.behaviour import explore_bins as xb
from opslab.behaviour import explore_groups as xg
from opslab.behaviour.funnel_sql import _columns
from opslab.behaviour.funnels import FunnelResult
from opslab.behaviour.paths import PathResult
from opslab.core.periods import as_of_day, period_start, shift
from opslab.core.problems import OpsLabError
from opslab.dataset import features
from opslab.dataset.dataset import Dataset
from opslab.engine.base import sql_catalog
from opslab.lifecycle.tiers import TIERS, LifecycleRules, snapshot_dates, tier_history
from opslab.core.results import old_names

#: KPI name -> (query, grain override): the user counts behind the Overview's activity cards.
#: (``active_users`` of a month is the month's distinct active users; the cards' MAU is a
#: daily trailing-30-day count, so it has no one list of users per month.)
KPIS = {"active_users": ("people_active", None), "dau": ("people_active", "day"),
        "paying_users": ("people_paying", None), "new_users": ("people_new", None)}


def _uids(frame: pd.DataFrame) -> np.ndarray:
    return np.sort(frame["uid"].to_numpy(dtype=np.int64)) if len(frame) else np.zeros(0, dtype=np.int64)


def users_behind(ds: Dataset, of, day, rules: LifecycleRules | None = None, **where) -> np.ndarray:
    """The sorted ``uid`` of the users a number counts (see the module for what ``of`` may be).

    ``where`` says which cell: ``period`` (+ ``grain``) for a KPI; ``tier`` for ``"tier"``;
    ``cohort``, ``k``, ``group`` for a retention result; ``bin``, ``group`` for a distribution
    or interval; ``step`` (reached) or ``dropped_at`` for a funnel; ``level``, ``event`` (and
    ``left``) for a path node.
    """
    if isinstance(of, str) and of in KPIS:
        query, fixed = KPIS[of]
        grain = fixed or where.get("grain", "month")
        if "period" not in where:
            raise ValueError(f"users behind {of!r} need period=")
        period = period_start(pd.Timestamp(where["period"]), grain)
        stop = shift(period, grain, 1)
        return _uids(ds.engine.run(query, grain=grain, period=period.date(), stop=stop.date()))
    if isinstance(of, str) and of == "tier":
        tier = where.get("tier")
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {list(TIERS)}, not {tier!r}")
        tiers = xg.tiers_on(ds, rules, day)
        return np.sort(tiers.index[tiers.to_numpy() == tier].to_numpy(dtype=np.int64))
    if isinstance(of, ex.BehaviourRetentionResult):
        return _retention_users(ds, of, rules, **where)
    if isinstance(of, (ex.DistributionResult, ex.IntervalResult)):
        return _bin_users(ds, of, rules, **where)
    if isinstance(of, FunnelResult):
        return _funnel_users(of, **where)
    if isinstance(of, PathResult):
        if "level" not in where or "event" not in where:
            raise ValueError("a path node is level= and event= (left=True: who left right after it)")
        return of.node_users(int(where["level"]), str(where["event"]), bool(where.get("left", False)))
    raise TypeError(f"cannot list the users behind {type(of).__name__}: give a KPI name, 'tier' or a result")


def _group(result, where) -> tuple[str, bool]:
    group = where.get("group")
    if group is None and result.config.by is not None:
        raise ValueError("this result is split: say which group=")
    return (str(group) if group is not None else xg.ALL), group is None


def _retention_users(ds, res: ex.BehaviourRetentionResult, rules, cohort=None, k=None, group=None) -> np.ndarray:
    if cohort is None:
        raise ValueError("a retention cell needs cohort= (and k=, or k=None for the whole cohort)")
    cfg = res.config
    grp, _ = _group(res, {"group": group})
    groups = xg.group_labels(ds, cfg.by, cfg.segment, cfg.top_n, res.as_of, rules)
    sql = ex.retention_sql(ds, cfg, groups, "explore_retention_users")
    params = ex.cell_params(ds, cfg, res.grain, res.as_of, cohort, None if k is None or int(k) < 0 else int(k))
    params["group"] = grp
    return _uids(xg.run_grouped(ds, groups, sql, **params))


def _bin_users(ds, res, rules, bin=None, group=None) -> np.ndarray:
    if bin is None:
        raise ValueError("a distribution cell needs bin= (the row's bin index)")
    cfg = res.config
    grp, any_group = _group(res, {"group": group})
    row = res.bins[(res.bins["bin"] == int(bin))].iloc[0]
    lo_col, hi_col = ("lo", "hi") if "lo" in res.bins else ("lo_s", "hi_s")
    lo, hi = float(row[lo_col]), float(row[hi_col])
    groups = xg.group_labels(ds, cfg.by, cfg.segment, cfg.top_n, res.as_of, rules)
    start, stop = xg.period_range(ds, cfg.start, res.as_of)
    params = {"start": start, "stop": stop, "lo": lo, "hi": hi if np.isfinite(hi) else 1e300,
              "group": grp, "any_group": any_group}
    if isinstance(res, ex.IntervalResult):
        params.update(event_a=res.events[0], event_b=res.events[1])
        values = xb.per_user_values(ds, "explore_v_interval", params)
    else:
        values = xb.per_user_values(ds, f"explore_v_{res.measure}", params)
    g, join = xg.frame_sql(groups, "x.uid")
    sql = sql_catalog()["explore_value_users"].format(grp=g, join=join, values=values)
    return _uids(xg.run_grouped(ds, groups, sql, **params))


def _funnel_users(res: FunnelResult, step=None, dropped_at=None) -> np.ndarray:
    if (step is None) == (dropped_at is None):
        raise ValueError("a funnel cell is step= (users who reached it) or dropped_at= (who did not)")
    if dropped_at is not None:
        users = res.dropped_at(int(dropped_at))
    else:
        if not 1 <= int(step) <= res.n_steps:
            raise OpsLabError("funnels.bad_step", step=step, n=res.n_steps)
        users = res.users[res.users["max_step"] >= int(step)]
    return np.sort(users["uid"].to_numpy(dtype=np.int64))


def facts_on(ds: Dataset, day) -> pd.DataFrame:
    """Every user's activity and value up to ``day``, one row per user of the data set (index
    ``uid`` 0..n-1; memoised per data set and day).

    Signup, first and last active day, active days, paid orders and the paid amount are the
    per-user feature table's (:func:`opslab.dataset.features.user_features`, the one definition
    shared with the lifecycle tiers, RFM, churn and CLV). Only two columns are this module's:
    ``events`` (events up to ``day``) and ``gmv``: the user's GMV to date, the catalogue's GMV
    (paid amount less refund rows under the net rule) summed over the user's days, where the
    feature table's ``spend`` is the paid amount alone. A user who had not appeared by ``day``
    has no days (NaT) and zero counts.
    """
    day = as_of_day(day, ds.end)

    def compute() -> pd.DataFrame:
        f = features.user_features(ds, day)
        uid = f["uid"].to_numpy(dtype=np.int64)
        out = pd.DataFrame(index=pd.RangeIndex(ds.n_users, name="uid"))
        stamp = np.datetime64(day, "D")
        for col, since in (("signup_day", "days_since_signup"), ("first_active", "days_since_first_active"),
                           ("last_active", "days_since_last_active")):
            days = np.full(ds.n_users, np.datetime64("NaT"), dtype="datetime64[D]")
            back = f[since].to_numpy(dtype="float64")
            ok = ~np.isnan(back)
            days[uid[ok]] = stamp - back[ok].astype("int64")
            out[col] = days.astype("datetime64[ns]")
        for col, src in (("active_days", "active_days"), ("orders", "orders")):
            values = np.zeros(ds.n_users, dtype=np.int64)
            values[uid] = f[src].to_numpy(dtype=np.int64)
            out[col] = values
        extra = ds.engine.run("people_events_refunds", last=str(day))
        events = np.zeros(ds.n_users, dtype=np.int64)
        net_less = np.zeros(ds.n_users)
        if len(extra):
            at = extra["uid"].to_numpy(dtype=np.int64)
            events[at] = extra["events"].to_numpy(dtype=np.int64)
            net_less[at] = extra["net_less"].to_numpy(dtype="float64", na_value=0.0)
        spend = np.zeros(ds.n_users)
        spend[uid] = f["spend"].to_numpy(dtype="float64")
        out["events"] = events
        out["gmv"] = spend - net_less
        return out

    return ds.memo(("people_facts", str(day)), compute)


def user_table(ds: Dataset, uids, day, rules: LifecycleRules | None = None) -> pd.DataFrame:
    """One row per user of ``uids``: user_id, attributes, signup, first and last active day,
    active days, events, orders and GMV to date (:func:`facts_on`) up to ``day``, and
    lifecycle tier on ``day``."""
    uids = np.asarray(uids, dtype=np.int64)
    facts = facts_on(ds, day).iloc[uids]
    users = ds.users
    out = pd.DataFrame({"uid": uids})
    out["user_id"] = users["user_id"].to_numpy()[uids]
    for col in _columns(users):
        out[col] = users[col].to_numpy()[uids]
    for col in ("signup_day", "first_active", "last_active", "active_days", "events", "orders", "gmv"):
        out[col] = facts[col].to_numpy()
    if not ds.has_amounts:  # a log without amounts: GMV is absent, never 0
        out["gmv"] = np.nan
    out["tier"] = xg.tiers_on(ds, rules, day).reindex(out["uid"]).to_numpy()
    return out


class UserProfileResult:
    """One user's story. ``summary`` (one row: attributes, signup, first and last active day,
    active days, events, orders, GMV to date, tier); ``timeline(page, per_page, events)``; the
    event names they did (``event_counts``); ``tiers`` (their tier at each month end, built on
    first use); ``risk`` and ``clv`` when the caller gives how to get them."""

    #: the shared surface (``frame`` is the summary); each profile sets its own in ``__init__``
    problems: tuple = ()
    config: LifecycleRules | None = None
    as_of: dt.date | None = None

    def __init__(self, ds: Dataset, uid: int, user_id: str, day: dt.date, rules: LifecycleRules,
                 extras: dict[str, Callable[[], Any]] | None = None):
        self.ds, self.uid, self.user_id, self.as_of, self.rules = ds, int(uid), str(user_id), day, rules
        self.config, self.problems = rules, ()
        self._extras = extras or {}
        self.summary = user_table(ds, [self.uid], day, rules)
        self._stop = pd.Timestamp(day) + pd.Timedelta(days=1)

    @property
    def frame(self) -> pd.DataFrame:
        return self.summary

    def _run(self, name: str, **params) -> pd.DataFrame:
        def build():  # the log by user, once per data set (see people.sql)
            self.ds.engine.run("people_events")
            self.ds.engine.run("people_orders")
            return True
        self.ds.memo(("people_tables",), build)
        return self.ds.engine.run(name, uid=self.uid, stop=self._stop, **params)

    @cached_property
    def event_counts(self) -> pd.DataFrame:
        """The event names the user did, with how many times (most first)."""
        return self._run("people_timeline_size")

    def timeline(self, page: int = 0, per_page: int = 50, events=None, orders: bool = True) -> pd.DataFrame:
        """Events and orders, newest first: ``t``, ``kind`` (event/order), ``name``, ``amount``,
        ``status``; page ``page`` (0-based) of ``per_page``; ``events``: only these names."""
        if per_page < 1 or page < 0:
            raise ValueError("page >= 0 and per_page >= 1")
        names = [str(e) for e in events] if events is not None else []
        out = self._run("people_timeline", names=names or ["\x00"],
                                 all_names=events is None, no_orders=not orders, limit=int(per_page),
                                 offset=int(page) * int(per_page))
        out["t"] = pd.to_datetime(out["t"])
        return out

    def timeline_size(self, events=None, orders: bool = True) -> int:
        """How many rows :meth:`timeline` has over all its pages for the same ``events`` and
        ``orders`` (every order, refunded ones too, as the timeline shows them)."""
        counts = self.event_counts
        names = None if events is None else {str(e) for e in events}
        n = int(counts["n"].sum() if names is None else counts.loc[counts["name"].isin(names), "n"].sum())
        if orders:
            n += len(self._run("people_timeline", names=["\x00"], all_names=False, no_orders=False,
                               limit=2 ** 31 - 1, offset=0))
        return n

    def event_count(self, name: str) -> int:
        """How many times the user did ``name`` (0 when never)."""
        hit = self.event_counts.loc[self.event_counts["name"] == name, "n"]
        return int(hit.iloc[0]) if len(hit) else 0

    @cached_property
    def tiers(self) -> pd.DataFrame:
        """The user's tier at every month end up to ``as_of`` (and on ``as_of``)."""
        dates = snapshot_dates(self.ds, "month", None, self.as_of)
        hist = self.ds.memo(("people_tier_history", tuple(dates), self.rules),
                            lambda: tier_history(self.ds, self.rules, dates))
        codes = hist.loc[self.uid].to_numpy()
        names = [list(TIERS)[c] if c >= 0 else None for c in codes]
        return pd.DataFrame({"as_of": pd.to_datetime(list(hist.columns)), "tier": names}).dropna()

    def __getattr__(self, name):
        extras = self.__dict__.get("_extras", {})
        if name in extras:
            value = extras[name]()
            self.__dict__[name] = value
            return value
        raise AttributeError(name)


def find_user(ds: Dataset, user_id) -> int:
    """The uid of ``user_id`` (its exact id as text)."""
    ids = ds.users["user_id"].astype("str").to_numpy()
    hit = np.flatnonzero(ids == str(user_id))
    if not len(hit):
        raise OpsLabError("explore.unknown_user", user_id=str(user_id)[:40])
    return int(ds.users["uid"].to_numpy()[hit[0]])


__all__ = ["KPIS", "UserProfileResult", "find_user", "user_table", "users_behind"]

#: The result's old name keeps working for one release, with a DeprecationWarning.
__getattr__ = old_names(globals(), {"Profile": "UserProfileResult"})
