"""The glossary (口径) screen's structure, generated from the metric catalogue.

Every entry is a :class:`opslab.metrics.catalogue.Metric`; the words (name, definition, formula,
caveats) are the catalogue's (``catalogue.<key>.*``), so the screen, the card tooltips and
the report all point at the same entries.

>>> [e.key for e in ENTRIES if e.group == "revenue"][:3]
['gmv', 'orders', 'arpu']
>>> entry("paid_rate").related[0]
'paid_conversion'
"""

from __future__ import annotations

from opslab.metrics import catalogue

GROUPS = catalogue.GROUPS
GlossaryEntry = catalogue.Metric
ENTRIES: tuple[catalogue.Metric, ...] = catalogue.METRICS


def entry(key: str) -> catalogue.Metric:
    """The entry for ``key``; ``KeyError`` for a metric the glossary does not define."""
    return catalogue.get(key)


def by_group() -> dict[str, list[catalogue.Metric]]:
    """Entries in screen order, grouped (every group in :data:`GROUPS`, in that order)."""
    return catalogue.by_group()
