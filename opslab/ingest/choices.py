"""The guesses one upload makes once, for every file alike, and the user can switch.

``None`` means "decide from the data" (:func:`opslab.ingest.decide.decide`); the decided
values are shown on the Data page with a switch for each.

>>> Choices().placeholders, Choices(day_first=True).resolved_day_first
('drop', True)
"""

from __future__ import annotations

from dataclasses import dataclass, fields

PLACEHOLDER_ACTIONS = ("drop", "keep")
DUPLICATE_ACTIONS = ("auto", "keep", "drop")
CURRENCIES = ("CNY", "USD", "EUR", "GBP", "HKD", "JPY", "TWD", "SGD", "AUD", "CAD", "KRW", "INR", "BRL", "CHF")


@dataclass(frozen=True)
class Choices:
    """How to read the ambiguous parts of an upload.

    Parameters
    ----------
    day_first : bool or None
        ``01/02/2024`` is 1 February (``True``) or 2 January (``False``); ``None``: decided from
        the values of every date column of the upload together (month-first when nothing
        tells).
    tz : str or None
        Zone the upload's days are counted in: times carrying a suffix (``Z``, ``+08:00``) and
        Unix seconds / milliseconds (instants) are converted to it (``"UTC"``, ``"+08:00"``,
        ``"Asia/Shanghai"``); ``None``: the zone most suffixes carry, else for Unix times the
        zone the day's quiet hours suggest (:mod:`opslab.ingest.zones`). Times without a
        suffix are local wall-clock times and never shift.
    placeholders : {"drop", "keep"}
        Rows whose date lies far from the bulk of the file (1900-01-01, 1970-01-01 fillers) are
        set aside (default: a 1970 order would otherwise stretch every chart across 50 empty
        years) or kept. Either way the count and amount are shown.
    duplicates : {"auto", "keep", "drop"}
        ``auto``: orders without an order id keep identical rows (separate purchases); a
        repeated order id is a duplicate and dropped; events with times to the second drop
        identical rows (a double export), events with day-level times keep them.
    currency : str or None
        ISO 4217 code of the amounts; ``None``: from symbols, words and headers, a country or
        locale column, the files' language; when nothing says, it stays unstated (never CNY by
        default) and the Data page asks.
    """

    day_first: bool | None = None
    tz: str | None = None
    placeholders: str = "drop"
    duplicates: str = "auto"
    currency: str | None = None

    def __post_init__(self):
        if self.placeholders not in PLACEHOLDER_ACTIONS:
            raise ValueError(f"placeholders must be one of {PLACEHOLDER_ACTIONS}")
        if self.duplicates not in DUPLICATE_ACTIONS:
            raise ValueError(f"duplicates must be one of {DUPLICATE_ACTIONS}")

    @property
    def resolved_day_first(self) -> bool:
        return bool(self.day_first)

    def as_tuple(self) -> tuple:
        """A hashable, picklable form for caches keyed on the choices."""
        return tuple((f.name, getattr(self, f.name)) for f in fields(self))

    @classmethod
    def from_tuple(cls, items) -> "Choices":
        return cls(**dict(items))
