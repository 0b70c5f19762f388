"""Fast paths of ingest, in Arrow (no per-value Python, no factorising of millions of distinct
strings): whole-column parsers for well-formed columns and text clean-up. Whole-table fast
paths (exact duplicates, Arrow-built columns) are in :mod:`opslab.ingest.fast_tables`.

Each function accepts a column only when *every* present cell matches a strict pattern that
the general parsers in :mod:`opslab.ingest.mapping` read the same way (plain decimal numbers;
``YYYY-MM-DD[ HH:MM:SS]``, ``YYYY/MM/DD[ HH:MM:SS]``, ``YYYYMMDD``), and returns ``None``
otherwise, so the general parser sees every odd column. Equivalence is tested in
opslab/ingest/tests/test_ingest_fast.py.

Examples
--------
>>> big = pd.Series(["12.5", "-3", None, ""] * 20_000, dtype="str")
>>> fast_amounts(big)[0].head(4).tolist()
[12.5, -3.0, nan, nan]
>>> fast_amounts(pd.Series(["¥12.5"] * 60_000, dtype="str")) is None
True
>>> fast_datetimes(pd.Series(["20240105", "20240229"] * 30_000, dtype="str"))[0].dt.day.head(2).tolist()
[5, 29]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Below this many cells the general parsers are as fast; the fast path is for big columns.
MIN_CELLS = 50_000

_NUMBER = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$"
_DATE_FORMATS = (
    (r"^[12][0-9]{3}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$", "%Y-%m-%d %H:%M:%S"),
    (r"^[12][0-9]{3}-[0-9]{2}-[0-9]{2}$", "%Y-%m-%d"),
    (r"^[12][0-9]{3}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$", "%Y/%m/%d %H:%M:%S"),
    (r"^[12][0-9]{3}/[0-9]{2}/[0-9]{2}$", "%Y/%m/%d"),
    (r"^[12][0-9]{7}$", "%Y%m%d"),
)


def _present(s: pd.Series) -> tuple[pa.ChunkedArray, np.ndarray] | None:
    """The column as Arrow text with empty cells as null, and the mask of present cells."""
    if len(s) < MIN_CELLS or not isinstance(s.dtype, pd.StringDtype):
        return None
    try:
        arr = pa.chunked_array(pa.array(s.array))
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    present = pc.is_valid(arr).to_numpy(zero_copy_only=False)
    return arr, present


def _data_bytes(chunk: pa.Array) -> np.ndarray:
    """The bytes of a string chunk's values (the whole data buffer: a sliced chunk may hold more)."""
    buf = chunk.buffers()[2]
    return np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(0, dtype=np.uint8)


def _offsets(chunk: pa.Array) -> np.ndarray:
    """A string chunk's own ``len + 1`` value offsets (a sliced chunk starts inside its buffer)."""
    if not len(chunk):
        return np.zeros(1, dtype=np.int64)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32 if chunk.type == pa.string() else np.int64)
    return offsets[chunk.offset:chunk.offset + len(chunk) + 1]


def _value_bytes(chunk: pa.Array) -> np.ndarray:
    """The bytes of a string chunk's own values: a sliced chunk (the header row cut off, say)
    shares a data buffer that holds more."""
    offsets = _offsets(chunk)
    return _data_bytes(chunk)[offsets[0]:offsets[-1]] if len(chunk) else np.zeros(0, dtype=np.uint8)


def _plain_ascii(arr: pa.ChunkedArray) -> bool:
    """Every byte ASCII and none of 0x1C-0x1F (which Unicode trimming treats as white space and
    ASCII trimming does not): then ASCII trimming equals ``str.strip`` (Unicode trimming)."""
    for chunk in arr.chunks:
        b = _value_bytes(chunk)
        for lo in range(0, len(b), 1 << 24):  # blocks: the temporaries stay small
            part = b[lo:lo + (1 << 24)]
            if len(part) and (int(part.max()) >= 128 or bool(((part & 0xFC) == 0x1C).any())):
                return False
    return True


_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[9, 10, 11, 12, 13, 32]] = True


