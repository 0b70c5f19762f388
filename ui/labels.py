"""Human labels for periods and driver-tree nodes, in the session's language."""

from __future__ import annotations

import pandas as pd

from opslab.metrics import catalogue
from opslab.core import i18n
from ui.state import lang, tr


def period_label(start, grain: str) -> str:
    ts = pd.Timestamp(start)
    if grain == "day":
        return ts.strftime("%Y-%m-%d")
    if grain == "week":
        return tr("overview.week_label", date=ts.strftime("%Y-%m-%d"))
    if grain == "month":
        return ts.strftime("%Y-%m")
    return tr("overview.quarter_label", year=ts.year, q=(ts.month - 1) // 3 + 1)


def driver_label(driver: str, code: str | None = None) -> str:
    """A driver-tree node or driver: the catalogue's name for the figures it defines (GMV,
    active users, 付费率, paying users, ARPPU), the tree's own word for the user flows
    (retained, new, recovered)."""
    code = code or lang()
    if driver in catalogue.KPIS:
        return catalogue.name(driver, code)
    return i18n.t(f"whatif.driver.{driver}", code)


def driver_labeller():
    """:func:`driver_label` as a widget's ``format_func``, in the language of this run (a
    ``format_func`` may be called outside the script run)."""
    code = lang()
    return lambda driver: driver_label(driver, code)
