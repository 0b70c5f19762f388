"""The canonical :class:`Dataset`: one object that every analysis and page reads.

Built from already-coerced canonical tables (see :mod:`opslab.schema`), it fills the gaps the
data model allows (no orders table: purchase events are the orders; no users table: signup
is the first activity), gives every user a dense integer id ``uid`` for fast joins, and owns a
private :class:`~opslab.engine.Engine` (DuckDB unless told otherwise) with the derived
per-user-day tables.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401 (pa.compute)

from opslab.engine import DuckDBEngine, Engine
from opslab.schema import (
    CAMPAIGNS,
    EVENTS,
    ORDERS,
    PURCHASE_EVENT_NAMES,
    USERS,
    TableSpec,
)
from opslab.ingest.fastparse import filter_rows, strip_text
from opslab.ingest.mapping import parse_status

_TS = "datetime64[us]"
MEMO_ENTRIES = 48
#: Without signup times, users first seen this early in the data count as existing users.
BURN_IN_DAYS = 30


def _empty(spec: TableSpec) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in spec.columns})
    for c in spec.times + spec.dates:
        frame[c] = pd.Series(dtype=_TS)
    for c in spec.money + spec.numbers:
        frame[c] = pd.Series(dtype="float64")
    return frame


def _conform(frame: pd.DataFrame | None, spec: TableSpec) -> pd.DataFrame | None:
    """Canonical dtypes and every optional column present (NaN/None when absent)."""
    if frame is None:
        return None
    out = frame.copy(deep=False)  # copy-on-write: columns are replaced below, never written into
    for c in spec.columns:
        if c not in out.columns:
            out[c] = np.nan if c in spec.money + spec.numbers else None
    for c in spec.times + spec.dates:
        t = pd.to_datetime(out[c])
        if getattr(t.dt, "tz", None) is not None:  # keep the wall-clock time, drop the zone
            t = t.dt.tz_localize(None)
        out[c] = t.astype(_TS)
    for c in spec.money + spec.numbers:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    for c in ("user_id", "order_id", "campaign_id"):
        if c in out.columns:
            out[c] = out[c].astype("str")
    return out


def orders_from_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events with a purchase-like name or a positive amount become paid orders (exports often
    put 0 on every other event, and a negative amount is a refund, not a sale)."""
    names = strip_text(events["event_name"]).str.lower()
    is_buy = (names.isin(PURCHASE_EVENT_NAMES) & ~(events["amount"] < 0)) | (events["amount"] > 0)
    # only the columns an order needs, each filtered on its own (Arrow text by Arrow)
    keep = is_buy.to_numpy(dtype=bool)
    buys = {c: filter_rows(events[c], keep) for c in ("user_id", "event_time", "amount", "channel") if c in events}
    nums = pa.compute.cast(pa.array(np.arange(int(keep.sum()), dtype=np.int64)), pa.large_string())
    order_id = pa.compute.binary_join_element_wise(pa.scalar("E", pa.large_string()), nums,
                                                   pa.scalar("", pa.large_string()))
    return pd.DataFrame({
        "user_id": buys["user_id"],
        "order_time": buys["event_time"],
        "amount": buys["amount"].fillna(0.0).astype("float64"),
        "order_id": pd.array(order_id, dtype="str"),
        "status": "paid",
        "channel": buys["channel"] if "channel" in buys else None,
    })


def events_from_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """With only an orders file, every paid order is a purchase event (a refund is no visit)."""
    orders = orders[orders["status"] == "paid"].reset_index(drop=True)
    return pd.DataFrame({
        "user_id": orders["user_id"],
        "event_time": orders["order_time"],
        "event_name": "purchase",
        "amount": orders["amount"].astype("float64"),
        "channel": orders["channel"],
    })


def _fingerprint(tables: dict[str, pd.DataFrame]) -> str:
    h = hashlib.sha256()
    for name in sorted(tables):
        frame = tables[name]
        h.update(name.encode())
        h.update(str(list(frame.columns)).encode())
        if len(frame):
            h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:12]


