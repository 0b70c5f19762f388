"""The Overview's filter-and-split panel: every KPI and trend for a subset of users, or per group."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from opslab.metrics import breakdowns as bd
from opslab.present import formatting as fmt
from opslab.metrics import catalogue
from opslab.metrics import kpi_table as metrics
from opslab.present.charts import behaviour as charts
from opslab.behaviour.funnels import NONE, OTHER
from opslab.metrics.segments import Segment, member_uids
from ui import segments
from ui.labels import period_label
from ui.safe import md
from ui.state import labeller, lang, metric_labeller, tr, translator
from ui.url_state import url_choice, url_multi
from ui.widgets import format_kpi

def _dim_label(d: str, tr=tr) -> str:
    if d == "":
        return tr("breakdowns.none")
    if d == "tier":
        return tr("breakdowns.tier")
    return tr(f"breakdowns.dim.{d}") if d in ("channel", "city") else d


def group_label(dim: str, g: str, tr=tr) -> str:
    if g == OTHER:
        return tr("breakdowns.other")
    if g == NONE:
        return tr("breakdowns.missing")
    return tr(f"lifecycle.tier.{g}") if dim == "tier" else g


def controls(ds):
    """Filter and split choices (in the URL); returns (data set to show, split dimension, top N).
    A filter can be saved as a segment (rules), which the sidebar then applies to every screen."""
    if not ds.events_in_memory:  # a warehouse source: groups would need the events in memory
        st.caption(tr("breakdowns.source_unavailable"))
        return ds, "", 5
    dims = bd.dimensions(ds)
    t = translator()  # format_func may run outside this script run (AppTest): fix the language now
    with st.expander(tr("breakdowns.title"), icon=":material/call_split:"):
        c1, c2, c3, c4 = st.columns([2, 3, 2, 1])
        fdim = url_choice("selectbox", tr("breakdowns.filter_by"), ["", *dims], "",
                          "ov_fdim", c1, format_func=lambda d: _dim_label(d, t))
        values = []
        if fdim:
            sizes = bd.group_sizes(ds, fdim, top_n=200)
            options = [g for g in sizes.index if g != OTHER]
            values = url_multi(tr("breakdowns.values"), options, [], "ov_fval", c2,
                               format_func=lambda g: f"{group_label(fdim, g, t)} ({sizes[g]:,})")
        split = url_choice("selectbox", tr("breakdowns.split_by"), ["", *dims], "", "ov_split", c3,
                           format_func=lambda d: _dim_label(d, t))
        top_n = c4.number_input(tr("breakdowns.top_n"), min_value=2, max_value=10, value=5, key="ov_topn",
                                help=tr("breakdowns.top_n_help"), bind="query-params")
        st.caption(tr("breakdowns.help"))
        if fdim and values:
            _save_filter(ds, fdim, values, t)
    shown = bd.filtered(ds, fdim, values) if fdim and values else ds
    if shown is not ds:
        if shown.n_users == 0 or shown.events.empty:
            st.warning(tr("breakdowns.empty"))
            shown = ds
        else:
            st.info(tr("breakdowns.filtered", n=f"{shown.n_users:,}", total=f"{ds.n_users:,}") if ds.buyers_known
                    else tr("breakdowns.filtered_orders", n=f"{len(shown.orders):,}", total=f"{len(ds.orders):,}"))
    return shown, split, int(top_n)


def shown_kpis(ds) -> tuple[str, ...]:
    """The figures a split shows: every KPI, or without a buyer id only those that do not count
    people (orders and money; the rest cannot be counted per group either)."""
    if ds.buyers_known:
        return metrics.KPIS
    return tuple(k for k in metrics.card_names(ds) if not catalogue.needs_buyers(k))


def _save_filter(ds, fdim: str, values, t) -> None:
    """Save the filter as a rules segment (read again on the data each time it is used)."""
    s1, s2 = st.columns([3, 2], vertical_alignment="bottom")
    default = f"{_dim_label(fdim, t)}: {', '.join(group_label(fdim, v, t) for v in values)}"
    name = s1.text_input(tr("segments.name"), value=default[:40], key="ov_seg_name", max_chars=40)
    if s2.button(tr("segments.save_filter"), key="ov_save_segment", icon=":material/group_add:"):
        seg = Segment(name, rules={fdim: values})
        segments.save(seg, tr("segments.saved", name=md(name), n=fmt.integer(len(member_uids(ds, seg)))))


def split_section(ds, grain: str, start, split: str, top_n: int, config) -> None:
    """One KPI per group over time, the chosen period's KPIs per group, CAC/ROI by channel."""
    code = lang()
    st.subheader(tr("breakdowns.split_title", by=md(_dim_label(split))))
    names = shown_kpis(ds)
    if not ds.buyers_known:  # no buyer id: orders and money per group, no count of anonymous "users"
        st.caption(tr("breakdowns.no_buyers"))
    kpi = url_choice("selectbox", tr("breakdowns.kpi"), names, names[0], "ov_split_kpi",
                     format_func=metric_labeller())
    with st.spinner(tr("breakdowns.computing")):
        frame = bd.kpi_breakdown(ds, grain, split, top_n, config)
        cards = bd.kpi_cards_by(ds, grain, start, split, top_n, config)
    frame["group_label"] = frame["group"].map(lambda g: group_label(split, g))
    y_format = ".1%" if kpi in metrics.RATE_KPIS else ",.0f"
    st.altair_chart(charts.group_lines(frame, kpi, catalogue.name(kpi, lang()), tr("metrics.period"),
                                       tr("breakdowns.group"), y_format), width="stretch")
    cards["group_label"] = cards["group"].map(lambda g: group_label(split, g))
    cards["shown"] = [format_kpi(k, v) + ("" if pd.isna(c) else f" ({fmt.kpi_change(c, k, lang())})")
                      for k, v, c in zip(cards["kpi"], cards["value"], cards["pop_change"])]
    table = cards.pivot(index="group_label", columns="kpi", values="shown")
    order = [g for g in dict.fromkeys(cards["group_label"])]
    table = table.reindex(index=order, columns=list(names))
    table.columns = [catalogue.name(k, lang()) for k in table.columns]
    table.index.name = tr("breakdowns.group")
    st.caption(tr("breakdowns.cards_caption", period=period_label(start, grain)))
    st.dataframe(table, width="stretch")
    if split == "channel" and ds.has_campaigns and not ds.whole:
        st.caption(tr("segments.no_channel_economics"))
    elif split == "channel" and ds.has_campaigns:
        econ = bd.channel_economics(ds, grain)
        if not econ.empty:
            st.subheader(tr("breakdowns.cac_title"))
            econ["group_label"] = econ["channel"].map(lambda c: tr("breakdowns.all_channels") if c == "__all__"
                                                      else group_label("channel", c))
            st.altair_chart(charts.group_lines(econ.dropna(subset=["cac"]), "cac", tr("breakdowns.cac"),
                                               tr("metrics.period"), tr("breakdowns.group"), ",.0f"), width="stretch")
            now = econ[econ["period"] == pd.Timestamp(start)]
            shown = pd.DataFrame({
                tr("breakdowns.channel"): now["group_label"].to_numpy(), tr("breakdowns.spend"): now["spend"].to_numpy(),
                tr("breakdowns.new_users"): now["new_users"].to_numpy(), tr("breakdowns.cac"): now["cac"].to_numpy(),
                tr("breakdowns.roi"): now["roi"].to_numpy()})
            kinds = {tr("breakdowns.spend"): "money", tr("breakdowns.new_users"): "count",
                     tr("breakdowns.cac"): "money", tr("breakdowns.roi"): "roi"}
            st.dataframe(fmt.table(shown, kinds, code, ds.currency), hide_index=True, width="stretch")
            st.caption(tr("breakdowns.cac_caption"))
