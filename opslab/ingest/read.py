"""Read uploaded bytes (CSV / TSV / TXT / Parquet / Excel and OpenDocument sheets) into a
DataFrame of raw strings.

Nothing here raises on bad input: every difficulty becomes a :class:`~opslab.report.Problem`
(codes ``io.*``) in the result's report, and ``df`` is ``None`` when the file is unusable.
Typing the cells (dates, money) is the job of :mod:`opslab.mapping`; this module only finds
the encoding, the delimiter and the header row, and hands back trimmed strings.

Examples
--------
>>> res = read_table("用户ID,金额\\nu1,9.5\\n".encode("gbk"), "orders.csv")
>>> res.encoding, res.has_header, list(res.df.columns), res.df.iloc[0, 1]
('gb18030', True, ['用户ID', '金额'], '9.5')
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from opslab.ingest.excel import excel_kind, read_excel
from opslab.ingest.arrow_memory import use_returning_allocator
from opslab.ingest.fastparse import strip_text
from opslab.ingest.parquet import PARQUET_MAGIC, parquet_rows
from opslab.problems import ERROR, INFO, MAX_EXAMPLES, WARNING, Problem, Report
from charset_normalizer import from_bytes
from pyarrow import csv as pacsv
import pyarrow as pa

_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)
_CONTROL_RE = re.compile("[" + re.escape(_CONTROL.decode("ascii")) + "]")
_INVISIBLE_RE = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00a0]")
_CANDIDATES = (",", "\t", ";", "|")  # in order of preference on ties
_WHITESPACE = r"\s+"
_SNIFF_LINES = 50
# Each part can match a character in only one way (no nested or adjacent repeats over the same
# characters), so a failed match is linear; cells are capped at _MAX_KIND characters anyway.
_NUM_RE = re.compile(r"^[+-]?\(?[¥￥$€£]?[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?\)?%?元?$", re.I)
_DATE_RE = re.compile(
    r"^(?:\d{4}[-/.年]\d{1,2}(?:[-/.月]\d{1,2}日?)?)?[ T]?(?:\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_MAX_KIND = 64  # a longer cell is text: no number or date is that long
_SEP_LINE = re.compile(r"sep=(.)[ \t]*\r?\n")
use_returning_allocator()  # big uploads: freed Arrow buffers go back to the system at once


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file; ``None`` means detect.

    Examples
    --------
    >>> ReadOptions(header=False, delimiter="\\t").max_columns
    500
    """

    max_bytes: int = 512 * 1024**2  # Streamlit's maxUploadSize (.streamlit/config.toml) agrees
    max_rows: int = 10_000_000  # bench/RESULTS.md "Ingest": peak memory at 5 M and 10 M rows
    max_columns: int = 500
    header: bool | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None  # spreadsheets: a sheet name or position; None = first visible with data
    header_row: int | None = None  # spreadsheets: the sheet row holding the column names (1-based)
    max_sheet_rows: int = 1_048_576  # spreadsheets: Excel's own row limit


@dataclass
class ReadResult:
    """What :func:`read_table` found; ``df`` holds only strings (missing cells are NaN)."""

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


