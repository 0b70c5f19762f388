"""Saved segments: a named group of users that every analysis can be limited to.

A :class:`Segment` is either **rules** (``{dimension: [values, ...]}``: a user is in it when,
for every dimension, their value is one of those listed — the dimensions of
:func:`opslab.metrics.breakdowns.dimensions`: user columns, ``tier`` at the data's end, event
properties first-touch) or a **fixed list** of user ids (a funnel's drop-offs, an export). Rules
are read again on the data at hand, so a rules segment follows its users month after month; a
list keeps the same people, and ids the data does not hold are counted, not guessed.

:func:`apply` gives the data set of the segment's users only (:func:`opslab.metrics.breakdowns.subset`:
the same calendar, every setting kept), so each analysis run on it is the very same code as on
everyone — a segment's figure cannot drift from its definition. Campaigns are recorded for the
whole business: on a segment, spend, participants and the campaigns' reported new users and
revenue are not split (CAC is not given; ROI is the segment's own revenue on the campaigns' days
over their spend, :func:`opslab.metrics.lead_kpis.campaign_cac_roi`).

Example
-------
>>> ev = pd.DataFrame({"user_id": list("abc"), "event_time": pd.to_datetime(["2024-01-01"] * 3)})
>>> us = pd.DataFrame({"user_id": list("abc"), "channel": ["抖音", "微信", "抖音"]})
>>> ds = Dataset.from_tables(events=ev, users=us)
>>> members(ds, Segment("douyin", rules={"channel": ["抖音"]})).tolist()
['a', 'c']
>>> apply(ds, ["b", "zz"]).n_users
1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from opslab.core.problems import OpsLabError
from opslab.dataset.dataset import Dataset
from opslab.metrics import breakdowns as bd


@dataclass(frozen=True)
class Segment:
    """A named segment: ``rules`` (dimension -> values, all dimensions must match) or ``users``
    (a fixed list of user ids). Exactly one of the two."""

    name: str
    users: tuple[str, ...] | None = None
    rules: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __init__(self, name: str, users=None, rules: Mapping | tuple = ()):
        rules = tuple(sorted((str(k), tuple(str(v) for v in vs)) for k, vs in dict(rules).items()))
        if (users is None) == (not rules):
            raise ValueError("a segment is either rules or a list of users (exactly one)")
        object.__setattr__(self, "name", str(name))
        object.__setattr__(self, "users", None if users is None else tuple(dict.fromkeys(str(u) for u in users)))
        object.__setattr__(self, "rules", rules)

    @property
    def kind(self) -> str:
        return "list" if self.users is not None else "rules"


@dataclass(frozen=True)
class Scope:
    """What a segment's data set is, for its labels: the segment, its users in this data, the
    data set's users, and (a list) how many of its ids the data does not hold."""

    segment: Segment
    users: int
    total: int
    missing: int = 0

    @property
    def name(self) -> str:
        return self.segment.name


def as_segment(segment, name: str | None = None) -> Segment:
    """A :class:`Segment` from what a caller gives: a Segment, a mapping of rules, or user ids
    (a list, tuple, set, Series, Index or array)."""
    if isinstance(segment, Segment):
        return segment
    if isinstance(segment, Mapping):
        return Segment(name or "rules", rules=segment)
    if isinstance(segment, (str, bytes)) or not hasattr(segment, "__iter__"):
        raise TypeError(f"segment must be a Segment, a {{dimension: values}} mapping or user ids, "
                        f"not {type(segment).__name__}")
    return Segment(name or "users", users=list(segment))


def member_uids(ds: Dataset, segment) -> np.ndarray:
    """The ``uid`` of every user of ``ds`` in ``segment`` (sorted)."""
    seg = as_segment(segment)
    if seg.users is not None:
        keep = ds.users["user_id"].astype("str").isin(seg.users).to_numpy()
        return np.sort(ds.users["uid"].to_numpy()[keep])
    known = set(bd.dimensions(ds))
    inside = np.ones(len(ds.users), dtype=bool)
    for dim, values in seg.rules:
        if dim not in known:
            raise OpsLabError("segments.unknown_dimension", column=dim, dimension=dim, name=seg.name)
        labels = bd.user_groups(ds, dim, top_n=10**9)  # index: uid, every value kept
        inside &= labels.reindex(ds.users["uid"].to_numpy()).isin(values).to_numpy()
    return np.sort(ds.users["uid"].to_numpy()[inside])


def members(ds: Dataset, segment) -> pd.Series:
    """The user ids of ``segment`` in ``ds`` (in the users table's order)."""
    uids = member_uids(ds, segment)
    return ds.users.set_index("uid").loc[uids, "user_id"].astype("str").reset_index(drop=True)


def apply(ds: Dataset, segment) -> Dataset:
    """``ds`` limited to the users of ``segment`` (see the module docstring); an ``OpsLabError``
    when none of its users is in the data (nothing to analyse, never the whole data instead)."""
    seg = as_segment(segment)
    if not ds.events_in_memory:
        raise OpsLabError("segments.source_unavailable", name=seg.name)
    uids = member_uids(ds, seg)
    if not len(uids):
        raise OpsLabError("segments.empty", name=seg.name)
    missing = len(seg.users) - len(uids) if seg.users is not None else 0
    return bd.subset(ds, uids, scope=Scope(seg, int(len(uids)), int(ds.n_users), int(missing)))


def within(ds: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``frame`` (with ``user_id``) whose user is in ``ds`` — an A/B assignment
    limited to a segment's users; ``frame`` itself on a whole data set."""
    if getattr(ds, "whole", True) or frame is None or "user_id" not in frame:
        return frame
    return frame[frame["user_id"].astype("str").isin(set(ds.users["user_id"].astype("str")))].reset_index(drop=True)


def scope_of(ds: Dataset) -> Scope | None:
    """The segment ``ds`` was limited to (None: not a segment)."""
    return getattr(ds, "scope", None)
