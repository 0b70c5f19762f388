"""Delimited text files (CSV, TSV, TXT, aligned exports): decode, clean control characters,
find the delimiter, and parse every cell as text.

Two parsers read the same rows: Arrow's multi-threaded reader for well-formed UTF-8 files, and
pandas' lenient parser, which reports ragged rows and unclosed quotes instead of failing.

Examples
--------
>>> from opslab.ingest.read_result import ReadOptions, ReadResult
>>> res = ReadResult(df=None)
>>> rows = text_rows(b"a;b\\n1;2\\n", ReadOptions(), res)
>>> res.delimiter, rows.values.tolist()
(';', [['a', 'b'], ['1', '2']])
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pacsv

from opslab.ingest.encoding import CONTROL, NOT_CONTROL, decode, utf16_without_bom
from opslab.ingest.read_result import ReadOptions, ReadResult, fail
from opslab.core.problems import INFO, MAX_EXAMPLES, WARNING, Problem

_CONTROL_RE = re.compile("[" + re.escape(CONTROL.decode("ascii")) + "]")
_CANDIDATES = (",", "\t", ";", "|")  # in order of preference on ties
_WHITESPACE = r"\s+"
_SNIFF_LINES = 50
_SEP_LINE = re.compile(r"sep=(.)[ \t]*\r?\n")
#: "Excel" files that are really web pages or XML spreadsheets.
_WEB_PAGE = re.compile(r"\s*<(!doctype html|html|table|\?xml)", re.I)


def _has_control(data: bytes, text: str, encoding: str | None) -> bool:
    """Any control character in the file? In UTF-8 a byte below 0x20 is always that character,
    so the bytes are scanned in C (``translate``) instead of the text by a pattern."""
    if encoding in ("utf-8", "utf-8-sig"):
        return bool(data.translate(None, NOT_CONTROL))
    return _CONTROL_RE.search(text) is not None


#: Files at least this big may skip the whole-text decode (see :func:`_large_utf8`).
LARGE_BYTES = 1 << 20
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def text_rows(data: bytes, opt: ReadOptions, res: ReadResult) -> pd.DataFrame | None:
    fast = _large_utf8(data, opt, res)
    if fast is not None:
        return fast
    text = decode(data, opt, res)
    if text is None:
        return None
    if _WEB_PAGE.match(text[:1024]):
        # Many systems export "Excel" files that are really web pages or XML spreadsheets.
        return fail(res, "io.xls_unsupported")
    n_ctrl = len(_CONTROL_RE.findall(text[:65536]))
    if n_ctrl > 0.01 * min(len(text), 65536):
        return fail(res, "io.binary_file")
    if n_ctrl or _has_control(data, text, res.encoding):  # stray NULs from a database dump choke the parser
        text, n_ctrl = _CONTROL_RE.subn("", text)
        res.report.add(Problem("io.control_chars_removed", WARNING, count=n_ctrl, params={"n": n_ctrl}))
    if not text[:65536].strip() and not text.strip():
        return fail(res, "io.empty_file")
    forced = opt.delimiter
    sep_line = _SEP_LINE.match(text[:16])
    if sep_line:  # Excel's "sep=;" first line names the delimiter; it is not the header
        forced = forced or sep_line.group(1)
        text = text[sep_line.end():]
        res.report.add(Problem("io.sep_line", INFO, params={"delimiter": sep_line.group(1)}))
    sep, n_cols = _sniff(text, forced)
    res.delimiter = "whitespace" if sep == _WHITESPACE else sep
    if n_cols > opt.max_columns:
        return fail(res, "io.too_many_columns", n=n_cols, limit=opt.max_columns)
    if res.encoding in ("utf-8", "utf-8-sig") and not res.report.problems and not sep_line:
        del text  # valid UTF-8 as uploaded: the parser reads the bytes, no second copy
        fast = parse_arrow(data[3:] if res.encoding == "utf-8-sig" else data, sep, n_cols, opt)
        if fast is not None:
            return fast
        return parse_lenient(lambda: io.BytesIO(data), res.encoding, sep, n_cols, opt, res)
    return parse_lenient(lambda: io.StringIO(text), None, sep, n_cols, opt, res)


def _large_utf8(data: bytes, opt: ReadOptions, res: ReadResult) -> pd.DataFrame | None:
    """A large, clean UTF-8 file read by Arrow straight from the bytes, without decoding the
    whole text first (a second copy of the file in memory): the checks of :func:`text_rows`
    are made on the first MiB and, for control characters, on the bytes; Arrow checks that
    every cell is valid UTF-8. ``None`` (and ``res`` untouched) whenever any check fails or
    Arrow refuses: the general path then decides, exactly as before."""
    if opt.encoding or len(data) < LARGE_BYTES or res.report.problems or data.startswith(_UTF16_32_BOMS):
        return None
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    head = body[:LARGE_BYTES]
    head = head[:head.rfind(b"\n") + 1]  # whole lines only: no character cut in two
    if utf16_without_bom(data[:65536]):
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if (text.count("\n") <= _SNIFF_LINES or not text.strip() or _SEP_LINE.match(text[:16])
            or _WEB_PAGE.match(text[:1024])):
        return None
    sep, n_cols = _sniff(text, opt.delimiter)
    if n_cols > opt.max_columns:
        return None
    if _has_control(data, text, "utf-8"):
        return None  # control characters to remove (and report): the general path
    df = parse_arrow(body, sep, n_cols, opt)
    if df is not None:
        res.encoding = "utf-8-sig" if bom else "utf-8"
        res.delimiter = "whitespace" if sep == _WHITESPACE else sep
    return df


def _sniff(text: str, forced: str | None) -> tuple[str, int]:
    """Pick the delimiter whose column count is most consistent over the first lines."""
    end = 0
    for _ in range(_SNIFF_LINES):
        nxt = text.find("\n", end)
        if nxt < 0:
            end = len(text)
            break
        end = nxt + 1
    sample, truncated = text[:end], end < len(text)
    lines = [ln for ln in sample.splitlines() if ln.strip()]

    def score(sep: str) -> tuple[float, int, int]:
        if sep == _WHITESPACE or sep == " ":
            counts = [len(ln.split()) for ln in lines]
        else:
            try:
                counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=sep) if r]
            except (csv.Error, TypeError):
                counts = [len(ln.split(sep)) for ln in lines]
            if truncated and len(counts) > 1:
                counts = counts[:-1]  # the last record may be cut inside a quoted field
        if not counts:
            return 0.0, 1, 1
        mode, hits = Counter(counts).most_common(1)[0]
        return hits / len(counts), mode, max(counts[0], mode)

    if forced:
        sep = _WHITESPACE if forced == " " else forced
        return sep, score(sep)[2]
    best, (share, mode, width) = ",", score(",")
    for c in _CANDIDATES[1:]:
        sc = score(c)
        if sc[1] > 1 and (mode <= 1 or sc[:2] > (share, mode)):
            best, (share, mode, width) = c, sc
    if share < 0.9 or mode <= 1:
        # Aligned exports: runs of 2+ spaces on most lines, header splitting like the rows.
        # Single spaces alone are not enough: "2024-01-05 10:00" is one value, not two.
        ws = score(_WHITESPACE)
        aligned = sum("  " in ln.strip() for ln in lines) >= 0.5 * len(lines)
        if aligned and ws[1] > 1 and ws[0] >= 0.9 and ws[2] == ws[1] and (mode <= 1 or ws[0] > share):
            return _WHITESPACE, ws[2]
    return best, width


def parse_arrow(data: bytes, sep: str, n_cols: int, opt: ReadOptions) -> pd.DataFrame | None:
    """Arrow's multi-threaded reader (4-5x the C parser) for well-formed UTF-8 files with a
    one-character delimiter. Every cell is read as text, quoted newlines allowed; any ragged
    row or quoting problem returns ``None`` so the lenient parser below can report it."""
    quoted = b'"' in data  # (a scan that stops at the first quote; counting them all is 8x slower)
    if len(sep) != 1 or sep == " " or n_cols < 1 or (quoted and data.count(b'"') % 2):
        return None  # an odd number of quotes: an unclosed quote, which Arrow would swallow

    names = [str(i) for i in range(n_cols)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
            # quoted newlines cost a slower parse; without any quote there are none
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=quoted),
            # large_string: what pandas' str dtype holds (no cast of the offsets afterwards)
            convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowException, ValueError, OSError):
        return None
    if table.num_rows > opt.max_rows + 2:
        return None  # the lenient path reads only up to the cap and reports the truncation
    df = table.to_pandas(types_mapper={pa.large_string(): pd.StringDtype(na_value=np.nan)}.get)
    df.columns = list(range(n_cols))
    return df


def parse_lenient(source, encoding, sep: str, n_cols: int, opt: ReadOptions, res: ReadResult) -> pd.DataFrame | None:
    """pandas' lenient parser: every cell as text; ragged rows and unclosed quotes are reported
    in ``res`` rather than failing. Reads what :func:`parse_arrow` reads when both can."""
    kw = dict(sep=sep, encoding=encoding, header=None, names=list(range(max(n_cols, 1))), index_col=False, dtype=str,
              keep_default_na=False, na_filter=False, on_bad_lines="warn",
              nrows=opt.max_rows + 2, skip_blank_lines=True)
    engine = "c" if len(sep) == 1 or sep == _WHITESPACE else "python"
    extra: dict = {"engine": engine}
    while True:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                df = pd.read_csv(source(), **kw, **extra)
            break
        except pd.errors.EmptyDataError:
            return fail(res, "io.empty_file")
        except (pd.errors.ParserError, csv.Error, ValueError) as exc:
            if "quoting" in extra:
                raise
            if "EOF" in str(exc) or extra["engine"] == "python":  # an unclosed quote
                extra = {"engine": engine, "quoting": csv.QUOTE_NONE}
            else:  # e.g. the C tokenizer's buffer limits: the python engine is slower but lenient
                extra = {"engine": "python"}
    if "quoting" in extra:
        res.report.add(Problem("io.unclosed_quote", WARNING))
    bad = [int(n) for w in caught for n in re.findall(r"Skipping line (\d+)", str(w.message))]
    if bad:
        res.report.add(Problem("io.bad_lines", WARNING, count=len(bad),
                               examples=tuple((n, None) for n in bad[:MAX_EXAMPLES]),
                               params={"n": len(bad), "rows": ", ".join(map(str, bad[:MAX_EXAMPLES])),
                                       "expected": n_cols}))
    return df
