"""Altair charts of the churn page (pure functions; labels arrive translated).

>>> import pandas as pd
>>> c = calibration_chart(pd.DataFrame({"model": ["hgb"], "bin": [0], "mean_predicted": [0.1],
...     "observed_rate": [0.12], "n": [50]}), {"hgb": "GB"}, "predicted", "observed", "model")
>>> c.to_dict()["layer"][0]["mark"]["type"]
'line'
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from opslab.present.charts.style import PALETTE


def calibration_chart(calib: pd.DataFrame, model_label: dict, x_title: str, y_title: str,
                      legend: str, height: int = 280) -> alt.LayerChart:
    """Mean predicted vs observed churn rate per probability bin, one line per model, with
    the diagonal of perfect calibration."""
    data = calib.assign(model=calib["model"].map(model_label))
    diag = alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})).mark_line(
        strokeDash=[4, 4], color="#94a3b8").encode(x="x:Q", y="y:Q")
    lines = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("mean_predicted:Q", title=x_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y=alt.Y("observed_rate:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("model:N", title=legend, scale=alt.Scale(range=PALETTE)),
        tooltip=[alt.Tooltip("model:N", title=legend),
                 alt.Tooltip("mean_predicted:Q", title=x_title, format=".1%"),
                 alt.Tooltip("observed_rate:Q", title=y_title, format=".1%"),
                 alt.Tooltip("n:Q", format=",")],
    )
    return alt.layer(lines, diag).properties(height=height)


def gains_chart(gains: pd.DataFrame, model_label: dict, x_title: str, y_title: str,
                legend: str, random_label: str, height: int = 280) -> alt.LayerChart:
    """Cumulative gains: share of churners caught vs share of users contacted, riskiest first."""
    data = gains.assign(model=gains["model"].map(model_label))
    start = pd.DataFrame({"model": data["model"].unique(), "share_targeted": 0.0, "capture": 0.0, "lift": np.nan})
    data = pd.concat([start, data], ignore_index=True)
    diag = pd.DataFrame({"share_targeted": [0.0, 1.0], "capture": [0.0, 1.0], "model": random_label})
    x = alt.X("share_targeted:Q", title=x_title, axis=alt.Axis(format="%"))
    y = alt.Y("capture:Q", title=y_title, axis=alt.Axis(format="%"))
    lines = alt.Chart(data).mark_line().encode(
        x=x, y=y, color=alt.Color("model:N", title=legend, scale=alt.Scale(range=PALETTE)),
        tooltip=[alt.Tooltip("model:N", title=legend), alt.Tooltip("share_targeted:Q", title=x_title, format=".0%"),
                 alt.Tooltip("capture:Q", title=y_title, format=".1%")])
    base = alt.Chart(diag).mark_line(strokeDash=[4, 4], color="#94a3b8").encode(x=x, y=y)
    return alt.layer(lines, base).properties(height=height)


def importance_bars(importance: pd.DataFrame, x_title: str, y_title: str, top: int = 12,
                    height: int | None = None) -> alt.Chart:
    """Horizontal bars of ``importance`` by translated ``label`` (largest first, top ``top``)."""
    data = importance.head(top)
    return alt.Chart(data).mark_bar(color=PALETTE[0]).encode(
        x=alt.X("importance:Q", title=x_title),
        y=alt.Y("label:N", title=y_title, sort=None),
        tooltip=[alt.Tooltip("label:N", title=y_title), alt.Tooltip("importance:Q", title=x_title, format=".4f")],
    ).properties(height=height or max(120, 24 * len(data)))


def value_histogram(values: pd.Series, x_title: str, y_title: str, bins: int = 30,
                    height: int = 240) -> alt.Chart:
    """Histogram of per-user values (bins computed here, so the chart carries few rows)."""
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if len(v) == 0:
        v = np.zeros(1)
    counts, edges = np.histogram(v, bins=bins)
    data = pd.DataFrame({"lo": edges[:-1], "hi": edges[1:], "users": counts})
    data["range"] = [f"{lo:,.0f} – {hi:,.0f}" for lo, hi in zip(data["lo"], data["hi"])]
    return alt.Chart(data).mark_bar(color=PALETTE[0]).encode(
        x=alt.X("lo:Q", title=x_title, bin="binned", axis=alt.Axis(format=",.0f")), x2="hi:Q",
        y=alt.Y("users:Q", title=y_title),
        tooltip=[alt.Tooltip("range:N", title=x_title), alt.Tooltip("users:Q", title=y_title, format=",")],
    ).properties(height=height)


def value_by_group(frame: pd.DataFrame, group: str, value: str, x_title: str, y_title: str,
                   height: int = 240) -> alt.Chart:
    """Bars of ``value`` per ``group`` (order as given)."""
    return alt.Chart(frame).mark_bar(color=PALETTE[1]).encode(
        x=alt.X(f"{group}:N", title=x_title, sort=None),
        y=alt.Y(f"{value}:Q", title=y_title, axis=alt.Axis(format=",.0f")),
        tooltip=[alt.Tooltip(f"{group}:N", title=x_title), alt.Tooltip(f"{value}:Q", title=y_title, format=",.0f")],
    ).properties(height=height)
