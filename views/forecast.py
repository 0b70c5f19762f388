"""Forecast & what-if: KPI forecast with backtest, target odds, GMV driver tree with goal-seek,
lifecycle projection and campaign planning. Settings live in the URL (fc_* keys)."""

import datetime as dt

import pandas as pd
import streamlit as st

from opslab.charts import forecast as charts
from opslab import driver_tree as dtree
from opslab import formatting as fmt
from opslab import kpi_series as ks
from opslab import lifecycle as lc
from opslab import whatif as wi
from opslab.models.campaigns import (
    TOTAL_LABEL,
    CampaignPlan,
    CampaignResponseModel,
    format_roi,
    optimise_budget,
)
from opslab.models.forecast import ForecastConfig, KPIForecaster
from opslab.problems import OpsLabError
from ui.models import shared_result
from ui.state import labeller, lang, tr, translator
from ui.url_state import url_choice, url_multi
from ui.widgets import page_start

ds = page_start("forecastpage")

code = lang()
HORIZONS = (28, 56, 91, 182)
DRIVER_KEYS = {d: f"fc_driver_{d}" for d in dtree.DRIVERS}


def _reset_target() -> None:
    """A new KPI, grain or horizon means a new forecast: fall back to the default target."""
    st.session_state["fc_target"] = None


def kpi_title(kpi: str) -> str:
    """The KPI's name; for money, with the data set's currency ("GMV ($)") on axes and tooltips."""
    name = tr(f"forecastpage.kpi.{kpi}")
    return fmt.money_title(name, ds.currency) if kpi == "gmv" else name


def fmt_kpi(kpi: str, x: float) -> str:
    return fmt.money(x, code, currency=ds.currency) if kpi == "gmv" else fmt.count(round(x, 1), code)


# -- settings -----------------------------------------------------------------------------
c1, c2, c3 = st.columns([2, 1, 1])
kpi = url_choice("selectbox", tr("forecastpage.kpi"), ks.KPIS, "gmv", "fc_kpi", c1,
                 format_func=labeller("forecastpage.kpi."), on_change=_reset_target)
grain = url_choice("segmented_control", tr("forecastpage.grain"), ks.GRAINS, "day", "fc_grain", c2,
                   format_func=labeller("forecastpage.grain."), on_change=_reset_target)
horizon_days = url_choice("selectbox", tr("forecastpage.horizon"), HORIZONS, 91, "fc_horizon", c3,
                          format_func=lambda d, T=translator(): T("forecastpage.horizon_days", days=d),
                          on_change=_reset_target)
st.caption(tr("forecastpage.link_hint"))

y = ks.kpi_series(ds, kpi, grain)
h = ks.horizon_periods(horizon_days, grain)
if len(y) < 8:
    st.info(tr("forecastpage.too_short", n=len(y)))
    st.stop()
freq = ks.FREQ[grain]
campaigns = ds.campaigns if ds.campaigns is not None else pd.DataFrame()
exog = ks.campaign_exog(campaigns, y.index, grain) if len(campaigns) else None

# -- campaign response model (used by the planned campaign and the planner) ----------------
def _fit_campaigns():
    try:
        if not len(campaigns):
            return OpsLabError("campaigns.too_few", n=0, min=CampaignResponseModel().min_campaigns)
        return CampaignResponseModel().fit(campaigns)
    except OpsLabError as exc:  # NotEnoughCampaigns included
        return exc


camp_model = shared_result("campaigns", ds, "", _fit_campaigns)
types = sorted(campaigns["type"].dropna().astype(str).unique()) if "type" in campaigns else []
channels = sorted(campaigns["channel"].dropna().astype(str).unique()) if "channel" in campaigns else []

