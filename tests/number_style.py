"""The one number style (opslab/formatting.py) as regular expressions, for the AppTest and
the browser test of the Overview's cards."""

from __future__ import annotations

import re

_INT = r"\d{1,3}(?:,\d{3})*"
_UNIT = r"(?:\.\d)?(?:万|亿|K|M|B)"
STYLE = {
    # "¥1,286.01", "¥7,274", "¥5.1万", "-$1,268" (sign before the symbol)
    "money": re.compile(rf"^-?(?:¥|\$|€|£|HK\$|JP¥|NT\$|S\$|A\$|C\$|₩|₹|[A-Z]{{3}} )(?:{_INT}(?:\.\d{{2}})?|{_INT}{_UNIT})$"),
    "count": re.compile(rf"^-?(?:{_INT}(?:\.\d)?|{_INT}{_UNIT})$"),  # "22,064", "12.3万"
    "pct": re.compile(r"^[-+]?\d{1,3}(?:,\d{3})*\.\d%$"),  # one decimal: "17.3%"
    "roi": re.compile(rf"^1:{_INT}\.\d{{1,2}}$"),  # "1:3.2", "1:0.78"
}
MISSING = "–"


def follows(kind: str, text: str) -> bool:
    """Whether ``text`` is written in the style of ``kind`` (or is the missing-value dash)."""
    return text == MISSING or bool(STYLE[kind].match(text))


#: Card label -> kind, both languages (labels as the catalogs write them).
KINDS = {
    "money": ("GMV", "ARPU", "ARPPU", "CAC", "获客成本CAC"),
    "pct": ("Stickiness", "粘性", "Paid conversion", "付费转化率", "M1", "M3", "留存"),
    "roi": ("ROI",),
}


def kind_of(label: str) -> str:
    for kind, words in KINDS.items():
        if any(w in label for w in words):
            return kind
    return "count"
