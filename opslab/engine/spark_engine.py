"""The Spark engine: OpsLab's named DuckDB SQL, transpiled to Spark SQL with sqlglot at run time.

There is one copy of every query (``opslab/sql/*.sql``, DuckDB SQL). :func:`to_spark` turns
it into Spark SQL in four steps, each a rule listed in ``docs/ARCHITECTURE.md``:

1. ``$name`` parameters become typed literals (dates, numbers, strings, arrays), so sqlglot
   sees e.g. ``datediff('week', ...)`` with a literal unit and writes ``DATEDIFF(WEEK, ...)``.
2. The tree is qualified and typed against the engine's table schemas, and a ``date - date``
   (an integer in DuckDB, an INTERVAL in Spark) becomes ``DATEDIFF(DAY, start, end)``.
3. ``date_trunc`` on a DATE stays ``DATE_TRUNC`` (sqlglot writes Spark's ``TRUNC``, which has
   no ``'day'`` unit and returns NULL for it).
4. Table names get this engine's prefix, so several data sets share one SparkSession.

``CREATE OR REPLACE TABLE x AS ...`` materialises ``x`` (persisted, memory and disk);
``CREATE OR REPLACE VIEW x AS ...`` is a lazy temporary view. Results come back through Arrow and
are converted to pandas exactly as the DuckDB engine converts its own (dates as datetime64,
integer columns with NULLs as floats), so analyses cannot tell the engines apart.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from opslab.engine.base import POSITION, projection, sql_catalog

_SPARK_TYPES = {  # Spark's simpleString type names -> SQL types sqlglot understands
    "int": "INT", "integer": "INT", "bigint": "BIGINT", "smallint": "SMALLINT", "tinyint": "TINYINT",
    "double": "DOUBLE", "float": "FLOAT", "string": "VARCHAR", "boolean": "BOOLEAN",
    "date": "DATE", "timestamp": "TIMESTAMP", "timestamp_ntz": "TIMESTAMP",
}
_SEQ = itertools.count()
#: Optimizer rules OpsLab switches off on its Spark sessions. RemoveRedundantAliases fails on the
#: funnel queries (strict order, or exclusions) with PLAN_VALIDATION_FAILED_RULE_IN_BATCH
#: ("previously resolved and now became unresolved") on pyspark 4.x: removing an alias below a
#: UNION over windowed rows leaves the union with duplicate columns (cf. SPARK-53308). The rule
#: only drops no-op aliases, so without it plans are the same work. ConvertToLocalRelation
#: evaluates projections over an in-memory frame (a registered data set's events) inside the
#: optimizer, once per reference: the funnel reads its events in every layer, and the driver ran
#: out of heap (OutOfMemoryError in "serve-Arrow", the Python side then waits for ever). Without
#: it those rows go through ordinary Spark jobs.
EXCLUDED_RULES = ("org.apache.spark.sql.catalyst.optimizer.RemoveRedundantAliases",
                  "org.apache.spark.sql.catalyst.optimizer.ConvertToLocalRelation")


def spark_session(master: str | None = "local[2]", remote: str | None = None,
                  shuffle_partitions: int = 8, driver_memory: str | None = None,
                  conf: dict[str, str] | None = None):
    """Get (or start) the SparkSession OpsLab runs on, with the session zone pinned to UTC.

    ``remote`` (``"sc://host:15002"``) connects to a Spark Connect server; otherwise
    ``master`` (``"local[2]"``, ``"spark://host:7077"``, ``"yarn"``) starts a classic session.
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("OpsLab")
    if remote:
        builder = builder.remote(remote)
    else:
        builder = (builder.master(master or "local[2]")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
                   .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC"))
        if driver_memory:
            builder = builder.config("spark.driver.memory", driver_memory)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.shuffle.partitions", str(int(shuffle_partitions)))
    if not remote:
        spark.sparkContext.setLogLevel("ERROR")
    exclude_rules(spark)
    return spark


def exclude_rules(spark) -> None:
    """Add :data:`EXCLUDED_RULES` to the session's ``spark.sql.optimizer.excludedRules``
    (keeping any rules already excluded there)."""
    key = "spark.sql.optimizer.excludedRules"
    have = [r for r in (spark.conf.get(key, "") or "").split(",") if r.strip()]
    missing = [r for r in EXCLUDED_RULES if r not in have]
    if missing:
        spark.conf.set(key, ",".join(have + missing))


def _literal(value: Any) -> exp.Expression:
    if isinstance(value, dt.datetime) or isinstance(value, pd.Timestamp):
        return exp.Literal.string(pd.Timestamp(value).isoformat(sep=" "))
    if isinstance(value, dt.date):
        return exp.Literal.string(value.isoformat())
    if hasattr(value, "item") and not isinstance(value, (list, tuple)):  # numpy scalars
        value = value.item()
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[_literal(v) for v in value])
    return exp.convert(value)


