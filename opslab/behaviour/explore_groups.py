"""Who is in which group of an explore analysis (a split ``by`` a user column or the lifecycle
tier, limited to a ``segment``), and running one of ``explore.sql``'s queries per group."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from opslab.behaviour.funnel_sql import _columns
from opslab.core.problems import OpsLabError
from opslab.dataset.dataset import Dataset
from opslab.engine.base import sql_catalog
from opslab.lifecycle.tiers import LifecycleRules, segment as tier_segment

#: the group of an unsplit analysis, of the users past the top ``top_n`` groups, of users without a value
ALL, OTHER, NONE = "__all__", "__other__", "__none__"
_COMMENT = re.compile(r"--[^\n]*")


def split_columns(ds: Dataset) -> list[str]:
    """What an explore analysis can be split by: user columns with a value, and ``tier``."""
    return [c for c in _columns(ds.users) if ds.users[c].notna().any()] + ["tier"]


def tiers_on(ds: Dataset, rules: LifecycleRules | None, day) -> pd.Series:
    """Every registered user's tier name on ``day`` (index: uid), memoised per data set."""
    used = rules or LifecycleRules()
    return ds.memo(("explore_tiers", used, str(day)),
                   lambda: tier_segment(ds, used, day).set_index("uid")["tier"].astype("object"))


def group_labels(ds: Dataset, by: str | None, segment, top_n: int, day, rules) -> pd.Series | None:
    """Each user's group (index: uid) for ``by`` among the users of ``segment``; None when the
    analysis is neither split nor limited."""
    if by is None and segment is None:
        return None
    users = ds.users
    keep = np.ones(len(users), dtype=bool)
    if segment is not None:
        ids = pd.Index([str(u) for u in segment])
        keep = users["user_id"].astype("str").isin(ids).to_numpy()
    uid = users["uid"].to_numpy()[keep]
    if by is None:
        return pd.Series(ALL, index=uid, dtype="object")
    if by == "tier":
        raw = tiers_on(ds, rules, day).reindex(uid)
    elif by in split_columns(ds):
        raw = pd.Series(users[by].to_numpy()[keep], index=uid, dtype="object")
    else:
        raise OpsLabError("explore.unknown_split", column=str(by))
    labels = raw.where(raw.notna(), NONE).astype("str")
    top = labels.value_counts().index[:max(int(top_n), 1)]
    return labels.where(labels.isin(top), OTHER)


def frame_sql(groups: pd.Series | None, key: str = "uid") -> tuple[str, str]:
    """The group column and the join to ``xgrp`` for a query keyed by ``key``."""
    if groups is None:
        return f"'{ALL}'", ""
    return "g.grp", f"JOIN xgrp g ON g.uid = {key}"


def run_grouped(ds: Dataset, groups: pd.Series | None, sql: str, **params) -> pd.DataFrame:
    """Run ``sql`` with ``xgrp`` (uid, grp) registered for it (under the engine's lock, so
    sessions sharing the data set do not swap it between register and run)."""
    eng = ds.engine
    with eng._lock:
        if groups is not None:
            eng.register("xgrp", pd.DataFrame({"uid": groups.index.to_numpy(dtype=np.int64),
                                               "grp": groups.to_numpy(dtype=object).astype("str")}))
        return eng.sql(sql, **params)


def named_query(name: str) -> str:
    """The named query of ``explore.sql`` without its comments."""
    return _COMMENT.sub("", sql_catalog()[name]).strip()


def period_range(ds: Dataset, start, day) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start (default: the data's first day), the day after ``day``)``."""
    first = pd.Timestamp(start if start is not None else ds.start).normalize()
    return first, pd.Timestamp(day) + pd.Timedelta(days=1)