future = ks.future_index(y, h, grain)
with st.expander(tr("forecastpage.plan.title"), icon=":material/campaign:"):
    st.caption(tr("forecastpage.plan.help"))
    p1, p2, p3 = st.columns(3)
    plan_spend = p1.number_input(tr("forecastpage.plan.spend"), min_value=100.0, value=50_000.0,
                                 step=1_000.0, key="fc_plan_spend", bind="query-params")
    plan_type = url_choice("selectbox", tr("forecastpage.plan.type"), types or ["-"], (types or ["-"])[0],
                           "fc_plan_type", p2)
    plan_channel = url_choice("selectbox", tr("forecastpage.plan.channel"), channels or ["-"],
                              (channels or ["-"])[0], "fc_plan_channel", p3)
    p4, p5, p6 = st.columns(3)
    first_future = future[0].date()
    plan_start = p4.date_input(tr("forecastpage.plan.start"), value=first_future + dt.timedelta(days=14),
                               key="fc_plan_start", bind="query-params")
    plan_end = p5.date_input(tr("forecastpage.plan.end"), value=first_future + dt.timedelta(days=20),
                             key="fc_plan_end", bind="query-params")
    plan_in_fc = p6.checkbox(tr("forecastpage.plan.include"), value=False, key="fc_plan_include",
                             bind="query-params")
plan_ok = plan_start is not None and plan_end is not None and plan_end >= plan_start
plan = CampaignPlan(plan_spend, plan_type, plan_channel, plan_start, plan_end) if plan_ok else None
exog_future = None
if exog is not None:
    planned = [plan] if (plan is not None and plan_in_fc) else []
    exog_future = ks.campaign_exog(ks.with_planned(campaigns, planned), future, grain)

# -- fit (once per data set, KPI, grain, horizon) --------------------------------------------
def _fit_status(fit):
    with st.status(tr("forecastpage.fitting"), expanded=False) as status:
        fitted = fit()
        status.update(label=tr("forecastpage.fitted", seconds=fitted.fit_seconds), state="complete")
    return fitted


result = shared_result("forecast", ds, f"{kpi}:{grain}:{horizon_days}",
                       lambda: KPIForecaster(ForecastConfig(horizon=h, freq=freq)).fit(y, exog), _fit_status)
paths, index = wi.forecast_paths(result, y, exog_future=exog_future)
a = (1 - result.config.interval) / 2
fc = pd.DataFrame({"mean": paths.mean(axis=0), "lower": pd.DataFrame(paths).quantile(a).to_numpy(),
                   "upper": pd.DataFrame(paths).quantile(1 - a).to_numpy()}, index=index)

# -- forecast chart and backtest ---------------------------------------------------------------
st.subheader(tr("forecastpage.chart_title", kpi=tr(f"forecastpage.kpi.{kpi}")))
history = y.iloc[-max(3 * h, 8 if grain == "week" else 60):]
st.altair_chart(charts.forecast_chart(
    history, fc, date_title=tr("forecastpage.date"), value_title=kpi_title(kpi),
    history_label=tr("forecastpage.history"), forecast_label=tr("forecastpage.forecast"),
    band_label=tr("forecastpage.band", pct=round(100 * result.config.interval))), width="stretch")
st.caption(tr("forecastpage.chart_caption", model=tr(f"forecast.model.{result.model_name}"),
              seconds=result.fit_seconds, pct=round(100 * result.config.interval)))
for p in result.warnings_:
    if p.code in ("forecast.warn.short_series", "forecast.warn.no_backtest", "forecast.warn.constant"):
        st.info(tr(p.code, **p.params))

with st.expander(tr("forecastpage.backtest"), icon=":material/science:"):
    summ = result.backtest_summary
    if summ.empty:
        st.info(tr("forecast.summary.no_backtest"))
    else:
        base = summ.loc["seasonal_naive"] if "seasonal_naive" in summ.index else None
        table = pd.DataFrame({
            tr("forecastpage.bt.model"): [tr(f"forecast.model.{m}") for m in summ.index],
            tr("forecastpage.bt.smape"): summ["smape"].round(1).to_numpy(),
            tr("forecastpage.bt.mase"): summ["mase"].round(2).to_numpy(),
            tr("forecastpage.bt.naive_smape"): [None if base is None else round(base["smape"], 1)] * len(summ),
            tr("forecastpage.bt.naive_mase"): [None if base is None else round(base["mase"], 2)] * len(summ),
            tr("forecastpage.bt.chosen"): [m == result.model_name for m in summ.index],  # shown as a tick
        })
        st.dataframe(table, hide_index=True, width="stretch")
        st.caption(tr("forecastpage.bt.caption"))

