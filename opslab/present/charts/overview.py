"""Overview charts: KPI trends and the cohort heatmap.

Labels arrive already translated, so the builders know nothing of languages.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from opslab.present.charts.style import DATE_AXIS, PALETTE, date_axis


def trend_chart(frame: pd.DataFrame, x: str, y: str, title: str, x_title: str,
                y_format: str = ",.0f", height: int = 220, grain: str | None = None,
                markers: pd.DataFrame | None = None, marker_title: str = "") -> alt.Chart:
    """A line with points for one KPI over periods; incomplete periods drawn dashed-grey.

    ``grain`` puts the ticks on period starts with the grain's format (quarters as "2025 Q3").
    ``markers`` (columns start, end, kind, text; see :func:`opslab.metrics.markers.trend_markers`)
    are drawn as shaded bands (campaigns blue, festivals orange) named in the tooltip.
    """
    data = frame[[x, y]].copy()
    if "complete" in frame:
        data["complete"] = frame["complete"].to_numpy()
    else:
        data["complete"] = True
    axis = date_axis(grain, len(data)) if grain else DATE_AXIS
    base = alt.Chart(data).encode(
        x=alt.X(f"{x}:T", title=x_title, axis=axis),
        y=alt.Y(f"{y}:Q", title=None, axis=alt.Axis(format=y_format)),
        tooltip=[alt.Tooltip(f"{x}:T", title=x_title), alt.Tooltip(f"{y}:Q", title=title, format=y_format)],
    )
    line = base.mark_line(color=PALETTE[0]).transform_filter(alt.datum.complete)
    points = base.mark_point(filled=True, size=30).encode(
        color=alt.condition(alt.datum.complete, alt.value(PALETTE[0]), alt.value("#94a3b8")))
    layers = [line, points]
    if markers is not None and len(markers):
        bands = alt.Chart(markers).mark_rect(opacity=0.12).encode(
            x=alt.X("start:T"), x2="end:T",
            color=alt.Color("kind:N", scale=alt.Scale(domain=["campaign", "festival"],
                                                       range=[PALETTE[0], PALETTE[1]]), legend=None),
            tooltip=[alt.Tooltip("text:N", title=marker_title)])
        layers.insert(0, bands)
    return alt.layer(*layers).properties(title=title, height=height)


def cohort_heatmap(cohorts: pd.DataFrame, cohort_labels: dict, x_title: str, y_title: str,
                   rate_title: str, size_title: str, highlight: tuple[int, ...] = ()) -> alt.Chart:
    """Retention triangle: rows are cohorts, columns periods since signup, colour the rate.

    Cells not yet complete are grey; columns in ``highlight`` (M1, M3) are outlined.
    """
    data = cohorts.copy()
    # the cohort's size beside its name: "2025-09 (1,234)", so a small cohort's rates read as such
    data["cohort_label"] = [f"{cohort_labels.get(c, c)} ({int(n):,})" for c, n in zip(data["cohort"], data["size"])]
    data["rate_shown"] = data["rate"].where(data["complete"])
    data["text"] = data["rate_shown"].map(lambda r: "" if pd.isna(r) else f"{r:.0%}")
    data["dark"] = data["rate_shown"].fillna(0) > 0.5
    order = list(dict.fromkeys(data.sort_values("cohort")["cohort_label"]))
    base = alt.Chart(data).encode(
        x=alt.X("k:O", title=x_title, axis=alt.Axis(labelAngle=0)),
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
    height = max(160, 22 * len(order))  # rows 22 px: labels and percentages stay readable
    return alt.layer(*layers).properties(height=height)


def cohort_table(cohorts: pd.DataFrame, cohort_labels: dict, cohort_title: str, size_title: str,
                 decimals: int = 1) -> pd.DataFrame:
    """The full retention triangle as a table: one row per cohort (its label and size), one
    column per period k holding the rate in percent rounded as the screen shows it (cells not
    yet complete left empty).

    >>> c = pd.DataFrame({"cohort": ["a", "a", "b"], "size": [3, 3, 5], "k": [0, 1, 0],
    ...                   "rate": [1.0, 1 / 3, 1.0], "complete": [True, True, True]})
    >>> cohort_table(c, {"a": "A", "b": "B"}, "cohort", "n").to_dict("records")
    [{'cohort': 'B', 'n': 5, '0': 100.0, '1': nan}, {'cohort': 'A', 'n': 3, '0': 100.0, '1': 33.3}]
    """
    data = cohorts.assign(rate=(cohorts["rate"] * 100).round(decimals).where(cohorts["complete"]))
    wide = data.pivot(index="cohort", columns="k", values="rate")
    wide.columns = [str(int(k)) for k in wide.columns]
    wide.insert(0, "size", data.groupby("cohort")["size"].first())
    wide = wide.reset_index().sort_values("cohort", ascending=False, kind="stable")
    wide.insert(0, cohort_title, wide.pop("cohort").map(lambda c: cohort_labels.get(c, str(c))))
    return wide.rename(columns={"size": size_title}).reset_index(drop=True)
