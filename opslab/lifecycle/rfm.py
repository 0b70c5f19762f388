"""RFM scoring (recency, frequency, monetary; scores 1-5) and the usual named segments.

Computed on paying users as of ``as_of`` (paid orders on or before that day):

- ``recency_days = as_of - last paid day``; ``frequency`` = paid orders; ``monetary`` = paid
  amount (over all history up to ``as_of``, or the last ``window_days`` when set).
- Scores: quintiles by default. Each measure is ranked with ``rank(method="first")`` (ties
  broken by user order, deterministic) and rank ``r`` of ``n`` gets score
  ``floor((r - 1) * 5 / n) + 1``; a shorter recency ranks higher. With cut points
  ``(c1, c2, c3, c4)`` instead: F and M score 1 for ``x <= c1``, 2 for ``c1 < x <= c2`` ...
  5 for ``x > c4``; recency scores 5 for ``days <= c1`` down to 1 for ``days > c4``.
- Segment from R and ``FM = (F + M + 1) // 2`` (the F/M mean rounded half up) with the grid
  :data:`SEGMENT_GRID` (rows R = 1..5, columns FM = 1..5):

  ====  ==============  ==============  ==============  ==============  ==============
  R     FM 1            FM 2            FM 3            FM 4            FM 5
  ====  ==============  ==============  ==============  ==============  ==============
  5     new_customers   potential_l.    potential_l.    champions       champions
  4     promising       potential_l.    potential_l.    loyal           champions
  3     about_to_sleep  about_to_sleep  need_attention  loyal           loyal
  2     hibernating     hibernating     at_risk         at_risk         cant_lose
  1     lost            lost            at_risk         cant_lose       cant_lose
  ====  ==============  ==============  ==============  ==============  ==============
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslab.dataset import features
from opslab.dataset.dataset import Dataset
from opslab.lifecycle.tiers import TIERS
from opslab.core.periods import as_of_day

#: Segment keys in display order (i18n: ``rfm.segment.<key>``).
SEGMENTS = ("champions", "loyal", "potential_loyalists", "new_customers", "promising",
            "need_attention", "about_to_sleep", "at_risk", "cant_lose", "hibernating", "lost")
NON_PAYER = "non_payer"

#: ``SEGMENT_GRID[r - 1][fm - 1]`` is the segment of a user with scores R = r and FM = fm.
SEGMENT_GRID = (
    ("lost", "lost", "at_risk", "cant_lose", "cant_lose"),                                  # R=1
    ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),                      # R=2
    ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),               # R=3
    ("promising", "potential_loyalists", "potential_loyalists", "loyal", "champions"),      # R=4
    ("new_customers", "potential_loyalists", "potential_loyalists", "champions", "champions"),  # R=5
)


@dataclass(frozen=True)
class RFMConfig:
    """How to score: quintiles (cuts None) or four ascending cut points per measure."""

    recency_cuts: tuple[float, ...] | None = None
    frequency_cuts: tuple[float, ...] | None = None
    monetary_cuts: tuple[float, ...] | None = None
    window_days: int | None = None  # only orders in the last N days (None: all history)

    def __post_init__(self):
        for name in ("recency_cuts", "frequency_cuts", "monetary_cuts"):
            cuts = getattr(self, name)
            if cuts is not None and (len(cuts) != 4 or list(cuts) != sorted(cuts)):
                raise ValueError(f"{name} must be four ascending cut points")


def recency_cuts(rules) -> tuple[int, int, int, int]:
    """Absolute recency cut points that agree with the lifecycle tiers of ``rules``.

    R = 1 exactly when the last purchase is ``churn_days`` or more ago (every churned user,
    whose last activity is at least that old, has R = 1), R <= 2 from ``warning_days`` on, and
    the days before the warning split evenly into R = 5, 4, 3. So no user of the churned or
    warning tier lands in a segment that needs R >= 3 (champions, loyal, potential loyalists).

    >>> from opslab.lifecycle.tiers import LifecycleRules
    >>> recency_cuts(LifecycleRules(churn_days=152, warning_days=34))
    (11, 22, 33, 151)
    """
    churn = max(int(rules.churn_days), 1)
    warn = min(max(int(rules.warning_days), 1), churn)
    c3 = warn - 1
    return (int(c3 // 3), int(2 * c3 // 3), c3, churn - 1)


def quintile_scores(values, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1-5 by rank (``method="first"``), equal-sized groups as far as ``n`` allows.

    >>> quintile_scores([10, 20, 30, 40, 50]).tolist()
    [1, 2, 3, 4, 5]
    >>> quintile_scores([3, 3, 1], higher_is_better=False).tolist()
    [1, 2, 4]
    """
    s = pd.Series(np.asarray(values, dtype="float64"))
    if not len(s):
        return np.zeros(0, dtype="int8")
    ranks = (s if higher_is_better else -s).rank(method="first").to_numpy()
    return (np.floor((ranks - 1) * 5 / len(s)) + 1).astype("int8")


