"""Churn labels and point-in-time features, selected per cutoff from the shared per-user feature
table (:func:`opslab.dataset.features.user_features`; the event mix: one query of its own).

Day arithmetic (the cutoff is a calendar day and, like every OpsLab ``as_of``, included in the
past): features read only days ``d <= cutoff``; the label window is ``cutoff < d <= cutoff +
horizon``. A user is *eligible* at a cutoff when signed up on or before it with an active day
on or before it (and, with ``eligible_window``, active in that many days up to it).

Labels (1 = churned):

* ``"activity"``: no active day (event or paid order) in the label window;
* ``"purchase"``: no paid order in the label window, among eligible users who have paid.

Features are lifetime ones (active days and orders so far, spend, tenure, days since the first
and the last activity, mean and last gap between active days, how overdue the user is against
their own mean gap) and windowed ones (active days in the last 7 ... 365 days, 30/90-day
spend, the event mix of the last 28 days when the data have visit events).

Example
-------
>>> ev = pd.DataFrame({"user_id": ["a", "a", "a"],
...     "event_time": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-11"])})
>>> f = churn_features(Dataset.from_tables(events=ev), "2024-01-12")
>>> f.loc[0, ["days_since_active", "last_gap", "mean_gap", "active_days_all"]].tolist()
[1.0, 6.0, 5.0, 3.0]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslab.dataset import features
from opslab.dataset.dataset import Dataset
from opslab.core.periods import as_of_day

N_EVENT_SLOTS = 5
_PAD = "\x00none"  # an event name no real data set holds
ACTIVITY_WINDOWS = (7, 14, 28, 56, 90, 180, 365)
MIN_HORIZON, MAX_HORIZON = 7, 365
#: Lifetime features: what a customer's whole history up to the cutoff says.
LIFETIME_FEATURES = (
    "days_since_active", "tenure_days", "days_since_first", "active_days_all", "orders_all",
    "spend_all", "mean_gap", "last_gap", "overdue", "one_time", "days_since_purchase", "has_paid",
)
#: Numeric features always present (event-mix ``mix_<name>`` come after).
BASE_FEATURES = LIFETIME_FEATURES + tuple(f"active_days_{w}" for w in ACTIVITY_WINDOWS) + (
    "active_days_prev_14", "active_days_prev_28", "trend_14", "trend_28",
    "spend_30", "spend_prev_30", "spend_90", "orders_90", "events_28", "events_per_active_day_28",
)


@dataclass(frozen=True)
class ChurnConfig:
    """What "churn" means and how the models are trained.

    horizon: label window in days (7 to 365). label: ``"activity"`` or ``"purchase"``.
    eligible_window: score only users active in these many days up to a cutoff (None: every
    user with any activity so far). n_train_cutoffs: training snapshots, spread evenly over the
    history before the validation cutoff. grid_days: every cutoff lies on a grid of this step
    back from ``as_of`` (features are cached per cutoff, so another horizon reuses them).
    max_train_rows: training rows kept (a fixed-seed sample beyond it). select_by: validation
    metric that picks the model. class_weight: ``None`` keeps probabilities calibrated.
    n_event_names: how many event names form the 28-day event mix (0 by default: each costs a
    scan of the raw events per cutoff and, on the sample, added nothing the activity counts
    did not already say).
    """

    horizon: int = 28
    label: str = "activity"
    eligible_window: int | None = None
    n_train_cutoffs: int = 6
    grid_days: int = 7
    max_train_rows: int = 200_000
    select_by: str = "roc_auc"
    class_weight: str | None = None
    max_iter: int = 200
    n_event_names: int = 0
    top_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self):
        if not MIN_HORIZON <= self.horizon <= MAX_HORIZON:
            raise ValueError(f"horizon must be between {MIN_HORIZON} and {MAX_HORIZON} days")
        if self.eligible_window is not None and self.eligible_window < 1:
            raise ValueError("eligible_window must be >= 1 or None")
        if self.n_train_cutoffs < 1 or self.grid_days < 1 or self.max_train_rows < 100:
            raise ValueError("n_train_cutoffs and grid_days must be >= 1, max_train_rows >= 100")
        if self.label not in ("activity", "purchase"):
            raise ValueError(f"label must be 'activity' or 'purchase', got {self.label!r}")
        if self.select_by not in ("pr_auc", "roc_auc"):
            raise ValueError("select_by must be 'pr_auc' or 'roc_auc'")
        if not 0 <= self.n_event_names <= N_EVENT_SLOTS:
            raise ValueError(f"n_event_names must be between 0 and {N_EVENT_SLOTS}")
        if not 0 < self.top_fraction <= 1:
            raise ValueError("top_fraction must be in (0, 1]")


def has_visit_events(ds: Dataset) -> bool:
    """Whether the data hold events other than purchases (else the data are purchase-only)."""
    return "events" not in ds.derived


def top_event_names(ds: Dataset, cutoff, k: int = N_EVENT_SLOTS) -> tuple[str, ...]:
    """The ``k`` most frequent event names on or before ``cutoff`` (ties by name); none for
    purchase-only data (every event is a purchase, so the mix says nothing)."""
    if k <= 0 or not has_visit_events(ds):
        return ()
    day = as_of_day(cutoff)
    frame = ds.memo(("churn_top_events", day, k),
                    lambda: ds.engine.run("churn_top_events", cutoff=day, k=int(k)))
    return tuple(str(n) for n in frame["event_name"])


def churn_features(ds: Dataset, cutoff, config: ChurnConfig = ChurnConfig(),
                   event_names: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Features of every eligible user from data on or before ``cutoff`` (index ``uid``).

    Columns: :data:`BASE_FEATURES` and ``mix_<event>`` (share of the user's events in the
    last 28 days that carry that name). Trend ratios are smoothed, ``(a + 1) / (b + 1)``, so 1
    means flat. ``mean_gap`` (days between first and last active day over the gaps) and
    ``last_gap`` of a user active on one day only are the days since that day, with
    ``one_time = 1``; ``overdue = days_since_active / mean_gap``; ``days_since_purchase`` of a
    user who never paid is ``tenure_days + 1``. Memoised per data set and cutoff; read-only.
    """
    day = as_of_day(cutoff)
    names = top_event_names(ds, day, config.n_event_names) if event_names is None else tuple(event_names)
    names = names[:N_EVENT_SLOTS]
    key = ("churn_features", day, config.eligible_window, names)
    return ds.memo(key, lambda: _compute(ds, day, config.eligible_window, names))


