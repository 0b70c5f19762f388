"""Paths checked against a plain-Python reading of the definition on random logs."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from opslab.dataset.dataset import Dataset
from opslab.behaviour.paths import END, leave_points, paths
from opslab.core.problems import OpsLabError

T0 = pd.Timestamp("2024-05-01")


def _log(seed, n_users=30):
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        t = T0 + pd.Timedelta(minutes=int(rng.integers(0, 600)))
        for _ in range(int(rng.integers(1, 12))):
            t += pd.Timedelta(minutes=int(rng.choice([1, 2, 5, 45, 200])))
            rows.append((f"u{u}", t, "abcd"[int(rng.integers(4))]))
    return pd.DataFrame(rows, columns=["user_id", "event_time", "event_name"])


def brute(ev, event, direction, depth, gap_min, collapse):
    out = {}
    for user, g in ev.sort_values("event_time", kind="stable").groupby("user_id", sort=False):
        seq, sess, s = [], [], 0
        prev_t = prev_n = None
        for t, n in zip(g["event_time"], g["event_name"]):
            brk = prev_t is None or (t - prev_t) > pd.Timedelta(minutes=gap_min)
            s += brk
            if not (collapse and not brk and n == prev_n):
                seq.append(n)
                sess.append(s)
            prev_t, prev_n = t, n
        if event not in seq:
            continue
        i = seq.index(event)
        step = 1 if direction == "next" else -1
        path, j = [event], i + step
        while len(path) <= depth + 1 and 0 <= j < len(seq) and sess[j] == sess[i]:
            path.append(seq[j])
            j += step
        if len(path) <= depth + 1:
            path.append(END)   # the session ended: the user left here
        out[user] = tuple(path)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("direction,collapse", [("next", True), ("next", False), ("previous", True)])
def test_paths_equal_brute_force(direction, collapse):
    for seed in range(6):
        ev = _log(seed)
        res = paths(Dataset.from_tables(events=ev), "b", direction, depth=3, top=10, session_minutes=30,
                    collapse=collapse)
        truth = brute(ev, "b", direction, 3, 30, collapse)
        assert res.n_users == len(truth)
        shown = Counter(p[: 4] + ((END,) if len(p) > 4 and p[4] == END else ()) for p in truth.values())
        got = dict(zip(res.paths["path"], res.paths["users"]))
        if len(shown) <= 20:
            assert got == dict(shown)
        else:
            assert sorted(got.values(), reverse=True) == sorted(shown.values(), reverse=True)[:20]
            assert all(shown[p] == n for p, n in got.items())
        for row in res.nodes.itertuples():
            at = [p for p in truth.values() if len(p) > row.level and p[row.level] == row.event]
            assert row.users == len(at), (seed, row)
            assert row.left == sum(1 for p in at if len(p) > row.level + 1 and p[row.level + 1] == END)


def test_leave_points_and_errors():
    ev = _log(1)
    res = paths(Dataset.from_tables(events=ev), "a", depth=2)
    lp = leave_points(res)
    assert lp["left"].is_monotonic_decreasing and (lp["left"] > 0).all()
    assert lp["left"].sum() == res.nodes["left"].sum()
    no_goal = leave_points(res, goal="b")
    assert "b" not in set(no_goal["event"])
    assert no_goal["left"].sum() == res.nodes.loc[res.nodes["event"] != "b", "left"].sum()
    with pytest.raises(OpsLabError):
        paths(Dataset.from_tables(events=ev), "a", direction="sideways")
    assert paths(Dataset.from_tables(events=ev), "nope").n_users == 0
