"""The behaviour analyses (funnels, paths, A/B tests) on a Parquet source: the events stay in
the engine (``fev`` is built there by SQL) and the answers equal the in-memory sample's,
counts exactly and floats to 1e-9 relative."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opslab
from opslab.behaviour import experiments as ex
from opslab.behaviour import funnels as fn
from opslab.dataset.dataset import Dataset
from opslab.dataset.load import load_sample, sample_dir
from opslab.core.problems import OpsLabError
from opslab.dataset.sources import SourceDataset, connect, write_parquet_layout
from tests.spark_support import assert_paths_same, same_rows, write_sample_folder

STEPS = ["visit", "view", "add_to_cart", "checkout", "purchase"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """The sample in memory and the same tables as a Parquet folder of several files."""
    mem = load_sample()
    root = write_sample_folder(tmp_path_factory.mktemp("behaviour"), mem, rows_per_file=25_000)
    assert len(list((root / "events").glob("*.parquet"))) > 2  # the order spans files
    return mem, connect(root)


@pytest.fixture(scope="module")
def props_pair(tmp_path_factory):
    """The sample's events with a channel and an amount on them (the sample's are empty), in
    memory and as Parquet: splits, step filters and assignments from events run."""
    ds = load_sample()
    ev = ds.events.drop(columns=["uid"]).copy()
    rng = np.random.default_rng(7)
    ev["channel"] = np.where(rng.random(len(ev)) < 0.2, None, rng.choice(["ad", "push", "search"], len(ev)))
    ev["amount"] = np.round(rng.random(len(ev)) * 50, 1)
    tables = {"events": ev, "users": ds.users.drop(columns=["uid", "censored"]),
              "orders": ds.orders.drop(columns=["uid"])}
    root = tmp_path_factory.mktemp("props")
    write_parquet_layout(tables, root, rows_per_file=40_000)
    return Dataset.from_tables(**tables), connect(root)


def _by_user_id(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-user rows keyed by user_id: the two data sets number users differently."""
    return frame.drop(columns=["uid"]).sort_values("user_id", ignore_index=True)


def test_fev_keeps_the_order_of_the_log(pair):
    mem, src = pair
    assert isinstance(src, SourceDataset) and not src.events_in_memory
    with pytest.raises(OpsLabError):
        src.events  # noqa: B018 - the source still never hands its events to Python
    fn.register_events(mem), fn.register_events(src)
    cols = "seq, uid, event_time, event_name"
    a = mem.engine.sql(f"SELECT {cols} FROM fev ORDER BY seq")
    b = src.engine.sql(f"SELECT {cols} FROM fev ORDER BY seq")
    # in memory, seq is the row of the time-sorted events frame, as before fev moved into SQL
    assert a["seq"].tolist() == list(range(len(mem.events)))
    assert a["uid"].tolist() == mem.events["uid"].tolist()
    assert a["event_name"].tolist() == mem.events["event_name"].tolist()
    # the source numbers the same events in the same order (ties in time included: 6,910
    # events of the sample share their user's second), by file and row
    assert b["seq"].tolist() == a["seq"].tolist()
    ids = src.users["user_id"].to_numpy()
    assert ids[b["uid"].to_numpy()].tolist() == mem.events["user_id"].tolist()
    assert (b["event_time"].to_numpy() == mem.events["event_time"].to_numpy()).all()
    assert b["event_name"].tolist() == a["event_name"].tolist()


def test_event_names_and_properties(pair, props_pair):
    mem, src = pair
    counts = mem.events["event_name"].value_counts()
    names = fn.event_names(src)
    assert names["event_name"].tolist() == counts.index.tolist()
    assert names["events"].tolist() == counts.tolist()
    same_rows(names, fn.event_names(mem), "event names")
    assert fn.event_properties(src) == fn.event_properties(mem) == []  # the sample's are empty
    pm, ps = props_pair
    assert fn.event_properties(pm) == fn.event_properties(ps) == ["amount", "channel"]
    views = pm.events.loc[pm.events["event_name"] == "view"]
    assert fn.property_values(ps, "view", "channel") == sorted(views["channel"].dropna().unique())
    assert fn.property_values(ps, "view", "amount", limit=5) == fn.property_values(pm, "view", "amount", limit=5)
    assert fn.property_values(ps, "view", "amount", limit=5) == sorted(views["amount"].astype(str).unique())[:5]


