"""How :meth:`opslab.dataset.dataset.Dataset.from_tables` completes the tables it is given.

Canonical dtypes (:func:`conform`); orders from purchase events or events from orders when a
data set has only one of them (:func:`orders_from_events`, :func:`events_from_orders`); every
user with a dense integer id and a signup time (:func:`index_users`); and every table in time
order (:func:`time_order`, :func:`in_order`). Each step is whole-column Arrow or NumPy work,
so a 10 M-row upload is indexed and sorted in about a second.

>>> ev = pd.DataFrame({"user_id": ["b", "a", "b"], "event_name": ["view", "支付", "view"],
...                    "event_time": pd.to_datetime(["2024-01-03", "2024-01-01", "2024-01-02"]),
...                    "amount": [0.0, 12.5, 0.0]})
>>> ev = conform(ev, EVENTS)
>>> purchase_rows(ev).tolist()
[False, True, False]
>>> in_order(ev, time_order(ev, "event_time"))["user_id"].tolist()
['a', 'b', 'b']
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from opslab.ingest.fast_tables import position_bits, sorted_positions, take_rows
from opslab.ingest.fastparse import filter_rows, strip_text
from opslab.ingest.mapping import parse_status
from opslab.ingest.parallel import run_all
from opslab.core.schema import EVENTS, PURCHASE_EVENT_NAMES, USERS, TableSpec

_TS = "datetime64[us]"
#: Without signup times, users first seen this early in the data count as existing users.
BURN_IN_DAYS = 30


def empty(spec: TableSpec) -> pd.DataFrame:
    """A table of ``spec`` with no rows and the canonical dtypes."""
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in spec.columns})
    for c in spec.times + spec.dates:
        frame[c] = pd.Series(dtype=_TS)
    for c in spec.money + spec.numbers:
        frame[c] = pd.Series(dtype="float64")
    return frame


def conform(frame: pd.DataFrame | None, spec: TableSpec) -> pd.DataFrame | None:
    """Canonical dtypes and every optional column present (NaN/None when absent)."""
    if frame is None:
        return None
    out = frame.copy(deep=False)  # copy-on-write: columns are replaced below, never written into
    for c in spec.columns:
        if c not in out.columns and c not in spec.sparse:
            out[c] = np.nan if c in spec.money + spec.numbers else None
    # Columns already of the canonical dtype (validated uploads) are left as they are: a
    # conversion would copy them (0.35 s of fresh memory for five columns at 10 M rows).
    for c in spec.times + spec.dates:
        if c not in out.columns or out[c].dtype == _TS:  # a sparse time column is absent
            continue
        t = pd.to_datetime(out[c])
        if getattr(t.dt, "tz", None) is not None:  # keep the wall-clock time, drop the zone
            t = t.dt.tz_localize(None)
        out[c] = t.astype(_TS)
    for c in spec.money + spec.numbers:
        if c in out.columns and out[c].dtype != "float64":
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    for c in ("user_id", "order_id", "campaign_id"):
        if c in out.columns and out[c].dtype != "str":
            out[c] = out[c].astype("str")
    return out


def purchase_rows(events: pd.DataFrame) -> np.ndarray:
    """Events with a purchase-like name or a positive amount (exports often put 0 on every
    other event, and a negative amount is a refund, not a sale). The names are looked up once
    per distinct name, not once per event."""
    names = events["event_name"]
    arr = getattr(names.array, "_pa_array", None)
    if isinstance(arr, pa.ChunkedArray) and pa.types.is_large_string(arr.type):
        distinct = pd.Series(pd.array(pc.unique(arr), dtype="str"))
        buying = distinct[strip_text(distinct).str.lower().isin(PURCHASE_EVENT_NAMES).to_numpy(dtype=bool)]
        named = pc.fill_null(pc.is_in(arr, value_set=pa.array(buying, pa.large_string())), False)
        named = pd.Series(named.to_numpy(zero_copy_only=False), index=events.index)
    else:
        named = strip_text(names).str.lower().isin(PURCHASE_EVENT_NAMES)
    amount = events["amount"]
    if bool(named.any()) and bool((~named & (amount > 0)).any()) and _priced_behaviour(events, named):
        # a behaviour log whose every row carries the item's price: only the purchases are sales
        return (named & ~(amount < 0)).to_numpy(dtype=bool)
    return ((named & ~(amount < 0)) | (amount > 0)).to_numpy(dtype=bool)


def _priced_behaviour(events: pd.DataFrame, named: pd.Series) -> bool:
    """Whether the non-purchase events carry amounts as often as the purchases (a price on every
    row), rather than only now and then (an export that puts an order value on a few events)."""
    other = ~named
    return bool(events["amount"][other].notna().mean() >= 0.9 * events["amount"][named].notna().mean())


def amounts_in(events: pd.DataFrame | None) -> bool:
    """Whether events carry any amount (a price or order value), i.e. purchases have money."""
    return events is not None and "amount" in events and bool(events["amount"].notna().any())


def orders_from_events(events: pd.DataFrame, keep: np.ndarray | None = None) -> pd.DataFrame:
    """The paid orders of a data set without an orders table: the events at ``keep`` (default
    :func:`purchase_rows`), each column filtered on its own (Arrow text by Arrow)."""
    keep = purchase_rows(events) if keep is None else keep
    buys = {c: filter_rows(events[c], keep) for c in ("user_id", "event_time", "amount", "channel") if c in events}
    nums = pc.cast(pa.array(np.arange(int(keep.sum()), dtype=np.int64)), pa.large_string())
    order_id = pc.binary_join_element_wise(pa.scalar("E", pa.large_string()), nums,
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
    """With only an orders table, every paid order is a purchase event (a refund is no visit);
    the orders' ``uid``, if they have one, comes along."""
    paid = (orders["status"] == "paid").to_numpy(dtype=bool)
    if not paid.all():
        orders = orders[paid].reset_index(drop=True)
    return pd.DataFrame({
        **({"uid": orders["uid"]} if "uid" in orders else {}),
        "user_id": orders["user_id"],
        "event_time": orders["order_time"],
        "event_name": pd.array(pa.repeat(pa.scalar("purchase", pa.large_string()), len(orders)), dtype="str"),
        "amount": orders["amount"].astype("float64"),
        "channel": orders["channel"],
    })


