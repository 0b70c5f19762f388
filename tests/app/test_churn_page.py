"""The churn page renders on the sample data and on an empty state; the threshold moves the list."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from opslab.models.churn import ChurnConfig
from tests.app.conftest import open_app
from ui.models import _slot

PAGE = "views/churn.py"


def _open(lang: str = "en") -> AppTest:
    return open_app(lang, PAGE)


def _trained(at, config) -> bool:
    """Whether a model for this data set and settings sits in the shared per-data-set cache."""
    source = at.session_state["dataset_source"]
    return "value" in _slot("churn", source.get("id") or source["key"], repr(config))  # the full key


def _flagged(at) -> int:
    return len(at.dataframe[1].value) if len(at.dataframe) > 1 else 0


def test_page_renders_model_card_charts_and_list():
    at = _open("en")
    assert not at.exception
    assert at.title[0].value == "Churn risk"
    card = at.dataframe[0].value
    assert set(card.index) == {"Baseline (days since last visit)", "Logistic regression", "Gradient boosting"}
    assert card["roc_auc"].between(0.5, 1).all()
    assert len(at.get("vega_lite_chart")) >= 4  # calibration, gains, drivers, CLV histogram (+ by tier)
    labels = {m.label: m.value for m in at.metric}
    assert int(labels["Flagged now"].replace(",", "")) == _flagged(at) > 0
    reasons = at.dataframe[1].value["reasons"]
    assert reasons.str.len().gt(0).any()
    # keys are stable, the model is kept per data set and settings
    assert _trained(at, ChurnConfig())


def test_threshold_changes_the_list_and_the_validation_figures():
    at = _open("en")
    low = _flagged(at)
    precision_low = {m.label: m.value for m in at.metric}["Precision on validation"]
    at.slider(key="churn_threshold").set_value(0.85).run()
    assert not at.exception
    high = _flagged(at)
    assert high < low
    assert {m.label: m.value for m in at.metric}["Precision on validation"] != precision_low


def test_tier_filter_and_horizon_switch():
    at = _open("zh")
    assert not at.exception
    assert at.title[0].value == "流失预警"
    before = _flagged(at)
    at.multiselect(key="churn_tiers").set_value(["churn_warning"]).run()
    assert not at.exception
    tiers = set(at.dataframe[1].value["tier"]) if _flagged(at) else set()
    assert tiers <= {"流失预警用户"} and _flagged(at) <= before
    at.segmented_control(key="churn_horizon").set_value("7").run()
    assert not at.exception
    assert _trained(at, ChurnConfig(horizon=7))
    assert _trained(at, ChurnConfig(horizon=14))


def test_empty_state():
    at = open_app("en", PAGE)
    at.session_state["dataset"] = None
    at.run()
    assert not at.exception
    assert any("No data loaded" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")
