"""How the targets screen and the report write numbers: one function per kind of value, so a
figure on the screen and the same figure in the .docx or HTML report are the same text.

Money carries the data set's currency. In Chinese every currency is written in 万 / 亿 with
the currency named ("¥1,860.0万", "220.0万 英镑"); in English K / M / B ("$18.6M"). When the
data set states no currency (``None``) the amount says so. Rate changes (shares such as
retention) are written in 百分点 / pp, amounts and counts as relative changes.

>>> value_text("gmv", 18_600_000, "zh"), value_text("roi", 3.24, "en"), pct_text(1.05)
('¥1,860.0万', '1:3.2', '105.0%')
>>> value_text("cac", 55, "en", "USD"), money_text(2410, "zh"), money_text(2.2e6, "zh", "GBP")
('$55.00', '¥2,410', '220.0万 英镑')
>>> kpi_change_text("m3_payer", 0.35, 0.30, "zh"), kpi_change_text("gmv", 110, 100, "en")
('+5.0 百分点', '+10.0%')
"""

from __future__ import annotations

import math

from opslab import formatting as fmt
from opslab.targets import KPI_UNIT
from opslab.i18n import t


def _bad(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


# -- the one place a KPI's unit and change style are looked up (switch to the catalogue here) --
def kpi_unit(kpi: str) -> str:
    """money, count, pct (a share) or roi."""
    return KPI_UNIT.get(kpi, "count")


def change_style(kpi: str) -> str:
    """"points" for shares (百分点 / pp), "relative" for amounts, counts and ROI."""
    return "points" if kpi_unit(kpi) == "pct" else "relative"


def kpi_name(kpi: str, lang: str) -> str:
    return t(f"targets.kpi.{kpi}", lang)


def currency_name(currency: str | None, lang: str = "zh") -> str:
    """"英镑" / "GBP"; the words for "currency not stated" when ``None``."""
    if not currency:
        return t("report.currency.none", lang)
    code = currency.upper()
    key = f"report.currency.{code}"
    name = t(key, lang)
    return code if name == key else name


def money_text(x, lang: str = "zh", currency: str | None = "CNY") -> str:
    """An amount with its currency, compact: 万/亿 in Chinese for any currency, K/M/B in English."""
    if _bad(x):
        return "–"
    code = "CNY" if currency == "RMB" else (currency.upper() if currency else None)
    if lang == "zh" and code != "CNY":
        a = abs(float(x))
        num = fmt.compact(float(x), "zh") if a >= 10_000 else f"{float(x):,.0f}" if a >= 1000 else f"{float(x):,.2f}"
        return f"{num} {currency_name(code, lang)}"
    if code is None:
        return f"{fmt.compact(float(x), lang)} ({currency_name(None, lang)})"
    return fmt.money(float(x), lang, currency=code)


def pct_text(x, signed: bool = False) -> str:
    return fmt.pct(x, 1, signed)


def points_text(x, lang: str = "zh") -> str:
    """A difference of two shares in points: "+3.2 百分点" / "+3.2 pp"."""
    if _bad(x):
        return "–"
    return f"{100 * float(x):+.1f} {t('report.points', lang)}"


def value_text(kpi: str, x, lang: str = "zh", currency: str | None = "CNY") -> str:
    """A KPI value as the screen and the report show it."""
    unit = kpi_unit(kpi)
    if _bad(x):
        return "–"
    if unit == "money":
        return money_text(x, lang, currency)
    if unit == "pct":
        return pct_text(x)
    if unit == "roi":
        return fmt.roi(x)
    return fmt.count(round(float(x), 1), lang)


def change_text(x) -> str:
    """A relative change: "+12.3%" (– when unknown)."""
    return pct_text(x, signed=True)


def kpi_change_text(kpi: str, now, before, lang: str = "zh") -> str:
    """The change of ``kpi`` from ``before`` to ``now`` in its style: points for shares,
    relative for the rest."""
    if _bad(now) or _bad(before):
        return "–"
    if change_style(kpi) == "points":
        return points_text(float(now) - float(before), lang)
    return change_text(float(now) / float(before) - 1 if before else float("nan"))


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
