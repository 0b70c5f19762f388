"""Same answers on DuckDB and on local Spark: every named query, and the figures of the
Overview, Lifecycle and Churn pages. One SparkSession for the whole file (local[2])."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.lifecycle import tiers as lc
from opslab.metrics import kpi_table as metrics
from opslab.lifecycle import rfm
from opslab import synth
from opslab.engine import sql_catalog
from opslab.engine.spark_engine import SparkEngine
from opslab.dataset.load import load_sample
from opslab.models import churn
from opslab.dataset.sources import connect, write_parquet_layout
from tests.spark_support import RUN_BY_FUNCTION, assert_same, compare_every_query

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def sample_pair(sample, spark):
    """The sample data (in memory) on DuckDB and on Spark."""
    return sample, sample.on_engine(lambda: SparkEngine(spark))


def _parquet_pair(tables, root, spark):
    write_parquet_layout(tables, root)
    return connect(str(root), "duckdb"), connect(str(root), "spark", spark=spark)


def test_every_named_query_same_on_the_sample_parquet(sample, spark, tmp_path):
    duck, spk = _parquet_pair({"events": sample.events, "orders": sample.orders,
                               "users": sample.users, "campaigns": sample.campaigns}, tmp_path, spark)
    checked = compare_every_query(duck, spk, grains=("day", "month"))  # week, quarter: next test
    # every query, derived tables and source views included; the behaviour queries (templates,
    # per-call tables) are compared through their functions in test_spark_behaviour.py
    assert set(checked) == set(sql_catalog()) - set(RUN_BY_FUNCTION)
    assert duck.n_users == spk.n_users == sample.n_users
    # the Parquet source numbers and counts users exactly as the in-memory data set does
    assert (duck.n_events, duck.n_orders) == (len(sample.events), len(sample.orders))


def test_every_named_query_same_on_a_larger_synth_set_without_users_table(spark, tmp_path):
    # 6,000 users over 8 months (2x the sample's users); no users table, so signups and
    # censoring come from the data
    data = synth.generate(synth.SynthConfig(n_users=6000, months=8, seed=11))
    duck, spk = _parquet_pair({"events": data.events, "orders": data.orders,
                               "campaigns": data.campaigns}, tmp_path, spark)
    assert duck.n_events > 100_000  # larger than the sample (~100k events)
    compare_every_query(duck, spk, grains=("week", "quarter"))
    assert spk.users["censored"].sum() == duck.users["censored"].sum() > 0


def test_in_memory_sample_same_tables_on_both_engines(sample_pair):
    duck, spk = sample_pair
    # both sessions run in UTC, so naive wall-clock times never shift on either engine
    assert duck.engine.sql("SELECT current_setting('TimeZone') AS tz")["tz"].tolist() == ["UTC"]
    assert spk.engine.spark.conf.get("spark.sql.session.timeZone") == "UTC"
    late = spk.engine.sql("SELECT CAST(TIMESTAMP '2024-03-31 23:30:00' AS DATE) AS d")["d"].tolist()
    assert [str(d)[:10] for d in late] == ["2024-03-31"]
    for table in ("user_day", "paid_day", "user_first"):
        assert_same(duck.engine.sql(f"SELECT * FROM {table}"), spk.engine.sql(f"SELECT * FROM {table}"),
                    table, order_matters=False)


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame, what: str):
    assert_same(a.reset_index(), b.reset_index(), what, order_matters=True)


def test_overview_figures_same(sample_pair):
    duck, spk = sample_pair
    for grain in ("week", "month"):
        _frames_equal(metrics.kpis(duck, grain), metrics.kpis(spk, grain), f"kpi_frame {grain}")
    start = metrics.default_period(duck, "month")
    assert start == metrics.default_period(spk, "month")
    _frames_equal(metrics.kpi_cards(duck, "month", start), metrics.kpi_cards(spk, "month", start), "kpi_cards")
    for mode in ("on", "on_or_after"):
        _frames_equal(metrics.cohort_retention(duck, "month", mode), metrics.cohort_retention(spk, "month", mode),
                      f"cohort_retention {mode}")


def test_lifecycle_figures_same(sample_pair):
    duck, spk = sample_pair
    rules = lc.LifecycleRules()
    seg_d, seg_s = lc.segment(duck, rules), lc.segment(spk, rules)
    _frames_equal(seg_d, seg_s, "segment")
    assert lc.tier_counts(seg_d["tier"]).sum() == duck.n_users
    dates = lc.snapshot_dates(duck, "month", n=3)
    _frames_equal(lc.tier_history(duck, rules, dates), lc.tier_history(spk, rules, dates), "tier_history")
    for grain in ("week", "month"):
        _frames_equal(lc.activity_lifecycle(duck, grain), lc.activity_lifecycle(spk, grain), f"states {grain}")
    _frames_equal(rfm.rfm_scores(duck), rfm.rfm_scores(spk), "rfm_scores")


def test_churn_figures_same(sample_pair):
    duck, spk = sample_pair
    config = churn.ChurnConfig()
    fit_d = churn.ChurnModel(config).fit(duck).result_
    fit_s = churn.ChurnModel(config).fit(spk).result_
    # same features in, same seeded models: the same scores and backtest metrics come out
    _frames_equal(fit_d.scores, fit_s.scores, "churn scores")
    _frames_equal(fit_d.validation, fit_s.validation, "churn validation")
    _frames_equal(fit_d.threshold_table, fit_s.threshold_table, "churn thresholds")
    # the whole churn call (model, tiers, P(alive), CLV): the same risks and values at risk
    risk_d, risk_s = churn.churn_risk(duck, horizon_days=28), churn.churn_risk(spk, horizon_days=28)
    _frames_equal(risk_d.scores, risk_s.scores, "churn_risk scores")


def _page_figures(secrets: dict | None) -> dict[str, list[tuple[str, str]]]:
    """The metric cards of the Overview, Lifecycle and Churn pages, as the app shows them."""
    import streamlit as st

    from tests.app.conftest import open_app
    st.cache_resource.clear()  # nothing computed on one engine may be reused by the other
    at = open_app("en", secrets=secrets, timeout=600)
    figures = {}
    for page in ("views/overview.py", "views/lifecycle.py", "views/churn.py"):
        if page != "views/overview.py":
            at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        figures[page] = [(m.label, m.value) for m in at.metric]
    figures["engine"] = type(at.session_state["dataset"].engine).__name__
    return figures


def test_pages_show_the_same_figures_with_the_engine_switched_to_spark(spark):
    duck = _page_figures(None)
    # what .streamlit/secrets.toml would say; getOrCreate reuses this test process's session
    spk = _page_figures({"engine": "spark", "spark": "local[2]", "shuffle_partitions": 2})
    assert (duck.pop("engine"), spk.pop("engine")) == ("DuckDBEngine", "SparkEngine")
    for page in duck:
        assert len(duck[page]) >= 3, page  # overview cards, 8 tiers, the churn readout
        assert spk[page] == duck[page], page
