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
>>> decide_currency(country_votes(pd.Series(["United Kingdom", "France", "United Kingdom"])))
('GBP', 'country')

Nothing is assumed: with no evidence :func:`decide_currency` returns ``(None, "none")`` and the
user (Data page, ``load(..., currency=)``, ``--currency``) says which currency it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import numpy as np
import pandas as pd

from opslab.ingest.fastparse import fast_amounts
from opslab.ingest.cells import expand, prepare

#: Evidence from strongest to weakest: signs in the cells, a header, a country or locale
#: column, the file's language (Chinese text is evidence for CNY, the weakest).
BASES = ("symbol", "header", "country", "language")
#: Prefix/suffix tokens (after NFKC, so ￥ is ¥) -> ISO 4217 code; longer tokens first.
_TOKENS: tuple[tuple[str, str], ...] = (
    ("R$", "BRL"), ("BRL", "BRL"), ("CHF", "CHF"), ("US$", "USD"), ("HK$", "HKD"), ("NT$", "TWD"), ("S$", "SGD"), ("A$", "AUD"), ("C$", "CAD"),
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
                 ("hk$", "HKD"), ("brl", "BRL"), ("r$", "BRL"), ("reais", "BRL"),
                 ("$", "USD"), ("¥", "CNY"), ("€", "EUR"), ("£", "GBP"))
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


def decide_currency(votes: Counter) -> tuple[str | None, str]:
    """``(code, basis)``: symbols in the cells outvote headers, headers a country column, that
    the file's language; nothing found -> ``(None, "none")``, never a guess.

    >>> decide_currency(Counter())
    (None, 'none')
    """
    for basis in BASES:
        by_code = Counter({c: n for (c, b), n in votes.items() if b == basis})
        if by_code:
            return by_code.most_common(1)[0][0], basis
    return None, "none"


def ranked_currencies(votes: Counter, known: tuple[str, ...]) -> tuple[str, ...]:
    """Every currency the evidence names, strongest first, then ``known`` in its order: the
    options of the required currency choice, most likely first."""
    weight = Counter()
    for (code, basis), n in votes.items():
        weight[code] += n * 10 ** (len(BASES) - BASES.index(basis)) if basis in BASES else n
    named = [c for c, _ in weight.most_common()]
    return tuple(dict.fromkeys([*named, *known]))


#: Country names, ISO 3166 codes and locales (lower case) -> currency. Euro-area members share EUR.
_EURO = ("germany", "france", "spain", "italy", "netherlands", "belgium", "austria", "ireland", "eire",
         "portugal", "finland", "greece", "luxembourg", "slovakia", "slovenia", "estonia", "latvia",
         "lithuania", "malta", "cyprus", "croatia", "de", "fr", "es", "it", "nl", "be", "at", "ie", "pt",
         "fi", "gr", "lu", "deutschland", "españa", "italia", "德国", "法国", "西班牙", "意大利", "荷兰")
_COUNTRIES: dict[str, str] = {
    **dict.fromkeys(("united kingdom", "uk", "gb", "gbr", "great britain", "england", "scotland", "wales",
                     "northern ireland", "britain", "英国", "channel islands"), "GBP"),
    **dict.fromkeys(("brazil", "brasil", "br", "bra", "巴西"), "BRL"),
    **dict.fromkeys(("united states", "usa", "us", "united states of america", "america", "美国"), "USD"),
    **dict.fromkeys(("china", "cn", "chn", "prc", "中国", "中国大陆", "mainland china"), "CNY"),
    **dict.fromkeys(("hong kong", "hk", "hkg", "香港", "中国香港"), "HKD"),
    **dict.fromkeys(("taiwan", "tw", "twn", "台湾", "中国台湾"), "TWD"),
    **dict.fromkeys(("japan", "jp", "jpn", "日本"), "JPY"),
    **dict.fromkeys(("singapore", "sg", "sgp", "新加坡"), "SGD"),
    **dict.fromkeys(("australia", "au", "aus", "澳大利亚"), "AUD"),
    **dict.fromkeys(("canada", "ca", "can", "加拿大"), "CAD"),
    **dict.fromkeys(("south korea", "korea", "kr", "kor", "韩国"), "KRW"),
    **dict.fromkeys(("india", "in", "ind", "印度"), "INR"),
    **dict.fromkeys(("switzerland", "ch", "che", "瑞士"), "CHF"),
    **dict.fromkeys(_EURO, "EUR"),
}
#: Headers of a country or locale column (normalised: lower case, no spaces or underscores).
_COUNTRY_HEADERS = ("country", "国家", "国家地区", "地区国家", "locale", "market", "市场", "countrycode")
_LOCALE = re.compile(r"^[a-z]{2}[_-]([a-z]{2})$")


def is_country_header(header: str) -> bool:
    h = re.sub(r"[\s_\-/]+", "", unicodedata.normalize("NFKC", str(header)).lower())
    return any(word in h for word in _COUNTRY_HEADERS)


def country_votes(values: pd.Series) -> Counter:
    """Votes ``{(code, "country"): n}`` from a country or locale column (``United Kingdom``,
    ``BR``, ``pt_BR``): each distinct value looked up once and weighted by its rows."""
    counts = values.dropna().astype("str").str.strip().str.lower().value_counts()
    votes: Counter = Counter()
    for value, n in counts.items():
        m = _LOCALE.match(value)
        code = _COUNTRIES.get(m.group(1) if m else value)
        if code:
            votes[(code, "country")] += int(n)
    return votes


_CJK = re.compile(r"[\u4e00-\u9fff]")
_KANA = re.compile(r"[\u3040-\u30ff]")


def language_votes(headers, values: pd.Series | None = None) -> Counter:
    """A vote for CNY when the headers or the text cells are written in Chinese (Han characters
    without Japanese kana): the weakest evidence, used only when nothing else names a currency."""
    text = " ".join(map(str, headers))
    if values is not None:
        text += " " + " ".join(values.dropna().astype("str").head(5_000))
    if _KANA.search(text):
        return Counter()
    n = len(_CJK.findall(text))
    return Counter({("CNY", "language"): 1}) if n >= 2 else Counter()