def normalise_status(status: pd.Series) -> pd.Series:
    """paid / refunded / unpaid from whatever a notebook passes ("PAID", "已支付", None ...)."""
    known = status.isin(["paid", "refunded", "unpaid"])
    if known.all():
        return status.astype("str")
    parsed, _ = parse_status(status.astype("str").where(status.notna(), "paid"))
    return parsed.astype("str")


def left_censored(users, times: list[pd.Series], signup_derived: bool) -> np.ndarray:
    """Users whose "signup" is only their first appearance in the first ``BURN_IN_DAYS`` of the
    data: most of them were there before the export began, so they are existing users, not new
    sign-ups, and cohorts, new-user counts and paid conversion leave them out. Exports shorter
    than three burn-in periods keep first-seen as the signup (nothing would be left)."""
    times = [t for t in times if len(t)]
    first, last = min(t.min() for t in times), max(t.max() for t in times)
    if not signup_derived or (last - first).days < 3 * BURN_IN_DAYS:
        return np.zeros(len(users), dtype=bool)  # a short export: first seen is the best guess
    cutoff = pd.Timestamp(first).normalize() + pd.Timedelta(days=BURN_IN_DAYS)
    return (users["signup_time"] < cutoff).to_numpy(dtype=bool)


def time_order(frame: pd.DataFrame, column: str) -> np.ndarray | None:
    """The rows' positions in ``sort_values(column, kind="stable")`` order (missing times
    last), or ``None`` when the rows are in that order already."""
    v = frame[column].to_numpy(_TS)
    t = v.view(np.int64)
    missing = np.isnat(v)
    if len(t) < 2 or (not missing.any() and bool((t[1:] >= t[:-1]).all())):
        return None
    if missing.any():
        return np.argsort(np.where(missing, np.iinfo(np.int64).max, t), kind="stable")
    return stable_order(t)


def stable_order(t: np.ndarray) -> np.ndarray:
    """``np.argsort(t, kind="stable")`` of int64 values. Values in a few sorted runs (exports
    appended one after another) are merged by that very sort (timsort: 0.1 s at 30 M rows);
    values in no order by :func:`~opslab.ingest.fast_tables.sorted_positions` (~20x the stable
    argsort) when the values' range fits beside the positions, in microseconds or, for times to
    the second, in seconds.

    >>> stable_order(np.array([5, 3, 5, 1]) * 1_000_000).tolist()
    [3, 1, 0, 2]
    """
    n = len(t)
    if n < 2 or int(np.count_nonzero(t[1:] < t[:-1])) < n // 64:
        return np.argsort(t, kind="stable")
    bits = position_bits(n)
    room = 1 << (64 - bits)
    lo = int(t.min())
    span = int(t.max()) - lo
    if span >= 1 << 63 or span // 1_000_000 >= room:  # (a wider span would overflow t - lo)
        return np.argsort(t, kind="stable")
    offset = t - lo
    if span >= room:  # only in seconds: every value a whole second?
        if (offset % 1_000_000).any():
            return np.argsort(t, kind="stable")
        offset //= 1_000_000
    return sorted_positions(offset, bits)[1].astype(np.intp)


