"""Altair builders for the forecast page: history + forecast with an interval band, the
distribution of the target period's outcome, and the lifecycle projection. Pure functions;
labels arrive already translated."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from opslab.present.charts.style import DATE_AXIS

DAY = "%Y-%m-%d"  # numeric dates in tooltips: the same in both languages

HISTORY_COLOR, FORECAST_COLOR, TARGET_COLOR = "#475569", "#2563eb", "#dc2626"


def forecast_chart(history: pd.Series, forecast: pd.DataFrame, *, date_title: str,
                   value_title: str, history_label: str, forecast_label: str,
                   band_label: str, target_per_period: float | None = None,
                   height: int = 320) -> alt.LayerChart:
    """History line, forecast mean (dashed) and the interval band (``forecast`` has columns
    mean, lower, upper by date); an optional horizontal rule at a per-period target level."""
    hist = pd.DataFrame({"date": pd.DatetimeIndex(history.index), "value": history.to_numpy(float),
                         "series": history_label})
    fc = forecast.rename_axis("date").reset_index()
    fc["series"] = forecast_label
    fc["band"] = band_label
    color = alt.Color("series:N", title=None,
                      scale=alt.Scale(domain=[history_label, forecast_label],
                                      range=[HISTORY_COLOR, FORECAST_COLOR]),
                      legend=alt.Legend(orient="top"))
    x = alt.X("date:T", title=date_title, axis=DATE_AXIS)
    band = alt.Chart(fc).mark_area(opacity=0.2, color=FORECAST_COLOR).encode(
        x=x, y=alt.Y("lower:Q", title=value_title), y2="upper:Q",
        tooltip=[alt.Tooltip("date:T", title=date_title, format=DAY),
                 alt.Tooltip("lower:Q", title=f"{band_label} ↓", format=",.0f"),
                 alt.Tooltip("upper:Q", title=f"{band_label} ↑", format=",.0f")])
    line_h = alt.Chart(hist).mark_line(strokeWidth=1.2).encode(
        x=x, y=alt.Y("value:Q", title=value_title), color=color,
        tooltip=[alt.Tooltip("date:T", title=date_title, format=DAY),
                 alt.Tooltip("value:Q", title=history_label, format=",.0f")])
    line_f = alt.Chart(fc).mark_line(strokeDash=[5, 3], strokeWidth=2).encode(
        x=x, y=alt.Y("mean:Q", title=value_title), color=color,
        tooltip=[alt.Tooltip("date:T", title=date_title, format=DAY),
                 alt.Tooltip("mean:Q", title=forecast_label, format=",.0f")])
    layers = [band, line_h, line_f]
    if target_per_period is not None and np.isfinite(target_per_period):
        rule = alt.Chart(pd.DataFrame({"y": [target_per_period]})).mark_rule(
            color=TARGET_COLOR, strokeDash=[2, 2]).encode(y="y:Q")
        layers.append(rule)
    return alt.layer(*layers).properties(height=height)


def outcome_histogram(totals: np.ndarray, target: float, *, value_title: str,
                      count_title: str, height: int = 180) -> alt.LayerChart:
    """Histogram of the target period's simulated outcomes with the target as a red rule."""
    data = pd.DataFrame({"value": np.asarray(totals, float)})
    bars = alt.Chart(data).mark_bar(color=FORECAST_COLOR, opacity=0.7).encode(
        x=alt.X("value:Q", bin=alt.Bin(maxbins=40), title=value_title),
        y=alt.Y("count():Q", title=count_title))
    rule = alt.Chart(pd.DataFrame({"x": [float(target)]})).mark_rule(
        color=TARGET_COLOR, strokeWidth=2).encode(x="x:Q")
    return alt.layer(bars, rule).properties(height=height)


def projection_chart(base: pd.Series, improved: pd.Series, *, month_title: str,
                     value_title: str, base_label: str, improved_label: str,
                     height: int = 240) -> alt.Chart:
    """Grouped bars of projected GMV per month: baseline vs the improved transition."""
    data = pd.concat([
        pd.DataFrame({"month": base.index.astype(int), "value": base.to_numpy(), "scenario": base_label}),
        pd.DataFrame({"month": improved.index.astype(int), "value": improved.to_numpy(),
                      "scenario": improved_label}),
    ])
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("month:O", title=month_title),
        xOffset=alt.XOffset("scenario:N", sort=[base_label, improved_label]),
        y=alt.Y("value:Q", title=value_title),
        color=alt.Color("scenario:N", title=None, sort=[base_label, improved_label],
                        scale=alt.Scale(range=["#94a3b8", FORECAST_COLOR]),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("month:O", title=month_title), alt.Tooltip("scenario:N", title=" "),
                 alt.Tooltip("value:Q", title=value_title, format=",.0f")],
    ).properties(height=height)
