"""Number formatting for people: money in the data set's currency, counts, percentages, ROI.

Chinese readers think in 万 (1e4) and 亿 (1e8) for amounts in any currency ("£220.0万"); English
readers in K / M / B. The sign goes before the symbol: ``-$1,268``. Tables show every column
in one format through :func:`table` (a pandas Styler: the text in the style, the numbers kept).
"""

from __future__ import annotations

import math
import pandas as pd

from opslab.core.i18n import t
from opslab.metrics import catalogue


def _bad(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥", "TWD": "NT$",
           "SGD": "S$", "AUD": "A$", "CAD": "C$", "KRW": "₩", "INR": "₹",
           "BRL": "R$", "CHF": "CHF "}


def symbol(currency: str | None = "") -> str:
    """``"USD"`` -> ``"$"``; an unknown code is shown as itself plus a space (``"CHF "``); no
    currency stated (``""`` or ``None``) -> ``""``: amounts are plain numbers, never ``¥`` by default.

    >>> symbol("GBP"), symbol("BRL"), symbol("")
    ('£', 'R$', '')
    """
    code = (currency or "").upper()
    if not code:
        return ""
    return SYMBOLS.get(code, f"{code} ")


def money_title(title: str, currency: str | None = "") -> str:
    """An axis or column title that carries the currency: ``"GMV ($)"``; just the title when
    no currency was stated."""
    sym = symbol(currency).strip()
    return f"{title} ({sym})" if sym else title


def compact(x: float, lang: str = "zh", digits: int = 1) -> str:
    """1234567 -> "123.5万" (zh) or "1.2M" (en); small numbers with thousands separators."""
    if _bad(x):
        return "–"
    sign = "-" if x < 0 else ""
    a = abs(float(x))
    units = ((1e8, "亿"), (1e4, "万")) if lang == "zh" else ((1e9, "B"), (1e6, "M"), (1e3, "K"))
    for size, unit in units:
        if a >= size * (10 if lang == "en" and unit == "K" else 1):
            return f"{sign}{a / size:,.{digits}f}{unit}"
    return f"{sign}{a:,.0f}" if a >= 100 or a == int(a) else f"{sign}{a:,.{digits}f}"


def money(x: float, lang: str = "zh", exact: bool = False, currency: str | None = "") -> str:
    """An amount in ``currency``: "¥1,280.00" when exact, else compact ("¥12.8万" / "$128K").

    >>> money(-1268, "en", currency="USD"), money(2.5e6, "zh", currency="USD"), money(2.5e6, "en", currency="CNY")
    ('-$1,268', '$250.0万', '¥2.5M')
    >>> money(2.5e6, "zh")  # no currency stated: a plain number, never ¥ by default
    '250.0万'

    """
    if _bad(x):
        return "–"
    sign, a, sym = ("-" if x < 0 else ""), abs(float(x)), symbol(currency)
    if exact or a < 10_000:
        return f"{sign}{sym}{a:,.2f}" if a < 1000 or exact else f"{sign}{sym}{a:,.0f}"
    return sign + sym + compact(a, lang)


def roi(x: float, decimals: int | None = None) -> str:
    """Revenue per unit of spend as operators write it: ``roi(3.24) == "1:3.2"``; two decimals
    below 1 (``roi(0.125) == "1:0.12"``), so a losing campaign is not rounded to "1:0.1".

    >>> roi(3.24), roi(0.125), roi(float("nan"))
    ('1:3.2', '1:0.12', '–')
    """
    if _bad(x):
        return "–"
    if decimals is None:
        decimals = 2 if abs(x) < 1 else 1
    return f"1:{x:,.{decimals}f}"  # thousands separators, as every other figure


def count(x: float, lang: str = "zh") -> str:
    if _bad(x):
        return "–"
    return compact(x, lang) if abs(x) >= 100_000 else (f"{x:,.0f}" if x == int(x) or abs(x) >= 100 else f"{x:,.1f}")


