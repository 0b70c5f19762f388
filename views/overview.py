"""Overview: KPI cards with 环比/同比, trends by grain, cohort retention with M1/M3."""

import pandas as pd
import streamlit as st

from opslab.metrics import lead_kpis
from opslab.metrics import kpi_table as metrics
from opslab.metrics.markers import trend_markers
from opslab.present.charts import overview as charts
from opslab.present import formatting as fmt
from opslab.dataset.tables import BURN_IN_DAYS
from opslab.metrics import catalogue
from ui import breakdown
from ui.labels import period_label
from ui.state import labeller, lang, metric_labeller, rules_seen, tr
from ui.url_state import url_choice, url_multi
from ui.widgets import kpi_grid, lead_grid, page_start

ds = page_start("overview")
ds, split, top_n = breakdown.controls(ds)  # filter: every figure below is for those users only

config = metrics.MetricConfig()
buyers = ds.buyers_known  # False: orders without a buyer id; customer figures say so, never counted
if not buyers:
    st.warning(tr("overview.no_buyers_help"))
elif metrics.existing_rule_switchable(ds):
    existing = st.toggle(tr("overview.existing_rule", days=BURN_IN_DAYS), value=True, key="ov_existing",
                         help=tr("overview.existing_rule_help"), bind="query-params")
    n_existing = fmt.integer(metrics.existing_users(ds))
    st.caption(tr("overview.existing_rule_on", n=n_existing, days=BURN_IN_DAYS) if existing
               else tr("overview.existing_rule_off", n=n_existing))
    ds = metrics.existing_users_rule(ds, existing)
elif "signup" in ds.derived:
    st.caption(tr("overview.signup_derived", days=BURN_IN_DAYS))
left, right = st.columns([3, 2])
grain = url_choice("segmented_control", tr("overview.grain"), metrics.GRAINS, "month", "ov_grain", left,
                   format_func=labeller("metrics.grain."))
frame = metrics.kpis(ds, grain, config)
choices = [p.strftime("%Y-%m-%d") for p in metrics.periods(ds, grain, config)]
default = metrics.default_period(ds, grain, config).strftime("%Y-%m-%d")
chosen = url_choice(  # one key per grain: switching grain opens that grain's latest period
    "selectbox", tr("overview.period"), choices, default, f"ov_period_{grain}", right,
    format_func=lambda p, labels={c: period_label(c, grain) for c in choices}: labels.get(p, p),
)
start = pd.Timestamp(chosen if chosen in choices else default)
if not frame.loc[start, "complete"]:
    st.info(tr("overview.partial", start=start.date(), end=metrics.period_end(start, grain).date()))

st.subheader(tr("overview.kpis"))
cards = metrics.kpi_cards(ds, grain, start, config, metrics.card_names(ds))
kpi_grid(cards, frame.loc[:start], config.conversion_days)
if frame["refunds"].sum() > 0:  # refunds in the data: the period's gross, refunds and net, and which is GMV
    money = {k: fmt.money(frame.loc[start, c], lang(), exact=True, currency=ds.currency)
             for k, c in (("gross", "gmv_gross"), ("refunds", "refunds"), ("gmv", "gmv"))}
    st.caption(tr(f"overview.refunds.{ds.refunds}", **money))
threshold = rules_seen().high_value_monthly_spend
st.subheader(tr("overview.lead_cards"))
lead_grid(lead_kpis.lead_cards(ds, start, metrics.period_end(start, grain), high_value=threshold), whole=ds.whole)
if not ds.whole and ds.has_campaigns:  # a segment or a filter: spend belongs to everyone
    st.caption(tr("segments.campaigns_not_split"))
if ds.has_amounts:
    st.caption(tr("overview.lead.caption", threshold=fmt.money(threshold, lang(), currency=ds.currency)))
else:
    st.caption(tr("overview.no_amounts_help"))

st.subheader(tr("overview.trends"))
picked = url_multi(tr("overview.trend_metrics"), metrics.card_names(ds),
                   ["dau", "gmv", "new_users", "paid_conversion"] if buyers else ["orders", "gmv"],
                   "ov_trend", format_func=metric_labeller())
