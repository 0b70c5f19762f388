"""What reading a file is asked to do (:class:`ReadOptions`) and what it found
(:class:`ReadResult`), shared by the readers of :mod:`opslab.ingest.read`.

Examples
--------
>>> res = ReadResult(df=None)
>>> fail(res, "io.empty_file")
>>> res.df is None, res.report.problems[0].code
(True, 'io.empty_file')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from opslab.core.problems import ERROR, Problem, Report


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file; ``None`` means detect.

    Examples
    --------
    >>> ReadOptions(header=False, delimiter="\\t").max_columns
    500
    """

    # bench/RESULTS.md "Ingest": a 1 GiB, 31.7 M-row events file peaks at 5.6 GiB from bytes to
    # the Overview (a quarter of the 24 GiB machine); Streamlit's maxUploadSize agrees
    max_bytes: int = 1024**3
    max_rows: int = 32_000_000
    max_columns: int = 500
    header: bool | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None  # spreadsheets: a sheet name or position; None = first visible with data
    header_row: int | None = None  # spreadsheets: the sheet row holding the column names (1-based)
    max_sheet_rows: int = 1_048_576  # spreadsheets: Excel's own row limit
    #: text files: the longest physical line (checked before decoding or splitting anything; a
    #: 500-column row of long remarks is well under 1 MiB, a 1 GB single line is refused at once)
    max_line_bytes: int = 8 * 2**20


@dataclass
class ReadResult:
    """What :func:`~opslab.ingest.read.read_table` found; ``df`` holds only strings (missing
    cells are NaN)."""

    df: pd.DataFrame | None
    report: Report = field(default_factory=Report)
    encoding: str | None = None
    delimiter: str | None = None
    has_header: bool | None = None
    sheet_names: list[str] = field(default_factory=list)
    n_rows: int = 0
    sheets: list[dict] = field(default_factory=list)  # spreadsheets: name, visible, worksheet
    sheet: str | None = None  # the sheet that was read
    header_rows: list[int] = field(default_factory=list)  # sheet rows offered as the header
    header_row: int | None = None  # the sheet row used as the header
    #: False once validated: ``df`` then holds only the first rows (the preview and the mapping
    #: suggestions need no more; every row lives on, typed, in the validation result)
    complete: bool = True
    #: text files: the physical lines of the file as an editor counts them, and the records
    #: whose quoted cells span several lines (with the extra lines they take), so the
    #: reconciliation can say why 500 lines are 3 rows
    n_lines: int | None = None
    n_spanning: int = 0
    n_spanned_lines: int = 0


def fail(res: ReadResult, code: str, **params) -> None:
    """Mark the file unusable (``df`` is ``None``) with an error ``code``; returns ``None`` so a
    reader can ``return fail(...)`` where it would return rows."""
    res.df = None
    res.report.add(Problem(code, ERROR, params=params))