def pct(x: float, digits: int = 1, signed: bool = False) -> str:
    """0.123 -> "12.3%" (``signed``: "+12.3%")."""
    if _bad(x):
        return "–"
    return f"{x * 100:+.{digits}f}%" if signed else f"{x * 100:.{digits}f}%"


def integer(x) -> str:
    """A whole number written out with thousands separators, never shortened: ``"22,064"``
    (row counts, users in a caption, sample sizes); "–" when missing.

    >>> integer(22064), integer(1234567.0), integer(float("nan"))
    ('22,064', '1,234,567', '–')
    """
    if x is None:
        return "–"
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "–"
    return f"{round(x):,}" if math.isfinite(x) else "–"


def number(x, digits: int = 1, signed: bool = False) -> str:
    """A plain number with ``digits`` decimals and thousands separators (``"1,234.5"``);
    ``signed`` puts "+" before a gain. Infinite values read "+∞" / "−∞", missing ones "–".

    >>> number(1234.567), number(0.5, 3), number(-2.25, 2, signed=True), number(float("inf"))
    ('1,234.6', '0.500', '-2.25', '+∞')
    """
    if x is None:
        return "–"
    x = float(x)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "+∞" if x > 0 else "−∞"
    return f"{x:+,.{digits}f}" if signed else f"{x:,.{digits}f}"


def general(x, digits: int = 6) -> str:
    """The shortest honest writing of a setting or a tiny probability: ``general(99.9) ==
    "99.9"``, ``general(95.0) == "95"``, ``general(0.000123, 2) == "0.00012"`` (``digits``
    significant digits, as Python's ``g``).

    >>> general(99.9), general(95.0), general(0.5 / 24 * 24), general(0.000123456, 2)
    ('99.9', '95', '0.5', '0.00012')
    """
    if _bad(x):
        return "–"
    return f"{float(x):.{digits}g}"


def p_value(p, digits: int = 4) -> str:
    """A p-value with a fixed number of decimals (``"0.0312"``); "–" when there is none.

    >>> p_value(0.031249), p_value(float("nan")), p_value(0.5, 3)
    ('0.0312', '–', '0.500')
    """
    if p is None or pd.isna(p):
        return "–"
    return f"{float(p):.{digits}f}"


def points(delta, digits: int = 1) -> str:
    """A change of a share in percentage points, signed, without the unit: 0.021 -> "+2.1".

    >>> points(0.021), points(-0.0049), points(float("nan"))
    ('+2.1', '-0.5', '–')
    """
    if _bad(delta):
        return "–"
    return f"{100 * float(delta):+.{digits}f}"


def pp(delta, lang: str = "zh", digits: int = 1) -> str:
    """A change of a share with its unit in the reader's language: "+2.1 百分点" / "+2.1 pp".

    >>> pp(0.021, "en"), pp(-0.1, "zh")
    ('+2.1 pp', '-10.0 百分点')
    """
    if _bad(delta):
        return "–"
    return t("catalogue.pp", lang, value=points(delta, digits))


def duration(seconds, lang: str = "zh") -> str:
    """A time span in the unit people use for it: minutes below an hour, hours below two
    days, then days, one decimal ("42.5 min", "3.0 小时", "2.4 days"); "–" when missing.

    >>> duration(90, "en"), duration(7200, "en"), duration(3 * 86400, "zh"), duration(float("nan"))
    ('1.5 min', '2.0 h', '3.0 天', '–')
    """
    if seconds is None or pd.isna(seconds):
        return "–"
    seconds = float(seconds)
    if seconds < 3600:
        return t("funnels.minutes", lang, n=number(seconds / 60, 1))
    if seconds < 86400 * 2:
        return t("funnels.hours_n", lang, n=number(seconds / 3600, 1))
    return t("funnels.days_n", lang, n=number(seconds / 86400, 1))


