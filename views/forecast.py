"""Forecast & what-if: a KPI forecast with every candidate's backtest error, the odds of a
target, the GMV driver tree with the levers that could close the gap, a lifecycle
projection under the rules in force, and the campaign planner. Settings live in the URL
(fc_* keys); every number comes from one opslab function per section."""

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from opslab.planning import driver_tree as dtree
from opslab.present import formatting as fmt
from opslab.planning import forecast_readout as readout
from opslab.metrics import kpi_series as ks
from opslab.lifecycle import tiers as lc
from opslab.core import periods
from opslab.present.charts import forecast as charts
from opslab.models import campaign_planner as planner
from opslab.models.campaigns import CampaignPlan
from opslab.models.forecast import BASELINES, default_market, forecast
from opslab.core.problems import OpsLabError
from opslab.metrics import catalogue
from opslab.planning.targets import Target
from opslab.workspace.target_store import TargetStore
from ui import campaign_panel
from ui.models import shared_result
from ui.labels import driver_label, driver_labeller
from ui.state import dataset_key, labeller, lang, rules, tr, translator
from ui.url_state import url_choice
from ui.widgets import page_start

ds = page_start("forecastpage")

code = lang()
HORIZONS = (28, 56, 91, 182)
MIN_DAYS = 28
MARKETS = ("CN", "none")
DRIVER_KEYS = {d: f"fc_driver_{d}" for d in dtree.DRIVERS}


def kpi_title(kpi: str) -> str:
    """The KPI's name; for money, with the data set's currency ("GMV ($)") on axes and tooltips."""
    name = catalogue.series_name(kpi, code)
    return fmt.money_title(name, ds.currency) if kpi == "gmv" else name


def show(kpi: str, x: float) -> str:
    return fmt.money(x, code, currency=ds.currency) if kpi == "gmv" else fmt.count(round(x, 1), code)


# -- settings -----------------------------------------------------------------------------
c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
# without a buyer id only orders and money can be forecast: no series counted from anonymous orders
series = ks.KPIS if ds.buyers_known else tuple(
    k for k in ks.KPIS if not catalogue.needs_buyers(catalogue.SERIES.get(k, k)))
kpi = url_choice("selectbox", tr("forecastpage.kpi"), series, "gmv", "fc_kpi", c1,
                 format_func=lambda k, c=code: catalogue.series_name(k, c))
if not ds.buyers_known:
    st.caption(tr("overview.no_buyers_help"))
grain = url_choice("segmented_control", tr("forecastpage.grain"), periods.GRAINS, "week", "fc_grain", c2,
                   format_func=labeller("forecastpage.grain."))
horizon_days = url_choice("selectbox", tr("forecastpage.horizon"), HORIZONS, 91, "fc_horizon", c3,
                          format_func=lambda d, T=translator(): T("forecastpage.horizon_days", days=d))
market = url_choice("segmented_control", tr("forecastpage.market"), MARKETS, default_market(ds) or "none",
                    "fc_market", c4, format_func=labeller("forecastpage.market."),
                    help=tr("forecastpage.market_help"))
st.caption(tr("forecastpage.link_hint"))

n_days = len(ks.kpi_series(ds, kpi, "day"))  # one daily fit serves every grain
if n_days < MIN_DAYS:
    st.info(tr("forecastpage.too_short_days", n=n_days, min=MIN_DAYS))
    st.stop()
h = periods.horizon_periods(horizon_days, grain)


def _fit_status(fit):
    with st.status(tr("forecastpage.fitting"), expanded=False) as status:
        fitted = fit()
        status.update(label=tr("forecastpage.fitted", seconds=fmt.number(fitted.fit_seconds, 1)), state="complete")
    return fitted


# One daily fit per KPI and calendar (memoised on the data set, shared with Targets and the
# report); the grain only sums its sample paths per period, so every grain agrees.
longest = periods.horizon_periods(max(HORIZONS), grain)
result = shared_result("forecast", ds, f"{kpi}:{grain}:{longest}:{market}",
                       lambda: forecast(ds, kpi, grain, longest, market=None if market == "none" else market),
                       _fit_status)