def in_order(frame: pd.DataFrame, order: np.ndarray | None) -> pd.DataFrame:
    """The rows at ``order`` (from :func:`time_order`) with a fresh index; the columns are
    taken side by side on the cores (Arrow and NumPy takes release the GIL)."""
    if order is None:
        return frame.reset_index(drop=True)
    if not frame.columns.is_unique:
        return frame.take(order).reset_index(drop=True)
    columns = run_all({c: partial(take_rows, frame[c], order) for c in frame.columns}, rows=len(frame))
    return pd.DataFrame(columns, copy=False)


def _codes(parts: list[pd.Series]) -> tuple[np.ndarray, pd.api.extensions.ExtensionArray]:
    """``pd.factorize`` of the parts one after another (first appearance order), by Arrow's
    dictionary encoding of the chunks as they are (about half pandas' time at 10 M ids)."""
    arrays = [getattr(p.array, "_pa_array", None) for p in parts]
    if all(isinstance(a, pa.ChunkedArray) and pa.types.is_large_string(a.type) for a in arrays):
        chunks = [c for a in arrays for c in a.chunks if len(c)]
        if chunks:
            encoded = pc.dictionary_encode(pa.chunked_array(chunks, type=pa.large_string()))
            codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in encoded.chunks])
            return codes.astype(np.int64, copy=False), pd.array(encoded.chunk(encoded.num_chunks - 1).dictionary, dtype="str")
    codes, uniques = pd.factorize(pd.concat(parts, ignore_index=True), sort=False)
    return codes.astype(np.int64), pd.array(uniques, dtype="str")


def complete_tables(events, orders, users) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """The conformed tables made whole: orders from purchase events or events from paid orders
    when one is missing, every user indexed (a dense ``uid`` on all three tables, a signup
    time for each user), and events and orders in time order. Returns the three tables and
    what was derived (``"orders"``, ``"events"``, ``"signup"``).

    Orders derived from events are the events at :func:`purchase_rows`: they add no user and
    no earlier time, so the user index is built from the events alone, side by side with the
    orders. Events derived from orders are made last, from the orders already in time order.
    """
    derived = []
    if orders is not None:
        orders["status"] = normalise_status(orders["status"])
    if events is not None and (events["event_name"].isna().any() or events["event_name"].dtype != "str"):
        events["event_name"] = events["event_name"].fillna("active").astype("str")
    gaps = _has_gaps(events, "event_time") or _has_gaps(orders, "order_time")
    ev_uid = od_uid = index = None  # index: (users, signup derived, codes) on the fast path
    if orders is None:  # the purchase events, side by side with the user index
        derived.append("orders")
        got = run_all({"orders": partial(_orders_with_rows, events),
                       "index": partial(index_users, users, [(events["user_id"], events["event_time"])])
                       if not gaps else lambda: None}, rows=len(events))
        (orders_rows, orders), index = got["orders"], got["index"]
        if index is not None:
            ev_uid = index[2]
            od_uid = ev_uid[orders_rows]
    elif events is None:  # the paid orders: their ids first (the events' order of appearance)
        derived.append("events")
        paid = (orders["status"] == "paid").to_numpy(dtype=bool)
        ids, times = orders["user_id"], orders["order_time"]
        activity = [(ids, times)] if paid.all() else [(filter_rows(ids, paid), times[paid]), (ids, times)]
        index = None if gaps else index_users(users, activity)
        if index is not None:
            od_uid = index[2][len(index[2]) - len(orders):]
    else:
        index = None if gaps else index_users(users, [(events["user_id"], events["event_time"]),
                                                      (orders["user_id"], orders["order_time"])])
        if index is not None:
            ev_uid, od_uid = index[2][:len(events)], index[2][len(events):]
    if len(orders) == 0 and (events is None or len(events) == 0):
        raise ValueError("a Dataset needs at least one event or order")
    if index is None:  # missing ids or times (a notebook's frames): the general path
        seen = events if events is not None else events_from_orders(orders)
        users, signup_derived = complete_users(users, seen, orders)
        codes = pd.Index(users["user_id"])
        ev_uid = codes.get_indexer(seen["user_id"]).astype("int32")
        od_uid = codes.get_indexer(orders["user_id"]).astype("int32")
    else:
        users, signup_derived = index[:2]
    if signup_derived:
        derived.append("signup")
    times = [orders["order_time"]] + ([events["event_time"]] if events is not None else [])
    users["censored"] = left_censored(users, times, signup_derived)
    users.insert(0, "uid", np.arange(len(users), dtype="int32"))
    orders.insert(0, "uid", od_uid)
    orders = in_order(orders, time_order(orders, "order_time"))
    if events is None:  # the paid orders, in time order already, with their uid
        events = conform(events_from_orders(orders), EVENTS)
    else:
        events.insert(0, "uid", ev_uid)
        events = in_order(events, time_order(events, "event_time"))
    return events, orders, users, derived


