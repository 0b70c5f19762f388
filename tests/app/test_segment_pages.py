"""A saved segment honoured by every screen: save one from the Overview's filter on the sample,
choose it in the sidebar, visit every analysis page, and check each page's headline figures
against the same analysis run on the segment's users only — the sample's CSV files filtered
to those users with pandas and loaded again (no OpsLab segment code), and plain pandas counts
where a figure is a count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opslab
from opslab.behaviour import experiments as ex
from opslab.core import periods
from opslab.core.i18n import t
from opslab.lifecycle import tiers as lc
from opslab.lifecycle.fit import rules_in_force
from opslab.metrics import catalogue
from opslab.models import churn
from opslab.planning import forecast_readout as readout
from opslab.planning.targets import Target
from opslab.present import formatting as fmt
from opslab.report.format import value_text
from opslab.workspace.target_store import TargetStore
from tests.app.conftest import open_app
from tests.segment_files import sample_of_channel
from ui.safe import md

pytestmark = pytest.mark.slow

CHANNEL = "抖音"
NAME = "Douyin users"
EN = "en"


@pytest.fixture(scope="module")
def segment_data(tmp_path_factory):
    """The sample's files with only the segment's users, as pandas filters them, loaded anew."""
    return sample_of_channel(CHANNEL, tmp_path_factory.mktemp("segment"))


def _segment_roi(kept, paid, period: pd.Period) -> float:
    """ROI of the segment's own revenue: its paid GMV on the days of the campaigns starting in
    ``period`` (a shared day once) over those campaigns' whole spend."""
    camp = kept["campaigns"].assign(start_date=pd.to_datetime(kept["campaigns"]["start_date"]),
                                    end_date=pd.to_datetime(kept["campaigns"]["end_date"]),
                                    spend=pd.to_numeric(kept["campaigns"]["spend"]))
    camp = camp[camp["start_date"].dt.to_period(period.freqstr[0]) == period]
    days = pd.DatetimeIndex(sorted({d for a, b in zip(camp["start_date"], camp["end_date"])
                                    for d in pd.date_range(a, b)}))
    return paid.loc[paid["order_time"].dt.normalize().isin(days), "amount"].sum() / camp["spend"].sum()


