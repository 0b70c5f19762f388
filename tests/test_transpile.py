"""The DuckDB -> Spark SQL rules (no Spark needed): every named query transpiles, and each
rule does what docs/ARCHITECTURE.md says."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import sqlglot

from opslab.engine import sql_catalog
from opslab.engine.base import DUCKDB_ONLY
from opslab.engine.spark_engine import to_spark
from opslab.sources import COLUMNS

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
        "user_first": {"uid": "INT", "signup_day": "DATE", "first_active": "DATE", "last_active": "DATE",
                       "first_paid": "DATE", "censored": "BOOLEAN"},
        **{f"src_{t}": cols for t, cols in COLUMNS.items()},
        "src_flags": {"has_events": "BOOLEAN", "has_orders": "BOOLEAN"},
        "purchase_names": {"name": "VARCHAR"},
        "ev_src": {"user_id": "VARCHAR", "event_time": "TIMESTAMP", "event_name": "VARCHAR"},
        "od_src": {"user_id": "VARCHAR", "order_time": "TIMESTAMP", "amount": "DOUBLE", "status": "VARCHAR"},
        "us_map": {"uid": "INT", "user_id": "VARCHAR", "signup_time": "TIMESTAMP", "first_seen": "TIMESTAMP",
                   "last_seen": "TIMESTAMP", "n_events": "BIGINT", "n_orders": "BIGINT", "censored": "BOOLEAN"},
    }
    values = dict(cutoff="2024-03-01", as_of="2024-03-01", start="2024-01-01", end="2024-03-01",
                  prev_start="2023-12-01", after="2024-01-01", until="2024-02-01", eligible=90, k=5,
                  horizon=30, warn=14, pot=30, value=90, grain="month", conversion_days=30, burn_in=30,
                  names=["a", "b", "c", "d", "e"], with_events=True, days=90, high_value=200.0)
    for name, sql in sql_catalog().items():
        if name in DUCKDB_ONLY:
            continue
        params = {k: v for k, v in values.items() if f"${k}" in sql}
        out = to_spark(sql, params, schema=schema)
        sqlglot.parse_one(out, read="spark")  # parses back
        assert "$" not in re.sub(r"/\*.*?\*/", "", out, flags=re.S), name


def test_duckdb_only_queries_are_named_and_documented():
    """The queries that run on the embedded engine only are a known, documented list."""
    arch = (Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert set(DUCKDB_ONLY) <= set(sql_catalog())
    for name in DUCKDB_ONLY:
        assert f"`{name}`" in arch, name
