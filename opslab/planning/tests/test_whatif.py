"""whatif + driver_tree: identity, goal-seek, P(hit) monotone, lifecycle projection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.planning import driver_tree as dtree
from opslab.lifecycle import tiers as lc
from opslab.planning import whatif as wi
from opslab.dataset import load as loader
from opslab.dataset.dataset import Dataset
from opslab.models.forecast import ForecastConfig, KPIForecaster


@pytest.fixture(scope="module")
def ds(activity):
    events, orders = activity
    return Dataset.from_tables(events=events, orders=orders)


def brute_force_drivers(events, orders, start, end, prev_start):
    """Pandas version of the driver definitions, independent of the SQL."""
    ev = events.assign(day=events["event_time"].dt.normalize())
    paid = orders[orders["status"] == "paid"].assign(day=lambda o: o["order_time"].dt.normalize())
    act_days = pd.concat([ev[["user_id", "day"]], paid[["user_id", "day"]]])
    signup = ev.groupby("user_id")["day"].min()  # no users table: signup = first event
    s, e, p = pd.Timestamp(start), pd.Timestamp(end), pd.Timestamp(prev_start)
    active = set(act_days.loc[act_days["day"].between(s, e), "user_id"])
    prev = set(act_days.loc[(act_days["day"] >= p) & (act_days["day"] < s), "user_id"])
    new = {u for u in active if s <= signup[u] <= e}
    retained = {u for u in active - new if u in prev}
    in_period = paid[paid["day"].between(s, e)]
    registered_before = {u for u, d in signup.items() if d < s}
    return dict(retained=len(retained), new=len(new), recovered=len(active - new - retained),
                paying_users=in_period["user_id"].nunique(), gmv=in_period["amount"].sum(),
                prev_active=len(prev), lapsed=len(registered_before - prev))


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_driver_base_matches_brute_force_and_identity(ds, activity, grain):
    base = dtree.driver_base(ds, grain)
    start, end = (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-31")) if grain == "month" \
        else (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-31"))
    assert (pd.Timestamp(base.start), pd.Timestamp(base.end)) == (start, end)  # data end 2024-04-29
    prev = start - pd.DateOffset(months=1 if grain == "month" else 3)
    expected = brute_force_drivers(*activity, start, end, prev)
    for k, v in expected.items():
        assert getattr(base, k) == pytest.approx(v, rel=1e-12), k
    # identity: active users x paid rate x ARPPU == GMV of the base period
    product = base.active_users * base.paid_rate * base.arppu
    assert product == pytest.approx(expected["gmv"], rel=1e-9)
    assert dtree.tree_values(base)["gmv"] == pytest.approx(expected["gmv"], rel=1e-9)


def test_tree_recomputes_product_for_arbitrary_changes(ds):
    base = dtree.driver_base(ds, "month")
    rng = np.random.default_rng(1)
    for _ in range(50):
        ch = dict(zip(dtree.DRIVERS, rng.uniform(-0.5, 1.0, len(dtree.DRIVERS))))
        v = dtree.tree_values(base, ch)
        active = sum(base.drivers()[d] * (1 + ch[d]) for d in dtree.ADDITIVE)
        expected = active * base.paid_rate * (1 + ch["paid_rate"]) * base.arppu * (1 + ch["arppu"])
        assert v["gmv"] == pytest.approx(expected, rel=1e-12)
        assert v["gmv"] == pytest.approx(v["active_users"] * v["paid_rate"] * v["arppu"], rel=1e-12)


@pytest.mark.parametrize("driver", dtree.DRIVERS)
@pytest.mark.parametrize("goal", [1.25, 0.9])
def test_goal_seek_hits_target_exactly(ds, driver, goal):
    base = dtree.driver_base(ds, "month")
    held = {"paid_rate": 0.05, "new": -0.1} if driver not in ("paid_rate", "new") else {"arppu": 0.03}
    target = base.gmv * goal
    x = dtree.goal_seek(base, driver, target, held)
    lo, hi = dtree.lever_range(base, driver)
    top = min(hi, 1e6)
    if (dtree.tree_values(base, held | {driver: -1.0})["gmv"] > target  # unreachable by cuts
            or dtree.tree_values(base, held | {driver: top})["gmv"] < target):  # nor in range
        assert np.isnan(x)
        return
    assert np.isfinite(x) and lo <= x <= hi
    got = dtree.tree_values(base, held | {driver: x})["gmv"]
    assert abs(got / target - 1) < 1e-6


def test_goal_seek_other_nodes_and_impossible():
    base = dtree.DriverBase(None, None, "month", 600, 300, 100, 100, 20_000.0)
    x = dtree.goal_seek(base, "retained", 1100, node="active_users")
    assert 600 * (1 + x) + 400 == pytest.approx(1100, rel=1e-9)  # hand: +1/6
    assert x == pytest.approx(1 / 6, rel=1e-9)
    assert dtree.goal_seek(base, "paid_rate", 150, node="paying_users") == pytest.approx(0.5)
    assert np.isnan(dtree.goal_seek(base, "recovered", 5_000.0))  # others alone exceed it
    assert np.isnan(dtree.goal_seek(base, "arppu", 1.0, node="active_users"))


def test_goal_seek_stays_within_each_levers_possible_range():
    # the case: the paid rate is already 100 %, so no paid-rate change raises GMV
    full = dtree.DriverBase(None, None, "month", 80, 15, 5, 100, 20_000.0, 90, 400)
    assert full.paid_rate == 1.0 and dtree.lever_range(full, "paid_rate") == (-1.0, 0.0)
    assert np.isnan(dtree.goal_seek(full, "paid_rate", 20_000.0 * 1.445))
    assert dtree.goal_seek(full, "paid_rate", 10_000.0) == pytest.approx(-0.5)  # cuts are fine
    # retained users cannot outnumber last period's 90 active users: at most +12.5 %
    assert dtree.lever_range(full, "retained") == (-1.0, pytest.approx(90 / 80 - 1))
    reach = dtree.tree_values(full, {"retained": 0.125})["gmv"]
    assert dtree.goal_seek(full, "retained", reach) == pytest.approx(0.125)
    assert np.isnan(dtree.goal_seek(full, "retained", reach + 1.0))
    # recovered users cannot outnumber the 400 lapsed ones; new users and ARPPU are unbounded
    assert dtree.lever_range(full, "recovered")[1] == pytest.approx(400 / 5 - 1)
    assert dtree.lever_range(full, "new")[1] == dtree.lever_range(full, "arppu")[1] == np.inf


def test_rank_levers_by_effort_against_their_own_history():
    base = dtree.DriverBase(None, None, "month", 600, 300, 100, 500, 50_000.0, 900, 2000)
    history = pd.DataFrame({  # five months of driver values
        "retained": [560, 580, 590, 610, 600], "new": [200, 300, 250, 350, 300],
        "recovered": [90, 110, 95, 105, 100], "paid_rate": [0.45, 0.5, 0.48, 0.52, 0.5],
        "arppu": [100, 100, 100, 100.0, 100]})
    goal = 55_000.0  # +10 % GMV
    out = wi.rank_levers(base, goal, "gmv", history=history).set_index("lever")
    # hand: multiplicative levers need +10 %; an additive one needs 100 more active users
    assert out.loc["paid_rate", "change"] == pytest.approx(0.1)
    assert out.loc["arppu", "change"] == pytest.approx(0.1)
    assert out.loc["new", "change"] == pytest.approx(100 / 300)
    assert out.loc["recovered", "change"] == pytest.approx(1.0)
    assert out.loc["retained", "status"] == "ok"  # 700 <= 900 active last month
    for lever in ("new", "paid_rate", "retained", "recovered"):
        v = history[lever].to_numpy(float)
        sd = np.std(np.log(v[1:] / v[:-1]), ddof=1)
        assert out.loc[lever, "typical_move"] == pytest.approx(sd)
        assert out.loc[lever, "effort"] == pytest.approx(abs(np.log1p(out.loc[lever, "change"])) / sd)
    assert np.isnan(out.loc["arppu", "effort"])  # it never moved: no typical move to compare
    ranked = out[out["status"] == "ok"].sort_values("rank")
    assert list(ranked.index[:4]) == list(out.loc[["new", "paid_rate", "retained", "recovered"],
                                                  "effort"].sort_values().index)
    assert ranked.index[-1] == "arppu"  # levers without a history rank after measured ones
    # a gap no single lever closes within its range is reported, not solved
    far = wi.rank_levers(base, 500_000.0, "gmv", history=history).set_index("lever")
    assert far.loc["paid_rate", "status"] == "out_of_range" and np.isnan(far.loc["paid_rate", "change"])
    assert far.loc["paid_rate", "max_change"] == pytest.approx(1.0)  # 50 % -> at most 100 %
    assert far.loc["arppu", "status"] == "ok"
    users = wi.rank_levers(base, 1_100, "active_users").set_index("lever")
    assert users.loc["arppu", "status"] == "no_effect" and users.loc["new", "change"] == pytest.approx(1 / 3)


@pytest.fixture(scope="module")
def fitted():
    idx = pd.date_range("2024-01-01", periods=140, freq="D")
    rng = np.random.default_rng(0)
    y = pd.Series(1000 + 200 * (idx.day_of_week >= 5) + rng.normal(0, 50, len(idx)), index=idx)
    cfg = ForecastConfig(horizon=28, grain="day", models=("seasonal_naive", "ets"), market=None,
                         n_paths=400)
    return y, KPIForecaster(cfg).fit(y)


def test_p_hit_falls_as_target_rises(fitted):
    y, res = fitted
    paths, index = res.sample_paths(), res.future_index()
    assert paths.shape == (400, 28) and index[0] == pd.Timestamp("2024-05-20")
    base = wi.outlook_from_paths(paths, index, wi.Window("gmv", index[0], index[-1], 0.0))
    assert base.p_hit == 1.0
    assert base.forecast == pytest.approx(paths.sum(axis=1).mean())
    values = np.linspace(0.8, 1.2, 21) * base.forecast
    probs = [wi.outlook_from_paths(paths, index, wi.Window("gmv", index[0], index[-1], v)).p_hit
             for v in values]
    assert all(a >= b for a, b in zip(probs, probs[1:]))
    assert probs[0] > 0.95 and probs[-1] < 0.05
    # independent count of the middle target
    assert probs[10] == pytest.approx(np.mean(paths.sum(axis=1) >= values[10]))


def test_target_outlook_mean_kpi_and_observed_days(fitted):
    y, res = fitted
    paths, index = res.sample_paths(10), res.future_index(10)
    assert paths.shape[1] == 10 and index[-1] == index_end(y, 10)
    tgt = wi.Window("dau", y.index[-4], index[-1], 1000.0)  # 4 observed + 10 future days
    out = wi.outlook_from_paths(paths, index, tgt, history=y)
    assert (out.n_periods, out.n_observed) == (14, 4)
    expected = (y.iloc[-4:].sum() + paths.sum(axis=1)) / 14
    np.testing.assert_allclose(out.totals, expected)
    assert out.p_hit == pytest.approx(np.mean(expected >= 1000.0))
    assert out.gap == pytest.approx(1000.0 - expected.mean())


def index_end(y, n):
    return y.index[-1] + pd.Timedelta(days=n)


def test_no_default_target_and_no_odds_without_a_target():
    """OpsLab never invents a target: there is no "forecast + 10 %", and a window without a
    target value gets no P(hit)."""
    assert not hasattr(wi, "default_target")
    paths = np.array([[1.0, 2.0], [2.0, 3.0]])
    idx = pd.date_range("2027-01-04", periods=2, freq="W-MON")
    out = wi.outlook_from_paths(paths, idx, wi.Window("gmv", "2027-01-04", "2027-01-17", float("nan")))
    assert out.forecast == 4.0 and np.isnan(out.p_hit)
    assert wi.Window("gmv").agg == "sum" and wi.Window("dau").agg == "mean"


def test_improve_transition_keeps_rows_stochastic():
    rates = pd.DataFrame([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]], index=["a", "b"],
                         columns=["x", "y", "z"])
    out = wi.improve_transition(rates, "b", "x", 0.1)
    # x: 0.1 -> 0.2; y and z share the remaining 0.8 in the ratio 1:8
    np.testing.assert_allclose(out.loc["b"].to_numpy(), [0.2, 0.8 / 9, 6.4 / 9])
    np.testing.assert_allclose(out.loc["a"].to_numpy(), rates.loc["a"].to_numpy())
    assert wi.improve_transition(rates, "a", "x", 0.9).loc["a", "x"] == 1.0


@pytest.fixture(scope="module")
def inputs(ds):
    return wi.lifecycle_inputs(ds, n_months=2)


def test_lifecycle_inputs_are_consistent(ds, inputs):
    np.testing.assert_allclose(inputs.rates.sum(axis=1).to_numpy(), 1.0)
    assert inputs.start_sizes.sum() == ds.n_users  # every user registered by the data's end
    assert inputs.n_pairs == 2
    # rates = mean of the two measured monthly matrices (Feb->Mar, Mar->Apr month ends)
    dates = [pd.Timestamp(d).date() for d in ("2024-01-31", "2024-02-29", "2024-03-31")]
    hist = lc.tier_history(ds, lc.LifecycleRules(), dates)
    r1 = lc.transition_matrix(hist[dates[0]].to_numpy(), hist[dates[1]].to_numpy())[1]
    r2 = lc.transition_matrix(hist[dates[1]].to_numpy(), hist[dates[2]].to_numpy())[1]
    both = r1.notna().all(axis=1) & r2.notna().all(axis=1)
    np.testing.assert_allclose(inputs.rates[both].to_numpy(), ((r1 + r2) / 2)[both].to_numpy())


def test_projection_conserves_users(inputs):
    p = wi.lifecycle_projection(inputs, 4)
    total0 = inputs.start_sizes.sum()
    expected = total0 + inputs.new_per_month * np.arange(5)
    np.testing.assert_allclose(p.sizes.sum(axis=1).to_numpy(), expected, rtol=1e-12)
    closed = wi.lifecycle_projection(inputs, 4, include_new=False)
    np.testing.assert_allclose(closed.sizes.sum(axis=1).to_numpy(), total0, rtol=1e-12)
    # month 1 GMV by hand: start sizes x value per user + newcomers x their value
    v = inputs.value_per_user
    hand = (inputs.start_sizes * v.reindex(inputs.start_sizes.index)).sum() \
        + inputs.new_per_month * v[lc.NOT_YET]
    assert p.gmv.iloc[0] == pytest.approx(hand, rel=1e-12)


def test_better_recovery_raises_gmv():
    # Hand-made inputs: churn_warning users who recover to active (worth 50/month) instead of
    # churning (worth 0) raise GMV from month 2 on.
    tiers = list(lc.TIERS)
    rates = pd.DataFrame(np.eye(len(tiers)), index=tiers, columns=tiers)
    rates.loc["churn_warning"] = 0.0
    rates.loc["churn_warning", ["churn_warning", "churned", "active"]] = [0.3, 0.6, 0.1]
    entry = pd.DataFrame([[1.0] + [0.0] * (len(tiers) - 1)], index=[lc.NOT_YET], columns=tiers)
    value = pd.Series(0.0, index=[lc.NOT_YET, *tiers])
    value["active"], value["churn_warning"] = 50.0, 5.0
    sizes = pd.Series(0.0, index=tiers)
    sizes["churn_warning"] = 100.0
    inp = wi.LifecycleInputs(sizes, pd.concat([entry, rates]), 0.0, value, None, 1)
    base = wi.lifecycle_projection(inp, 3)
    better = wi.lifecycle_projection(inp, 3, wi.improve_transition(inp.rates, "churn_warning",
                                                                   "active", 0.10))
    # month 2 by hand: base 100*0.3*5 + 100*0.1*50 = 650; better: active 0.2, others x 0.9/0.9
    assert base.gmv.iloc[1] == pytest.approx(650.0)
    assert better.gmv.iloc[1] == pytest.approx(100 * (0.3 * 0.8 / 0.9) * 5 + 100 * 0.2 * 50)
    assert better.total_gmv > base.total_gmv


@pytest.mark.slow
def test_better_recovery_raises_gmv_on_sample_data():
    # On the sample data a recovered (active) user is worth more than one left in churn
    # warning, so the +10 pp recovery must raise projected GMV.
    inputs = wi.lifecycle_inputs(loader.load_sample(), n_months=3)
    v = inputs.value_per_user
    assert v["active"] > v["churned"]
    base = wi.lifecycle_projection(inputs, 3)
    rates = wi.improve_transition(inputs.rates, "churn_warning", "active", 0.10)
    np.testing.assert_allclose(rates.sum(axis=1).to_numpy(), 1.0)
    assert wi.lifecycle_projection(inputs, 3, rates).total_gmv > base.total_gmv


def test_value_per_user_is_30_day_spend_per_tier_by_pandas(ds, activity, inputs):
    """The projection's value per user of a tier: the paid amount of the tier's users between
    consecutive month ends, scaled to 30 days and averaged over the users of every pair, by
    plain pandas over the raw orders (the what-if reads it from the one per-user feature table)."""
    _, orders = activity
    paid = orders[(orders["status"] == "paid") & (orders["amount"] > 0)]
    uid_of = dict(zip(ds.users["user_id"], ds.users["uid"]))
    dates = [pd.Timestamp(d).date() for d in ("2024-01-31", "2024-02-29", "2024-03-31")]
    hist = lc.tier_history(ds, lc.LifecycleRules(), dates)
    rows = [lc.NOT_YET, *lc.TIERS]
    total, n = pd.Series(0.0, index=rows), pd.Series(0.0, index=rows)
    for a, b in zip(dates[:-1], dates[1:]):
        day = paid["order_time"].dt.normalize()
        inside = paid[(day > pd.Timestamp(a)) & (day <= pd.Timestamp(b))]
        per_user = np.zeros(ds.n_users)
        np.add.at(per_user, inside["user_id"].map(uid_of).to_numpy(int), inside["amount"].to_numpy(float))
        codes, later = hist[a].to_numpy(), hist[b].to_numpy()
        for i, name in enumerate(rows):
            members = (codes == i - 1) & (later >= 0)
            total[name] += per_user[members].sum() * 30.0 / (b - a).days
            n[name] += members.sum()
    want = (total / n.where(n > 0)).fillna(0.0)
    assert inputs.value_per_user.sum() > 0
    np.testing.assert_allclose(inputs.value_per_user.reindex(rows).to_numpy(), want.to_numpy(), rtol=1e-9)
