"""The canonical :class:`Dataset`: one object that every analysis and page reads.

Built from already-coerced canonical tables (see :mod:`opslab.core.schema`), it fills the gaps the
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

import pandas as pd

from opslab.engine import DuckDBEngine, Engine
from opslab.core.schema import (
    CAMPAIGNS,
    EVENTS,
    ORDERS,
    USERS,
)
from opslab.dataset.tables import complete_tables, conform, empty
from opslab.dataset.tables import complete_tables, conform, empty, engine_orders
from opslab.dataset.tables import amounts_in, complete_tables, conform, empty

MEMO_ENTRIES = 48


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
    >>> ds.n_users, str(ds.end), ds.currency, ds.has_amounts
    (2, '2024-01-02', '', False)
    """

    events: pd.DataFrame
    orders: pd.DataFrame
    users: pd.DataFrame
    campaigns: pd.DataFrame
    fingerprint: str
    derived: tuple[str, ...] = field(default=())  # what was inferred: "orders", "signup", ...
    #: Makes the engine (DuckDB when None); see :meth:`on_engine`.
    engine_factory: Callable[[], Engine] | None = field(default=None, compare=False, repr=False)
    #: ISO 4217 code of every amount (found in the data or chosen at upload); "" when nobody
    #: stated it: amounts are then plain numbers, and no market (festival calendar) is assumed.
    currency: str = ""
    #: False when the data hold no amounts (a behaviour log without prices): money KPIs (GMV,
    #: ARPU, ARPPU, ROI ...) are then absent (NaN), never 0, while counts still work.
    has_amounts: bool = True
    #: False when no column identifies the buyer (an order report without a buyer id): each
    #: order then has an anonymous user of its own so the engine runs, and every customer
    #: figure (paying users, ARPPU, retention, tiers, churn, CLV ...) is absent (NaN, "no buyer
    #: id in this data"), never counted from those ids; orders and money still work.
    buyers_known: bool = True
    #: ``"net"``: GMV = sales - refunds (refunds counted on their own day); ``"gross"``: every sale.
    refunds: str = "net"
    #: One row per order line when an orders file was order lines summed into ``orders``
    #: (orders columns, with ``product_id`` / ``product`` / ``category``); empty otherwise.
    order_lines: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_tables(cls, events=None, orders=None, users=None, campaigns=None,
                    fingerprint: str | None = None, currency: str | None = None,
                    has_amounts: bool | None = None, *,
                    order_lines: pd.DataFrame | None = None, refunds: str = "net",
                    buyers_known: bool = True) -> "Dataset":
        events, orders = conform(events, EVENTS), conform(orders, ORDERS)
        users, campaigns = conform(users, USERS), conform(campaigns, CAMPAIGNS)
        if events is None and orders is None:
            raise ValueError("a Dataset needs events or orders")
        if has_amounts is None:  # orders carry amounts; purchase events only when a price was mapped
            has_amounts = orders is not None or amounts_in(events)
        events, orders, users, derived = complete_tables(events, orders, users)
        campaigns = campaigns if campaigns is not None else empty(CAMPAIGNS)
        if fingerprint is None:
            fingerprint = _fingerprint({"events": events, "orders": orders, "users": users,
                                        "campaigns": campaigns})
        if refunds not in ("net", "gross"):
            raise ValueError("refunds must be 'net' or 'gross'")
        if order_lines is not None:
            order_lines = conform(order_lines, ORDERS)
        return cls(events, orders, users, campaigns, fingerprint, tuple(derived),
                   currency=str(currency or "").upper(), has_amounts=bool(has_amounts), refunds=refunds,
                   buyers_known=bool(buyers_known),
                   order_lines=order_lines if order_lines is not None else empty(ORDERS))

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
    def whole(self) -> bool:
        """True for a whole data set; False for a subset of its users (a segment, a filter),
        whose campaigns are still the whole data set's: their spend, participants and reported
        new users and revenue are not split by users (see :mod:`opslab.metrics.lead_kpis`)."""
        return True

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

    def memo_peek(self, key):
        """The memoised value of ``key`` if one is kept, else None (nothing is computed)."""
        with self._lock:
            return self._memo.get(key)

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
        eng.register("od", engine_orders(self.orders))
        eng.register("us", self.users[["uid", "signup_time", "censored"]])
        # The orders are grouped once (order_day) for paid_day and user_day; when the events
        # were made from the paid orders, the active days and user_first come from that same
        # grouping (the events are not grouped a second time).
        of_orders = "_of_orders" if "events" in self.derived else ""
        eng.run("order_day", gross=self.refunds == "gross", priced=self.has_amounts)
        eng.run("user_day" + of_orders)
        eng.run("paid_day")
        eng.run("refund_day", gross=self.refunds == "gross")
        eng.run("user_first" + of_orders)
        eng.run("order_day_done")
        return eng
