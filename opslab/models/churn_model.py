"""Churn-risk models on a time split, compared with a recency baseline, refitted to score now.

Time split (``h`` = ``config.horizon``, ``as_of`` defaults to ``ds.end``):

* validation cutoff ``Tv = as_of - h``: its label window ``(Tv, as_of]`` is fully observed;
* training cutoffs ``Tt = Tv - h``, ``Tt - step``, ... (``n_train_cutoffs`` of them): their
  label windows end by ``Tv``, so no training label looks into the validation window.

Never a random split of users. Three models: ``baseline`` (one-feature logistic regression on
days since last active: its ranking *is* recency, and it gives calibrated probabilities),
``logistic`` (log1p + standardised features, L2) and ``hgb`` (HistGradientBoosting with early
stopping). The model with the best validation PR AUC (average precision; ``select_by`` can
choose ROC AUC) is chosen: the early-warning list acts on the top of the ranking, which PR AUC
rewards and ROC AUC does not weigh. The chosen model is refitted on all training + validation
cutoffs and scores the eligible users at ``as_of``.

Example
-------
>>> res = ChurnModel(ChurnConfig(horizon=14)).fit(ds).result_      # doctest: +SKIP
>>> res.validation[["roc_auc", "pr_auc", "brier"]]                  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from opslab.models import churn_metrics as cm
from opslab.models.churn_features import (
    ChurnConfig,
    as_day,
    churn_features,
    churn_labels,
    model_matrix,
    top_event_names,
)
from opslab.models.churn_reasons import explain, reason_reference
from opslab.dataset import Dataset
from opslab.problems import ERROR, OpsLabError, Problem

MODELS = ("baseline", "logistic", "hgb")
MIN_ROWS = 30          # per split; fewer cannot rank anything
MIN_CLASS = 5          # churners and stayers each, per split
IMPORTANCE_ROWS = 20_000
# Below this many training rows OpenMP threads cost more than they give: on a busy 2-core box
# a 1,000-row boosting fit took 5-17 s with 2 threads (spin-waiting) and 0.2 s with one.
PARALLEL_ROWS = 200_000




def make_estimator(name: str, config: ChurnConfig, n_rows: int):
    """An unfitted estimator for ``name`` (see the module docstring)."""
    if name == "baseline":
        return make_pipeline(StandardScaler(), LogisticRegression(class_weight=config.class_weight))
    if name == "logistic":
        return make_pipeline(FunctionTransformer(_log1p), StandardScaler(),
                             LogisticRegression(C=1.0, max_iter=2000, class_weight=config.class_weight))
    if name == "hgb":
        return HistGradientBoostingClassifier(
            max_iter=config.max_iter, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=40,
            l2_regularization=1.0, early_stopping=n_rows >= 1000, validation_fraction=0.15,
            n_iter_no_change=10, class_weight=config.class_weight, random_state=config.seed)
    raise ValueError(f"unknown model {name!r}")


def _log1p(X):
    return np.log1p(np.maximum(np.asarray(X, dtype="float64"), 0))


def _columns(name: str, X: pd.DataFrame) -> list[str]:
    return ["days_since_active"] if name == "baseline" else list(X.columns)


def _groups(columns) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for c in columns:
        groups.setdefault("tier" if c.startswith("tier_") else c, []).append(c)
    return groups


@dataclass(frozen=True)
class ChurnResult:
    """Everything :meth:`ChurnModel.fit` learned and measured (read-only by convention).

    validation: one row per model (index ``model``): roc_auc, pr_auc, brier, lift_top,
    capture_top, n, churn_rate. calibration: model, bin, mean_predicted, observed_rate, n.
    lift: model, share_targeted, capture, lift (cumulative gains). chosen_: the chosen model's
    name. scores: eligible users at ``as_of`` (index ``uid``): user_id, risk, tier (when known)
    and the features. threshold_table: threshold, flagged (validation), churners, precision,
    recall, flagged_now (users at ``as_of`` with risk >= threshold). importance: feature,
    importance (drop in validation ROC AUC when shuffled), std. validation_labels /
    validation_risk: the chosen model's validation outcomes and predictions.
    """

    config: ChurnConfig
    as_of: dt.date
    validation_cutoff: dt.date
    train_cutoffs: tuple[dt.date, ...]
    validation: pd.DataFrame
    calibration: pd.DataFrame
    lift: pd.DataFrame
    chosen_: str
    scores: pd.DataFrame
    threshold_table: pd.DataFrame
    importance: pd.DataFrame
    reference: dict
    event_names: tuple[str, ...]
    n_train: int
    validation_labels: np.ndarray
    validation_risk: np.ndarray
    timings: dict = field(default_factory=dict)

    def reasons(self, frame: pd.DataFrame, k: int = 3) -> list[list[tuple[str, dict]]]:
        """Up to ``k`` reasons (i18n key, params) for each row of ``frame`` (rows of ``scores``)."""
        return explain(frame, self.reference, k)

    def at_threshold(self, threshold: float) -> dict:
        """Validation precision / recall / flagged and current flagged count at ``threshold``."""
        p = self.scores["risk"].to_numpy()
        row = cm.threshold_table(self.validation_labels, self.validation_risk, [threshold]).iloc[0].to_dict()
        row["flagged_now"] = int((p >= threshold).sum())
        return row


class ChurnModel:
    """Train, validate, choose and score (scikit-learn style: ``fit`` returns ``self``).

    Attributes after :meth:`fit`: ``result_`` (:class:`ChurnResult`), ``chosen_``,
    ``estimator_`` (the refitted chosen model) and ``feature_names_``.

    >>> model = ChurnModel(ChurnConfig(horizon=14)).fit(ds)      # doctest: +SKIP
    >>> model.result_.scores.nlargest(10, "risk")                # doctest: +SKIP
    """

    def __init__(self, config: ChurnConfig = ChurnConfig()):
        self.config = config

    def cutoffs(self, ds: Dataset, as_of=None) -> tuple[dt.date, list[dt.date]]:
        """Validation cutoff and training cutoffs (newest first) for ``as_of``."""
        cfg = self.config
        end = ds.end if as_of is None else as_day(as_of)
        tv = end - dt.timedelta(days=cfg.horizon)
        train = [tv - dt.timedelta(days=cfg.horizon + k * cfg.train_step) for k in range(cfg.n_train_cutoffs)]
        train = [t for t in train if t > ds.start]
        if not train:
            need = 2 * cfg.horizon + 1
            raise OpsLabError("churn.error.too_short", days=(end - ds.start).days, need=need)
        return tv, train

    def _split(self, ds, cutoff, names):
        feats = churn_features(ds, cutoff, self.config, names)
        X = model_matrix(feats)
        y = churn_labels(ds, cutoff, self.config, feats)
        X = X.loc[y.index]
        return X, y.to_numpy(dtype="int64")

    def fit(self, ds: Dataset, as_of=None) -> "ChurnModel":
        cfg, clock = self.config, {}
        t0 = time.perf_counter()
        end = ds.end if as_of is None else as_day(as_of)
        tv, train_cuts = self.cutoffs(ds, end)
        names = top_event_names(ds, min(train_cuts), cfg.n_event_names)
        parts = [self._split(ds, c, names) for c in train_cuts]
        validation = self._split(ds, tv, names)
        clock["features"] = time.perf_counter() - t0
        rows = sum(len(p[1]) for p in parts)
        with threadpool_limits(limits=None if rows >= PARALLEL_ROWS else 1, user_api="openmp"):
            return self._fit(ds, end, tv, train_cuts, names, parts, validation, clock, t0)

    def _fit(self, ds, end, tv, train_cuts, names, parts, validation, clock, t0):
        cfg = self.config
        X_tr = pd.concat([p[0] for p in parts])
        y_tr = np.concatenate([p[1] for p in parts])
        X_va, y_va = validation
        for split, y in (("train", y_tr), ("validation", y_va)):
            if len(y) < MIN_ROWS:
                raise OpsLabError("churn.error.too_few_rows", split=split, n=len(y), min=MIN_ROWS)
            if min(y.sum(), len(y) - y.sum()) < MIN_CLASS:
                raise OpsLabError("churn.error.one_class", split=split, churned=int(y.sum()),
                                     stayed=int(len(y) - y.sum()), min=MIN_CLASS)

        preds, fitted, metrics, calib, gains = {}, {}, [], [], []
        for name in MODELS:
            t1 = time.perf_counter()
            cols = _columns(name, X_tr)
            est = make_estimator(name, cfg, len(y_tr)).fit(X_tr[cols], y_tr)
            p = est.predict_proba(X_va[cols])[:, 1]
            preds[name], fitted[name] = p, est
            metrics.append({"model": name, **cm.metric_row(y_va, p, cfg.top_fraction)})
            calib.append(cm.calibration_table(y_va, p).assign(model=name))
            gains.append(cm.gains_table(y_va, p).assign(model=name))
            clock[f"fit_{name}"] = time.perf_counter() - t1
        validation = pd.DataFrame(metrics).set_index("model")
        chosen = str(validation[cfg.select_by].fillna(-np.inf).idxmax())

        t1 = time.perf_counter()
        cols, est = _columns(chosen, X_tr), fitted[chosen]
        rng = np.random.default_rng(cfg.seed)
        sample = np.sort(rng.choice(len(y_va), size=min(len(y_va), IMPORTANCE_ROWS), replace=False))
        importance = cm.permutation_importance(
            lambda X: est.predict_proba(X[cols])[:, 1], X_va.iloc[sample], y_va[sample],
            _groups(X_va.columns), n_repeats=3, seed=cfg.seed)
        clock["importance"] = time.perf_counter() - t1

        t1 = time.perf_counter()
        X_all = pd.concat([X_tr, X_va])
        y_all = np.concatenate([y_tr, y_va])
        final = make_estimator(chosen, cfg, len(y_all)).fit(X_all[cols], y_all)
        now = churn_features(ds, end, cfg, names)
        if cfg.label == "purchase":
            now = now.loc[now["orders_90"] > 0]
        risk = final.predict_proba(model_matrix(now)[cols])[:, 1] if len(now) else np.array([])
        scores = now.copy()
        scores.insert(0, "risk", risk)
        scores.insert(0, "user_id", ds.users["user_id"].to_numpy()[now.index.to_numpy()])
        clock["score"] = time.perf_counter() - t1

        thresholds = cm.threshold_table(y_va, preds[chosen])
        thresholds["flagged_now"] = np.searchsorted(np.sort(risk), thresholds["threshold"].to_numpy(),
                                                    side="left")
        thresholds["flagged_now"] = len(risk) - thresholds["flagged_now"]
        retained = X_va.loc[y_va == 0]
        reference = reason_reference(retained, importance)
        clock["total"] = time.perf_counter() - t0

        self.chosen_, self.estimator_, self.feature_names_ = chosen, final, cols
        self.result_ = ChurnResult(
            config=cfg, as_of=end, validation_cutoff=tv, train_cutoffs=tuple(train_cuts),
            validation=validation, calibration=pd.concat(calib, ignore_index=True),
            lift=pd.concat(gains, ignore_index=True), chosen_=chosen, scores=scores,
            threshold_table=thresholds, importance=importance, reference=reference,
            event_names=names, n_train=len(y_tr), validation_labels=y_va,
            validation_risk=preds[chosen], timings=clock)
        return self