# -- targets ------------------------------------------------------------------------------------
agg = ks.agg_of(kpi)
period = wi.Target(kpi, index[0].date(), (index[-1] + pd.Timedelta(days=6 if grain == "week" else 0)).date())
baseline = wi.outlook_from_paths(paths, index, period, interval=result.config.interval)
default = wi.default_target(kpi, baseline.forecast, period.start, period.end)


@st.fragment
def targets_panel():
    st.subheader(tr("forecastpage.targets"))
    st.caption(tr(f"forecastpage.target_help_{agg}", start=period.start, end=period.end))
    t1, t2, t3, t4 = st.columns(4)
    value = t1.number_input(tr(f"forecastpage.target_{agg}"), min_value=0.0, value=None,
                            placeholder=f"{default.value:,.0f}", step=float(max(1, round(default.value / 100))),
                            key="fc_target", bind="query-params",
                            help=tr("forecastpage.target_default", value=fmt_kpi(kpi, default.value)))
    target = wi.Target(kpi, period.start, period.end, default.value if value is None else float(value))
    out = wi.outlook_from_paths(paths, index, target, interval=result.config.interval)
    t2.metric(tr("forecastpage.baseline"), fmt_kpi(kpi, out.forecast), border=True,
              help=tr("forecastpage.baseline_help", lower=fmt_kpi(kpi, out.lower), upper=fmt_kpi(kpi, out.upper)))
    t3.metric(tr("forecastpage.gap"), fmt_kpi(kpi, out.gap), border=True,
              help=tr("forecastpage.gap_help"))
    t4.metric(tr("forecastpage.p_hit"), fmt.pct(out.p_hit, 0), border=True,
              help=tr("forecastpage.p_hit_help", n=len(paths)))
    st.altair_chart(charts.outcome_histogram(out.totals, target.value, value_title=kpi_title(kpi),
                                             count_title=tr("forecastpage.paths")), width="stretch")

    # driver tree
    st.markdown(f"**{tr('forecastpage.drivers')}**")
    base_grain = url_choice("segmented_control", tr("forecastpage.base_grain"), ("month", "quarter"),
                            "month", "fc_base_grain", format_func=labeller("forecastpage.grain."))
    base = shared_result("driver_base", ds, base_grain, lambda: dtree.driver_base(ds, base_grain))
    if base.gmv <= 0 or base.active_users <= 0:
        st.info(tr("forecastpage.no_base"))
        return
    st.caption(tr("forecastpage.drivers_help", start=base.start, end=base.end))
    cols = st.columns(len(dtree.DRIVERS))
    changes = {}
    for col, d in zip(cols, dtree.DRIVERS):
        pct_change = col.slider(tr(f"whatif.driver.{d}"), -90.0, 200.0, 0.0, 0.5, format="%+.1f%%",
                                key=DRIVER_KEYS[d], bind="query-params")
        changes[d] = pct_change / 100
    values, before = dtree.tree_values(base, changes), dtree.tree_values(base)
    st.dataframe(_tree_table(before, values), hide_index=True, width="stretch")
    node = dtree.KPI_NODE.get(kpi)
    ratio = dtree.node_ratio(base, changes, node) if node else 1 + changes["new"]
    moved = wi.outlook_from_paths(paths, index, target, ratio=ratio, interval=result.config.interval)
    m1, m2 = st.columns(2)
    m1.metric(tr("forecastpage.with_drivers"), fmt_kpi(kpi, moved.forecast),
              delta=fmt.pct(ratio - 1, signed=True), border=True)
    m2.metric(tr("forecastpage.p_hit_drivers"), fmt.pct(moved.p_hit, 0),
              delta=tr("forecastpage.pp", n=f"{100 * (moved.p_hit - out.p_hit):+.0f}"), border=True)

    # goal-seek
    st.markdown(f"**{tr('forecastpage.seek')}**")
    if node is None:
        st.caption(tr("forecastpage.seek_none"))
        return
    s1, s2 = st.columns([1, 2])
    driver = url_choice("selectbox", tr("forecastpage.seek_driver"), dtree.DRIVERS, "paid_rate",
                        "fc_seek_driver", s1, format_func=labeller("whatif.driver."))
    goal = before[node] * target.value / out.forecast if out.forecast > 0 else float("nan")
    x = dtree.goal_seek(base, driver, goal, changes, node) if goal == goal else float("nan")
    if x != x:
        s2.warning(tr("forecastpage.seek_impossible", driver=tr(f"whatif.driver.{driver}")))
        return
    s2.success(tr("forecastpage.seek_result", driver=tr(f"whatif.driver.{driver}"),
                  change=fmt.pct(x, 1, signed=True)))
    if -0.9 <= x <= 2.0:
        s2.button(tr("forecastpage.seek_apply"), key="fc_seek_apply", on_click=_apply, args=(driver, x))
    else:
        s2.caption(tr("forecastpage.seek_out_of_range"))


