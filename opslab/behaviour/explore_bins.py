"""Per-user values in readable bins: the per-user value table of one ``explore_v_*`` query, its
quantiles and bin counts per group, and the bin ladders a person reads (counts 1, 2, 3 … 6-7,
8-10; money 0, then 1-2-5; durations 1 min … 90 days) with their labels."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Sequence

import numpy as np
import pandas as pd

from opslab.behaviour.explore_groups import frame_sql, named_query, run_grouped
from opslab.dataset.dataset import Dataset
from opslab.engine.base import sql_catalog

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
#: count bins' lower edges: 1, 2, 3, 4, 5, 6-7, 8-10, 11-15, 16-20, 21-30, 31-50, 51-100, ...
COUNT_EDGES = (0, 1, 2, 3, 4, 5, 6, 8, 11, 16, 21, 31, 51, 101, 201, 501, 1001, 2001, 5001, 10001)
#: interval bins' lower edges in seconds: 1 min, 5 min, 15 min, 1 h, 3 h, 6 h, 12 h, 1-3-7-14-30-60-90 days
INTERVAL_EDGES = (0, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400,
                  7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400, 90 * 86400)
_PARAM = re.compile(r"\$(\w+)")


def _quantile_sql() -> tuple[str, str]:
    parts, cols = [], []
    for p in QUANTILES:
        name = f"p{int(round(p * 100))}"
        lo = f"CAST(floor((n - 1) * {p}) AS BIGINT)"
        lo_v = f"max(CASE WHEN rn = {lo} + 1 THEN v END)"
        hi_v = f"max(CASE WHEN rn = least({lo} + 2, n) THEN v END)"
        frac = f"((max(n) - 1) * {p} - floor((max(n) - 1) * {p}))"
        parts.append(f"{lo_v} + ({hi_v} - {lo_v}) * {frac} AS {name}")
        cols.append(f"q.{name}")
    return ", ".join(parts), ", ".join(cols)


def _bin_sql(edges: Sequence[float], params: dict) -> str:
    """``CASE`` mapping ``x.v`` to the index of its bin (edges bound as $e0, $e1, ...)."""
    whens = []
    for i in range(1, len(edges)):
        params[f"e{i}"] = float(edges[i])
        whens.append(f"WHEN x.v < $e{i} THEN {i - 1}")
    return f"CASE {' '.join(whens)} ELSE {len(edges) - 1} END" if whens else "0"


def per_user_values(ds: Dataset, block: str, params: dict) -> str:
    """``SELECT * FROM`` the engine table of one value block (``explore_v_*``: one row per
    user, ``uid``, ``v``) with these parameters, made once per data set and parameters
    (``explore_values_table``): the analysis and the users behind each of its bins read it."""
    sql = named_query(block)
    used = {k: params[k] for k in sorted(set(_PARAM.findall(sql)))}
    key = ("explore_values", block, tuple((k, str(v)) for k, v in used.items()))
    table = "xval_" + hashlib.sha1(repr(key).encode()).hexdigest()[:16]

    def build():
        ds.engine.sql(named_query("explore_values_table").format(table=table, values=sql), **used)
        return f"SELECT * FROM {table}"
    return ds.memo(key, build)


def value_stats(ds, groups, values: str, params: dict) -> pd.DataFrame:
    grp, join = frame_sql(groups, "x.uid")
    qs, qcols = _quantile_sql()
    sql = sql_catalog()["explore_value_stats"].format(grp=grp, join=join, values=values, quantiles=qs,
                                                      quantile_cols=qcols)
    out = run_grouped(ds, groups, sql, **params).rename(
        columns={"grp": "group", "vmin": "min", "vmax": "max", "vpos": "min_positive"})
    return out


def value_bins(ds, groups, values: str, params: dict, edges) -> pd.DataFrame:
    grp, join = frame_sql(groups, "x.uid")
    params = dict(params)
    sql = sql_catalog()["explore_value_bins"].format(grp=grp, join=join, values=values,
                                                     bin=_bin_sql(edges, params))
    raw = run_grouped(ds, groups, sql, **params)
    return raw.rename(columns={"grp": "group"})


def count_edges(lo: float, hi: float) -> list[float]:
    """Count bins from ``lo`` to ``hi`` on the 1, 2, 3, 4, 5, 6-7, 8-10, 11-15 ... ladder.

    >>> count_edges(1, 12)
    [1, 2, 3, 4, 5, 6, 8, 11]
    """
    first = max(e for e in COUNT_EDGES if e <= max(lo, 0))
    out = [e for e in COUNT_EDGES if first <= e <= hi]
    return out or [first]


def money_edges(lo: float, hi: float, max_bins: int = 12, positive: float | None = None) -> list[float]:
    """Money bins: 0 on its own, then a 1-2-5 ladder (coarsened to powers of ten when it would
    need more than ``max_bins``) from the smallest ``positive`` value up to ``hi``.

    >>> money_edges(0, 900)
    [0, 0.01, 1, 2, 5, 10, 20, 50, 100, 200, 500]
    """
    out = [0, 0.01] if lo <= 0 else []
    if hi <= 0:
        return out or [0]
    start = max(min(lo, hi), 0.01) if lo > 0 else max(positive or 1, 0.01)
    for steps in ((1, 2, 5), (1,)):
        ladder = [m * 10 ** p for p in range(int(math.floor(math.log10(start))), int(math.log10(hi)) + 2)
                  for m in steps]
        ladder = [round(x, 2) for x in ladder if x <= hi]
        first = [x for x in ladder if x <= start]
        ladder = ladder[ladder.index(first[-1]):] if first else ladder
        if len(ladder) <= max_bins:
            break
    if lo <= 0:
        ladder = [x for x in ladder if x > 0.01] or [1]
    return out + [x if x != int(x) else int(x) for x in ladder]


def bin_label(lo, hi, integer: bool) -> str:
    if hi is None or not np.isfinite(hi):
        return f"≥{lo:,g}" if not integer else f"{int(lo):,}+"
    if integer:
        return f"{int(lo):,}" if hi - lo <= 1 else f"{int(lo):,}–{int(hi) - 1:,}"
    if lo == 0 and hi <= 0.01:
        return "0"
    return f"{lo:,g}–{hi:,g}"


def duration_label(s: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s / size:g}{unit}"
    return f"{s:g}s"


def shape_bins(raw: pd.DataFrame, edges, labeller, lo_col="lo", hi_col="hi") -> pd.DataFrame:
    groups = sorted(set(raw["group"])) if len(raw) else []
    rows = []
    for g in groups:
        mine = raw[raw["group"] == g].set_index("bin")["users"]
        total = int(mine.sum())
        for i, lo in enumerate(edges):
            hi = edges[i + 1] if i + 1 < len(edges) else np.nan
            n = int(mine.get(i, 0))
            rows.append({"group": g, "bin": i, lo_col: float(lo), hi_col: float(hi),
                         "label": labeller(lo, None if np.isnan(hi) else hi), "users": n,
                         "share": n / total if total else np.nan})
    return pd.DataFrame(rows, columns=["group", "bin", lo_col, hi_col, "label", "users", "share"])
