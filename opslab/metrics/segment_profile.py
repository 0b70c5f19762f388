"""A segment compared with everyone: its size today and a profile with TGI per attribute value.

For every dimension of the users (:func:`opslab.metrics.breakdowns.dimensions`: user columns,
``tier`` at the data's end, event properties first-touch) and each of its values::

    segment_share = segment's users with the value / segment's users
    all_share     = all users with the value / all users
    TGI           = segment_share / all_share × 100

TGI 100: the value is as common in the segment as among everyone; 200: twice as common. The
values of a dimension are its ``top_n`` largest among all users, the rest pooled as
``__other__``; users without a value are ``__none__`` (so each dimension's shares add up to 1).
A value held by fewer than ``min_users`` of the segment's users is flagged ``few``: its share
moves by whole percentage points with one user, so its TGI is noise. Rows are sorted so the
most over-represented values lead (TGI, then the segment's users, descending).

Example
-------
>>> ev = pd.DataFrame({"user_id": list("abcd"), "event_time": pd.to_datetime(["2024-01-01"] * 4)})
>>> us = pd.DataFrame({"user_id": list("abcd"), "city": ["京", "京", "沪", "沪"]})
>>> ds = Dataset.from_tables(events=ev, users=us)
>>> res = profile(ds, Segment("a+b+c", users=["a", "b", "c"]), dimensions=["city"], min_users=1)
>>> res.frame[["value", "segment_users", "all_users", "tgi"]].round(1).values.tolist()
[['京', 2, 2, 133.3], ['沪', 1, 2, 66.7]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslab.core.results import result_surface
from opslab.dataset.dataset import Dataset
from opslab.metrics import breakdowns as bd
from opslab.metrics.segments import Segment, as_segment, member_uids

COLUMNS = ["dimension", "value", "segment_users", "all_users", "segment_share", "all_share", "tgi", "few"]
MIN_USERS = 30
TOP_N = 20


@dataclass(frozen=True)
class Size:
    """A segment on the data at hand: its users now, all users, their share, and (a list) how
    many of its ids the data does not hold."""

    users: int
    total: int
    missing: int = 0

    @property
    def share(self) -> float:
        return self.users / self.total if self.total else float("nan")


def size(ds: Dataset, segment) -> Size:
    """How many of ``ds``'s users are in ``segment`` today (rules are read on this data)."""
    seg = as_segment(segment)
    n = int(len(member_uids(ds, seg)))
    missing = len(seg.users) - n if seg.users is not None else 0
    return Size(n, int(ds.n_users), int(missing))


@result_surface(frame="frame", config="config", as_of="as_of")
@dataclass(frozen=True)
class SegmentProfileResult:
    """``frame``: one row per (dimension, value) (:data:`COLUMNS`), the most over-represented
    first; ``segment``; ``size`` (its users, all users, share); ``min_users`` (the ``few`` bound)."""

    frame: pd.DataFrame
    segment: Segment
    size: Size
    min_users: int = MIN_USERS
    problems: tuple = ()
    config: object = None
    as_of: object = None

    def of(self, dimension: str) -> pd.DataFrame:
        """The rows of one dimension (still most over-represented first)."""
        return self.frame[self.frame["dimension"] == dimension].reset_index(drop=True)


def profile(ds: Dataset, segment, dimensions=None, min_users: int = MIN_USERS,
            top_n: int = TOP_N) -> SegmentProfileResult:
    """The segment's profile against all users of ``ds`` (see the module docstring).

    ``dimensions``: the dimensions to compare (default every dimension of ``ds``); a dimension
    ``ds`` does not have is ``breakdowns.unknown_dimension``."""
    seg = as_segment(segment)
    inside = member_uids(ds, seg)
    n_seg, n_all = int(len(inside)), int(ds.n_users)
    dims = bd.dimensions(ds) if dimensions is None else list(dimensions)
    parts = []
    for dim in dims:
        labels = bd.user_groups(ds, dim, top_n=top_n)  # index: uid; every user one label
        everyone = labels.value_counts()
        ours = labels.reindex(inside).value_counts().reindex(everyone.index, fill_value=0)
        parts.append(pd.DataFrame({"dimension": dim, "value": everyone.index.astype(str),
                                   "segment_users": ours.to_numpy(np.int64), "all_users": everyone.to_numpy(np.int64)}))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS[:4])
    frame["segment_share"] = frame["segment_users"] / n_seg if n_seg else np.nan
    frame["all_share"] = frame["all_users"] / n_all if n_all else np.nan
    frame["tgi"] = frame["segment_share"] / frame["all_share"] * 100
    frame["few"] = frame["segment_users"] < int(min_users)
    frame = frame.sort_values(["tgi", "segment_users", "dimension", "value"], ascending=[False, False, True, True],
                              kind="stable", na_position="last").reset_index(drop=True)
    missing = len(seg.users) - n_seg if seg.users is not None else 0
    return SegmentProfileResult(frame[COLUMNS], seg, Size(n_seg, n_all, missing), int(min_users), as_of=ds.end)
