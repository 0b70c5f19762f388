"""Data sets that stay where they are: a folder of Parquet files or Spark catalog tables.

The canonical Parquet layout is one folder per table below a root, each holding any number
of Parquet files (Hive-style ``key=value`` partition folders allowed)::

    root/events/     user_id, event_time [, event_name, amount, channel]
    root/orders/     user_id, order_time, amount [, order_id, status, channel]
    root/users/      user_id [, signup_time, channel, city]
    root/campaigns/  campaign_id, start_date, end_date, spend [, ...]

(``root/events.parquet`` single files work too). Only events or orders are required. Times are
naive wall-clock times (time-zone-aware ones are read as UTC); ``status`` is ``paid``,
``refunded`` or ``unpaid`` (NULL means paid).

:func:`connect` returns a :class:`SourceDataset`: a :class:`~opslab.dataset.dataset.Dataset` whose
tables are never pulled into Python. The engine (embedded DuckDB or Spark) reads the files in
place, numbers the users, builds the per-user-day tables and runs every analysis there; only
small frames (per period, per cohort, per user) come back.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from opslab.dataset.dataset import Dataset
from opslab.dataset.tables import BURN_IN_DAYS, conform
from opslab.engine import DuckDBEngine, Engine
from opslab.engine.base import POSITION
from opslab.core.problems import OpsLabError
from opslab.core.schema import CAMPAIGNS, PURCHASE_EVENT_NAMES
from opslab.engine.spark_engine import SparkEngine, spark_session
import pyarrow as pa
import pyarrow.parquet as pq

TABLES = ("events", "orders", "users", "campaigns")
#: The canonical columns of each source table, with the SQL type the engines read them as.
COLUMNS: dict[str, dict[str, str]] = {
    "events": {"user_id": "VARCHAR", "event_time": "TIMESTAMP", "event_name": "VARCHAR",
               "amount": "DOUBLE", "channel": "VARCHAR"},
    "orders": {"user_id": "VARCHAR", "order_time": "TIMESTAMP", "amount": "DOUBLE",
               "order_id": "VARCHAR", "status": "VARCHAR", "channel": "VARCHAR"},
    "users": {"user_id": "VARCHAR", "signup_time": "TIMESTAMP", "channel": "VARCHAR",
              "city": "VARCHAR"},
    "campaigns": {"campaign_id": "VARCHAR", "start_date": "TIMESTAMP", "end_date": "TIMESTAMP",
                  "spend": "DOUBLE", "name": "VARCHAR", "type": "VARCHAR", "channel": "VARCHAR",
                  "participants": "DOUBLE", "new_users": "DOUBLE", "conversions": "DOUBLE",
                  "revenue": "DOUBLE"},
}
_DTYPES = {"VARCHAR": "str", "TIMESTAMP": "datetime64[us]", "DOUBLE": "float64"}
#: The named queries (opslab/dataset/sources.sql) that turn source tables into ev / od / us (and
#: the lazy view fev_src the behaviour screens number into fev, see opslab.behaviour.funnel_sql).
PREPARE = ("source_orders", "source_events", "source_users", "source_ev", "source_fev", "source_od",
           "source_us")
#: The event properties a source offers (the optional columns of its events table).
EVENT_PROPERTIES = ("amount", "channel")


def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_DTYPES[t]) for c, t in COLUMNS[table].items()})


def _is_remote(location: str) -> bool:
    """An object-store or HDFS URI (s3a://, abfss://, hdfs://, gs://): Spark reads it, Python
    cannot list it."""
    return "://" in str(location) and not str(location).startswith("file://")


def parquet_layout(root: str | os.PathLike) -> dict[str, str]:
    """The canonical tables found under ``root``: ``{"events": ".../events", ...}``.

    >>> parquet_layout("/no/such/folder")
    Traceback (most recent call last):
    ...
    opslab.core.problems.OpsLabError: No events or orders table in /no/such/folder. ... [sources.no_tables]
    """
    if _is_remote(str(root)):  # checked when the engine reads it (see SourceDataset)
        return {table: str(root).rstrip("/") + "/" + table for table in TABLES}
    root = Path(root)
    found = {}
    for table in TABLES:
        for candidate in (root / table, root / f"{table}.parquet"):
            if candidate.exists():
                found[table] = str(candidate)
                break
    if "events" not in found and "orders" not in found:
        raise OpsLabError("sources.no_tables", path=str(root))
    return found


def _fingerprint(kind: str, locations: Mapping[str, str], engine: str) -> str:
    """Changes when any file of the source changes (name, size, modification time)."""
    h = hashlib.sha256(f"{kind}|{engine}".encode())
    for table in sorted(locations):
        h.update(f"|{table}={locations[table]}".encode())
        path = Path(locations[table])
        if kind == "parquet" and path.exists():
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for f in files:
                st = f.stat()
                h.update(f"{f.relative_to(path) if f != path else f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:12]


class SourceDataset(Dataset):
    """A :class:`~opslab.dataset.dataset.Dataset` over a Parquet folder or catalog tables.

    Every analysis works on it unchanged: they read the engine's derived tables. The pandas
    views an analysis may ask for are small and built on demand: ``users`` (one row per user:
    uid, user_id, signup_time, censored), ``orders`` (paid orders rolled up per user and day,
    enough for CLV), ``campaigns``. ``events`` is never materialised in Python.
    """

    def __init__(self, locations: Mapping[str, str], kind: str = "parquet",
                 engine_factory: Callable[[], Engine] | None = None, fingerprint: str | None = None):
        locations = dict(locations)
        if "events" not in locations and "orders" not in locations:
            raise OpsLabError("sources.no_tables", path=", ".join(locations.values()) or "-")
        factory = engine_factory or DuckDBEngine
        name = getattr(factory, "name", None) or getattr(factory, "__name__", "engine")
        object.__setattr__(self, "locations", locations)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "engine_factory", factory)
        object.__setattr__(self, "fingerprint", fingerprint or _fingerprint(kind, locations, str(name)))
        derived = [t for t, missing in (("orders", "orders" not in locations),
                                        ("events", "events" not in locations)) if missing]
        object.__setattr__(self, "derived", tuple(derived))
        object.__setattr__(self, "_frames", {})
        self.__post_init__()

    def __repr__(self) -> str:
        return f"SourceDataset({self.kind}, {sorted(self.locations)}, fingerprint={self.fingerprint!r})"

    __hash__ = object.__hash__

    def __eq__(self, other) -> bool:
        return isinstance(other, SourceDataset) and other.fingerprint == self.fingerprint

    def on_engine(self, factory: Callable[[], Engine]) -> "SourceDataset":
        return SourceDataset(self.locations, self.kind, factory)

    # -- the engine ------------------------------------------------------------------------
    def _build_engine(self) -> Engine:
        eng = self.engine_factory()
        present = set()
        for table in ("events", "orders", "users", "campaigns"):
            if table in self.locations:
                try:
                    eng.register_source(f"src_{table}", self.locations[table], COLUMNS[table], kind=self.kind)
                    present.add(table)
                    continue
                except Exception:
                    # a remote root (s3a://...) is not listed beforehand: a table folder that
                    # is not there is an absent optional table; events or orders must exist
                    if not _is_remote(self.locations[table]):
                        raise
            eng.register(f"src_{table}", _empty(table).assign(
                **{POSITION[0]: pd.Series(dtype="str"), POSITION[1]: pd.Series(dtype="int64")}))
        if not present & {"events", "orders"}:
            raise OpsLabError("sources.no_tables", path=", ".join(self.locations.values()))
        derived = [t for t in ("orders", "events") if t not in present]
        object.__setattr__(self, "derived", tuple(derived))
        eng.register("src_flags", pd.DataFrame({"has_events": ["events" in present],
                                                "has_orders": ["orders" in present]}))
        eng.register("purchase_names", pd.DataFrame({"name": sorted(PURCHASE_EVENT_NAMES)}))
        for name in PREPARE:
            eng.run(name, burn_in=BURN_IN_DAYS)
        eng.run("order_day", gross=False, priced=True)
        eng.run("user_day")
        eng.run("paid_day")
        eng.run("refund_day", gross=False)
        eng.run("user_first")
        eng.run("order_day_done")
        return eng

    def _frame(self, key: str, compute):
        with self._lock:
            if key not in self._frames:
                self._frames[key] = compute()
            return self._frames[key]

    @property
    def facts(self) -> dict[str, Any]:
        """Users, events, orders and the first and last day with activity (one small query)."""
        return self._frame("facts", lambda: self.engine.run("source_facts").iloc[0].to_dict())

    # -- what Dataset offers as frames, built on demand --------------------------------------
    @property
    def users(self) -> pd.DataFrame:
        return self._frame("users", lambda: self.engine.run("source_user_ids"))

    @property
    def orders(self) -> pd.DataFrame:
        """Non-refunded orders per user and day (``n_orders`` holds how many): what CLV reads."""
        return self._frame("orders", lambda: self.engine.run("source_orders_daily"))

    @property
    def campaigns(self) -> pd.DataFrame:
        def load():
            if "campaigns" not in self.locations:
                return conform(_empty("campaigns"), CAMPAIGNS)
            return conform(self.engine.run("source_campaigns"), CAMPAIGNS)
        return self._frame("campaigns", load)

    @property
    def events(self):
        raise OpsLabError("sources.events_stay_in_engine")

    @property
    def events_in_memory(self) -> bool:
        return False

    @property
    def event_columns(self) -> tuple[str, ...]:
        """The event properties a source can carry (the optional columns of its events)."""
        return EVENT_PROPERTIES

    @property
    def n_users(self) -> int:
        return int(self.facts["n_users"])

    @property
    def n_events(self) -> int:
        return int(self.facts["n_events"])

    @property
    def n_orders(self) -> int:
        return int(self.facts["n_orders"])

    @property
    def start(self):
        return pd.Timestamp(self.facts["first_day"]).date()

    @property
    def end(self):
        return pd.Timestamp(self.facts["last_day"]).date()


def _engine_factory(engine: str | Callable[[], Engine], spark=None, master: str | None = None,
                    remote: str | None = None, **engine_args) -> Callable[[], Engine]:
    if callable(engine):
        return engine
    if engine == "duckdb":
        def make():
            return DuckDBEngine(**engine_args)
        make.name = "duckdb"
        return make
    if engine == "spark":

        def make():
            session = spark if spark is not None else spark_session(master=master, remote=remote, **engine_args)
            return SparkEngine(session)
        make.name = "spark"
        return make
    raise OpsLabError("sources.unknown_engine", engine=str(engine))


def connect(path_or_tables, engine: str = "duckdb", *, spark=None, master: str | None = None,
            remote: str | None = None, currency: str | None = None, **engine_args) -> Dataset:
    """A data set that stays where it is, analysed by ``engine`` (``"duckdb"`` or ``"spark"``).

    Parameters
    ----------
    path_or_tables
        A folder in the canonical Parquet layout (see the module docstring); or a mapping of
        table name to Parquet location (``{"events": "/data/ev/", ...}``); or, on Spark, a
        mapping of table name to catalog table (``{"events": "ops.events", ...}``); or a
        :class:`~opslab.dataset.dataset.Dataset` (in-memory tables) to put on ``engine``.
    engine
        ``"duckdb"`` (embedded, reads the files in place) or ``"spark"``.
    spark, master, remote
        Spark only: an existing SparkSession, or a master URL (``"local[2]"``,
        ``"spark://host:7077"``), or a Spark Connect address (``"sc://host:15002"``).
    currency
        ISO code of the amounts (``"CNY"``, ``"GBP"`` ...); canonical tables do not say, and
        none is assumed: without it amounts are plain numbers and no festival calendar applies.
    **engine_args
        Passed to the engine: ``threads``, ``memory_limit``, ``temp_directory`` for DuckDB;
        ``shuffle_partitions``, ``driver_memory``, ``conf`` for a new Spark session.

    Examples
    --------
    >>> import tempfile, opslab.synth as synth
    >>> root = tempfile.mkdtemp()
    >>> _ = write_parquet_layout(synth.generate(synth.SynthConfig(n_users=200, seed=1)), root)
    >>> ds = connect(root)
    >>> ds.n_users > 0 and ds.engine.run("period_totals", grain="month", start="1900-01-01", end=str(ds.end), as_of=str(ds.end), conversion_days=30) is not None
    True
    """
    factory = _engine_factory(engine, spark=spark, master=master, remote=remote, **engine_args)
    ds = _connect(path_or_tables, engine, factory)
    if currency:
        object.__setattr__(ds, "currency", str(currency).upper())
    return ds


def _connect(path_or_tables, engine: str, factory) -> Dataset:
    if isinstance(path_or_tables, Dataset):
        return path_or_tables.on_engine(factory)
    if isinstance(path_or_tables, Mapping):
        locations = {k: str(v) for k, v in path_or_tables.items() if k in TABLES and v}
        unknown = set(path_or_tables) - set(TABLES)
        if unknown:
            raise OpsLabError("sources.unknown_table", table=", ".join(sorted(unknown)))
        # paths (a folder, a file, a URI) are Parquet; anything else ("db.table") a catalog table
        is_path = [Path(v).exists() or _is_remote(v) or "/" in v or v.endswith(".parquet")
                   for v in locations.values()]
        if any(is_path) and not all(is_path):
            raise OpsLabError("sources.mixed_tables")
        kind = "parquet" if all(is_path) or engine == "duckdb" else "table"
        return SourceDataset(locations, kind, factory)
    return SourceDataset(parquet_layout(path_or_tables), "parquet", factory)


def write_parquet_layout(tables, root: str | os.PathLike, rows_per_file: int = 2_000_000) -> dict[str, str]:
    """Write events / orders / users / campaigns frames (or an object with those attributes,
    such as :func:`opslab.synth.generate`'s result) in the canonical Parquet layout.

    Returns the folders written, as :func:`parquet_layout` would find them.
    """

    root = Path(root)
    out = {}
    for table in TABLES:
        frame = tables.get(table) if isinstance(tables, Mapping) else getattr(tables, table, None)
        if frame is None:
            continue
        folder = root / table
        folder.mkdir(parents=True, exist_ok=True)
        keep = [c for c in frame.columns if c in COLUMNS[table]]
        data = frame[keep].copy()
        for c in keep:
            if COLUMNS[table][c] == "TIMESTAMP":
                data[c] = pd.to_datetime(data[c]).astype("datetime64[us]")
            elif COLUMNS[table][c] == "VARCHAR":
                data[c] = data[c].astype("str").where(data[c].notna(), None)
        arrow = pa.Table.from_pandas(data, preserve_index=False)
        for i, start in enumerate(range(0, max(len(data), 1), rows_per_file)):
            pq.write_table(arrow.slice(start, rows_per_file), folder / f"part-{i:05d}.parquet")
        out[table] = str(folder)
    return out


def source_from_config(config: Mapping[str, Any]) -> Dataset | None:
    """The data set a ``[opslab]`` table of ``.streamlit/secrets.toml`` points at, or None.

    Keys: ``source`` (a Parquet folder) or ``tables`` (table -> catalog table or Parquet
    location); ``engine`` (``"duckdb"``, default, or ``"spark"``); ``spark`` (a Spark Connect
    address ``sc://host:15002`` or a master URL); ``shuffle_partitions``, ``driver_memory``.

    >>> source_from_config({}) is None
    True
    """
    engine = str(config.get("engine", "duckdb"))
    spark_at = config.get("spark")
    remote = spark_at if isinstance(spark_at, str) and spark_at.startswith("sc://") else None
    master = None if remote else spark_at
    args = {k: config[k] for k in ("shuffle_partitions", "driver_memory") if k in config and engine == "spark"}
    args.update({k: config[k] for k in ("threads", "memory_limit", "temp_directory") if k in config and engine == "duckdb"})
    if config.get("currency"):  # the [opslab] table names the amounts' currency: none is assumed
        args["currency"] = str(config["currency"])
    if config.get("tables"):
        return connect(dict(config["tables"]), engine, master=master, remote=remote, **args)
    if config.get("source"):
        return connect(str(config["source"]), engine, master=master, remote=remote, **args)
    return None


def engine_from_config(config: Mapping[str, Any]) -> Callable[[], Engine] | None:
    """The engine factory a ``[opslab]`` config asks for when it names no source (the sample
    or uploads then run there), or None for the default embedded DuckDB."""
    if str(config.get("engine", "duckdb")) != "spark":
        return None
    spark_at = config.get("spark")
    remote = spark_at if isinstance(spark_at, str) and spark_at.startswith("sc://") else None
    args = {k: config[k] for k in ("shuffle_partitions", "driver_memory") if k in config}
    return _engine_factory("spark", master=None if remote else spark_at, remote=remote, **args)


__all__ = ["SourceDataset", "connect", "engine_from_config", "parquet_layout", "source_from_config",
           "write_parquet_layout"]

