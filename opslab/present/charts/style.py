"""What every OpsLab chart shares: the palette and the date axis."""

from __future__ import annotations

import altair as alt

#: Numeric dates read the same in Chinese and English (Vega would print English month names).
DATE_AXIS = alt.Axis(format="%Y-%m", labelAngle=0)

#: Tick spacing and label format of a date axis per grain: one label per period, never a
#: month label repeated over weeks nor month ticks on a quarterly chart.
GRAIN_AXES = {
    "day": ("%Y-%m-%d", {"interval": "day", "step": 1}),
    "week": ("%Y-%m-%d", {"interval": "week", "step": 1}),
    "month": ("%Y-%m", {"interval": "month", "step": 1}),
    "quarter": ("%Y Q%q", {"interval": "month", "step": 3}),
    "year": ("%Y", {"interval": "year", "step": 1}),
}


def date_axis(grain: str, n_periods: int = 12) -> alt.Axis:
    """A date axis whose ticks fall on period starts of ``grain`` with the grain's format
    (quarters as "2025 Q3"); long ranges step over periods so labels never collide.

    >>> date_axis("quarter", 8).to_dict()["format"]
    '%Y Q%q'
    """
    fmt, ticks = GRAIN_AXES.get(grain, GRAIN_AXES["month"])
    step = ticks["step"] * max(1, -(-n_periods // 12))  # at most ~12 labels
    return alt.Axis(format=fmt, labelAngle=0, tickCount={"interval": ticks["interval"], "step": step},
                    labelOverlap=True)


PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#64748b"]


#: Applied to every OpsLab chart: category labels are never dropped for overlap and never cut
#: short (Vega-Lite's defaults drop every other CJK label and cut names at 180 px).
CONFIG = {
    "axisDiscrete": {"labelOverlap": False, "labelLimit": 0, "titleLimit": 0},
    "axisY": {"titleAngle": 0, "titleAlign": "left", "titleY": -8, "titleX": 0, "titleBaseline": "bottom"},
    "legend": {"labelLimit": 0, "titleLimit": 0},
}


@alt.theme.register("opslab", enable=True)
def opslab_theme() -> alt.theme.ThemeConfig:
    """The OpsLab chart theme (enabled on import of this module)."""
    return alt.theme.ThemeConfig({"config": CONFIG})
