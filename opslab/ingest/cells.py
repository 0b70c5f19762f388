"""Shared helpers for column-wise cell parsing: factorise once, parse each distinct string once.

Every parser works on the distinct values of a column (``pd.factorize``) and expands the
result back, so a million rows with a thousand distinct dates cost a thousand parses. Cells
longer than :data:`MAX_CELL` characters are never handed to a pattern: no date, amount or id
is that long, and capping first keeps every match linear in the file's size.

>>> codes, u, missing, long = prepare(pd.Series(["a", " a ", None, "9" * 500]))
>>> codes.tolist(), u.tolist()[:2], missing.tolist(), long.tolist()
([0, 1, -1, 2], ['a', 'a'], [False, False, False], [False, False, True])
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from opslab.ingest.fastparse import byte_lengths, has_byte, strip_text

MISSING_TOKENS = frozenset({"", "null", "none", "nan", "nat", "n/a", "na", "\\n", "-", "--", "#n/a"})
#: Longer cells are not dates, amounts or ids; they are failed without any pattern matching.
MAX_CELL = 64


def prepare(s: pd.Series) -> tuple[np.ndarray, pd.Series, np.ndarray, np.ndarray]:
    """Factorise ``s``; return codes, the cleaned distinct strings, their missing mask and
    their too-long mask (too-long values are replaced by ``""`` so no pattern sees them)."""
    s = pd.Series(s, copy=False)
    if not isinstance(s.dtype, pd.StringDtype):
        s = s.astype("str")
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(uniques.array if isinstance(uniques, pd.Index) else uniques, dtype="str")
    lens = u.str.len().fillna(0).to_numpy()
    long = lens > 4 * MAX_CELL  # before NFKC and strip: those are linear, but not free
    if long.any():
        u = u.where(~long, "")
    if len(u) and u.str.contains(r"[^\x00-\x7f]", regex=True).fillna(False).any():
        u = u.str.normalize("NFKC")
    u = u.str.strip()
    long = long | (u.str.len().fillna(0).to_numpy() > MAX_CELL)
    u = u.where(~long, "")
    missing = (u.isna() | u.str.lower().isin(MISSING_TOKENS)).to_numpy(dtype=bool) & ~long
    return codes, u, missing, long


def expand(codes: np.ndarray, values: np.ndarray, failed: np.ndarray, index, dtype):
    """Distinct-value results back to one per row; code -1 (a missing cell) gets the filler."""
    fill = np.array([np.nan], dtype=values.dtype) if values.dtype.kind != "M" else \
        np.array(["NaT"], dtype=values.dtype)
    vals = np.concatenate([values, fill])[codes]
    bad = np.concatenate([failed, [False]])[codes]
    return pd.Series(vals, index=index, dtype=dtype), pd.Series(bad, index=index, dtype=bool)


_TOKEN_LEN = max(map(len, MISSING_TOKENS))
_TOKENS = pa.array(sorted(MISSING_TOKENS), pa.large_string())


def clean_text(s: pd.Series) -> pd.Series:
    """Trimmed text with the missing tokens ("null", "-", "#N/A", ...) made missing."""
    s = strip_text(s)
    # Only short cells can be a missing token: lower-case and look up just those. Byte lengths
    # (no scan of the text): the tokens are ASCII, and no longer cell lower-cases to one.
    short = (byte_lengths(s) <= _TOKEN_LEN)
    missing = np.zeros(len(s), dtype=bool)
    if short.any():
        arr = getattr(s.array, "_pa_array", None)
        if isinstance(arr, pa.ChunkedArray):  # Arrow by Arrow: no pandas index for the subset
            lower = pc.utf8_lower(pc.filter(arr, pa.array(short)))
            missing[short] = pc.fill_null(pc.is_in(lower, value_set=_TOKENS.cast(arr.type)), False).to_numpy(zero_copy_only=False)
        else:
            missing[short] = s[short].str.lower().isin(MISSING_TOKENS).fillna(True).to_numpy(dtype=bool)
    return s.where(~missing) if missing.any() else s


_SCI = r"[+-]?\d(?:\.\d+)?[eE]\+?\d{1,3}"


def clean_ids(s: pd.Series) -> tuple[pd.Series, int, np.ndarray, int]:
    """Trim; ``"123.0"`` -> ``"123"`` (the same rule in every file of an upload, so an Excel
    float id and a text id of one person meet) -- unless that would merge ids the column holds
    apart: when ``"7"`` and ``"7.0"`` (or ``"7.0"`` and ``"7.00"``) are both in the column they
    are different people's ids as typed, and the column is kept exactly as written (issue 28:
    by default 4 real ids merged into 2). Returns the ids, how many were unified, the mask of
    ids in scientific notation (``1.23457E+11``: Excel rounded them) and how many distinct ids
    were kept apart instead of unified.

    >>> clean_ids(pd.Series(["7.0", "8"]))[:2][0].tolist(), clean_ids(pd.Series(["7", "7.0", "7.00", "8"]))[3]
    (['7', '8'], 2)
    """
    s = clean_text(s)
    dot, e = has_byte(s, b"."), has_byte(s, b"eE")  # neither pattern can match without them
    if dot is False and e is False:
        return s, 0, np.zeros(len(s), dtype=bool), 0
    short = s.str.len().fillna(0) <= 64
    n_unified = kept_apart = 0
    if dot is not False:
        s_short = s.where(short)  # no pattern ever sees a long cell
        floaty = s_short.str.fullmatch(r"-?\d+\.0+").fillna(False)
        n_unified = int(floaty.sum())
        if n_unified:
            unified = s.where(~floaty, s.str.replace(r"\.0+$", "", regex=True))
            before = pd.unique(s[s.notna()].to_numpy())
            after = pd.unique(unified[unified.notna()].to_numpy())
            if len(after) < len(before):  # unifying would merge ids written differently
                kept_apart, n_unified = len(before) - len(after), 0
            else:
                s = unified
    if e is False:
        return s, n_unified, np.zeros(len(s), dtype=bool), kept_apart
    sci = s.where(short).str.fullmatch(_SCI).fillna(False).to_numpy(dtype=bool)
    return s, n_unified, sci, kept_apart
