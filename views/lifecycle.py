"""Lifecycle: 8-tier segmentation as of a day, tiers over time, flows, profiles, plays, RFM and
exports. Rules and the as-of day live in the URL (lc_* keys)."""

import datetime as dt
import re
from dataclasses import fields

import pandas as pd
import streamlit as st

from opslab.present.charts import lifecycle as charts
from opslab.present import formatting as fmt
from opslab.lifecycle import tiers as lc
from opslab.lifecycle import fit as lifecycle_fit
from opslab.lifecycle import rfm
from ui import state
from ui.state import labeller, lang, tr
from ui.url_state import url_choice
from ui.widgets import export_buttons, page_start, require_buyers

ds = page_start("lifecycle")
require_buyers()  # customers to follow: without a buyer id, say why and stop

code = lang()
tier_label = {t: tr(f"lifecycle.tier.{t}") for t in lc.TIERS}
tier_label[lc.NOT_YET] = tr("lifecycle.not_yet_registered")
segment_label = {s: tr(f"lifecycle.rfm.segment.{s}") for s in (*rfm.SEGMENTS, rfm.NON_PAYER)}

# -- as-of day and rules ----------------------------------------------------------------
WINDOWS = ("warning_window", "value_window_days", "potential_window_days")
RULE_FIELDS = [f.name for f in fields(lc.LifecycleRules)]
suggestion = lifecycle_fit.suggest_rules(ds)


def _show_rules(new: lc.LifecycleRules) -> None:
    for name in RULE_FIELDS:
        st.session_state[f"lc_{name}"] = getattr(new, name)


def _use(to: str) -> None:
    _show_rules(state.reset_rules(to))


def _use_suggested() -> None:
    state.reset_rules("fitted")
    if not suggestion.applies:  # data with visit events: the suggestion is an explicit choice
        state.set_rules(suggestion.rules)
    _show_rules(suggestion.rules)


stored = st.session_state.get("lc_as_of")
if isinstance(stored, dt.date) and not ds.start <= stored <= ds.end:
    del st.session_state["lc_as_of"]  # another data set: its day may be out of range here
as_of = st.date_input(tr("lifecycle.as_of"), value=ds.end, min_value=ds.start, max_value=ds.end,
                      key="lc_as_of", help=tr("lifecycle.as_of_help"), bind="query-params") or ds.end

in_force = state.rules()
with st.container(border=True, key="lc_suggested"):
    if suggestion.rules is None:
        st.caption(tr("lifecycle.suggest.none", n=fmt.count(suggestion.n_gaps, code)))
    else:
        q = suggestion.gap_quantiles
        head = "lifecycle.suggest.title_purchase" if suggestion.purchase_only else "lifecycle.suggest.title_visits"
        st.markdown(f"**{tr(head)}**")
        st.caption(tr("lifecycle.suggest.figures", gaps=fmt.count(suggestion.n_gaps, code),
                      users=fmt.count(suggestion.n_repeat_users, code), q50=q[0.5], q80=q[0.8], q85=q[0.85],
                      q90=q[0.9], share=fmt.pct(suggestion.share_within_churn)))
        sr = suggestion.rules
        st.caption(tr("lifecycle.suggest.rules", churn=sr.churn_days, warning=sr.warning_days, new=sr.new_days,
                      value=sr.value_window_days, spend=fmt.money(sr.high_value_monthly_spend, code, currency=ds.currency)))
        status = ("lifecycle.suggest.in_force" if in_force == sr else
                  "lifecycle.suggest.standard" if in_force == lc.LifecycleRules() else "lifecycle.suggest.edited")
        st.caption(tr(status))
    b1, b2 = st.columns(2)
    if suggestion.rules is not None:
        b1.button(tr("lifecycle.suggest.use"), key="lc_use_suggested", on_click=_use_suggested,
                  disabled=in_force == suggestion.rules)
    b2.button(tr("lifecycle.reset_rules"), key="lc_reset", on_click=_use, args=("standard",),
              disabled=in_force == lc.LifecycleRules())

with st.expander(tr("lifecycle.rules"), icon=":material/tune:"):
    st.caption(tr("lifecycle.rules_help"))
    cols = st.columns(5)
    values = {}
    for i, name in enumerate(RULE_FIELDS):
        key = f"lc_{name}"
        if key not in st.session_state:
            st.session_state[key] = getattr(in_force, name)
        is_float = isinstance(getattr(in_force, name), float)
        values[name] = cols[i % 5].number_input(
            tr(f"lifecycle.rule.{name}"),
            min_value=(1 if name in WINDOWS else 0.0 if is_float else 0),
            max_value=(1.0 if name == "warning_drop" else None),
            step=(0.05 if name == "warning_drop" else 10.0 if is_float else 1),
            key=key, help=tr(f"lifecycle.rule_help.{name}"))
rules = lc.LifecycleRules(**values)
if rules != in_force:
    state.set_rules(rules)

with st.spinner(tr("lifecycle.computing")):
    seg = lc.segment(ds, rules, as_of)