def _compute(ds: Dataset, day: dt.date, eligible: int | None, names: tuple[str, ...]) -> pd.DataFrame:
    # the one per-user query (standard windows suffice); kept for the data's last day, which the
    # other pages read too, not for past training cutoffs (this frame is memoised instead)
    shared = features.user_features(ds, day, keep=day >= ds.end)
    since_all = shared["days_since_last_active"].to_numpy(dtype="float64")
    keep = shared["registered"].to_numpy() & (shared["active_days"].to_numpy() > 0)
    if eligible:
        keep &= since_all < int(eligible)  # active in the last `eligible` days
    raw = shared.loc[keep]
    col = lambda c: raw[c].to_numpy(dtype="float64", na_value=np.nan)  # noqa: E731
    uid = raw["uid"].to_numpy(dtype="int32")
    f = pd.DataFrame(index=pd.Index(uid, name="uid"))
    since, first = col("days_since_last_active"), col("days_since_first_active")
    n_days = col("active_days")
    one_time = n_days <= 1
    f["days_since_active"] = since
    f["tenure_days"] = np.fmax(col("days_since_signup"), first)  # from the signup or the first active day
    f["days_since_first"] = first
    f["active_days_all"] = n_days
    f["orders_all"] = col("orders")
    f["spend_all"] = col("spend")
    mean_gap = np.where(one_time, first, (first - since) / np.maximum(n_days - 1, 1))
    f["mean_gap"] = mean_gap
    f["last_gap"] = np.where(one_time, first, col("days_since_prev_active") - since)
    f["overdue"] = since / np.maximum(mean_gap, 1.0)
    f["one_time"] = one_time.astype("float64")
    dsp = col("days_since_last_paid")
    f["days_since_purchase"] = np.where(np.isfinite(dsp), dsp, f["tenure_days"].to_numpy() + 1)
    f["has_paid"] = np.isfinite(dsp).astype("float64")
    for w in ACTIVITY_WINDOWS:
        f[f"active_days_{w}"] = col(features.activity_column(w))
    f["active_days_prev_14"] = f["active_days_28"] - f["active_days_14"]
    f["active_days_prev_28"] = f["active_days_56"] - f["active_days_28"]
    f["trend_14"] = (f["active_days_14"] + 1) / (f["active_days_prev_14"] + 1)
    f["trend_28"] = (f["active_days_28"] + 1) / (f["active_days_prev_28"] + 1)
    f["spend_30"] = col(features.paid_columns(0, 30)[1])
    f["spend_prev_30"] = col(features.paid_columns(30, 60)[1])
    f["spend_90"] = col(features.paid_columns(0, 90)[1])
    f["orders_90"] = col(features.paid_columns(0, 90)[0])
    mix = _event_mix(ds, day, names, uid)
    events = mix[:, 0]
    f["events_28"] = events
    f["events_per_active_day_28"] = events / np.maximum(f["active_days_28"].to_numpy(), 1)
    for i, name in enumerate(names):
        f[f"mix_{name}"] = mix[:, i + 1] / np.maximum(events, 1)
    return f


