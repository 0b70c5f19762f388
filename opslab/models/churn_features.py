"""Churn labels and point-in-time features (one DuckDB query per cutoff).

Day arithmetic (the cutoff is a calendar day and, like every OpsLab ``as_of``, included in the
past): features read only days ``d <= cutoff``; the label window is ``cutoff < d <= cutoff +
horizon``. A user is *eligible* at a cutoff when signed up on or before it and active in the
``eligible_window`` days up to it (users who are already gone are not "about to churn").

Labels (1 = churned):

* ``"activity"``: no active day (event or paid order) in the label window;
* ``"purchase"``: no paid order in the label window, among eligible *payers* (a paid order in
  the 90 days up to the cutoff).

Example
-------
>>> cfg = ChurnConfig(horizon=14)                            # doctest: +SKIP
>>> X = churn_features(ds, "2024-05-01", cfg)                # doctest: +SKIP
>>> y = churn_labels(ds, "2024-05-01", cfg)                  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslab.dataset import Dataset

try:  # the lifecycle tier is a feature only when that module is importable
    from opslab import lifecycle as _lifecycle
except Exception:  # noqa: BLE001 - optional dependency inside the project
    _lifecycle = None

N_EVENT_SLOTS = 5
_PAD = "\x00none"  # an event name no real data set holds
ACTIVITY_WINDOWS = (7, 14, 28, 56, 90)
#: Numeric features always present (event-mix ``mix_<name>`` and ``tier_<tier>`` come after).
BASE_FEATURES = (
    "days_since_active", "active_days_7", "active_days_14", "active_days_28", "active_days_56",
    "active_days_90", "active_days_prev_14", "active_days_prev_28", "trend_14", "trend_28",
    "tenure_days", "spend_30", "spend_prev_30", "spend_90", "orders_90", "days_since_purchase",
    "has_paid", "events_28", "events_per_active_day_28",
)
#: Tiers one-hot encoded as model features (``tier_<name>``) when lifecycle is available.
MODEL_TIERS = ("active", "potential_payer", "payer", "high_value", "churn_warning", "new", "silent_new")


@dataclass(frozen=True)
class ChurnConfig:
    """What "churn" means and how the models are trained.

    horizon: label window length in days. label: ``"activity"`` or ``"purchase"``.
    eligible_window: users active in these many days up to a cutoff are scored.
    n_train_cutoffs / train_step: stacked training cutoffs Tt, Tt - step, ...
    select_by: validation metric that picks the model (``"pr_auc"`` or ``"roc_auc"``).
    class_weight: ``None`` keeps probabilities calibrated (``"balanced"`` inflates them).
    """

    horizon: int = 14
    label: str = "activity"
    eligible_window: int = 60
    n_train_cutoffs: int = 3
    train_step: int = 7
    select_by: str = "pr_auc"
    class_weight: str | None = None
    max_iter: int = 200
    n_event_names: int = N_EVENT_SLOTS
    use_tier: bool = True
    top_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self):
        if self.horizon < 1 or self.eligible_window < 1 or self.n_train_cutoffs < 1 or self.train_step < 1:
            raise ValueError("horizon, eligible_window, n_train_cutoffs and train_step must be >= 1")
        if self.label not in ("activity", "purchase"):
            raise ValueError(f"label must be 'activity' or 'purchase', got {self.label!r}")
        if self.select_by not in ("pr_auc", "roc_auc"):
            raise ValueError("select_by must be 'pr_auc' or 'roc_auc'")
        if not 0 <= self.n_event_names <= N_EVENT_SLOTS:
            raise ValueError(f"n_event_names must be between 0 and {N_EVENT_SLOTS}")
        if not 0 < self.top_fraction <= 1:
            raise ValueError("top_fraction must be in (0, 1]")


def as_day(value) -> dt.date:
    return pd.Timestamp(value).date()


def top_event_names(ds: Dataset, cutoff, k: int = N_EVENT_SLOTS) -> tuple[str, ...]:
    """The ``k`` most frequent event names on or before ``cutoff`` (ties by name)."""
    if k <= 0:
        return ()
    day = as_day(cutoff)
    frame = ds.memo(("churn_top_events", day, k),
                    lambda: ds.engine.run("churn_top_events", cutoff=day, k=int(k)))
    return tuple(str(n) for n in frame["event_name"])


def _tiers_at(ds: Dataset, day: dt.date, uids: np.ndarray) -> np.ndarray:
    if _lifecycle is None:
        return np.full(len(uids), "", dtype=object)
    seg = _lifecycle.user_features(ds, day)
    tiers = np.asarray(_lifecycle.assign_tiers(seg).astype("str"), dtype=object)
    lookup = pd.Series(tiers, index=seg["uid"].to_numpy())
    return lookup.reindex(uids).fillna("").to_numpy(dtype=object)


def churn_features(ds: Dataset, cutoff, config: ChurnConfig = ChurnConfig(),
                   event_names: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Features of every eligible user from data on or before ``cutoff`` (index ``uid``).

    Columns: :data:`BASE_FEATURES`, ``mix_<event>`` (share of the user's events in the last 28
    days that carry that name; names default to :func:`top_event_names` at the cutoff) and,
    when :mod:`opslab.lifecycle` imports, ``tier`` (text). Trend ratios are smoothed,
    ``(a + 1) / (b + 1)``, so 1 means flat; ``days_since_purchase`` of a user who never paid
    is ``tenure_days + 1``. Memoised on the data set; treat the frame as read-only.

    Examples
    --------
    >>> ev = pd.DataFrame({"user_id": ["a", "a"], "event_time": pd.to_datetime(["2024-01-01", "2024-01-10"])})
    >>> f = churn_features(Dataset.from_tables(events=ev), "2024-01-12")
    >>> int(f["days_since_active"].iloc[0]), int(f["active_days_14"].iloc[0])
    (2, 2)
    """
    day = as_day(cutoff)
    names = top_event_names(ds, day, config.n_event_names) if event_names is None else tuple(event_names)
    names = names[:N_EVENT_SLOTS]
    key = ("churn_features", day, int(config.eligible_window), names, bool(config.use_tier))
    return ds.memo(key, lambda: _compute(ds, day, config, names))


