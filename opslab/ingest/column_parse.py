"""One column of an upload parsed by the canonical field it maps to: ids, times, amounts,
statuses or text. Each call reads only its column (no shared state), so validation runs the
columns of a big table side by side (:mod:`opslab.ingest.parallel`).

>>> from opslab.core.schema import TABLES
>>> values, failed, signs = parse_column("amount", pd.Series(["¥12.5", "x"], dtype="str"),
...                                      TABLES["orders"], Choices())
>>> values.tolist()[:1], failed.tolist(), dict(signs)
([12.5], [False, True], {'¥': 1})
"""

from __future__ import annotations

import pandas as pd

from opslab.ingest.cells import clean_ids, clean_text
from opslab.ingest.choices import Choices
from opslab.ingest.dates import parse_datetimes
from opslab.ingest.mapping import parse_status
from opslab.ingest.money import parse_amounts, symbol_counts
from opslab.core.schema import TableSpec

ID_FIELDS = ("user_id", "order_id", "campaign_id")


def _has_signs(src: pd.Series) -> bool:
    """Any cell with a character an amount's digits and punctuation do not explain (a currency
    sign or word)? One vectorised pass; only then are the signs counted per value."""
    s = src.astype("str")
    return bool(s.str.contains(r"[^0-9.,+\-() \t]", regex=True).fillna(False).any())


def parse_column(f: str, src: pd.Series, spec: TableSpec, choices: Choices):
    """One column's typed values and what went wrong, by the canonical field it maps to (no
    shared state: run side by side with the other columns)."""
    if f in ID_FIELDS:
        return clean_ids(src)  # ids, how many unified, scientific-notation mask, how many kept apart
    if f in spec.times + spec.dates:
        return parse_datetimes(src, day_first=choices.day_first, tz=choices.tz)
    if f in spec.money + spec.numbers:
        values, failed = parse_amounts(src)
        signs = symbol_counts(src) if f in spec.money and _has_signs(src) else {}
        return values, failed, signs
    if f == "status":
        return parse_status(src)
    return clean_text(src)


def cost(f: str, spec: TableSpec) -> int:
    """Rank of a field's parse by its work, longest first (times, ids, amounts, the rest), so
    the cores finish together; by the same kinds :func:`parse_column` dispatches on."""
    if f in spec.times + spec.dates:
        return 0
    return 1 if f in ID_FIELDS else 2 if f in spec.money + spec.numbers else 3
