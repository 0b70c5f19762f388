"""Churn scoring helpers against hand computations, brute force and scikit-learn."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from opslab.models import churn_metrics as cm

# 10 users, 3 churners; scores sorted high to low except for one tie (0.5, 0.5)
Y = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 0])
S = np.array([0.9, 0.8, 0.7, 0.5, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])


def test_lift_and_capture_by_hand():
    # top 10% = 1 user (score 0.9, a churner): capture 1/3, rate 1 vs 0.3 overall -> lift 3.33
    assert cm.capture_rate(Y, S, 0.1) == pytest.approx(1 / 3)
    assert cm.lift(Y, S, 0.1) == pytest.approx(1 / 0.3)
    # top 30% = 3 users (0.9, 0.8, 0.7): 2 churners -> capture 2/3, lift (2/3)/0.3
    assert cm.capture_rate(Y, S, 0.3) == pytest.approx(2 / 3)
    assert cm.lift(Y, S, 0.3) == pytest.approx((2 / 3) / 0.3)
    # everyone targeted: capture 1, lift 1
    assert cm.capture_rate(Y, S, 1.0) == 1.0 and cm.lift(Y, S, 1.0) == pytest.approx(1.0)


def test_top_mask_breaks_ties_by_row_order():
    mask = cm.top_mask(np.array([0.5, 0.9, 0.5, 0.1]), 0.5)  # 2 of 4: 0.9 then the first 0.5
    assert mask.tolist() == [True, True, False, False]


def test_roc_auc_equals_pair_count_and_sklearn():
    pos, neg = S[Y == 1], S[Y == 0]
    pairs = [1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg)]
    assert cm.roc_auc(Y, S) == pytest.approx(np.mean(pairs))
    assert cm.roc_auc(Y, S) == pytest.approx(roc_auc_score(Y, S))
    y2 = np.array([0, 1, 0, 1, 1])
    s2 = np.array([0.2, 0.2, 0.4, 0.9, 0.1])  # ties across classes
    assert cm.roc_auc(y2, s2) == pytest.approx(roc_auc_score(y2, s2))
    assert np.isnan(cm.roc_auc([1, 1], [0.2, 0.3]))


def test_brier_and_pr_auc():
    p = np.array([0.8, 0.3, 0.6, 0.2, 0.1, 0.5, 0.2, 0.0, 0.1, 0.3])
    by_hand = np.mean([(0.8 - 1) ** 2, 0.09, 0.16, 0.04, 0.01, 0.25, 0.04, 0.0, 0.01, 0.09])
    assert cm.brier(Y, p) == pytest.approx(by_hand)
    assert cm.brier(Y, p) == pytest.approx(brier_score_loss(Y, p))
    # average precision by hand: churners at ranks 1, 3, 6 -> (1/1 + 2/3 + 3/6) / 3
    assert cm.pr_auc(Y, S) == pytest.approx((1 + 2 / 3 + 3 / 6) / 3)


def test_calibration_table_by_hand():
    y = np.array([0, 1, 0, 1, 1])
    p = np.array([0.05, 0.15, 0.12, 0.95, 1.0])  # bins 0, 1, 1, 9, 9 (1.0 falls in the last bin)
    t = cm.calibration_table(y, p)
    assert t["bin"].tolist() == [0, 1, 9]
    assert t["n"].tolist() == [1, 2, 2]
    assert t["observed_rate"].tolist() == [0.0, 0.5, 1.0]
    assert t["mean_predicted"].tolist() == pytest.approx([0.05, 0.135, 0.975])


def test_threshold_table_against_brute_force():
    rng = np.random.default_rng(3)
    y = (rng.random(200) < 0.3).astype(int)
    p = np.round(rng.random(200), 2)  # many exact ties with the thresholds
    t = cm.threshold_table(y, p)
    for _, row in t.iterrows():
        flagged = p >= row["threshold"]
        assert row["flagged"] == flagged.sum()
        assert row["churners"] == y[flagged].sum()
        assert row["recall"] == pytest.approx(y[flagged].sum() / y.sum())
        if flagged.any():
            assert row["precision"] == pytest.approx(y[flagged].mean())
        else:
            assert np.isnan(row["precision"])


def test_gains_table_ends_at_one():
    g = cm.gains_table(Y, S, steps=10)
    assert g["capture"].iloc[-1] == 1.0
    assert g["capture"].is_monotonic_increasing
    assert g["capture"].iloc[2] == pytest.approx(2 / 3)


def test_permutation_importance_finds_the_used_column():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"signal": rng.normal(size=400), "noise": rng.normal(size=400)})
    y = (X["signal"] + 0.3 * rng.normal(size=400) > 0).astype(int).to_numpy()
    imp = cm.permutation_importance(lambda M: M[:, 0], X, y,  # the matrix has X's columns
                                    {"signal": ["signal"], "noise": ["noise"]}, seed=1)
    assert imp["feature"].tolist() == ["signal", "noise"]
    assert imp.loc[1, "importance"] == 0.0 and imp.loc[0, "importance"] > 0.3


def test_gains_table_matches_capture_and_lift_share_by_share():
    rng = np.random.default_rng(3)
    y = (rng.random(997) < 0.3).astype(int)
    s = np.round(rng.random(997), 2)  # ties, broken by row order in both
    g = cm.gains_table(y, s, steps=20)
    for row in g.itertuples():
        assert row.capture == pytest.approx(cm.capture_rate(y, s, row.share_targeted))
        assert row.lift == pytest.approx(cm.lift(y, s, row.share_targeted))
    m = cm.metric_row(y, s, 0.1)
    assert m["lift_top"] == pytest.approx(cm.lift(y, s, 0.1)) and m["capture_top"] == pytest.approx(cm.capture_rate(y, s, 0.1))