def _has_gaps(frame: pd.DataFrame | None, time: str) -> bool:
    return frame is not None and bool(frame["user_id"].isna().any() or frame[time].isna().any())


def _orders_with_rows(events: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    rows = purchase_rows(events)
    return rows, orders_from_events(events, rows)


def index_users(users, activity: list[tuple[pd.Series, pd.Series]]):
    """Every user seen anywhere with a dense id, from one factorisation of all ids.

    ``activity``: ``(user ids, times)`` of each activity table, in the order their ids
    appear (events, then orders). Equals :func:`complete_users` + ``get_indexer``
    (users-table order first, then unseen ids in order of first appearance in the activity;
    signup = the earlier of the given signup and the first activity) but works on integer
    codes instead of string indexes and group-bys. Returns ``(users, signup derived, codes)``,
    ``codes`` one per activity row, the tables one after another; ``None`` for a users table
    with a missing id or a listed user with no signup and no activity (the general path).
    """
    given = users is not None
    if given:
        derived = bool(users["signup_time"].isna().all())  # before de-duplication, as the general path
        users = users.drop_duplicates("user_id", keep="first")
        if users["user_id"].isna().any():
            return None
    codes, uniques = _codes(([users["user_id"]] if given else []) + [ids for ids, _ in activity])
    n_us, k = (len(users) if given else 0), len(uniques)
    never = np.iinfo(np.int64).max
    first = np.full(k, never, dtype=np.int64)
    at = n_us
    for ids, times in activity:
        np.minimum.at(first, codes[at:at + len(ids)], times.to_numpy(_TS).view(np.int64))
        at += len(ids)
    if given:
        signup = users["signup_time"].to_numpy(_TS)
        first[:n_us] = np.minimum(first[:n_us], np.where(np.isnat(signup), never, signup.view(np.int64)))
        if (first == never).any():  # a listed user with no signup and no activity: dropped there
            return None
        out = users.set_index("user_id").reindex(pd.Index(uniques, name="user_id"))
        out["signup_time"] = first.view(_TS)
        out = out.reset_index()
    else:
        derived = True
        nulls = pd.array(pa.nulls(k, pa.large_string()), dtype="str")
        out = pd.DataFrame({"user_id": uniques, "signup_time": first.view(_TS),
                            "channel": nulls, "city": nulls.copy()})
    return out, derived, codes[n_us:].astype(np.int32)


def complete_users(users, events, orders) -> tuple[pd.DataFrame, bool]:
    """Every user seen anywhere, with a signup time (first activity when not given)."""
    first = pd.concat([
        events[["user_id", "event_time"]].rename(columns={"event_time": "t"}),
        orders[["user_id", "order_time"]].rename(columns={"order_time": "t"}),
    ]).groupby("user_id", sort=False)["t"].min()
    derived = users is None or users["signup_time"].isna().all()
    if users is None:
        users = empty(USERS)
    users = users.drop_duplicates("user_id", keep="first").set_index("user_id")
    users = users.reindex(users.index.union(first.index, sort=False))
    seen = first.reindex(users.index)
    # A signup after the first recorded activity would give negative cohort ages: take the earlier.
    users["signup_time"] = pd.concat([users["signup_time"], seen], axis=1).min(axis=1).astype(_TS)
    users = users.loc[users["signup_time"].notna()]
    users.index.name = "user_id"
    return users.reset_index(), derived


def engine_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """The orders as the engine reads them (uid, time, amount, status): a partial refund of a
    refund-amount column becomes a refund row of its own on the order's day (netted there; the
    order stays a sale).

    >>> o = pd.DataFrame({"uid": [0, 1], "order_time": pd.to_datetime(["2024-01-01", "2024-01-02"]),
    ...                   "amount": [100.0, 50.0], "status": ["paid", "paid"], "refund_amount": [30.0, 0.0]})
    >>> engine_orders(o)["amount"].tolist()
    [100.0, 50.0, -30.0]
    """
    base = orders[["uid", "order_time", "amount", "status"]]
    if "refund_amount" not in orders.columns:
        return base
    r = orders["refund_amount"].to_numpy(dtype=float)
    back = (r > 0) & (orders["amount"].to_numpy(dtype=float) > 0)
    if not back.any():
        return base
    extra = base[back].assign(amount=-r[back], status="refunded")
    return pd.concat([base, extra], ignore_index=True)
