"""Paths: the most common next (or previous) steps around a chosen event, and where users leave.

For every user, the anchor is their first occurrence of the event in the date range; the path
is what they did next in the same session (a pause longer than ``session_minutes`` ends it),
with repeats of one event in a row folded into one (``collapse``). A path shorter than
``depth`` ends in ``"__end__"``: the user left there. The node table gives, for every step
position and event, how many users were there and the share that left right after it
(流失节点); the edge table feeds a flow chart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslab.dataset.dataset import Dataset
from opslab.behaviour.funnel_sql import event_names, register_events
from opslab.core.problems import OpsLabError
from opslab.core.results import result_surface

END, OTHER = "__end__", "__other__"
DIRECTIONS = ("next", "previous")


@result_surface(frame="paths")
@dataclass(frozen=True)
class PathResult:
    """``paths``: top full paths (``path`` tuple, ``users``, ``share``); ``nodes``: ``level``,
    ``event``, ``users``, ``left``, ``leave_share``; ``edges``: ``level`` (of the source),
    ``source``, ``target``, ``users``; ``n_users``: users who did the event; ``walks``: each
    user's step at every level (index ``uid``, columns 0..depth+1, ``"__end__"`` where they
    left), the users behind every node."""

    event: str
    direction: str
    paths: pd.DataFrame
    nodes: pd.DataFrame
    edges: pd.DataFrame
    n_users: int
    walks: pd.DataFrame | None = None

    def node_users(self, level: int, event: str, left: bool = False) -> np.ndarray:
        """The uids behind node (``level``, ``event``): users there, or (``left``) those who
        left right after it; as many as the node's ``users`` / ``left``."""
        if self.walks is None or level not in self.walks.columns:
            return np.zeros(0, dtype=np.int64)
        here = self.walks[level] == event
        if left:
            here &= self.walks[level + 1] == END
        return np.sort(self.walks.index[here.to_numpy()].to_numpy(dtype=np.int64))


def paths(ds: Dataset, event: str, direction: str = "next", depth: int = 3, top: int = 8,
          session_minutes: float = 30, collapse: bool = True, start=None, end=None) -> PathResult:
    """Where users go after (``direction="next"``) or came from before (``"previous"``) ``event``.

    Parameters
    ----------
    ds : the data set.
    event : the anchor event name.
    direction : ``"next"`` or ``"previous"``.
    depth : steps shown (1-6).
    top : events kept per level; the rest are pooled as ``"__other__"``.
    session_minutes : a longer pause ends the path (the user left).
    collapse : fold repeats of one event in a row into one step.
    start, end : first and last day considered (inclusive).

    Examples
    --------
    >>> t = pd.Timestamp("2024-01-01 10:00")
    >>> ev = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b", "c"],
    ...     "event_time": [t, t + pd.Timedelta(minutes=1), t + pd.Timedelta(minutes=2), t,
    ...                    t + pd.Timedelta(minutes=1), t],
    ...     "event_name": ["view", "cart", "pay", "view", "cart", "view"]})
    >>> res = paths(Dataset.from_tables(events=ev), "view", depth=2)
    >>> res.nodes[["level", "event", "users", "left"]].values.tolist()
    [[0, 'view', 3, 1], [1, 'cart', 2, 1], [2, 'pay', 1, 1]]
    """
    if direction not in DIRECTIONS:
        raise OpsLabError("paths.bad_direction", direction=direction)
    if not 1 <= depth <= 6:
        raise OpsLabError("paths.bad_depth", depth=depth)
    start = pd.Timestamp(start if start is not None else ds.start).normalize()
    stop = pd.Timestamp(end if end is not None else ds.end).normalize() + pd.Timedelta(days=1)
    key = ("user_paths", str(event), direction, int(depth), int(top), float(session_minutes),
           bool(collapse), start, stop)
    return ds.memo(key, lambda: _paths(ds, str(event), direction, int(depth), int(top),
                                       float(session_minutes), bool(collapse), start, stop))


