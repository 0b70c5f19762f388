"""The notebook API has one shape (issue 23): ``fn(ds, subject, *, as_of=None, rules=None,
config=None)`` returning a result with ``.frame``, ``.problems``, ``.config`` and ``.as_of``;
settings by name fill the config and never override it silently; old call styles still work
for one release with a DeprecationWarning."""

from __future__ import annotations

import inspect
import warnings

import pandas as pd
import pytest

import opslab
from opslab.metrics import kpi_table

ANALYSES = ["kpis", "retention", "segment", "churn_risk", "clv", "forecast", "funnel", "paths",
            "ab_test", "target_status", "quarterly_report", "distribution", "interval", "ltv_curve", "users",
            "user_profile"]


@pytest.fixture(scope="module")
def ds():
    return opslab.load_sample()


@pytest.mark.parametrize("name", ANALYSES)
def test_every_analysis_takes_the_data_set_first_and_the_same_keyword_settings(name):
    sig = inspect.signature(getattr(opslab, name))
    params = list(sig.parameters.values())
    assert params[0].name == "ds"
    keyword = {p.name for p in params if p.kind is p.KEYWORD_ONLY}
    assert {"as_of", "rules", "config"} <= keyword
    for p in params[1:]:  # nothing but the subject (and the deprecated old positions) by position
        if p.kind is p.POSITIONAL_OR_KEYWORD:
            assert p is params[1]


def test_results_share_one_surface(ds):
    day = ds.end
    results = [
        opslab.kpis(ds, "month"),
        opslab.retention(ds, "month"),
        opslab.segment(ds, as_of=day),
        opslab.funnel(ds, ["visit", "add_to_cart", "purchase"], window_days=7),
        opslab.paths(ds, "add_to_cart"),
        opslab.target_status(ds, {"gmv": 100_000}, period=f"{pd.Timestamp(day).year}Q{pd.Timestamp(day).quarter}"),
    ]
    for res in results:
        assert isinstance(res.frame, pd.DataFrame) and len(res.frame) > 0, type(res).__name__
        assert isinstance(res.problems, tuple)
        assert hasattr(res, "config") and hasattr(res, "as_of")
    assert results[0].as_of == day and results[2].as_of == day


def test_kpis_equal_the_engine_and_stop_at_as_of(ds):
    full = kpi_table.kpis(ds, "month")
    res = opslab.kpis(ds, "month")
    pd.testing.assert_frame_equal(res.frame, full)
    cut = full.index[len(full) // 2]
    early = opslab.kpis(ds, "month", as_of=cut.date())
    assert early.frame.index.max() == cut and early.as_of == cut.date()


def test_targets_as_a_mapping_need_their_period(ds):
    with pytest.raises(ValueError, match="period"):
        opslab.target_status(ds, {"gmv": 1000})
    with pytest.raises(TypeError):
        opslab.target_status(ds, ["gmv"])
    period = f"{ds.end.year}Q{(ds.end.month - 1) // 3 + 1}"
    a = opslab.target_status(ds, {"gmv": 250_000}, period=period).frame
    b = opslab.target_status(ds, [opslab.Target("gmv", period, 250_000)]).frame
    assert a.loc[0, "actual"] == b.loc[0, "actual"] and a.loc[0, "target"] == 250_000


def test_a_setting_by_name_never_silently_overrides_the_config(ds):
    cfg = opslab.ChurnConfig(horizon=60)
    with pytest.raises(ValueError, match="horizon"):
        opslab.churn_risk(ds, config=cfg, horizon_days=90)
    with pytest.raises(TypeError, match="unknown"):
        opslab.kpis(ds, "month", conversion_dayz=7)
    assert opslab.kpis(ds, "month", conversion_days=7).config.conversion_days == 7


def test_old_call_styles_warn_but_still_work(ds):
    with pytest.warns(DeprecationWarning):
        old = opslab.funnel(ds, ["visit", "purchase"], 7)
    new = opslab.funnel(ds, ["visit", "purchase"], window_days=7)
    pd.testing.assert_frame_equal(old.steps, new.steps)
    with pytest.warns(DeprecationWarning):
        opslab.paths(ds, "add_to_cart", top=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new style is silent
        opslab.paths(ds, "add_to_cart", top_n=3)


def test_a_load_result_is_accepted_where_a_data_set_is():
    csv = "user_id,order_time,amount\na,2024-01-03,10\nb,2024-01-09,25\na,2024-02-01,5\n".encode()
    loaded = opslab.load(("orders.csv", csv), currency="CNY")
    by_result = opslab.kpis(loaded, "month").frame
    by_dataset = opslab.kpis(loaded.dataset, "month").frame
    pd.testing.assert_frame_equal(by_result, by_dataset)
    assert list(by_result["gmv"]) == [35.0, 5.0]  # the file's own sums by month
    with pytest.raises(TypeError):
        opslab.kpis(pd.DataFrame(), "month")


def test_the_report_period_defaults_to_the_data_not_a_fixed_quarter():
    sig = inspect.signature(opslab.quarterly_report)
    assert sig.parameters["period"].default is None


def test_a_table_result_read_as_the_old_bare_frame_warns_but_works(ds):
    res = opslab.kpis(ds, "month")
    with pytest.warns(DeprecationWarning):
        gmv = res["gmv"]
    with pytest.warns(DeprecationWarning):
        index = res.index
    pd.testing.assert_series_equal(gmv, res.frame["gmv"])
    assert list(index) == list(res.frame.index) and len(res) == len(res.frame)


def test_experiment_readouts_share_the_surface(ds):
    """ab_metrics / ab_segments / ab_impact on the sample's planted test: each result has the
    shared surface, and the family's and the segments' numbers are the engine's own."""
    from opslab.behaviour.experiments import read_assignments
    from opslab.dataset.load import sample_dir
    asg = read_assignments(pd.read_csv(sample_dir() / "assignments.csv", dtype=str))
    family = opslab.ab_metrics(ds, asg, metrics=["conversion", "revenue"], correction="bh")
    one = opslab.ab_test(ds, asg, metric="revenue", correction="bh")
    assert family.frame.loc[1, "p_value"] == pytest.approx(one.comparisons.loc[0, "p_value"])
    seg = opslab.ab_segments(ds, asg, metric="conversion", by="channel")
    impact = opslab.ab_impact(ds, one, target=300_000)
    for res in (family, seg, impact, one):
        assert isinstance(res.frame, pd.DataFrame) and len(res.frame) > 0
        assert isinstance(res.problems, tuple) and hasattr(res, "config") and hasattr(res, "as_of")
    assert impact.as_of == ds.end and one.config.correction == "bh"
    with pytest.raises(TypeError):
        opslab.ab_impact(ds, family)
