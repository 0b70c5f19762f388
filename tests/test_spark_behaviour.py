"""Same answers on DuckDB and on local Spark for the behaviour screens: Funnels, Paths and
Experiments, through the public functions (opslab.funnel / paths / ab_test) and the functions
those screens call, on the sample (counts exactly, floats to 1e-9 relative). The SQL they run
(opslab/behaviour/funnels.sql, paths.sql, experiments.sql) is written once and transpiled for Spark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.behaviour import experiments as ex
from opslab.behaviour import funnels as fn
from opslab.behaviour import paths as up
from opslab.dataset.dataset import Dataset
from opslab.engine.spark_engine import SparkEngine
from opslab.dataset.load import load_sample, sample_dir
from tests.spark_support import RUN_BY_FUNCTION, assert_paths_same, same_rows

pytestmark = [pytest.mark.spark, pytest.mark.slow]
STEPS = ["visit", "view", "add_to_cart", "checkout", "purchase"]


@pytest.fixture(scope="module")
def sample_pair(spark):
    ds = load_sample()
    return ds, ds.on_engine(lambda: SparkEngine(spark))


@pytest.fixture(scope="module")
def props_pair(spark):
    """The sample's events with two event properties (the sample has none with values): a
    string with gaps and a decimal amount, so splits, attribution and step filters run."""
    ds = load_sample()
    ev = ds.events.drop(columns=["uid"]).copy()
    rng = np.random.default_rng(5)
    ev["src"] = np.where(rng.random(len(ev)) < 0.2, None, rng.choice(["ad", "push", "search"], len(ev)))
    ev["price"] = np.round(rng.random(len(ev)) * 50, 1)
    duck = Dataset.from_tables(events=ev, users=ds.users.drop(columns=["uid", "censored"]),
                               orders=ds.orders.drop(columns=["uid"]))
    return duck, duck.on_engine(lambda: SparkEngine(spark))


def _same_funnel(a: fn.FunnelResult, b: fn.FunnelResult, what: str) -> None:
    same_rows(a.steps, b.steps, f"{what} steps")
    same_rows(a.users, b.users, f"{what} users")
    same_rows(a.by_group, b.by_group, f"{what} by_group")
    assert a.excluded == b.excluded, what


def test_funnels_same_in_every_order_mode(sample_pair):
    duck, spk = sample_pair
    # every order mode and every split once (one Spark funnel takes 5-15 s on the sample)
    for order, by in zip(fn.ORDERS, (None, "channel", "tier"), strict=True):
        a = fn.funnel(duck, STEPS, 7, by=by, order=order)
        b = fn.funnel(spk, STEPS, 7, by=by, order=order)
        assert a.steps["users"].iloc[0] > 1000 and a.steps["users"].iloc[-1] > 0  # a real funnel
        _same_funnel(a, b, f"{order} by {by}")
    # short windows cut paths: the window test is what differs between the layers
    _same_funnel(fn.funnel(duck, ["view", "add_to_cart", "purchase"], 0.05),
                 fn.funnel(spk, ["view", "add_to_cart", "purchase"], 0.05), "1.2 hours")
    a = fn.funnel(duck, ["visit", "add_to_cart", "purchase"], 7, exclusions=[fn.Exclusion("share", 1, 3)])
    b = fn.funnel(spk, ["visit", "add_to_cart", "purchase"], 7, exclusions=[fn.Exclusion("share", 1, 3)])
    assert a.excluded > 0
    _same_funnel(a, b, "exclusions")


def test_funnel_screen_functions_same(sample_pair):
    duck, spk = sample_pair
    a, b = fn.funnel(duck, STEPS, 3, order="ordered"), fn.funnel(spk, STEPS, 3, order="ordered")
    for grain in ("week", "month"):
        same_rows(fn.trend(a, grain, duck.end), fn.trend(b, grain, spk.end), f"trend {grain}")
    for step in range(2, len(STEPS) + 1):
        same_rows(a.dropped_at(step), b.dropped_at(step), f"dropped at {step}")
    same_rows(a.time_distribution(), b.time_distribution(), "time distribution")
    mid = duck.start + (duck.end - duck.start) / 2
    halves = ((duck.start, mid), (mid + pd.Timedelta(days=1), duck.end))
    same_rows(fn.compare_periods(duck, STEPS, 7, *halves), fn.compare_periods(spk, STEPS, 7, *halves), "periods")
    ids = a.dropped_at(3)["user_id"]
    same_rows(fn.segment_users(duck, ids), fn.segment_users(spk, ids), "segment users")


def test_funnel_event_properties_same(props_pair):
    duck, spk = props_pair
    assert fn.event_properties(duck) == fn.event_properties(spk) == ["src", "price"]
    for order, attribution in zip(fn.ORDERS, fn.ATTRIBUTIONS, strict=True):  # each mode once
        a = fn.funnel(duck, STEPS, 7, by="src", order=order, attribution=attribution)
        b = fn.funnel(spk, STEPS, 7, by="src", order=order, attribution=attribution)
        assert set(a.by_group["group"]) >= {"ad", "push", "search", fn.NONE}
        _same_funnel(a, b, f"src {order} {attribution}")
    # step filters on a string and on a decimal property, cast to text by each engine
    steps = [fn.Step("view", {"src": ["ad", "push"]}), fn.Step("add_to_cart", {"price": ["12.5", "3.0", "40.1"]}),
             "purchase"]
    a, b = fn.funnel(duck, steps, 7, by="price"), fn.funnel(spk, steps, 7, by="price")
    assert a.steps["users"].iloc[1] > 0
    _same_funnel(a, b, "filters")


def test_paths_same(sample_pair):
    duck, spk = sample_pair
    assert_paths_same(duck, spk, (("add_to_cart", "next", True, 30), ("checkout", "previous", True, 30),
                                  ("view", "next", False, 5), ("purchase", "previous", False, 120)))


def _assignments(ds) -> pd.DataFrame:
    return ex.read_assignments(pd.read_csv(sample_dir() / "assignments.csv", dtype=str))


def test_ab_readouts_same_for_every_metric(sample_pair):
    duck, spk = sample_pair
    asg = _assignments(duck)
    for metric in ex.METRICS:
        for config in (ex.ABConfig(), ex.ABConfig(window_days=7, pre_days=7, retention_day=3, event="checkout")):
            a = ex.ab_test(duck, asg, metric, config=config)
            b = ex.ab_test(spk, asg, metric, config=config)
            what = f"ab {metric} {config.window_days}"
            same_rows(a.variants, b.variants, f"{what} variants")
            same_rows(a.comparisons, b.comparisons, f"{what} comparisons")
            same_rows(a.users, b.users, f"{what} users")
            assert (a.srm_chi2, a.srm_p, a.cuped, a.days_running, a.dropped) == \
                   (b.srm_chi2, b.srm_p, b.cuped, b.days_running, b.dropped), what
            assert a.verdicts == b.verdicts, what
    # the planted test: the sample's new checkout wins on conversion on both engines
    assert ex.ab_test(spk, asg, "conversion").verdicts == {"new_checkout": "win"}


def test_ab_outcomes_of_assignments_from_events_same(props_pair):
    duck, spk = props_pair
    asg = ex.assignments_from_events(duck, "src")
    same_rows(asg, ex.assignments_from_events(spk, "src"), "assignments from events")
    a, daily_a = _outcomes(duck, asg)
    b, daily_b = _outcomes(spk, asg)
    assert len(a) == asg["user_id"].nunique() and len(daily_a) > 0
    same_rows(a, b, "user outcomes")
    same_rows(daily_a, daily_b, "daily outcomes")


def _outcomes(ds, asg):
    out, _ = ex.user_outcomes(ds, asg, ex.ABConfig(window_days=14))
    return out, out.attrs.pop("daily")


def test_behaviour_queries_are_the_ones_run_by_their_functions():
    """The two-engine query sweep (tests/spark_support.py) leaves these to this file: they are
    templates or read a table made per call (fev, asg, xgrp, people_ev, people_od) or per data set
    and setting (xev_name, xfirst_*, xval_*)."""
    assert set(RUN_BY_FUNCTION) == {"funnel_ordered", "funnel_ordered_step", "funnel_paths", "funnel_strict",
                                    "funnel_strict_step", "funnel_unordered", "path_steps",
                                    "ab_user_metrics", "ab_daily_outcomes", "funnel_events", "event_names",
                                    "event_property_counts", "event_property_values", "event_property_first",
                                    # explore and people: compared through their functions in
                                    # opslab/behaviour/tests/test_spark_explore.py
                                    "explore_events_by_name", "explore_first_start", "explore_ltv",
                                    "explore_ltv_sizes", "explore_retention", "explore_retention_base",
                                    "explore_retention_users", "explore_v_interval", "explore_value_bins",
                                    "explore_value_stats", "explore_value_trend", "explore_values_table",
                                    "explore_value_users", "people_events", "people_orders", "people_timeline",
                                    "people_timeline_size"}


def _screens(secrets: dict | None) -> dict:
    """The metric cards and messages of the Funnels, Paths and Experiments screens as the app
    shows them on the sample (defaults of every widget)."""
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT
    from ui.models import _slot
    _slot.clear()  # nothing computed on one engine may be reused by the other
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.session_state["lang"] = "en"
    if secrets:
        at.secrets["opslab"] = secrets
    at.run()
    shown = {"engine": type(at.session_state["dataset"].engine).__name__}
    for page in ("views/funnels.py", "views/paths.py", "views/experiments.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        shown[page] = {"metrics": [(m.label, m.value) for m in at.metric], "errors": [e.value for e in at.error],
                       "success": [s.value for s in at.success], "warnings": [w.value for w in at.warning]}
    return shown


def test_behaviour_screens_show_the_same_figures_on_spark(spark):
    duck = _screens(None)
    # what .streamlit/secrets.toml would say; getOrCreate reuses this test process's session
    spk = _screens({"engine": "spark", "spark": "local[2]", "shuffle_partitions": 2})
    assert (duck.pop("engine"), spk.pop("engine")) == ("DuckDBEngine", "SparkEngine")
    for page, shown in spk.items():
        assert shown["errors"] == [], (page, shown["errors"])  # no refusal, no failure
        assert len(shown["metrics"]) >= 1, page  # paths shows one card, the others four
        assert shown == duck[page], page
    assert any("beats control" in s for s in spk["views/experiments.py"]["success"])


@pytest.fixture(scope="module")
def source_pair(spark, tmp_path_factory):
    """The sample with two event properties as a Parquet folder, opened on each engine."""
    from opslab.dataset.sources import connect, write_parquet_layout
    ds = load_sample()
    ev = ds.events.drop(columns=["uid"]).copy()
    rng = np.random.default_rng(3)
    ev["channel"] = np.where(rng.random(len(ev)) < 0.2, None, rng.choice(["ad", "push", "search"], len(ev)))
    ev["amount"] = np.round(rng.random(len(ev)) * 50, 1)
    root = tmp_path_factory.mktemp("behaviour_source")
    write_parquet_layout({"events": ev, "orders": ds.orders, "users": ds.users}, root, rows_per_file=40_000)
    return connect(str(root), "duckdb"), connect(str(root), "spark", spark=spark)


def test_parquet_source_behaviour_same_on_both_engines(source_pair):
    """fev is built by SQL inside each engine from the files (never from a pandas frame): the
    same positions, names, properties, funnels, paths and A/B readouts on both."""
    duck, spk = source_pair
    cols = "seq, uid, event_time, event_name, amount, channel"
    fn.register_events(duck), fn.register_events(spk)
    same_rows(duck.engine.sql(f"SELECT {cols} FROM fev ORDER BY seq"),
          spk.engine.sql(f"SELECT {cols} FROM fev ORDER BY seq"), "fev")
    same_rows(fn.event_names(duck), fn.event_names(spk), "event names")
    assert fn.event_properties(duck) == fn.event_properties(spk) == ["amount", "channel"]
    assert fn.property_values(duck, "view", "amount", 20) == fn.property_values(spk, "view", "amount", 20)
    steps = [fn.Step("view", {"channel": ["ad", "push"]}), "add_to_cart", "purchase"]
    for order in fn.ORDERS:
        _same_funnel(fn.funnel(duck, steps, 7, by="channel", order=order),
                     fn.funnel(spk, steps, 7, by="channel", order=order), f"source {order}")
    a, b = up.paths(duck, "add_to_cart", "next", depth=3), up.paths(spk, "add_to_cart", "next", depth=3)
    assert a.n_users == b.n_users > 100
    same_rows(a.paths, b.paths, "source paths")
    asg = ex.assignments_from_events(duck, "channel")
    same_rows(asg, ex.assignments_from_events(spk, "channel"), "source assignments from events")
    ra, rb = ex.ab_test(duck, asg, "conversion", control="ad"), ex.ab_test(spk, asg, "conversion", control="ad")
    same_rows(ra.comparisons, rb.comparisons, "source ab comparisons")
