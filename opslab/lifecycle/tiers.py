"""The 8-tier user lifecycle (docs/DEFINITIONS.md §4): features, tier rules, snapshots and flows.

Two steps, on purpose apart:

1. :func:`user_features` selects the tiers' features from the shared per-user feature table
   (:func:`opslab.dataset.features.user_features`, the one per-user query) and memoises the
   frame on the data set, keyed on ``as_of`` and the three feature windows (``warning_window``,
   ``value_window_days``, ``potential_window_days``).
2. :func:`assign_tiers` is a cheap vectorised ``numpy.select`` over that frame, so editing a
   threshold re-segments a million users without touching the events again.

Day arithmetic (``as_of`` is a calendar day, included in every window):

- *window of N days*: the days ``d`` with ``as_of - N < d <= as_of``.
- ``days_since_last_active = as_of - last active day on or before as_of``; a user with no
  activity yet counts from the signup day.
- ``tenure_days = as_of - signup_day`` (0 on the signup day); *registered within new_days*
  means ``tenure_days < new_days``.
- *no activity after the signup day* means the last active day is the signup day (or there
  is none), i.e. ``days_since_last_active == tenure_days``.
- ``monthly_spend_V = spend_V * 30 / V`` (with V = 90: the 90-day spend / 3).

Rules, first match wins (so tiers are disjoint and cover every user registered by ``as_of``):

1. churned: ``days_since_last_active >= churn_days``.
2. silent_new: ``tenure_days < new_days`` and no activity after the signup day.
3. new: ``tenure_days < new_days``.
4. churn_warning: ``days_since_last_active >= warning_days``, or
   ``active_days_prev_W >= warning_min_prior_days`` and
   ``active_days_W <= warning_drop * active_days_prev_W`` (W = ``warning_window``).
5. high_value: ``orders_V > 0`` and ``monthly_spend_V >= high_value_monthly_spend``.
6. payer: ``orders_V > 0`` (a paid order in the value window).
7. potential_payer: ``active_days_P >= potential_active_days`` (P = ``potential_window_days``).
8. active: everyone else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from opslab.dataset import features
from opslab.dataset.dataset import Dataset
from opslab.core.periods import as_of_day

#: Tier keys in display order (i18n: ``lifecycle.tier.<key>``).
TIERS = ("new", "silent_new", "active", "potential_payer", "payer", "high_value",
         "churn_warning", "churned")
NOT_YET = "not_yet_registered"
_CODE = {t: i for i, t in enumerate(TIERS)}


@dataclass(frozen=True)
class LifecycleRules:
    """Thresholds of the 8-tier rules (defaults from docs/DEFINITIONS.md §4); see the module docstring."""

    churn_days: int = 30
    new_days: int = 14
    warning_days: int = 14
    warning_window: int = 14
    warning_drop: float = 0.5
    warning_min_prior_days: int = 4
    value_window_days: int = 90
    high_value_monthly_spend: float = 200.0
    potential_active_days: int = 8
    potential_window_days: int = 30

    def __post_init__(self):
        for name in ("warning_window", "value_window_days", "potential_window_days"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name, value in asdict(self).items():
            if value < 0:
                raise ValueError(f"{name} must not be negative")

    @property
    def windows(self) -> tuple[int, int, int]:
        """The settings the features depend on; everything else is a threshold."""
        return int(self.warning_window), int(self.potential_window_days), int(self.value_window_days)


def feature_names(rules: LifecycleRules = LifecycleRules()) -> dict[str, str]:
    """Column name of each feature role for the rules' windows.

    >>> feature_names()["act_w"], feature_names()["spend"]
    ('active_days_14', 'spend_90')
    """
    w, p, v = rules.windows
    return {"act_w": f"active_days_{w}", "act_prev_w": f"active_days_prev_{w}",
            "act_2w": f"active_days_{2 * w}", "act_p": f"active_days_{p}",
            "spend": f"spend_{v}", "monthly": f"monthly_spend_{v}", "orders": f"orders_{v}"}


def shared_features(ds: Dataset, as_of=None, rules: LifecycleRules = LifecycleRules()) -> pd.DataFrame:
    """The shared per-user feature table (:func:`opslab.dataset.features.user_features`) as of
    a day with the windows the tiers read: the memo entry the tiers use, so another reader
    of the same day (the what-if's spend per tier) adds no query."""
    w, p, v = rules.windows
    return features.user_features(ds, as_of_day(as_of, ds.end), activity_days=(w, 2 * w, p),
                                  paid_windows=((0, v),))


def user_features(ds: Dataset, as_of=None, rules: LifecycleRules = LifecycleRules()) -> pd.DataFrame:
    """Per-user features as of a day (default ``ds.end``), one row per registered user.

    Columns: ``uid``, ``days_since_last_active``, ``active_days_W``, ``active_days_prev_W``,
    ``active_days_2W``, ``active_days_P``, ``spend_V``, ``monthly_spend_V``, ``orders_V``,
    ``tenure_days``, ``has_paid_ever`` (names from :func:`feature_names`; with the default
    windows: ``active_days_14``, ``active_days_prev_14``, ``active_days_28``,
    ``active_days_30``, ``spend_90``, ``monthly_spend_90``, ``orders_90``). Memoised on the
    data set; treat the frame as read-only.

    Examples
    --------
    >>> ev = pd.DataFrame({"user_id": ["a", "a"], "event_time": pd.to_datetime(["2024-01-01", "2024-01-10"])})
    >>> f = user_features(Dataset.from_tables(events=ev))
    >>> int(f["days_since_last_active"].iloc[0]), int(f["active_days_14"].iloc[0])
    (0, 2)
    """
    day = as_of_day(as_of, ds.end)
    w, p, v = rules.windows

    def compute():
        shared = shared_features(ds, day, rules)
        raw = shared.loc[shared["registered"].to_numpy()]
        tenure = raw["days_since_signup"].to_numpy(dtype="int32")
        last = raw["days_since_last_active"].to_numpy(dtype="float64")
        names = feature_names(rules)
        out = pd.DataFrame({
            "uid": raw["uid"].to_numpy(dtype="int32"),
            # no activity yet: counted from the signup day
            "days_since_last_active": np.where(np.isnan(last), tenure, last).astype("int32"),
        })
        act_w = raw[features.activity_column(w)].to_numpy(dtype="int16")
        act_2w = raw[features.activity_column(2 * w)].to_numpy(dtype="int16")
        values = {"act_w": act_w, "act_prev_w": act_2w - act_w, "act_2w": act_2w,
                  "act_p": raw[features.activity_column(p)].to_numpy(dtype="int16")}
        for role in ("act_w", "act_prev_w", "act_2w", "act_p"):
            out[names[role]] = values[role]  # equal windows give equal names and equal values
        orders_v, spend_v = features.paid_columns(0, v)
        out[names["spend"]] = raw[spend_v].to_numpy(dtype="float64")
        out[names["monthly"]] = out[names["spend"]] * (30.0 / v)
        out[names["orders"]] = raw[orders_v].to_numpy(dtype="int32")
        out["tenure_days"] = tenure
        out["has_paid_ever"] = raw["paid_days"].to_numpy() > 0
        return out

    return ds.memo(("lifecycle_features", day, w, p, v), compute)


def tier_codes(features: pd.DataFrame, rules: LifecycleRules = LifecycleRules()) -> np.ndarray:
    """Tier index (into :data:`TIERS`) per row of ``features``, as int8; first rule wins."""
    n = feature_names(rules)
    dsla = features["days_since_last_active"].to_numpy()
    tenure = features["tenure_days"].to_numpy()
    act_w = features[n["act_w"]].to_numpy()
    prev = features[n["act_prev_w"]].to_numpy()
    paid = features[n["orders"]].to_numpy() > 0
    is_new = tenure < rules.new_days
    dropped = (prev >= rules.warning_min_prior_days) & (act_w <= rules.warning_drop * prev)
    conditions = [
        dsla >= rules.churn_days,
        is_new & (dsla == tenure),
        is_new,
        (dsla >= rules.warning_days) | dropped,
        paid & (features[n["monthly"]].to_numpy() >= rules.high_value_monthly_spend),
        paid,
        features[n["act_p"]].to_numpy() >= rules.potential_active_days,
    ]
    choices = [_CODE[t] for t in ("churned", "silent_new", "new", "churn_warning", "high_value",
                                  "payer", "potential_payer")]
    return np.select(conditions, choices, default=_CODE["active"]).astype("int8")


def assign_tiers(features: pd.DataFrame, rules: LifecycleRules = LifecycleRules()) -> pd.Series:
    """The tier of every row of ``features`` as a categorical Series (categories :data:`TIERS`).

    >>> f = pd.DataFrame({"days_since_last_active": [40, 0], "tenure_days": [100, 3],
    ...     "active_days_14": [0, 1], "active_days_prev_14": [0, 0], "active_days_30": [0, 1],
    ...     "orders_90": [0, 0], "monthly_spend_90": [0.0, 0.0]})
    >>> assign_tiers(f).tolist()
    ['churned', 'new']
    """
    codes = tier_codes(features, rules)
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(TIERS)),
                     index=features.index, name="tier")