def _date_diffs(tree: exp.Expression) -> None:
    for sub in list(tree.find_all(exp.Sub)):
        lt, rt = sub.left.type, sub.right.type
        if lt is not None and rt is not None and lt.is_type("date") and rt.is_type("date"):
            sub.replace(exp.Paren(this=exp.DateDiff(this=sub.left.copy(), expression=sub.right.copy(),
                                                    unit=exp.var("DAY"))))


def to_spark(sql: str, params: dict[str, Any] | None = None, schema: dict | None = None,
             rename: dict[str, str] | None = None) -> str:
    """One DuckDB statement as Spark SQL (see the module docstring for the rules).

    >>> to_spark("SELECT day - CAST($d AS DATE) AS n FROM t", {"d": "2024-01-01"},
    ...          schema={"t": {"day": "DATE"}})
    "SELECT (DATEDIFF(DAY, CAST('2024-01-01' AS DATE), t.day)) AS n FROM t AS t"
    """
    params = params or {}
    tree = sqlglot.parse_one(sql, read="duckdb")
    for node in list(tree.find_all(exp.Placeholder, exp.Parameter)):
        name = node.name if isinstance(node, exp.Placeholder) else node.this.name
        if name not in params:
            raise ValueError(f"missing SQL parameter: {name}")
        node.replace(_literal(params[name]))
    body = tree.expression if isinstance(tree, exp.Create) else tree
    if schema:
        typed = qualify(body, schema=schema, dialect="duckdb", validate_qualify_columns=False,
                        quote_identifiers=False)
        typed = annotate_types(typed, schema=schema)
        _date_diffs(typed)
        body = typed
    for trunc in list(body.find_all(exp.DateTrunc)):
        trunc.replace(exp.TimestampTrunc(this=trunc.this.copy(), unit=trunc.args["unit"].copy()))
    for table in body.find_all(exp.Table):
        if rename and table.name in rename and not table.args.get("db"):
            table.set("this", exp.to_identifier(rename[table.name]))
    return body.sql(dialect="spark")