def _apply(driver: str, x: float) -> None:
    st.session_state[DRIVER_KEYS[driver]] = round(100 * x, 4)


def _tree_table(before: dict, after: dict) -> pd.DataFrame:
    items = ["gmv", "active_users", *dtree.ADDITIVE, "paid_rate", "paying_users", "arppu"]

    def show(k, v):
        return fmt.pct(v, 2) if k == "paid_rate" else fmt.money(v, code, exact=k == "arppu", currency=ds.currency) \
            if k in ("gmv", "arppu") else fmt.count(round(v, 1), code)
    return pd.DataFrame({
        tr("forecastpage.tree.item"): [("　" if k in dtree.ADDITIVE else "") + tr(f"whatif.driver.{k}")
                                       for k in items],
        tr("forecastpage.tree.base"): [show(k, before[k]) for k in items],
        tr("forecastpage.tree.changed"): [show(k, after[k]) for k in items],
        tr("forecastpage.tree.change"): [fmt.pct(after[k] / before[k] - 1, 1, signed=True) if before[k] else "–"
                                         for k in items],
    })


targets_panel()

# -- lifecycle projection --------------------------------------------------------------------
st.subheader(tr("forecastpage.lc.title"))
def _lifecycle_inputs():
    month_ends = [d for d in lc.snapshot_dates(ds, "month", n=None) if pd.Timestamp(d).is_month_end]
    return wi.lifecycle_inputs(ds) if len(month_ends) >= 2 else None


with st.spinner(tr("forecastpage.lc.computing")):
    inputs = shared_result("lifecycle_inputs", ds, "", _lifecycle_inputs)
if inputs is None:
    st.info(tr("forecastpage.lc.too_short"))
else:
    months = max(1, round(horizon_days / 30))
    tier_label = {t: tr(f"lifecycle.tier.{t}") for t in lc.TIERS}
    l1, l2, l3 = st.columns(3)
    src = url_choice("selectbox", tr("forecastpage.lc.from"), lc.TIERS, "churn_warning", "fc_lc_from", l1,
                     format_func=tier_label.get)
    dst = url_choice("selectbox", tr("forecastpage.lc.to"), lc.TIERS, "active", "fc_lc_to", l2,
                     format_func=tier_label.get)
    pp = l3.slider(tr("forecastpage.lc.points"), 0, 30, 10, key="fc_lc_pp", bind="query-params",
                   format=tr("forecastpage.pp_format"))
    base_proj = wi.lifecycle_projection(inputs, months)
    better = wi.lifecycle_projection(inputs, months, wi.improve_transition(inputs.rates, src, dst, pp / 100))
    was = float(inputs.rates.loc[src, dst])
    k1, k2, k3 = st.columns(3)
    k1.metric(tr("forecastpage.lc.base_gmv", months=months), fmt.money(base_proj.total_gmv, code, currency=ds.currency), border=True)
    k2.metric(tr("forecastpage.lc.better_gmv"), fmt.money(better.total_gmv, code, currency=ds.currency),
              delta=fmt.money(better.total_gmv - base_proj.total_gmv, code, currency=ds.currency), border=True)
    k3.metric(tr("forecastpage.lc.rate"), fmt.pct(min(1.0, was + pp / 100)),
              delta=f"{tr('forecastpage.lc.was')} {fmt.pct(was)}", delta_color="off", border=True)
    st.altair_chart(charts.projection_chart(
        base_proj.gmv, better.gmv, month_title=tr("forecastpage.lc.month"), value_title=kpi_title("gmv"),
        base_label=tr("forecastpage.lc.baseline"), improved_label=tr("forecastpage.lc.improved")), width="stretch")
    sizes = better.sizes.rename(columns=tier_label).round(0)
    sizes.index = [tr("forecastpage.lc.month_n", n=i) for i in sizes.index]
    st.dataframe(sizes, width="stretch")
    st.caption(tr("forecastpage.lc.caption", n=inputs.n_pairs, new=round(inputs.new_per_month)))

