"""Lifecycle rules fitted to the data: windows from the customers' own repurchase gaps.

The default rules (churned after 30 idle days, warning after 14) suit an app people open every
week. Customers of a shop who buy every few months would almost all be "churned" under them.
:func:`suggest_rules` measures the gaps between a customer's consecutive active days and, for
purchase-only data (every active day is a purchase day, no visit events), proposes:

* ``churn_days``: the gap within which :data:`CHURN_QUANTILE` (85 %) of repeat purchases
  happen (rounded up): idle longer than that, a customer is unlikely to come back;
* ``warning_days``: the median gap (:data:`WARNING_QUANTILE`): overdue against a typical
  customer; ``new_days`` the same (a new customer is not yet due for a second purchase);
* ``value_window_days = churn_days``: "paid recently" means within the churn window;
* ``high_value_monthly_spend``: the 80th percentile of the monthly spend of recent payers.

Other settings keep their defaults. :func:`rules_in_force` is what every page and the notebook
API use when no rules are given: the suggestion for purchase-only data, else the defaults.

Example
-------
>>> from opslab.dataset.dataset import Dataset
>>> od = pd.DataFrame({"user_id": [f"u{i % 50}" for i in range(400)],
...     "order_time": pd.Timestamp("2024-01-01") + pd.to_timedelta(
...         [(i // 50) * 40 + i % 50 for i in range(400)], unit="D"),
...     "amount": 20.0})
>>> s = suggest_rules(Dataset.from_tables(orders=od))
>>> s.purchase_only, s.rules.churn_days, s.rules.warning_days
(True, 40, 39)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from opslab.dataset.dataset import Dataset
from opslab.lifecycle.tiers import LifecycleRules, user_features
from opslab.core.periods import as_of_day

CHURN_QUANTILE = 0.85
WARNING_QUANTILE = 0.5
HIGH_VALUE_QUANTILE = 0.8
QUANTILES = (0.25, 0.5, 0.75, 0.8, 0.85, 0.9, 0.95)  # as in lifecycle_gap_profile
MIN_GAPS = 30            # fewer repeat gaps say too little about how often customers come back
PURCHASE_ONLY_SHARE = 0.95
MIN_CHURN_DAYS, MAX_CHURN_DAYS = 14, 730


@dataclass(frozen=True)
class RuleSuggestion:
    """What the data say about the lifecycle windows (see the module docstring).

    purchase_only: (nearly) every active day is a purchase day. n_users / n_repeat_users /
    n_gaps: users, users with a second active day, gaps measured. gap_quantiles: quantile ->
    gap in days. share_within_churn: share of the gaps at most ``rules.churn_days``.
    high_value_spend: the monthly spend cut of high-value customers. rules: the suggested rules
    (None when there are too few gaps). applies: the suggestion is the rules in force by
    default (purchase-only data with a suggestion).
    """

    purchase_only: bool
    n_users: int
    n_repeat_users: int
    n_gaps: int
    gap_quantiles: dict
    share_within_churn: float
    high_value_spend: float
    rules: LifecycleRules | None

    @property
    def applies(self) -> bool:
        return self.purchase_only and self.rules is not None


def _round2(x: float) -> float:
    """Two significant digits (a threshold people can read), at least 1."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    digits = 1 - int(math.floor(math.log10(x)))
    return float(max(1.0, round(x, digits)))


def suggest_rules(ds: Dataset, as_of=None) -> RuleSuggestion:
    """Rules fitted to the repurchase gaps up to ``as_of`` (default: the whole history)."""
    day = as_of_day(as_of, ds.end)
    return ds.memo(("suggest_rules", day), lambda: _suggest(ds, day))


def _suggest(ds: Dataset, day) -> RuleSuggestion:
    row = ds.engine.run("lifecycle_gap_profile", as_of=day).iloc[0]
    n_gaps = int(row["n_gaps"])
    active, paid = int(row["active_days"]), int(row["paid_days"])
    purchase_only = active > 0 and paid >= PURCHASE_ONLY_SHARE * active
    q = {p: int(row[f"q{round(100 * p)}"]) for p in QUANTILES} if n_gaps else {}
    common = dict(purchase_only=bool(purchase_only), n_users=int(row["n_users"]),
                  n_repeat_users=int(row["n_repeat_users"]), n_gaps=n_gaps, gap_quantiles=q)
    if n_gaps < MIN_GAPS:
        return RuleSuggestion(**common, share_within_churn=float("nan"), high_value_spend=float("nan"),
                              rules=None)
    churn = int(np.clip(q[CHURN_QUANTILE], MIN_CHURN_DAYS, MAX_CHURN_DAYS))
    warning = int(np.clip(q[WARNING_QUANTILE], 1, churn - 1))
    base = replace(LifecycleRules(), churn_days=churn, warning_days=warning, new_days=warning,
                   value_window_days=churn)
    f = user_features(ds, day, base)
    monthly = f[f"monthly_spend_{churn}"].to_numpy()
    recent = monthly[f[f"orders_{churn}"].to_numpy() > 0]
    spend = _round2(float(np.quantile(recent, HIGH_VALUE_QUANTILE))) if len(recent) else base.high_value_monthly_spend
    rules = replace(base, high_value_monthly_spend=spend)
    gaps_share = _share_within(ds, day, churn)
    return RuleSuggestion(**common, share_within_churn=gaps_share, high_value_spend=spend, rules=rules)


def _share_within(ds: Dataset, day, churn: int) -> float:
    """Share of repeat gaps of at most ``churn`` days."""
    return float(ds.engine.run("lifecycle_gap_share", as_of=day, days=int(churn))["share"].iloc[0])


def rules_in_force(ds: Dataset, as_of=None) -> LifecycleRules:
    """The default rules for this data set: fitted ones for purchase-only data, else the defaults of docs/DEFINITIONS.md §4.

    ``as_of`` is accepted for symmetry; the fit always reads the whole history, so the rules
    do not move when a page looks at another day. A subset of the users (a segment, a filter)
    keeps the rules of the whole data set it was taken from: one rule set for every screen.
    """
    ds = getattr(ds, "parent", None) or ds
    s = suggest_rules(ds)
    return s.rules if s.applies else LifecycleRules()
