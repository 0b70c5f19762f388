"""Parquet sources on the embedded DuckDB engine: the same data set, the same answers, as the
in-memory Dataset; facts checked against pandas on the raw frames."""

from __future__ import annotations

import pandas as pd
import pytest

from opslab.lifecycle import tiers as lc
from opslab import synth
from opslab.metrics import kpi_table as metrics
from opslab.dataset.dataset import Dataset
from opslab.core.problems import OpsLabError
from opslab.dataset.sources import (SourceDataset, connect, engine_from_config, parquet_layout,
                            source_from_config, write_parquet_layout)
from tests.spark_support import assert_same


@pytest.fixture(scope="module")
def data():
    return synth.generate(synth.SynthConfig(n_users=600, months=5, seed=4))


@pytest.fixture(scope="module")
def root(data, tmp_path_factory):
    root = tmp_path_factory.mktemp("layout")
    write_parquet_layout(data, root, rows_per_file=5_000)  # several files per table
    return root


def test_layout_is_found_and_split_into_files(root):
    found = parquet_layout(root)
    assert set(found) == {"events", "orders", "users", "campaigns"}
    assert len(list((root / "events").glob("*.parquet"))) > 1


def test_facts_match_pandas_on_the_raw_frames(data, root):
    ds = connect(root)
    assert isinstance(ds, SourceDataset)
    ids = set(data.events["user_id"]) | set(data.orders["user_id"]) | set(data.users["user_id"])
    assert ds.n_users == len(ids)
    assert ds.n_events == len(data.events)
    assert ds.n_orders == len(data.orders)
    first = min(data.events["event_time"].min(), data.orders["order_time"].min())
    last = max(data.events["event_time"].max(), data.orders["order_time"].max())
    assert (ds.start, ds.end) == (first.date(), last.date())
    # DAU straight from the raw frames: distinct users with an event or a paid order that day
    paid = data.orders[data.orders["status"] == "paid"]
    act = pd.concat([data.events[["user_id"]].assign(day=data.events["event_time"].dt.normalize()),
                     paid[["user_id"]].assign(day=paid["order_time"].dt.normalize())])
    dau = act.drop_duplicates().groupby("day").size()
    frame = ds.engine.run("daily", start=str(ds.start), end=str(ds.end)).set_index("day")
    assert frame["dau"].loc[dau.index].tolist() == dau.tolist()
    gmv = paid.groupby(paid["order_time"].dt.normalize())["amount"].sum()
    assert frame["gmv"].loc[gmv.index].to_numpy() == pytest.approx(gmv.to_numpy(), rel=1e-9)


def test_source_gives_the_same_answers_as_the_in_memory_dataset(data, root):
    src = connect(root)
    mem = Dataset.from_tables(events=data.events, orders=data.orders, users=data.users,
                              campaigns=data.campaigns)
    assert src.users["user_id"].tolist() == sorted(mem.users["user_id"])
    for grain in ("week", "month"):
        assert_same(metrics.kpis(src, grain).reset_index(), metrics.kpis(mem, grain).reset_index(),
                    f"kpi {grain}", order_matters=True)
        a, b = metrics.cohort_retention(src, grain, "on"), metrics.cohort_retention(mem, grain, "on")
        assert_same(a.reset_index(), b.reset_index(), f"cohorts {grain}", order_matters=True)
    # per-user results are keyed by user_id (the two number users differently)
    seg_s = lc.segment(src).set_index("user_id").sort_index()
    seg_m = lc.segment(mem).set_index("user_id").sort_index()
    assert seg_s["tier"].tolist() == seg_m["tier"].tolist()
    assert_same(src.campaigns.reset_index(drop=True),
                mem.campaigns.sort_values(["campaign_id", "start_date"], ignore_index=True)[list(src.campaigns.columns)],
                "campaigns", order_matters=True)


def test_orders_only_and_events_only_sources(data, tmp_path):
    # an events-only export: purchases are events with an amount (one refund, a negative amount)
    buys = data.orders.rename(columns={"order_time": "event_time"})[["user_id", "event_time", "amount"]]
    events = pd.concat([data.events, buys.assign(event_name="支付")], ignore_index=True)
    events.loc[events.index[-1], "amount"] = -5.0
    write_parquet_layout({"events": events}, tmp_path / "ev")
    ev_only = connect(tmp_path / "ev")
    mem = Dataset.from_tables(events=events)
    assert ev_only.derived == ("orders",)
    assert ev_only.n_orders == len(mem.orders)  # purchase events became orders, as in memory
    assert ev_only.users["censored"].sum() == mem.users["censored"].sum()
    assert_same(metrics.kpis(ev_only, "month").reset_index(), metrics.kpis(mem, "month").reset_index(),
                "events only", order_matters=True)
    write_parquet_layout({"orders": data.orders}, tmp_path / "od")
    od_only = connect({"orders": tmp_path / "od" / "orders"})
    mem = Dataset.from_tables(orders=data.orders)
    assert od_only.derived == ("events",)
    assert od_only.n_events == len(mem.events)
    assert_same(metrics.kpis(od_only, "month").reset_index(), metrics.kpis(mem, "month").reset_index(),
                "orders only", order_matters=True)


def test_clv_orders_roll_up_per_day(data, root):
    src = connect(root)
    orders = src.orders
    kept = data.orders[data.orders["status"] != "refunded"]
    assert orders["n_orders"].sum() == len(kept)
    assert orders["amount"].sum() == pytest.approx(kept["amount"].sum(), rel=1e-9)
    with pytest.raises(OpsLabError):
        src.events  # noqa: B018 - the events never come into Python


def test_missing_layout_and_config(tmp_path):
    with pytest.raises(OpsLabError) as err:
        connect(tmp_path)
    assert err.value.code == "sources.no_tables"
    with pytest.raises(OpsLabError):
        connect({"events": str(tmp_path), "clicks": "x"})
    assert source_from_config({}) is None
    assert engine_from_config({"engine": "duckdb"}) is None


def test_secrets_config_points_at_a_folder(root):
    ds = source_from_config({"source": str(root), "engine": "duckdb", "threads": 1})
    assert isinstance(ds, SourceDataset) and ds.n_users > 0
