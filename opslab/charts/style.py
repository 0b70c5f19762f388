"""What every OpsLab chart shares: the palette and the date axis."""

from __future__ import annotations

import altair as alt

#: Numeric dates read the same in Chinese and English (Vega would print English month names).
DATE_AXIS = alt.Axis(format="%Y-%m", labelAngle=0)

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
