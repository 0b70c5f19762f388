"""Scoring a churn model: ROC AUC, PR AUC, Brier, top-fraction lift and capture, calibration,
gains and threshold tables, and permutation importance.

"Top fraction" means the ``ceil(frac * n)`` highest scores; ties are broken by row order (first
rows first), so every number here is deterministic.

Example
-------
>>> import numpy as np
>>> y, s = np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.3, 0.1])
>>> roc_auc(y, s), capture_rate(y, s, 0.25), lift(y, s, 0.25)
(0.75, 0.5, 2.0)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score


def _arrays(y, score):
    y = np.asarray(y, dtype="float64").ravel()
    s = np.asarray(score, dtype="float64").ravel()
    if y.shape != s.shape:
        raise ValueError("y and score must have the same length")
    return y, s


def top_mask(score, frac: float) -> np.ndarray:
    """Boolean mask of the ``ceil(frac * n)`` highest scores (ties: earlier rows first)."""
    s = np.asarray(score, dtype="float64").ravel()
    n_top = min(len(s), max(1, math.ceil(frac * len(s) - 1e-9)))
    order = np.lexsort((np.arange(len(s)), -s))
    mask = np.zeros(len(s), dtype=bool)
    mask[order[:n_top]] = True
    return mask


def roc_auc(y, score) -> float:
    """Mann-Whitney form: P(score of a churner > score of a stayer), ties counting one half."""
    y, s = _arrays(y, score)
    n1 = y.sum()
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def pr_auc(y, score) -> float:
    """Average precision (the step-wise area under the precision-recall curve)."""
    y, s = _arrays(y, score)
    if y.sum() == 0:
        return float("nan")
    return float(average_precision_score(y, s))


def brier(y, p) -> float:
    """Mean squared difference between the predicted probability and the 0/1 outcome."""
    y, p = _arrays(y, p)
    return float(np.mean((p - y) ** 2)) if len(y) else float("nan")


def capture_rate(y, score, frac: float = 0.1) -> float:
    """Share of all churners found among the top ``frac`` of scores."""
    y, s = _arrays(y, score)
    return float(y[top_mask(s, frac)].sum() / y.sum()) if y.sum() else float("nan")


def lift(y, score, frac: float = 0.1) -> float:
    """Churn rate in the top ``frac`` of scores divided by the overall churn rate."""
    y, s = _arrays(y, score)
    return float(y[top_mask(s, frac)].mean() / y.mean()) if y.sum() else float("nan")


def metric_row(y, p, frac: float = 0.1) -> dict:
    """All summary metrics of one model's validation predictions."""
    top = top_mask(p, frac)
    y_arr = np.asarray(y, dtype="float64")
    has = y_arr.sum() > 0
    return {"roc_auc": roc_auc(y, p), "pr_auc": pr_auc(y, p), "brier": brier(y, p),
            "lift_top": float(y_arr[top].mean() / y_arr.mean()) if has else float("nan"),
            "capture_top": float(y_arr[top].sum() / y_arr.sum()) if has else float("nan"),
            "n": int(len(y)), "churn_rate": float(np.mean(y)) if len(y) else float("nan")}


def calibration_table(y, p, bins: int = 10) -> pd.DataFrame:
    """Equal-width probability bins: ``bin``, ``mean_predicted``, ``observed_rate``, ``n``."""
    y, p = _arrays(y, p)
    b = np.clip(np.floor(p * bins).astype("int64"), 0, bins - 1)
    frame = pd.DataFrame({"bin": b, "p": p, "y": y})
    out = frame.groupby("bin").agg(mean_predicted=("p", "mean"), observed_rate=("y", "mean"),
                                   n=("y", "size")).reset_index()
    out["n"] = out["n"].astype("int64")
    return out


def gains_table(y, score, steps: int = 20) -> pd.DataFrame:
    """Cumulative gains: ``share_targeted`` (k/steps), ``capture`` and ``lift`` at each share
    (one sort for all shares; the same top sets as :func:`top_mask`)."""
    y, s = _arrays(y, score)
    order = np.lexsort((np.arange(len(s)), -s))
    hits = np.concatenate([[0.0], np.cumsum(y[order])])
    total, n = y.sum(), len(y)
    rows = []
    for k in range(1, steps + 1):
        frac = k / steps
        n_top = min(n, max(1, math.ceil(frac * n - 1e-9)))
        rows.append({"share_targeted": frac,
                     "capture": hits[n_top] / total if total else float("nan"),
                     "lift": (hits[n_top] / n_top) / (total / n) if total else float("nan")})
    return pd.DataFrame(rows)


def threshold_table(y, p, thresholds=None) -> pd.DataFrame:
    """For each threshold t (default 0, 0.01, ..., 1): users with p >= t (``flagged``), how
    many of them churned, ``precision`` (NaN when none flagged) and ``recall``."""
    y, p = _arrays(y, p)
    t = np.round(np.linspace(0, 1, 101), 2) if thresholds is None else np.asarray(thresholds, float)
    order = np.argsort(p, kind="stable")
    ps, ys = p[order], y[order]
    churn_from = np.concatenate([np.cumsum(ys[::-1])[::-1], [0.0]])  # churners with rank >= i
    start = np.searchsorted(ps, t, side="left")
    flagged = len(p) - start
    hits = churn_from[start]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(flagged > 0, hits / np.maximum(flagged, 1), np.nan)
        recall = hits / y.sum() if y.sum() else np.full(len(t), np.nan)
    return pd.DataFrame({"threshold": t, "flagged": flagged.astype("int64"),
                         "churners": hits.astype("int64"), "precision": precision, "recall": recall})


def permutation_importance(predict, X: pd.DataFrame, y, groups: dict[str, list[str]],
                           n_repeats: int = 3, seed: int = 0) -> pd.DataFrame:
    """Drop in ROC AUC when a group of columns is shuffled (rows moved together), mean and std
    over ``n_repeats``; ``predict`` maps a float matrix (the columns of ``X``) to probabilities.
    Sorted, largest first. One working copy of the matrix; each group is shuffled in place and
    put back."""
    y = np.asarray(y)
    M = X.to_numpy(dtype="float64", copy=True)
    position = {c: i for i, c in enumerate(X.columns)}
    base = roc_auc(y, predict(M))
    rng = np.random.default_rng(seed)
    rows = []
    for name, cols in groups.items():
        idx = [position[c] for c in cols]
        kept = M[:, idx].copy()
        drops = []
        for _ in range(n_repeats):
            M[:, idx] = kept[rng.permutation(len(M))]
            drops.append(base - roc_auc(y, predict(M)))
        M[:, idx] = kept
        rows.append({"feature": name, "importance": float(np.mean(drops)), "std": float(np.std(drops))})
    out = pd.DataFrame(rows, columns=["feature", "importance", "std"])
    return out.sort_values(["importance", "feature"], ascending=[False, True], ignore_index=True)
