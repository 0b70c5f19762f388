"""Where validation puts every row: :class:`ValidationResult` (the kept table, the rejected
and the dropped rows, and their reconciliation: rows and money in = kept + rejected + dropped)
and :class:`Rows`, the bookkeeping of which rows are still alive and why a row was rejected or
set aside, one :class:`~opslab.core.problems.Problem` per reason with its examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from opslab.core.problems import MAX_EXAMPLES, WARNING, Problem, Report
from opslab.ingest.fast_tables import take_rows

__all__ = ["PARTS", "ValidationResult", "Rows"]

#: The parts a file's rows end in (``input`` = ``kept`` + ``rejected`` + ``dropped``).
PARTS = ("input", "kept", "rejected", "dropped")


@dataclass
class ValidationResult:
    """Outcome of :func:`coerce_table`.

    ``clean`` has the table's canonical columns (plus, for events and users, the unmapped
    source columns under their original headers); ``rejected`` and ``dropped`` have the raw
    columns plus ``row`` (1-based spreadsheet row, header = row 1) and ``reason`` (an i18n
    code). ``n_clean + n_rejected + n_dropped == n_input``, and likewise for the amounts in
    :meth:`reconciliation`. ``set_aside`` describes each switchable choice that touched rows
    (``{"duplicates": {"n", "amount", "dropped", "kind"}, "placeholders": {...}}``).
    """

    clean: pd.DataFrame
    rejected: pd.DataFrame
    report: Report
    n_input: int
    n_clean: int
    dropped: pd.DataFrame = field(default_factory=pd.DataFrame)
    amounts: dict[str, float] | None = None
    amount_field: str | None = None
    set_aside: dict[str, dict[str, Any]] = field(default_factory=dict)
    symbols: dict[str, int] = field(default_factory=dict)
    lines: pd.DataFrame | None = None  # the kept order lines when summed into orders (``clean``)
    #: Orders: (gross, refunds, net) money of each part (see :mod:`opslab.ingest.refunds`).
    money_parts: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    #: False for orders without a buyer column: each order has an anonymous buyer of its own
    #: (:mod:`opslab.ingest.order_fields`), and no customer may be counted from them.
    buyers_known: bool = True

    @property
    def n_rejected(self) -> int:
        return len(self.rejected)

    @property
    def n_dropped(self) -> int:
        return len(self.dropped)

    @property
    def n_duplicates(self) -> int:
        """Rows dropped as duplicates (identical rows or repeated order ids)."""
        if not len(self.dropped):
            return 0
        return int(self.dropped["reason"].isin(["validate.duplicate_rows",
                                                "validate.duplicate_order_id"]).sum())

    def reconciliation(self) -> pd.DataFrame:
        """Rows and amount of the file, and of its kept, rejected and dropped parts; for orders
        also their gross sales, refunds and net (gross - refunds; NaN for other tables).

        >>> from opslab.ingest.validate import coerce_table
        >>> raw = pd.DataFrame({"u": ["a", "b", "b"], "t": ["2024-01-05", "x", "2024-01-05"],
        ...                     "v": ["10", "2.5", "7"]})
        >>> r = coerce_table(raw, {"user_id": "u", "order_time": "t", "amount": "v"}, "orders")
        >>> r.reconciliation().to_dict("index")["kept"]
        {'rows': 2, 'amount': 17.0, 'gross': 17.0, 'refunds': 0.0, 'net': 17.0}
        """
        rows = [self.n_input, self.n_clean, self.n_rejected, self.n_dropped]
        amounts = [self.amounts.get(p, np.nan) if self.amounts else np.nan for p in PARTS]
        money = {name: [self.money_parts.get(p, (np.nan,) * 3)[i] for p in PARTS]
                 for i, name in enumerate(("gross", "refunds", "net"))}
        return pd.DataFrame({"rows": rows, "amount": amounts, **money}, index=list(PARTS))


class Rows:
    """Bookkeeping: which rows are still alive, why a row was rejected or set aside."""

    def __init__(self, raw: pd.DataFrame, report: Report):
        self.raw, self.report = raw, report
        # Why a row was rejected / set aside: an index into ``codes`` (0 = none), two bytes a row
        # instead of an object pointer (160 MB less at 10 M rows)
        self.codes: list[str | None] = [None]
        self.reason = np.zeros(len(raw), dtype=np.uint16)
        self.drop = np.zeros(len(raw), dtype=np.uint16)
        self.rejected = np.zeros(len(raw), dtype=bool)  # boolean twins of reason / drop: fast masks
        self.dropped = np.zeros(len(raw), dtype=bool)

    def flag(self, code: str, column: str | None, mask, *, reject: bool = False, drop: bool = False,
             severity: str = WARNING, **params) -> int:
        mask = np.asarray(mask, dtype=bool) & ~self.dropped
        if reject or drop:
            mask &= ~self.rejected
        count = int(mask.sum())
        if not count:
            return 0
        pos = np.flatnonzero(mask)[:MAX_EXAMPLES]
        if column is not None and column in self.raw.columns:
            vals = take_rows(self.raw[column], pos).tolist()
        else:
            vals = [None] * len(pos)
        examples = tuple((int(p) + 2, None if pd.isna(v) else v) for p, v in zip(pos, vals))
        self.report.add(Problem(code, severity, column, count, examples, params))
        if reject:
            self.reason[mask] = self._code(code)
            self.rejected |= mask
        if drop:
            self.drop[mask] = self._code(code)
            self.dropped |= mask
        return count

    def _code(self, code: str) -> int:
        if code not in self.codes:
            self.codes.append(code)
        return self.codes.index(code)

    def reasons(self, which: np.ndarray, mask: np.ndarray) -> pd.Categorical:
        """The codes of ``which`` (``reason`` or ``drop``) at ``mask``: a categorical column
        (one string per reason, not per row)."""
        return pd.Categorical.from_codes(which[mask].astype(np.int32) - 1, categories=self.codes[1:])

    @property
    def alive(self) -> np.ndarray:
        return ~self.rejected & ~self.dropped
