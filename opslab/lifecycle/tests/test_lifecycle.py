"""Lifecycle tiers: each rule one day either side of its threshold, features and the four-state
lifecycle against brute-force pandas, transitions conserve users, rules never lose a user."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opslab.lifecycle import tiers as lc
from opslab.dataset.dataset import Dataset
from tests.random_logs import random_activity

D = dt.date(2024, 6, 30)  # as_of of the hand-built cases; offsets are days before D


def ts(offset: int, hour: int = 10) -> pd.Timestamp:
    return pd.Timestamp(D) - pd.Timedelta(days=offset) + pd.Timedelta(hours=hour)


def hand_dataset(spec: dict) -> Dataset:
    """spec: user -> (signup offset, active offsets, [(order offset, amount)])."""
    users, events, orders = [], [], []
    for uid, (signup, active, paid) in spec.items():
        users.append((uid, ts(signup, 0)))
        events += [(uid, ts(o)) for o in active]
        orders += [(uid, ts(o, 12), a, "paid") for o, a in paid]
    orders.append(("anchor", ts(0, 12), 5.0, "refunded"))  # refunds never count as spend
    return Dataset.from_tables(
        users=pd.DataFrame(users, columns=["user_id", "signup_time"]),
        events=pd.DataFrame(events, columns=["user_id", "event_time"]),
        orders=pd.DataFrame(orders, columns=["user_id", "order_time", "amount", "status"]))


OLD = 200
CASES = {
    # churned: days_since_last_active >= 30
    "churn_29": ((OLD, [OLD, 29], []), "churn_warning"),
    "churn_30": ((OLD, [OLD, 30], []), "churned"),
    "never_active_40": ((40, [], []), "churned"),
    "future_only": ((OLD, [OLD, 35, -5], []), "churned"),  # activity after as_of is unseen
    # new: tenure < 14; silent_new: no activity after the signup day
    "new_13": ((13, [13, 0], []), "new"),
    "new_14": ((14, [14, 0], []), "active"),
    "silent_13": ((13, [13], []), "silent_new"),
    "silent_13_next_day": ((13, [13, 12], []), "new"),
    "silent_14": ((14, [14], []), "churn_warning"),
    "silent_no_events": ((5, [], []), "silent_new"),
    "signup_today": ((0, [0], []), "silent_new"),
    # churn warning by recency: days_since_last_active >= 14
    "recency_13": ((OLD, [OLD, 13], []), "active"),
    "recency_14": ((OLD, [OLD, 14], []), "churn_warning"),
    # churn warning by drop: last 14 = offsets 0..13, previous 14 = offsets 14..27
    "drop_2_of_4": ((OLD, [OLD, 0, 1, 14, 15, 16, 17], []), "churn_warning"),
    "drop_3_of_4": ((OLD, [OLD, 0, 1, 2, 14, 15, 16, 17], []), "active"),
    "drop_prior_3": ((OLD, [OLD, 0, 14, 15, 16], []), "active"),
    "drop_prior_day_27": ((OLD, [OLD, 0, 1, 14, 15, 16, 27], []), "churn_warning"),
    "drop_prior_day_28": ((OLD, [OLD, 0, 1, 14, 15, 16, 28], []), "active"),
    "drop_recent_day_13": ((OLD, [OLD, 0, 13, 14, 15, 16, 17], []), "churn_warning"),
    # high value: paid in the last 90 days (offsets 0..89) and spend_90 / 3 >= 200
    "spend_600": ((OLD, [OLD, 0], [(0, 600.0)]), "high_value"),
    "spend_599": ((OLD, [OLD, 0], [(0, 599.99)]), "payer"),
    "spend_two_orders": ((OLD, [OLD, 0], [(0, 300.0), (50, 300.0)]), "high_value"),
    "paid_day_89": ((OLD, [OLD, 0], [(89, 1000.0)]), "high_value"),
    "paid_day_90": ((OLD, [OLD, 0], [(90, 1000.0)]), "active"),
    # potential payer: no payment in 90 days and >= 8 active days in the last 30 (offsets 0..29)
    "potential_8": ((OLD, [OLD, *range(8)], []), "potential_payer"),
    "potential_7": ((OLD, [OLD, *range(7)], []), "active"),
    "potential_day_29": ((OLD, [OLD, *range(7), 29], []), "potential_payer"),
    "potential_day_30": ((OLD, [OLD, *range(7), 30], []), "active"),
    "potential_but_paid": ((OLD, [OLD, *range(8)], [(3, 10.0)]), "payer"),
}


@pytest.fixture(scope="module")
def hand():
    return hand_dataset({u: spec for u, (spec, _) in CASES.items()})


def test_every_threshold_one_day_either_side(hand):
    seg = lc.segment(hand, as_of=D).set_index("user_id")
    got = {u: seg.loc[u, "tier"] for u in CASES}
    assert got == {u: want for u, (_, want) in CASES.items()}


def test_hand_features(hand):
    extra = hand_dataset({"f": (OLD, [OLD, 0, 13, 14, 27, 28, 29, 30], [(0, 90.0), (89, 30.0), (90, 7.0)])})
    f = lc.segment(extra, as_of=D).set_index("user_id").loc["f"]
    assert (f["days_since_last_active"], f["active_days_14"], f["active_days_prev_14"]) == (0, 2, 2)
    assert (f["active_days_28"], f["active_days_30"], f["orders_90"], f["tenure_days"]) == (4, 6, 2, OLD)
    assert f["spend_90"] == pytest.approx(120.0) and f["monthly_spend_90"] == pytest.approx(40.0)
    assert f["has_paid_ever"]


def test_order_of_rules_churned_beats_new(hand):
    rules = lc.LifecycleRules(new_days=60)
    seg = lc.segment(hand, rules, as_of=D).set_index("user_id")
    assert seg.loc["never_active_40", "tier"] == "churned"
    assert seg.loc["silent_14", "tier"] == "silent_new"  # with new_days=60 it is still new


def test_not_yet_registered_users_are_left_out(hand):
    seg = lc.segment(hand, as_of=D - dt.timedelta(days=14))
    assert "new_13" not in set(seg["user_id"]) and "new_14" in set(seg["user_id"])


# -- features against brute force ------------------------------------------------------------
def brute_features(events, orders, as_of: dt.date, w: int, p: int, v: int) -> pd.DataFrame:
    paid = orders[orders["status"] == "paid"]
    signup = pd.concat([events.groupby("user_id")["event_time"].min(),
                        orders.groupby("user_id")["order_time"].min()], axis=1).min(axis=1)
    rows = []
    for user, s in signup.items():
        sday = s.date()
        if sday > as_of:
            continue
        days = {t.date() for t in events.loc[events["user_id"] == user, "event_time"]}
        days |= {t.date() for t in paid.loc[paid["user_id"] == user, "order_time"]}
        days = {d for d in days if d <= as_of}
        age = [(as_of - d).days for d in days]
        mine = paid[(paid["user_id"] == user) & (paid["order_time"].dt.date <= as_of)]
        recent = mine[(as_of - mine["order_time"].dt.date).map(lambda x: x.days) < v]
        rows.append({
            "user_id": user,
            "days_since_last_active": (as_of - max(days | {sday})).days,
            f"active_days_{w}": sum(a < w for a in age),
            f"active_days_prev_{w}": sum(w <= a < 2 * w for a in age),
            f"active_days_{2 * w}": sum(a < 2 * w for a in age),
            f"active_days_{p}": sum(a < p for a in age),
            f"spend_{v}": recent["amount"].sum(), f"monthly_spend_{v}": recent["amount"].sum() * 30 / v,
            f"orders_{v}": len(recent), "tenure_days": (as_of - sday).days, "has_paid_ever": len(mine) > 0,
        })
    return pd.DataFrame(rows).set_index("user_id").sort_index()


@pytest.mark.parametrize("seed,offset,windows", [(1, 80, (14, 30, 90)), (2, 119, (7, 10, 30)), (3, 40, (5, 5, 10))])
def test_features_equal_brute_force(seed, offset, windows):
    events, orders = random_activity(n_users=50, days=120, seed=seed)
    ds = Dataset.from_tables(events=events, orders=orders)
    as_of = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=offset)).date()
    w, p, v = windows
    rules = lc.LifecycleRules(warning_window=w, potential_window_days=p, value_window_days=v)
    got = lc.segment(ds, rules, as_of).set_index("user_id").sort_index()
    want = brute_features(events, orders, as_of, w, p, v)
    assert list(got.index) == list(want.index)
    for col in want.columns:
        np.testing.assert_allclose(got[col].to_numpy(dtype=float), want[col].to_numpy(dtype=float),
                                   err_msg=col)


def test_threshold_change_reuses_features(hand, monkeypatch):
    calls = []
    run = hand.engine.run
    monkeypatch.setattr(hand.engine, "run", lambda name, **kw: calls.append(name) or run(name, **kw))
    day = D - dt.timedelta(days=3)
    lc.segment(hand, lc.LifecycleRules(), day)
    lc.segment(hand, lc.LifecycleRules(churn_days=10, high_value_monthly_spend=1.0, warning_drop=0.9), day)
    assert calls.count("user_features") == 1
    lc.segment(hand, lc.LifecycleRules(potential_window_days=20), day)
    assert calls.count("user_features") == 2


# -- rules: first match wins, disjoint and covering --------------------------------------------
def reference_tier(r: dict, rules: lc.LifecycleRules) -> str:
    """The rules one user at a time, straight from docs/DEFINITIONS.md §4."""
    if r["days_since_last_active"] >= rules.churn_days:
        return "churned"
    if r["tenure_days"] < rules.new_days:
        return "silent_new" if r["days_since_last_active"] == r["tenure_days"] else "new"
    prev, now = r["active_days_prev_14"], r["active_days_14"]
    if r["days_since_last_active"] >= rules.warning_days or (
            prev >= rules.warning_min_prior_days and now <= rules.warning_drop * prev):
        return "churn_warning"
    if r["orders_90"] > 0:
        return "high_value" if r["spend_90"] / 3 >= rules.high_value_monthly_spend else "payer"
    return "potential_payer" if r["active_days_30"] >= rules.potential_active_days else "active"


rules_strategy = st.builds(
    lc.LifecycleRules, churn_days=st.integers(0, 60), new_days=st.integers(0, 30),
    warning_days=st.integers(0, 40), warning_drop=st.floats(0, 1), warning_min_prior_days=st.integers(0, 14),
    high_value_monthly_spend=st.floats(0, 500), potential_active_days=st.integers(0, 30))


@st.composite
def feature_rows(draw):
    n = draw(st.integers(1, 30))
    tenure = np.array(draw(st.lists(st.integers(0, 200), min_size=n, max_size=n)))
    since = np.minimum(np.array(draw(st.lists(st.integers(0, 200), min_size=n, max_size=n))), tenure)
    small = st.lists(st.integers(0, 14), min_size=n, max_size=n)
    spend = np.array(draw(st.lists(st.sampled_from([0.0, 10.0, 599.0, 600.0, 2000.0]), min_size=n, max_size=n)))
    return pd.DataFrame({"days_since_last_active": since, "tenure_days": tenure,
                         "active_days_14": draw(small), "active_days_prev_14": draw(small),
                         "active_days_30": np.array(draw(small)) * 2, "orders_90": (spend > 0).astype(int),
                         "spend_90": spend, "monthly_spend_90": spend / 3})


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(feature_rows(), rules_strategy)
def test_assign_tiers_matches_the_rules_one_by_one(features, rules):
    got = lc.assign_tiers(features, rules)
    assert got.notna().all() and set(got) <= set(lc.TIERS)
    assert list(got) == [reference_tier(r, rules) for r in features.to_dict("records")]


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(0, 59), rules_strategy)
def test_tiers_cover_every_registered_user_once(seed, offset, rules):
    events, orders = random_activity(n_users=15, days=60, seed=seed)
    ds = Dataset.from_tables(events=events, orders=orders)
    as_of = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=offset)).date()
    seg = lc.segment(ds, rules, as_of)
    registered = ds.users.loc[ds.users["signup_time"].dt.date <= as_of, "user_id"]
    assert sorted(seg["user_id"]) == sorted(registered)
    assert seg["tier"].notna().all()
    assert lc.tier_counts(seg["tier"]).sum() == len(registered)


# -- snapshots and transitions -------------------------------------------------------------------
@pytest.fixture(scope="module")
def random_ds():
    events, orders = random_activity(n_users=120, days=150, seed=5)
    return Dataset.from_tables(events=events, orders=orders)


def test_snapshot_dates(random_ds):
    months = lc.snapshot_dates(random_ds, "month", n=None)
    assert months[0] == dt.date(2024, 1, 31) and months[-1] == random_ds.end
    assert all(d.month != (d + dt.timedelta(days=1)).month for d in months[:-1])
    weeks = lc.snapshot_dates(random_ds, "week", n=4)
    assert len(weeks) == 4 and all(d.weekday() == 6 for d in weeks[:-1])


def test_transitions_conserve_users(random_ds):
    rules = lc.LifecycleRules()
    dates = lc.snapshot_dates(random_ds, "month", n=None)
    history = lc.tier_history(random_ds, rules, dates)
    snaps = lc.snapshot_counts(history)
    for a, b in zip(dates[:-1], dates[1:]):
        counts, rates = lc.transition_matrix(history[a].to_numpy(), history[b].to_numpy())
        assert (counts.drop(index=lc.NOT_YET).sum(axis=1) == snaps.loc[a]).all()
        assert (counts.sum(axis=0) == snaps.loc[b]).all()
        assert counts.loc[lc.NOT_YET].sum() == snaps.loc[b].sum() - snaps.loc[a].sum()
        full = rates.dropna()
        np.testing.assert_allclose(full.sum(axis=1), 1.0)
        # independent: cross-tabulate two segment() calls by user
        sa = lc.segment(random_ds, rules, a)[["user_id", "tier"]]
        sb = lc.segment(random_ds, rules, b)[["user_id", "tier"]]
        both = sb.merge(sa, on="user_id", how="left", suffixes=("_b", "_a"))
        both["tier_a"] = both["tier_a"].astype("str").where(both["tier_a"].notna(), lc.NOT_YET)
        want = pd.crosstab(both["tier_a"], both["tier_b"].astype("str"))
        want = want.reindex(index=[lc.NOT_YET, *lc.TIERS], columns=list(lc.TIERS), fill_value=0)
        assert (counts.to_numpy() == want.to_numpy()).all()


def test_flows_between_any_two_days(random_ds):
    counts, _ = lc.flows(random_ds, lc.LifecycleRules(), dt.date(2024, 5, 1), dt.date(2024, 3, 3))
    n_a = (random_ds.users["signup_time"].dt.date <= dt.date(2024, 3, 3)).sum()
    n_b = (random_ds.users["signup_time"].dt.date <= dt.date(2024, 5, 1)).sum()
    assert counts.drop(index=lc.NOT_YET).to_numpy().sum() == n_a and counts.to_numpy().sum() == n_b


# -- four-state lifecycle ------------------------------------------------------------------------
def brute_states(events, orders, grain: str, as_of: dt.date) -> pd.DataFrame:
    paid = orders.loc[orders["status"] == "paid", ["user_id", "order_time"]]
    acts = pd.concat([events[["user_id", "event_time"]],
                      paid.rename(columns={"order_time": "event_time"})])
    acts = acts[acts["event_time"].dt.date <= as_of]
    step = pd.DateOffset(weeks=1) if grain == "week" else pd.DateOffset(months=1)

    def start(t):
        t = t.normalize()
        return t - pd.Timedelta(days=t.day_of_week) if grain == "week" else t.replace(day=1)
    per_user = acts.groupby("user_id")["event_time"].apply(lambda s: {start(t) for t in s})
    first_period = min(min(p) for p in per_user)
    periods = []
    p = first_period
    while p <= start(pd.Timestamp(as_of)):
        periods.append(p)
        p = p + step
    rows = []
    for p in periods:
        prev = p - step
        c = dict(new=0, returning=0, resurrecting=0, dormant=0)
        for active in per_user:
            if p in active:
                if min(active) == p:
                    c["new"] += 1
                elif prev in active:
                    c["returning"] += 1
                else:
                    c["resurrecting"] += 1
            elif prev in active:
                c["dormant"] -= 1
        rows.append({"period": p, **c})
    return pd.DataFrame(rows).set_index("period")


@pytest.mark.parametrize("grain,as_of", [("week", dt.date(2024, 5, 29)), ("month", dt.date(2024, 5, 29)),
                                         ("month", dt.date(2024, 3, 31))])
def test_four_state_lifecycle_equals_brute_force(grain, as_of):
    events, orders = random_activity(n_users=80, days=150, seed=9)
    ds = Dataset.from_tables(events=events, orders=orders)
    got = lc.activity_lifecycle(ds, grain, as_of)
    want = brute_states(events, orders, grain, as_of)
    want = want[(want != 0).any(axis=1)]  # periods with nobody in any state have no row
    pd.testing.assert_frame_equal(got, want, check_names=False, check_freq=False, check_index_type=False)


def test_tier_profile_by_hand(hand):
    seg = lc.segment(hand, as_of=D)
    prof = lc.tier_profile(seg)
    hv = seg[seg["tier"] == "high_value"]
    assert prof.loc["high_value", "users"] == len(hv) == 3
    assert prof.loc["high_value", "arppu"] == pytest.approx((600 + 600 + 1000) / 3)
    assert prof.loc["high_value", "spend_share"] == pytest.approx(2200 / (2200 + 599.99 + 10))
    assert prof["share"].sum() == pytest.approx(1.0)
    assert prof.loc["churned", "active_share"] == 0.0
    assert np.isnan(prof.loc["active", "arppu"])  # nobody in "active" paid in 90 days


def test_rules_reject_nonsense():
    with pytest.raises(ValueError):
        lc.LifecycleRules(warning_window=0)
    with pytest.raises(ValueError):
        lc.LifecycleRules(churn_days=-1)


def test_tier_m1_retention_matches_a_hand_count():
    ev = pd.DataFrame({"user_id": ["a", "a", "b", "c", "c", "d"],
                       "event_time": pd.to_datetime(["2024-01-10", "2024-02-03", "2024-01-20", "2024-01-31",
                                                     "2024-03-02", "2024-03-30"])})
    ds = Dataset.from_tables(events=ev)
    m1 = lc.user_m1(ds, "2024-03-31")
    uid = dict(zip(ds.users["user_id"], ds.users["uid"]))
    # a: Jan signup, active in Feb -> True; b, c: Jan signups, no February activity -> False;
    # d: March signup, month 1 (April) not over -> no value.
    assert m1.to_dict() == {uid["a"]: True, uid["b"]: False, uid["c"]: False}
    seg = lc.segment(ds, as_of="2024-03-31")
    prof = lc.tier_profile(seg, lc.LifecycleRules(), m1)
    by_tier = seg.assign(m1=seg["uid"].map(m1)).groupby("tier", observed=True)["m1"].apply(
        lambda s: s.dropna().astype(float).mean())
    for tier, value in by_tier.items():
        assert prof.loc[tier, "m1_retention"] == pytest.approx(value, nan_ok=True)
