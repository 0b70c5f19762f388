"""Churn risk: labels, point-in-time features, models on a time split, reasons, value at risk.

The work is split over small modules; import everything from here:

* :mod:`opslab.churn_features` -- :class:`ChurnConfig`, :func:`churn_features`,
  :func:`churn_labels` (SQL in ``opslab/sql/churn.sql``);
* :mod:`opslab.churn_model` -- :class:`ChurnModel`, :class:`ChurnResult`,
  :class:`OpsLabError`;
* :mod:`opslab.churn_metrics` -- ROC/PR AUC, Brier, lift, capture, calibration, gains,
  threshold tables, permutation importance;
* :mod:`opslab.churn_reasons` -- per-user reasons and feature names as i18n keys.

This module adds the early-warning list: who is at risk now, in which tier, and how much
lifetime value is at stake.

Example
-------
>>> res = ChurnModel(ChurnConfig()).fit(ds).result_                     # doctest: +SKIP
>>> valued, problem = attach_value(res.scores, ds, res.as_of)          # doctest: +SKIP
>>> early_warning(valued, threshold=0.5).head()                         # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.models.churn_features import (
    BASE_FEATURES,
    ChurnConfig,
    churn_features,
    churn_labels,
    model_matrix,
    top_event_names,
)
from opslab.models.churn_metrics import (
    brier,
    calibration_table,
    capture_rate,
    gains_table,
    lift,
    permutation_importance,
    pr_auc,
    roc_auc,
    threshold_table,
)
from opslab.models.churn_model import MODELS, ChurnModel, ChurnResult
from opslab.models.churn_reasons import REASONS, explain, feature_label, reason_reference
from opslab.models.clv import CLVConfig, fit_clv
from opslab.dataset import Dataset
from opslab.problems import OpsLabError, Problem

__all__ = [
    "BASE_FEATURES", "ChurnConfig", "churn_features", "churn_labels", "model_matrix",
    "top_event_names", "brier", "calibration_table", "capture_rate", "gains_table", "lift",
    "permutation_importance", "pr_auc", "roc_auc", "threshold_table", "MODELS",
    "OpsLabError", "ChurnModel", "ChurnResult", "REASONS", "explain", "feature_label",
    "reason_reference", "WATCH_TIERS", "NEW_DAYS", "attach_value", "early_warning",
]

#: Tiers on the early-warning list (churned and brand-new users are not "about to churn").
WATCH_TIERS = ("active", "payer", "high_value", "potential_payer", "churn_warning")
#: Without lifecycle tiers, users younger than this are treated as brand-new and left out.
NEW_DAYS = 14


def attach_value(scores: pd.DataFrame, ds: Dataset, as_of,
                 clv_config: CLVConfig = CLVConfig()) -> tuple[pd.DataFrame, Problem | None]:
    """Add ``clv``, ``value`` and ``value_at_risk = risk x value`` to ``scores``.

    The value is the CLV from :func:`opslab.clv.fit_clv` on the orders up to ``as_of`` (users
    without orders: 0). When the CLV model cannot be fitted its
    :class:`~opslab.clv.OpsLabError` comes back as a :class:`Problem` and the value falls
    back to the 90-day spend (``value_source`` says which one was used).

    >>> s = pd.DataFrame({"user_id": ["a"], "risk": [0.5], "spend_90": [80.0]})
    >>> out, problem = attach_value(s, Dataset.from_tables(events=pd.DataFrame(
    ...     {"user_id": ["a"], "event_time": pd.to_datetime(["2024-01-01"])})), "2024-01-01")
    >>> problem.code, float(out["value_at_risk"].iloc[0])
    ('clv.too_few_customers', 40.0)
    """
    out = scores.copy()
    problem = None
    try:
        clv = fit_clv(ds.orders, as_of, clv_config).summary["clv"]
        out["clv"] = clv.reindex(out["user_id"].to_numpy()).fillna(0.0).to_numpy(dtype="float64")
        out["value"] = out["clv"]
        out["value_source"] = "clv"
    except OpsLabError as err:
        problem = err.problem
        out["clv"] = np.nan
        out["value"] = out["spend_90"].to_numpy(dtype="float64")
        out["value_source"] = "spend_90"
    out["value_at_risk"] = out["risk"].to_numpy(dtype="float64") * out["value"].to_numpy(dtype="float64")
    return out, problem


def early_warning(scores: pd.DataFrame, threshold: float, tiers=WATCH_TIERS) -> pd.DataFrame:
    """Users with ``risk >= threshold`` in ``tiers``, by value at risk (then risk), highest first.

    Without a ``tier`` column (no lifecycle module) brand-new users (tenure below
    :data:`NEW_DAYS`) are left out instead. Sorting falls back to risk when there is no
    ``value_at_risk``; ties keep ``user_id`` order, so the list is deterministic.
    """
    keep = scores["risk"].to_numpy() >= threshold
    if "tier" in scores and scores["tier"].astype("str").ne("").any():
        keep &= scores["tier"].astype("str").isin(list(tiers)).to_numpy()
    else:
        keep &= scores["tenure_days"].to_numpy() >= NEW_DAYS
    out = scores.loc[keep]
    by = [c for c in ("value_at_risk", "risk") if c in out]
    return out.sort_values(by + ["user_id"], ascending=[False] * len(by) + [True], kind="stable")