@dataclass(frozen=True)
class Dataset:
    """Events, orders, users and campaigns of one data set, plus its engine.

    Use :meth:`from_tables`; the constructor expects already-complete tables.

    Examples
    --------
    >>> ev = pd.DataFrame({"user_id": ["a", "b"], "event_time": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    >>> ds = Dataset.from_tables(events=ev)
    >>> ds.n_users, str(ds.end), ds.currency
    (2, '2024-01-02', 'CNY')
    """

    events: pd.DataFrame
    orders: pd.DataFrame
    users: pd.DataFrame
    campaigns: pd.DataFrame
    fingerprint: str
    derived: tuple[str, ...] = field(default=())  # what was inferred: "orders", "signup", ...
    #: Makes the engine (DuckDB when None); see :meth:`on_engine`.
    engine_factory: Callable[[], Engine] | None = field(default=None, compare=False, repr=False)
    currency: str = "CNY"  # ISO 4217 code of every amount (decided at upload, settable)

    @classmethod
    def from_tables(cls, events=None, orders=None, users=None, campaigns=None,
                    fingerprint: str | None = None, currency: str = "CNY") -> "Dataset":
        events, orders = _conform(events, EVENTS), _conform(orders, ORDERS)
        users, campaigns = _conform(users, USERS), _conform(campaigns, CAMPAIGNS)
        if events is None and orders is None:
            raise ValueError("a Dataset needs events or orders")
        derived = []
        if orders is not None:
            orders["status"] = _normalise_status(orders["status"])
        if orders is None:
            orders = orders_from_events(events)
            derived.append("orders")
        if events is None:
            events = _conform(events_from_orders(orders), EVENTS)
            derived.append("events")
        if len(events) == 0 and len(orders) == 0:
            raise ValueError("a Dataset needs at least one event or order")
        if events["event_name"].isna().any() or events["event_name"].dtype != "str":
            events["event_name"] = events["event_name"].fillna("active").astype("str")
        fast = _index_users(users, events, orders)
        if fast is None:  # missing ids or times (a notebook's frames): the general path
            users, signup_derived = _complete_users(users, events, orders)
            codes = pd.Index(users["user_id"])
            ev_uid = codes.get_indexer(events["user_id"]).astype("int32")
            od_uid = codes.get_indexer(orders["user_id"]).astype("int32")
        else:
            users, signup_derived, ev_uid, od_uid = fast
        if signup_derived:
            derived.append("signup")
        users["censored"] = _left_censored(users, events, orders, signup_derived)
        campaigns = campaigns if campaigns is not None else _empty(CAMPAIGNS)

        users.insert(0, "uid", np.arange(len(users), dtype="int32"))
        events.insert(0, "uid", ev_uid)
        orders.insert(0, "uid", od_uid)
        events = _sort_by(events, "event_time")
        orders = _sort_by(orders, "order_time")
        if fingerprint is None:
            fingerprint = _fingerprint({"events": events, "orders": orders, "users": users,
                                        "campaigns": campaigns})
        return cls(events, orders, users, campaigns, fingerprint, tuple(derived),
                   currency=str(currency).upper())

    # -- facts ---------------------------------------------------------------------------
    @property
    def events_in_memory(self) -> bool:
        """Whether the raw events are a frame here (False for a Parquet or catalog source, where
        they stay in the engine and only per-user and per-day results come back)."""
        return True

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def start(self):
        """First day with activity (a ``datetime.date``). Signups may be older: a users table
        often lists long-standing users whose earlier activity is not in the export."""
        first = self.events["event_time"].min()
        if len(self.orders):
            first = min(first, self.orders["order_time"].min())
        return first.date()

    @property
    def end(self):
        """Last day with activity; the default ``as_of`` of every analysis."""
        last = self.events["event_time"].max()
        if len(self.orders):
            last = max(last, self.orders["order_time"].max())
        return last.date()

    @property
    def has_campaigns(self) -> bool:
        return len(self.campaigns) > 0

    @property
    def n_events(self) -> int:
        return len(self.events)

    @property
    def n_orders(self) -> int:
        return len(self.orders)

    def on_engine(self, factory: Callable[[], Engine]) -> "Dataset":
        """The same data on another engine (e.g. ``lambda: SparkEngine(spark)``), with a fresh
        memo: results are recomputed there, never copied from this engine."""
        return replace(self, engine_factory=factory)

    # -- per-data-set memo and engine --------------------------------------------------------
    def __post_init__(self):
        # Made eagerly (not lazily) so that sessions sharing one data set never race to create
        # two of them; frozen dataclass, hence object.__setattr__.
        object.__setattr__(self, "_memo", OrderedDict())
        object.__setattr__(self, "_lock", threading.RLock())
        object.__setattr__(self, "_computing", {})  # key -> lock held while it is computed
        object.__setattr__(self, "_engine", [])  # built on first use, kept for the data set's life

    def memo(self, key, compute):
        """Compute once per data set (results derive from immutable data). The least recently
        used entries are dropped beyond ``MEMO_ENTRIES`` so a long session stays bounded.

        Safe when several sessions share the data set: one computes a key while the others
        asking for that key wait; sessions asking for other keys go on (one lock per key being
        computed, so a long model fit does not hold up another session's chart)."""
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
            key_lock = self._computing.setdefault(key, threading.RLock())
        with key_lock:
            with self._lock:
                if key in self._memo:  # computed by the session we waited for
                    return self._memo[key]
            try:
                value = compute()
                with self._lock:
                    self._memo[key] = value
                    while len(self._memo) > MEMO_ENTRIES:
                        self._memo.popitem(last=False)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            return value

    @property
    def engine(self) -> Engine:
        """A private engine with this data set's tables (built on first use)."""
        with self._lock:
            if not self._engine:
                self._engine.append(self._build_engine())
            return self._engine[0]

    def _build_engine(self) -> Engine:
        eng = (self.engine_factory or DuckDBEngine)()
        eng.register("ev", self.events[["uid", "event_time", "event_name"]])
        eng.register("od", self.orders[["uid", "order_time", "amount", "status"]])
        eng.register("us", self.users[["uid", "signup_time", "censored"]])
        for name in ("user_day", "paid_day", "user_first"):
            eng.run(name)
        return eng


