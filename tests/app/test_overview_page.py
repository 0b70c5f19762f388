"""The overview renders on the sample data and on an empty state; widgets change results."""

from __future__ import annotations

import pytest

from opslab.dataset.load import load_sample
from tests.app.conftest import open_app


def _metric_values(at):
    return {m.label: m.value for m in at.metric}


def test_overview_on_sample_data_in_english():
    at = open_app("en")
    assert not at.exception
    assert at.title[0].value == "Overview"
    labels = [m.label for m in at.metric]
    for name in ("Avg. DAU", "Avg. MAU", "GMV", "ARPPU", "New-user paid conversion",
                 "M1 retention (new users) (all completed cohorts)", "M3 retention (new users) (all completed cohorts)"):
        assert name in labels
    assert len(at.get("vega_lite_chart")) >= 5  # 4 trends + the cohort heatmap
    assert any("¥" in m.value for m in at.metric)


def test_overview_in_chinese():
    at = open_app("zh")
    assert not at.exception
    assert at.title[0].value == "数据概览"
    assert "新客付费转化率" in [m.label for m in at.metric]


def test_grain_switch_changes_the_figures():
    at = open_app("en")
    month = _metric_values(at)
    at.segmented_control(key="ov_grain").set_value("quarter").run()
    assert not at.exception
    quarter = _metric_values(at)
    assert month["GMV"] != quarter["GMV"]


def test_period_choice_changes_the_figures():
    at = open_app("en")
    before = _metric_values(at)["GMV"]
    assert at.selectbox(key="ov_period_month").value == "2026-10-01"  # latest complete month
    at.selectbox(key="ov_period_month").set_value("2025-08-01").run()  # the first month
    assert not at.exception
    assert _metric_values(at)["GMV"] != before


@pytest.mark.slow
def test_empty_state_offers_the_sample():
    at = open_app("en", dataset=None)
    assert not at.exception
    assert any("No data loaded" in i.value for i in at.info)
    assert not at.metric
    at.button(key="empty_load_sample").click().run()
    assert not at.exception
    assert at.session_state["dataset_source"]["kind"] == "sample"
    assert at.session_state["dataset"].n_users == load_sample().n_users
    assert "GMV" in [m.label for m in at.metric]  # the overview now shows the sample's figures


@pytest.mark.slow
def test_cards_equal_the_engine():
    """Every KPI card and the M1/M3 headline equal opslab.metrics.kpi_table' figures for the default
    period (the latest complete month), written through opslab.present.formatting."""
    from opslab.present import formatting as fmt
    from opslab.metrics import catalogue
    from opslab.metrics import kpi_table as metrics
    at = open_app("en")
    ds = load_sample()
    assert not metrics.existing_rule_switchable(ds)  # the sample has signups: no existing-users switch
    start = metrics.default_period(ds, "month")
    assert at.selectbox(key="ov_period_month").value == start.strftime("%Y-%m-%d")
    cards = metrics.kpi_cards(ds, "month", start)
    shown = {m.label: m for m in at.metric}
    for name, row in cards.iterrows():
        if name in metrics.MONEY_KPIS:
            want = fmt.money(row["value"], "en", currency=ds.currency)
        elif name in metrics.RATE_KPIS:
            want = fmt.pct(row["value"])
        else:
            want = fmt.count(row["value"], "en")
        card = shown[catalogue.name(name, "en")]
        assert card.value == want, name
        pop = row["pop_change"]
        # rates change in percentage points (a difference), amounts and counts in per cent
        if name in metrics.RATE_KPIS and pop == pop:
            assert pop == pytest.approx(row["value"] - row["previous"])
            want_delta = f"{100 * pop:+.1f} pp"
        else:
            want_delta = None if pop != pop else fmt.pct(pop, signed=True)
        assert (card.delta or None) == want_delta, name
    cohorts = metrics.cohort_retention(ds, "month", "on")
    for k in (1, 3):
        assert shown[f'{catalogue.name(f"m{k}_all", "en")} (all completed cohorts)'].value == fmt.pct(metrics.headline_retention(cohorts, k))
