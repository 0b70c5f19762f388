"""Churn-risk models on a time split, compared with the recency baseline, refitted to score now.

Cutoffs lie on a grid of ``grid_days`` back from ``as_of`` (so features, cached per cutoff,
serve every horizon). With ``h`` = ``config.horizon``:

* validation cutoff ``Tv``: the latest grid day with ``Tv + h <= as_of`` (its label window is
  fully observed by ``as_of``, and nothing after ``as_of`` is ever read);
* training cutoffs: the newest grid day with ``T + h <= Tv`` (so no training label looks into
  the validation window) and grid days spread over the whole history back to its first week,
  up to ``n_train_cutoffs`` in all.

Never a random split of users. Candidates: ``recency`` (days since the last activity: no
training, probabilities from an isotonic fit), ``bgnbd`` (the BG/NBD probability of no
activity within the horizon, fitted on the history up to the cutoff: no labels needed),
``bgnbd_expected`` (exp(-BG/NBD expected activity within the horizon), see
:mod:`~opslab.models.churn_label_free`), ``logistic`` (log1p + standardised features, L2) and ``hgb`` (histogram gradient boosting).
The candidate with the best validation ROC AUC is chosen (ties: the simpler one), so a model
that does not beat recency is not used; the chosen model is refitted on every labelled cutoff
and scores the users at ``as_of``. When the history is too short for training snapshots, only
the label-free candidates compete; when not even a validation window fits, the label-free
score that ranks best on the longest shorter window that can be checked is used
(:func:`~opslab.models.churn_label_free.check_label_free`), and the notes say so. ``notes`` says which of these happened (i18n codes).

Same bytes, same scores: features use exact decimal sums and sorted rows, samples and models
use fixed seeds.

Example
-------
>>> res = ChurnModel(ChurnConfig(horizon=28)).fit(ds).result_        # doctest: +SKIP
>>> res.validation[["roc_auc", "pr_auc", "brier"]]                    # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from opslab.dataset.dataset import Dataset
from opslab.models import churn_metrics as cm
from opslab.models.churn_features import (
    ChurnConfig,
    churn_features,
    churn_labels,
    model_matrix,
    top_event_names,
)
from opslab.models.churn_label_free import (  # noqa: F401 - activity_summary re-exported
    activity_summary,
    check_label_free,
    label_free_risk,
    recency_on_model_scale,
)
from opslab.models.churn_reasons import reason_reference
from opslab.models.churn_result import ChurnResult
from opslab.core.periods import as_of_day
from opslab.core.problems import OpsLabError

MODELS = ("recency", "bgnbd", "bgnbd_expected", "logistic", "hgb")
TRAINED = ("logistic", "hgb")
MIN_ROWS = 30          # per split; fewer cannot rank anything
MIN_CLASS = 5          # churners and stayers each, per split
MIN_HISTORY_DAYS = 7   # a cutoff needs this much history before it
IMPORTANCE_ROWS = 5_000


def make_estimator(name: str, config: ChurnConfig, n_rows: int, n_iter: int | None = None):
    """An unfitted estimator for a trained candidate (see the module docstring)."""
    if name == "logistic":
        return make_pipeline(FunctionTransformer(_log1p), StandardScaler(),
                             LogisticRegression(C=1.0, max_iter=2000, class_weight=config.class_weight))
    if name == "hgb":
        early = n_iter is None and n_rows >= 1000
        return HistGradientBoostingClassifier(
            max_iter=n_iter or config.max_iter, learning_rate=0.1, max_leaf_nodes=15,
            min_samples_leaf=40, l2_regularization=1.0, early_stopping=early,
            validation_fraction=0.15, n_iter_no_change=10, class_weight=config.class_weight,
            random_state=config.seed)
    raise ValueError(f"unknown trained model {name!r}")


def _log1p(X):
    return np.log1p(np.maximum(np.asarray(X, dtype="float64"), 0))


def _groups(columns) -> dict[str, list[str]]:
    return {c: [c] for c in columns}


def user_rank(ds: Dataset) -> np.ndarray:
    """Rank of every ``uid``'s user id in sorted order (memoised per data set)."""
    def compute():
        rank = np.empty(ds.n_users, dtype="int64")
        rank[np.argsort(ds.users["user_id"].to_numpy(dtype=object), kind="stable")] = np.arange(ds.n_users)
        return rank
    return ds.memo(("user_rank",), compute)


