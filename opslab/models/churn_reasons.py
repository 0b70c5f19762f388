"""Why is this user at risk? Up to three reasons per user, in operator language (i18n keys).

Each candidate reason watches one behaviour (e.g. days since the last visit) and applies when
the user is on the risky side of the *retained* users' median at the validation cutoff. Its
strength is ``weight x deviation``: the deviation is the distance from that median in units of
the retained users' spread (interquartile range, else standard deviation, else 1), and the
weight is the model's permutation importance of the features behind the reason (floored at a
small positive value, so reasons still rank by deviation when the model ignores them). Ties
keep the order of :data:`REASONS`, so the result is deterministic.

Texts: ``churn.reason.<code>`` with the params shown below, as plain numbers (the catalog
formats them: ``{pct:.0%}``, ``{before:,.0f}``); feature names for the global view
are ``churn.feature.<name>`` (see :func:`feature_label`).

Example
-------
>>> ref = reason_reference(retained_features, importance)        # doctest: +SKIP
>>> explain(current_features, ref)[0]                            # doctest: +SKIP
[('churn.reason.no_visit', {'days': 21}), ...]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_FLOOR = 1e-3


@dataclass(frozen=True)
class Reason:
    code: str
    feature: str            # the feature compared with the retained median
    higher_is_risky: bool
    weight_features: tuple[str, ...]


#: Candidate reasons in tie-break order.
REASONS = (
    Reason("no_visit", "days_since_active", True, ("days_since_active",)),
    Reason("active_drop", "trend_14", False, ("trend_14", "active_days_14", "active_days_prev_14", "active_days_7")),
    Reason("active_drop_month", "trend_28", False, ("trend_28", "active_days_28", "active_days_prev_28", "active_days_56")),
    Reason("low_activity", "active_days_28", False, ("active_days_28", "active_days_56", "active_days_90")),
    Reason("spend_drop", "spend_30", False, ("spend_30", "spend_prev_30", "spend_90", "orders_90")),
    Reason("no_purchase", "days_since_purchase", True, ("days_since_purchase", "has_paid")),
    Reason("overdue", "overdue", True, ("overdue", "mean_gap", "last_gap")),
    Reason("one_time", "active_days_all", False, ("active_days_all", "one_time", "orders_all")),
)
#: The reason of a row no single behaviour explains (its risk comes from the whole profile).
FALLBACK = "churn.reason.similar"


def _spread(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return 1.0
    q1, q3 = np.percentile(values, [25, 75])
    if q3 - q1 > 0:
        return float(q3 - q1)
    sd = float(np.std(values))
    return sd if sd > 0 else 1.0


def reason_reference(retained: pd.DataFrame, importance: pd.DataFrame | None = None) -> dict:
    """Medians, spreads and weights per reason, from retained users' features (a plain dict).

    ``importance`` has ``feature`` and ``importance`` columns (as from permutation importance).
    ``days_since_purchase`` is described over retained payers only.
    """
    imp = {} if importance is None else dict(zip(importance["feature"], importance["importance"]))
    ref = {}
    for r in REASONS:
        frame = retained
        if r.code == "no_purchase" and "has_paid" in retained:
            frame = retained.loc[retained["has_paid"] > 0]
        values = frame[r.feature].to_numpy(dtype="float64") if r.feature in frame else np.array([])
        median = float(np.median(values)) if len(values) else 0.0
        weight = max([float(imp.get(f, 0.0)) for f in r.weight_features] + [_FLOOR])
        ref[r.code] = {"median": median, "spread": _spread(values), "weight": weight}
    return ref



def _candidates(f: pd.DataFrame, ref: dict) -> tuple[np.ndarray, list]:
    """Strength matrix (users x reasons; -inf when a reason does not apply) and param makers."""
    n = len(f)
    col = lambda c: f[c].to_numpy(dtype="float64") if c in f else np.zeros(n)  # noqa: E731
    strength = np.full((n, len(REASONS)), -np.inf)
    makers = []
    for j, r in enumerate(REASONS):
        x, info = col(r.feature), ref[r.code]
        dev = (x - info["median"]) if r.higher_is_risky else (info["median"] - x)
        dev = dev / info["spread"]
        if r.code == "no_visit":
            ok = x >= np.maximum(info["median"] + 1, 3)
            makers.append(lambda i, x=x: {"days": int(x[i])})
        elif r.code in ("active_drop", "active_drop_month"):
            w = 14 if r.code == "active_drop" else 28
            now, before = col(f"active_days_{w}"), col(f"active_days_prev_{w}")
            ok = (before > 0) & (now < before)
            dev = np.where(ok, np.maximum(dev, 0) + (before - now) / np.maximum(before, 1), dev)
            makers.append(lambda i, now=now, before=before:
                          {"pct": float(1 - now[i] / before[i]), "now": int(now[i]), "before": int(before[i])})
        elif r.code == "low_activity":
            ok = x < info["median"]
            makers.append(lambda i, x=x, m=info["median"]: {"days": int(x[i]), "typical": float(m)})
        elif r.code == "spend_drop":
            before = col("spend_prev_30")
            ok = (before > 0) & (x < before)
            dev = (before - x) / info["spread"] if info["spread"] > 0 else before - x
            makers.append(lambda i, x=x, before=before: {"before": float(before[i]), "after": float(x[i])})
        elif r.code == "no_purchase":
            ok = (col("has_paid") > 0) & (x > info["median"])
            makers.append(lambda i, x=x: {"days": int(x[i])})
        elif r.code == "overdue":
            gap = col("mean_gap")
            ok = (col("one_time") == 0) & (x >= 1.5)
            dev = np.where(ok, np.maximum(dev, 0) + np.log(np.maximum(x, 1)), dev)
            makers.append(lambda i, x=x, gap=gap, since=col("days_since_active"):
                          {"days": int(since[i]), "gap": float(gap[i]), "ratio": float(x[i])})
        else:  # one_time
            ok = col("one_time") > 0
            dev = np.where(ok, np.maximum(dev, 0) + 0.5, dev)
            makers.append(lambda i, since=col("days_since_active"): {"days": int(since[i])})
        ok &= dev > 0
        strength[:, j] = np.where(ok, info["weight"] * dev, -np.inf)
    return strength, makers


def explain(features: pd.DataFrame, reference: dict, k: int = 3) -> list[list[tuple[str, dict]]]:
    """Up to ``k`` reasons per row of ``features``, strongest first, as ``(i18n key, params)``.

    A row where no behaviour stands out gets :data:`FALLBACK` with its ``risk`` (when the
    frame has one), so every flagged user has a reason.

    >>> f = pd.DataFrame({"days_since_active": [21.0, 0.0], "active_days_28": [4.0, 9.0],
    ...                   "risk": [0.7, 0.6]})
    >>> ref = {r.code: {"median": 2.0, "spread": 3.0, "weight": 0.1} for r in REASONS}
    >>> explain(f, ref)
    [[('churn.reason.no_visit', {'days': 21})], [('churn.reason.similar', {'risk': 0.6})]]
    """
    if len(features) == 0:
        return []
    strength, makers = _candidates(features, reference)
    risk = features["risk"].to_numpy(dtype="float64") if "risk" in features else np.full(len(features), np.nan)
    order = np.argsort(-strength, axis=1, kind="stable")[:, :k]
    out = []
    for i in range(len(features)):
        found = [(f"churn.reason.{REASONS[j].code}", makers[j](i))
                 for j in order[i] if np.isfinite(strength[i, j])]
        out.append(found or [(FALLBACK, {"risk": float(risk[i])})])
    return out


def feature_label(name: str) -> tuple[str, dict]:
    """i18n key and params naming a model feature (``mix_<event>`` and ``tier_<t>`` included)."""
    if name.startswith("mix_"):
        return "churn.feature.mix", {"event": name[4:]}
    return f"churn.feature.{name}", {}
