"""Helpers for the tests that run one data set two ways (two engines, or in memory and as a
Parquet folder): one SparkSession per test process, the parameter values every named query runs
with, a frame comparison (counts exactly, floats to 1e-9 relative), the sample written as a
Parquet folder, and the paths comparison."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from opslab.engine import sql_catalog

_PARAM = re.compile(r"\$(\w+)")
_COMMENT = re.compile(r"--[^\n]*")
#: Tables a CREATE statement makes; compared after building instead of run again.
DDL = re.compile(r"^\s*CREATE\s+OR\s+REPLACE\s+(TABLE|VIEW)\s+(\w+)", re.IGNORECASE | re.MULTILINE)
#: Tables made only to build others and dropped once those are built (``order_day``).
DROP = re.compile(r"^\s*DROP\s+TABLE\s+IF\s+EXISTS\s+(\w+)", re.IGNORECASE | re.MULTILINE)
RTOL = 1e-9
_PER_CALL = re.compile(r"\b(fev|asg|xgrp|people_ev|people_od)\b|\{\w+\}")
#: Queries the sweep below cannot run alone: templates filled per call ({placeholders}) and
#: queries reading a table made per call (fev: the events with their log position; asg: an A/B
#: assignment; xgrp: an explore split; people_ev / people_od: the log by user, made on the first
#: user look-up). tests/test_spark_behaviour.py and opslab/behaviour/tests/test_spark_explore.py
#: run them through their functions on both engines.
RUN_BY_FUNCTION = sorted(name for name, sql in sql_catalog().items() if _PER_CALL.search(_COMMENT.sub("", sql)))


def spark_or_skip():
    """The test process's local SparkSession (local[2], 2 shuffle partitions, zone UTC, no
    whole-stage code generation).

    Without Java or pyspark the Spark tests are skipped locally, but fail in CI (CI=true),
    where .ci/run installs both.
    """
    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("pyspark is not installed (make test installs it)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI"):
            raise RuntimeError("Java is missing: .ci/run installs openjdk-17-jre-headless")
        pytest.skip("no Java (apt-get install openjdk-17-jre-headless)")
    from opslab.engine.spark_engine import spark_session
    # Whole-stage code generation compiles every plan to Java: worth it on real volumes, but on
    # the test data sets compiling is most of the time (a strict funnel on the sample, three
    # alternating pairs in one session at load 10: 68-88 s with it, 39-60 s without). Results
    # do not depend on it.
    return spark_session(master="local[2]", shuffle_partitions=2, driver_memory="1g",
                         conf={"spark.sql.codegen.wholeStage": "false"})


def query_params(name: str, ds, grains=("day", "week", "month")) -> list[dict]:
    """Parameter sets for one named query on ``ds``: every grain the query accepts, and a
    cutoff late enough to have history and early enough to have a label window after it.
    A query with a parameter not listed here fails the test (add it here)."""
    used = set(_PARAM.findall(_COMMENT.sub("", sql_catalog()[name])))
    end = ds.end
    mid = end - dt.timedelta(days=45)
    base = dict(cutoff=mid, as_of=end, eligible=90, k=5, horizon=30, start=ds.start, end=end,
                prev_start=ds.start - dt.timedelta(days=31), after=mid - dt.timedelta(days=60),
                until=mid, warn=14, pot=30, value=90, conversion_days=30, burn_in=30,
                names=["purchase", "view", "click", "__none__", "__none__"], with_events=True, days=90,
                high_value=200.0, period=mid, uid=1, stop=end + dt.timedelta(days=1), all_names=False,
                no_orders=False, limit=50, offset=0, last=end,
                act_days=[7, 14, 28, 30, 56, 90, 180, 365, 10, 0, 0, 0],  # user_features: windows and unused slots
                paid_lo=[0, 30, 0, 5, 0, 0], paid_hi=[30, 60, 90, 20, 0, 0])
    unknown = used - set(base) - {"grain"}
    assert not unknown, f"query {name} uses parameters the engine test does not know: {unknown}"
    args = {k: v for k, v in base.items() if k in used}
    if "grain" not in used:
        return [args]
    if name in ("lifecycle_activity_states", "cohort_activity"):  # week and month only
        grains = [g for g in grains if g in ("week", "month")] or ["month"]
    return [{**args, "grain": g} for g in grains]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), kind="stable", ignore_index=True)


def assert_same(a: pd.DataFrame, b: pd.DataFrame, what: str, order_matters: bool) -> None:
    """Same columns and rows; integers, strings, dates and booleans exactly, floats to 1e-9
    relative. Rows are compared in order when the query has an ORDER BY, else sorted."""
    assert list(a.columns) == list(b.columns), f"{what}: columns {list(a.columns)} != {list(b.columns)}"
    assert len(a) == len(b), f"{what}: {len(a)} rows != {len(b)} rows"
    if not order_matters:
        a, b = _sorted(a), _sorted(b)
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            xv, yv = x.to_numpy(dtype="float64"), y.to_numpy(dtype="float64")
            same_nan = np.isnan(xv) == np.isnan(yv)
            close = np.isclose(xv, yv, rtol=RTOL, atol=0.0) | (np.isnan(xv) & np.isnan(yv))
            bad = ~(same_nan & close)
            assert not bad.any(), f"{what}.{col}: {int(bad.sum())} values differ, e.g. {xv[bad][:3]} vs {yv[bad][:3]}"
        else:
            xs, ys = x.astype("object").where(x.notna(), None), y.astype("object").where(y.notna(), None)
            bad = [i for i, (p, q) in enumerate(zip(xs, ys)) if p != q]
            assert not bad, f"{what}.{col}: {len(bad)} values differ, e.g. row {bad[0]}: {xs[bad[0]]!r} vs {ys[bad[0]]!r}"


def compare_every_query(ds_a, ds_b, grains=("day", "week", "month")) -> list[str]:
    """Run every named query of opslab/sql on both data sets' engines and compare; the tables
    made by CREATE statements (derived tables, source views) are compared in full. Returns the
    names checked."""
    checked = []
    ea, eb = ds_a.engine, ds_b.engine
    catalog = sql_catalog()
    dropped = {m.group(1).lower() for sql in catalog.values() for m in DROP.finditer(_COMMENT.sub("", sql))}
    for name, sql in catalog.items():
        if name in RUN_BY_FUNCTION:  # compared through funnel / paths / ab_test (test_spark_behaviour.py)
            continue
        if DROP.search(_COMMENT.sub("", sql)):  # run while the tables are built: nothing to compare
            checked.append(name)
            continue
        made = DDL.search(_COMMENT.sub("", sql))
        if made and made.group(2).lower() in dropped:
            # a table made to build others, then dropped: gone on both engines; its rows are
            # compared through the tables built from it (compared in full below)
            assert not _exists(ea, made.group(2)) and not _exists(eb, made.group(2)), made.group(2)
            checked.append(name)
            continue
        if made:
            table = made.group(2)
            try:
                ta = ea.sql(f"SELECT * FROM {table}")
            except Exception:  # noqa: BLE001 - a source query on an in-memory data set: not built
                continue
            assert_same(ta, eb.sql(f"SELECT * FROM {table}"), f"{name} ({table})", order_matters=False)
            checked.append(name)
            continue
        for args in query_params(name, ds_a, grains):
            ordered = "ORDER BY" in _COMMENT.sub("", sql).upper().rsplit(")", 1)[-1]
            assert_same(ea.run(name, **args), eb.run(name, **args), f"{name}{args}", ordered)
        checked.append(name)
    return checked


def _exists(engine, table: str) -> bool:
    try:
        engine.sql(f"SELECT 1 FROM {table} LIMIT 1")
    except Exception:  # noqa: BLE001 - DuckDB's and Spark's "no such table"
        return False
    return True


def same_rows(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    """:func:`assert_same` of two results in their order (their indexes ignored)."""
    assert_same(a.reset_index(drop=True), b.reset_index(drop=True), what, order_matters=True)


def write_sample_folder(root, ds=None, rows_per_file: int = 2_000_000):
    """The sample's (or ``ds``'s) four tables written in the canonical Parquet layout under
    ``root``; returns ``root``."""
    from opslab.dataset.load import load_sample
    from opslab.dataset.sources import write_parquet_layout
    ds = ds if ds is not None else load_sample()
    write_parquet_layout({"events": ds.events, "orders": ds.orders, "users": ds.users,
                          "campaigns": ds.campaigns}, root, rows_per_file=rows_per_file)
    return root


def assert_paths_same(ds_a, ds_b, cases) -> None:
    """``opslab.paths`` and its leave points equal on two data sets, for each
    ``(event, direction, collapse, session_minutes)`` of ``cases`` (depth 4)."""
    from opslab.behaviour import paths as up
    for event, direction, collapse, minutes in cases:
        a = up.paths(ds_a, event, direction, depth=4, session_minutes=minutes, collapse=collapse)
        b = up.paths(ds_b, event, direction, depth=4, session_minutes=minutes, collapse=collapse)
        what = f"paths {event} {direction} collapse={collapse}"
        assert a.n_users == b.n_users > 100, what
        for part in ("paths", "nodes", "edges"):
            same_rows(getattr(a, part), getattr(b, part), f"{what} {part}")
        same_rows(up.leave_points(a, "purchase"), up.leave_points(b, "purchase"), f"{what} leave points")
