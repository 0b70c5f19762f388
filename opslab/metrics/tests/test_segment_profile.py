"""A segment compared with everyone: TGI per attribute value equals a brute-force pandas
computation over the raw tables of a random log (user columns with missing values, an event
property taken first-touch), for a rules segment and a fixed list; the size today; the few-users
flag; values beyond ``top_n`` pooled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opslab
from opslab.dataset.dataset import Dataset
from opslab.metrics import segment_profile as sp
from opslab.metrics.segments import Segment
from tests.random_logs import random_activity

N = 400


@pytest.fixture(scope="module")
def frames():
    events, orders = random_activity(n_users=N, days=90, seed=24)
    rng = np.random.default_rng(7)
    events["platform"] = rng.choice(["ios", "android", None], len(events), p=[0.4, 0.4, 0.2])
    users = pd.DataFrame({"user_id": [f"u{i}" for i in range(N)],
                          "channel": rng.choice(["抖音", "微信", "搜索", "小红书"], N, p=[0.4, 0.3, 0.2, 0.1]),
                          "city": rng.choice(["京", "沪", "深", None], N)})
    return events, orders, users


def _brute(events, users, member_ids: set, dims) -> pd.DataFrame:
    """TGI per (dimension, value) from the raw tables: the user column as is (missing ->
    "__none__"), an event property as the value on the user's first event that has one."""
    first = (events.dropna(subset=["platform"]).sort_values("event_time").groupby("user_id")["platform"].first())
    table = users.set_index("user_id")[["channel", "city"]].assign(platform=first)
    rows = []
    seg = table[table.index.isin(member_ids)]
    for dim in dims:
        everyone = table[dim].fillna("__none__").value_counts()
        ours = seg[dim].fillna("__none__").value_counts()
        for value, n_all in everyone.items():
            n_seg = int(ours.get(value, 0))
            rows.append({"dimension": dim, "value": value, "segment_users": n_seg, "all_users": int(n_all),
                         "tgi": (n_seg / len(seg)) / (n_all / len(table)) * 100})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("kind", ["rules", "list"])
def test_tgi_equals_brute_force(frames, kind):
    events, orders, users = frames
    ds = Dataset.from_tables(events=events, orders=orders, users=users)
    if kind == "rules":
        seg = Segment("douyin-bj", rules={"channel": ["抖音"], "city": ["京", "沪"]})
        ids = set(users.loc[(users["channel"] == "抖音") & users["city"].isin(["京", "沪"]), "user_id"])
    else:
        ids = set(np.random.default_rng(3).choice(users["user_id"], 120, replace=False)) | {"ghost"}
        seg = Segment("picked", users=sorted(ids))
        ids.discard("ghost")
    dims = ["channel", "city", "platform"]
    res = sp.profile(ds, seg, dimensions=dims, min_users=10)
    want = _brute(events, users, ids, dims)
    got = res.frame.merge(want, on=["dimension", "value"], suffixes=("", "_want"), how="outer", indicator=True)
    assert (got["_merge"] == "both").all(), got[got["_merge"] != "both"]
    assert (got["segment_users"] == got["segment_users_want"]).all()
    assert (got["all_users"] == got["all_users_want"]).all()
    assert np.allclose(got["tgi"], got["tgi_want"])
    assert res.size.users == len(ids) and res.size.total == N
    assert res.size.missing == (1 if kind == "list" else 0)
    # most over-represented first; shares add up to 1 per dimension; few = fewer than 10 of ours
    assert res.frame["tgi"].is_monotonic_decreasing
    assert np.allclose(res.frame.groupby("dimension")[["segment_share", "all_share"]].sum(), 1)
    assert (res.frame["few"] == (res.frame["segment_users"] < 10)).all()
    if kind == "rules":  # every segment user is 抖音: TGI = 1 / share of 抖音 among all
        row = res.of("channel").iloc[0]
        assert row["value"] == "抖音" and row["tgi"] == pytest.approx(100 * N / (users["channel"] == "抖音").sum())


def test_values_beyond_top_n_are_pooled_and_the_api_returns_a_result(frames):
    events, orders, users = frames
    ds = Dataset.from_tables(events=events, orders=orders, users=users)
    seg = Segment("wx", rules={"channel": ["微信"]})
    res = opslab.segment_profile(ds, seg, dimensions=["channel"], top_n=2)
    counts = users["channel"].value_counts()
    top = list(counts.index[:2])
    ours = users.loc[users["channel"] == "微信", "channel"]
    assert sorted(res.frame["value"]) == sorted(top + ["__other__"])
    other = res.frame.set_index("value").loc["__other__"]
    assert other["all_users"] == counts.iloc[2:].sum() and other["segment_users"] == int((~ours.isin(top)).sum())
    assert res.as_of == ds.end and res.problems == () and len(res.frame) == 3
    size = sp.size(ds, seg)
    assert (size.users, size.total) == (len(ours), N) and size.share == pytest.approx(len(ours) / N)
    listed = opslab.users(ds, seg)  # the members, with their attributes, to export
    assert listed.count == len(ours) and sorted(listed.frame["user_id"]) == sorted(
        users.loc[users["channel"] == "微信", "user_id"])
    assert set(listed.frame["channel"]) == {"微信"}
    # the whole data set is the reference even when a segment is also given as the scope
    scoped = opslab.segment_profile(ds, seg, dimensions=["city"], segment={"channel": ["微信", "抖音"]})
    assert scoped.size.total == int(users["channel"].isin(["微信", "抖音"]).sum())