def segment(ds: Dataset, rules: LifecycleRules = LifecycleRules(), as_of=None) -> pd.DataFrame:
    """Every registered user with ``user_id``, ``tier`` and the features the rules used.

    >>> ev = pd.DataFrame({"user_id": ["a"], "event_time": pd.to_datetime(["2024-01-01"])})
    >>> segment(Dataset.from_tables(events=ev))["tier"].tolist()
    ['silent_new']
    """
    features = user_features(ds, as_of, rules)
    user_ids = ds.users["user_id"].to_numpy()[features["uid"].to_numpy()]
    out = features.copy()
    out.insert(1, "user_id", user_ids)
    out.insert(2, "tier", assign_tiers(features, rules))
    return out


def tier_counts(tiers: pd.Series) -> pd.Series:
    """Users per tier in :data:`TIERS` order (zeros included)."""
    return tiers.value_counts().reindex(list(TIERS), fill_value=0).astype("int64")


# -- snapshots and flows ------------------------------------------------------------------
def snapshot_dates(ds: Dataset, grain: str = "month", n: int | None = 12, as_of=None) -> list[dt.date]:
    """Period-end days (month ends, or Sundays for weeks) up to ``as_of``, plus ``as_of`` itself.

    Keeps the last ``n`` (all when None), oldest first; none before the data's first day.
    """
    end = pd.Timestamp(as_of_day(as_of, ds.end))
    start = pd.Timestamp(ds.start)
    freq = "ME" if grain == "month" else "W-SUN" if grain == "week" else None
    if freq is None:
        raise ValueError(f"unknown grain {grain!r}")
    days = [d for d in pd.date_range(start, end, freq=freq) if d < end] + [end]
    days = days if n is None else days[-n:]
    return [d.date() for d in days]


