"""The DuckDB -> Spark SQL rules (no Spark needed): every named query transpiles, and each
rule does what docs/ARCHITECTURE.md says."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import sqlglot

from opslab.behaviour import funnels as fn
from opslab.dataset.dataset import Dataset
from opslab.engine import sql_catalog
from opslab.engine.spark_engine import to_spark
from opslab.behaviour.funnel_sql import funnel_frame
from opslab.dataset.sources import COLUMNS

SCHEMA = {"user_day": {"uid": "INT", "day": "DATE"}, "t": {"d": "DATE", "x": "INT"}}


def test_date_minus_date_becomes_datediff():
    out = to_spark("SELECT CAST($as_of AS DATE) - day AS n, day - 7 AS w FROM user_day",
                   {"as_of": dt.date(2024, 3, 1)}, schema=SCHEMA)
    assert "DATEDIFF(DAY, user_day.day, CAST('2024-03-01' AS DATE))" in out
    assert "user_day.day - 7" in out  # date - integer stays a date


def test_date_trunc_on_a_date_keeps_the_day_unit():
    out = to_spark("SELECT date_trunc($g, CAST(d AS DATE)) AS p FROM t", {"g": "day"}, schema=SCHEMA)
    assert "DATE_TRUNC('DAY'" in out.upper() and "TRUNC(CAST" not in out.upper().replace("DATE_TRUNC", "")


def test_parameters_become_literals_and_tables_get_the_prefix():
    out = to_spark("SELECT $names[2] AS n, $k AS k FROM t", {"names": ["a", "b"], "k": 3},
                   schema=SCHEMA, rename={"t": "opslab7_t"})
    assert "ARRAY('a', 'b')[1]" in out and "3 AS k" in out and "opslab7_t" in out


def test_every_named_query_transpiles_to_valid_spark_sql():
    schema = {
        "ev": {"uid": "INT", "event_time": "TIMESTAMP", "event_name": "VARCHAR"},
        "od": {"uid": "INT", "order_time": "TIMESTAMP", "amount": "DOUBLE", "status": "VARCHAR"},
        "us": {"uid": "INT", "signup_time": "TIMESTAMP", "censored": "BOOLEAN"},
        "user_day": {"uid": "INT", "day": "DATE", "n_events": "INT"},
        "paid_day": {"uid": "INT", "day": "DATE", "gmv": "DOUBLE", "n_orders": "INT"},
        "refund_day": {"uid": "INT", "day": "DATE", "refunds": "DOUBLE", "gross_extra": "DOUBLE",
                       "net_less": "DOUBLE"},
        "user_first": {"uid": "INT", "signup_day": "DATE", "first_active": "DATE", "last_active": "DATE",
                       "first_paid": "DATE", "censored": "BOOLEAN"},
        **{f"src_{t}": {**cols, **PLACE} for t, cols in COLUMNS.items()},
        "src_flags": {"has_events": "BOOLEAN", "has_orders": "BOOLEAN"},
        "purchase_names": {"name": "VARCHAR"},
        "ev_src": {"user_id": "VARCHAR", "event_time": "TIMESTAMP", "event_name": "VARCHAR", "amount": "DOUBLE",
                   "channel": "VARCHAR", **PLACE},
        "od_src": {"user_id": "VARCHAR", "order_time": "TIMESTAMP", "amount": "DOUBLE", "status": "VARCHAR",
                   "channel": "VARCHAR", **PLACE},
        "us_map": {"uid": "INT", "user_id": "VARCHAR", "signup_time": "TIMESTAMP", "first_seen": "TIMESTAMP",
                   "last_seen": "TIMESTAMP", "n_events": "BIGINT", "n_orders": "BIGINT", "censored": "BOOLEAN"},
        "fev": FEV, "fev_src": FEV_SRC,
        "asg": {"rid": "BIGINT", "uid": "BIGINT", "variant": "VARCHAR", "exposure": "TIMESTAMP"},
        "xgrp": {"uid": "INT", "grp": "VARCHAR"},
        "people_ev": {"uid": "INT", "event_time": "TIMESTAMP", "event_name": "VARCHAR"},
        "people_od": {"uid": "INT", "order_time": "TIMESTAMP", "amount": "DOUBLE", "status": "VARCHAR"},
    }
    values = dict(cutoff="2024-03-01", as_of="2024-03-01", start="2024-01-01", end="2024-03-01",
                  prev_start="2023-12-01", after="2024-01-01", until="2024-02-01", eligible=90, k=5,
                  horizon=30, warn=14, pot=30, value=90, grain="month", conversion_days=30, burn_in=30,
                  names=["a", "b", "c", "d", "e"], with_events=True, days=90, high_value=200.0,
                  stop="2024-03-02 00:00:00", gap_us=1800000000, collapse=True, event="purchase", depth=4,
                  window_us=604800000000, pre_days=14, ret_day=7, last_day="2024-03-01",
                  gross=False, priced=True, events_from_orders=False,
                  # explore and people (opslab/behaviour/explore.sql, people.sql)
                  all_names=True, any_group=True, by_signup=True, cohort="2024-01-01", event_a="view",
                  event_b="purchase", group="all", hi=10.0, last=5, limit=100, lo=0.0, max_k=12, max_n=50,
                  no_orders=False, offset=0, on_or_after="2024-01-01", param=1, period="2024-01-01",
                  return_any=True, return_event="purchase", start_any=True, start_event="view", uid=1,
                  act_days=[7, 14, 28, 30, 56, 90, 180, 365, 0, 0, 0, 0], paid_lo=[0, 30, 0, 0, 0, 0],
                  paid_hi=[30, 60, 90, 0, 0, 0])
    for name, sql in sql_catalog().items():
        if re.search(r"\{\w+\}", sql):  # a funnel template: see the next test
            continue
        params = {k: v for k, v in values.items() if f"${k}" in sql}
        out = to_spark(sql, params, schema=schema)
        sqlglot.parse_one(out, read="spark")  # parses back
        assert "$" not in re.sub(r"/\*.*?\*/", "", out, flags=re.S), name


FEV = {"uid": "INT", "seq": "BIGINT", "event_time": "TIMESTAMP", "event_name": "VARCHAR", "src": "VARCHAR"}
#: where a source row sits (opslab.engine.base.POSITION), on every source view
PLACE = {"src_file": "VARCHAR", "src_row": "BIGINT"}
FEV_SRC = {"uid": "INT", "event_time": "TIMESTAMP", "event_name": "VARCHAR", "src": "VARCHAR", **PLACE}


class _Recorder:
    """An engine that keeps the SQL it is given instead of running it."""

    name = "recorder"

    def __init__(self):
        self.calls = []

    def register(self, name, frame):
        pass

    def run(self, name, **params):  # the data set's own derived tables: not what is tested here
        return None

    def sql(self, sql, **params):
        self.calls.append((sql, params))
        return None


def test_every_funnel_template_transpiles_to_valid_spark_sql():
    """The funnel SQL as built for every order mode, split and exclusion, filled in and
    transpiled: no DuckDB-only construct left (list lambdas, FILTER, epoch_us, arg_min)."""
    ev = pd.DataFrame({"user_id": ["a", "a", "b"], "event_name": ["v", "p", "v"], "src": ["x", None, "y"],
                       "event_time": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])})
    rec = _Recorder()
    ds = Dataset.from_tables(events=ev).on_engine(lambda: rec)
    steps = [fn.Step("v", {"src": ["x"]}), fn.Step("p"), fn.Step("v2")]
    start, stop = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-04")
    for order in fn.ORDERS:
        exclusions = [fn.Exclusion("q", 1, 2)] if order == "ordered" else []
        funnel_frame(ds, steps, 7 * 86400 * 10**6, order, exclusions, "src", start, stop)
    assert len(rec.calls) == 4  # fev, built once (funnel_events), then the three funnels
    assert "CREATE OR REPLACE TABLE fev" in rec.calls[0][0]
    for sql, params in rec.calls:
        out = to_spark(sql, params, schema={"fev": FEV, "fev_src": FEV_SRC})
        sqlglot.parse_one(out, read="spark")
        upper = out.upper()
        for construct in ("EPOCH_US", " FILTER(", " FILTER (", "LIST_", "ARG_MIN", "->"):
            assert construct not in upper, (construct, out)


def test_no_query_is_left_to_one_engine():
    """Every named query runs on both engines: the old DuckDB-only list is gone."""
    from opslab.engine import base
    assert not hasattr(base, "DUCKDB_ONLY")
    arch = (Path(__file__).resolve().parents[3] / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert "No DuckDB-only queries" in arch