def duration_edge(hours, lang: str = "zh") -> str:
    """A bin edge of a time histogram, as short as it goes: "0", "30 min", "6 h", "3 days".

    >>> duration_edge(0, "en"), duration_edge(0.5, "en"), duration_edge(6, "en"), duration_edge(72, "en")
    ('0', '30 min', '6 h', '3 days')
    """
    if hours == 0:
        return "0"
    if hours < 1:
        return t("funnels.minutes", lang, n=general(hours * 60))
    if hours < 48:
        return t("funnels.hours_n", lang, n=general(hours))
    return t("funnels.days_n", lang, n=general(hours / 24))


def signed_money(x: float, lang: str = "zh", exact: bool = False, currency: str | None = "") -> str:
    """A change of money with its sign before the symbol: "-¥1,268" (a loss), "+$128K".

    >>> signed_money(-1268, currency="CNY"), signed_money(128000, "en", currency="USD")
    ('-¥1,268', '+$128.0K')
    """
    if _bad(x):
        return "–"
    text = money(abs(x), lang, exact, currency=currency)
    if not exact and abs(x) < 10_000:
        text = f"{symbol(currency)}{abs(x):,.0f}"
    return ("-" if x < 0 else "+" if x > 0 else "") + text


def date(x) -> str:
    """A day as ISO ``2025-09-01`` (reads the same in Chinese and English); "–" if missing."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    try:
        if pd.isna(x):
            return "–"
        return pd.Timestamp(x).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return "–"


def timestamp(x) -> str:
    """A moment to the second, ISO style ``2025-09-01 14:03:09``; "–" if missing.

    >>> timestamp(pd.Timestamp("2025-09-01 14:03:09.75")), timestamp(None)
    ('2025-09-01 14:03:09', '–')
    """
    try:
        if x is None or pd.isna(x):
            return "–"
        return pd.Timestamp(x).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return "–"


#: Cell kinds a table column can have (:func:`table`).
CELL_KINDS = ("money", "count", "decimal", "pct", "pct_points", "pct_signed", "score", "roi", "multiple", "date")


def cell(x, kind: str, lang: str = "zh", currency: str | None = "") -> str:
    """One table cell in the one style; one format per column, so a column never mixes
    "¥3.4万" and "¥7,274": money exact with its sign before the symbol ("-¥1,268.00"), counts
    with thousands separators ("22,064"), percentages with one decimal ("36.9%"), scores
    (AUC, Brier) with three decimals ("0.812"), multiples with one ("2.3×"), ROI as "1:3.2".

    >>> [cell(v, k, currency="CNY") for v, k in [(-1268, "money"), (22064, "count"), (0.36954, "pct"), (0.8172, "score"),
    ...                          (2.314, "multiple"), (3.24, "roi"), (None, "count"), (12.25, "decimal")]]
    ['-¥1,268.00', '22,064', '37.0%', '0.817', '2.3×', '1:3.2', '–', '12.2']
    """
    if kind == "date":
        return date(x)
    try:
        if x is None or pd.isna(x):
            return "–"
    except (TypeError, ValueError):
        return str(x)
    x = float(x)
    if not math.isfinite(x):
        return "–"
    if kind == "money":
        return money(x, lang, exact=True, currency=currency)
    if kind == "count":
        return integer(x)
    if kind == "decimal":
        return number(x, 1)
    if kind == "pct":
        return pct(x)
    if kind == "pct_points":  # already × 100 (a retention table rounded as the heatmap shows it)
        return pct(x / 100)
    if kind == "pct_signed":
        return pct(x, signed=True)
    if kind == "score":
        return f"{x:.3f}"
    if kind == "multiple":
        return f"{x:,.1f}×"
    if kind == "roi":
        return roi(x, 1 if abs(x) >= 1 else 2)
    raise ValueError(f"unknown cell kind {kind!r}")


def table(frame, kinds: dict | None = None, lang: str = "zh", currency: str | None = ""):
    """``frame`` as a pandas Styler whose shown text follows the one style while the cells keep
    their numbers (a table sorted by a money column sorts by amount, not by text).

    ``kinds`` maps a column to a :data:`CELL_KINDS` entry; a numeric column not named is a
    count when it holds whole numbers, else a one-decimal number. Missing values show "–".

    >>> import pandas as pd
    >>> s = table(pd.DataFrame({"gmv": [-1268.0, 1062.28], "users": [22064, 5]}), {"gmv": "money"}, currency="CNY")
    >>> s.data["gmv"].tolist(), s.to_string(delimiter="|").splitlines()[1:]
    ([-1268.0, 1062.28], ['0|-¥1,268.00|22,064', '1|¥1,062.28|5'])
    """
    kinds = dict(kinds or {})
    for col in frame.columns:
        if col in kinds or frame[col].dtype == bool:
            continue
        s = frame[col]
        if s.dtype.kind in "iu":
            kinds[col] = "count"
        elif s.dtype.kind == "f":
            finite = s.dropna()
            kinds[col] = "count" if len(finite) and (finite == finite.round()).all() else "decimal"
    formatters = {col: (lambda x, k=kind: cell(x, k, lang, currency)) for col, kind in kinds.items()
                  if col in frame.columns}
    return frame.style.format(formatters, na_rep="–")


def for_export(frame, yes: str = "yes", no: str = "no", rate_digits: int = 3, digits: int = 2):
    """A table rounded to what the screen shows, for CSV / Excel downloads: shares (float
    columns within [0, 1]) to ``rate_digits`` decimals (0.1 % as on screen), other floats to
    ``digits``; true/false columns written as the reader's ``yes`` / ``no``.

    >>> import pandas as pd
    >>> f = pd.DataFrame({"p": [0.8172034500963269, 0.5], "amount": [1062.28499, 3.0], "flag": [True, False]})
    >>> for_export(f, "是", "否").to_dict("records")
    [{'p': 0.817, 'amount': 1062.28, 'flag': '是'}, {'p': 0.5, 'amount': 3.0, 'flag': '否'}]
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == bool or (s.dtype == object and len(s) and s.dropna().map(type).eq(bool).all()
                               and s.notna().any()):
            out[col] = s.map({True: yes, False: no})
        elif s.dtype.kind == "f":
            finite = s.dropna()
            share = len(finite) and finite.between(0, 1).all()
            out[col] = s.round(rate_digits if share else digits)
    return out


