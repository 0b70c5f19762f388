"""Churn features, labels, time split, models and reasons, checked against independent code."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

LOCALES = Path(__file__).resolve().parents[3] / "opslab" / "present" / "locales"
from opslab.models import churn
from opslab.models.churn import ChurnConfig, ChurnModel, churn_features, churn_labels
from opslab.dataset.dataset import Dataset
from opslab.models.churn_result import auc_verdict
from tests.random_logs import random_activity

CUTOFF = pd.Timestamp("2024-03-20")  # day 79 of random_activity's 120 days


def _dataset(events, orders):
    return Dataset.from_tables(events=events, orders=orders)


def _named(events, seed=0):
    rng = np.random.default_rng(seed)
    return events.assign(event_name=rng.choice(["view", "visit", "search", "share"], len(events),
                                               p=[0.5, 0.3, 0.15, 0.05]))


def _by_user(ds, frame):
    out = frame.copy()
    out.index = ds.users["user_id"].to_numpy()[frame.index.to_numpy()]
    return out.sort_index()


def planted(n_users=1200, days=150, seed=1, start="2024-01-01"):
    """Churners fade out over four weeks before they stop; stayers keep a steady rate."""
    rng = np.random.default_rng(seed)
    uid, day = [], []
    for u in range(n_users):
        signup = int(rng.integers(0, 60))
        p = rng.uniform(0.15, 0.6)
        stop = int(rng.integers(signup + 35, days + 60)) if rng.random() < 0.6 else days + 999
        d = np.arange(signup, days)
        prob = np.where(d < stop, p * np.clip((stop - d) / 28.0, 0, 1), 0.0)
        act = d[(rng.random(len(d)) < prob) | (d == signup)]
        uid.append(np.full(len(act), u))
        day.append(act)
    uid, day = np.concatenate(uid), np.concatenate(day)
    t = (pd.Timestamp(start) + pd.to_timedelta(day, unit="D")
         + pd.to_timedelta(rng.integers(0, 86400, len(day)), unit="s"))
    return pd.DataFrame({"user_id": [f"u{u}" for u in uid], "event_time": t,
                         "event_name": rng.choice(["view", "visit", "search"], len(day))})


@pytest.fixture(scope="module")
def planted_result():
    ds = Dataset.from_tables(events=planted())
    return ds, ChurnModel(ChurnConfig(seed=3, horizon=14)).fit(ds).result_


# -- leakage --------------------------------------------------------------------------------------
def test_features_ignore_everything_after_the_cutoff():
    events, orders = random_activity(n_users=80, seed=5)
    events = _named(events)
    before = events["event_time"] < CUTOFF + pd.Timedelta(days=1)
    after_orders = orders["order_time"] >= CUTOFF + pd.Timedelta(days=1)
    rng = np.random.default_rng(9)
    extra = pd.DataFrame({  # lots of a new event name, for old and brand-new users, after the cutoff
        "user_id": rng.choice(["u1", "u2", "u3", "zz_new"], 500),
        "event_time": CUTOFF + pd.Timedelta(days=1) + pd.to_timedelta(rng.integers(0, 30 * 86400, 500), unit="s"),
        "event_name": "brand_new_event"})
    later = pd.concat([events.loc[before], extra, events.loc[~before].iloc[::2]], ignore_index=True)
    changed = orders.copy()
    changed.loc[after_orders, "amount"] *= 7
    changed.loc[after_orders, "status"] = "refunded"
    ds1, ds2 = _dataset(events, orders), _dataset(later, changed.iloc[::-1].reset_index(drop=True))
    assert ds1.fingerprint != ds2.fingerprint
    mix = ChurnConfig(n_event_names=5)
    f1 = _by_user(ds1, churn_features(ds1, CUTOFF.date(), mix))
    f2 = _by_user(ds2, churn_features(ds2, CUTOFF.date(), mix))
    assert len(f1) > 20 and "mix_view" in f1 and "brand_new_event" not in "".join(f2.columns)
    pd.testing.assert_frame_equal(f1, f2)


# -- features and labels against pandas -----------------------------------------------------------
def test_features_match_pandas_brute_force(activity):
    events, orders = activity
    events = _named(events, 1)
    ds = _dataset(events, orders)
    cut = CUTOFF.normalize()
    f = _by_user(ds, churn_features(ds, cut.date(), ChurnConfig(n_event_names=5)))
    ev = events.assign(day=events["event_time"].dt.normalize())
    paid = orders.loc[orders["status"] == "paid"].assign(day=lambda o: o["order_time"].dt.normalize())
    days = pd.concat([ev[["user_id", "day"]], paid[["user_id", "day"]]]).drop_duplicates()
    days = days.loc[days["day"] <= cut]
    age = (cut - days["day"]).dt.days
    last = days.groupby("user_id")["day"].max()
    eligible = sorted(last.index)  # every user with activity by the cutoff
    assert f.index.tolist() == eligible
    expected_dsa = (cut - last.loc[eligible]).dt.days.astype(float)
    assert f["days_since_active"].tolist() == expected_dsa.tolist()
    # lifetime features: active days, mean and last gap, overdue ratio, spend and orders so far
    ordered = days.sort_values(["user_id", "day"])
    g = ordered.groupby("user_id")["day"]
    n_days = g.size().reindex(eligible)
    first = g.min().reindex(eligible)
    gaps = g.diff().dt.days
    last_gap = gaps.groupby(ordered["user_id"]).last().reindex(eligible)
    one = n_days <= 1
    assert f["active_days_all"].tolist() == n_days.astype(float).tolist()
    mean_gap = np.where(one, (cut - first).dt.days, (last.loc[eligible] - first).dt.days / (n_days - 1).clip(lower=1))
    assert f["mean_gap"].to_numpy() == pytest.approx(mean_gap)
    assert f["last_gap"].to_numpy() == pytest.approx(np.where(one, (cut - first).dt.days, last_gap))
    assert f["overdue"].to_numpy() == pytest.approx(expected_dsa.to_numpy() / np.maximum(mean_gap, 1))
    upto = paid.loc[paid["day"] <= cut]
    spend = upto.groupby("user_id")["amount"].sum().reindex(eligible, fill_value=0)
    assert f["spend_all"].to_numpy() == pytest.approx(spend.to_numpy())
    assert f["orders_all"].tolist() == upto.groupby("user_id").size().reindex(eligible, fill_value=0).astype(float).tolist()
    for w in (7, 14, 28, 56, 90):
        counts = days.loc[age < w].groupby("user_id").size().reindex(eligible, fill_value=0)
        assert f[f"active_days_{w}"].tolist() == counts.astype(float).tolist(), w
    p_age = (cut - paid["day"]).dt.days
    for col, lo, hi in (("spend_30", 0, 30), ("spend_prev_30", 30, 60), ("spend_90", 0, 90)):
        s = paid.loc[(p_age >= lo) & (p_age < hi)].groupby("user_id")["amount"].sum()
        assert f[col].to_numpy() == pytest.approx(s.reindex(eligible, fill_value=0).to_numpy()), col
    recent = ev.loc[(ev["day"] <= cut) & ((cut - ev["day"]).dt.days < 28)]
    share = (recent["event_name"] == "view").groupby(recent["user_id"]).mean().reindex(eligible, fill_value=0)
    assert f["mix_view"].to_numpy() == pytest.approx(share.to_numpy())
    trend = (f["active_days_14"] + 1) / (f["active_days_28"] - f["active_days_14"] + 1)
    assert f["trend_14"].to_numpy() == pytest.approx(trend.to_numpy())


def test_labels_on_a_hand_case():
    t = pd.to_datetime
    events = pd.DataFrame({
        "user_id": ["a", "a", "b", "b", "c", "d", "e", "e"],
        "event_time": t(["2024-03-01", "2024-03-12",    # a: back within 14 days -> 0
                         "2024-03-05", "2024-03-25",    # b: next visit 15 days later -> 1
                         "2024-03-10",                  # c: never again -> 1
                         "2023-12-01",                  # d: gone 100 days, never back -> 1
                         "2024-03-10", "2024-03-24"]),  # e: day 14 of the window -> 0
    })
    orders = pd.DataFrame({"user_id": ["a", "e"], "order_time": t(["2024-03-01", "2024-03-10"]),
                           "amount": [10.0, 20.0], "status": ["paid", "paid"]})
    users = pd.DataFrame({"user_id": ["a", "b", "c", "d", "e", "f"],
                          "signup_time": t(["2024-01-01"] * 5 + ["2024-03-20"])})  # f: signs up later
    ds = Dataset.from_tables(events=events, orders=orders, users=users)
    y = _by_user(ds, churn_labels(ds, "2024-03-10", ChurnConfig(horizon=14)).to_frame())["churned"]
    assert y.to_dict() == {"a": 0, "b": 1, "c": 1, "d": 1, "e": 0}
    y = _by_user(ds, churn_labels(ds, "2024-03-10", ChurnConfig(horizon=14, label="purchase")).to_frame())["churned"]
    assert y.to_dict() == {"a": 1, "e": 1}  # payers only; neither bought again


def test_labels_match_pandas_brute_force(activity):
    events, orders = activity
    ds = _dataset(events, orders)
    cut, h = CUTOFF.normalize(), 14
    paid = orders.loc[orders["status"] == "paid"]
    days = pd.concat([events.assign(day=events["event_time"].dt.normalize())[["user_id", "day"]],
                      paid.assign(day=paid["order_time"].dt.normalize())[["user_id", "day"]]])
    offset = (days["day"] - cut).dt.days
    last = days.loc[offset <= 0].groupby("user_id")["day"].max()
    eligible = last.index
    back = set(days.loc[(offset > 0) & (offset <= h), "user_id"])
    expected = pd.Series([int(u not in back) for u in eligible], index=eligible).sort_index()
    y = _by_user(ds, churn_labels(ds, cut.date(), ChurnConfig(horizon=h)).to_frame())["churned"]
    assert y.astype(int).to_dict() == expected.to_dict()


# -- time split and models ------------------------------------------------------------------------
def test_cutoffs_do_not_overlap_label_windows():
    ds = Dataset.from_tables(events=planted(n_users=50))  # 2024-01-01 .. 2024-05-29
    tv, train = ChurnModel(ChurnConfig(horizon=14, n_train_cutoffs=3)).cutoffs(ds, "2024-05-29")
    assert tv == dt.date(2024, 5, 15)
    # the newest possible (tv - 14), then spread over the history on the 7-day grid
    assert train[0] == dt.date(2024, 5, 1) and len(train) == 3 and train[-1] < dt.date(2024, 3, 1)
    assert all((tv - t).days % 7 == 0 and t + dt.timedelta(days=14) <= tv for t in train)
    # another horizon sits on the same grid: most cutoffs (cached features) are shared
    tv20, train20 = ChurnModel(ChurnConfig(horizon=20, n_train_cutoffs=3)).cutoffs(ds, "2024-05-29")
    assert tv20 == dt.date(2024, 5, 8) and len(set(train20) & set(train)) >= 1
    assert all(t + dt.timedelta(days=20) <= tv20 for t in train20)
    # too long for any outcome window before the cutoff: nothing to validate
    assert ChurnModel(ChurnConfig(horizon=365)).cutoffs(ds) == (None, [])


@pytest.mark.slow
def test_the_best_candidate_on_validation_is_chosen(planted_result):
    _, res = planted_result
    v = res.validation
    assert list(v.index) == ["recency", "bgnbd", "bgnbd_expected", "logistic", "hgb"]
    assert v.loc[res.chosen, "roc_auc"] == v["roc_auc"].max()
    assert res.chosen in ("logistic", "hgb")  # the planted fade-out is more than recency
    assert v.loc[res.chosen, "roc_auc"] > v.loc["recency", "roc_auc"] + 0.005
    top = res.importance["feature"].head(8).tolist()
    assert any(f.startswith("active_days") or f.startswith("trend") for f in top)


@pytest.mark.slow
def test_result_tables_are_consistent(planted_result):
    ds, res = planted_result
    assert set(res.lift["model"]) == set(churn.MODELS)
    assert set(res.calibration["model"]) == set(churn.MODELS) - {"recency"}  # days are no probability
    assert res.calibration.groupby("model")["n"].sum().eq(res.validation["n"].drop("recency")).all()
    # Brier only for probabilities (the baseline's days once showed as a "score" of 37,292)
    assert np.isnan(res.validation.loc["recency", "brier"])
    assert res.validation["brier"].drop("recency").between(0, 1).all()
    tt = res.threshold_table
    assert tt["flagged_now"].is_monotonic_decreasing and tt["flagged_now"].iloc[0] == len(res.scores)
    row = res.at_threshold(0.5)
    expected = tt.loc[tt["threshold"] == 0.5].iloc[0]
    assert row["flagged_now"] == expected["flagged_now"] and row["precision"] == expected["precision"]
    assert res.scores["risk"].between(0, 1).all()
    assert len(res.scores) == ds.n_users  # every user with activity is scored


@pytest.mark.slow
def test_readout_against_a_hand_computation(planted_result):
    _, res = planted_result
    y, p, base = res.validation_labels, res.validation_risk, res.validation_baseline
    r = res.readout(0.6)
    flagged = p >= 0.6
    assert r.base_rate == pytest.approx(y.mean())
    assert r.flagged == flagged.sum() and r.precision == pytest.approx(y[flagged].mean())
    assert r.recall == pytest.approx(y[flagged].sum() / y.sum())
    assert r.lift == pytest.approx(y[flagged].mean() / y.mean())
    # recency flagging as many users: the most idle first (ties by row order)
    order = np.lexsort((np.arange(len(base)), -base))[:flagged.sum()]
    assert r.baseline_precision == pytest.approx(y[order].mean())
    from sklearn.metrics import roc_auc_score
    assert r.auc == pytest.approx(roc_auc_score(y, p)) and r.baseline_auc == pytest.approx(roc_auc_score(y, base))
    assert r.verdict == auc_verdict(r.auc)  # the bands themselves: auc_verdict's doctest
    # over the users not yet churned by a 30-day rule only
    sub = res.readout(0.6, max_idle_days=30)
    keep = res.validation_idle < 30
    assert sub.base_rate == pytest.approx(y[keep].mean()) and sub.auc == pytest.approx(roc_auc_score(y[keep], p[keep]))


@pytest.mark.slow
def test_fit_is_deterministic_and_independent_of_row_order(planted_result):
    ds, res = planted_result
    events = ds.events[["user_id", "event_time", "event_name"]]
    shuffled = Dataset.from_tables(events=events.sample(frac=1, random_state=7))
    again = ChurnModel(ChurnConfig(seed=3, horizon=14)).fit(shuffled).result_
    a = res.scores.set_index("user_id")["risk"].sort_index()
    b = again.scores.set_index("user_id")["risk"].sort_index()
    assert again.chosen == res.chosen
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


@pytest.mark.slow
def test_scores_at_a_past_cutoff_use_nothing_after_it(planted_result):
    ds, _ = planted_result
    cut = pd.Timestamp("2024-04-15")
    events = ds.events[["user_id", "event_time", "event_name"]]
    early = Dataset.from_tables(events=events.loc[events["event_time"] < cut + pd.Timedelta(days=1)])
    full = churn.churn_risk(ds, as_of=cut, horizon_days=21)
    cut_off = churn.churn_risk(early, as_of=cut, horizon_days=21)
    a = full.scores.set_index("user_id")["risk"].sort_index()
    b = cut_off.scores.set_index("user_id")["risk"].sort_index()
    assert full.as_of == cut.date() and a.index.equals(b.index)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=0, atol=1e-12)


@pytest.mark.slow
def test_too_long_a_horizon_ranks_by_the_checked_label_free_score_and_says_so(planted_result):
    ds, _ = planted_result
    res = churn.churn_risk(ds, as_of="2024-03-01", horizon_days=200)
    assert res.chosen in ("recency", "bgnbd", "bgnbd_expected") and not res.model.validated
    codes = [c for c, _ in res.notes]
    assert "churn.note.no_validation" in codes and "churn.note.unvalidated" in codes
    # the check ran on the longest shorter window with as much history before it: the last 30
    # days before 2024-03-01, where the planted users hardly churn, so nothing could be compared
    params = dict(res.notes)["churn.note.check_one_class"]
    span = (dt.date(2024, 3, 1) - ds.start).days
    assert params["horizon"] == span // 2 == 30 and params["cutoff"] == "2024-01-31"
    feats = churn_features(ds, "2024-01-31")
    y = churn_labels(ds, "2024-01-31", ChurnConfig(horizon=30), feats)
    assert (params["churned"], params["stayed"]) == (int(y.sum()), int(len(y) - y.sum()))
    assert res.chosen == "bgnbd_expected" and res.model.label_free_check is None
    assert res.readout(0.5).verdict == "unvalidated"
    assert res.scores["risk"].between(0, 1).all()
    # the ranking is BG/NBD's: at the same active days and first-seen day, more idle days
    # (a lower P(alive), FHL 2005 eq. 13) never lower the risk
    s = res.scores.sort_values(["active_days_all", "days_since_first", "days_since_active"])
    steps = s.groupby(["active_days_all", "days_since_first"])["risk"].diff().dropna()
    assert len(steps) > 50 and (steps >= -1e-12).all()


@pytest.mark.slow
def test_recency_ranks_when_no_model_beats_it():
    """Memoryless users: a constant daily rate, so nothing but recency carries signal, and
    at a 7-day horizon with few training rows the trained models should not win."""
    rng = np.random.default_rng(4)
    rows = []
    for u in range(400):
        p = 0.5 if u % 2 else 0.02
        d = np.flatnonzero(rng.random(60) < p)
        rows += [(f"u{u}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(x))) for x in d]
    ds = Dataset.from_tables(events=pd.DataFrame(rows, columns=["user_id", "event_time"]))
    res = ChurnModel(ChurnConfig(horizon=7)).fit(ds).result_
    v = res.validation
    assert v.loc[res.chosen, "roc_auc"] == v["roc_auc"].max()
    if res.chosen == "recency":
        assert ("churn.note.not_beaten", {}) in res.notes
        assert res.readout(0.5).reasons[0][0] == "churn.verdict_reason.baseline"
    # recency's probabilities are monotone in the days idle (isotonic), never a wrong sign
    s = res.scores.sort_values("days_since_active") if res.chosen == "recency" else None
    if s is not None:
        assert s["risk"].is_monotonic_increasing


@pytest.mark.slow
def test_churn_risk_attaches_tiers_value_and_a_reason_for_everyone(planted_result):
    ds, _ = planted_result
    from opslab.lifecycle import tiers as lifecycle
    rules = lifecycle.LifecycleRules(churn_days=45)
    res = churn.churn_risk(ds, horizon_days=28, rules=rules)
    seg = lifecycle.segment(ds, rules).set_index("user_id")["tier"].astype("str")
    got = res.scores.set_index("user_id")["tier"].astype("str")
    assert got.to_dict() == seg.reindex(got.index).to_dict()  # tiers follow the rules passed
    assert {"p_alive", "expected_purchases", "clv", "value_at_risk"} <= set(res.scores.columns)
    flagged = churn.early_warning(res.scores, 0.3)
    assert len(flagged) > 0
    assert all(len(r) > 0 for r in res.reasons(flagged))
    assert res.margin == 0.3


# -- reasons ----------------------------------------------------------------------------------------
def test_reasons_on_hand_built_users():
    retained = pd.DataFrame({
        "days_since_active": [0.0, 1, 2, 3, 4], "trend_14": [1.0, 1, 1, 1.5, 0.8],
        "trend_28": [1.0, 1, 1, 1, 1], "active_days_28": [8.0, 10, 12, 6, 9],
        "spend_30": [50.0, 0, 80, 20, 0], "days_since_purchase": [5.0, 10, 20, 30, 40],
        "has_paid": [1.0] * 5})
    importance = pd.DataFrame({"feature": ["days_since_active", "spend_30"], "importance": [0.05, 0.01]})
    ref = churn.reason_reference(retained, importance)
    assert ref["no_visit"]["median"] == 2 and ref["no_visit"]["weight"] == 0.05
    users = pd.DataFrame({
        "days_since_active": [21.0, 1.0], "active_days_14": [0.0, 2.0], "active_days_prev_14": [0.0, 8.0],
        "active_days_28": [0.0, 10.0], "active_days_prev_28": [2.0, 8.0], "trend_14": [1.0, 3 / 9],
        "trend_28": [1 / 3, 11 / 9], "spend_30": [0.0, 60.0], "spend_prev_30": [0.0, 600.0],
        "days_since_purchase": [90.0, 3.0], "has_paid": [1.0, 1.0]})
    reasons = churn.explain(users, ref)
    assert reasons[0][0] == ("churn.reason.no_visit", {"days": 21})
    codes0 = [c for c, _ in reasons[0]]
    assert len(codes0) == 3 and "churn.reason.spend_drop" not in codes0
    codes1 = dict(reasons[1])
    assert "churn.reason.no_visit" not in codes1  # visited yesterday
    assert codes1["churn.reason.spend_drop"] == {"before": 600.0, "after": 60.0}
    assert codes1["churn.reason.active_drop"]["pct"] == pytest.approx(0.75)
    from opslab.core.i18n import t
    from opslab.present.messages import numbers  # the words get the numbers written by the one formatter

    def said(key, lang, currency):
        return t(key, lang, **numbers(key, codes1[key], lang, currency))
    assert said("churn.reason.active_drop", "en", "").startswith("active days down 75% ")
    assert "from $600.00 to $60.00 " in said("churn.reason.spend_drop", "en", "USD")
    assert "从 ¥600.00 降到 ¥60.00（" in said("churn.reason.spend_drop", "zh", "CNY")
    assert "600.00 to 60.00" in said("churn.reason.spend_drop", "en", "")  # no currency stated: none invented


@pytest.mark.slow
def test_locales_cover_every_reason_and_feature(planted_result):
    _, res = planted_result
    root = LOCALES
    en = json.loads((root / "churn.en.json").read_text(encoding="utf-8"))
    zh = json.loads((root / "churn.zh.json").read_text(encoding="utf-8"))
    assert en.keys() == zh.keys()
    for r in churn.REASONS:
        assert f"churn.reason.{r.code}" in en
    for m in churn.MODELS:
        assert f"churn.model.{m}" in en
    for name in list(res.scores.columns) + list(res.importance["feature"]):
        if name in ("user_id", "risk"):
            continue
        if name in churn.BASE_FEATURES or name.startswith("mix_"):
            assert churn.feature_label(name)[0] in en, name


# -- the list ------------------------------------------------------------------------------------
def test_list_keeps_watch_tiers_above_the_threshold_by_value_at_risk():
    scores = pd.DataFrame({"user_id": ["a", "b", "c", "d", "e"], "risk": [0.9, 0.6, 0.7, 0.2, 0.95],
                           "value_at_risk": [9.0, 60.0, 0.0, 100.0, 500.0],
                           "tier": ["active", "payer", "new", "high_value", "churned"]})
    listed = churn.early_warning(scores, 0.5)
    assert listed["user_id"].tolist() == ["b", "a"]  # c is brand-new, d below, e already churned


def test_clv_by_tier_is_the_mean_clv_of_each_tiers_users_in_screen_order():
    # independent: plain arithmetic over a hand-built score table with an unused tier category
    tiers = pd.Categorical(["churned", "payer", "active", "payer", "new", "churned", "payer"],
                           categories=[*churn.SCORED_TIERS])
    scores = pd.DataFrame({"user_id": list("abcdefg"), "tier": tiers,
                           "clv": [1.0, 30.0, 12.5, 60.0, np.nan, 3.0, 0.0]})
    got = churn.clv_by_tier(scores)
    assert got["tier"].tolist() == ["active", "payer", "new", "churned"]  # SCORED_TIERS order, only tiers with users
    assert got["clv"].iloc[:2].tolist() == [12.5, (30.0 + 60.0 + 0.0) / 3]
    assert np.isnan(got["clv"].iloc[2]) and got["clv"].iloc[3] == 2.0  # a tier with no value has none
    assert got["users"].tolist() == [1, 3, 1, 2]
