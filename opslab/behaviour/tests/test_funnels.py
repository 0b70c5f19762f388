"""Funnels checked against a brute-force reading of the definitions on many random small logs."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from opslab.dataset.dataset import Dataset
from opslab.behaviour.funnels import Exclusion, Step, compare_periods, funnel, trend
from opslab.core.problems import OpsLabError

T0 = pd.Timestamp("2024-03-01")


def random_log(seed: int, n_users: int = 8, names="abcxy"):
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        for _ in range(int(rng.integers(0, 11))):
            # minutes on a coarse grid: many ties in time, as real exports have
            rows.append((f"u{u}", T0 + pd.Timedelta(minutes=int(rng.integers(0, 40)) * 30),
                         names[int(rng.integers(len(names)))], [None, "p", "q"][int(rng.integers(3))]))
    ev = pd.DataFrame(rows, columns=["user_id", "event_time", "event_name", "src"])
    return ev


def _user_logs(ds):
    ev = ds.events.reset_index(drop=True)
    out = {}
    for pos, row in enumerate(ev.itertuples(index=False)):
        out.setdefault(row.user_id, []).append((pos, row.event_time.value // 1000, row.event_name, row.src))
    return out


def _matches(step, e):
    return e[2] == step.event and all(str(e[3]) in [str(v) for v in vals] for vals in step.where.values())


def brute(ds, steps, window_days, order="ordered", exclusions=()):
    """Every user's (max_step, {k: (end position, seconds from step 1, event value)})."""
    W = window_days * 86400 * 1_000_000
    n = len(steps)
    res = {}
    for user, log in _user_logs(ds).items():
        best = {}  # k -> (end pos, -start time) minimal end pos, then latest start
        if order == "any":
            for e0 in log:
                if not any(_matches(s, e0) for s in steps):
                    continue
                offs = []
                for s in steps:
                    ts = [e[1] for e in log if _matches(s, e) and e[1] >= e0[1]]
                    if ts and min(ts) - e0[1] <= W:
                        offs.append(min(ts) - e0[1])
                offs.sort()
                for k in range(1, len(offs) + 1):
                    cand = (e0[0], offs[k - 1], e0[3])
                    if k not in best or cand[0] < best[k][0]:
                        best[k] = cand
        else:
            idx = list(range(len(log)))
            def extend(path):
                k = len(path)
                if k:
                    first, last = log[path[0]], log[path[-1]]
                    d = last[1] - first[1]
                    cur = best.get(k)
                    if cur is None or last[0] < cur[0] or (last[0] == cur[0] and d < cur[1]):
                        best[k] = (last[0], d, last[3])
                if k == n:
                    return
                start = path[-1] + 1 if path else 0
                nxt = [path[-1] + 1] if (path and order == "strict") else range(start, len(log))
                for i in nxt:
                    if i >= len(log) or not _matches(steps[k], log[i]):
                        continue
                    if path and log[i][1] - log[path[0]][1] > W:
                        continue
                    if path and any(ex.after <= k < ex.before and any(log[m][2] == ex.event for m in range(path[-1] + 1, i))
                                    for ex in exclusions):
                        continue
                    extend(path + [i])
            extend([])
        if best:
            res[user] = (max(best), best)
    if exclusions:
        free = brute(ds, steps, window_days, order)
        res = {u: v for u, v in res.items() if free[u][0] <= v[0]}
    return res