future = result.future_index(h)

# -- planned campaign (enters the forecast through the planner's own effect) -----------------
campaigns = ds.campaigns if ds.campaigns is not None else pd.DataFrame()


camp_model = shared_result("campaigns", ds, "", lambda: campaign_panel.fit_campaigns(ds))
types = sorted(campaigns["type"].dropna().astype(str).unique()) if "type" in campaigns else []
channels = sorted(campaigns["channel"].dropna().astype(str).unique()) if "channel" in campaigns else []
with st.expander(tr("forecastpage.plan.title"), icon=":material/campaign:"):
    st.caption(tr("forecastpage.plan.help"))
    p1, p2, p3 = st.columns(3)
    typical = planner.typical_spend(campaigns)  # the median past campaign
    plan_spend = p1.number_input(tr("forecastpage.plan.spend"), min_value=100.0, value=typical,
                                 step=max(100.0, typical / 10), key="fc_plan_spend", bind="query-params")
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
has_model = not isinstance(camp_model, OpsLabError)
effect = day_effect = None
if plan is not None and plan_in_fc and has_model:
    effect = planner.campaign_effect(camp_model, plan, future, grain, kpi)
    # the same effect by day, for the daily paths a calendar target period is read from
    day_effect = planner.campaign_effect(
        camp_model, plan, pd.date_range(future[0], periods.period_end(future[-1], grain), freq="D"), "day", kpi)

# -- forecast chart and every candidate's backtest error -----------------------------------
fv = readout.forecast_view(result, effect, h=h, day_effect=day_effect)
st.subheader(tr("forecastpage.chart_title", kpi=catalogue.series_name(kpi, code)))
st.altair_chart(charts.forecast_chart(
    fv.history, fv.frame, date_title=tr("forecastpage.date"), value_title=kpi_title(kpi),
    history_label=tr("forecastpage.history"), forecast_label=tr("forecastpage.forecast"),
    band_label=tr("forecastpage.band", pct=round(100 * fv.interval))), width="stretch")
st.caption(tr("forecastpage.chart_caption", model=tr(f"forecast.model.{fv.model}"),
              seconds=fmt.number(fv.fit_seconds, 1), pct=round(100 * fv.interval))
           + " " + tr(f"forecastpage.calendar.{fv.market or 'none'}"))
if effect is not None:
    st.caption(tr("forecastpage.plan.effect_line", value=show(kpi, float(fv.frame["effect"].sum()))))
for p in fv.notes:  # a model named in a note is shown by its translated name
    st.info(tr(p.code, **{**p.params, **({"model": tr(f"forecast.model.{p.params['model']}")} if "model" in p.params else {})}))
seen = result.days_seen(h)
if grain != "day" and seen.iloc[0] > 0:
    st.caption(tr("forecastpage.first_period_seen", days=int(seen.iloc[0])))
check = result.plausibility(h)
if check.capped:
    st.info(tr("forecastpage.capped", share=fmt.pct(check.share_capped, 0),
               before=show(kpi, check.forecast_before), best=show(kpi, check.best_run),
               limit=show(kpi, check.limit), days=check.periods))

with st.expander(tr("forecastpage.backtest"), icon=":material/science:", expanded=fv.model in BASELINES):
    if fv.candidates.empty:
        st.info(tr("forecast.summary.no_backtest"))
    else:
        st.dataframe(fmt.table(pd.DataFrame({
            tr("forecastpage.bt.model"): [tr(f"forecast.model.{m}") for m in fv.candidates["model"]],
            tr("forecastpage.bt.kind"): [tr("forecastpage.bt.baseline" if b else "forecastpage.bt.fitted_model")
                                         for b in fv.candidates["baseline"]],
            tr("forecastpage.bt.smape"): fv.candidates["smape"].to_numpy(),
            tr("forecastpage.bt.mase"): fv.candidates["mase"].to_numpy(),
            tr("forecastpage.bt.chosen"): fv.candidates["chosen"].to_numpy(),
        }), {tr("forecastpage.bt.smape"): "decimal", tr("forecastpage.bt.mase"): "score"}, code),
            hide_index=True, width="stretch")
        st.caption(tr("forecastpage.bt.caption", scale=fmt.number(result.interval_scale, 2)))


