"""How the targets screen and the report write numbers: one function per kind of value, so a
figure on the screen and the same figure in the .docx or HTML report are the same text.

Money carries the data set's currency: "¥1,860.0万" (CNY, 万/亿 in Chinese), "$18.6M".

>>> value_text("gmv", 18_600_000, "zh", "CNY"), value_text("roi", 3.24, "en"), pct_text(1.05)
('¥1,860.0万', '1:3.2', '105.0%')
>>> value_text("cac", 55, "en", "USD"), money_text(2410, "zh", "CNY"), money_text(2410, "zh")
('$55.00', '¥2,410', '2,410')
"""

from __future__ import annotations

import math

from opslab.present import formatting as fmt
from opslab.planning.targets import KPI_UNIT
from opslab.core.i18n import t
from opslab.present import formatting as fmt
from opslab.metrics import catalogue
from opslab.core.i18n import t

def _bad(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def money_text(x, lang: str = "zh", currency: str = "") -> str:
    """An amount with its currency; compact (万/亿 for CNY in Chinese, K/M/B otherwise)."""
    if _bad(x):
        return "–"
    return fmt.money(float(x), lang, currency="CNY" if currency == "RMB" else currency)


def pct_text(x, signed: bool = False) -> str:
    return fmt.pct(x, 1, signed)


def value_text(kpi: str, x, lang: str = "zh", currency: str = "") -> str:
    """A KPI value as the screen and the report show it (:func:`opslab.present.formatting.kpi_value`)."""
    return fmt.kpi_value(kpi, x, lang, currency)


def change_text(x) -> str:
    """A relative change: "+12.3%" (– when unknown)."""
    return pct_text(x, signed=True)


def prob_text(p) -> str:
    return pct_text(p)  # one decimal, as every percentage


#: Status -> (colour, icon). The word comes from the catalog (``targets.status.<code>``), so
#: colour, icon and word together read the same in both languages and without colour vision.
STATUS_STYLE = {
    "on_track": ("#15803d", "✔"), "hit": ("#15803d", "✔"),
    "at_risk": ("#b45309", "▲"), "off_track": ("#b91c1c", "✖"), "missed": ("#b91c1c", "✖"),
    "not_started": ("#475569", "○"), "no_data": ("#475569", "–"),
}


def status_text(status: str, lang: str = "zh") -> str:
    """Icon and word of a status: "✔ 正常" / "✔ On track"."""
    if not status:
        return "–"
    return f"{STATUS_STYLE.get(status, ('', '–'))[1]} {t(f'targets.status.{status}', lang)}"
