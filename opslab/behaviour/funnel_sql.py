"""The funnel query: the events table it reads (``fev``) and the SQL it is built into.

The number of steps varies, so ``opslab/behaviour/funnels.sql`` holds templates; this module fills
their ``{placeholders}`` with generated identifiers and per-step fragments (every value stays a
bound ``$param``) and runs the result on the data set's engine, DuckDB or Spark alike. The
answer is one row per user who did step 1: ``uid``, ``entry`` (first step-1 time, epoch
microseconds) and per step k ``p{k}`` (position of the first completion, NULL when not
reached), ``d{k}`` (microseconds from step 1) and ``b{k}`` (the breakdown value on it).
:mod:`opslab.behaviour.funnels` shapes it into step tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from opslab.dataset.dataset import Dataset
from opslab.engine.base import POSITION, sql_catalog
from opslab.core.problems import OpsLabError

#: columns that are not attributes of a user or an event
_INTERNAL = {"uid", "user_id", "event_time", "signup_time", "censored", "seq"}


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in _INTERNAL]


def _candidates(ds: Dataset) -> list[str]:
    """Event columns that may be properties: the extra columns of an in-memory events frame,
    the optional event columns of a Parquet or catalog source."""
    if ds.events_in_memory:
        return [c for c in _columns(ds.events) if c != "event_name"]
    return list(getattr(ds, "event_columns", ()))


def register_events(ds: Dataset) -> list[str]:
    """Build ``fev`` (the events with their log position ``seq`` and properties) inside the
    engine, once per data set, and return the event properties: the candidate columns that
    hold any value.

    An in-memory data set hands its (time-sorted) events to the engine as ``fev_src`` with
    their row as the tiebreak, so ``seq`` is that row; a source's ``fev_src`` is a view over
    its files (``sources.sql``, ``source_fev``), ordered by time, then file and row.
    """
    def compute():
        cols = _candidates(ds)
        if ds.events_in_memory:  # the frame is here: keep only columns with a value
            ev = ds.events
            cols = [c for c in cols if ev[c].notna().any()]
            frame = pa.Table.from_pandas(ev[["uid", "event_time", "event_name"] + cols], preserve_index=False)
            frame = frame.append_column(POSITION[0], pa.nulls(len(ev), pa.string()))
            frame = frame.append_column(POSITION[1], pa.array(np.arange(len(ev), dtype=np.int64)))
            ds.engine.register("fev_src", frame)
        cat = sql_catalog()
        ds.engine.sql(cat["funnel_events"].format(props="".join(f", {_q(c)}" for c in cols)))
        if not cols or ds.events_in_memory:
            return cols
        counts = ds.engine.sql(cat["event_property_counts"].format(
            counts=", ".join(f"CAST(count({_q(c)}) AS BIGINT) AS c{i}" for i, c in enumerate(cols))))
        return [c for i, c in enumerate(cols) if int(counts[f"c{i}"].iloc[0]) > 0]
    return ds.memo(("funnels_fev",), compute)


def event_properties(ds: Dataset) -> list[str]:
    """Event columns usable as step filters or breakdowns (besides ``event_name``)."""
    return list(register_events(ds))


def user_dimensions(ds: Dataset) -> list[str]:
    """User columns usable as breakdowns (channel, city, any extra attribute), plus ``tier``
    (not when no column identifies the buyer: tiers follow customers, none can be followed)."""
    cols = [c for c in _columns(ds.users) if ds.users[c].notna().any()]
    return cols + (["tier"] if getattr(ds, "buyers_known", True) else [])


def event_names(ds: Dataset) -> pd.DataFrame:
    """Event names with their number of events (``event_name``, ``events``), most frequent
    first: what the behaviour screens list."""
    register_events(ds)
    return ds.memo(("event_names",), lambda: ds.engine.run("event_names"))


def property_values(ds: Dataset, event: str, column: str, limit: int = 200) -> list[str]:
    """The values (as text, sorted) of event property ``column`` on events named ``event``:
    a step filter's options."""
    if column not in event_properties(ds):
        raise OpsLabError("funnels.unknown_property", column=column)
    sql = sql_catalog()["event_property_values"].format(col=_q(column))
    return ds.engine.sql(sql, event=str(event), limit=int(limit))["v"].astype("str").tolist()


def first_values(ds: Dataset, column: str) -> pd.DataFrame:
    """Each user's first event (in log order) with a non-empty ``column``: ``uid``, ``value``
    (as text), ``event_time``; in log order."""
    if column not in event_properties(ds):
        raise OpsLabError("experiments.unknown_column", column=column)
    return ds.engine.sql(sql_catalog()["event_property_first"].format(col=_q(column)))


def _match(step, params: dict, name: str, props: set[str]) -> str:
    params[f"{name}_e"] = step.event
    cond = [f"event_name = ${name}_e"]
    for i, (col, values) in enumerate(sorted(step.where.items())):
        if col not in props:
            raise OpsLabError("funnels.unknown_property", column=col)
        params[f"{name}_w{i}"] = [str(v) for v in values]
        cond.append(f"list_contains(${name}_w{i}, CAST({_q(col)} AS VARCHAR))")
    return "(" + " AND ".join(cond) + ")"