def _normalise_status(status: pd.Series) -> pd.Series:
    """paid / refunded / unpaid from whatever a notebook passes ("PAID", "已支付", None ...)."""
    known = status.isin(["paid", "refunded", "unpaid"])
    if known.all():
        return status.astype("str")
    parsed, _ = parse_status(status.astype("str").where(status.notna(), "paid"))
    return parsed.astype("str")


def _left_censored(users, events, orders, signup_derived: bool) -> np.ndarray:
    """Users whose "signup" is only their first appearance in the first ``BURN_IN_DAYS`` of the
    data: most of them were there before the export began, so they are existing users, not new
    sign-ups, and cohorts, new-user counts and paid conversion leave them out. Exports shorter
    than three burn-in periods keep first-seen as the signup (nothing would be left)."""
    times = [events["event_time"]] + ([orders["order_time"]] if len(orders) else [])
    first, last = min(t.min() for t in times), max(t.max() for t in times)
    if not signup_derived or (last - first).days < 3 * BURN_IN_DAYS:
        return np.zeros(len(users), dtype=bool)  # a short export: first seen is the best guess
    cutoff = pd.Timestamp(first).normalize() + pd.Timedelta(days=BURN_IN_DAYS)
    return (users["signup_time"] < cutoff).to_numpy(dtype=bool)


def _sort_by(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``sort_values(column, kind="stable", ignore_index=True)``, skipped when already sorted."""
    t = frame[column].to_numpy("datetime64[us]").view("int64")
    if len(t) < 2 or (not np.isnat(frame[column].to_numpy()).any() and bool((t[1:] >= t[:-1]).all())):
        return frame.reset_index(drop=True)
    return frame.sort_values([column], kind="stable", ignore_index=True)


def _index_users(users, events, orders):
    """Every user seen anywhere with a dense id, from one factorisation of all ids.

    Equals :func:`_complete_users` + ``get_indexer`` (users-table order first, then unseen
    ids in order of first appearance in events, then orders; signup = the earlier of the given
    signup and the first activity) but works on integer codes instead of string indexes and
    group-bys. Returns ``None`` for the rare frames with a missing id or activity time, which
    take the general path.
    """
    if events["user_id"].isna().any() or orders["user_id"].isna().any() \
            or events["event_time"].isna().any() or orders["order_time"].isna().any():
        return None
    given = users is not None
    if given:
        derived = bool(users["signup_time"].isna().all())  # before de-duplication, as the general path
        users = users.drop_duplicates("user_id", keep="first")
        if users["user_id"].isna().any():
            return None
    parts = ([users["user_id"]] if given else []) + [events["user_id"], orders["user_id"]]
    codes, uniques = pd.factorize(pd.concat(parts, ignore_index=True), sort=False)
    codes = codes.astype(np.int64)
    n_us, n_ev, k = (len(users) if given else 0), len(events), len(uniques)
    never = np.iinfo(np.int64).max
    first = np.full(k, never, dtype=np.int64)
    np.minimum.at(first, codes[n_us:n_us + n_ev], events["event_time"].to_numpy("datetime64[us]").view("int64"))
    np.minimum.at(first, codes[n_us + n_ev:], orders["order_time"].to_numpy("datetime64[us]").view("int64"))
    if given:
        signup = users["signup_time"].to_numpy("datetime64[us]")
        first[:n_us] = np.minimum(first[:n_us], np.where(np.isnat(signup), never, signup.view("int64")))
        if (first == never).any():  # a listed user with no signup and no activity: dropped there
            return None
        out = users.set_index("user_id").reindex(pd.Index(uniques, name="user_id"))
        out["signup_time"] = first.view("datetime64[us]")
        out = out.reset_index()
    else:
        derived = True
        nulls = pd.array(pa.nulls(k, pa.large_string()), dtype="str")
        out = pd.DataFrame({"user_id": pd.array(uniques, dtype="str"),
                            "signup_time": first.view("datetime64[us]"),
                            "channel": nulls, "city": nulls.copy()})
    return out, derived, codes[n_us:n_us + n_ev].astype("int32"), codes[n_us + n_ev:].astype("int32")


def _complete_users(users, events, orders) -> tuple[pd.DataFrame, bool]:
    """Every user seen anywhere, with a signup time (first activity when not given)."""
    first = pd.concat([
        events[["user_id", "event_time"]].rename(columns={"event_time": "t"}),
        orders[["user_id", "order_time"]].rename(columns={"order_time": "t"}),
    ]).groupby("user_id", sort=False)["t"].min()
    derived = users is None or users["signup_time"].isna().all()
    if users is None:
        users = _empty(USERS)
    users = users.drop_duplicates("user_id", keep="first").set_index("user_id")
    users = users.reindex(users.index.union(first.index, sort=False))
    seen = first.reindex(users.index)
    # A signup after the first recorded activity would give negative cohort ages: take the earlier.
    users["signup_time"] = pd.concat([users["signup_time"], seen], axis=1).min(axis=1).astype(_TS)
    users = users.loc[users["signup_time"].notna()]
    users.index.name = "user_id"
    return users.reset_index(), derived