counts = lc.tier_counts(seg["tier"])
total = int(counts.sum())

# -- tiers now ----------------------------------------------------------------------------
st.subheader(tr("lifecycle.now", date=as_of))
for start in (0, 4):
    for col, tier in zip(st.columns(4), lc.TIERS[start:start + 4]):
        col.metric(tier_label[tier], fmt.count(counts[tier], code),
                   delta=fmt.pct(counts[tier] / total) if total else None, delta_color="off",
                   delta_arrow="off", help=tr(f"lifecycle.def.{tier}", **vars(rules)), border=True)

# -- over time ------------------------------------------------------------------------------
st.subheader(tr("lifecycle.over_time"))
left, right = st.columns(2)
grain = url_choice("segmented_control", tr("lifecycle.grain"), ("month", "week"), "month", "lc_grain", left,
                   format_func=labeller("lifecycle.grain_"))
dates = lc.snapshot_dates(ds, grain, n=12 if grain == "month" else 13, as_of=as_of)
with st.spinner(tr("lifecycle.computing")):
    history = lc.tier_history(ds, rules, dates)
snaps = lc.snapshot_counts(history)
tier_view = url_choice("segmented_control", tr("lifecycle.tier_view"), ("living_share", "users"), "living_share",
                       "lc_tier_view", right, format_func=labeller("lifecycle.tier_view_"))
living = tier_view == "living_share"
st.altair_chart(charts.tier_area(snaps, tier_label, tr("lifecycle.snapshot"),
                                 tr("lifecycle.living_share" if living else "lifecycle.users"),
                                 tr("lifecycle.tier"), share_of_living=living), width="stretch")
st.caption(tr("lifecycle.snapshot_caption"))

if len(dates) >= 2:
    pairs = [f"{a}|{b}" for a, b in zip(dates[:-1], dates[1:])]
    pair = right.selectbox(tr("lifecycle.pair"), pairs, index=len(pairs) - 1, key="lc_pair",
                           format_func=lambda p: p.replace("|", " → "), bind="query-params")
    pair = pair if pair in pairs else pairs[-1]
    a, b = (pd.Timestamp(x).date() for x in pair.split("|"))
    tc, tr_rates = lc.transition_matrix(history[a].to_numpy(), history[b].to_numpy())
    st.markdown(f"**{tr('lifecycle.transitions', start=a, end=b)}**")
    st.altair_chart(charts.matrix_heatmap(tc, tr_rates, tier_label, tier_label, tr("lifecycle.from"),
                                          tr("lifecycle.to"), tr("lifecycle.users"), tr("lifecycle.row_rate")),
                    width="stretch")
    st.caption(tr("lifecycle.transition_caption"))

states = lc.activity_lifecycle(ds, grain, as_of)
if not states.empty:
    st.markdown(f"**{tr('lifecycle.four_state')}**")
    state_label = {s: tr(f"lifecycle.state.{s}") for s in states.columns}
    st.altair_chart(charts.state_bars(states, state_label, tr("lifecycle.period"), tr("lifecycle.users"),
                                      tr("lifecycle.state_title")), width="stretch")
    st.caption(tr("lifecycle.four_state_caption"))

# -- flow between two days ------------------------------------------------------------------
st.subheader(tr("lifecycle.flow"))
f1, f2 = st.columns(2)
default_from = max(ds.start, as_of - dt.timedelta(days=30))
for key in ("lc_flow_from", "lc_flow_to"):
    kept = st.session_state.get(key)
    if isinstance(kept, dt.date) and not ds.start <= kept <= ds.end:
        del st.session_state[key]
flow_from = f1.date_input(tr("lifecycle.flow_from"), value=default_from, min_value=ds.start,
                          max_value=ds.end, key="lc_flow_from", bind="query-params") or default_from
flow_to = f2.date_input(tr("lifecycle.flow_to"), value=as_of, min_value=ds.start, max_value=ds.end,
                        key="lc_flow_to", bind="query-params") or as_of
fc, fr = lc.flows(ds, rules, flow_from, flow_to)
view = url_choice("segmented_control", tr("lifecycle.flow_view"), ("counts", "rates"), "counts", "lc_flow_view",
                  format_func=labeller("lifecycle.flow_"))
shown = (fc if view == "counts" else fr).rename(index=tier_label, columns=tier_label)
shown.index.name, shown.columns.name = tr("lifecycle.from"), tr("lifecycle.to")
st.dataframe(fmt.table(shown, dict.fromkeys(shown.columns, "count" if view == "counts" else "pct"), code),
             width="stretch")
st.caption(tr("lifecycle.flow_caption", start=min(flow_from, flow_to), end=max(flow_from, flow_to)))

# -- profile ------------------------------------------------------------------------------------
st.subheader(tr("lifecycle.profile"))
profile = lc.tier_profile(seg, rules, lc.user_m1(ds, as_of)).rename(index=tier_label)
profile.index.name = tr("lifecycle.tier")
profile_kinds = {"users": "count", "share": "pct", "spend_share": "pct", "arppu": "money", "avg_active_days": "decimal",
                 "active_share": "pct", "m1_retention": "pct"}
