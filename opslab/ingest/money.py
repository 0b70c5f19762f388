"""Money cells and the currency they are in.

:func:`parse_amounts` reads ``¥1,280.00``, ``1280元``, ``(1,200)``, ``1.2万``, ``US$ 12``;
:func:`currency_votes` counts which currency the symbols, words and the column header name,
so one upload can decide its currency once (:func:`decide_currency`) and say so.

>>> parse_amounts(pd.Series(["¥1,280.00", "1.2万", "(35)"]))[0].tolist()
[1280.0, 12000.0, -35.0]
>>> decide_currency(currency_votes(pd.Series(["$12.50", "$3"]), "price"))
('USD', 'symbol')
>>> decide_currency(currency_votes(pd.Series(["12.5"]), "dollar_value"))
('USD', 'header')
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import numpy as np
import pandas as pd

from opslab.ingest.fastparse import fast_amounts
from opslab.ingest.cells import expand, prepare

DEFAULT_CURRENCY = "CNY"
#: Prefix/suffix tokens (after NFKC, so ￥ is ¥) -> ISO 4217 code; longer tokens first.
_TOKENS: tuple[tuple[str, str], ...] = (
    ("US$", "USD"), ("HK$", "HKD"), ("NT$", "TWD"), ("S$", "SGD"), ("A$", "AUD"), ("C$", "CAD"),
    ("JP¥", "JPY"), ("人民币", "CNY"), ("RMB", "CNY"), ("CNY", "CNY"), ("USD", "USD"),
    ("EUR", "EUR"), ("GBP", "GBP"), ("HKD", "HKD"), ("JPY", "JPY"), ("TWD", "TWD"),
    ("SGD", "SGD"), ("AUD", "AUD"), ("CAD", "CAD"), ("KRW", "KRW"), ("INR", "INR"),
    ("美元", "USD"), ("港币", "HKD"), ("欧元", "EUR"), ("英镑", "GBP"), ("日元", "JPY"),
    ("¥", "CNY"), ("元", "CNY"), ("块", "CNY"), ("$", "USD"), ("€", "EUR"), ("£", "GBP"),
    ("₩", "KRW"), ("₹", "INR"), ("円", "JPY"),
)
_ALT = "|".join(re.escape(tok) for tok, _ in _TOKENS)
_PREFIX = re.compile(rf"(?i)^([+-]?)[ \t]*({_ALT})[ \t]*")
_SUFFIX = re.compile(rf"(?i)[ \t]*({_ALT})$")
_CODES = {tok.upper(): code for tok, code in _TOKENS}
#: Header words -> currency (normalised lower-case header contains the word).
_HEADER_WORDS = (("dollar", "USD"), ("usd", "USD"), ("美元", "USD"), ("(元)", "CNY"), ("（元）", "CNY"),
                 ("元", "CNY"), ("rmb", "CNY"), ("cny", "CNY"), ("人民币", "CNY"), ("euro", "EUR"),
                 ("eur", "EUR"), ("gbp", "GBP"), ("pound", "GBP"), ("hkd", "HKD"), ("yen", "JPY"),
                 ("hk$", "HKD"), ("$", "USD"), ("¥", "CNY"), ("€", "EUR"), ("£", "GBP"))
_AMOUNT = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?|[+-]?\.\d+"


def parse_amounts(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse money / count strings: ``¥1,280.00``, ``1280元``, ``(1,200)``, ``1.2万``, ``１２８０``.

    Returns ``(float64 Series, failed mask)``; empty cells are NaN and not failed; percentages,
    cells over 64 characters and European ``1 280,00`` forms fail rather than being misread.

    >>> parse_amounts(pd.Series(["$12.5", "12.5%", ""]))[1].tolist()
    [False, True, False]
    """
    fast = fast_amounts(s)  # big columns of plain numbers, in Arrow
    if fast is not None:
        return fast
    codes, u, missing, long = prepare(s)
    t = u.str.replace("\u2212", "-")
    neg = t.str.fullmatch(r"\(.*\)").fillna(False).to_numpy(dtype=bool)
    t = t.str.replace(r"^\((.*)\)$", r"\1", regex=True).str.strip()
    t = t.str.replace(_PREFIX.pattern, r"\1", regex=True)
    t = t.str.replace(_SUFFIX.pattern, "", regex=True)
    mult = np.where(t.str.endswith("亿").fillna(False), 1e8,
                    np.where(t.str.endswith("万").fillna(False), 1e4, 1.0))
    t = t.str.replace(r"[ \t]*[万亿]$", "", regex=True)
    valid = t.str.fullmatch(_AMOUNT).fillna(False).to_numpy(dtype=bool) & ~missing & ~long
    values = pd.to_numeric(t.where(valid).str.replace(",", ""), errors="coerce").to_numpy(float)
    values = np.where(valid, values * mult * np.where(neg, -1.0, 1.0), np.nan)
    failed = ~missing & (~valid | np.isinf(values))
    values = np.where(failed, np.nan, values)
    return expand(codes, values, failed, s.index, "float64")


def symbol_counts(s: pd.Series) -> Counter:
    """How many cells of ``s`` carry each currency token (``{"$": 3, "元": 1}``)."""
    codes, u, missing, long = prepare(s)
    ok = ~missing & ~long
    if not ok.any():
        return Counter()
    weights = np.bincount(codes[codes >= 0], minlength=len(u))
    t = u[ok].str.strip("()+- \t")
    pre = t.str.extract(_PREFIX.pattern)[1]
    suf = t.str.extract(_SUFFIX.pattern)[0]
    tok = pre.fillna(suf)
    out: Counter = Counter()
    w = weights[ok]
    for value, weight in zip(tok.to_numpy(dtype=object), w):
        if isinstance(value, str):
            out[unicodedata.normalize("NFKC", value).upper()] += int(weight)
    return out


def currency_of(token: str) -> str | None:
    """``"$"`` -> ``"USD"``; ``"元"`` -> ``"CNY"``."""
    return _CODES.get(unicodedata.normalize("NFKC", token).upper())


def header_currency(header: str) -> str | None:
    """The currency a column header names: ``dollar_value`` -> USD, ``金额(元)`` -> CNY."""
    h = unicodedata.normalize("NFKC", str(header))[:200].lower()
    for word, code in _HEADER_WORDS:
        if unicodedata.normalize("NFKC", word) in h:
            return code
    return None


def currency_votes(values: pd.Series | None, header: str | None = None) -> Counter:
    """Votes ``{(code, "symbol"|"header"): n}`` from one money column's cells and header."""
    votes: Counter = Counter()
    if values is not None:
        for tok, n in symbol_counts(values).items():
            code = currency_of(tok)
            if code:
                votes[(code, "symbol")] += n
    if header:
        code = header_currency(header)
        if code:
            votes[(code, "header")] += 1
    return votes


def decide_currency(votes: Counter, default: str = DEFAULT_CURRENCY) -> tuple[str, str]:
    """``(code, basis)``: symbols in the cells outvote headers; nothing found -> the default.

    >>> decide_currency(Counter())
    ('CNY', 'default')
    """
    for basis in ("symbol", "header"):
        by_code = Counter({c: n for (c, b), n in votes.items() if b == basis})
        if by_code:
            return by_code.most_common(1)[0][0], basis
    return default, "default"
