"""Engines that run OpsLab's named SQL (``opslab/sql/*.sql``).

:class:`Engine` is the interface; :class:`DuckDBEngine` (embedded, the default) runs the SQL as
written, :class:`~opslab.engine.spark_engine.SparkEngine` (import it from its module; it needs
pyspark) runs the same SQL transpiled to Spark SQL with sqlglot.
"""

from opslab.engine.base import Engine, sql_catalog
from opslab.engine.duckdb_engine import DuckDBEngine

__all__ = ["DuckDBEngine", "Engine", "sql_catalog"]