def tier_history(ds: Dataset, rules: LifecycleRules, dates) -> pd.DataFrame:
    """Tier code of every user (rows: ``uid``) at each date (columns); -1 = not yet registered."""
    out = {}
    for day in dates:
        f = user_features(ds, day, rules)
        codes = np.full(ds.n_users, -1, dtype="int8")
        codes[f["uid"].to_numpy()] = tier_codes(f, rules)
        out[pd.Timestamp(day).date()] = codes
    return pd.DataFrame(out, index=pd.RangeIndex(ds.n_users, name="uid"))


def snapshot_counts(history: pd.DataFrame) -> pd.DataFrame:
    """Users per tier (columns, :data:`TIERS` order) at each snapshot date (rows)."""
    k = len(TIERS)
    rows = {day: np.bincount(codes[codes >= 0], minlength=k)
            for day, codes in ((c, history[c].to_numpy()) for c in history.columns)}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(TIERS)).astype("int64")
    frame.index.name = "as_of"
    return frame


def transition_matrix(before: np.ndarray, after: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From-tier x to-tier counts and row rates between two code arrays (same users, same order).

    Rows are :data:`NOT_YET` then :data:`TIERS`, columns :data:`TIERS`. Users registered at
    neither date are left out, so row sums are the earlier snapshot's sizes (plus the newly
    registered) and column sums the later snapshot's sizes.
    """
    before, after = np.asarray(before, dtype="int64"), np.asarray(after, dtype="int64")
    if ((before >= 0) & (after < 0)).any():
        raise ValueError("a user registered at the earlier date is missing at the later one")
    keep = after >= 0
    k = len(TIERS)
    flat = np.bincount((before[keep] + 1) * k + after[keep], minlength=(k + 1) * k)
    counts = pd.DataFrame(flat.reshape(k + 1, k), index=[NOT_YET, *TIERS], columns=list(TIERS))
    counts.index.name, counts.columns.name = "from_tier", "to_tier"
    totals = counts.sum(axis=1).to_numpy()[:, None]
    rates = counts / np.where(totals == 0, np.nan, totals)
    return counts, rates


def flows(ds: Dataset, rules: LifecycleRules, start, end) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`transition_matrix` between the tiers as of ``start`` and as of ``end``."""
    a, b = sorted([pd.Timestamp(start).date(), pd.Timestamp(end).date()])
    history = tier_history(ds, rules, [a, b])
    return transition_matrix(history[a].to_numpy(), history[b].to_numpy())


