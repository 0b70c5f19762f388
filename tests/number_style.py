"""The one number style (opslab/present/formatting.py) as regular expressions, for the AppTest and
the browser test of the Overview's cards."""

from __future__ import annotations

import re

from streamlit import dataframe_util

_INT = r"\d{1,3}(?:,\d{3})*"
_UNIT = r"(?:\.\d)?(?:万|亿|K|M|B)"
STYLE = {
    # "¥1,286.01", "¥7,274", "¥5.1万", "-$1,268" (sign before the symbol)
    "money": re.compile(rf"^[-+]?(?:¥|\$|€|£|HK\$|JP¥|NT\$|S\$|A\$|C\$|₩|₹|[A-Z]{{3}} )(?:{_INT}(?:\.\d{{2}})?|{_INT}{_UNIT})$"),
    "count": re.compile(rf"^[-+]?(?:{_INT}(?:\.\d)?|{_INT}{_UNIT})$"),  # "22,064", "12.3万"
    "pct": re.compile(r"^[-+]?\d{1,3}(?:,\d{3})*\.\d%$"),  # one decimal: "17.3%"
    "roi": re.compile(rf"^1:{_INT}\.\d{{1,2}}$"),  # "1:3.2", "1:0.78"
    "score": re.compile(r"^-?\d\.\d{3,4}$"),  # AUC / Brier "0.812", a p-value "0.0123"
    "multiple": re.compile(rf"^{_INT}\.\d×$"),  # lift "2.3×"
    "spread": re.compile(r"^±\d{1,3}(?:,\d{3})*\.\d%$"),  # a typical move "±4.2%"
    "points": re.compile(r"^[-+]\d{1,3}\.\d (?:pp|百分点)$"),  # a rate's change "+2.1 pp", "-0.3 百分点"
}
MISSING = "–"
_SYMBOL = r"(?:¥|\$|€|£|HK\$|JP¥|NT\$|S\$|A\$|C\$|₩|₹)"
#: A cell that is a number however it is written (the style or not): "22064", "¥-1,268",
#: "36.95%", "0.8172034500963269", "1:3", "12.3万", "2.31×".
NUMBERISH = re.compile(rf"^(?:[-+±]?{_SYMBOL}?[-+]?\d[\d,]*(?:\.\d+)?\s?(?:%|万|亿|K|M|B|×)?|1:[\d,.]+)$")
_PARTS = re.compile(r" … | – | \(|\)|，|, (?=\D)")


def follows(kind: str, text: str) -> bool:
    """Whether ``text`` is written in the style of ``kind`` (or is the missing-value dash)."""
    return text == MISSING or bool(STYLE[kind].match(text))


#: Card label -> kind, both languages (labels as the catalogs write them).
KINDS = {
    "money": ("GMV", "ARPU", "ARPPU", "CAC", "获客成本CAC"),
    "pct": ("Stickiness", "粘性", "Paid conversion", "paid conversion", "付费转化率", "Paid rate", "付费率",
            "M1", "M3", "留存"),
    "roi": ("ROI",),
}


def figures(text: str) -> list[str]:
    """The figures written in a cell or a metric, e.g. "¥3.4万 (+5.0%)" -> ["¥3.4万", "+5.0%"],
    "+1.2% … +3.4%" -> both ends; words and dates are not figures."""
    return [p.strip() for p in _PARTS.split(str(text)) if NUMBERISH.match(p.strip())]


def follows_any(text: str) -> bool:
    """Every figure in ``text`` is written in one of the style's kinds."""
    return all(any(rx.match(f) for rx in STYLE.values()) for f in figures(text))


def kind_of(label: str) -> str:
    for kind, words in KINDS.items():
        if any(w in label for w in words):
            return kind
    return "count"


def shown_cells(element) -> dict[str, list[str]]:
    """What a st.dataframe / st.table draws, column by column: the Styler's display text when
    the table is styled; otherwise its raw values, where a number column is reported as such
    (Streamlit's own number format is not the house style)."""
    arrow = element.proto.arrow_data
    if arrow.styler.display_values:
        raw = element.value
        shown = dataframe_util.convert_arrow_bytes_to_pandas_df(arrow.styler.display_values)
        shown.columns = raw.columns
        return {str(c): (["<checkbox>"] if raw[c].dtype == bool else shown[c].astype(str).tolist())
                for c in raw.columns}
    raw = element.value
    out = {}
    for c in raw.columns:
        s = raw[c]
        if s.dtype == bool:
            out[str(c)] = ["<checkbox>"]
        elif s.dtype.kind in "iuf":
            out[str(c)] = [f"<unstyled number column {s.dtype}>"]
        else:
            out[str(c)] = ["–" if v is None else str(v) for v in s]
    return out


#: Columns of identifiers (digits are a name there, not a count).
ID_WORDS = ("ID", "id", "编号")


def style_breaks(at) -> list[tuple]:
    """(column or label, text) of every table cell or metric of an AppTest run that breaks the
    one number style (read-only tables and metrics; identifier columns are names)."""
    bad = []
    for element in list(at.dataframe) + list(at.table):
        if getattr(element, "editing_mode", "read_only") != "read_only":
            continue  # an editor shows what is typed
        for col, cells in shown_cells(element).items():
            if any(w in col for w in ID_WORDS):
                continue
            for text in cells:
                if text.startswith("<unstyled") or not follows_any(text):
                    bad.append((col, text))
                    break
    for m in at.metric:
        if not follows_any(m.value):
            bad.append((m.label, m.value))
    return bad