# -- target, driver tree and levers -------------------------------------------------------------
@st.fragment
def targets_panel():
    st.subheader(tr("forecastpage.targets"))
    # No invented targets: the calendar target the user set (the Targets page's store), or ask.
    target_kpi = readout.TARGET_KPI.get(kpi)
    options = readout.target_periods(fv, grain, ds.end)
    if target_kpi is None or not options:
        st.info(tr("forecastpage.no_target_kpi", kpi=catalogue.series_name(kpi, code)) if target_kpi is None
                else tr("forecastpage.no_target_period"))
        return
    key, store = dataset_key(), TargetStore()
    saved, version = store.load_versioned(key) if key else ([], 0)  # a notebook's data set keeps none
    mine = {t.period: t for t in saved if t.kpi == target_kpi}
    codes = [p.code for p in options]
    first = next((c for c in codes if c in mine), codes[0])
    t0, t1 = st.columns([1, 1])
    period = url_choice("selectbox", tr("forecastpage.target_period"), codes, first, "fc_target_period", t0)
    target = mine.get(period)
    value = t1.number_input(tr(f"forecastpage.target_{'mean' if target_kpi == 'dau_avg' else 'sum'}"),
                            min_value=0.0, value=None if target is None else float(target.value),
                            key=f"fc_target_{target_kpi}_{period}",
                            help=tr("forecastpage.target_saved_help"))
    if value is not None and (target is None or float(value) != target.value):
        target = Target(target_kpi, period, float(value))
        if key:  # this one edit applied to the newest file: a teammate's other targets are kept
            try:
                store.update(key, saved, [t for t in saved if (t.kpi, t.period) != (target.kpi, target.period)]
                             + [target], version)
            except OpsLabError as err:  # a teammate changed this very target meanwhile: theirs is shown
                st.error(tr(err.code, **err.params))
                target = next((t for t in store.load(key) if (t.kpi, t.period) == (target_kpi, period)), None)
        st.session_state.pop("tg_loaded_for", None)  # the Targets page reloads the store
    tv = readout.target_view(fv, kpi, grain, period, target)
    st.caption(tr(f"forecastpage.target_help_{tv.agg}", start=tv.start, end=tv.end))
    out = tv.outlook
    t2, t3, t4 = st.columns(3)
    t2.metric(tr("forecastpage.baseline"), show(kpi, out.forecast), border=True,
              help=tr("forecastpage.baseline_help", lower=show(kpi, out.lower), upper=show(kpi, out.upper),
                      pct=round(100 * fv.interval)))
    if target is None:
        st.info(tr("forecastpage.ask_target", kpi=catalogue.name(target_kpi, code), period=period))
    else:
        t3.metric(tr("forecastpage.gap"), show(kpi, out.gap), border=True, help=tr("forecastpage.gap_help"))
        t4.metric(tr("forecastpage.p_hit"), fmt.pct(out.p_hit), border=True,
                  help=tr("forecastpage.p_hit_help", n=len(fv.paths)))
        st.altair_chart(charts.outcome_histogram(out.totals, out.target.value, value_title=kpi_title(kpi),
                                                 count_title=tr("forecastpage.paths")), width="stretch")

    st.markdown(f"**{tr('forecastpage.drivers')}**")
    if not ds.buyers_known:  # active users, paid rate and ARPPU count customers: none to count
        st.info(tr("forecastpage.no_buyers_drivers"))
        return
    base_grain = url_choice("segmented_control", tr("forecastpage.base_grain"), ("month", "quarter"),
                            "month", "fc_base_grain", format_func=labeller("forecastpage.grain."))
    base = dtree.driver_base(ds, base_grain)
    if base.gmv <= 0 or base.active_users <= 0:
        st.info(tr("forecastpage.no_base"))
        return
    st.caption(tr("forecastpage.drivers_help", start=base.start, end=base.end))
    changes = {}
    for col, d in zip(st.columns(len(dtree.DRIVERS)), dtree.DRIVERS):
        top = min(200.0, 100 * dtree.lever_range(base, d)[1])  # a rate cannot pass 100 %
        if st.session_state.get(DRIVER_KEYS[d], 0.0) > top:
            st.session_state[DRIVER_KEYS[d]] = top
        changes[d] = col.slider(driver_label(d), -90.0, max(top, 0.0), 0.0, 0.5, format="%+.1f%%",
                                key=DRIVER_KEYS[d], bind="query-params") / 100
    dv = readout.driver_view(ds, fv, tv, kpi, changes, base_grain)
    tree = dv.tree
    st.dataframe(pd.DataFrame({
        tr("forecastpage.tree.item"): [("　" if k in dtree.ADDITIVE else "") + driver_label(k)
                                       for k in tree["item"]],
        tr("forecastpage.tree.base"): [_driver_value(k, v) for k, v in zip(tree["item"], tree["base"])],
        tr("forecastpage.tree.changed"): [_driver_value(k, v) for k, v in zip(tree["item"], tree["changed"])],
        tr("forecastpage.tree.change"): [fmt.pct(v, 1, signed=True) for v in tree["change"]],
    }), hide_index=True, width="stretch")
    m1, m2 = st.columns(2)
    m1.metric(tr("forecastpage.with_drivers"), show(kpi, dv.moved.forecast),
              delta=fmt.pct(dv.ratio - 1, signed=True), border=True)
    moved = dv.moved.p_hit - out.p_hit  # NaN without a target: no chance to compare
    m2.metric(tr("forecastpage.p_hit_drivers"), fmt.pct(dv.moved.p_hit),
              delta=tr("forecastpage.pp", n=fmt.points(moved)) if np.isfinite(moved) else None, border=True)

    st.markdown(f"**{tr('forecastpage.seek')}**")
    if dv.node is None:
        st.caption(tr("forecastpage.seek_none"))
        return
    lv = dv.levers
    if tv.target is None:  # goal-seek needs the user's target
        st.caption(tr("forecastpage.seek_needs_target"))
        return
    st.dataframe(pd.DataFrame({
        tr("forecastpage.lever.lever"): [driver_label(x) for x in lv["lever"]],
        tr("forecastpage.lever.change"): [fmt.pct(x, 1, signed=True) for x in lv["change"]],
        tr("forecastpage.lever.status"): [tr(f"forecastpage.lever.status.{s}") for s in lv["status"]],
        tr("forecastpage.lever.typical"): [fmt.pct(x, 1) for x in lv["typical_move"]],
        tr("forecastpage.lever.effort"): [tr("forecastpage.lever.times", x=fmt.number(x, 1)) if x == x else "–"
                                          for x in lv["effort"]],
    }), hide_index=True, width="stretch")
    st.caption(tr("forecastpage.lever.caption", start=base.start, end=base.end))
    s1, s2 = st.columns([1, 2])
    best = lv["lever"].iloc[0]
    driver = url_choice("selectbox", tr("forecastpage.seek_driver"), dtree.DRIVERS, best,
                        "fc_seek_driver", s1, format_func=driver_labeller())
    row = lv.set_index("lever").loc[driver]
    if row["status"] != "ok":
        s2.warning(tr(f"forecastpage.seek.{row['status']}", driver=driver_label(driver),
                      top=fmt.pct(row["max_change"], 1, signed=True)))
        return
    s2.success(tr("forecastpage.seek_result", driver=driver_label(driver),
                  change=fmt.pct(row["change"], 1, signed=True)))
    if -0.9 <= row["change"] <= 2.0:
        s2.button(tr("forecastpage.seek_apply"), key="fc_seek_apply", on_click=_apply, args=(driver, row["change"]))
    else:
        s2.caption(tr("forecastpage.seek_out_of_range"))