class SparkEngine:
    """Named OpsLab SQL on a SparkSession (local, a cluster, or Spark Connect).

    Every table this engine creates is a temporary view with a private prefix, so several data
    sets can share one session; :meth:`close` drops them and frees what was persisted.

    Examples
    --------
    >>> eng = SparkEngine(spark_session())            # doctest: +SKIP
    >>> eng.sql("SELECT 1 AS x")["x"].tolist()         # doctest: +SKIP
    [1]
    """

    name = "spark"

    def __init__(self, spark=None, **session_args):
        self.spark = spark if spark is not None else spark_session(**session_args)
        exclude_rules(self.spark)  # a session made elsewhere (connect(spark=...)) too
        self._prefix = f"opslab{next(_SEQ)}_"
        self._schemas: dict[str, dict[str, str]] = {}
        self._persisted: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._convert = duckdb.connect(database=":memory:")  # Arrow -> pandas as DuckDB does it
        self._convert.execute("SET TimeZone = 'UTC'")

    # -- tables -----------------------------------------------------------------------------
    def _remember(self, name: str, frame) -> None:
        self._schemas[name] = {f.name: _SPARK_TYPES.get(f.dataType.simpleString(), "VARCHAR")
                               for f in frame.schema.fields}
        frame.createOrReplaceTempView(self._prefix + name)

    def register(self, name: str, frame: pd.DataFrame | pa.Table) -> None:
        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        with self._lock:
            self._remember(name, self.spark.createDataFrame(table))

    def register_source(self, name: str, location: str, columns: dict[str, str],
                        kind: str = "parquet") -> None:
        """A lazy view ``name`` over a Parquet folder (``kind="parquet"``, partition folders
        ``key=value`` included) or a catalog table (``kind="table"``, e.g. ``db.events``)."""
        with self._lock:
            if kind == "parquet":
                raw = self.spark.read.option("mergeSchema", "true").parquet(str(location))
            elif kind == "table":
                raw = self.spark.table(location)
            else:
                raise ValueError(f"unknown source kind {kind!r}")
            try:  # each row's file and row (base.POSITION): file sources have _metadata. The
                # path is a URI; a local one is written as DuckDB's file name (no file:, decoded)
                path = "regexp_replace(url_decode(_metadata.file_path), '^file:(//)?', '')"
                raw = raw.selectExpr("*", f"{path} AS __opslab_file",
                                     "CAST(_metadata.row_index AS BIGINT) AS __opslab_row")
                place = f"__opslab_file AS {POSITION[0]}, __opslab_row AS {POSITION[1]}"
            except Exception:  # not file-based: no position, time alone orders the rows
                place = f"CAST(NULL AS VARCHAR) AS {POSITION[0]}, CAST(NULL AS BIGINT) AS {POSITION[1]}"
            tmp = self._prefix + "raw_" + name
            raw.createOrReplaceTempView(tmp)
            own = [c for c in raw.columns if c not in ("__opslab_file", "__opslab_row")]
            select = projection(own, columns, lambda c: '"' + c.replace('"', '""') + '"')
            view = self.spark.sql(to_spark(f"SELECT {select}, {place} FROM raw", rename={"raw": tmp}))
            self._remember(name, view)

    # -- queries ----------------------------------------------------------------------------
    def run(self, name: str, **params: Any) -> pd.DataFrame | None:
        """Run the named query; SELECTs return a DataFrame, CREATE materialises and returns None."""
        return self.sql(sql_catalog()[name], **params)

    def transpile(self, sql: str, **params: Any) -> str:
        rename = {n: self._prefix + n for n in self._schemas}
        return to_spark(sql, params, schema=self._schemas, rename=rename)

    def sql(self, sql: str, **params: Any) -> pd.DataFrame | None:
        tree = sqlglot.parse_one(sql, read="duckdb")
        with self._lock:
            if isinstance(tree, exp.Drop):  # tables of ours (temporary views): forget them
                for table in tree.find_all(exp.Table):
                    old = self._persisted.pop(table.name, None)
                    if self._schemas.pop(table.name, None) is not None:
                        self.spark.catalog.dropTempView(self._prefix + table.name)
                    if old is not None:
                        old.unpersist()
                return None
            frame = self.spark.sql(self.transpile(sql, **params))
            if isinstance(tree, exp.Create):
                name = tree.this.name if isinstance(tree.this, exp.Table) else tree.this.this.name
                old = self._persisted.pop(name, None)
                if tree.kind == "TABLE":
                    frame = frame.persist()
                    frame.count()  # materialise now, as DuckDB's CREATE TABLE does
                    self._persisted[name] = frame
                self._remember(name, frame)
                if old is not None:
                    old.unpersist()
                return None
            return self._to_pandas(frame.toArrow())

    def _to_pandas(self, table: pa.Table) -> pd.DataFrame:
        cols = []
        for field, col in zip(table.schema, table.columns):
            if pa.types.is_timestamp(field.type) and field.type.tz is not None:
                col = col.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
            cols.append(col)
        table = pa.Table.from_arrays(cols, names=table.column_names)
        with self._lock:
            return self._convert.from_arrow(table).df()

    def close(self) -> None:
        with self._lock:
            for frame in self._persisted.values():
                frame.unpersist()
            self._persisted.clear()
            for name in self._schemas:
                self.spark.catalog.dropTempView(self._prefix + name)
                self.spark.catalog.dropTempView(self._prefix + "raw_" + name)
            self._schemas.clear()
            self._convert.close()