def _metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_every_screen_shows_the_segments_figures(segment_data, tmp_path, monkeypatch):
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    seg_ds, ids, kept = segment_data
    full = opslab.load_sample()
    assert seg_ds.n_users == len(ids) and (seg_ds.start, seg_ds.end) == (full.start, full.end)
    rules = rules_in_force(full)

    # -- save the Overview's filter as a segment and choose it in the sidebar -----------------
    at = open_app(EN, "views/overview.py", timeout=300)
    at.selectbox(key="ov_fdim").set_value("channel").run()
    at.multiselect(key="ov_fval").set_value([CHANNEL]).run()
    at.text_input(key="ov_seg_name").set_value(NAME).run()
    at.button(key="ov_save_segment").click().run()
    assert not at.exception
    assert any(f"({len(ids):,} users)" in s.value for s in at.success)
    at.selectbox(key="ov_fdim").set_value("").run()       # the filter off: the segment alone limits
    at.selectbox(key="seg").set_value(NAME).run()
    assert not at.exception
    banner = t("segments.banner", EN, name=md(NAME), n=fmt.count(len(ids), EN), total=fmt.count(full.n_users, EN),
               share=fmt.pct(len(ids) / full.n_users))

    def visit(page, **query):
        for k, v in query.items():
            at.query_params[k] = v
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert any(i.value == banner for i in at.info), (page, [i.value for i in at.info])
        return _metrics(at)

    # -- Overview: KPI cards, ROI of the segment's revenue, no CAC -----------------------------
    m = visit("views/overview.py")
    period = pd.Timestamp(at.selectbox(key="ov_period_month").value)
    k = opslab.kpis(seg_ds, "month").frame.loc[period]
    for name in ("dau", "gmv", "new_users", "paying_users"):
        assert m[catalogue.name(name, EN)] == fmt.kpi_value(name, k[name], EN, "CNY"), name
    orders = kept["orders"].assign(order_time=pd.to_datetime(kept["orders"]["order_time"]),
                                   amount=pd.to_numeric(kept["orders"]["amount"]))
    paid = orders[orders["status"] == "paid"]
    in_month = paid[paid["order_time"].dt.to_period("M") == period.to_period("M")]
    assert k["gmv"] == pytest.approx(in_month["amount"].sum()) and k["paying_users"] == in_month["user_id"].nunique()
    assert m[catalogue.name("roi", EN)] == fmt.kpi_value("roi", _segment_roi(kept, paid, period.to_period("M")), EN, "CNY")
    assert m[catalogue.name("cac", EN)] == fmt.kpi_value("cac", np.nan, EN, "CNY")
    assert any(c.value == t("segments.cac_none", EN) for c in at.caption)
    assert any(c.value == t("segments.campaigns_not_split", EN) for c in at.caption)

    # -- Lifecycle: every tier's users -----------------------------------------------------------
    m = visit("views/lifecycle.py")
    counts = opslab.segment(seg_ds, rules=rules).frame["tier"].value_counts()
    for tier in lc.TIERS:
        assert m[t(f"lifecycle.tier.{tier}", EN)] == fmt.count(int(counts.get(tier, 0)), EN), tier
    assert sum(int(counts.get(x, 0)) for x in lc.TIERS) <= len(ids)

    # -- Churn and CLV ---------------------------------------------------------------------------
    m = visit("views/churn.py")
    res = opslab.churn_risk(seg_ds, as_of=seg_ds.end, horizon_days=churn.DEFAULT_HORIZON, rules=rules,
                            label="activity", margin=round(churn.DEFAULT_MARGIN * 100) / 100)
    assert m[t("churn.base_rate", EN)] == fmt.pct(res.readout(0.5).base_rate)
    assert set(res.scores["user_id"].astype(str)) <= ids
    choice = next(d.value for d in at.dataframe if t("clv.choice.actual", EN) in d.value.columns)
    fit = opslab.clv(seg_ds, as_of=seg_ds.end)
    assert choice[t("clv.choice.actual", EN)].astype(float).tolist() == \
        fit.model_choice["actual"].round(0).astype(float).tolist()

    # -- Forecast: the segment's GMV forecast (the page's defaults: weekly, 91 days, CN calendar) ----
    visit("views/forecast.py")
    period_code = at.selectbox(key="fc_target_period").value
    fit = opslab.forecast(seg_ds, "gmv", grain="week", horizon_periods=periods.horizon_periods(182, "week"),
                          market="CN")
    fv = readout.forecast_view(fit, None, h=periods.horizon_periods(91, "week"))
    outlook = readout.target_view(fv, "gmv", "week", period_code).outlook
    assert _metrics(at)[t("forecastpage.baseline", EN)] == fmt.money(outlook.forecast, EN, currency="CNY")
    weekly = paid.groupby(paid["order_time"].dt.to_period("W-SUN").dt.start_time)["amount"].sum()  # weeks from Monday
    shown = fv.history[fv.history.index.isin(weekly.index)]  # the weeks the page draws: the segment's GMV
    assert len(shown) and np.allclose(shown.to_numpy(), weekly.reindex(shown.index).to_numpy())
    assert any(i.value == t("segments.planner_off", EN) for i in at.info)  # everyone's campaigns: said

    # -- Funnels and Paths: counts of people, by pandas --------------------------------------------
    ev = kept["events"]
    m = visit("views/funnels.py")
    steps = at.multiselect(key="fn_steps").value
    assert m[t("funnels.entered", EN)] == fmt.count(ev.loc[ev["event_name"] == steps[0], "user_id"].nunique(), EN)
    f = opslab.funnel(seg_ds, steps, window_days=7.0, order="ordered", start=seg_ds.start, end=seg_ds.end)
    assert m[t("funnels.converted", EN)] == fmt.count(f.steps["users"].iloc[-1], EN)
    m = visit("views/paths.py")
    event = at.selectbox(key="pt_event").value
    assert m[t("paths.users", EN, event=md(event))] == fmt.count(ev.loc[ev["event_name"] == event, "user_id"].nunique(), EN)

    # -- User lookup (Explore): a segment's user is found, anyone else is not ---------------------
    inside = paid.groupby("user_id")["amount"].sum().idxmax()
    m = visit("views/users.py", us_id=inside)
    assert m[t("users.gmv", EN, cur=fmt.symbol("CNY"))] == fmt.money(paid.loc[paid["user_id"] == inside, "amount"].sum(), EN,
                                                 exact=True, currency="CNY")
    outside = next(u for u in sorted(full.users["user_id"]) if u not in ids)
    at.text_input(key="us_id").set_value(outside).run()
    assert not at.exception and not at.metric and at.warning

    # -- A/B: the segment's assigned users only -----------------------------------------------------
    m = visit("views/experiments.py")
    assignment = kept["assignments"]
    a = opslab.ab_test(seg_ds, ex.read_assignments(assignment), metric="conversion")
    for row in a.variants.itertuples():
        n = int((assignment["variant"] == row.variant).sum())
        assert row.n == n
        assert m[f"{md(row.variant)} · n={n:,}"] == fmt.pct(row.mean)

    # -- Targets: everyone's targets, the segment's actuals ---------------------------------------
    source = at.session_state["dataset_source"]
    quarter = "2026Q3"
    targets = [Target("gmv", quarter, 30_000), Target("roi", quarter, 1.0), Target("paying_users", quarter, 100)]
    TargetStore().save(source.get("id") or source["key"], targets)
    at.session_state["tg_loaded_for"] = None
    visit("views/targets.py", tg_grain="quarter", tg_period=quarter)
    assert any(c.value == t("segments.targets_note", EN) for c in at.caption)
    status = opslab.target_status(seg_ds, targets).frame.set_index("kpi")
    table = at.table[0].value
    shown = table.set_index(t("targets.col.kpi", EN))[t("targets.col.actual", EN)]
    q3 = paid[paid["order_time"].dt.to_period("Q") == pd.Period(quarter, "Q")]
    assert status.loc["gmv", "actual"] == pytest.approx(q3["amount"].sum())
    for kpi in ("gmv", "paying_users"):
        assert shown[catalogue.name(kpi, EN)] == value_text(kpi, status.loc[kpi, "actual"], EN, "CNY"), kpi
    # the loaded files are a whole data set to OpsLab (its campaigns' own revenue): ROI by pandas
    assert shown[catalogue.name("roi", EN)] == value_text("roi", _segment_roi(kept, paid, pd.Period(quarter, "Q")),
                                                          EN, "CNY")

    # -- Report: says the segment; its KPI table is the segment's -----------------------------------
    visit("views/report.py", rp_grain="quarter", rp_period=quarter)
    cover = t("report.cover.segment", EN, name=NAME, n=f"{len(ids):,}", total=f"{full.n_users:,}",
              share=fmt.pct(len(ids) / full.n_users))
    assert any(c.value == md(cover) for c in at.caption)
    kpi = next(d.value for d in at.dataframe if t("report.col.completion", EN) in d.value.columns)
    row = kpi.set_index(t("report.col.kpi", EN)).loc[catalogue.name("gmv", EN)]
    assert row[t("report.col.actual", EN)] == value_text("gmv", q3["amount"].sum(), EN, "CNY")
    assert any(t("report.campaigns.segment", EN, campaigns="", spend="", revenue="", roi="")[:40] in x.value
               for x in at.text)

    # -- back to everyone ---------------------------------------------------------------------------
    at.selectbox(key="seg").set_value("").run()
    at.switch_page("views/overview.py").run()
    assert not at.exception and not any(i.value == banner for i in at.info)
    assert _metrics(at)[catalogue.name("gmv", EN)] == fmt.kpi_value(
        "gmv", opslab.kpis(full, "month").frame.loc[period, "gmv"], EN, "CNY")


