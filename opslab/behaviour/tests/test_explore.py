"""Explore analyses (behaviour retention, distributions, intervals, LTV curves) checked against a
brute-force pandas reading of their definitions on random logs, and the users behind every
number: each list's size equals the number it came from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opslab
from opslab.dataset.dataset import Dataset
from opslab.dataset.sources import connect, write_parquet_layout

T0 = pd.Timestamp("2024-01-01")
NAMES = ("open", "view", "cart", "pay")


def random_tables(seed: int, n_users: int = 40, days: int = 150):
    """Events with names, paid and refunded orders and a users table with a channel, built
    without any OpsLab code."""
    rng = np.random.default_rng(seed)
    ev, od, us = [], [], []
    for u in range(n_users):
        first = int(rng.integers(0, days - 1))
        p = rng.uniform(0.03, 0.4)
        us.append((f"u{u:03d}", T0 + pd.Timedelta(days=first), ["抖音", "微信", "自然流量", None][int(rng.integers(4))]))
        for d in [d for d in range(first, days) if d == first or rng.random() < p]:
            for _ in range(int(rng.integers(1, 5))):
                # coarse minutes: ties in time, as real exports have
                ev.append((f"u{u:03d}", T0 + pd.Timedelta(days=d, minutes=int(rng.integers(0, 48)) * 30),
                           NAMES[int(rng.integers(len(NAMES)))]))
            if rng.random() < 0.25:
                status = "refunded" if rng.random() < 0.15 else "paid"
                od.append((f"u{u:03d}", T0 + pd.Timedelta(days=d, hours=int(rng.integers(0, 24))),
                           float(rng.integers(1, 900)), status))
    events = pd.DataFrame(ev, columns=["user_id", "event_time", "event_name"])
    orders = pd.DataFrame(od, columns=["user_id", "order_time", "amount", "status"])
    orders["order_id"] = [f"o{i}" for i in range(len(orders))]
    users = pd.DataFrame(us, columns=["user_id", "signup_time", "channel"])
    return events, orders, users


def _ds(seed):
    events, orders, users = random_tables(seed)
    return Dataset.from_tables(events=events, orders=orders, users=users)


def _period(t: pd.Series, grain: str) -> pd.Series:
    t = pd.to_datetime(t).dt.normalize()
    if grain == "day":
        return t
    if grain == "week":
        return t - pd.to_timedelta(t.dt.day_of_week, unit="D")
    return t.dt.to_period("M").dt.start_time


def _k(cohort: pd.Series, period: pd.Series, grain: str) -> pd.Series:
    if grain == "month":
        return (period.dt.year - cohort.dt.year) * 12 + period.dt.month - cohort.dt.month
    return (period - cohort).dt.days // (7 if grain == "week" else 1)


def brute_retention(ds, grain, start_event, return_event, mode, by):
    """{(cohort, group, k): (cohort size, users retained at k)}: :func:`brute_cell_users` counted,
    over the whole log."""
    t = ds.events["event_time"]
    cells = brute_cell_users(ds, grain, start_event, return_event, mode, by, t.min(), t.max())
    return {(cohort, group, k): (len(members), len(users))
            for (cohort, group), (members, by_k) in cells.items() for k, users in by_k.items()}


RET_CASES = [("month", "open", "pay", "on", None), ("week", None, None, "on_or_after", None),
             ("day", "cart", "view", "on", "channel"), ("week", "pay", "pay", "on_or_after", "channel"),
             ("month", None, "cart", "on_or_after", "channel")]


@pytest.mark.slow
@pytest.mark.parametrize("case", range(len(RET_CASES)))
def test_behaviour_retention_equals_brute_force(case):
    grain, start_event, return_event, mode, by = RET_CASES[case]
    for seed in range(4):
        ds = _ds(seed * 7 + case)
        res = opslab.retention(ds, grain, start_event=start_event, return_event=return_event, mode=mode, by=by,
                               top_n=10)
        truth = brute_retention(ds, grain, start_event, return_event, mode, by)
        got = {(c, g, k): (s, r) for c, g, k, s, r in res.frame[["cohort", "group", "k", "size", "retained"]]
               .itertuples(index=False)}
        assert got, (case, seed)
        for key, value in got.items():
            assert truth.get(key, (value[0], 0)) == value, (case, seed, key)
        sizes = {(c, g): s for (c, g, k), (s, r) in truth.items()}
        assert sizes == {(c, g): s for (c, g, k), (s, r) in got.items()}
        # the users behind a cell are as many as the cell says
        for row in res.frame[res.frame["retained"] > 0].head(4).itertuples():
            u = opslab.users(ds, res, cohort=row.cohort, k=row.k, group=row.group if by else None)
            assert u.count == row.retained


def brute_values(ds, measure, last):
    ev, od = ds.events, ds.orders
    ev = ev[ev["event_time"].dt.normalize() <= last]
    paid = od[(od["status"] == "paid") & (od["order_time"].dt.normalize() <= last)]
    active = pd.concat([ev[["user_id", "event_time"]].rename(columns={"event_time": "t"}),
                        paid[["user_id", "order_time"]].rename(columns={"order_time": "t"})])
    active["day"] = active["t"].dt.normalize()
    users = sorted(active["user_id"].unique())
    if measure == "events":
        v = ev.groupby("user_id").size()
    elif measure == "active_days":
        v = active.groupby("user_id")["day"].nunique()
    elif measure == "orders":
        v = paid.groupby("user_id").size()
    else:
        v = paid.groupby("user_id")["amount"].sum()
    return v.reindex(users).fillna(0).astype(float)


@pytest.mark.slow
@pytest.mark.parametrize("measure", ["events", "active_days", "orders", "spend"])
def test_distribution_equals_brute_force(measure):
    for seed in range(4):
        ds = _ds(100 + seed)
        last = pd.Timestamp(ds.end) - pd.Timedelta(days=10)
        res = opslab.distribution(ds, measure, as_of=last.date())
        v = brute_values(ds, measure, last)
        st = res.stats.iloc[0]
        assert st["users"] == len(v)
        assert st["mean"] == pytest.approx(v.mean())
        for p in (10, 25, 50, 75, 90):
            assert st[f"p{p}"] == pytest.approx(np.quantile(v, p / 100)), (measure, p)
        bins = res.frame
        assert bins["users"].sum() == len(v)
        for row in bins.itertuples():
            hi = np.inf if np.isnan(row.hi) else row.hi
            assert row.users == int(((v >= row.lo) & (v < hi)).sum()), (measure, row.label)
            if row.users:
                assert opslab.users(ds, res, bin=row.bin).count == row.users


def brute_interval(ds, a, b):
    ev = ds.events.reset_index(drop=True)
    out = {}
    for user, log in ev.groupby("user_id", sort=False):
        pos_a = log.index[log["event_name"] == a]
        if not len(pos_a):
            continue
        later = log.loc[(log.index > pos_a[0]) & (log["event_name"] == b)]
        t_a = log.loc[pos_a[0], "event_time"]
        out[user] = (later["event_time"].iloc[0] - t_a).total_seconds() if len(later) else np.nan
    return pd.Series(out, dtype=float)


@pytest.mark.slow
@pytest.mark.parametrize("pair", [("view", "pay"), ("cart", "cart"), ("pay", "open")])
def test_interval_equals_brute_force(pair):
    for seed in range(4):
        ds = _ds(200 + seed)
        res = opslab.interval(ds, pair, by="channel", top_n=10)
        truth = brute_interval(ds, *pair)
        groups = ds.users.set_index("user_id")["channel"].astype("object").reindex(truth.index).fillna("__none__")
        for g, st in res.stats.set_index("group").iterrows():
            mine = truth[groups == g]
            assert st["users"] == len(mine) and st["converted"] == mine.notna().sum(), (pair, g)
            done = mine.dropna()
            if len(done):
                assert st["p50"] == pytest.approx(np.quantile(done, 0.5))
                assert st["p90"] == pytest.approx(np.quantile(done, 0.9))
                assert st["mean"] == pytest.approx(done.mean())
        assert res.frame["users"].sum() == truth.notna().sum()
        for row in res.frame[res.frame["users"] > 0].head(3).itertuples():
            assert opslab.users(ds, res, bin=row.bin, group=row.group).count == row.users
        assert res.trend["users"].sum() == len(truth)


@pytest.mark.slow
def test_ltv_curve_equals_brute_force():
    for seed in range(4):
        ds = _ds(300 + seed)
        last = pd.Timestamp(ds.end)
        res = opslab.ltv_curve(ds, days=(0, 1, 7, 30, 60), by="channel", top_n=10)
        od = ds.orders[ds.orders["status"] == "paid"].copy()
        od["day"] = od["order_time"].dt.normalize()
        first = od.groupby("user_id")["day"].min().rename("a").reset_index()
        first["cohort"] = first["a"].dt.to_period("M").dt.start_time
        first["group"] = first["user_id"].map(ds.users.set_index("user_id")["channel"].astype("object")).fillna("__none__")
        od = od.merge(first, on="user_id")
        for row in res.frame.itertuples():
            members = first[(first["cohort"] == row.cohort) & (first["group"] == row.group)]
            seen = members[members["a"] + pd.Timedelta(days=row.n) <= last]
            mine = od[od["user_id"].isin(seen["user_id"]) & ((od["day"] - od["a"]).dt.days <= row.n)]
            assert row.users == len(seen) and row.size == len(members), (seed, row)
            assert row.revenue == pytest.approx(mine["amount"].sum()), (seed, row)


def test_kpi_and_tier_users_are_as_many_as_the_number():
    ds = _ds(400)
    k = opslab.kpis(ds, "month").frame
    for period in k.index[:3]:
        for kpi in ("active_users", "paying_users", "new_users"):
            assert opslab.users(ds, kpi, period=period, grain="month").count == k.loc[period, kpi], kpi
    days = opslab.kpis(ds, "day").frame
    day = days["dau"].idxmax()
    assert opslab.users(ds, "dau", period=day).count == days.loc[day, "dau"]
    seg = opslab.segment(ds).frame
    for tier, n in seg["tier"].value_counts().items():
        if n:
            assert opslab.users(ds, "tier", tier=tier, rules=opslab.segment(ds).rules).count == n
    f = opslab.funnel(ds, ["open", "view", "pay"], window_days=3)
    for step in (2, 3):
        assert opslab.users(ds, f, dropped_at=step).count == f.steps.loc[step - 1, "dropped"]
        assert opslab.users(ds, f, step=step).count == f.steps.loc[step - 1, "users"]
    p = opslab.paths(ds, "view", depth=3)
    for node in p.nodes.itertuples():
        assert opslab.users(ds, p, level=node.level, event=node.event).count == node.users
        assert opslab.users(ds, p, level=node.level, event=node.event, left=True).count == node.left


def test_user_profile_tells_one_users_story():
    events, orders, users = random_tables(500)
    ds = Dataset.from_tables(events=events, orders=orders, users=users)
    uid = events["user_id"].value_counts().index[0]
    p = opslab.user_profile(ds, uid)
    mine_ev = events[events["user_id"] == uid]
    mine_od = orders[orders["user_id"] == uid]
    s = p.summary.iloc[0]
    assert s["events"] == len(mine_ev)
    assert s["orders"] == (mine_od["status"] == "paid").sum()
    assert s["gmv"] == pytest.approx(mine_od.loc[mine_od["status"] == "paid", "amount"].sum())
    whole = pd.concat([p.timeline(page=i, per_page=7) for i in range(50)], ignore_index=True)
    assert len(whole) == len(mine_ev) + len(mine_od)
    assert whole["t"].is_monotonic_decreasing
    only = p.timeline(per_page=1000, events=["pay"], orders=False)
    assert len(only) == (mine_ev["event_name"] == "pay").sum()
    assert p.event_counts.set_index("name")["n"].to_dict() == mine_ev["event_name"].value_counts().to_dict()
    assert p.tiers["tier"].iloc[-1] == s["tier"]
    with pytest.raises(opslab.OpsLabError):
        opslab.user_profile(ds, "nobody")


def test_a_parquet_source_gives_the_same_answers(tmp_path):
    events, orders, users = random_tables(600)
    ds = Dataset.from_tables(events=events, orders=orders, users=users)
    src = connect(write_parquet_layout({"events": events, "orders": orders, "users": users}, tmp_path))
    a = opslab.retention(ds, "week", start_event="open", return_event="pay").frame
    b = opslab.retention(src, "week", start_event="open", return_event="pay").frame
    pd.testing.assert_frame_equal(a, b)
    for measure in ("events", "spend"):
        pd.testing.assert_frame_equal(opslab.distribution(ds, measure).frame, opslab.distribution(src, measure).frame)
    pd.testing.assert_frame_equal(opslab.interval(ds, ("view", "pay")).stats, opslab.interval(src, ("view", "pay")).stats)
    pd.testing.assert_frame_equal(opslab.ltv_curve(ds).frame, opslab.ltv_curve(src).frame)
    who = events["user_id"].value_counts().index[0]
    pa_, pb = opslab.user_profile(ds, who), opslab.user_profile(src, who)
    pd.testing.assert_frame_equal(pa_.timeline(per_page=500), pb.timeline(per_page=500))
    pd.testing.assert_frame_equal(pa_.event_counts, pb.event_counts)
    cols = ["uid", "user_id", "active_days", "events", "orders", "gmv", "tier"]
    pd.testing.assert_frame_equal(pa_.summary[cols], pb.summary[cols])


def test_bad_arguments_are_named():
    ds = _ds(700)
    with pytest.raises(ValueError):
        opslab.retention(ds, "year", start_event="open")
    with pytest.raises(ValueError):
        opslab.distribution(ds, "clicks")
    with pytest.raises(opslab.OpsLabError):
        opslab.distribution(ds, "events", by="no_such_column")
    with pytest.raises(TypeError):
        opslab.users(ds, 42)


def test_a_split_by_tier_lists_the_same_users_as_its_cells():
    ds = _ds(800)
    d = opslab.distribution(ds, "active_days", by="tier", top_n=10)
    seg = opslab.segment(ds).frame.set_index("user_id")["tier"]
    for row in d.frame[d.frame["users"] > 0].head(6).itertuples():
        u = opslab.users(ds, d, bin=row.bin, group=row.group)
        assert u.count == row.users
        assert set(u.frame["tier"]) == {row.group}
        assert (u.frame["user_id"].map(seg) == row.group).all()


def test_spend_and_ltv_are_net_of_refunds_as_gmv_is():
    """Main's refunds rule (net: a refund row is subtracted on its own day): the users' spend
    adds up to the catalogue's GMV, and LTV counts the refund; a log without amounts has no
    spend (NaN, never 0) and no spend distribution or LTV."""
    from opslab.behaviour import people
    from opslab.metrics import catalogue_values
    events, orders, users = random_tables(5)
    paid = orders[orders["status"] == "paid"].head(6)
    back = paid.assign(amount=-paid["amount"] / 2, order_time=paid["order_time"] + pd.Timedelta(days=1),
                       status="refunded", order_id=[f"r{i}" for i in range(len(paid))])
    ds = Dataset.from_tables(events=events, orders=pd.concat([orders, back], ignore_index=True), users=users)
    gross = Dataset.from_tables(events=events, orders=orders, users=users)
    gmv = catalogue_values.values(ds, "gmv", "month").sum()
    assert gmv < catalogue_values.values(gross, "gmv", "month").sum()
    every = people.user_table(ds, ds.users["uid"].to_numpy(), ds.end)
    assert every["gmv"].sum() == pytest.approx(gmv)
    dist = opslab.distribution(ds, "spend")
    assert float((dist.stats["mean"] * dist.stats["users"]).sum()) == pytest.approx(gmv)
    days = tuple(range(0, 150))
    assert (opslab.ltv_curve(ds, days=days).cells["revenue"].sum()
            < opslab.ltv_curve(gross, days=days).cells["revenue"].sum())
    plain = Dataset.from_tables(events=events, users=users)
    assert not plain.has_amounts
    assert people.user_table(plain, [0, 1], plain.end)["gmv"].isna().all()
    for call in (lambda: opslab.distribution(plain, "spend"), lambda: opslab.ltv_curve(plain)):
        with pytest.raises(opslab.OpsLabError):
            call()
    assert opslab.distribution(plain, "orders").stats["users"].sum() > 0


def brute_cell_users(ds, grain, start_event, return_event, mode, by, start, as_of):
    """Per (cohort, group): its users, and per k the users retained at k, by the module's
    definition read on the raw events (plain pandas)."""
    stop = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    ev = ds.events[["user_id", "event_time", "event_name"]]
    ev = ev[ev["event_time"] < stop]
    starts = ev if start_event is None else ev[ev["event_name"] == start_event]
    t0 = starts.groupby("user_id")["event_time"].min().rename("t0").reset_index()
    t0 = t0[t0["t0"] >= pd.Timestamp(start)]
    t0["cohort"] = _period(t0["t0"], grain)
    groups = ds.users.set_index("user_id")[by].astype("object") if by else None
    t0["group"] = "__all__" if by is None else t0["user_id"].map(groups).fillna("__none__").to_numpy()
    rets = ev if return_event is None else ev[ev["event_name"] == return_event]
    r = rets.merge(t0, on="user_id")
    r = r[r["event_time"] >= r["t0"]]
    r["k"] = _k(r["cohort"], _period(r["event_time"], grain), grain)
    out = {}
    for (cohort, group), members in t0.groupby(["cohort", "group"]):
        mine = r[r["user_id"].isin(members["user_id"])]
        last = mine.groupby("user_id")["k"].max()
        cells = {}
        for k in range(0, 13):
            cells[k] = (set(mine.loc[mine["k"] == k, "user_id"]) if mode == "on"
                        else set(last.index[last >= k]))
        out[(cohort, group)] = (set(members["user_id"]), cells)
    return out


CELL_CASES = [("week", "open", "pay", "on", None, 0, 0), ("month", "view", "pay", "on_or_after", "channel", 20, 10),
              ("day", None, "cart", "on", None, 10, 30), ("week", "pay", None, "on_or_after", None, 35, 0)]


@pytest.mark.parametrize("case", range(len(CELL_CASES)))
def test_the_users_behind_every_retention_cell_are_the_brute_force_users(case):
    """Every cell's list (and every whole cohort) is the very set of users the definition
    counts, with a later first day and an earlier as-of day than the data's (the cells read
    each user's first start event, made once per data set, and one semi-join on the return
    event), in memory and (unsplit) on a Parquet source."""
    import tempfile
    grain, start_event, return_event, mode, by, late, early = CELL_CASES[case]
    events, orders, users = random_tables(900 + case, n_users=30, days=90)
    ds = Dataset.from_tables(events=events, orders=orders, users=users)
    start = (pd.Timestamp(ds.start) + pd.Timedelta(days=late)).date()
    as_of = pd.Timestamp(ds.end) - pd.Timedelta(days=early)
    truth = brute_cell_users(ds, grain, start_event, return_event, mode, by, pd.Timestamp(start), as_of)
    with tempfile.TemporaryDirectory() as tmp:
        src = connect(write_parquet_layout({"events": events, "orders": orders, "users": users}, tmp))
        for data in (ds, src) if by is None else (ds,):  # a source's users carry no attributes
            res = opslab.retention(data, grain, start_event=start_event, return_event=return_event, mode=mode,
                                   by=by, top_n=10, start=start, as_of=as_of.date())
            assert sorted({(c, g) for c, g in res.frame[["cohort", "group"]].itertuples(index=False)}) \
                == sorted(truth)
            checked = 0
            for row in res.frame.itertuples():
                members, cells = truth[(row.cohort, row.group)]
                group = row.group if by else None
                if row.k == 0:
                    whole = opslab.users(data, res, cohort=row.cohort, k=None, group=group)
                    assert set(whole.frame["user_id"]) == members
                got = opslab.users(data, res, cohort=row.cohort, k=row.k, group=group)
                assert set(got.frame["user_id"]) == cells[row.k], (row.cohort, row.group, row.k)
                assert got.count == row.retained
                checked += bool(row.retained)
            assert checked > 3


def test_period_measures_are_the_feature_tables_windows():
    """The distribution's per-user values of a period ending on the as-of day are the per-user
    feature table's windowed figures (one definition): active days and paid orders in the last N
    days; its GMV is the table's paid amount in the window less the refund rows (so it is named
    gmv, not spend); "spend" still names the same measure."""
    from opslab.behaviour import explore as ex
    from opslab.dataset import features
    events, orders, users = random_tables(5)
    paid = orders[orders["status"] == "paid"].head(6)
    back = paid.assign(amount=-paid["amount"] / 2, order_time=paid["order_time"] + pd.Timedelta(days=1),
                       status="refunded", order_id=[f"r{i}" for i in range(len(paid))])
    ds = Dataset.from_tables(events=events, orders=pd.concat([orders, back], ignore_index=True), users=users)
    n = 40
    start = pd.Timestamp(ds.end) - pd.Timedelta(days=n - 1)
    params = {"start": start, "stop": pd.Timestamp(ds.end) + pd.Timedelta(days=1)}
    f = features.user_features(ds, ds.end, activity_days=(n,), paid_windows=((0, n),)).set_index("uid")
    got = {m: ds.engine.sql(ex.per_user_values(ds, f"explore_v_{m}", params)).set_index("uid")["v"]
           for m in ("active_days", "orders", "gmv")}
    active = f.index[f[features.activity_column(n)] > 0]
    assert len(active) > 10 and set(got["active_days"].index) == set(active)
    orders_n, spend_n = features.paid_columns(0, n)
    np.testing.assert_array_equal(got["active_days"].loc[active], f.loc[active, features.activity_column(n)])
    np.testing.assert_array_equal(got["orders"].loc[active], f.loc[active, orders_n])
    gap = f.loc[active, spend_n] - got["gmv"].loc[active]
    assert (gap >= -1e-9).all() and gap.sum() > 0  # the refunds in the window, nothing else
    assert opslab.distribution(ds, "spend").measure == opslab.distribution(ds, "gmv").measure == "gmv"
