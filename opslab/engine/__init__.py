"""Engines that run OpsLab's named SQL (``opslab/sql/*.sql``).

The embedded DuckDB engine is the default; every analysis talks to it through
:class:`Engine`.
"""

from opslab.engine.duckdb_engine import Engine, sql_catalog

__all__ = ["Engine", "sql_catalog"]