class ChurnModel:
    """Train, validate, choose and score (scikit-learn style: ``fit`` returns ``self``).

    Attributes after :meth:`fit`: ``result_`` (:class:`ChurnResult`), ``chosen_``,
    ``estimator_`` (the refitted chosen model, or None for the label-free ones) and
    ``feature_names_``.

    >>> model = ChurnModel(ChurnConfig(horizon=28)).fit(ds)      # doctest: +SKIP
    >>> model.result_.scores.nlargest(10, "risk")                # doctest: +SKIP
    """

    def __init__(self, config: ChurnConfig = ChurnConfig()):
        self.config = config

    def cutoffs(self, ds: Dataset, as_of=None) -> tuple[dt.date | None, list[dt.date]]:
        """Validation cutoff (None when no label window fits) and training cutoffs (newest first).

        Training cutoffs are every ``stride``-th day of the grid, where the stride spreads
        ``n_train_cutoffs`` over the whole history whatever the horizon: another horizon keeps
        most of them (their features are cached). When the horizon leaves fewer than half of
        them, the remaining grid days are spread evenly instead.
        """
        cfg = self.config
        end = min(ds.end, as_of_day(as_of, ds.end))
        first = ds.start + dt.timedelta(days=MIN_HISTORY_DAYS)
        step, h = cfg.grid_days, cfg.horizon
        tv = end - dt.timedelta(days=step * -(-h // step))
        if tv < first:
            return None, []
        grid = [end - dt.timedelta(days=step * k) for k in range(1, (end - first).days // step + 1)]
        open_ = [d for d in grid if d + dt.timedelta(days=h) <= tv]
        stride = max(1, -(-len(grid) // cfg.n_train_cutoffs))
        if not open_:
            return tv, []
        spread = [d for k, d in enumerate(grid) if k % stride == stride - 1 and d in set(open_)]
        if len(spread) < max(1, cfg.n_train_cutoffs // 2):
            picks = np.unique(np.round(np.linspace(0, len(open_) - 1, min(len(open_), cfg.n_train_cutoffs))))
            spread = [open_[int(i)] for i in picks]
        # the newest possible snapshot (closest to what is scored) plus the spread ones
        train = [open_[0]] + [d for d in spread if d != open_[0]]
        return tv, train[:cfg.n_train_cutoffs]

    def _split(self, ds, cutoff, names):
        """Features and labels at ``cutoff``, rows in user-id order: the dense ``uid`` follows
        the input's row order, so sorting by the id itself makes the fit independent of it."""
        feats = churn_features(ds, cutoff, self.config, names)
        y = churn_labels(ds, cutoff, self.config, feats)
        order = np.argsort(user_rank(ds)[y.index.to_numpy()], kind="stable")
        return feats.loc[y.index].iloc[order], y.to_numpy(dtype="int64")[order]

    def fit(self, ds: Dataset, as_of=None, progress: Callable[[float, str], None] | None = None) -> "ChurnModel":
        """Fit on ``ds`` up to ``as_of`` (default its last day); ``progress(fraction, step)``
        is called as the work advances (step codes: features, fit, score)."""
        cfg, clock = self.config, {}
        step = progress or (lambda fraction, code: None)
        t0 = time.perf_counter()
        end = min(ds.end, as_of_day(as_of, ds.end))
        tv, train_cuts = self.cutoffs(ds, end)
        names = top_event_names(ds, min(train_cuts) if train_cuts else (tv or end), cfg.n_event_names)
        notes: list[tuple[str, dict]] = []
        parts = []
        for i, c in enumerate(train_cuts):
            step(0.4 * i / max(len(train_cuts), 1), "features")
            parts.append(self._split(ds, c, names))
        validation = self._split(ds, tv, names) if tv is not None else None
        clock["features"] = time.perf_counter() - t0
        step(0.4, "fit")
        # One BLAS and one OpenMP thread: on a shared 2-core box extra threads only spin-wait
        # (a 90k-row logistic fit: 5.2 s with BLAS threads, 0.7 s without; a 300k-row boosting
        # fit took 156 s with 2 OpenMP threads under load).
        with threadpool_limits(limits=1, user_api="blas"), threadpool_limits(limits=1, user_api="openmp"):
            fitter = _Fitter(self, ds, end, tv, train_cuts, names, parts, validation, notes, clock, step)
            fitter.run()
            result = fitter.result()
        clock["total"] = time.perf_counter() - t0
        self.chosen_ = fitter.chosen
        self.estimator_ = fitter.final
        self.feature_names_ = fitter.columns
        self.result_ = result
        step(1.0, "done")
        return self


class _Fitter:
    """The steps of :meth:`ChurnModel.fit` (kept apart so each reads on its own)."""

    def __init__(self, model, ds, end, tv, train_cuts, names, parts, validation, notes, clock, step):
        self.cfg, self.ds, self.end, self.tv = model.config, ds, end, tv
        self.train_cuts, self.names, self.parts, self.val = train_cuts, names, parts, validation
        self.notes, self.clock, self.step = notes, clock, step
        self.final, self.columns, self.chosen = None, [], "bgnbd_expected"
        self.label_free_check = None
        self.metrics = pd.DataFrame(columns=["roc_auc", "pr_auc", "brier", "lift_top", "capture_top",
                                             "n", "churn_rate"])
        self.calibration = pd.DataFrame(columns=["bin", "mean_predicted", "observed_rate", "n", "model"])
        self.gains = pd.DataFrame(columns=["share_targeted", "capture", "lift", "model"])
        self.val_pred: dict[str, np.ndarray] = {}
        self.importance = pd.DataFrame(columns=["feature", "importance", "std"])
        self.n_train = 0

    # -- validation of every candidate ---------------------------------------------------------
    def _usable(self, y, split) -> tuple[str, dict] | None:
        if len(y) < MIN_ROWS:
            return "churn.note.too_few_rows", {"split": split, "n": int(len(y)), "min": MIN_ROWS}
        if min(y.sum(), len(y) - y.sum()) < MIN_CLASS:
            return "churn.note.one_class", {"split": split, "churned": int(y.sum()),
                                            "stayed": int(len(y) - y.sum()), "min": MIN_CLASS}
        return None

    def _sample(self, X: pd.DataFrame, y: np.ndarray):
        """At most ``max_train_rows`` rows, a fixed-seed sample kept in row order."""
        if len(y) <= self.cfg.max_train_rows:
            return X, y
        rng = np.random.default_rng(self.cfg.seed)
        keep = np.sort(rng.choice(len(y), size=self.cfg.max_train_rows, replace=False))
        return X.iloc[keep], y[keep]

    def run(self) -> None:
        cfg = self.cfg
        if self.val is None:
            self.notes.append(("churn.note.no_validation", {"horizon": cfg.horizon}))
            return self._check_label_free()
        X_va, y_va = self.val
        problem = self._usable(y_va, "validation")
        if problem:
            self.notes.append(problem)
            self.val = None
            return self._check_label_free()
        preds = {"recency": X_va["days_since_active"].to_numpy(dtype="float64")}
        for kind in ("bgnbd", "bgnbd_expected"):
            bg = label_free_risk(self.ds, self.tv, X_va, cfg.horizon, cfg.label, kind)
            if bg is not None:
                preds[kind] = bg
        X_tr = pd.concat([p[0] for p in self.parts]) if self.parts else X_va.iloc[:0]
        y_tr = np.concatenate([p[1] for p in self.parts]) if self.parts else np.zeros(0, "int64")
        X_tr, y_tr = self._sample(X_tr, y_tr)
        self.n_train = len(y_tr)
        thin = self._usable(y_tr, "train") if self.parts else ("churn.note.no_training",
                                                                {"horizon": cfg.horizon})
        fitted = {}
        if thin:
            self.notes.append(thin)
        else:
            for i, name in enumerate(TRAINED):
                t1 = time.perf_counter()
                est = make_estimator(name, cfg, len(y_tr)).fit(model_matrix(X_tr), y_tr)
                preds[name] = est.predict_proba(model_matrix(X_va))[:, 1]
                fitted[name] = est
                self.clock[f"fit_{name}"] = time.perf_counter() - t1
                self.step(0.4 + 0.3 * (i + 1) / len(TRAINED), "fit")
        rows, calib, gains = [], [], []
        for name, p in preds.items():
            row = {"model": name, **cm.metric_row(y_va, p, cfg.top_fraction)}
            if name == "recency":  # days are no probability: a Brier "score" of days means nothing
                row["brier"] = float("nan")
            rows.append(row)
            if name != "recency":  # days are no probability
                calib.append(cm.calibration_table(y_va, p).assign(model=name))
            gains.append(cm.gains_table(y_va, p).assign(model=name))
        self.metrics = pd.DataFrame(rows).set_index("model")
        self.calibration = pd.concat(calib, ignore_index=True) if calib else self.calibration
        self.gains = pd.concat(gains, ignore_index=True)
        self.val_pred = preds
        score = self.metrics[cfg.select_by].fillna(-np.inf)
        self.chosen = str(score.idxmax())  # first maximum: candidates are listed simplest first
        if self.chosen == "recency" and len(preds) > 1:
            self.notes.append(("churn.note.not_beaten", {}))
        if self.chosen in fitted:
            self._importance(fitted[self.chosen], X_va, y_va)
            self._refit(X_tr, y_tr, X_va, y_va, fitted[self.chosen])

    def _check_label_free(self) -> None:
        """No window to validate on: choose the label-free score on a shorter one."""
        t1 = time.perf_counter()
        self.chosen, self.label_free_check, note = check_label_free(self.ds, self.end, self.cfg, self.names)
        self.notes.append(note)
        self.clock["label_free_check"] = time.perf_counter() - t1

    def _importance(self, est, X_va, y_va):
        t1 = time.perf_counter()
        rng = np.random.default_rng(self.cfg.seed)
        sample = np.sort(rng.choice(len(y_va), size=min(len(y_va), IMPORTANCE_ROWS), replace=False))
        self.importance = cm.permutation_importance(
            lambda M: est.predict_proba(M)[:, 1], X_va.iloc[sample], y_va[sample],
            _groups(X_va.columns), n_repeats=2, seed=self.cfg.seed)
        self.clock["importance"] = time.perf_counter() - t1

    def _refit(self, X_tr, y_tr, X_va, y_va, est):
        t1 = time.perf_counter()
        X_all, y_all = self._sample(pd.concat([X_tr, X_va]), np.concatenate([y_tr, y_va]))
        n_iter = getattr(est, "n_iter_", None)
        self.final = make_estimator(self.chosen, self.cfg, len(y_all), n_iter).fit(model_matrix(X_all), y_all)
        self.columns = list(X_all.columns)
        self.clock["refit"] = time.perf_counter() - t1

    # -- scoring now ------------------------------------------------------------------------------
    def _score_now(self, now: pd.DataFrame) -> np.ndarray:
        cfg = self.cfg
        if len(now) == 0:
            return np.zeros(0)
        if self.final is not None:
            return self.final.predict_proba(model_matrix(now))[:, 1]
        if self.chosen == "recency" and self.val is not None:
            X_va, y_va = self.val
            iso = IsotonicRegression(y_min=0, y_max=1, increasing=True, out_of_bounds="clip")
            iso.fit(X_va["days_since_active"].to_numpy(dtype="float64"), y_va)
            return iso.predict(now["days_since_active"].to_numpy(dtype="float64"))
        kind = "bgnbd_expected" if self.chosen == "recency" else self.chosen
        risk = label_free_risk(self.ds, self.end, now, cfg.horizon, cfg.label, kind)
        if risk is not None and self.chosen == "recency":  # recency's order at the model's level
            risk = recency_on_model_scale(now["days_since_active"].to_numpy(dtype="float64"), risk)
        if risk is None:
            raise OpsLabError("churn.error.too_short", days=(self.end - self.ds.start).days,
                              need=cfg.horizon + MIN_HISTORY_DAYS + 1)
        if self.val is None:
            self.notes.append(("churn.note.unvalidated", {}))
        return risk

    def result(self) -> ChurnResult:
        cfg, ds = self.cfg, self.ds
        self.step(0.8, "score")
        t1 = time.perf_counter()
        now = churn_features(ds, self.end, cfg, self.names)
        if cfg.label == "purchase":
            now = now.loc[now["has_paid"] > 0]
        risk = self._score_now(now)
        scores = now.copy()
        scores.insert(0, "risk", risk)
        scores.insert(0, "user_id", ds.users["user_id"].to_numpy()[now.index.to_numpy()])
        self.clock["score"] = time.perf_counter() - t1
        if self.val is not None:
            X_va, y_va = self.val
            retained = X_va.loc[y_va == 0]
            labels, chosen_pred = y_va, self.val_pred[self.chosen]
            if self.chosen == "recency":  # the same isotonic map as the scores, for thresholds
                iso = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(chosen_pred, y_va)
                chosen_pred = iso.predict(chosen_pred)
            baseline = self.val_pred["recency"]
        else:
            retained, labels = now, np.zeros(0, "int64")
            chosen_pred = baseline = np.zeros(0)
        idle = baseline.copy()
        thresholds = cm.threshold_table(labels, chosen_pred)
        thresholds["flagged_now"] = len(risk) - np.searchsorted(np.sort(risk), thresholds["threshold"].to_numpy(),
                                                                side="left")
        return ChurnResult(
            config=cfg, as_of=self.end, validation_cutoff=self.tv if self.val is not None else None,
            train_cutoffs=tuple(self.train_cuts), validation=self.metrics, calibration=self.calibration,
            lift=self.gains, chosen=self.chosen, scores=scores, threshold_table=thresholds,
            importance=self.importance, reference=reason_reference(retained, self.importance),
            event_names=self.names, n_train=self.n_train, validation_labels=labels,
            validation_risk=chosen_pred, validation_baseline=baseline, validation_idle=idle,
            validation_preds=dict(self.val_pred) if self.val is not None else {}, notes=tuple(self.notes),
            timings=self.clock, label_free_check=self.label_free_check)
