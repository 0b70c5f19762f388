"""Charts of the behaviour screens: funnels, time to convert, paths, breakdowns, A/B intervals.

Builders take frames with already-translated labels (the views translate), so nothing here
knows a language.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from opslab.present.charts.style import DATE_AXIS, PALETTE


def funnel_bars(steps: pd.DataFrame, label: str, users_title: str, conv_title: str) -> alt.Chart:
    """Horizontal bars of users per step, labelled with conversion from the first step.

    ``steps`` needs ``label`` (step text), ``users`` and ``conv_first``.
    """
    data = steps.copy()
    data["text"] = data["conv_first"].map(lambda r: "" if pd.isna(r) else f"{r:.1%}")
    order = list(data[label])
    base = alt.Chart(data).encode(
        y=alt.Y(f"{label}:N", sort=order, title=None),
        x=alt.X("users:Q", title=users_title),
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip("users:Q", title=users_title, format=","),
                 alt.Tooltip("conv_first:Q", title=conv_title, format=".1%")],
    )
    bars = base.mark_bar(color=PALETTE[0])
    text = base.mark_text(align="left", dx=4).encode(text="text:N")
    return (bars + text).properties(height=max(120, 42 * len(data)))


def grouped_conversion(by_group: pd.DataFrame, step_title: str, rate_title: str, group_title: str) -> alt.Chart:
    """Conversion from the first step per group: one line per group over the steps.

    ``by_group`` needs ``step_label``, ``group_label``, ``conv_first``.
    """
    order = list(dict.fromkeys(by_group["step_label"]))
    return alt.Chart(by_group).mark_line(point=True).encode(
        x=alt.X("step_label:N", sort=order, title=step_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("conv_first:Q", title=rate_title, axis=alt.Axis(format=".0%")),
        color=alt.Color("group_label:N", title=group_title, scale=alt.Scale(range=PALETTE)),
        tooltip=[alt.Tooltip("group_label:N", title=group_title), alt.Tooltip("step_label:N", title=step_title),
                 alt.Tooltip("users:Q", format=","), alt.Tooltip("conv_first:Q", title=rate_title, format=".1%")],
    ).properties(height=260)


def histogram(dist: pd.DataFrame, x_title: str, y_title: str) -> alt.Chart:
    """Users per time-to-convert bin; ``dist`` needs ``bin_label`` (ordered) and ``users``."""
    order = list(dist["bin_label"])
    return alt.Chart(dist).mark_bar(color=PALETTE[2]).encode(
        x=alt.X("bin_label:N", sort=order, title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("users:Q", title=y_title),
        tooltip=[alt.Tooltip("bin_label:N", title=x_title), alt.Tooltip("users:Q", title=y_title, format=","),
                 alt.Tooltip("share:Q", format=".1%")],
    ).properties(height=220)


def rate_trend(trend: pd.DataFrame, x_title: str, y_title: str) -> alt.Chart:
    """Conversion per entry period; periods whose window has not closed are grey."""
    base = alt.Chart(trend).encode(
        x=alt.X("period:T", title=x_title, axis=DATE_AXIS),
        y=alt.Y("rate:Q", title=y_title, axis=alt.Axis(format=".0%")),
        tooltip=[alt.Tooltip("period:T", title=x_title), alt.Tooltip("entered:Q", format=","),
                 alt.Tooltip("rate:Q", title=y_title, format=".1%")],
    )
    line = base.mark_line(color=PALETTE[0]).transform_filter(alt.datum.complete)
    points = base.mark_point(filled=True, size=30).encode(
        color=alt.condition(alt.datum.complete, alt.value(PALETTE[0]), alt.value("#94a3b8")))
    return (line + points).properties(height=220)


def path_levels(nodes: pd.DataFrame, level_title: str, users_title: str, leave_title: str) -> alt.Chart:
    """Events per step position: bar length = users, colour = share who left right after.

    ``nodes`` needs ``level_label``, ``event_label``, ``users``, ``leave_share``.
    """
    order = list(dict.fromkeys(nodes["level_label"]))
    return alt.Chart(nodes).mark_bar().encode(
        x=alt.X("users:Q", title=users_title),
        y=alt.Y("event_label:N", title=None, sort="-x"),
        row=alt.Row("level_label:N", sort=order, title=level_title, header=alt.Header(labelAngle=0)),
        color=alt.Color("leave_share:Q", title=leave_title, scale=alt.Scale(scheme="orangered", domain=[0, 1]),
                        legend=alt.Legend(format=".0%")),
        tooltip=[alt.Tooltip("event_label:N"), alt.Tooltip("users:Q", title=users_title, format=","),
                 alt.Tooltip("leave_share:Q", title=leave_title, format=".1%")],
    ).resolve_scale(y="independent").properties(height=alt.Step(16))


def group_lines(frame: pd.DataFrame, y: str, title: str, x_title: str, group_title: str,
                y_format: str = ",.0f") -> alt.Chart:
    """One KPI over periods, one line per group (``period``, ``group_label``, ``y``)."""
    return alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("period:T", title=x_title, axis=DATE_AXIS),
        y=alt.Y(f"{y}:Q", title=None, axis=alt.Axis(format=y_format)),
        color=alt.Color("group_label:N", title=group_title, scale=alt.Scale(range=PALETTE)),
        tooltip=[alt.Tooltip("group_label:N", title=group_title), alt.Tooltip("period:T", title=x_title),
                 alt.Tooltip(f"{y}:Q", title=title, format=y_format)],
    ).properties(title=title, height=260)


def lift_intervals(comp: pd.DataFrame, x_title: str, variant_title: str, fmt: str = ".1%") -> alt.Chart:
    """Relative lift and its interval per treatment, with the zero line.

    ``comp`` needs ``variant``, ``rel_lift``, ``rel_low``, ``rel_high``, ``colour`` (a hex).
    """
    base = alt.Chart(comp).encode(y=alt.Y("variant:N", title=variant_title))
    rule = base.mark_rule(strokeWidth=3).encode(
        x=alt.X("rel_low:Q", title=x_title, axis=alt.Axis(format=fmt)), x2="rel_high:Q",
        color=alt.Color("colour:N", scale=None))
    point = base.mark_point(filled=True, size=90).encode(
        x="rel_lift:Q", color=alt.Color("colour:N", scale=None),
        tooltip=[alt.Tooltip("variant:N", title=variant_title), alt.Tooltip("rel_lift:Q", format=fmt),
                 alt.Tooltip("rel_low:Q", format=fmt), alt.Tooltip("rel_high:Q", format=fmt)])
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 4], color="#64748b").encode(x="x:Q")
    return (rule + point + zero).properties(height=max(80, 50 * len(comp)))
