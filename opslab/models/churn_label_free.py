"""Churn scores that need no labels, and how one is chosen when the horizon leaves no window to
validate on.

Candidates (simplest first):

* ``recency`` -- days since the last activity;
* ``bgnbd`` -- the BG/NBD probability of no activity within the horizon;
* ``bgnbd_expected`` -- ``exp(-E[Y(h)])``, the chance of no activity if the BG/NBD expected
  count of the next ``h`` days arrived as a Poisson count. It ranks users by their expected
  activity: on the CDNOW log it ranked at least as well as days since the last purchase at
  every cutoff measured (8 cutoffs, 90 to 273 days), where P(no purchase) fell below it at
  three (AUC 0.747 vs 0.759 at 273 days from 1997-09-30).

:func:`check_label_free`: when the horizon ``h`` has no outcome window before ``as_of``, the
candidates are compared on the longest shorter window that can be checked with half the
history before it (``as_of - h'`` .. ``as_of``, ``h' <= h - 1``) and the best ROC AUC wins
(ties: the simpler). The choice and its figures go into the notes, so the readout says what
was checked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from opslab.dataset.dataset import Dataset
from opslab.models import churn_metrics as cm
from opslab.models.churn_features import MIN_HORIZON, churn_features, churn_labels
from opslab.models.clv import customer_summary
from opslab.models.clv_fitters import BetaGeoFitter
from opslab.core.problems import OpsLabError

LABEL_FREE = ("recency", "bgnbd", "bgnbd_expected")
MIN_ROWS = 30   # users in the checked window; fewer cannot rank anything
MIN_CLASS = 5   # churners and stayers each


def activity_summary(feats: pd.DataFrame) -> pd.DataFrame:
    """Frequency / recency / T (days) of active days, from the churn features."""
    n = feats["active_days_all"].to_numpy()
    first = feats["days_since_first"].to_numpy()
    return pd.DataFrame({"frequency": n - 1, "t_x": first - feats["days_since_active"].to_numpy(),
                         "T": first}, index=feats.index)


def label_free_risk(ds: Dataset, day: dt.date, feats: pd.DataFrame, horizon: int, label: str,
                    kind: str = "bgnbd"):
    """BG/NBD risk of no activity (purchase) within ``horizon`` days for the rows of ``feats``:
    ``kind="bgnbd"`` the model's P(none), ``"bgnbd_expected"`` exp(-expected count). None when
    the model cannot be fitted (too few customers or repeat buyers)."""
    if kind not in LABEL_FREE[1:]:
        raise ValueError(f"unknown label-free score {kind!r}")
    summary = activity_summary(feats) if label == "activity" else customer_summary(ds, day)
    x, tx, T = (summary[k].to_numpy(dtype="float64") for k in ("frequency", "t_x", "T"))
    try:
        bgf = BetaGeoFitter().fit(x, tx, T)
    except OpsLabError:
        return None
    if kind == "bgnbd":
        p = bgf.conditional_probability_no_purchase(float(horizon), x, tx, T)
    else:
        p = np.exp(-bgf.conditional_expected_number_of_purchases_up_to_time(float(horizon), x, tx, T))
    # users who never paid (purchase label) have no purchase to repeat: certain "no purchase"
    return pd.Series(p, index=summary.index).reindex(feats.index).fillna(1.0).to_numpy()


def recency_on_model_scale(days_idle: np.ndarray, model_risk: np.ndarray) -> np.ndarray:
    """Risks ordered by days idle, at the level of a label-free model: the model's sorted
    probabilities handed out in recency order (ties share their mean), so the ranking is
    recency's and the overall churn level the model's."""
    days_idle = np.asarray(days_idle, dtype="float64")
    levels = np.sort(np.asarray(model_risk, dtype="float64"))
    order = np.argsort(days_idle, kind="stable")
    out = np.empty_like(levels)
    out[order] = levels
    return pd.Series(out).groupby(days_idle).transform("mean").to_numpy()


def check_label_free(ds: Dataset, end: dt.date, config, names) -> tuple[str, pd.DataFrame | None, tuple]:
    """Choose the label-free score on the longest checkable shorter window.

    Returns (chosen, validation table or None, note as (i18n code, params)). The window ``h'`` is at most
    ``config.horizon - 1`` days and at most half the history before ``end``, so the cutoff
    ``end - h'`` has as much history as the window has outcome; nothing after ``end`` is read.
    With nothing checkable the choice is ``bgnbd_expected`` and the table is None.
    """
    span = (end - ds.start).days
    h2 = min(config.horizon - 1, span // 2)
    fallback = "bgnbd_expected"
    if h2 < MIN_HORIZON:
        return fallback, None, ("churn.note.check_too_short", {"days": int(span), "min": 2 * MIN_HORIZON})
    cfg2 = dataclasses.replace(config, horizon=int(h2))
    cut = end - dt.timedelta(days=int(h2))
    feats = churn_features(ds, cut, cfg2, names)
    y = churn_labels(ds, cut, cfg2, feats)
    feats = feats.loc[y.index]
    y = y.to_numpy(dtype="int64")
    if len(y) < MIN_ROWS or min(y.sum(), len(y) - y.sum()) < MIN_CLASS:
        return fallback, None, ("churn.note.check_one_class", {
            "horizon": int(h2), "cutoff": str(cut), "churned": int(y.sum()),
            "stayed": int(len(y) - y.sum()), "min": MIN_CLASS})
    preds = {"recency": feats["days_since_active"].to_numpy(dtype="float64")}
    for kind in LABEL_FREE[1:]:
        p = label_free_risk(ds, cut, feats, h2, config.label, kind)
        if p is not None:
            preds[kind] = p
    table = pd.DataFrame([{"model": k, "roc_auc": cm.roc_auc(y, p), "n": len(y),
                           "churn_rate": float(y.mean())} for k, p in preds.items()]).set_index("model")
    chosen = str(table["roc_auc"].idxmax())  # first maximum: the simplest of equals
    params = {"horizon_asked": int(config.horizon), "horizon": int(h2), "cutoff": str(cut), "model": chosen,
              "auc": round(float(table.loc[chosen, "roc_auc"]), 3),
              "auc_recency": round(float(table.loc["recency", "roc_auc"]), 3)}
    return chosen, table, ("churn.note.chosen_by_check", params)