def _edges_blank(arr: pa.ChunkedArray) -> bool:
    """Whether any cell starts or ends with an ASCII space, from the first and last byte of
    each cell (no copy of the text)."""
    for chunk in arr.chunks:
        k = len(chunk)
        if not k:
            continue
        offsets = _offsets(chunk)
        data = _data_bytes(chunk)
        filled = offsets[1:] > offsets[:-1]  # null slots have no bytes in Arrow's builders;
        if chunk.null_count:  # a null with bytes is only looked at, never changes the answer
            filled &= chunk.is_valid().to_numpy(zero_copy_only=False)
        first, last = (offsets[:-1], offsets[1:] - 1) if filled.all() else \
            (offsets[:-1][filled], offsets[1:][filled] - 1)
        for pos in (first, last):
            edge = data[pos]
            # every ASCII space is <= 32: the minimum alone clears the usual column
            if len(edge) and int(edge.min()) <= 32 and _ASCII_SPACE[edge].any():
                return True
    return False


def has_byte(s: pd.Series, chars: bytes) -> bool | None:
    """Whether any cell of an Arrow-backed text column holds one of the ASCII ``chars``,
    from its bytes (``None`` when the column is not Arrow text: the caller checks itself)."""
    arr = getattr(pd.Series(s, copy=False).array, "_pa_array", None)
    if not isinstance(arr, pa.ChunkedArray) or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    wanted = np.zeros(256, dtype=bool)
    wanted[np.frombuffer(chars, dtype=np.uint8)] = True
    for chunk in arr.chunks:
        b = _value_bytes(chunk)
        for lo in range(0, len(b), 1 << 24):
            if wanted[b[lo:lo + (1 << 24)]].any():
                return True
    return False


def byte_lengths(s: pd.Series) -> np.ndarray:
    """Length in bytes (UTF-8) of each cell, missing = 0; from Arrow's offsets for Arrow text."""
    arr = getattr(s.array, "_pa_array", None)
    if isinstance(arr, pa.ChunkedArray) and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        parts = []
        for chunk in arr.chunks:  # the differences of the offsets: no kernel, no copy of the text
            lengths = np.diff(_offsets(chunk)).astype(np.int64, copy=False)
            if chunk.null_count:
                lengths = np.where(chunk.is_valid().to_numpy(zero_copy_only=False), lengths, 0)
            parts.append(lengths)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return s.astype("str").str.encode("utf-8").str.len().fillna(0).to_numpy(dtype=np.int64)


def filter_rows(s: pd.Series, keep: np.ndarray) -> pd.Series:
    """``s[keep].reset_index(drop=True)``; Arrow text filtered by Arrow (no index array)."""
    arr = getattr(s.array, "_pa_array", None)
    if isinstance(arr, pa.ChunkedArray) and isinstance(s.dtype, pd.StringDtype):
        return pd.Series(pd.array(pc.filter(arr, pa.array(keep)), dtype=s.dtype), name=s.name)
    return s[keep].reset_index(drop=True)


def strip_text(s: pd.Series) -> pd.Series:
    """``s.astype("str").str.strip()``. ASCII columns (the common case) are checked from the
    cells' first and last bytes and returned as they are when nothing needs trimming (no copy
    of the text), else trimmed by Arrow's ASCII kernel (same result, ~10x the Unicode one)."""
    s = s.astype("str")
    arr = getattr(s.array, "_pa_array", None)
    if not isinstance(arr, pa.ChunkedArray) or not _plain_ascii(arr):
        return s.str.strip()
    if not _edges_blank(arr):
        return s
    return pd.Series(pd.array(pc.ascii_trim_whitespace(arr), dtype=s.dtype), index=s.index, name=s.name)


def _all_match(arr: pa.ChunkedArray, pattern: str) -> bool:
    hits = pc.match_substring_regex(arr, pattern)
    return pc.all(pc.or_kleene(hits, pc.is_null(arr))).as_py() is not False


