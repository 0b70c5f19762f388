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
LINE_ACTIONS = ("auto", "sum", "first", "rows")
REFUND_ACTIONS = ("net", "gross")
ROW_ACTIONS = ("auto", "activity", "purchases")
#: Fields added after content keys were first stored, with the values that read the files as
#: before they existed (see ``as_tuple``).
_LATER_DEFAULTS = {"lines": ("auto",), "refunds": ("net",), "rows": ("auto", "activity")}
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
        Rows that repeat another in every column. ``auto``: orders without an order id keep
        them (separate purchases); orders with an order id drop them (the same line exported
        twice); events with times to the second drop them (a double export), events with
        day-level times keep them.
    lines : {"auto", "sum", "first", "rows"}
        Orders whose order id repeats (rows not identical). ``sum``: the rows are order lines,
        summed into one order each (amount = sum of the lines), the lines kept for product
        breakdowns; ``first``: a repeated id is the same order exported again, its first row
        kept; ``rows``: every row is an order of its own. ``auto``: ``sum`` when the repeats
        belong to the same customer and differ in product, quantity, price or amount, else
        ``first``.
    refunds : {"net", "gross"}
        Refunds and cancellations (negative amounts or quantities, refund statuses, "C" invoice
        numbers) are netted against the sales (``net``, GMV = sales - refunds) or GMV counts
        every sale (``gross``). Either way gross, refunds and net are reported.
    rows : {"auto", "activity", "purchases"}
        What the rows of an events file with no event-name column (only a user and a time,
        maybe a quantity) are: ``activity`` (visits, logins: today's reading) or
        ``purchases`` (every row a paid order without an amount: orders and paying users
        counted, money absent). ``auto``: decided once per upload from the headers and file
        names (:func:`opslab.ingest.decide.decide`); activity when nothing tells.
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
    lines: str = "auto"
    refunds: str = "net"
    rows: str = "auto"

    def __post_init__(self):
        if self.placeholders not in PLACEHOLDER_ACTIONS:
            raise ValueError(f"placeholders must be one of {PLACEHOLDER_ACTIONS}")
        if self.duplicates not in DUPLICATE_ACTIONS:
            raise ValueError(f"duplicates must be one of {DUPLICATE_ACTIONS}")
        if self.lines not in LINE_ACTIONS:
            raise ValueError(f"lines must be one of {LINE_ACTIONS}")
        if self.refunds not in REFUND_ACTIONS:
            raise ValueError(f"refunds must be one of {REFUND_ACTIONS}")
        if self.rows not in ROW_ACTIONS:
            raise ValueError(f"rows must be one of {ROW_ACTIONS}")

    @property
    def resolved_day_first(self) -> bool:
        return bool(self.day_first)

    def as_tuple(self) -> tuple:
        """A hashable, picklable form for caches keyed on the choices. The order-lines, refunds
        and rows rules appear only when they read the files differently from before they
        existed (rows: only ``purchases``), so content keys of uploads stored before those rules
        existed (and the targets saved under them) stay the same.

        >>> Choices(rows="activity").as_tuple() == Choices().as_tuple() != Choices(rows="purchases").as_tuple()
        True
        """
        return tuple((f.name, getattr(self, f.name)) for f in fields(self)
                     if f.name not in _LATER_DEFAULTS or getattr(self, f.name) not in _LATER_DEFAULTS[f.name])

    @classmethod
    def from_tuple(cls, items) -> "Choices":
        return cls(**dict(items))
