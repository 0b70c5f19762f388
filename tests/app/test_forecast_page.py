"""AppTest of the Forecast & what-if page: every figure on it equals the engine function's
(opslab.models.forecast.forecast, opslab.planning.forecast_readout, the campaign planner), losses read
as losses, goal-seek respects each lever's range, the calendar switch and the rules in force
reach the engine, URL parameters restore the view, and the empty state renders.

Each test opens its own app (no shared, mutated fixture)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

import pytest

from opslab.present import formatting as fmt
from opslab.planning import forecast_readout as readout
from opslab.lifecycle import tiers as lc
from opslab.core.i18n import t
from opslab.dataset import load as loader
from opslab.metrics import catalogue
from opslab.models import campaign_planner as planner
from opslab.models.campaigns import CampaignPlan, CampaignResponseModel
from tests.number_style import shown_cells
from opslab.models.forecast import MODELS, forecast
from opslab.planning.completion import target_status
from opslab.planning.targets import Target
from tests.app.conftest import open_app

pytestmark = pytest.mark.slow
PAGE = "views/forecast.py"
CURRENCY = "CNY"  # the sample states its amounts in yuan (ds.currency)


def metric(at, key: str):
    label = t(key, "en")
    found = [m for m in at.metric if m.label == label]
    assert found, [m.label for m in at.metric]
    return found[0]


def texts(elements) -> list[str]:
    return [e.value for e in elements]


@pytest.fixture(autouse=True)
def own_targets(monkeypatch, tmp_path):
    """Each test starts with no saved targets (a target typed on the page is saved)."""
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))


@pytest.fixture(scope="module")
def ds():
    return loader.load_sample()


def test_first_visit_figures_equal_the_engine(ds):
    at = open_app("en", PAGE)
    assert not at.exception
    assert len(at.get("vega_lite_chart")) >= 2  # forecast, projection (the outcome histogram needs a target)
    res = forecast(ds, "gmv", "week", 13)  # the page's defaults: weekly GMV, 91 days
    fv = readout.forecast_view(res)
    period = readout.target_periods(fv, "week", ds.end)[0]
    tv = readout.target_view(fv, "gmv", "week", period)
    # every candidate's backtest error, not only the winner's
    table = at.dataframe[0].value
    summ = res.backtest_summary
    assert len(table) == len(summ) == len(MODELS) == 7
    mase = table[t("forecastpage.bt.mase", "en")]
    assert mase.tolist() == pytest.approx(summ["mase"].tolist(), rel=1e-3)  # ARIMA's optimiser: ~1e-5 run to run
    assert shown_cells(at.dataframe[0])[t("forecastpage.bt.mase", "en")] == [f"{x:.3f}" for x in mase]
    assert table[t("forecastpage.bt.model", "en")].tolist() == [t(f"forecast.model.{m}", "en")
                                                                 for m in summ.index]
    caption = " ".join(texts(at.caption))
    assert t(f"forecast.model.{res.model_name}", "en") in caption
    assert t("forecastpage.calendar.CN", "en") in caption  # CNY sample: Chinese calendar on
    assert at.selectbox(key="fc_target_period").value == period.code
    assert metric(at, "forecastpage.baseline").value == fmt.money(tv.outlook.forecast, "en", currency=CURRENCY)
    # no target saved: the page asks for one and shows no odds (no "forecast + 10 %")
    assert at.number_input(key=f"fc_target_gmv_{period.code}").value is None
    assert t("forecastpage.p_hit", "en") not in [m.label for m in at.metric]
    assert t("forecastpage.ask_target", "en", kpi="GMV", period=period.code) in texts(at.info)
    # the lifecycle box's baseline is the GMV forecast of the same three months (one daily
    # fit summed per month), not a second, different next-quarter GMV
    months = forecast(ds, "gmv", "month", 3)
    assert months.model_name == res.model_name
    base_label = t("forecastpage.lc.base_gmv", "en", months=3)
    assert [m.value for m in at.metric if m.label == base_label] == [fmt.money(months.forecast().sum(), "en", currency=CURRENCY)]
    assert t("forecastpage.lc.anchored", "en", model=t(f"forecast.model.{res.model_name}", "en"),
             own=fmt.money(readout.lifecycle_view(readout.lifecycle_inputs(ds, lc.LifecycleRules()), 3,
                                                  "churn_warning", "active", 0.1).baseline.total_gmv,
                           "en", currency=CURRENCY)) in caption
    # a gain reads as a gain (green, up); the loss case is test_lifecycle_loss_is_shown_as_a_loss
    gain = metric(at, "forecastpage.lc.better_gmv")
    assert gain.delta.startswith("+¥") and gain.proto.color == gain.proto.MetricColor.GREEN
    assert gain.proto.direction == gain.proto.MetricDirection.UP
    # the campaign model's leave-one-out accuracy is shown with the engine's figures
    model = CampaignResponseModel().fit(ds.campaigns)
    acc = model.accuracy_["revenue"]
    assert t("forecastpage.camp.accuracy", "en", error=fmt.pct(acc.error, 0),
             coverage=fmt.pct(acc.coverage, 0), pct=80, n=acc.n) in caption


def test_target_moves_p_hit(ds):
    at = open_app("en", PAGE)
    # one fit serves every horizon: a shorter one only simulates fewer weeks
    from ui.models import shared_by_key
    source = at.session_state["dataset_source"]
    key = source.get("id") or source["key"]  # shared results are keyed on the full key only

    def cached(settings: str):  # the shared result the page stored; fails if it was never computed
        return shared_by_key("forecast", key, settings, lambda: pytest.fail(f"no shared forecast {settings}"))
    fitted = cached("gmv:week:26:CN")
    before = metric(at, "forecastpage.baseline").value
    at.selectbox(key="fc_horizon").set_value(56).run()  # 8 weeks: November is the one period it reaches
    assert not at.exception and metric(at, "forecastpage.baseline").value != before
    assert cached("gmv:week:26:CN") is fitted
    fv = readout.forecast_view(fitted, h=8)
    period = at.selectbox(key="fc_target_period").value
    tv = readout.target_view(fv, "gmv", "week", period)
    assert metric(at, "forecastpage.baseline").value == fmt.money(tv.outlook.forecast, "en", currency=CURRENCY)
    box = f"fc_target_gmv_{period}"
    at.number_input(key=box).set_value(1.0).run()
    assert not at.exception and metric(at, "forecastpage.p_hit").value == "100.0%"
    at.number_input(key=box).set_value(1e12).run()
    assert metric(at, "forecastpage.p_hit").value == "0.0%"
    # the typed target is the user's calendar target, saved where the Targets page reads it
    from opslab.workspace.target_store import TargetStore
    from ui.state import dataset_key  # noqa: F401 - the key the page used is in the session
    stored = [x for x in TargetStore().load(key) if x.kpi == "gmv" and x.period == period]
    assert [x.value for x in stored] == [1e12]
    was = metric(at, "forecastpage.with_drivers").value
    at.slider(key="fc_driver_new").set_value(20.0).run()
    assert not at.exception and metric(at, "forecastpage.with_drivers").value != was


def test_goal_seek_within_each_levers_range(ds):
    at = open_app("en", PAGE)
    from opslab.planning import driver_tree as dtree
    base = dtree.driver_base(ds, "month")
    top = min(200.0, 100 * (1 / base.paid_rate - 1))
    assert at.slider(key="fc_driver_paid_rate").max == pytest.approx(top)  # a rate stays <= 100 %
    # the test sets a target (the page never makes one up): 10 % above the period's forecast
    period = at.selectbox(key="fc_target_period").value
    fitted = readout.forecast_view(forecast(ds, "gmv", "week", 13))
    goal = 1.1 * readout.target_view(fitted, "gmv", "week", period).outlook.forecast
    at.number_input(key=f"fc_target_gmv_{period}").set_value(goal).run()
    # the best-ranked lever is preselected; applying it puts the adjusted mean on the target
    levers = at.dataframe[2].value
    names = [catalogue.name(d, "en") if d in catalogue.KPIS else t(f"whatif.driver.{d}", "en") for d in dtree.DRIVERS]
    assert at.selectbox(key="fc_seek_driver").value == dtree.DRIVERS[names.index(levers.iloc[0, 0])]
    at.button(key="fc_seek_apply").click().run()
    assert not at.exception
    p = float(metric(at, "forecastpage.p_hit_drivers").value.rstrip("%"))
    assert 30 <= p <= 70
    # a target far out of reach: the paid rate alone cannot get there
    at.number_input(key=f"fc_target_gmv_{period}").set_value(base.gmv * 1e3).run()
    at.selectbox(key="fc_seek_driver").set_value("paid_rate").run()
    assert t("forecastpage.seek.out_of_range", "en", driver=catalogue.name("paid_rate", "en"),
             top=fmt.pct(1 / base.paid_rate - 1, 1, signed=True)) in texts(at.warning)
    assert t("forecastpage.lever.status.out_of_range", "en") in at.dataframe[2].value.iloc[:, 2].tolist()


def test_lifecycle_loss_is_shown_as_a_loss(ds):
    query = {"fc_lc_from": "high_value", "fc_lc_to": "churned", "fc_lc_pp": "30"}
    at = open_app("en", PAGE, query=query)
    assert not at.exception
    inputs = readout.lifecycle_inputs(ds, lc.LifecycleRules())
    lv = readout.lifecycle_view(inputs, 3, "high_value", "churned", 0.30,
                                forecast(ds, "gmv", "month", 3).forecast())
    assert lv.gain < 0 and lv.anchored
    m = metric(at, "forecastpage.lc.better_gmv")
    assert m.delta == fmt.signed_money(lv.gain, "en", currency=CURRENCY) and m.delta.startswith("-¥")
    assert m.proto.color == m.proto.MetricColor.RED and m.proto.direction == m.proto.MetricDirection.DOWN


def test_projection_uses_the_rules_in_force(ds):
    at = open_app("en", PAGE, query={"lc_churn_days": "90"})
    assert not at.exception
    caption = " ".join(texts(at.caption))
    assert "churned after 90 idle days" in caption
    rules = lc.LifecycleRules(churn_days=90)
    inputs = readout.lifecycle_inputs(ds, rules)
    default = readout.lifecycle_inputs(ds, lc.LifecycleRules())
    assert inputs.start_sizes["churned"] != default.start_sizes["churned"]
    sizes = next(d.value for d in at.dataframe if t("lifecycle.tier.churned", "en") in d.value.columns)
    assert sizes[t("lifecycle.tier.churned", "en")].iloc[0] == round(inputs.start_sizes["churned"])


def test_calendar_switch_reaches_the_engine(ds):
    at = open_app("en", PAGE, query={"fc_market": "none"})
    assert not at.exception
    assert t("forecastpage.calendar.none", "en") in " ".join(texts(at.caption))
    summ = forecast(ds, "gmv", "week", 13, market=None).backtest_summary
    table = at.dataframe[0].value
    assert table[t("forecastpage.bt.mase", "en")].tolist() == pytest.approx(summ["mase"].tolist(), rel=1e-3)


def test_planner_and_forecast_agree_on_a_campaign(ds):
    at = open_app("en", PAGE, query={"fc_plan_include": "true", "fc_plan_spend": "3000"})
    assert not at.exception
    res = forecast(ds, "gmv", "week", 13)
    first = res.future_index()[0].date()
    types = sorted(ds.campaigns["type"].dropna().astype(str).unique())
    channels = sorted(ds.campaigns["channel"].dropna().astype(str).unique())
    plan = CampaignPlan(3000.0, types[0], channels[0], first + dt.timedelta(days=14),
                        first + dt.timedelta(days=20))
    model = CampaignResponseModel().fit(ds.campaigns)
    ro = planner.plan_readout(model, plan)
    revenue = fmt.money(ro.forecast.revenue.mean, "en", currency=CURRENCY)
    assert metric(at, "campaigns.col.revenue").value == revenue
    assert t("forecastpage.plan.effect_line", "en", value=revenue) in texts(at.caption)
    verdict = t(f"forecastpage.camp.verdict.{ro.verdict}", "en",
                profit=fmt.signed_money(ro.profit, "en", currency=CURRENCY), even=fmt.money(ro.break_even_spend, "en", currency=CURRENCY),
                best=fmt.money(ro.best_spend, "en", currency=CURRENCY), best_profit=fmt.signed_money(ro.best_profit or 0.0, "en", currency=CURRENCY))
    assert verdict in texts(at.error) + texts(at.warning) + texts(at.success) + texts(at.info)
    # the target period's forecast carries the campaign on its own days (the daily paths)
    future = res.future_index()
    days = planner.campaign_effect(model, plan, pd.date_range(future[0], future[-1] + pd.Timedelta(days=6)), "day")
    fv = readout.forecast_view(res, planner.campaign_effect(model, plan, future, "week"), day_effect=days)
    period = readout.target_periods(fv, "week", ds.end)[0]
    plain = readout.target_view(readout.forecast_view(res), "gmv", "week", period).outlook.forecast
    tv = readout.target_view(fv, "gmv", "week", period)
    in_period = float(days[(days.index >= pd.Timestamp(period.start)) & (days.index <= pd.Timestamp(period.end))].sum())
    assert tv.outlook.forecast == pytest.approx(plain + in_period, rel=1e-9)
    assert metric(at, "forecastpage.baseline").value == fmt.money(tv.outlook.forecast, "en", currency=CURRENCY)


def test_query_params_restore_view_and_daily_dau():
    at = open_app("en", PAGE, query={"fc_horizon": "56", "fc_driver_arppu": "5.0",
                                     "fc_kpi": "dau", "fc_grain": "day"})
    assert not at.exception
    assert at.selectbox(key="fc_horizon").value == 56
    assert at.slider(key="fc_driver_arppu").value == 5.0
    assert at.selectbox(key="fc_kpi").value == "dau"


def test_quarter_grain_shows_the_same_quarter_as_the_days(ds):
    # the quarter view of the page: its baseline (two quarters: Q4 2026 begun, Q1 2027) is
    # the engine's quarter view, whose Q1 equals the sum of the daily forecast's 90 days
    at = open_app("en", PAGE, query={"fc_grain": "quarter", "fc_horizon": "182"})
    assert not at.exception
    res = forecast(ds, "gmv", "quarter", 2)
    fv = readout.forecast_view(res, h=2)
    period = readout.target_periods(fv, "quarter", ds.end)[0]  # the calendar target period shown first
    assert period.code == "2026Q4" and at.selectbox(key="fc_target_period").value == "2026Q4"
    tv = readout.target_view(fv, "gmv", "quarter", period)
    assert metric(at, "forecastpage.baseline").value == fmt.money(tv.outlook.forecast, "en", currency=CURRENCY)
    # one Q4: the chart's first quarter (October as it happened + the forecast days), the
    # target section and the Targets screen's forecast are the same figure
    assert tv.outlook.forecast == pytest.approx(fv.frame["mean"].iloc[0], rel=1e-9)
    row = target_status(ds, [Target("gmv", "2026Q4", 1.0)]).iloc[0]
    assert row["forecast"] == pytest.approx(tv.outlook.forecast, rel=1e-9)
    days = forecast(ds, "gmv", "day", 160).forecast().loc["2027-01-01":"2027-03-31"]
    assert fv.frame["mean"].iloc[1] == pytest.approx(days.sum(), rel=1e-9)
    caption = " ".join(texts(at.caption))
    assert t("forecastpage.first_period_seen", "en", days=31) in caption  # October is in


def test_empty_state():
    at = open_app("en", PAGE, dataset=None)
    assert not at.exception
    assert at.button(key="empty_load_sample")