def read_table(data: bytes, filename: str = "", options: ReadOptions = ReadOptions()) -> ReadResult:
    """Turn the bytes of an uploaded file into a table of raw strings. Never raises.

    Parameters
    ----------
    data : bytes
        The file content.
    filename : str
        Used only as a hint (``.xlsx`` / ``.xls``); content sniffing decides.
    options : ReadOptions
        Limits and overrides.

    Returns
    -------
    ReadResult

    Examples
    --------
    >>> read_table(b"").report.problems[0].code
    'io.empty_file'
    """
    res = ReadResult(df=None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _read(bytes(data), filename.lower(), options, res)
    except Exception as exc:  # the promise is "never raise": report and give up
        res.df, res.n_rows = None, 0
        res.report.add(Problem("io.unreadable", ERROR, params={"error": type(exc).__name__}))
    return res


def _fail(res: ReadResult, code: str, **params) -> None:
    res.df = None
    res.report.add(Problem(code, ERROR, params=params))


def _read(data: bytes, name: str, opt: ReadOptions, res: ReadResult) -> None:
    if not data[:65536].strip() and not data.strip():  # (the head decides for any real file: no full copy)
        return _fail(res, "io.empty_file")
    if len(data) > opt.max_bytes:
        return _fail(res, "io.too_large", size_mb=round(len(data) / 1024**2, 1),
                     limit_mb=round(opt.max_bytes / 1024**2, 1))
    kind = excel_kind(data, name)
    if kind == "ole" and name.endswith((".xlsx", ".xlsm")):
        return _fail(res, "io.xlsx_encrypted")
    if kind is not None:
        rows, chosen = _excel_rows(data, opt, res)
        if rows is not None and chosen:  # the user picked the header row: it is the header
            opt = replace(opt, header=True)
    elif data[:4] == PARQUET_MAGIC and data[-4:] == PARQUET_MAGIC:
        rows = _parquet_rows(data, opt, res)
        opt = replace(opt, header=True)
    else:
        rows = _text_rows(data, opt, res)
        # Without a quote character no cell of a text file can span lines: skip that scan.
        if rows is not None:
            return _finish(rows, opt, res, multiline=b'"' in data)
    if rows is not None:
        _finish(rows, opt, res)


# ----------------------------------------------------------------------------- spreadsheets


def _excel_rows(data: bytes, opt: ReadOptions, res: ReadResult) -> tuple[pd.DataFrame | None, bool]:
    got = read_excel(data, sheet=opt.sheet, header_row=opt.header_row,
                     max_rows=min(opt.max_rows, opt.max_sheet_rows), max_columns=opt.max_columns)
    res.sheets, res.sheet_names, res.sheet = got.sheets, [s["name"] for s in got.sheets], got.sheet
    res.header_rows, res.header_row = got.header_rows, got.header_row
    for p in got.problems:
        res.report.add(p)
    if got.rows is None:
        res.df = None
        return None, False
    return got.rows, got.header_chosen


# ----------------------------------------------------------------------------- Parquet


def _parquet_rows(data: bytes, opt: ReadOptions, res: ReadResult) -> pd.DataFrame | None:
    rows, problems = parquet_rows(data, max_rows=opt.max_rows, max_columns=opt.max_columns)
    for p in problems:
        res.report.add(p)
    if rows is None:
        res.df = None
    return rows


# ----------------------------------------------------------------------------- text files


def _text_rows(data: bytes, opt: ReadOptions, res: ReadResult) -> pd.DataFrame | None:
    text = _decode(data, opt, res)
    if text is None:
        return None
    if re.match(r"\s*<(!doctype html|html|table|\?xml)", text[:1024], re.I):
        # Many systems export "Excel" files that are really web pages or XML spreadsheets.
        return _fail(res, "io.xls_unsupported")
    n_ctrl = len(_CONTROL_RE.findall(text[:65536]))
    if n_ctrl > 0.01 * min(len(text), 65536):
        return _fail(res, "io.binary_file")
    if n_ctrl or _has_control(data, text, res.encoding):  # stray NULs from a database dump choke the parser
        text, n_ctrl = _CONTROL_RE.subn("", text)
        res.report.add(Problem("io.control_chars_removed", WARNING, count=n_ctrl, params={"n": n_ctrl}))
    if not text[:65536].strip() and not text.strip():
        return _fail(res, "io.empty_file")
    forced = opt.delimiter
    sep_line = _SEP_LINE.match(text[:16])
    if sep_line:  # Excel's "sep=;" first line names the delimiter; it is not the header
        forced = forced or sep_line.group(1)
        text = text[sep_line.end():]
        res.report.add(Problem("io.sep_line", INFO, params={"delimiter": sep_line.group(1)}))
    sep, n_cols = _sniff(text, forced)
    res.delimiter = "whitespace" if sep == _WHITESPACE else sep
    if n_cols > opt.max_columns:
        return _fail(res, "io.too_many_columns", n=n_cols, limit=opt.max_columns)
    if res.encoding in ("utf-8", "utf-8-sig") and not res.report.problems and not sep_line:
        del text  # valid UTF-8 as uploaded: the parser reads the bytes, no second copy
        fast = _parse_arrow(data[3:] if res.encoding == "utf-8-sig" else data, sep, n_cols, opt)
        if fast is not None:
            return fast
        return _parse(lambda: io.BytesIO(data), res.encoding, sep, n_cols, opt, res)
    return _parse(lambda: io.StringIO(text), None, sep, n_cols, opt, res)


def _has_control(data: bytes, text: str, encoding: str | None) -> bool:
    """Any control character in the file? In UTF-8 a byte below 0x20 is always that character,
    so the bytes are scanned in C (``translate``) instead of the text by a pattern."""
    if encoding in ("utf-8", "utf-8-sig"):
        return bool(data.translate(None, _NOT_CONTROL))
    return _CONTROL_RE.search(text) is not None


def _decode(data: bytes, opt: ReadOptions, res: ReadResult) -> str | None:
    """Decode once; ``None`` (with a Problem) when the bytes are not text."""
    if opt.encoding:
        return _decode_with(data, opt.encoding, res)
    for bom, enc in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                     (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return _decode_with(data[len(bom):], enc, res)
    head = data[:65536]
    utf16 = _utf16_without_bom(head)
    if utf16:
        return _decode_with(data, utf16, res)
    if len(head.translate(None, _NOT_CONTROL)) > 0.01 * len(head):
        return _fail(res, "io.binary_file")
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    with contextlib.suppress(UnicodeDecodeError):
        res.encoding = "utf-8-sig" if bom else "utf-8"
        return body.decode("utf-8")
    # Mostly valid UTF-8 with a few broken bytes (e.g. a cut-off last character): decoding it
    # as GB18030 would turn every Chinese character into mojibake, so keep UTF-8.
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if sum(1 for ch in text[:200_000] if ord(ch) > 127) - bad >= 10 * bad:
        res.encoding = "utf-8"
        res.report.add(Problem("io.encoding_replaced", WARNING, count=bad, params={"n": bad}))
        return text
    del text
    mixed = _decode_mixed(body, res)
    if mixed is not None:
        return mixed
    with contextlib.suppress(UnicodeDecodeError):
        text = body.decode("gb18030")
        res.encoding = "gb18030"
        if bom:
            res.report.add(Problem("io.bom_mismatch", INFO, params={"encoding": "GB18030"}))
        return text

    best = from_bytes(body[:200_000]).best()
    enc = best.encoding if best is not None else "utf-8"
    text = _decode_with(body, enc, res)
    if text is not None and best is not None:
        res.report.add(Problem("io.encoding_guessed", WARNING, params={"encoding": enc}))
    return text


def _decode_mixed(body: bytes, res: ReadResult) -> str | None:
    """Files stitched together from a UTF-8 and a GBK export: decode line by line.

    Decided on the first 10 MB: when several non-ASCII lines are valid UTF-8 and others are
    not, each line is decoded as UTF-8 when it can be, else as GB18030 (Chinese text in GBK is
    almost never valid UTF-8, so the test rarely misfires).
    """
    utf8 = other = 0
    for line in body[:10_000_000].split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            other += 1
    if utf8 < 2 or other < 1 or utf8 < 0.05 * (utf8 + other):
        return None
    lines, n_gbk = [], 0
    for line in body.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("gb18030", errors="replace"))
            n_gbk += 1
    res.encoding = "utf-8+gb18030"
    res.report.add(Problem("io.mixed_encoding", WARNING, count=n_gbk, params={"n": n_gbk}))
    return "\n".join(lines)


def _decode_with(data: bytes, enc: str, res: ReadResult) -> str | None:
    try:
        text = data.decode(enc, errors="replace")
    except LookupError:
        return _fail(res, "io.unknown_encoding", encoding=enc)
    res.encoding = enc
    bad = text.count("\ufffd")
    if bad > 0.1 * max(len(text), 1):
        return _fail(res, "io.binary_file")
    if bad:
        res.report.add(Problem("io.encoding_replaced", WARNING, count=bad, params={"n": bad}))
    return text


def _utf16_without_bom(head: bytes) -> str | None:
    """Latin text in UTF-16 without a BOM has a NUL in every other byte."""
    half = max(len(head) // 2, 1)
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 0.3 * half and even < 0.02 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.02 * half:
        return "utf-16-be"
    return None


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


def _parse_arrow(data: bytes, sep: str, n_cols: int, opt: ReadOptions) -> pd.DataFrame | None:
    """Arrow's multi-threaded reader (4-5x the C parser) for well-formed UTF-8 files with a
    one-character delimiter. Every cell is read as text, quoted newlines allowed; any ragged
    row or quoting problem returns ``None`` so the lenient parser below can report it."""
    if len(sep) != 1 or sep == " " or n_cols < 1 or data.count(b'"') % 2:
        return None  # an odd number of quotes: an unclosed quote, which Arrow would swallow

    names = [str(i) for i in range(n_cols)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
            # quoted newlines cost a slower parse; without any quote there are none
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=b'"' in data),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowException, ValueError, OSError):
        return None
    if table.num_rows > opt.max_rows + 2:
        return None  # the lenient path reads only up to the cap and reports the truncation
    df = table.to_pandas(types_mapper={pa.string(): pd.StringDtype(na_value=np.nan)}.get)
    df.columns = list(range(n_cols))
    return df


def _parse(source, encoding, sep: str, n_cols: int, opt: ReadOptions, res: ReadResult) -> pd.DataFrame | None:
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
            return _fail(res, "io.empty_file")
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


# ----------------------------------------------------------------------------- shared tail


def _kind(v: str) -> str:
    if len(v) > _MAX_KIND:
        return "text"
    s = v.replace(" ", "")
    if _NUM_RE.match(s):
        return "num"
    if any(c.isdigit() for c in v) and _DATE_RE.match(v.strip()):
        return "date"
    return "text"


def _shape(v: str) -> str:
    out = []
    for ch in v[:_MAX_KIND]:
        c = "9" if ch.isdigit() else "a" if ch.isascii() and ch.isalpha() else "中" if "\u4e00" <= ch <= "\u9fff" else ch
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def _looks_like_header(df: pd.DataFrame) -> bool:
    """Votes per column: does the first row differ in kind from the rows below it?"""
    first = [None if pd.isna(v) else str(v) for v in df.iloc[0]]
    filled = [v for v in first if v]
    if not filled or all(_kind(v) != "text" for v in filled):
        return False
    header = data = 0
    if len(set(filled)) < len(filled):
        data += 1
    sample = df.iloc[1:51]
    for j, v in enumerate(first):
        col = [str(x) for x in sample.iloc[:, j] if not pd.isna(x)]
        if not v or not col:
            continue
        kinds = Counter(_kind(x) for x in col)
        typed = (kinds["num"] + kinds["date"]) / len(col) >= 0.8
        if _kind(v) != "text":
            data += typed
        elif typed:
            header += 1
        elif v in col:
            data += 1
        else:
            shape, hits = Counter(_shape(x) for x in col).most_common(1)[0]
            if hits >= 0.8 * len(col) and "9" in shape:
                if _shape(v) == shape:
                    data += 1
                elif "9" not in _shape(v):
                    header += 1
    return header >= data


def _clean_name(v, i: int) -> str:
    s = "" if v is None or pd.isna(v) else _INVISIBLE_RE.sub("", str(v)).strip()
    return s or f"col_{i}"


def _finish(df: pd.DataFrame, opt: ReadOptions, res: ReadResult, multiline: bool = True) -> None:
    for c in df.columns:
        s = strip_text(df[c])
        empty = (s == "").to_numpy(dtype=bool, na_value=False)
        df[c] = s.mask(empty) if empty.any() else s  # no copy when nothing is empty
    keep_rows = df.notna().any(axis=1)
    n_empty = int((~keep_rows).sum())
    if n_empty:  # filtering copies every column: only when there is something to drop
        df = df[keep_rows]
    keep_cols = df.notna().any(axis=0)
    if n_empty:
        res.report.add(Problem("io.empty_rows_dropped", INFO, count=n_empty, params={"n": n_empty}))
    if not keep_cols.all():
        n = int((~keep_cols).sum())
        res.report.add(Problem("io.empty_columns_dropped", INFO, count=n, params={"n": n}))
        df = df.loc[:, keep_cols]
    if df.shape[0] == 0 or df.shape[1] == 0:
        return _fail(res, "io.empty_file")
    if df.shape[1] > opt.max_columns:
        return _fail(res, "io.too_many_columns", n=df.shape[1], limit=opt.max_columns)
    has_header = _looks_like_header(df) if opt.header is None else bool(opt.header)
    if has_header:
        names = [_clean_name(v, i) for i, v in enumerate(df.iloc[0], 1)]
        df = df.iloc[1:]
    else:
        names = [f"col_{i}" for i in range(1, df.shape[1] + 1)]
        if opt.header is None:
            res.report.add(Problem("io.no_header_detected", INFO))
    taken, unique, renamed = set(names), [], []
    for nm in names:
        if nm in unique:
            k = 2
            while f"{nm}_{k}" in taken:
                k += 1
            taken.add(f"{nm}_{k}")
            renamed.append(nm)
            nm = f"{nm}_{k}"
        unique.append(nm)
    if renamed:
        res.report.add(Problem("io.duplicate_headers", INFO, count=len(renamed),
                               params={"names": ", ".join(dict.fromkeys(renamed))}))
    res.has_header = has_header
    if len(df) == 0:
        return _fail(res, "io.no_data_rows", columns=", ".join(unique))
    if len(df) > opt.max_rows:
        df = df.iloc[: opt.max_rows]
        res.report.add(Problem("io.rows_truncated", WARNING, params={"limit": opt.max_rows}))
    df = df.set_axis(unique, axis=1).reset_index(drop=True)
    if multiline:
        _report_multiline(df, 2 if has_header else 1, res)
    if df.shape[1] == 1:
        res.report.add(Problem("io.single_column", INFO, params={"column": unique[0]}))
    res.df, res.n_rows = df, len(df)


def _report_multiline(df: pd.DataFrame, first_row: int, res: ReadResult) -> None:
    """Cells holding line breaks: a quoted field spanning lines. Legitimate in remarks, but a
    stray quote that opens in one row and closes hundreds of lines later swallows those rows
    into one cell, so the rows and the number of lines are named."""
    lines = np.zeros(len(df), dtype=np.int64)  # lines in the row's tallest cell (0: none)
    for c in df.columns:
        col = df[c]
        has = col.str.contains("\n", regex=False).fillna(False).to_numpy(dtype=bool)
        if has.any():
            idx = np.flatnonzero(has)
            lines[idx] = np.maximum(lines[idx], col[has].str.count("\n").to_numpy() + 1)
    rows_hit = np.flatnonzero(lines)
    if not len(rows_hit):
        return
    worst = rows_hit[np.argsort(-lines[rows_hit], kind="stable")[:MAX_EXAMPLES]]
    rows = ", ".join(f"{i + first_row} ({lines[i]})" for i in sorted(worst))
    total = int((lines[rows_hit] - 1).sum())
    severity = WARNING if int(lines.max()) >= 10 or total >= 50 else INFO
    res.report.add(Problem("io.multiline_cells", severity, count=len(rows_hit),
                           examples=tuple((int(i) + first_row, None) for i in sorted(worst)),
                           params={"n": len(rows_hit), "rows": rows, "lines": total}))