def _paths(ds, event, direction, depth, top, session_minutes, collapse, start, stop) -> PathResult:
    register_events(ds)
    raw = ds.engine.run("path_steps", start=start, stop=stop, gap_us=int(session_minutes * 60e6),
                        collapse=bool(collapse), event=str(event), depth=int(depth) + 1)
    sign = 1 if direction == "next" else -1
    raw = raw[raw["offset"] * sign >= 0]
    n_users = int(raw.loc[raw["offset"] == 0, "uid"].nunique())
    if n_users == 0:
        empty = pd.DataFrame(columns=["level", "event", "users", "left", "leave_share"])
        return PathResult(event, direction, pd.DataFrame(columns=["path", "users", "share"]), empty,
                          pd.DataFrame(columns=["level", "source", "target", "users"]), 0)
    wide = raw.assign(level=raw["offset"].abs()).pivot(index="uid", columns="level", values="event_name")
    wide = wide.reindex(columns=range(depth + 2))  # one level more: did they leave after the last?
    # the first missing level is where the user left; later levels stay empty
    steps = wide.to_numpy(dtype=object)
    missing = pd.isna(steps)
    first_gap = np.where(missing.any(axis=1), missing.argmax(axis=1), depth + 2)
    for lvl in range(1, depth + 2):
        steps[first_gap == lvl, lvl] = END
    full = pd.DataFrame(steps, index=wide.index)

    kept = {}
    for lvl in range(1, depth + 2):
        col = full[lvl]
        counts = col[col.notna() & (col != END)].value_counts()
        keep = set(counts.index[:top]) | {END}
        kept[lvl] = col.where(col.isna() | col.isin(keep), OTHER)
    kept[0] = full[0]
    labelled = pd.DataFrame(kept)[list(range(depth + 2))]

    shown = labelled[list(range(depth + 1))]
    ended = labelled[depth + 1] == END
    seqs = shown.apply(lambda r: tuple(v for v in r if isinstance(v, str)), axis=1)
    seqs = seqs.where(~ended | seqs.map(lambda p: p[-1] == END), seqs.map(lambda p: p + (END,)))
    top_paths = seqs.value_counts().head(20).rename_axis("path").reset_index(name="users")
    top_paths["share"] = top_paths["users"] / n_users

    nodes, edges = [], []
    for lvl in range(depth + 1):
        here = labelled[lvl]
        nxt = labelled[lvl + 1]
        for name, users in here[here.notna() & (here != END)].value_counts().items():
            left = int((nxt[here == name] == END).sum())
            nodes.append({"level": lvl, "event": name, "users": int(users), "left": left,
                          "leave_share": left / users})
        if lvl < depth:
            pairs = pd.DataFrame({"source": here, "target": nxt}).dropna()
            pairs = pairs[pairs["source"] != END]
            for (s, t), users in pairs.value_counts().items():
                edges.append({"level": lvl, "source": s, "target": t, "users": int(users)})
    node_frame = pd.DataFrame(nodes).sort_values(["level", "users"], ascending=[True, False], ignore_index=True)
    edge_frame = pd.DataFrame(edges, columns=["level", "source", "target", "users"]).sort_values(
        ["level", "users"], ascending=[True, False], ignore_index=True)
    return PathResult(event, direction, top_paths, node_frame, edge_frame, n_users, labelled)


def leave_points(result: PathResult, goal: str | None = None, min_users: int = 1) -> pd.DataFrame:
    """Nodes ordered by how many users left right after them (the biggest 流失节点 first).

    Leaving after ``goal`` (e.g. ``"purchase"``) is the session's natural end, not a loss, so
    those nodes are left out; so are nodes nobody left from.
    """
    n = result.nodes
    n = n[(n["users"] >= min_users) & (n["left"] > 0) & (n["event"] != goal)]
    return n.sort_values(["left", "leave_share"], ascending=False, ignore_index=True)