def _compute(ds: Dataset, day: dt.date, config: ChurnConfig, names: tuple[str, ...]) -> pd.DataFrame:
    padded = list(names) + [_PAD] * (N_EVENT_SLOTS - len(names))
    raw = ds.engine.run("churn_features", cutoff=day, eligible=int(config.eligible_window), names=padded)
    uid = raw["uid"].to_numpy(dtype="int32")
    f = pd.DataFrame(index=pd.Index(uid, name="uid"))
    f["days_since_active"] = raw["days_since_active"].to_numpy(dtype="float64")
    for w in ACTIVITY_WINDOWS:
        f[f"active_days_{w}"] = raw[f"act_{w}"].to_numpy(dtype="float64")
    f["active_days_prev_14"] = f["active_days_28"] - f["active_days_14"]
    f["active_days_prev_28"] = f["active_days_56"] - f["active_days_28"]
    f["trend_14"] = (f["active_days_14"] + 1) / (f["active_days_prev_14"] + 1)
    f["trend_28"] = (f["active_days_28"] + 1) / (f["active_days_prev_28"] + 1)
    tenure = raw["tenure_days"].to_numpy(dtype="float64")
    f["tenure_days"] = tenure
    for c in ("spend_30", "spend_prev_30", "spend_90", "orders_90"):
        f[c] = raw[c].to_numpy(dtype="float64")
    dsp = raw["days_since_purchase"].to_numpy(dtype="float64", na_value=np.nan)
    f["has_paid"] = np.isfinite(dsp).astype("float64")
    f["days_since_purchase"] = np.where(np.isfinite(dsp), dsp, tenure + 1)
    events = raw["events_28"].to_numpy(dtype="float64")
    f["events_28"] = events
    f["events_per_active_day_28"] = events / np.maximum(f["active_days_28"].to_numpy(), 1)
    for i, name in enumerate(names):
        f[f"mix_{name}"] = raw[f"ev_{i + 1}"].to_numpy(dtype="float64") / np.maximum(events, 1)
    if config.use_tier and _lifecycle is not None:
        f["tier"] = _tiers_at(ds, day, uid)
    return f


def churn_labels(ds: Dataset, cutoff, config: ChurnConfig = ChurnConfig(),
                 features: pd.DataFrame | None = None) -> pd.Series:
    """1 if an eligible user churned in the label window after ``cutoff``, else 0 (index ``uid``).

    With ``label="purchase"`` only eligible payers (a paid order in the 90 days up to the
    cutoff) are labelled. The caller makes sure the window is observed (ends by ``ds.end``).

    Examples
    --------
    >>> ev = pd.DataFrame({"user_id": ["a", "a", "b"],
    ...     "event_time": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-01-02"])})
    >>> churn_labels(Dataset.from_tables(events=ev), "2024-01-05", ChurnConfig(horizon=14)).tolist()
    [1, 1]
    """
    day = as_day(cutoff)
    feats = churn_features(ds, day, config, event_names=()) if features is None else features
    uids = feats.index.to_numpy()
    if config.label == "purchase":
        uids = uids[feats["orders_90"].to_numpy() > 0]
    win = ds.engine.run("churn_label_window", cutoff=day, horizon=int(config.horizon))
    column = "active_after" if config.label == "activity" else "paid_after"
    kept = win.loc[win[column].astype(bool), "uid"].to_numpy(dtype="int64")
    churned = (~np.isin(uids.astype("int64"), kept)).astype("int8")
    return pd.Series(churned, index=pd.Index(uids, name="uid"), name="churned")


def model_matrix(features: pd.DataFrame) -> pd.DataFrame:
    """Numeric model inputs: every feature, plus ``tier_<name>`` one-hot columns for ``tier``."""
    X = features.drop(columns=["tier"], errors="ignore").astype("float64")
    if "tier" in features:
        tiers = features["tier"].to_numpy(dtype=object)
        for t in MODEL_TIERS:
            X[f"tier_{t}"] = (tiers == t).astype("float64")
    return X
