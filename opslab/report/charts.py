"""The report's charts: Altair builders, and PNG for the .docx and HTML (vl-convert).

PNG rendering registers a CJK font (WenQuanYi Micro Hei from Debian's fonts-wqy-microhei,
when installed) so Chinese titles and labels are drawn, not boxes.
"""

from __future__ import annotations

import os
import threading

import vl_convert as vlc
import altair as alt
import pandas as pd

from opslab.present.charts.style import PALETTE

FONT_DIRS = ("/usr/share/fonts/truetype/wqy", "/usr/share/fonts/opentype/noto")
FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"
_fonts_lock = threading.Lock()
_fonts_done: list = []


def _config(chart: alt.Chart, title: str) -> alt.Chart:
    return chart.properties(title=title, width=520, height=220).configure(font=FONT)


def completion_bars(frame: pd.DataFrame, title: str, x_title: str, progress: float | None,
                    progress_label: str) -> alt.Chart:
    """完成度 per target (``label``, ``completion``, ``status_label``, ``color``); a rule at
    100 % and, for a running period, one at 时间进度."""
    data = frame.assign(pct=100 * frame["completion"].clip(upper=3))
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("label:N", sort=None, title=None),
        x=alt.X("pct:Q", title=x_title),
        color=alt.Color("color:N", scale=None, legend=None),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("pct:Q", format=".1f", title=x_title),
                 alt.Tooltip("status_label:N", title=" ")])
    rules = pd.DataFrame({"x": [100.0] + ([100 * progress] if progress is not None else []),
                          "what": ["100%"] + ([progress_label] if progress is not None else [])})
    rule = alt.Chart(rules).mark_rule(strokeDash=[4, 3], color="#334155").encode(x="x:Q")
    # each rule's label on its own line above the plot, so 100 % and 时间进度 never overlap
    texts = [alt.Chart(rules.iloc[[i]]).mark_text(align="left", dx=3, color="#334155", fontSize=10).encode(
        x="x:Q", y=alt.value(-6 - 13 * i), text="what:N") for i in range(len(rules))]
    height = max(120, 30 * len(data))
    return alt.layer(bars, rule, *texts).properties(
        title=alt.TitleParams(title, offset=12 + 13 * len(rules)), width=520, height=height).configure(font=FONT)


def daily_line(series: pd.Series, title: str, y_title: str) -> alt.Chart:
    data = pd.DataFrame({"day": pd.to_datetime(series.index), "value": series.to_numpy(float)})
    line = alt.Chart(data).mark_line(color=PALETTE[0]).encode(
        x=alt.X("day:T", title=None, axis=alt.Axis(format="%m-%d", labelAngle=0)),
        y=alt.Y("value:Q", title=y_title))
    return _config(line, title)


def grouped_bars(frame: pd.DataFrame, title: str, y_title: str) -> alt.Chart:
    """Bars per ``label`` for each ``series`` (``value``), e.g. tier sizes before / after."""
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("label:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("series:N", sort=None),
        y=alt.Y("value:Q", title=y_title),
        color=alt.Color("series:N", sort=None, scale=alt.Scale(range=PALETTE[:2]),
                        legend=alt.Legend(title=None, orient="bottom")))  # at the top it overlapped the y title
    return _config(chart, title)


def roi_bars(frame: pd.DataFrame, title: str, x_title: str, break_even: str) -> alt.Chart:
    """ROI per campaign (``label``, ``roi``) with the break-even rule at 1: one row of 26 px
    per campaign so names never overlap, names never cut, each bar labelled
    with its "1:x" value."""
    data = frame.assign(color=["#b91c1c" if r < 1 else "#15803d" for r in frame["roi"]],
                        text=[f"1:{r:.2f}" if r < 1 else f"1:{r:.1f}" for r in frame["roi"]])
    y = alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=0, labelOverlap=False, labelFontSize=11))
    bars = alt.Chart(data).mark_bar(height=16).encode(
        y=y, x=alt.X("roi:Q", title=x_title), color=alt.Color("color:N", scale=None, legend=None))
    values = alt.Chart(data).mark_text(align="left", dx=4, fontSize=10, color="#0f172a").encode(
        y=y, x="roi:Q", text="text:N")
    rule = alt.Chart(pd.DataFrame({"x": [1.0], "t": [break_even]})).mark_rule(
        strokeDash=[4, 3], color="#334155").encode(x="x:Q")
    height = max(120, 26 * len(data))
    return alt.layer(bars, values, rule).properties(title=title, width=480, height=height).configure(font=FONT)


def to_png(chart: alt.Chart, scale: float = 2.0) -> bytes | None:
    """PNG bytes of ``chart`` (vl-convert: Vega-Lite to PNG without a browser)."""
    with _fonts_lock:
        if not _fonts_done:
            for folder in FONT_DIRS:
                if os.path.isdir(folder):
                    vlc.register_font_directory(folder)
            _fonts_done.append(True)
    return vlc.vegalite_to_png(chart.to_dict(), scale=scale)