def _event_mix(ds: Dataset, day: dt.date, names: tuple[str, ...], uid: np.ndarray) -> np.ndarray:
    """Per user of ``uid``: events in the 28 days up to ``day`` and the count of each name
    (columns 0 and 1..5); zeros without names (the events are then not read)."""
    out = np.zeros((len(uid), N_EVENT_SLOTS + 1), dtype="float64")
    if not names:
        return out
    padded = list(names) + [_PAD] * (N_EVENT_SLOTS - len(names))
    raw = ds.engine.run("churn_event_mix", cutoff=day, names=padded)
    at = np.searchsorted(uid, raw["uid"].to_numpy(dtype="int64"))
    found = (at < len(uid)) & (uid[np.minimum(at, len(uid) - 1)] == raw["uid"].to_numpy(dtype="int64"))
    counts = raw[["ev_all", *(f"ev_{i + 1}" for i in range(N_EVENT_SLOTS))]].to_numpy(dtype="float64")
    out[at[found]] = counts[found]
    return out


def churn_labels(ds: Dataset, cutoff, config: ChurnConfig = ChurnConfig(),
                 features: pd.DataFrame | None = None) -> pd.Series:
    """1 if an eligible user churned in the label window after ``cutoff``, else 0 (index ``uid``).

    With ``label="purchase"`` only eligible users who have paid are labelled. The caller makes
    sure the window is observed (ends by the last day it may look at).

    Examples
    --------
    >>> ev = pd.DataFrame({"user_id": ["a", "a", "b"],
    ...     "event_time": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-01-02"])})
    >>> churn_labels(Dataset.from_tables(events=ev), "2024-01-05", ChurnConfig(horizon=15)).tolist()
    [0, 1]
    """
    day = as_of_day(cutoff)
    feats = churn_features(ds, day, config, event_names=()) if features is None else features
    uids = feats.index.to_numpy()
    if config.label == "purchase":
        uids = uids[feats["has_paid"].to_numpy() > 0]
    win = ds.memo(("churn_label_window", day, int(config.horizon)),
                  lambda: ds.engine.run("churn_label_window", cutoff=day, horizon=int(config.horizon)))
    column = "active_after" if config.label == "activity" else "paid_after"
    kept = win.loc[win[column].astype(bool), "uid"].to_numpy(dtype="int64")
    churned = (~np.isin(uids.astype("int64"), kept)).astype("int8")
    return pd.Series(churned, index=pd.Index(uids, name="uid"), name="churned")


def model_matrix(features: pd.DataFrame) -> np.ndarray:
    """Numeric model inputs: every feature column, as one float64 matrix."""
    return features.to_numpy(dtype="float64")
