"""What every OpsLab chart shares: the palette and the date axis."""

from __future__ import annotations

import altair as alt

#: Numeric dates read the same in Chinese and English (Vega would print English month names).
DATE_AXIS = alt.Axis(format="%Y-%m", labelAngle=0)

PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#64748b"]