st.dataframe(fmt.table(profile, profile_kinds, code, ds.currency), width="stretch", column_config={
    "users": st.column_config.NumberColumn(tr("lifecycle.col.users")),
    "share": st.column_config.NumberColumn(tr("lifecycle.col.share")),
    "spend_share": st.column_config.NumberColumn(tr("lifecycle.col.spend_share", v=rules.value_window_days)),
    "arppu": st.column_config.NumberColumn(tr("lifecycle.col.arppu", v=rules.value_window_days)),
    "avg_active_days": st.column_config.NumberColumn(tr("lifecycle.col.avg_active_days", p=rules.potential_window_days)),
    "active_share": st.column_config.NumberColumn(tr("lifecycle.col.active_share", p=rules.potential_window_days)),
    "m1_retention": st.column_config.NumberColumn(tr("lifecycle.col.m1_retention"), help=tr("lifecycle.col.m1_help")),
})
st.caption(tr("lifecycle.profile_caption", v=rules.value_window_days, p=rules.potential_window_days))

# -- plays ----------------------------------------------------------------------------------------
st.subheader(tr("lifecycle.plays"))
st.caption(tr("lifecycle.plays_caption"))
for start in (0, 4):
    for col, tier in zip(st.columns(4), lc.TIERS[start:start + 4]):
        col.text_area(f"{tier_label[tier]} · {fmt.count(counts[tier], code)}", value=tr(f"lifecycle.play.{tier}"),
                      key=f"lc_play_{tier}_{code}", height=130)  # per language: defaults differ

# -- RFM ------------------------------------------------------------------------------------------
st.subheader(tr("lifecycle.rfm.title"))
cuts = rfm.recency_cuts(rules)
st.caption(tr("lifecycle.rfm.caption"))
st.caption(tr("lifecycle.rfm.recency_cuts", c1=cuts[0], c2=cuts[1], c3=cuts[2], c4=cuts[3],
              churn=rules.churn_days, warning=rules.warning_days))
scores = rfm.rfm_scores(ds, rfm.RFMConfig(recency_cuts=rfm.recency_cuts(rules)), as_of=as_of)
if scores.empty:
    st.info(tr("lifecycle.rfm.none"))
else:
    r1, r2 = st.columns([2, 3])
    seg_counts = rfm.segment_counts(scores)
    r1.altair_chart(charts.tier_bars(seg_counts, segment_label, tr("lifecycle.users"),
                                     tr("lifecycle.rfm.segment_title"), colors=None), width="stretch")
    cross = rfm.tier_rfm_crosstab(seg, scores)
    shares = rfm.row_shares(cross)
    r2.altair_chart(charts.matrix_heatmap(cross, shares, tier_label, segment_label, tr("lifecycle.tier"),
                                          tr("lifecycle.rfm.segment_title"), tr("lifecycle.users"),
                                          tr("lifecycle.row_rate")), width="stretch")

# -- export ---------------------------------------------------------------------------------------
st.subheader(tr("lifecycle.export"))
e1, e2 = st.columns(2)
kind = url_choice("segmented_control", tr("lifecycle.export_kind"), ("tier", "rfm"), "tier", "lc_export_kind", e1,
                  format_func=labeller("lifecycle.export_"))
if kind == "tier":
    pick = url_choice("selectbox", tr("lifecycle.tier"), lc.TIERS, lc.TIERS[0], "lc_export_tier", e2,
                      format_func=tier_label.get)
    out = seg.loc[seg["tier"] == pick].drop(columns="uid")
    name = f"lifecycle_{pick}_{as_of}"
else:
    pick = url_choice("selectbox", tr("lifecycle.rfm.segment_title"), rfm.SEGMENTS, rfm.SEGMENTS[0],
                      "lc_export_segment", e2, format_func=segment_label.get)
    out = rfm.segment_members(scores, seg, pick)
    name = f"rfm_{pick}_{as_of}"
out = out.assign(**{c: out[c].astype("str") for c in ("tier", "segment") if c in out})
st.caption(tr("lifecycle.export_rows", n=fmt.count(len(out), code)))


def _for_spreadsheet(frame):
    """Tier and segment names and column headers in the reader's language."""
    labelled = frame.assign(**{c: frame[c].map({**tier_label, **segment_label}).fillna(frame[c])
                               for c in ("tier", "segment") if c in frame})
    return labelled.rename(columns=export_header)


def export_header(column: str) -> str:
    m = re.fullmatch(r"(active_days_prev|active_days|monthly_spend|spend|orders)_(\d+)", column)
    return tr(f"lifecycle.export_col.{m.group(1)}", n=m.group(2)) if m else tr(f"lifecycle.export_col.{column}")


export_buttons(lambda: _for_spreadsheet(out), name, "lc_dl", len(out), tr("lifecycle.csv"), tr("lifecycle.xlsx"))