@pytest.mark.slow
def test_funnels_equal_the_in_memory_sample(pair):
    mem, src = pair
    for order in fn.ORDERS:
        for by in (None, "tier"):
            a = opslab.funnel(mem, STEPS, window_days=7, by=by, order=order)
            b = opslab.funnel(src, STEPS, window_days=7, by=by, order=order)
            what = f"{order} by {by}"
            assert a.steps["users"].iloc[0] > 1000 and a.steps["users"].iloc[-1] > 0, what
            same_rows(a.steps, b.steps, f"{what} steps")
            same_rows(_by_user_id(a.users), _by_user_id(b.users), f"{what} users")
            same_rows(a.by_group, b.by_group, f"{what} by_group")
    # the strict funnel counts every event between two steps: the tie order decides it
    a = opslab.funnel(mem, ["visit", "view", "add_to_cart"], window_days=1, order="strict")
    b = opslab.funnel(src, ["visit", "view", "add_to_cart"], window_days=1, order="strict")
    same_rows(a.steps, b.steps, "strict, 1 day")
    ex_a = opslab.funnel(mem, ["visit", "add_to_cart", "purchase"], window_days=7, exclusions=[fn.Exclusion("share", 1, 3)])
    ex_b = opslab.funnel(src, ["visit", "add_to_cart", "purchase"], window_days=7, exclusions=[fn.Exclusion("share", 1, 3)])
    assert ex_a.excluded == ex_b.excluded > 0
    same_rows(ex_a.steps, ex_b.steps, "exclusions")
    same_rows(fn.trend(ex_a, "week"), fn.trend(ex_b, "week"), "trend")


@pytest.mark.slow
def test_funnel_splits_and_filters_on_source_properties(props_pair):
    pm, ps = props_pair
    steps = [fn.Step("view", {"channel": ["ad", "push"]}), fn.Step("add_to_cart", {"amount": ["12.5", "3.0", "40.1"]}),
             "purchase"]
    # split by an event property (in memory, channel is also a user column, which wins there)
    for attribution in fn.ATTRIBUTIONS:
        a = opslab.funnel(pm, steps, window_days=7, by="amount", attribution=attribution)
        b = opslab.funnel(ps, steps, window_days=7, by="amount", attribution=attribution)
        assert a.by_group["group"].nunique() > 2
        assert a.steps["users"].iloc[1] > 0
        same_rows(a.steps, b.steps, f"filters {attribution}")
        same_rows(a.by_group, b.by_group, f"filters {attribution} by_group")


@pytest.mark.slow
def test_paths_equal_the_in_memory_sample(pair):
    mem, src = pair
    assert_paths_same(mem, src, (("add_to_cart", "next", True, 30), ("checkout", "previous", True, 30),
                                 ("view", "next", False, 5)))


def _readout_same(a: ex.ABResult, b: ex.ABResult, what: str) -> None:
    same_rows(a.variants, b.variants, f"{what} variants")
    same_rows(a.comparisons, b.comparisons, f"{what} comparisons")
    same_rows(a.users.drop(columns=["uid"]), b.users.drop(columns=["uid"]), f"{what} users")
    assert (a.srm_chi2, a.srm_p, a.cuped, a.days_running, a.dropped) == \
           (b.srm_chi2, b.srm_p, b.cuped, b.days_running, b.dropped), what
    assert a.verdicts == b.verdicts, what


@pytest.mark.slow
def test_ab_test_equals_the_in_memory_sample(pair):
    mem, src = pair
    asg = ex.read_assignments(pd.read_csv(sample_dir() / "assignments.csv", dtype=str))
    for metric in ex.METRICS:
        for config in (ex.ABConfig(), ex.ABConfig(window_days=7, pre_days=7, retention_day=3, event="checkout")):
            _readout_same(opslab.ab_test(mem, asg, metric=metric, config=config),
                          opslab.ab_test(src, asg, metric=metric, config=config), f"ab {metric} {config.window_days}")
    assert opslab.ab_test(src, asg, metric="conversion").verdicts == {"new_checkout": "win"}  # the planted test
    # without assignment times, exposure is each user's first event from the start on
    untimed = asg.drop(columns=["time"]) if "time" in asg else asg
    _readout_same(opslab.ab_test(mem, untimed, metric="orders"), opslab.ab_test(src, untimed, metric="orders"), "untimed")


def test_assignments_from_events_equal_pandas(props_pair):
    pm, ps = props_pair
    got = ex.assignments_from_events(ps, "channel")
    ev = pm.events
    first = ev.loc[ev["channel"].notna() & (ev["channel"] != "")].drop_duplicates("user_id")  # time-sorted
    assert got["user_id"].tolist() == first["user_id"].tolist()
    assert got["variant"].tolist() == first["channel"].tolist()
    assert (pd.to_datetime(got["time"]).to_numpy() == first["event_time"].to_numpy()).all()
    same_rows(got, ex.assignments_from_events(pm, "channel"), "assignments in memory")
    with pytest.raises(OpsLabError):
        ex.assignments_from_events(ps, "no_such_column")