trend = frame.reset_index()
marks = None
if st.toggle(tr("overview.markers"), value=True, key="ov_markers", bind="query-params",
             help=tr("overview.markers_help")):
    marks = trend_markers(ds, trend["period"].min(), metrics.period_end(trend["period"].max(), grain))
    marks["text"] = [tr(f"overview.marker_{k}") + " · " + (lb or tr(f"overview.festival.{c}"))
                     for k, c, lb in zip(marks["kind"], marks["code"], marks["label"])]
cols = st.columns(2)
for i, name in enumerate(picked):
    y_format = ".1%" if name in metrics.RATE_KPIS else ",.0f"
    title = catalogue.name(name, lang())
    if catalogue.unit(name) == "money" and not ds.has_amounts:  # no line at 0: say why there is none
        cols[i % 2].info(f"{title}: {tr('overview.no_amounts')}")
        continue
    if not buyers and catalogue.needs_buyers(name):  # no line counted from anonymous orders
        cols[i % 2].info(f"{title}: {tr('overview.no_buyers')}")
        continue
    if name in metrics.MONEY_KPIS:  # the axis and tooltip name the data set's currency: "GMV ($)"
        title = fmt.money_title(title, ds.currency)
    chart = charts.trend_chart(trend, "period", name, title, tr("metrics.period"), y_format, grain=grain,
                               markers=marks, marker_title=tr("overview.markers"))
    cols[i % 2].altair_chart(chart, width="stretch")

if split:
    breakdown.split_section(ds, grain, start, split, top_n, config)

st.subheader(tr("overview.retention"))
if not buyers:  # retention follows people: none to follow
    st.info(f"{tr('overview.retention')}: {tr('overview.no_buyers')}")
    st.stop()
month_cohorts = metrics.cohort_retention(ds, "month", "on")
m1, m3 = (metrics.headline_retention(month_cohorts, k) for k in (1, 3))
a, b, c, d = st.columns([2, 2, 2, 3])
# the catalogue's M1/M3 of new users, pooled over every cohort that has completed month M+k
a.metric(tr("overview.all_cohorts", name=catalogue.name("m1_all", lang())), fmt.pct(m1),
         help=catalogue.definition("m1_all", lang()), border=True)
b.metric(tr("overview.all_cohorts", name=catalogue.name("m3_all", lang())), fmt.pct(m3),
         help=catalogue.definition("m3_all", lang()), border=True)
cohort_grain = url_choice("segmented_control", tr("overview.cohort_grain"), ("week", "month"), "month",
                          "ov_cohort_grain", c, format_func=labeller("metrics.grain."))
mode = url_choice("segmented_control", tr("overview.retention_mode"), ("on", "on_or_after"), "on",
                  "ov_retention", d, format_func=labeller("metrics.retention."))
cohorts = metrics.cohort_retention(ds, cohort_grain, mode)
if cohorts.empty:
    st.info(tr("overview.no_retention"))
else:
    full, every = cohorts, sorted(cohorts["cohort"].unique())
    if cohort_grain == "week" and len(every) > 26:  # keep the triangle readable: the last half year
        cohorts = cohorts[cohorts["cohort"].isin(every[-26:]) & (cohorts["k"] <= 26)]
        st.caption(tr("overview.cohort_capped", n=26, total=fmt.integer(len(every))))
    labels = {c: period_label(c, cohort_grain) for c in every}
    st.altair_chart(charts.cohort_heatmap(
        cohorts, labels, tr("metrics.period_k"), tr("metrics.cohort"), tr("metrics.retention_rate"),
        tr("metrics.cohort_size"), highlight=(1, 3) if cohort_grain == "month" else (),
    ), width="stretch")
    st.caption(tr("overview.retention_caption", grain=tr(f"metrics.grain.{cohort_grain}").lower()))
    with st.expander(tr("overview.cohort_table"), icon=":material/table:"):
        wide = charts.cohort_table(full, labels, tr("metrics.cohort"), tr("metrics.cohort_size"))
        st.dataframe(fmt.table(wide, {c: "pct_points" for c in wide.columns[2:]}, lang()), hide_index=True,
                     key="ov_cohort_table")
