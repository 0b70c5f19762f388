"""Funnels: how many users go through 2-10 steps, where they drop, how long they take.

Definitions (the same as PostHog's and Amplitude's, made exact so a brute-force test can check
them; ``opslab/behaviour/tests/test_funnels.py`` does):

* A user's events are taken in log order (time, then file order) between ``start`` and ``end``.
* **ordered**: step k is reached when events e1, ..., ek match steps 1..k in that order (other
  events may come between) and ek happens at most ``window_days`` after e1.
* **strict**: the same, but e(j+1) must be the user's very next event after ej.
* **any order**: k distinct steps happen within ``window_days`` of the first of them (step
  names must then differ).
* **Exclusions** (ordered mode): an ``Exclusion(event, after=a, before=b)`` removes the user
  from the funnel when the furthest they got needed an excluded event between step a and b;
  a clean later attempt still counts (per-attempt exclusion, as PostHog does).
* **Time to convert** to step k: at the user's first completion of step k, the time since the
  latest step-1 event that leads there.
* **Breakdown attribution** for an event property: ``first_touch`` (the value on the user's
  first step-1 event), ``last_touch`` (on the event of the furthest step reached), ``per_step``
  (at each step, the value on that step's event: a user may sit in different groups per step).
  User attributes (channel, city, ...) and the lifecycle ``tier`` need no attribution.

The work is one query on the data set's engine, DuckDB or Spark (``opslab/behaviour/funnels.sql``,
built by :mod:`opslab.behaviour.funnel_sql`); this module shapes the per-user answer into step tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from opslab.dataset.dataset import Dataset
from opslab.behaviour.funnel_sql import (_columns, event_names, event_properties, first_values, funnel_frame,
                               property_values, register_events, user_dimensions)
from opslab.core.problems import OpsLabError
from opslab.lifecycle.tiers import segment
from opslab.core.periods import period_end, period_start
from opslab.core.results import result_surface

ORDERS = ("ordered", "strict", "any")
ATTRIBUTIONS = ("first_touch", "last_touch", "per_step")
OTHER, NONE = "__other__", "__none__"
MIN_STEPS, MAX_STEPS = 2, 10
_US = 1_000_000


@dataclass(frozen=True)
class Step:
    """One funnel step: an event name and optional property filters ``{column: values}``.

    >>> Step("view", {"channel": ["抖音"]}).label()
    'view'
    """

    event: str
    where: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def label(self) -> str:
        return self.event

    def __hash__(self):
        return hash((self.event, tuple(sorted((k, tuple(v)) for k, v in self.where.items()))))


@dataclass(frozen=True)
class Exclusion:
    """Users doing ``event`` between step ``after`` and step ``before`` (1-based) are removed."""

    event: str
    after: int
    before: int


@result_surface(frame="steps")
@dataclass(frozen=True)
class FunnelResult:
    """A computed funnel.

    Attributes
    ----------
    steps : one row per step: ``step`` (1-based), ``event``, ``users``, ``conv_prev``,
        ``conv_first``, ``dropped`` (users of the previous step who did not reach this one),
        ``median_s`` (median seconds from step 1, first completion).
    users : one row per user who did step 1: ``uid``, ``user_id``, ``max_step``, ``entry``
        (first step-1 time), ``d1..dn`` (seconds from step 1 to step k, NaN when not reached),
        ``group``/``group_k`` when split.
    by_group : the step table per group (``group``, ``step``, ``users``, ``conv_prev``,
        ``conv_first``), empty without ``by``.
    excluded : users removed by exclusions.
    """

    steps: pd.DataFrame
    users: pd.DataFrame
    by_group: pd.DataFrame
    excluded: int
    window_days: float
    order: str
    n_steps: int

    def dropped_at(self, step: int) -> pd.DataFrame:
        """Users who reached step ``step - 1`` but not ``step`` (2 <= step <= n)."""
        if not 2 <= step <= self.n_steps:
            raise OpsLabError("funnels.bad_step", step=step, n=self.n_steps)
        return self.users[self.users["max_step"] == step - 1].reset_index(drop=True)

    def users_by_group(self) -> pd.DataFrame:
        """Users reaching each step per group, one row per group (in :attr:`by_group`'s order,
        the biggest first, "other" last) and one column per step (1..n); empty without ``by``."""
        if self.by_group.empty:
            return pd.DataFrame(columns=range(1, self.n_steps + 1), dtype="int64")
        order = list(dict.fromkeys(self.by_group["group"]))
        wide = self.by_group.pivot(index="group", columns="step", values="users").reindex(order)
        wide.columns.name = None
        return wide.astype("int64")

    def time_distribution(self, step: int | None = None, bins: Sequence[float] | None = None) -> pd.DataFrame:
        """Users by time to convert to ``step`` (default: the last), in hour-based bins."""
        step = step or self.n_steps
        d = self.users[f"d{step}"].dropna().to_numpy() / 3600.0
        edges = np.asarray(bins if bins is not None else
                           [0, 1 / 60, 0.25, 1, 6, 24, 72, 168, max(self.window_days * 24, 169)], dtype=float)
        counts, _ = np.histogram(np.clip(d, edges[0], edges[-1]), edges)
        return pd.DataFrame({"from_h": edges[:-1], "to_h": edges[1:], "users": counts,
                             "share": counts / max(len(d), 1)})


def _as_steps(steps) -> list[Step]:
    out = [s if isinstance(s, Step) else Step(str(s)) for s in steps]
    if not MIN_STEPS <= len(out) <= MAX_STEPS:
        raise OpsLabError("funnels.step_count", n=len(out), min=MIN_STEPS, max=MAX_STEPS)
    return out


def _max_step(frame: pd.DataFrame, n: int) -> np.ndarray:
    reached = np.column_stack([frame[f"p{k}"].notna().to_numpy() for k in range(1, n + 1)])
    return reached.sum(axis=1).astype(np.int64)


def _step_table(max_step: np.ndarray, n: int) -> pd.DataFrame:
    users = np.array([(max_step >= k).sum() for k in range(1, n + 1)], dtype=np.int64)
    prev = np.concatenate([[users[0]], users[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame({
            "step": np.arange(1, n + 1), "users": users,
            "conv_prev": np.where(prev > 0, users / np.maximum(prev, 1), np.nan),
            "conv_first": np.where(users[0] > 0, users / max(users[0], 1), np.nan),
            "dropped": prev - users,
        })


def funnel(ds: Dataset, steps, window_days: float = 7, by: str | None = None, *, order: str = "ordered",
           exclusions: Sequence[Exclusion] = (), attribution: str = "first_touch", start=None, end=None,
           top_n: int = 6) -> FunnelResult:
    """Users through ``steps`` within ``window_days`` of their first step.

    Parameters
    ----------
    ds : the data set.
    steps : 2-10 event names or :class:`Step` objects (with property filters).
    window_days : conversion window, measured from the step-1 event (fractions allowed).
    by : optional split: a user column (``channel``, ``city``, any attribute), ``"tier"``
        (lifecycle tier at the data's end) or an event property (then ``attribution`` applies).
    order : ``"ordered"``, ``"strict"`` or ``"any"``.
    exclusions : :class:`Exclusion` rules (ordered mode only).
    attribution : ``"first_touch"``, ``"last_touch"`` or ``"per_step"`` for event properties.
    start, end : first and last day of events considered (inclusive; default: all data).
    top_n : groups kept by step-1 users; the rest are pooled as ``"__other__"``.

    Returns
    -------
    FunnelResult

    Examples
    --------
    >>> ev = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b"],
    ...     "event_time": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-03 00:00",
    ...                                   "2024-01-01 00:00", "2024-01-09 00:00"]),
    ...     "event_name": ["visit", "cart", "pay", "visit", "cart"]})
    >>> res = funnel(Dataset.from_tables(events=ev), ["visit", "cart", "pay"], window_days=7)
    >>> res.steps[["step", "users"]].values.tolist()
    [[1, 2], [2, 1], [3, 1]]
    >>> res.steps["median_s"].tolist()
    [0.0, 300.0, 136800.0]
    """
    steps = _as_steps(steps)
    n = len(steps)
    if order not in ORDERS:
        raise OpsLabError("funnels.bad_order", order=order)
    if attribution not in ATTRIBUTIONS:
        raise OpsLabError("funnels.bad_attribution", attribution=attribution)
    if not window_days or window_days <= 0:
        raise OpsLabError("funnels.bad_window", days=window_days)
    exclusions = tuple(exclusions)
    names = {s.event for s in steps}
    if order == "any" and len(names) < n:
        raise OpsLabError("funnels.any_order_distinct")
    for ex in exclusions:
        if order != "ordered":
            raise OpsLabError("funnels.exclusions_ordered_only")
        if not 1 <= ex.after < ex.before <= n or ex.event in names:
            raise OpsLabError("funnels.bad_exclusion", event=ex.event, after=ex.after, before=ex.before)
    register_events(ds)
    start = pd.Timestamp(start if start is not None else ds.start).normalize()
    stop = pd.Timestamp(end if end is not None else ds.end).normalize() + pd.Timedelta(days=1)
    window_us = round(window_days * 86400 * _US)
    props = event_properties(ds)
    prop = by if by is not None and by in props and by not in user_dimensions(ds) else None
    if by is not None and prop is None and by not in user_dimensions(ds):
        raise OpsLabError("funnels.unknown_property", column=by)
    key = ("funnel", tuple(steps), float(window_days), by, order, exclusions, attribution, start, stop, top_n)
    return ds.memo(key, lambda: _compute(ds, steps, window_days, window_us, by, prop, order, exclusions,
                                         attribution, start, stop, top_n))


def _compute(ds, steps, window_days, window_us, by, prop, order, exclusions, attribution, start, stop, top_n):
    n = len(steps)
    frame = funnel_frame(ds, steps, window_us, order, exclusions, prop, start, stop)
    max_step = _max_step(frame, n)
    excluded = np.zeros(len(frame), dtype=bool)
    if exclusions:
        free = funnel_frame(ds, steps, window_us, order, (), None, start, stop)
        k_any = pd.Series(_max_step(free, n), index=free["uid"].to_numpy())
        excluded = k_any.reindex(frame["uid"].to_numpy()).to_numpy() > max_step
    frame = frame.loc[~excluded].reset_index(drop=True)
    max_step = max_step[~excluded]

    users = pd.DataFrame({"uid": frame["uid"].to_numpy(dtype=np.int64)})
    users["user_id"] = ds.users["user_id"].to_numpy()[users["uid"].to_numpy()]
    users["max_step"] = max_step
    users["entry"] = pd.to_datetime(frame["entry"].to_numpy(dtype=np.int64), unit="us")
    for k in range(1, n + 1):
        users[f"d{k}"] = frame[f"d{k}"].to_numpy(dtype="float64") / _US
    users = users.sort_values("uid", ignore_index=True) if len(users) else users

    table = _step_table(users["max_step"].to_numpy(), n)
    table.insert(1, "event", [s.label() for s in steps])
    table["median_s"] = [float(np.nanmedian(users[f"d{k}"])) if users[f"d{k}"].notna().any() else np.nan
                         for k in range(1, n + 1)]
    by_group = _split(ds, users, frame, by, prop, attribution, n, top_n)
    if "group" in by_group.attrs:
        users = users.join(by_group.attrs.pop("group"))
    return FunnelResult(table, users, by_group, int(excluded.sum()), float(window_days), order, n)


def _split(ds, users, frame, by, prop, attribution, n, top_n) -> pd.DataFrame:
    if by is None or users.empty:
        return pd.DataFrame(columns=["group", "step", "users", "conv_prev", "conv_first"])
    order_idx = frame.sort_values("uid").index if prop else None
    if prop is None:
        if by == "tier":
            seg = segment(ds).set_index("uid")["tier"]
            raw = seg.reindex(users["uid"]).to_numpy()
        else:
            raw = ds.users[by].to_numpy()[users["uid"].to_numpy()]
        per_step = {k: pd.Series(raw, dtype="object") for k in range(1, n + 1)}
    else:
        f = frame.loc[order_idx].reset_index(drop=True)
        if attribution == "first_touch":
            per_step = {k: f["b1"] for k in range(1, n + 1)}
        elif attribution == "last_touch":
            last = users["max_step"].to_numpy()
            vals = np.choose(last - 1, [f[f"b{k}"].to_numpy(dtype=object) for k in range(1, n + 1)])
            per_step = {k: pd.Series(vals, dtype="object") for k in range(1, n + 1)}
        else:
            per_step = {k: f[f"b{k}"] for k in range(1, n + 1)}
    labels = {k: pd.Series(v).astype("object").fillna(NONE).astype("str").reset_index(drop=True)
              for k, v in per_step.items()}
    keep = set(labels[1].value_counts().index[:top_n])
    labels = {k: v.where(v.isin(keep), OTHER) for k, v in labels.items()}
    rows = []
    ms = users["max_step"].to_numpy()
    groups = sorted(set().union(*[set(v) for v in labels.values()]),
                    key=lambda g: (g == OTHER, -(labels[1] == g).sum(), g))
    for g in groups:
        counts = np.array([((ms >= k) & (labels[k].to_numpy() == g)).sum() for k in range(1, n + 1)])
        prev = np.concatenate([[counts[0]], counts[:-1]])
        for k in range(n):
            rows.append({"group": g, "step": k + 1, "users": int(counts[k]),
                         "conv_prev": counts[k] / prev[k] if prev[k] else np.nan,
                         "conv_first": counts[k] / counts[0] if counts[0] else np.nan})
    out = pd.DataFrame(rows)
    out.attrs["group"] = pd.DataFrame({f"group_{k}": labels[k].to_numpy() for k in range(1, n + 1)})
    return out


def trend(result: FunnelResult, grain: str = "week", data_end=None) -> pd.DataFrame:
    """Conversion by the period of the users' first step-1 event: ``period``, ``entered``,
    ``converted`` (reached the last step), ``rate``, ``complete`` (everyone's window closed).

    >>> ev = pd.DataFrame({"user_id": ["a", "a", "b"], "event_time": pd.to_datetime(
    ...     ["2024-01-01", "2024-01-02", "2024-01-09"]), "event_name": ["visit", "pay", "visit"]})
    >>> trend(funnel(Dataset.from_tables(events=ev), ["visit", "pay"], 3), "week")["rate"].tolist()
    [1.0, 0.0]
    """
    u = result.users
    if u.empty:
        return pd.DataFrame(columns=["period", "entered", "converted", "rate", "complete"])
    period = u["entry"].map(lambda t: period_start(t, grain))
    out = pd.DataFrame({"period": period, "done": u["max_step"] == result.n_steps}).groupby("period").agg(
        entered=("done", "size"), converted=("done", "sum")).reset_index()
    out["rate"] = out["converted"] / out["entered"]
    last = pd.Timestamp(data_end if data_end is not None else u["entry"].max()).normalize()
    window = pd.Timedelta(days=result.window_days)
    out["complete"] = [period_end(p, grain) + window <= last for p in out["period"]]
    return out


def compare_periods(ds: Dataset, steps, window_days: float, a: tuple, b: tuple, **kwargs) -> pd.DataFrame:
    """The same funnel over two date ranges ``(start, end)``: users and conversion side by side.

    >>> ev = pd.DataFrame({"user_id": ["a", "a", "b"], "event_time": pd.to_datetime(
    ...     ["2024-01-01", "2024-01-02", "2024-02-01"]), "event_name": ["visit", "pay", "visit"]})
    >>> ds = Dataset.from_tables(events=ev)
    >>> compare_periods(ds, ["visit", "pay"], 3, ("2024-01-01", "2024-01-31"),
    ...                 ("2024-02-01", "2024-02-29"))["conv_first_b"].tolist()
    [1.0, 0.0]
    """
    ra = funnel(ds, steps, window_days, start=a[0], end=a[1], **kwargs).steps
    rb = funnel(ds, steps, window_days, start=b[0], end=b[1], **kwargs).steps
    out = ra[["step", "event", "users", "conv_first", "conv_prev"]].merge(
        rb[["step", "users", "conv_first", "conv_prev"]], on="step", suffixes=("_a", "_b"))
    out["change"] = out["conv_first_b"] - out["conv_first_a"]
    return out


def segment_users(ds: Dataset, user_ids) -> pd.DataFrame:
    """The users behind ``user_ids`` with their attributes, ready to export or reuse as a segment.

    >>> ev = pd.DataFrame({"user_id": ["a"], "event_time": pd.to_datetime(["2024-01-01"])})
    >>> segment_users(Dataset.from_tables(events=ev), ["a"])["user_id"].tolist()
    ['a']
    """
    cols = ["user_id", "signup_time"] + [c for c in _columns(ds.users) if c not in ("user_id",)]
    return ds.users.loc[ds.users["user_id"].isin(list(user_ids)), cols].reset_index(drop=True)
