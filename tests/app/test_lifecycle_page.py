"""AppTest of the lifecycle page: sample data, empty state, and rules that move the counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opslab
from opslab.present import formatting as fmt
from opslab.lifecycle import tiers as lc
from opslab.core.i18n import t
from opslab.dataset import load as loader
from tests.app.conftest import open_app

PAGE = "views/lifecycle.py"


@pytest.fixture
def page():
    """A fresh Lifecycle page for each test: tests change its widgets."""
    return open_app("en", PAGE)


def tier_metrics(at) -> list[str]:
    return [m.value for m in at.metric][:len(lc.TIERS)]


@pytest.mark.slow
def test_renders_on_sample_data(page):
    assert not page.exception
    assert len(page.metric) >= len(lc.TIERS)
    assert len(page.get("vega_lite_chart")) >= 4  # area, transitions, four-state, RFM
    assert page.number_input(key="lc_churn_days").value == 30
    counts = [int(v.replace(",", "")) for v in tier_metrics(page)]
    assert sum(counts) == loader.load_sample().n_users  # every sample user is registered by its end


@pytest.mark.slow
def test_tier_counts_equal_the_engine(page):
    """The eight tier cards (count, share of all users) equal opslab.segment on the same data,
    as of its last day, under the rules in force."""
    ds = loader.load_sample()
    tiers = opslab.segment(ds).frame["tier"].astype(str)
    counts = tiers.value_counts()
    cards = {m.label: m for m in page.metric}
    for tier in lc.TIERS:
        n = int(counts.get(tier, 0))
        card = cards[t(f"lifecycle.tier.{tier}", "en")]
        assert card.value == fmt.count(n, "en"), tier
        assert card.delta == fmt.pct(n / len(tiers)), tier


def test_changing_a_threshold_changes_counts():
    at = open_app("en", PAGE)
    before = tier_metrics(at)
    at.number_input(key="lc_churn_days").set_value(90).run()
    assert not at.exception
    after = tier_metrics(at)
    assert after != before
    churned = lc.TIERS.index("churned")
    assert int(after[churned].replace(",", "")) < int(before[churned].replace(",", ""))


@pytest.mark.slow
def test_other_views(page):
    page.segmented_control(key="lc_grain").set_value("week").run()
    assert not page.exception
    pairs = [p.split(" → ") for p in page.selectbox(key="lc_pair").options]  # shown as "a → b"
    gaps = [(pd.Timestamp(b) - pd.Timestamp(a)).days for a, b in pairs]
    assert len(gaps) >= 2 and set(gaps[:-1]) == {7} and 1 <= gaps[-1] <= 7  # weekly snapshots, then the as-of day
    page.segmented_control(key="lc_export_kind").set_value("rfm").run()
    assert not page.exception
    page.selectbox(key="lc_export_segment").set_value("champions").run()
    counts = _flow_table(page)
    page.segmented_control(key="lc_flow_view").set_value("rates").run()
    assert not page.exception
    rates = _flow_table(page)
    # the rates view is the counts view divided by each starting tier's total
    totals = counts.sum(axis=1)
    expected = counts.div(totals.where(totals > 0), axis=0)
    np.testing.assert_allclose(rates.to_numpy(dtype=float), expected.to_numpy(dtype=float), rtol=1e-9)
    for key, value in (("lc_grain", "week"), ("lc_export_kind", "rfm"),
                       ("lc_flow_view", "rates")):
        assert page.query_params[key] in (value, [value])  # every view travels in the link


def _flow_table(at) -> pd.DataFrame:
    label = t("lifecycle.from", "en")
    found = [d.value for d in at.dataframe if d.value.index.name == label]
    assert len(found) == 1, [d.value.index.name for d in at.dataframe]
    return found[0]


def test_empty_state():
    at = open_app("en", PAGE, dataset=None)
    assert not at.exception
    assert len(at.metric) == 0 and len(at.get("vega_lite_chart")) == 0


def _cdnow_page(lang: str = "en"):
    from bench.realdata_churn import cdnow_dataset
    return open_app(lang, PAGE, dataset=cdnow_dataset())


@pytest.mark.slow
def test_purchase_only_data_get_rules_suggested_from_their_gaps_and_one_click_back():
    at = _cdnow_page()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "Rules suggested from your data" in " ".join(m.value for m in at.markdown)
    assert "half come back within 34 days" in captions and "85% within 152" in captions
    assert "These suggested rules are in force on every page." in captions
    assert at.number_input(key="lc_churn_days").value == 152
    assert at.number_input(key="lc_warning_days").value == 34
    churned_fitted = int(tier_metrics(at)[lc.TIERS.index("churned")].replace(",", ""))
    at.button(key="lc_reset").click().run()  # one click back to the standard defaults
    assert not at.exception
    assert at.number_input(key="lc_churn_days").value == 30
    assert "The standard rules are in force on every page." in " ".join(c.value for c in at.caption)
    assert at.query_params["lc_rules"] in (["standard"], "standard")  # travels in the link
    churned_default = int(tier_metrics(at)[lc.TIERS.index("churned")].replace(",", ""))
    assert churned_default > churned_fitted  # the defaults call far more CDNOW customers churned
    at.button(key="lc_use_suggested").click().run()
    assert at.number_input(key="lc_churn_days").value == 152


@pytest.mark.slow
def test_sample_data_with_visits_keep_the_standard_rules_but_can_use_the_suggestion():
    at = open_app("en", PAGE)
    captions = " ".join(c.value for c in at.caption)
    assert "The standard rules are in force on every page." in captions
    at.button(key="lc_use_suggested").click().run()
    assert not at.exception
    assert at.number_input(key="lc_churn_days").value == 14  # the sample's 85 % repeat gap
    assert at.query_params["lc_churn_days"] in (["14"], "14")
