"""What a churn fit learned and how good it is: :class:`ChurnResult` and its honest readout.

The readout puts every figure next to what it should be compared with: precision at the
threshold next to the base rate (the share of users who churn anyway) and next to the recency
baseline flagging as many users; ROC AUC next to the baseline's; and a plain verdict with its
reason (codes for the view to translate).

Example
-------
>>> res = ChurnModel(ChurnConfig()).fit(ds).result_          # doctest: +SKIP
>>> r = res.readout(0.5); r.verdict, r.lift, r.lift_over_baseline   # doctest: +SKIP
('usable', 1.9, 1.1)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from opslab.models import churn_metrics as cm
from opslab.models.churn_features import ChurnConfig
from opslab.models.churn_reasons import explain

#: Validation ROC AUC from which a ranking counts as strong / usable (below: weak).
STRONG_AUC, USABLE_AUC = 0.80, 0.70


def auc_verdict(auc: float) -> str:
    """How a validation ROC AUC reads: "strong" from 0.80, "usable" from 0.70, else "weak"
    (Hosmer & Lemeshow's bands: 0.7-0.8 acceptable, 0.8 and above excellent).

    >>> auc_verdict(0.80), auc_verdict(0.7999), auc_verdict(0.70), auc_verdict(0.6999)
    ('strong', 'usable', 'usable', 'weak')
    """
    return "strong" if auc >= STRONG_AUC else "usable" if auc >= USABLE_AUC else "weak"
#: Precision at the threshold below this multiple of the base rate adds a caveat.
MIN_USEFUL_LIFT = 1.1


@dataclass(frozen=True)
class ChurnReadout:
    """How good the chosen model is, at one threshold (rates in 0..1).

    base_rate: share of validation users who churned. flagged / precision / recall: validation
    users with risk >= threshold, the share of them who churned, the share of churners found.
    lift: precision / base_rate. baseline_precision: precision of days-since-last-activity
    flagging the same number; lift_over_baseline: precision / baseline_precision. auc /
    baseline_auc: validation ROC AUC of the chosen model and of recency. verdict: ``strong``,
    ``usable``, ``weak`` or ``unvalidated``; reasons: (i18n code, params) pairs saying why.
    flagged_now: users at ``as_of`` with risk >= threshold.
    """

    threshold: float
    base_rate: float
    flagged: int
    precision: float
    recall: float
    lift: float
    baseline_precision: float
    lift_over_baseline: float
    auc: float
    baseline_auc: float
    verdict: str
    reasons: tuple[tuple[str, dict], ...]
    flagged_now: int


@dataclass(frozen=True)
class ChurnResult:
    """Everything :meth:`ChurnModel.fit` learned and measured (read-only by convention).

    validation: one row per candidate (index ``model``): roc_auc, pr_auc, brier, lift_top,
    capture_top, n, churn_rate (empty when nothing could be validated). calibration: model,
    bin, mean_predicted, observed_rate, n. lift: model, share_targeted, capture, lift
    (cumulative gains). chosen: the chosen candidate. scores: users at ``as_of`` (index
    ``uid``): user_id, risk (probability of no activity within the horizon) and the features.
    threshold_table: threshold, flagged, churners, precision, recall (validation) and
    flagged_now. importance: feature, importance (drop in validation ROC AUC when shuffled),
    std. validation_labels / validation_risk / validation_baseline: the validation outcomes,
    the chosen model's probabilities and the recency scores. notes: (i18n code, params) pairs
    on what limited the fit (no training window, no model beat recency ...).
    label_free_check: with no validation window, the label-free candidates' ROC AUC on the
    shorter window that chose among them (index ``model``; None when nothing could be checked).
    """

    config: ChurnConfig
    as_of: dt.date
    validation_cutoff: dt.date | None
    train_cutoffs: tuple[dt.date, ...]
    validation: pd.DataFrame
    calibration: pd.DataFrame
    lift: pd.DataFrame
    chosen: str
    scores: pd.DataFrame
    threshold_table: pd.DataFrame
    importance: pd.DataFrame
    reference: dict
    event_names: tuple[str, ...]
    n_train: int
    validation_labels: np.ndarray
    validation_risk: np.ndarray
    validation_baseline: np.ndarray
    validation_idle: np.ndarray = field(default_factory=lambda: np.zeros(0))
    validation_preds: dict = field(default_factory=dict)  # every candidate's validation scores
    notes: tuple[tuple[str, dict], ...] = ()
    timings: dict = field(default_factory=dict)
    label_free_check: pd.DataFrame | None = None

    @property
    def validated(self) -> bool:
        return len(self.validation_labels) > 0

    @property
    def base_rate(self) -> float:
        """Share of validation users who churned (NaN when unvalidated)."""
        return float(np.mean(self.validation_labels)) if self.validated else float("nan")

    def _validation_on(self, keep: np.ndarray) -> pd.DataFrame:
        """The model card (every candidate's metrics) on a subset of the validation users, so
        the card and the readout measure the same users."""
        y = self.validation_labels[keep]
        out = self.validation.copy()
        if not self.validation_preds:  # an older result: the chosen model and recency only
            out.loc[self.chosen, "roc_auc"] = cm.roc_auc(y, self.validation_risk[keep])
            out.loc["recency", "roc_auc"] = cm.roc_auc(y, self.validation_baseline[keep])
            return out
        for name, p in self.validation_preds.items():
            row = cm.metric_row(y, np.asarray(p)[keep], self.config.top_fraction)
            row["brier"] = float("nan") if name == "recency" else row["brier"]  # days are no probability
            out.loc[name, list(row)] = list(row.values())
        return out

    def validation_for(self, max_idle_days: int | None) -> tuple[pd.DataFrame, int]:
        """The model card on the users the readout covers (idle for fewer than
        ``max_idle_days`` at the validation cutoff; all with None) and how many they are."""
        if max_idle_days is None or not self.validated:
            return self.validation, len(self.validation_labels)
        keep = self.validation_idle < max_idle_days
        return (self._validation_on(keep), int(keep.sum())) if keep.any() else (self.validation, 0)

    def reasons(self, frame: pd.DataFrame, k: int = 3) -> list[list[tuple[str, dict]]]:
        """Up to ``k`` reasons (i18n key, params) for each row of ``frame`` (rows of ``scores``);
        never empty: a row without a standout behaviour gets ``churn.reason.similar``."""
        return explain(frame, self.reference, k)

    def at_threshold(self, threshold: float) -> dict:
        """Validation precision / recall / flagged and current flagged count at ``threshold``."""
        p = self.scores["risk"].to_numpy()
        row = cm.threshold_table(self.validation_labels, self.validation_risk, [threshold]).iloc[0].to_dict()
        row["flagged_now"] = int((p >= threshold).sum())
        return row

    def readout(self, threshold: float, max_idle_days: int | None = None) -> ChurnReadout:
        """The honest readout at ``threshold`` (see :class:`ChurnReadout`).

        With ``max_idle_days`` (the churn rule in force) everything is measured over the users
        the early-warning list is about: idle for fewer days than that at the cutoff (long-gone
        users are easy to call churned and would flatter every figure).
        """
        scores = self.scores
        if max_idle_days is not None:
            scores = scores.loc[scores["days_since_active"].to_numpy() < max_idle_days]
            keep = self.validation_idle < max_idle_days
            if self.validated and keep.any():
                sub = replace(self, scores=scores, validation_labels=self.validation_labels[keep],
                              validation_risk=self.validation_risk[keep],
                              validation_baseline=self.validation_baseline[keep],
                              validation_idle=self.validation_idle[keep],
                              validation=self._validation_on(keep))
                return sub.readout(threshold)
        flagged_now = int((scores["risk"].to_numpy() >= threshold).sum())
        nan = float("nan")
        if not self.validated or len(np.unique(self.validation_labels)) < 2:
            return ChurnReadout(threshold, nan, 0, nan, nan, nan, nan, nan, nan, nan, "unvalidated",
                                (("churn.verdict_reason.unvalidated", {"model": self.chosen}),), flagged_now)
        y = self.validation_labels
        at = self.at_threshold(threshold)
        base = float(np.mean(y))
        k = int(at["flagged"])
        baseline_precision = nan
        if k > 0:
            top = cm.top_mask(self.validation_baseline, k / len(y))
            baseline_precision = float(y[top].mean())
        precision = float(at["precision"])
        auc = float(self.validation.loc[self.chosen, "roc_auc"])
        base_auc = float(self.validation.loc["recency", "roc_auc"])
        verdict = auc_verdict(auc)
        key = "churn.verdict_reason.baseline" if self.chosen == "recency" else "churn.verdict_reason.auc"
        reasons = [(key, {"auc": round(auc, 3), "baseline_auc": round(base_auc, 3), "model": self.chosen})]
        lift = precision / base if base > 0 and k else nan
        if k and np.isfinite(lift) and lift < MIN_USEFUL_LIFT:
            reasons.append(("churn.verdict_reason.low_lift", {"lift": round(lift, 2)}))
        return ChurnReadout(
            threshold=float(threshold), base_rate=base, flagged=k, precision=precision,
            recall=float(at["recall"]), lift=lift, baseline_precision=baseline_precision,
            lift_over_baseline=precision / baseline_precision if baseline_precision > 0 else nan,
            auc=auc, baseline_auc=base_auc, verdict=verdict, reasons=tuple(reasons),
            flagged_now=flagged_now)