CASES = [
    (["a", "b"], 0.1, "ordered", ()),
    (["a", "b", "c"], 0.2, "ordered", ()),
    (["a", "a", "b"], 0.3, "ordered", ()),
    ([Step("a", {"src": ["p"]}), "b", Step("c", {"src": ["p", "q"]})], 0.5, "ordered", ()),
    (["a", "b", "c"], 0.3, "ordered", (Exclusion("x", 1, 2),)),
    (["a", "b", "c", "a"], 0.4, "ordered", (Exclusion("x", 2, 4), Exclusion("y", 1, 2))),
    (["a", "b"], 0.2, "strict", ()),
    (["a", "b", "a"], 0.5, "strict", ()),
    (["a", "b", "c"], 0.2, "any", ()),
    ([Step("c", {"src": ["q"]}), "a"], 0.1, "any", ()),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", range(len(CASES)))
def test_funnel_equals_brute_force_on_random_logs(case):
    steps, window, order, excl = CASES[case]
    for seed in range(25):
        ds = Dataset.from_tables(events=random_log(seed * 31 + case))
        res = funnel(ds, steps, window, order=order, exclusions=excl, by="src", attribution="per_step")
        truth = brute(ds, [s if isinstance(s, Step) else Step(s) for s in steps], window, order, excl)
        got = res.users.set_index("user_id")
        assert sorted(got.index) == sorted(truth), (seed, case)
        for user, (k, best) in truth.items():
            row = got.loc[user]
            assert row["max_step"] == k, (seed, case, user)
            for j in range(1, k + 1):
                assert row[f"d{j}"] == best[j][1] / 1e6, (seed, case, user, j)
                want = "__none__" if best[j][2] is None or best[j][2] != best[j][2] else best[j][2]
                assert row[f"group_{j}"] in (want, "__other__"), (seed, case, user, j)
        ks = np.array([v[0] for v in truth.values()])
        expect = [(ks >= j).sum() for j in range(1, len(steps) + 1)]
        assert res.steps["users"].tolist() == expect
        free = brute(ds, [s if isinstance(s, Step) else Step(s) for s in steps], window, order) if excl else truth
        assert res.excluded == len(free) - len(truth)


def test_hand_computed_orders_and_exclusion():
    t = lambda m: T0 + pd.Timedelta(minutes=m)
    ev = pd.DataFrame({
        "user_id": ["s", "s", "s", "o", "o", "o", "x", "x", "x", "r", "r", "r", "r", "r", "r"],
        "event_time": [t(0), t(1), t(2), t(0), t(1), t(2), t(0), t(1), t(2),
                       t(0), t(1), t(2), t(10), t(11), t(12)],
        "event_name": ["a", "b", "c", "a", "z", "b", "a", "x", "b", "a", "x", "b", "a", "b", "c"],
    })
    ds = Dataset.from_tables(events=ev)
    ordered = funnel(ds, ["a", "b"], 1).users.set_index("user_id")["max_step"]
    assert ordered.to_dict() == {"s": 2, "o": 2, "x": 2, "r": 2}
    strict = funnel(ds, ["a", "b"], 1, order="strict").users.set_index("user_id")["max_step"]
    assert strict.to_dict() == {"s": 2, "o": 1, "x": 1, "r": 2}   # o and x had something between
    res = funnel(ds, ["a", "b", "c"], 1, exclusions=[Exclusion("x", 1, 2)])
    assert res.excluded == 1                                        # x only; r re-entered cleanly
    assert res.users.set_index("user_id")["max_step"].to_dict() == {"s": 3, "o": 2, "r": 3}
    assert res.dropped_at(3)["user_id"].tolist() == ["o"]
    # window: r's clean attempt starts at minute 10, so its conversion took 2 minutes
    assert res.users.set_index("user_id").loc["r", "d3"] == 120.0


def test_attribution_first_and_last_touch():
    t = lambda m: T0 + pd.Timedelta(minutes=m)
    ev = pd.DataFrame({"user_id": ["u", "u", "u", "v"], "event_time": [t(0), t(1), t(2), t(0)],
                       "event_name": ["a", "b", "c", "a"], "src": ["ad", "ad", "seo", "seo"]})
    ds = Dataset.from_tables(events=ev)
    first = funnel(ds, ["a", "b", "c"], 1, by="src", attribution="first_touch").by_group
    assert first.pivot(index="group", columns="step", values="users").loc["ad"].tolist() == [1, 1, 1]
    last = funnel(ds, ["a", "b", "c"], 1, by="src", attribution="last_touch").by_group
    assert last.pivot(index="group", columns="step", values="users").loc["seo"].tolist() == [2, 1, 1]


def test_user_dimension_split_trend_and_periods():
    ev = random_log(3, n_users=40)
    users = pd.DataFrame({"user_id": [f"u{i}" for i in range(40)], "city": ["A", "B"] * 20})
    ds = Dataset.from_tables(events=ev, users=users)
    res = funnel(ds, ["a", "b"], 0.5, by="city")
    per_city = res.by_group.pivot(index="group", columns="step", values="users")
    assert per_city.sum().tolist() == res.steps["users"].tolist()
    u = res.users
    assert per_city.loc["A", 1] == (u["user_id"].str[1:].astype(int) % 2 == 0).sum()
    tr = trend(res, "day")
    assert tr["entered"].sum() == res.steps["users"].iloc[0]
    assert tr["converted"].sum() == res.steps["users"].iloc[-1]
    cmp = compare_periods(ds, ["a", "b"], 0.5, ("2024-03-01", "2024-03-01"), ("2024-03-01", "2024-03-01"))
    assert (cmp["change"] == 0).all()


def test_users_by_group_counts_each_groups_users_at_each_step():
    # independent: the brute-force reading of every user's furthest step, joined to the raw
    # users table by plain pandas
    ev = random_log(7, n_users=60)
    users = pd.DataFrame({"user_id": [f"u{i}" for i in range(60)], "city": ["A", "B", "C"] * 20})
    ds = Dataset.from_tables(events=ev, users=users)
    res = funnel(ds, ["a", "b", "c"], 0.5, by="city")
    wide = res.users_by_group()
    truth = brute(ds, [Step(s) for s in "abc"], 0.5)
    reached = pd.DataFrame({"user_id": list(truth), "max_step": [v[0] for v in truth.values()]}).merge(users)
    want = pd.DataFrame({k: reached[reached["max_step"] >= k].groupby("city").size() for k in (1, 2, 3)})
    assert sorted(wide.index) == sorted(want.index)
    assert (wide.loc[want.index, [1, 2, 3]].to_numpy() == want.fillna(0).to_numpy()).all()
    first = wide[1].tolist()
    assert first == sorted(first, reverse=True)  # the biggest group first, as the chart
    assert funnel(ds, ["a", "b"], 0.5).users_by_group().empty  # no split: nothing to show


def test_bad_requests_raise_opslab_errors():
    ds = Dataset.from_tables(events=random_log(1))
    for kwargs in ({"steps": ["a"]}, {"steps": list("abcdefghijk")}, {"steps": ["a", "a"], "order": "any"},
                   {"steps": ["a", "b"], "order": "strict", "exclusions": [Exclusion("x", 1, 2)]},
                   {"steps": ["a", "b"], "exclusions": [Exclusion("a", 1, 2)]},
                   {"steps": [Step("a", {"nope": ["1"]}), "b"]}):
        with pytest.raises(OpsLabError):
            funnel(ds, window_days=1, **kwargs)