def activity_lifecycle(ds: Dataset, grain: str = "month", as_of=None) -> pd.DataFrame:
    """PostHog-style lifecycle per period: ``new``, ``returning``, ``resurrecting`` and
    ``dormant`` (negative) user counts; rows are period starts (weeks start on Monday).

    A user's *first active period* makes them new; see ``lifecycle_activity_states`` in
    ``opslab/lifecycle/lifecycle.sql`` for the exact rules. The last period may be partial.
    """
    if grain not in ("week", "month"):
        raise ValueError(f"unknown grain {grain!r}")
    day = as_of_day(as_of, ds.end)
    frame = ds.memo(("lifecycle_activity", grain, day),
                    lambda: ds.engine.run("lifecycle_activity_states", grain=grain, as_of=day))
    out = frame.copy()
    out["period"] = pd.to_datetime(out["period"])
    return out.set_index("period").astype("int64")


def user_m1(ds: Dataset, as_of=None) -> pd.Series:
    """Per-user M1 flag (active in the calendar month after the signup month), indexed by
    ``uid``, for users whose month 1 has fully passed by ``as_of``."""
    day = as_of_day(as_of, ds.end)

    def compute():
        raw = ds.engine.run("lifecycle_user_m1", as_of=day)
        return pd.Series(raw["m1"].to_numpy(dtype=bool), index=raw["uid"].to_numpy(), name="m1")
    return ds.memo(("lifecycle_user_m1", day), compute)


def tier_profile(seg: pd.DataFrame, rules: LifecycleRules = LifecycleRules(),
                 m1: pd.Series | None = None) -> pd.DataFrame:
    """One row per tier: ``users``, ``share`` of users, ``spend_share`` (share of the value
    window's spend), ``arppu`` (value-window spend / users with a paid order in it),
    ``avg_active_days`` and ``active_share`` (mean active days and share with any activity in
    the potential window, 30 days by default), and with ``m1`` (from :func:`user_m1`)
    ``m1_retention``: the share of the tier's users who came back in their first month after
    signup (over users whose month 1 is complete)."""
    n = feature_names(rules)
    spend = seg[n["spend"]].to_numpy()
    payers = (seg[n["orders"]].to_numpy() > 0).astype("int64")
    active = seg[n["act_p"]].to_numpy()
    g = pd.DataFrame({"tier": seg["tier"].to_numpy(), "spend": spend, "payers": payers,
                      "days": active, "any": (active > 0).astype("int64")})
    agg = g.groupby("tier", observed=False).agg(users=("spend", "size"), spend=("spend", "sum"),
                                                payers=("payers", "sum"), days=("days", "mean"),
                                                any=("any", "mean"))
    agg = agg.reindex(list(TIERS))
    agg["users"] = agg["users"].fillna(0).astype("int64")
    total_users, total_spend = agg["users"].sum(), agg["spend"].sum()
    out = pd.DataFrame({
        "users": agg["users"],
        "share": agg["users"] / total_users if total_users else np.nan,
        "spend_share": agg["spend"] / total_spend if total_spend else np.nan,
        "arppu": agg["spend"] / agg["payers"].where(agg["payers"] > 0),
        "avg_active_days": agg["days"],
        "active_share": agg["any"],
    }, index=pd.Index(list(TIERS), name="tier"))
    if m1 is not None:
        flags = pd.Series(seg["uid"].map(m1).to_numpy(dtype="float64"), index=seg.index)  # NaN: month 1 open
        out["m1_retention"] = flags.groupby(seg["tier"].to_numpy()).mean().reindex(list(TIERS)).to_numpy()
    return out