# -- catalogue figures: a value in its unit, a change in its style --------------------------

def _is_finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def kpi_change(delta: float, key: str, lang: str = "zh", digits: int = 1) -> str:
    """A change of :func:`opslab.metrics.catalogue.change` written in the catalogue entry's
    style: "+2.1 百分点" / "+2.1 pp" for rates, "+10.0%" for amounts and counts; "–" when unknown.

    >>> kpi_change(0.021, "paid_conversion", "zh"), kpi_change(0.1, "gmv", "en")
    ('+2.1 百分点', '+10.0%')
    """
    if not _is_finite(delta):
        return "–"
    if catalogue.get(key).change == "pp":
        return t("catalogue.pp", lang, value=f"{100 * delta:+.{digits}f}")
    return pct(delta, digits, signed=True)


def kpi_value(key: str, x, lang: str = "zh", currency: str = "") -> str:
    """A value in the entry's unit: money with the currency, rates in %, ROI as 1:x, counts."""
    if not _is_finite(x):
        return "–"
    u = catalogue.get(key).unit
    if u == "money":
        return money(float(x), lang, currency="CNY" if currency == "RMB" else currency)
    if u == "rate":
        return pct(float(x))
    if u == "ratio":
        return roi(float(x)) if catalogue.get(key).key == "roi" else f"{float(x):.2f}"
    return count(float(x), lang)