def _unordered(cat: dict, fmt: dict, n: int, prop: str | None) -> str:
    """The any-order template's per-step fragments (see ``funnel_unordered``)."""
    ks = range(1, n + 1)
    nexts = [f"min(CASE WHEN m{k} THEN t END) OVER (PARTITION BY uid ORDER BY t RANGE BETWEEN CURRENT ROW "
             f"AND UNBOUNDED FOLLOWING) - t AS o{k}" for k in ks]
    valid = {i: f"o{i} IS NOT NULL AND o{i} <= $window" for i in ks}
    ranks = [f"CASE WHEN {valid[i]} THEN " + " + ".join(
        f"CASE WHEN {valid[j]} AND o{j} <= o{i} THEN 1 ELSE 0 END" for j in ks) + f" END AS r{i}" for i in ks]
    cnt = " + ".join(f"CASE WHEN r{i} IS NOT NULL THEN 1 ELSE 0 END" for i in ks)
    kth = [f"least({', '.join(f'CASE WHEN r{i} >= {k} THEN o{i} END' for i in ks)}) AS e{k}" for k in ks]
    firsts = [f"min(CASE WHEN cnt >= {k} THEN pos END) OVER (PARTITION BY uid) AS q{k}" for k in ks]
    user = []
    for k in ks:
        user += [f"min(CASE WHEN cnt >= {k} THEN pos END) AS p{k}", f"max(CASE WHEN pos = q{k} THEN e{k} END) AS d{k}"]
        user += [f"max(CASE WHEN pos = q{k} THEN b END) AS b{k}"] if prop else []
    return cat["funnel_unordered"].format(**fmt, nexts=", ".join(nexts), ranks=", ".join(ranks), cnt=cnt,
                                          kth=", ".join(kth), firsts=", ".join(firsts), user_cols=", ".join(user))


def funnel_frame(ds: Dataset, steps, window_us: int, order: str, exclusions, prop: str | None,
                 start, stop) -> pd.DataFrame:
    """Run the funnel query for ``steps`` (``"ordered"``, ``"strict"`` or ``"any"`` order) over
    events in ``[start, stop)``; one row per user who did step 1, ordered by uid."""
    cat = sql_catalog()
    n = len(steps)
    props = set(event_properties(ds))
    params = {"start": start, "stop": stop, "window": int(window_us)}
    matches = [_match(s, params, f"s{k}", props) for k, s in enumerate(steps, 1)]
    cols = [f"{m} AS m{k}" for k, m in enumerate(matches, 1)]
    conds = list(matches)
    segs = ""
    guards = {}
    for i, ex in enumerate(exclusions):
        params[f"x{i}"] = ex.event
        cols.append(f"(event_name = $x{i}) AS x{i}")
        conds.append(f"(event_name = $x{i})")
        for j in range(ex.after, ex.before):
            guards.setdefault(j, []).append(f"x{i}")
    for j, xs in sorted(guards.items()):
        flag = " OR ".join(xs)
        segs += f", sum(CASE WHEN {flag} THEN 1 ELSE 0 END) OVER (PARTITION BY uid ORDER BY pos ROWS UNBOUNDED PRECEDING) AS g{j}"
    extra = f", CAST({_q(prop)} AS VARCHAR) AS b" if prop else ""
    fmt = {"extra": extra, "match": ", ".join(cols), "any": " OR ".join(conds), "n": n, "segs": segs,
           "any_m": " OR ".join(f"m{k}" for k in range(1, n + 1))}
    if order == "any":
        sql = _unordered(cat, fmt, n, prop)
    else:
        block = cat["funnel_ordered_step" if order == "ordered" else "funnel_strict_step"]
        carry = (", b" if prop else "") + "".join(f", g{j}" for j in sorted(guards))
        layers = []
        for k in range(2, n + 1):
            part = f", g{k - 1}" if (k - 1) in guards else ""
            layers.append(block.format(k=k, j=k - 1, part=part, carry=carry))
        union = " UNION ALL ".join(f"SELECT {k} AS k, uid, pos, t, L{', b' if prop else ''} FROM s{k}"
                                   for k in range(1, n + 1))
        user = []
        for k in range(1, n + 1):
            user += [f"min(CASE WHEN s.k = {k} THEN s.pos END) AS p{k}",
                     f"max(CASE WHEN s.k = {k} THEN s.t - s.L END) AS d{k}"]
            user += [f"max(CASE WHEN s.k = {k} THEN s.b END) AS b{k}"] if prop else []
        name = "funnel_ordered" if order == "ordered" else "funnel_strict"
        paths = cat["funnel_paths"].format(layers=",\n".join(layers), union=union, carry=carry,
                                           user_cols=", ".join(user))
        sql = cat[name].format(**fmt, paths=paths)
    return ds.engine.sql(sql, **params)