def _driver_value(item: str, v: float) -> str:
    if item == "paid_rate":
        return fmt.pct(v)
    if item in ("gmv", "arppu"):
        return fmt.money(v, code, exact=item == "arppu", currency=ds.currency)
    return fmt.count(round(v, 1), code)


def _apply(driver: str, x: float) -> None:
    st.session_state[DRIVER_KEYS[driver]] = round(100 * x, 4)


targets_panel()

# -- lifecycle projection under the rules in force ---------------------------------------------
st.subheader(tr("forecastpage.lc.title"))
lc_rules = rules()  # the rules in force on Lifecycle (one rule set for every page)
inputs = None
if not ds.buyers_known:  # tiers follow customers from month to month: no buyer id, none to follow
    st.info(tr("forecastpage.lc.no_buyers"))
else:
    with st.spinner(tr("forecastpage.lc.computing")):
        inputs = shared_result("lifecycle_inputs", ds, repr(lc_rules), lambda: readout.lifecycle_inputs(ds, lc_rules))
    if inputs is None:
        st.info(tr("forecastpage.lc.too_short"))
if inputs is not None:
    tier_label = {t: tr(f"lifecycle.tier.{t}") for t in lc.TIERS}
    l1, l2, l3 = st.columns(3)
    src = url_choice("selectbox", tr("forecastpage.lc.from"), lc.TIERS, "churn_warning", "fc_lc_from", l1,
                     format_func=tier_label.get)
    dst = url_choice("selectbox", tr("forecastpage.lc.to"), lc.TIERS, "active", "fc_lc_to", l2,
                     format_func=tier_label.get)
    pp = l3.slider(tr("forecastpage.lc.points"), 0, 30, 10, key="fc_lc_pp", bind="query-params",
                   format=tr("forecastpage.pp_format"))
    months = max(1, round(horizon_days / 30))
    gmv_months = shared_result("forecast", ds, f"gmv:month:{months}:{market}",
                               lambda: forecast(ds, "gmv", "month", months,
                                                market=None if market == "none" else market))
    lv = readout.lifecycle_view(inputs, months, src, dst, pp / 100, gmv_months.forecast())
    k1, k2, k3 = st.columns(3)
    k1.metric(tr("forecastpage.lc.base_gmv", months=months), fmt.money(lv.baseline_gmv.sum(), code, currency=ds.currency), border=True)
    k2.metric(tr("forecastpage.lc.better_gmv"), fmt.money(lv.improved_gmv.sum(), code, currency=ds.currency),
              delta=fmt.signed_money(lv.gain, code, currency=ds.currency), border=True)  # a loss shows red, arrow down
    k3.metric(tr("forecastpage.lc.rate"), fmt.pct(lv.rate_after),
              delta=f"{tr('forecastpage.lc.was')} {fmt.pct(lv.rate_before)}", delta_color="off",
              delta_arrow="off", border=True)
    st.caption(tr("forecastpage.lc.anchored", model=tr(f"forecast.model.{gmv_months.model_name}"),
                  own=fmt.money(lv.baseline.total_gmv, code, currency=ds.currency))
               if lv.anchored else tr("forecastpage.lc.not_anchored"))
    st.altair_chart(charts.projection_chart(
        lv.baseline_gmv, lv.improved_gmv, month_title=tr("forecastpage.lc.month"), value_title=kpi_title("gmv"),
        base_label=tr("forecastpage.lc.baseline"), improved_label=tr("forecastpage.lc.improved")), width="stretch")
    sizes = lv.improved.sizes.rename(columns=tier_label).round(0)
    sizes.index = [tr("forecastpage.lc.month_n", n=i) for i in sizes.index]
    st.dataframe(fmt.table(sizes, dict.fromkeys(sizes.columns, "count"), code), width="stretch")
    st.caption(tr("forecastpage.lc.caption", n=inputs.n_pairs, new=round(inputs.new_per_month),
                  churn=lc_rules.churn_days, warning=lc_rules.warning_days))

# -- campaign planner (ui/campaign_panel.py) ----------------------------------------------------
campaign_panel.planner_section(ds, camp_model, plan, typical, channels, code)
