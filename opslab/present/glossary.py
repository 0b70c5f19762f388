"""The glossary (口径): which metrics OpsLab shows, grouped, with the grains they exist at.

The words (name, definition, formula, caveats) live in the ``glossary`` locale files under
``glossary.<key>.name|def|formula|caveat``; this module holds only structure, so the
screen, the card tooltips and the report all point at the same entries.

>>> [e.key for e in ENTRIES if e.group == "revenue"][:3]
['gmv', 'orders', 'arpu']
>>> entry("paid_rate").related
('paid_conversion',)
"""

from __future__ import annotations

from dataclasses import dataclass

GROUPS = ("activity", "growth", "revenue", "retention", "campaigns", "lifecycle", "models", "comparisons")


@dataclass(frozen=True)
class GlossaryEntry:
    key: str
    group: str
    grains: tuple[str, ...] = ("day", "week", "month", "quarter")
    related: tuple[str, ...] = ()


_ALL = ("day", "week", "month", "quarter")
_COHORT = ("week", "month")
_NONE: tuple[str, ...] = ()

ENTRIES: tuple[GlossaryEntry, ...] = (
    GlossaryEntry("active_day", "activity", _ALL, ("dau",)),
    GlossaryEntry("dau", "activity", _ALL, ("wau", "mau", "peak_dau")),
    GlossaryEntry("peak_dau", "activity", _ALL, ("dau",)),
    GlossaryEntry("wau", "activity", _ALL, ("dau", "mau")),
    GlossaryEntry("mau", "activity", _ALL, ("stickiness",)),
    GlossaryEntry("stickiness", "activity", _ALL, ("dau", "mau")),
    GlossaryEntry("new_users", "growth", _ALL, ("existing_users",)),
    GlossaryEntry("existing_users", "growth", _NONE, ("new_users", "cohort_retention")),
    GlossaryEntry("paid_conversion", "growth", _ALL, ("paid_rate",)),
    GlossaryEntry("paid_rate", "growth", _ALL, ("paid_conversion",)),
    GlossaryEntry("gmv", "revenue", _ALL, ("orders", "arpu", "arppu")),
    GlossaryEntry("orders", "revenue", _ALL, ("gmv",)),
    GlossaryEntry("arpu", "revenue", _ALL, ("arppu",)),
    GlossaryEntry("arppu", "revenue", _ALL, ("arpu", "paying_users")),
    GlossaryEntry("paying_users", "revenue", _ALL, ("arppu", "paid_rate")),
    GlossaryEntry("cohort_retention", "retention", _COHORT, ("m1", "m3", "existing_users")),
    GlossaryEntry("m1", "retention", ("month",), ("m3", "cohort_retention")),
    GlossaryEntry("m3", "retention", ("month",), ("m1",)),
    GlossaryEntry("payer_retention", "retention", ("month",), ("m1", "high_value_retention")),
    GlossaryEntry("high_value_retention", "retention", ("month",), ("payer_retention", "tiers")),
    GlossaryEntry("cac", "campaigns", _ALL, ("roi",)),
    GlossaryEntry("roi", "campaigns", _ALL, ("cac",)),
    GlossaryEntry("tiers", "lifecycle", _NONE, ("churn_risk",)),
    GlossaryEntry("churn_risk", "models", _NONE, ("tiers", "clv")),
    GlossaryEntry("clv", "models", _NONE, ("p_alive", "churn_risk")),
    GlossaryEntry("p_alive", "models", _NONE, ("clv",)),
    GlossaryEntry("pop", "comparisons", _ALL, ("yoy",)),
    GlossaryEntry("yoy", "comparisons", _ALL, ("pop",)),
    GlossaryEntry("completion", "comparisons", ("month", "quarter"), ("time_progress", "p_hit")),
    GlossaryEntry("time_progress", "comparisons", ("month", "quarter"), ("completion",)),
    GlossaryEntry("p_hit", "comparisons", ("month", "quarter"), ("completion",)),
)

_BY_KEY = {e.key: e for e in ENTRIES}


def entry(key: str) -> GlossaryEntry:
    """The entry for ``key``; ``KeyError`` for a metric the glossary does not define."""
    return _BY_KEY[key]


def by_group() -> dict[str, list[GlossaryEntry]]:
    """Entries in screen order, grouped (every group in :data:`GROUPS`, in that order)."""
    out: dict[str, list[GlossaryEntry]] = {g: [] for g in GROUPS}
    for e in ENTRIES:
        out[e.group].append(e)
    return out