def fast_amounts(s: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """Plain decimal numbers (``12``, ``-3.50``) read by Arrow; ``None`` if any cell is not one."""
    got = _present(s)
    if got is None:
        return None
    arr, _ = got
    if not _all_match(arr, _NUMBER):
        return None
    values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    return (pd.Series(values, index=s.index, dtype="float64"),
            pd.Series(np.zeros(len(s), dtype=bool), index=s.index))


def _digits(arr: pa.ChunkedArray, fmt: str) -> np.ndarray:
    """The digits of each cell as one integer (``2024-01-05 10:20:30`` -> 20240105102030)."""
    for sep in ("-", "/", " ", ":"):
        if sep in fmt:
            arr = pc.replace_substring(arr, sep, "")
    return pc.fill_null(pc.cast(arr, pa.int64()), -1).to_numpy(zero_copy_only=False)


def _parts(parsed: pa.ChunkedArray, with_time: bool) -> np.ndarray:
    """The same integer built from the parsed times: year, month, day (hour, minute, second)."""
    def num(f):
        return pc.fill_null(f(parsed), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    key = (num(pc.year) * 100 + num(pc.month)) * 100 + num(pc.day)
    if with_time:
        key = ((key * 100 + num(pc.hour)) * 100 + num(pc.minute)) * 100 + num(pc.second)
    return key


#: Fixed-width layouts read from the bytes by NumPy: (pattern, width, separators {pos: byte},
#: field slices year, month, day[, hour, minute, second]).
_FIXED = {
    "%Y-%m-%d %H:%M:%S": (19, {4: b"-", 7: b"-", 10: b" ", 13: b":", 16: b":"}),
    "%Y-%m-%d": (10, {4: b"-", 7: b"-"}),
    "%Y/%m/%d %H:%M:%S": (19, {4: b"/", 7: b"/", 10: b" ", 13: b":", 16: b":"}),
    "%Y/%m/%d": (10, {4: b"/", 7: b"/"}),
    "%Y%m%d": (8, {}),
}
_BLOCK = 1 << 20
#: Calendar of the years 1000-2999 (the layouts' range): days from 1970-01-01 to each New
#: Year's Day, leap years, and per [leap, month] the days before the month and in it.
_YEARS = np.arange(1000, 3000)
_YEAR_START = (_YEARS - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
_LEAP = ((_YEARS % 4 == 0) & ((_YEARS % 100 != 0) | (_YEARS % 400 == 0))).astype(np.intp)
_MONTH_DAYS = np.array([[0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
                        [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]])
_MONTH_START = np.concatenate([np.zeros((2, 1), dtype=np.int64), np.cumsum(_MONTH_DAYS, axis=1)[:, :-1]], axis=1)


def _fixed_block(d: np.ndarray, width: int, seps: dict) -> np.ndarray | None:
    """Microseconds since 1970 for a block of cells (one row of ``width`` bytes each), or
    ``None`` when any cell is not a real date/time of the layout (the general parser decides)."""
    digit_pos = [i for i in range(width) if i not in seps]
    dig = d[:, digit_pos] - np.uint8(48)  # uint8: a byte below "0" wraps round to > 9
    if int(dig.max()) > 9:
        return None
    for pos, sep in seps.items():
        if (d[:, pos] != sep[0]).any():
            return None

    def num(i: int, k: int) -> np.ndarray:  # the k digits from digit i as one number
        v = dig[:, i].astype(np.int32)
        for j in range(i + 1, i + k):
            v = v * 10 + dig[:, j]
        return v
    year, month, day = num(0, 4), num(4, 2), num(6, 2)
    if (year < 1000).any() or (year > 2999).any() or (month < 1).any() or (month > 12).any() or (day < 1).any():
        return None
    y = year - 1000
    leap = _LEAP[y]  # calendar tables, not NumPy's month units (5x slower at a million dates)
    if (day > _MONTH_DAYS[leap, month]).any():
        return None
    t = (_YEAR_START[y] + _MONTH_START[leap, month] + day - 1) * 86_400
    if width == 19:
        hour, minute, second = num(8, 2), num(10, 2), num(12, 2)
        if (hour > 23).any() or (minute > 59).any() or (second > 59).any():
            return None
        t += hour * 3600 + minute * 60 + second
    return t * 1_000_000


def _fixed_width(arr: pa.ChunkedArray, n: int, fmt: str) -> tuple[np.ndarray, np.ndarray] | None:
    """A column in one fixed-width layout parsed from its bytes: ``(values, present)`` or
    ``None`` (a cell of another width, an impossible date, or an unusual buffer layout)."""
    width, seps = _FIXED[fmt]
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]").view(np.int64)
    present = np.zeros(n, dtype=bool)
    at = 0
    for chunk in arr.chunks:
        k = len(chunk)
        if k == 0:
            continue
        offsets = _offsets(chunk)
        lengths = np.diff(offsets)
        if not chunk.null_count and bool((lengths == width).all()):  # the usual chunk: every cell
            cells = _data_bytes(chunk)[offsets[0]:offsets[0] + k * width].reshape(k, width)
            for lo in range(0, k, _BLOCK):
                got = _fixed_block(cells[lo:lo + _BLOCK], width, seps)
                if got is None:
                    return None
                out[at + lo:at + min(lo + _BLOCK, k)] = got
            present[at:at + k] = True
            at += k
            continue
        valid = lengths > 0
        if chunk.null_count:
            valid &= chunk.is_valid().to_numpy(zero_copy_only=False)
            if (lengths[~valid] != 0).any():
                return None  # null slots holding bytes: not worth the bookkeeping
        if (lengths[valid] != width).any():
            return None
        n_valid = int(valid.sum())
        data = _data_bytes(chunk)[offsets[0]:offsets[0] + n_valid * width]
        if len(data) != n_valid * width:
            return None
        cells = data.reshape(n_valid, width)
        idx = np.flatnonzero(valid) + at
        for lo in range(0, n_valid, _BLOCK):
            got = _fixed_block(cells[lo:lo + _BLOCK], width, seps)
            if got is None:
                return None
            out[idx[lo:lo + _BLOCK]] = got
        present[idx] = True
        at += k
    return out.view("datetime64[us]"), present


def fast_datetimes(s: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """One fixed date/time layout in the whole column, read by Arrow's strptime; ``None`` when
    the layouts vary or any value is not a real date (the general parser reports those)."""
    if len(s) >= MIN_CELLS and isinstance(s.dtype, pd.StringDtype):
        quick = _fixed_datetimes(s)
        if quick is not None:
            return quick
    got = _present(s)
    if got is None:
        return None
    arr, present = got
    if not present.any():
        return None
    first = arr.filter(pc.is_valid(arr))[0].as_py()
    for pattern, fmt in _DATE_FORMATS:
        if not pc.match_substring_regex(pa.scalar(first), pattern).as_py():
            continue
        if not _all_match(arr, pattern):
            return None
        parsed = pc.strptime(arr, format=fmt, unit="us", error_is_null=True)
        if int(pc.sum(pc.is_valid(parsed)).as_py() or 0) != int(present.sum()):
            return None  # e.g. 2024-13-01: let the general parser find and report it
        values = parsed.to_numpy(zero_copy_only=False).astype("datetime64[us]")
        # strptime rolls 2023-02-29 over to March 1st: only a value whose parts are the digits
        # written in the cell is real (Arrow's strftime would be 20x slower than this check)
        if not (_digits(arr, fmt) == _parts(parsed, with_time="%H" in fmt))[present].all():
            return None
        return (pd.Series(values, index=s.index, dtype="datetime64[us]"),
                pd.Series(np.zeros(len(s), dtype=bool), index=s.index))
    return None


def _first_present(arr: pa.ChunkedArray) -> str | None:
    """The first non-empty cell, without scanning more than needed."""
    for chunk in arr.chunks:
        lengths = pc.fill_null(pc.binary_length(chunk), 0).to_numpy(zero_copy_only=False)
        hit = np.flatnonzero(lengths > 0)
        if len(hit):
            return chunk[int(hit[0])].as_py()
    return None


def _fixed_datetimes(s: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """The common case of :func:`fast_datetimes` without Arrow's string kernels: every present
    cell has the first cell's fixed-width layout, checked and converted from the bytes."""
    arr = getattr(s.array, "_pa_array", None)
    if not isinstance(arr, pa.ChunkedArray) or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    first = _first_present(arr)
    if first is None:
        return None
    for pattern, fmt in _DATE_FORMATS:
        if re.match(pattern, first):
            got = _fixed_width(arr, len(s), fmt)
            if got is None:
                return None
            return (pd.Series(got[0], index=s.index, dtype="datetime64[us]"),
                    pd.Series(np.zeros(len(s), dtype=bool), index=s.index))
    return None
