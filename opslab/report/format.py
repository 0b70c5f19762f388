"""How the targets screen and the report write numbers: one function per kind of value, so a
figure on the screen and the same figure in the .docx or HTML report are the same text.

Names, units and change styles come from the metric catalogue (:mod:`opslab.metrics.catalogue`)
and values are written as every screen writes them (:func:`opslab.present.formatting.kpi_value`,
:func:`~opslab.present.formatting.kpi_change`): money in the data set's currency (万 / 亿 in
Chinese for any currency, K / M / B in English; a plain number when no currency was stated, which the
report says on its cover and in its data-quality section); rate changes (shares such as
retention) in 百分点 / pp, amounts and counts as relative changes.

>>> value_text("gmv", 18_600_000, "zh", "CNY"), value_text("roi", 3.24, "en"), pct_text(1.05)
('¥1,860.0万', '1:3.2', '105.0%')
>>> value_text("cac", 55, "en", "USD"), money_text(2410, "zh", "CNY"), money_text(2.2e6, "zh", "GBP")
('$55.00', '¥2,410', '£220.0万')
>>> money_text(2410, "zh")  # no currency stated: a plain number
'2,410'
>>> kpi_change_text("m3_payer", 0.35, 0.30, "zh"), kpi_change_text("gmv", 110, 100, "en")
('+5.0 百分点', '+10.0%')
>>> currency_name("GBP", "zh"), currency_name("", "en")
('英镑', 'currency not stated')
"""

from __future__ import annotations

import math

from opslab.core.i18n import t
from opslab.metrics import catalogue
from opslab.present import formatting as fmt


def _bad(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


# -- a KPI's name, unit and change style: the catalogue's ------------------------------------
def kpi_unit(kpi: str) -> str:
    """The catalogue's unit: money, count, rate, ratio or days (count for a figure the
    catalogue does not hold, e.g. orders per buyer)."""
    try:
        return catalogue.unit(kpi) or "count"
    except KeyError:
        return "count"


def change_style(kpi: str) -> str:
    """"points" for rates (百分点 / pp), "relative" for amounts, counts and ratios."""
    return "points" if kpi_unit(kpi) == "rate" else "relative"


def kpi_name(kpi: str, lang: str) -> str:
    """The catalogue's one name of the figure."""
    return catalogue.name(kpi, lang)


def currency_name(currency: str | None, lang: str = "zh") -> str:
    """"英镑" / "GBP"; the words for "currency not stated" when none was (``""`` or ``None``)."""
    if not currency:
        return t("report.currency.none", lang)
    code = currency.upper()
    key = f"report.currency.{code}"
    name = t(key, lang)
    return code if name == key else name


def money_text(x, lang: str = "zh", currency: str | None = "") -> str:
    """An amount in the data set's currency, compact, as the screens write it (a plain number
    when no currency was stated)."""
    if _bad(x):
        return "–"
    code = "CNY" if currency == "RMB" else (currency or "").upper()
    return fmt.money(float(x), lang, currency=code)


def pct_text(x, signed: bool = False) -> str:
    return fmt.pct(x, 1, signed)


def share_text(x) -> str:
    """A share of rows or money: "<0.1%" for a few rows that one decimal would write as "0.0%"
    (27 of 112,253 rows set aside are not none).

    >>> share_text(27 / 112_253), share_text(0.0), share_text(0.291)
    ('<0.1%', '0.0%', '29.1%')
    """
    return "<0.1%" if _finite_pos(x) and x < 0.0005 else pct_text(x)


def _finite_pos(x) -> bool:
    try:
        return math.isfinite(float(x)) and float(x) > 0
    except (TypeError, ValueError):
        return False


def value_text(kpi: str, x, lang: str = "zh", currency: str | None = "") -> str:
    """A KPI value as the screens and the report show it (:func:`opslab.present.formatting.kpi_value`)."""
    if kpi_unit(kpi) == "money":
        return money_text(x, lang, currency)
    if _bad(x):
        return "–"
    try:
        return fmt.kpi_value(kpi, x, lang, currency or "")
    except KeyError:  # not a catalogue figure: a count in the one style
        return fmt.count(round(float(x), 1), lang)


def change_text(x) -> str:
    """A relative change: "+12.3%" (– when unknown)."""
    return pct_text(x, signed=True)


def kpi_change_text(kpi: str, now, before, lang: str = "zh") -> str:
    """The change of ``kpi`` from ``before`` to ``now`` as the catalogue writes it
    (:func:`opslab.metrics.catalogue.change`): points for rates, relative for the rest."""
    if _bad(now) or _bad(before):
        return "–"
    try:
        delta = catalogue.change(float(now), float(before), kpi)
    except KeyError:  # not a catalogue figure (orders per buyer): a relative change
        return change_text(float(now) / float(before) - 1 if before else float("nan"))
    return fmt.kpi_change(delta, kpi, lang)


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
