"""The header row of a raw table: whether the first row names the columns, and clean, unique
column names.

A first row is a header when, column by column, it differs in kind (text against numbers or
dates) or in shape (``"订单号"`` above ``"A-1001"``) from the rows below it. Cells longer than
64 characters are text without looking at them, so no pattern ever sees hostile input.

Examples
--------
>>> cell_kind("¥1,299.00"), cell_kind("2024-03-01 10:00"), cell_kind("用户ID")
('num', 'date', 'text')
>>> unique_names(["金额", "金额", "金额_2"])
(['金额', '金额_3', '金额_2'], ['金额'])
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

# Each part can match a character in only one way (no nested or adjacent repeats over the same
# characters), so a failed match is linear; cells are capped at _MAX_KIND characters anyway.
_NUM_RE = re.compile(r"^[+-]?\(?[¥￥$€£]?[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?\)?%?元?$", re.I)
_DATE_RE = re.compile(
    r"^(?:\d{4}[-/.年]\d{1,2}(?:[-/.月]\d{1,2}日?)?)?[ T]?(?:\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_MAX_KIND = 64  # a longer cell is text: no number or date is that long
_INVISIBLE_RE = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00a0]")


def cell_kind(v: str) -> str:
    """``"num"``, ``"date"`` or ``"text"``: what a raw cell looks like."""
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


def looks_like_header(df: pd.DataFrame) -> bool:
    """Votes per column: does the first row differ in kind from the rows below it?"""
    first = [None if pd.isna(v) else str(v) for v in df.iloc[0]]
    filled = [v for v in first if v]
    if not filled or all(cell_kind(v) != "text" for v in filled):
        return False
    header = data = 0
    if len(set(filled)) < len(filled):
        data += 1
    sample = df.iloc[1:51]
    for j, v in enumerate(first):
        col = [str(x) for x in sample.iloc[:, j] if not pd.isna(x)]
        if not v or not col:
            continue
        kinds = Counter(cell_kind(x) for x in col)
        typed = (kinds["num"] + kinds["date"]) / len(col) >= 0.8
        if cell_kind(v) != "text":
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


def clean_name(v, i: int) -> str:
    """A header cell without invisible characters and padding; ``col_<i>`` when empty."""
    s = "" if v is None or pd.isna(v) else _INVISIBLE_RE.sub("", str(v)).strip()
    return s or f"col_{i}"


def unique_names(names: list[str]) -> tuple[list[str], list[str]]:
    """Names made unique by ``_2``, ``_3`` ... suffixes that no other column holds, and the
    names that were repeated."""
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
    return unique, renamed
