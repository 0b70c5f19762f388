"""Problems found while reading or validating a file, as data (never exceptions).

A :class:`Problem` carries an i18n ``code`` plus parameters, so the UI renders it in the
reader's language; the engine never formats user-facing prose itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opslab.core import i18n

ERROR = "error"      # the file (or a table) cannot be used at all
WARNING = "warning"  # some rows were dropped or values repaired; the good rows are kept
INFO = "info"        # worth knowing, nothing lost

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Problem:
    """One kind of problem, aggregated over all the rows that show it.

    ``code`` is an i18n key (e.g. ``"io.empty_file"``); ``params`` fill its placeholders.
    ``examples`` holds up to five ``(row_number, raw_value)`` pairs, row numbers 1-based as a
    spreadsheet shows them (the header is row 1, so the first data row is row 2).
    """

    code: str
    severity: str = WARNING
    column: str | None = None
    count: int = 0
    examples: tuple[tuple[int, Any], ...] = ()
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    """An ordered collection of problems with a few conveniences."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, other: "Report") -> None:
        self.problems.extend(other.problems)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    def __iter__(self):
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)


class OpsLabError(ValueError):
    """The one error OpsLab raises for data it cannot analyse.

    ``code`` is an i18n key and ``params`` fill its placeholders, so the UI shows the failure
    in the reader's language; :attr:`problem` gives the same failure as a :class:`Problem`.

    >>> err = OpsLabError("clv.too_few_customers", n=3, min=20)
    >>> err.problem.code, err.problem.params["n"]
    ('clv.too_few_customers', 3)
    """

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(f"{code} {params}")

    def __str__(self) -> str:
        """The English message (a notebook's traceback reads as the screens do), then the code."""
        text = i18n.t(self.code, "en", **self.params)
        return f"{text} [{self.code}]" if text != self.code else super().__str__()

    @property
    def problem(self) -> Problem:
        return Problem(self.code, severity=ERROR, params=dict(self.params))
