"""Human labels for periods, in the session's language."""

from __future__ import annotations

import pandas as pd

from ui.state import tr


def period_label(start, grain: str) -> str:
    ts = pd.Timestamp(start)
    if grain == "day":
        return ts.strftime("%Y-%m-%d")
    if grain == "week":
        return tr("overview.week_label", date=ts.strftime("%Y-%m-%d"))
    if grain == "month":
        return ts.strftime("%Y-%m")
    return tr("overview.quarter_label", year=ts.year, q=(ts.month - 1) // 3 + 1)