# -- campaign planner ------------------------------------------------------------------------
st.subheader(tr("forecastpage.camp.title"))
if isinstance(camp_model, OpsLabError):
    st.info(tr(camp_model.code, **camp_model.params))
elif plan is None:
    st.warning(tr("forecastpage.plan.bad_dates"))
else:
    st.caption(tr("forecastpage.camp.plan_line", spend=fmt.money(plan.spend, code, currency=ds.currency), type=plan.type,
                  channel=plan.channel, start=plan.start_date, end=plan.end_date))
    pf = camp_model.predict(plan)
    cols = st.columns(6)
    for col, name in zip(cols, ("participants", "new_users", "conversions", "revenue")):
        e = pf.outcomes.get(name)
        if e is None:
            continue
        show = (lambda v: fmt.money(v, code, currency=ds.currency)) if name == "revenue" else (lambda v: fmt.count(round(v), code))
        col.metric(tr(f"campaigns.col.{name}"), show(e.mean), border=True,
                   help=tr("forecastpage.camp.interval", lower=show(e.lower), upper=show(e.upper)))
        col.caption(f"{show(e.lower)} – {show(e.upper)}")
    if pf.roi is not None:
        cols[4].metric(tr("campaigns.col.roi_label"), format_roi(pf.roi.mean), border=True)
        cols[4].caption(f"{format_roi(pf.roi.lower)} – {format_roi(pf.roi.upper)}")
    if pf.cac is not None:
        cols[5].metric(tr("campaigns.col.cac"), fmt.money(pf.cac.mean, code, exact=True, currency=ds.currency), border=True)
        cols[5].caption(f"{fmt.money(pf.cac.lower, code, currency=ds.currency)} – {fmt.money(pf.cac.upper, code, currency=ds.currency)}")
    for p in (*camp_model.warnings_, *pf.notes):
        st.caption(":material/warning: " + tr(p.code, **p.params))

    st.markdown(f"**{tr('forecastpage.camp.budget')}**")
    b1, b2 = st.columns([1, 2])
    total = b1.number_input(tr("forecastpage.camp.total"), min_value=1_000.0, value=200_000.0, step=10_000.0,
                            key="fc_budget_total", bind="query-params")
    chosen = url_multi(tr("forecastpage.camp.channels"), channels, channels[:4], "fc_budget_channels", b2)
    if chosen and "revenue" in camp_model.fits_:
        split = optimise_budget(camp_model, total, chosen, plan.type, plan.start_date, plan.end_date)
        view = pd.DataFrame({
            tr("campaigns.col.channel"): [tr(TOTAL_LABEL) if c == TOTAL_LABEL else c for c in split["channel"]],
            tr("campaigns.col.spend"): [fmt.money(v, code, currency=ds.currency) for v in split["spend"]],
            tr("campaigns.col.share"): [fmt.pct(v) for v in split["share"]],
            tr("campaigns.col.expected_revenue"): [fmt.money(v, code, currency=ds.currency) for v in split["expected_revenue"]],
            tr("campaigns.col.roi_label"): split["roi_label"],
            tr("forecastpage.camp.equal_revenue"): [fmt.money(v, code, currency=ds.currency) for v in split["equal_expected_revenue"]],
        })
        st.dataframe(view, hide_index=True, width="stretch")
        st.caption(tr("forecastpage.camp.budget_caption"))