def cut_scores(values, cuts, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1-5 from four ascending cut points (a value equal to a cut falls in the lower bin).

    >>> cut_scores([1, 2, 6], (1, 2, 3, 5)).tolist()
    [1, 2, 5]
    >>> cut_scores([30, 31], (30, 60, 90, 180), higher_is_better=False).tolist()
    [5, 4]
    """
    bins = np.searchsorted(np.asarray(cuts, dtype="float64"), np.asarray(values, dtype="float64"),
                           side="left")
    return (bins + 1 if higher_is_better else 5 - bins).astype("int8")


def segment_of(r, fm) -> np.ndarray:
    """Vectorised lookup in :data:`SEGMENT_GRID` (scores 1-5)."""
    grid = np.array(SEGMENT_GRID, dtype=object)
    return grid[np.asarray(r, dtype="int64") - 1, np.asarray(fm, dtype="int64") - 1]


def rfm_values(ds: Dataset, as_of=None, window_days: int | None = None) -> pd.DataFrame:
    """Per paying user: ``uid``, ``user_id``, ``recency_days``, ``frequency``, ``monetary``.

    Selected from the shared per-user feature table
    (:func:`opslab.dataset.features.user_features`): recency is its ``days_since_last_paid``,
    frequency and monetary its ``orders`` and ``spend``, or those of the paid window of the
    last ``window_days`` days (a user who paid in it has their last paid day in it too).
    """
    day = as_of_day(as_of, ds.end)
    window = int(window_days) if window_days else None

    def compute():
        if window:
            shared = features.user_features(ds, day, paid_windows=((0, window),))
            orders, spend = features.paid_columns(0, window)
        else:
            shared = features.user_features(ds, day)
            orders, spend = "orders", "spend"
        raw = shared.loc[shared[orders].to_numpy() > 0]
        uid = raw["uid"].to_numpy(dtype="int32")
        return pd.DataFrame({
            "uid": uid,
            "user_id": ds.users["user_id"].to_numpy()[uid],
            "recency_days": raw["days_since_last_paid"].to_numpy(dtype="int32"),
            "frequency": raw[orders].to_numpy(dtype="int32"),
            "monetary": raw[spend].to_numpy(dtype="float64"),
        })
    return ds.memo(("rfm_values", day, window), compute)


def rfm_scores(ds: Dataset, config: RFMConfig = RFMConfig(), as_of=None) -> pd.DataFrame:
    """RFM values, scores ``r``, ``f``, ``m``, ``fm`` and ``segment`` of every paying user.

    Examples
    --------
    >>> od = pd.DataFrame({"user_id": list("abcde"), "amount": [10.0, 20, 30, 40, 50],
    ...                    "order_time": pd.to_datetime(["2024-01-01"] * 5)})
    >>> rfm_scores(Dataset.from_tables(orders=od))["m"].tolist()
    [1, 2, 3, 4, 5]
    """
    out = rfm_values(ds, as_of, config.window_days).copy()
    measures = (("r", "recency_days", config.recency_cuts, False),
                ("f", "frequency", config.frequency_cuts, True),
                ("m", "monetary", config.monetary_cuts, True))
    for score, col, cuts, better in measures:
        out[score] = (quintile_scores(out[col], better) if cuts is None
                      else cut_scores(out[col], cuts, better))
    out["fm"] = ((out["f"].astype("int64") + out["m"] + 1) // 2).astype("int8")
    out["segment"] = pd.Categorical(segment_of(out["r"], out["fm"]), categories=list(SEGMENTS))
    return out


def tier_rfm_crosstab(seg: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Users per lifecycle tier (rows) x RFM segment (columns, plus ``non_payer``).

    ``seg`` is :func:`opslab.lifecycle.tiers.segment` output and ``scores`` :func:`rfm_scores`
    output for the same ``as_of``.
    """

    segs = pd.Series(NON_PAYER, index=seg["uid"].to_numpy(), dtype="str")
    segs.loc[scores["uid"].to_numpy()] = scores["segment"].astype("str").to_numpy()
    table = pd.crosstab(pd.Categorical(seg["tier"], categories=list(TIERS)),
                        pd.Categorical(segs.to_numpy(), categories=[*SEGMENTS, NON_PAYER]),
                        dropna=False)
    table.index.name, table.columns.name = "tier", "segment"
    return table


def segment_counts(scores: pd.DataFrame) -> pd.Series:
    """Payers per RFM segment, every segment of :data:`SEGMENTS` in its order (0 when empty)."""
    segments = pd.Categorical(scores["segment"].astype("str"), categories=list(SEGMENTS))
    return pd.Series(segments).value_counts(sort=False).reindex(list(SEGMENTS), fill_value=0).rename("users")


def row_shares(table: pd.DataFrame) -> pd.DataFrame:
    """Each cell of :func:`tier_rfm_crosstab` as a share of its row (its tier); NaN for a tier
    with no users, never a division by zero."""
    return table.div(table.sum(axis=1).where(lambda s: s > 0), axis=0)


def segment_members(scores: pd.DataFrame, seg: pd.DataFrame, segment: str) -> pd.DataFrame:
    """The payers of one RFM segment with their scores and lifecycle tier, ``user_id`` first
    (the export of the Lifecycle page); ``seg`` is :func:`opslab.lifecycle.tiers.segment` output."""
    chosen = scores.loc[scores["segment"].astype("str") == segment].drop(columns="user_id")
    out = chosen.merge(seg, on="uid", how="left").drop(columns="uid")
    out.insert(0, "user_id", out.pop("user_id"))
    return out.reset_index(drop=True)
