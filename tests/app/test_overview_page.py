"""The overview renders on the sample data and on an empty state; widgets change results."""

from __future__ import annotations

from tests.app.conftest import open_app


def _metric_values(at):
    return {m.label: m.value for m in at.metric}


def test_overview_on_sample_data_in_english():
    at = open_app("en")
    assert not at.exception
    assert at.title[0].value == "Overview"
    labels = [m.label for m in at.metric]
    for name in ("Avg. DAU", "Avg. MAU", "GMV", "ARPPU", "Paid conversion", "M1 retention", "M3 retention"):
        assert name in labels
    assert len(at.get("vega_lite_chart")) >= 5  # 4 trends + the cohort heatmap
    assert any("¥" in m.value for m in at.metric)


def test_overview_in_chinese():
    at = open_app("zh")
    assert not at.exception
    assert at.title[0].value == "数据概览"
    assert "付费转化率" in [m.label for m in at.metric]


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


def test_empty_state_offers_the_sample():
    at = open_app("en")
    at.session_state["dataset"] = None
    at.run()
    assert not at.exception
    assert any("No data loaded" in i.value for i in at.info)
    at.button(key="empty_load_sample").click().run()
    assert not at.exception
    assert at.session_state["dataset"] is not None