def test_a_segment_in_the_link_reads_in_chinese_and_an_empty_one_says_why(segment_data, tmp_path, monkeypatch):
    """The sidebar's choice is in the link (``seg``); the banner and the lead cards' notes in
    Chinese; a segment none of whose users is in the data stops the page with its reason."""
    from opslab.metrics.segments import Segment
    from opslab.workspace.segment_store import SegmentStore
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    seg_ds, ids, _ = segment_data
    key = open_app("zh").session_state["dataset_source"]["key"]  # the sample's: segments are stored under it
    SegmentStore(tmp_path).save(key, Segment("抖音用户", rules={"channel": [CHANNEL]}))
    SegmentStore(tmp_path).save(key, Segment("nobody", users=["no-such-user"]))
    at = open_app("zh", None, timeout=300, query={"seg": "抖音用户"})
    assert not at.exception
    full = opslab.load_sample()
    assert any(i.value == t("segments.banner", "zh", name=md("抖音用户"), n=fmt.count(len(ids), "zh"),
                            total=fmt.count(full.n_users, "zh"), share=fmt.pct(len(ids) / full.n_users))
               for i in at.info)
    assert any(c.value == t("segments.cac_none", "zh") for c in at.caption)
    at.selectbox(key="seg").set_value("nobody").run()
    assert not at.exception and not at.metric
    assert any(w.value == t("segments.empty", "zh", name="nobody") for w in at.warning)


def test_a_link_naming_a_segment_this_data_set_lacks_says_so_without_echoing_it(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    at = open_app("en", "views/overview.py", query={"seg": "VIP [call us](https://evil.example)"}, timeout=300)
    assert not at.exception
    assert any(w.value == t("segments.not_here", EN) for w in at.warning)
    shown = [m.value for m in list(at.warning) + list(at.markdown) + list(at.caption) + list(at.info)]
    assert not any("evil" in text for text in shown)
