"""Number formatting for people: money in CNY (and signed changes of money), counts,
percentages.

Chinese readers think in 万 (1e4) and 亿 (1e8); English readers in K / M / B.
"""

from __future__ import annotations

import math


def _bad(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


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


def money(x: float, lang: str = "zh", exact: bool = False) -> str:
    """CNY amount: "¥1,280.00" when exact, else compact ("¥12.8万" / "¥128K"); a negative
    amount carries its sign before the symbol ("-¥1,268").

    >>> money(-1268), money(-150_000, "zh")
    ('-¥1,268', '-¥15.0万')
    """
    if _bad(x):
        return "–"
    if x < 0:
        return "-" + money(-x, lang, exact)
    if exact or abs(x) < 10_000:
        return f"¥{x:,.2f}" if abs(x) < 1000 or exact else f"¥{x:,.0f}"
    return "¥" + compact(x, lang)


def count(x: float, lang: str = "zh") -> str:
    if _bad(x):
        return "–"
    return compact(x, lang) if abs(x) >= 100_000 else (f"{x:,.0f}" if x == int(x) or abs(x) >= 100 else f"{x:,.1f}")


def pct(x: float, digits: int = 1, signed: bool = False) -> str:
    """0.123 -> "12.3%" (``signed``: "+12.3%")."""
    if _bad(x):
        return "–"
    return f"{x * 100:+.{digits}f}%" if signed else f"{x * 100:.{digits}f}%"


def signed_money(x: float, lang: str = "zh", exact: bool = False) -> str:
    """A change of money with its sign before the symbol: "-¥1,268.00" (a loss), "+¥12.8万".

    >>> signed_money(-1268), signed_money(128000, "en")
    ('-¥1,268', '+¥128.0K')
    """
    if _bad(x):
        return "–"
    text = money(abs(x), lang, exact)
    if not exact and abs(x) < 10_000:
        text = f"¥{abs(x):,.0f}"
    return ("-" if x < 0 else "+" if x > 0 else "") + text
