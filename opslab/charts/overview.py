"""Overview charts: KPI trends and the cohort heatmap.

Labels arrive already translated, so the builders know nothing of languages.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from opslab.charts.style import DATE_AXIS, PALETTE


def trend_chart(frame: pd.DataFrame, x: str, y: str, title: str, x_title: str,
                y_format: str = ",.0f", height: int = 220) -> alt.Chart:
    """A line with points for one KPI over periods; incomplete periods drawn dashed-grey."""
    data = frame[[x, y]].copy()
    if "complete" in frame:
        data["complete"] = frame["complete"].to_numpy()
    else:
        data["complete"] = True
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:T", title=x_title, axis=DATE_AXIS),
        y=alt.Y(f"{y}:Q", title=None, axis=alt.Axis(format=y_format)),
        tooltip=[alt.Tooltip(f"{x}:T", title=x_title), alt.Tooltip(f"{y}:Q", title=title, format=y_format)],
    )
    line = base.mark_line(color=PALETTE[0]).transform_filter(alt.datum.complete)
    points = base.mark_point(filled=True, size=30).encode(
        color=alt.condition(alt.datum.complete, alt.value(PALETTE[0]), alt.value("#94a3b8")))
    return (line + points).properties(title=title, height=height)


def cohort_heatmap(cohorts: pd.DataFrame, cohort_labels: dict, x_title: str, y_title: str,
                   rate_title: str, size_title: str, highlight: tuple[int, ...] = ()) -> alt.Chart:
    """Retention triangle: rows are cohorts, columns periods since signup, colour the rate.

    Cells not yet complete are grey; columns in ``highlight`` (M1, M3) are outlined.
    """
    data = cohorts.copy()
    data["cohort_label"] = data["cohort"].map(cohort_labels)
    data["rate_shown"] = data["rate"].where(data["complete"])
    data["text"] = data["rate_shown"].map(lambda r: "" if pd.isna(r) else f"{r:.0%}")
    data["dark"] = data["rate_shown"].fillna(0) > 0.5
    order = list(dict.fromkeys(data.sort_values("cohort")["cohort_label"]))
    base = alt.Chart(data).encode(
        x=alt.X("k:O", title=x_title),
        y=alt.Y("cohort_label:O", title=y_title, sort=order),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.condition(
            alt.datum.complete,
            alt.Color("rate_shown:Q", title=rate_title, scale=alt.Scale(scheme="blues", domain=[0, 1]),
                      legend=alt.Legend(format=".0%")),
            alt.value("#e5e7eb")),
        tooltip=[alt.Tooltip("cohort_label:N", title=y_title), alt.Tooltip("size:Q", title=size_title),
                 alt.Tooltip("k:O", title=x_title), alt.Tooltip("rate:Q", title=rate_title, format=".1%")],
    )
    text = base.mark_text(fontSize=10).encode(
        text="text:N",
        color=alt.condition(alt.datum.dark, alt.value("white"), alt.value("#111827")))
    layers = [cells, text]
    if highlight:
        marked = base.transform_filter(alt.FieldOneOfPredicate(field="k", oneOf=list(highlight))).mark_rect(
            fill=None, stroke="#f97316", strokeWidth=1.5)
        layers.append(marked)
    height = max(160, 22 * len(order))
    return alt.layer(*layers).properties(height=height)
