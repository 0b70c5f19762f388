"""The per-user feature table: one definition of every per-user figure as of a day.

Recency, frequency, monetary, the first and last active and paid day, active days, tenure and
windowed counts and spend are defined once, in the named query ``user_features``
(``opslab/dataset/features.sql``), and read from :func:`user_features`. The lifecycle tiers
(:mod:`opslab.lifecycle.tiers`), RFM (:mod:`opslab.lifecycle.rfm`), the churn features
(:mod:`opslab.models.churn_features`) and the CLV customer summary
(:func:`opslab.models.clv.customer_summary`) select and derive their columns from this table;
none of them scans the orders or the active days again (``tests/test_house_rules.py``).

Definitions (``as_of`` is a calendar day and is included in the past; nothing after it is read):

- ``days_since_X = as_of - X`` for X = signup, first / last / previous (the one before the last)
  active day, first / last paid day; NaN when there is no such day.
- ``active_days``: days with an event or a paid order up to ``as_of``; ``active_days_N``: those
  with ``as_of - N < d <= as_of`` (N days, ``as_of`` included).
- ``paid_days``: days with a paid order; ``orders``: paid orders; ``spend``: paid amount (summed
  exactly as decimals of 4 places); ``first_spend``: the amount of the first paid day.
- Paid windows ``(lo, hi)``: the days with ``as_of - hi < d <= as_of - lo``; columns
  ``orders_<hi>`` / ``spend_<hi>`` when ``lo`` is 0, else ``orders_<lo>_<hi>`` / ``spend_<lo>_<hi>``.
- Rows: every user signed up, active or paying on or before ``as_of`` (index 0..n-1, ``uid``
  ascending); ``registered`` says whether the signup day is on or before ``as_of``.

The table always holds the :data:`ACTIVITY_DAYS` and :data:`PAID_WINDOWS` windows, so every
reader with the standard windows shares one memoised table per data set and day; other windows
are added on request (another memo entry).

Example
-------
>>> ev = pd.DataFrame({"user_id": ["a", "a", "b"],
...     "event_time": pd.to_datetime(["2024-01-01", "2024-01-10", "2024-01-05"])})
>>> f = user_features(Dataset.from_tables(events=ev), "2024-01-12")
>>> f[["days_since_first_active", "days_since_last_active", "active_days", "active_days_7"]].values.tolist()
[[11.0, 2.0, 2.0, 1.0], [7.0, 7.0, 1.0, 0.0]]
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from opslab.core.periods import as_of_day
from opslab.dataset.dataset import Dataset

#: Activity windows (days up to as_of) always in the table: the lifecycle's and churn's defaults.
ACTIVITY_DAYS = (7, 14, 28, 30, 56, 90, 180, 365)
#: Paid windows ``(lo, hi)`` always in the table: the last 30 days, the 30 before them, the last 90.
PAID_WINDOWS = ((0, 30), (30, 60), (0, 90))
#: Window slots of the query (``$act_days``, ``$paid_lo`` / ``$paid_hi``); unused slots are 0.
ACT_SLOTS, PAID_SLOTS = 12, 6
#: The "days since" columns (float32: exact for whole days, NaN where there is no such day).
DAY_COLUMNS = ("days_since_signup", "days_since_first_active", "days_since_last_active",
               "days_since_prev_active", "days_since_first_paid", "days_since_last_paid")


def activity_column(days: int) -> str:
    """Column of the active days in the last ``days`` days.

    >>> activity_column(14)
    'active_days_14'
    """
    return f"active_days_{int(days)}"


def paid_columns(lo: int, hi: int) -> tuple[str, str]:
    """Columns ``(orders, spend)`` of the paid window ``as_of - hi < d <= as_of - lo``.

    >>> paid_columns(0, 90), paid_columns(30, 60)
    (('orders_90', 'spend_90'), ('orders_30_60', 'spend_30_60'))
    """
    tag = f"{int(hi)}" if int(lo) == 0 else f"{int(lo)}_{int(hi)}"
    return f"orders_{tag}", f"spend_{tag}"


def _windows(activity_days, paid_windows) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    act = tuple(sorted(set(ACTIVITY_DAYS) | {int(w) for w in activity_days}))
    paid = tuple(sorted(set(PAID_WINDOWS) | {(int(lo), int(hi)) for lo, hi in paid_windows}))
    if any(w < 1 for w in act) or any(not 0 <= lo < hi for lo, hi in paid):
        raise ValueError("windows need at least one day (0 <= lo < hi for paid windows)")
    if len(act) > ACT_SLOTS or len(paid) > PAID_SLOTS:
        raise ValueError(f"at most {ACT_SLOTS - len(ACTIVITY_DAYS)} activity and "
                         f"{PAID_SLOTS - len(PAID_WINDOWS)} paid windows beyond the standard ones")
    return act, paid


def user_features(ds: Dataset, as_of=None, activity_days=(), paid_windows=(), keep: bool = True) -> pd.DataFrame:
    """The per-user feature table as of a day (default ``ds.end``); see the module docstring.

    ``activity_days`` and ``paid_windows`` add windows to the standard ones. Memoised on the
    data set per day and window set; treat the frame as read-only. ``keep=False`` uses a kept
    table but does not keep a new one (churn's past training cutoffs: a table per cutoff would
    hold ~140 bytes per user each, and no other reader asks for those days).
    """
    day = as_of_day(as_of, ds.end)
    act, paid = _windows(activity_days, paid_windows)
    key = ("user_features", day, act, paid)
    if not keep:
        kept = ds.memo_peek(key)
        return kept if kept is not None else _compute(ds, day, act, paid)
    return ds.memo(key, lambda: _compute(ds, day, act, paid))


def _compute(ds: Dataset, day: dt.date, act, paid) -> pd.DataFrame:
    pad_a = list(act) + [0] * (ACT_SLOTS - len(act))
    pad_p = list(paid) + [(0, 0)] * (PAID_SLOTS - len(paid))
    raw = ds.engine.run("user_features", as_of=day, act_days=pad_a,
                        paid_lo=[lo for lo, _ in pad_p], paid_hi=[hi for _, hi in pad_p])
    out = pd.DataFrame({"uid": raw["uid"].to_numpy(dtype="int32")})
    for col in DAY_COLUMNS:
        out[col] = raw[col].to_numpy(dtype="float32", na_value=np.nan)
    out["registered"] = out["days_since_signup"].to_numpy() >= 0
    out["active_days"] = raw["active_days"].to_numpy(dtype="int32")
    for i, w in enumerate(act):
        out[activity_column(w)] = raw[f"act_{i + 1}"].to_numpy(dtype="int32")
    out["paid_days"] = raw["paid_days"].to_numpy(dtype="int32")
    out["orders"] = raw["orders"].to_numpy(dtype="int64")
    out["spend"] = raw["spend"].to_numpy(dtype="float64")
    out["first_spend"] = raw["first_spend"].to_numpy(dtype="float64", na_value=np.nan)
    for i, (lo, hi) in enumerate(paid):
        orders, spend = paid_columns(lo, hi)
        out[orders] = raw[f"orders_{i + 1}"].to_numpy(dtype="int64")
        out[spend] = raw[f"spend_{i + 1}"].to_numpy(dtype="float64")
    return out
