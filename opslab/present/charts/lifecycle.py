"""Altair builders for the lifecycle page: tier bars, snapshot areas, transition heatmaps and
the four-state lifecycle bars. Pure functions; labels arrive already translated."""

from __future__ import annotations

import altair as alt
import pandas as pd

from opslab.present.charts.style import DATE_AXIS

#: One colour per tier, in :data:`opslab.lifecycle.tiers.TIERS` order.
TIER_COLORS = ("#60a5fa", "#a5b4fc", "#34d399", "#fbbf24", "#f97316", "#dc2626", "#a855f7", "#94a3b8")
STATE_COLORS = ("#2563eb", "#16a34a", "#f59e0b", "#dc2626")


def tier_bars(counts: pd.Series, labels: dict, x_title: str, y_title: str, height: int = 260,
              colors: tuple | None = TIER_COLORS) -> alt.Chart:
    """Horizontal bars of users per tier or segment (``counts`` indexed by key, display order);
    ``colors`` one per bar, or None for the default scheme."""
    order = [labels[t] for t in counts.index]
    data = pd.DataFrame({"tier": order, "users": counts.to_numpy(),
                         "share": counts.to_numpy() / max(int(counts.sum()), 1)})
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("tier:N", sort=order, title=None),
        x=alt.X("users:Q", title=x_title),
        color=alt.Color("tier:N", legend=None,
                        scale=alt.Scale(domain=order, range=list(colors)) if colors else alt.Scale(scheme="tableau20")),
        tooltip=[alt.Tooltip("tier:N", title=y_title), alt.Tooltip("users:Q", title=x_title, format=","),
                 alt.Tooltip("share:Q", title="%", format=".1%")],
    ).properties(height=height)


def _stacked(frame: pd.DataFrame, labels: dict, colors, mark: str, x_field: str, series_field: str,
             x_title: str, y_title: str, series_title: str, height: int, y_format: str = ",.0f") -> alt.Chart:
    """Users per series (the frame's columns) stacked over dates (its index), in column order."""
    order = [labels[c] for c in frame.columns]
    data = frame.rename(columns=labels).rename_axis(x_field).reset_index().melt(
        x_field, var_name=series_field, value_name="users")
    data[x_field] = pd.to_datetime(data[x_field])
    data["order"] = data[series_field].map({t: i for i, t in enumerate(order)})
    return getattr(alt.Chart(data), mark)().encode(
        x=alt.X(f"{x_field}:T", title=x_title, axis=DATE_AXIS),
        y=alt.Y("users:Q", stack="zero", title=y_title, axis=alt.Axis(format=y_format)),
        color=alt.Color(f"{series_field}:N", title=series_title, sort=order,
                        scale=alt.Scale(domain=order, range=list(colors))),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip(f"{x_field}:T", title=x_title), alt.Tooltip(f"{series_field}:N", title=series_title),
                 alt.Tooltip("users:Q", title=y_title, format=".1%" if y_format.endswith("%") else y_format)],
    ).properties(height=height)


def living_shares(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Each snapshot's tiers as shares of its living users (the churned tier left out), so the
    tiers that can still be acted on are not swamped by the growing churned pile.

    >>> snap = pd.DataFrame({"churned": [50], "new": [10], "payer": [40]})
    >>> living_shares(snap).to_dict("records")
    [{'new': 0.2, 'payer': 0.8}]
    """
    living = snapshots.drop(columns=[c for c in snapshots.columns if c == "churned"])
    total = living.sum(axis=1)
    return living.div(total.where(total > 0), axis=0).fillna(0.0)


def tier_area(snapshots: pd.DataFrame, labels: dict, x_title: str, y_title: str,
              tier_title: str, height: int = 300, share_of_living: bool = False) -> alt.Chart:
    """Stacked area of users per tier (columns) at each snapshot date (index); with
    ``share_of_living`` the tiers' shares of living users (churned excluded), in percent."""
    if share_of_living:
        colors = [c for t, c in zip(snapshots.columns, TIER_COLORS) if t != "churned"]
        return _stacked(living_shares(snapshots), labels, colors, "mark_area", "as_of", "tier", x_title,
                        y_title, tier_title, height, y_format=".0%")
    return _stacked(snapshots, labels, TIER_COLORS, "mark_area", "as_of", "tier", x_title, y_title,
                    tier_title, height)


def matrix_heatmap(counts: pd.DataFrame, rates: pd.DataFrame | None, row_labels: dict,
                   col_labels: dict, row_title: str, col_title: str, value_title: str,
                   rate_title: str, height: int = 320) -> alt.Chart:
    """Heatmap of a from x to (or tier x segment) table; colour is the row rate when given."""
    data = counts.stack().rename("users").reset_index()
    data.columns = ["row", "col", "users"]
    data["rate"] = rates.stack().to_numpy() if rates is not None else data["users"] / max(data["users"].max(), 1)
    data["row"], data["col"] = data["row"].map(row_labels), data["col"].map(col_labels)
    data["text"] = data["users"].map(lambda v: f"{v:,}" if v else "")
    data["dark"] = data["rate"].fillna(0) > 0.5
    rows = [row_labels[r] for r in counts.index]
    cols = [col_labels[c] for c in counts.columns]
    base = alt.Chart(data).encode(x=alt.X("col:N", sort=cols, title=col_title),
                                  y=alt.Y("row:N", sort=rows, title=row_title))
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color("rate:Q", title=rate_title, scale=alt.Scale(scheme="blues", domain=[0, 1]),
                        legend=alt.Legend(format=".0%")),
        tooltip=[alt.Tooltip("row:N", title=row_title), alt.Tooltip("col:N", title=col_title),
                 alt.Tooltip("users:Q", title=value_title, format=","),
                 alt.Tooltip("rate:Q", title=rate_title, format=".1%")],
    )
    text = base.mark_text(fontSize=10).encode(
        text="text:N", color=alt.condition(alt.datum.dark, alt.value("white"), alt.value("#111827")))
    return (cells + text).properties(height=height)


def state_bars(states: pd.DataFrame, labels: dict, x_title: str, y_title: str,
               state_title: str, height: int = 280) -> alt.Chart:
    """PostHog-style lifecycle: stacked bars per period, dormant below zero."""
    return _stacked(states, labels, STATE_COLORS, "mark_bar", "period", "state", x_title, y_title,
                    state_title, height)
