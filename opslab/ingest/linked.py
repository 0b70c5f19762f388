"""Several linked files of one export become one orders table and one users table.

A marketplace export comes as several files sharing keys: orders (order id, per-order customer
id, status, purchase time), order items (order id, price, freight), payments (order id, payment
value), refunds (order id, refund amount) and customers (per-order customer id, a per-person id,
city, state). :func:`role_of` recognises each file from its columns; :func:`link` joins them
into one raw orders table (one row per order; its amount is the sum of its item lines, price +
freight, or of its payments when it has no items; refunds netted) and one raw users table (one
row per person: the per-person id is the user, so a repeat buyer is one person). What could not
be joined is counted, with example rows, never dropped silently: every row of every file is in
:meth:`Link.reconciliation`. A single pre-joined table (order columns repeated over its item
lines, possibly once per payment) is collapsed the same way (:mod:`opslab.ingest.prejoined`).

The joined tables stay raw text: they go through the same validation as any uploaded file.

>>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c2"],
...                        "order_status": ["delivered", "canceled"],
...                        "order_purchase_timestamp": ["2018-01-05 10:00", "2018-02-01 09:00"]})
>>> items = pd.DataFrame({"order_id": ["o1", "o1", "o9"], "order_item_id": ["1", "2", "1"],
...                       "price": ["10.5", "4.5", "3"], "freight_value": ["2", "1", "1"]})
>>> customers = pd.DataFrame({"customer_id": ["c1", "c2"], "customer_unique_id": ["p1", "p1"],
...                           "customer_city": ["franca", "santos"]})
>>> lk = link([("orders.csv", orders), ("items.csv", items), ("customers.csv", customers)])
>>> lk.orders[["order_id", "user_id", "amount"]].values.tolist()
[['o1', 'p1', '18'], ['o2', 'p1', '']]
>>> [p.code for p in lk.problems if p.code.endswith("without_order")]
['linked.items_without_order']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from opslab.ingest.mapping import normalize_header, parse_amounts, suggest_mapping
from opslab.core.problems import INFO, MAX_EXAMPLES, WARNING, Problem

ROLES = ("orders", "items", "payments", "refunds", "customers", "prejoined")

# Normalised headers (see normalize_header) of each key a role is recognised by; the first
# column of a file matching a key is used.
KEYS: dict[str, tuple[str, ...]] = {
    "order_id": ("orderid", "orderno", "ordernumber", "订单号", "订单id", "订单编号"),
    "person_id": ("customeruniqueid", "uniquecustomerid", "personid", "buyeruniqueid", "customeruid"),
    "customer_id": ("customerid", "custid", "buyerid", "clientid", "userid", "客户id", "客户编号",
                    "用户id", "买家id", "会员id"),
    "time": ("orderpurchasetimestamp", "purchasetimestamp", "purchasetime", "purchasedate",
             "ordertime", "orderdate", "ordercreatedat", "orderdatetime", "下单时间", "订单创建时间",
             "创建时间", "下单日期"),
    "status": ("orderstatus", "status", "订单状态", "状态"),
    "price": ("price", "unitprice", "itemprice", "单价", "商品单价", "商品价格"),
    "freight": ("freightvalue", "freight", "shippingcost", "shippingfee", "运费"),
    "quantity": ("quantity", "qty", "数量", "购买数量"),
    "line": ("orderitemid", "lineid", "lineno", "linenumber", "itemseq", "商品序号"),
    "payment": ("paymentvalue", "paymentamount", "paidamount", "amountpaid", "支付金额", "付款金额"),
    "payment_seq": ("paymentsequential", "paymentseq", "paymentid", "paymentno"),
    "refund": ("refundamount", "refundvalue", "refund", "退款金额"),
    "city": ("customercity", "city", "城市", "所在城市"),
    "state": ("customerstate", "state", "province", "省份", "省"),
}
#: The columns of the joined orders table (canonical names, so the suggested mapping is exact).
ORDER_COLUMNS = ("order_id", "user_id", "order_time", "status", "amount", "channel")


def key_columns(columns) -> dict[str, str]:
    """Which column holds each key of :data:`KEYS` (first match by normalised header)."""
    norm = [(normalize_header(c), str(c)) for c in columns]
    out: dict[str, str] = {}
    for key, names in KEYS.items():
        for n, col in norm:
            if n in names and col not in out.values():
                out[key] = col
                break
    return out


def role_of(columns) -> str | None:
    """The part of a linked export a file holds, from its columns (None: not a linked part).

    >>> role_of(["order_id", "payment_sequential", "payment_type", "payment_value"])
    'payments'
    >>> role_of(["customer_id", "customer_unique_id", "customer_city"]), role_of(["uid", "time"])
    ('customers', None)
    """
    k = key_columns(columns)
    if "order_id" in k:
        order_side = "time" in k or "status" in k
        if "refund" in k and "price" not in k:
            return "refunds"
        if "price" in k:  # order lines with their orders: only a marketplace's joined shape
            relational = {"freight", "payment", "person_id", "line"} & k.keys()
            return ("prejoined" if relational else None) if order_side else "items"
        if "payment" in k and not order_side:
            return "payments"
        if order_side and ("customer_id" in k or "person_id" in k):
            return "orders"
        return None
    if ("customer_id" in k or "person_id" in k) and ({"person_id", "city", "state"} & k.keys()) \
            and "time" not in k:
        return "customers"
    return None


def linkable(frames: list[tuple[str, pd.DataFrame]]) -> bool:
    """True when the files form a linked export: an orders file with items, payments, refunds or
    a customers file carrying a per-person id; or one pre-joined table of order lines."""
    roles = {name: role_of(df.columns) for name, df in frames}
    found = set(roles.values())
    if "orders" in found:
        persons = any(r == "customers" and "person_id" in key_columns(df.columns)
                      for (_, df), r in zip(frames, roles.values()))
        return bool(found & {"items", "payments", "refunds"}) or persons
    return "prejoined" in found and _repeats(frames, roles)


def _repeats(frames, roles) -> bool:
    for name, df in frames:
        if roles[name] == "prejoined":
            ids = text_keys(df[key_columns(df.columns)["order_id"]])
            if ids.duplicated().any():
                return True
    return False


@dataclass(frozen=True)
class Part:
    """One source file of a link: its role, the columns used, and where its rows went."""

    name: str
    role: str
    columns: dict[str, str]
    rows: int
    joined: int
    amount: float = float("nan")
    amount_joined: float = float("nan")
    repeats: int = 0  # rows repeating a line already counted (a pre-joined line once per payment)
    amount_repeats: float = 0.0

    @property
    def unjoined(self) -> int:
        return self.rows - self.joined - self.repeats


@dataclass(frozen=True)
class Link:
    """The joined export: ``orders`` and ``users`` as raw text tables, each file's part, what
    could not be joined (``problems``), the amount's basis and the totals it compares."""

    parts: tuple[Part, ...]
    orders: pd.DataFrame
    users: pd.DataFrame | None
    problems: tuple[Problem, ...]
    basis: str
    totals: dict[str, float] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts)

    def reconciliation(self) -> pd.DataFrame:
        """Per file, as a validated file reconciles: rows (and amount) in = kept (joined into an
        order or a person) + rejected (not joined) + dropped (a repeated line, counted once)."""
        rows = []
        for p in self.parts:
            for part, n, amount in (("input", p.rows, p.amount + p.amount_repeats), ("kept", p.joined, p.amount_joined),
                                    ("rejected", p.unjoined, p.amount - p.amount_joined),
                                    ("dropped", p.repeats, p.amount_repeats)):
                rows.append({"file": p.name, "table": p.role, "part": part, "rows": n, "amount": amount})
        return pd.DataFrame(rows, columns=["file", "table", "part", "rows", "amount"])


def text_keys(s: pd.Series) -> pd.Series:
    """Raw cells as stripped text, empty -> NaN; object dtype, so the keys hash in C
    (``isin`` on Arrow strings with a value set walks Python objects: 20 s at 100,000 orders)."""
    t = s.astype("str").str.strip().to_numpy(dtype=object, na_value=np.nan)
    t[t == ""] = np.nan
    return pd.Series(t, index=s.index, dtype=object)


def money(df: pd.DataFrame, col: str | None) -> pd.Series:
    if col is None:
        return pd.Series(np.nan, index=df.index)
    return pd.Series(parse_amounts(df[col])[0].to_numpy(dtype=float), index=df.index)


def examples(frame_rows: np.ndarray, values: pd.Series) -> tuple[tuple[int, object], ...]:
    pos = np.flatnonzero(frame_rows)[:MAX_EXAMPLES]
    return tuple((int(p) + 2, values.iloc[p]) for p in pos)


def amount_text(values: pd.Series) -> pd.Series:
    """Amounts as text for the joined table (rounded to 6 decimals; missing -> empty)."""
    text = pc.cast(pa.array(np.round(values.to_numpy(dtype=float), 6), from_pandas=True), pa.large_string())
    return pd.Series(pd.array(pc.fill_null(text, ""), dtype="str"), index=values.index)


def by_role(frames: list[tuple[str, pd.DataFrame]]) -> dict[str, list[tuple[str, pd.DataFrame]]]:
    """The files of each role (files of no role left out)."""
    out: dict[str, list[tuple[str, pd.DataFrame]]] = {}
    for name, df in frames:
        r = role_of(df.columns)
        if r is not None:
            out.setdefault(r, []).append((name, df.reset_index(drop=True)))
    return out


def link(frames: list[tuple[str, pd.DataFrame]]) -> Link:
    """Join the files of a linked export with an orders file (see the module docstring);
    ``frames`` are ``(file name, raw text table)`` pairs, as read. Files of no role are left
    out (their names are not in :attr:`Link.names`); a pre-joined table alone is
    :func:`opslab.ingest.prejoined.collapse`'s."""
    by_role_ = by_role(frames)
    problems: list[Problem] = []
    parts: list[Part] = []
    o_name, orders = by_role_["orders"][0]
    ok = key_columns(orders.columns)
    suggested = suggest_mapping([str(c) for c in orders.columns], "orders", orders.head(200))
    oid = text_keys(orders[ok["order_id"]])
    ids = pd.Index(oid.dropna().unique())
    customer = text_keys(orders[ok.get("person_id") or ok["customer_id"]])  # the person, when the orders name one
    amount = pd.Series(np.nan, index=orders.index)
    basis, totals = "orders", {}
    own = suggested.get("amount")
    if own and own not in ok.values():
        amount = money(orders, own)
        basis = "orders"

    def sums(role: str, value_of) -> pd.Series | None:
        """Sum each order's rows of the files of ``role``; count what has no order."""
        if role not in by_role_:
            return None
        out = []
        for name, df in by_role_[role]:
            k = key_columns(df.columns)
            key = text_keys(df[k["order_id"]])
            value = value_of(df, k)
            joined = key.isin(ids).to_numpy()
            parts.append(Part(name, role, k, len(df), int(joined.sum()), float(np.nansum(value)),
                              float(np.nansum(value[joined]))))
            if (~joined).any():
                problems.append(Problem(f"linked.{role}_without_order", WARNING, k["order_id"], int((~joined).sum()),
                                        examples(~joined, df[k["order_id"]]),
                                        {"name": name, "amount": float(np.nansum(value[~joined]))}))
            bad = value.isna().to_numpy() & joined
            if bad.any():
                col = k.get("price") or k.get("payment") or k.get("refund")
                problems.append(Problem("linked.unreadable_amount", WARNING, col, int(bad.sum()),
                                        examples(bad, df[col]), {"name": name}))
            out.append(value[joined].groupby(key[joined].to_numpy(), sort=False).sum(min_count=1))
        total = pd.concat(out)
        return total.groupby(level=0, sort=False).sum(min_count=1)

    items = sums("items", line_amounts)
    payments = sums("payments", lambda df, k: money(df, k["payment"]))
    refunds = sums("refunds", lambda df, k: money(df, k["refund"]).abs())
    by_id = oid.to_numpy()
    if items is not None:
        from_items = pd.Series(items.reindex(by_id).to_numpy(), index=orders.index)
        from_pay = (pd.Series(payments.reindex(by_id).to_numpy(), index=orders.index)
                    if payments is not None else pd.Series(np.nan, index=orders.index))
        no_items = from_items.isna()
        amount = from_items.where(~no_items, from_pay)
        basis = "items_freight" if any("freight" in p.columns for p in parts if p.role == "items") else "items"
        # payments of the same orders (those with items), so the difference is like for like
        totals = {"items": float(from_items.sum()), "payments": float(from_pay[~no_items].sum()),
                  "from_payments": float(from_pay[no_items].sum()),
                  "n_from_payments": int((no_items & from_pay.notna()).sum())}
        problems.append(Problem(f"linked.basis_{basis}", INFO, None, 0, (), {
            "amount": totals["items"], "amount_payments": totals["payments"],
            "amount_difference": totals["payments"] - totals["items"],
            "n": f"{totals['n_from_payments']:,}", "amount_from_payments": totals["from_payments"]}))
    elif payments is not None:
        amount = pd.Series(payments.reindex(by_id).to_numpy(), index=orders.index)
        basis = "payments"
        totals = {"payments": float(amount.sum())}
        problems.append(Problem("linked.basis_payments", INFO, None, 0, (), {"amount": totals["payments"]}))
    status = text_keys(orders[ok["status"]]) if "status" in ok else pd.Series(pd.NA, index=orders.index, dtype="str")
    if refunds is not None:
        back = pd.Series(refunds.reindex(by_id).to_numpy(), index=orders.index)
        refunded = back.notna() & (back >= amount.fillna(0) - 1e-9)
        amount = (amount - back.fillna(0)).where(~refunded, amount)
        status = status.mask(refunded.to_numpy(), "refunded")
        problems.append(Problem("linked.refunds_netted", INFO, None, int(back.notna().sum()), (),
                                {"amount": float(back.sum()), "n_full": f"{int(refunded.sum()):,}"}))
    no_amount = amount.isna().to_numpy() & oid.notna().to_numpy()
    if no_amount.any() and basis != "orders":
        problems.append(Problem("linked.orders_without_amount", WARNING, ok["order_id"], int(no_amount.sum()),
                                examples(no_amount, orders[ok["order_id"]]), {"name": o_name}))
    user, users = _people(by_role_, customer, parts, problems, o_name, orders, ok)
    time_col = ok.get("time") or suggested.get("order_time")
    out = pd.DataFrame({
        "order_id": oid.astype("str"), "user_id": user.astype("str"),
        "order_time": orders[time_col].astype("str") if time_col else pd.Series(pd.NA, index=orders.index, dtype="str"),
        "status": status.astype("str"),
        "amount": amount_text(amount),
        "channel": orders[suggested["channel"]].astype("str") if suggested.get("channel") else pd.Series(
            pd.NA, index=orders.index, dtype="str"),
    })
    parts.insert(0, Part(o_name, "orders", ok, len(orders), len(orders), float(amount.sum()), float(amount.sum())))
    return Link(tuple(parts), out, users, tuple(problems), basis, totals)


def line_amounts(df: pd.DataFrame, k: dict[str, str]) -> pd.Series:
    """price (x quantity) + freight of each line; a missing freight counts 0."""
    price = money(df, k.get("price"))
    qty = money(df, k.get("quantity")).fillna(1.0) if "quantity" in k else 1.0
    freight = money(df, k.get("freight")).fillna(0.0) if "freight" in k else 0.0
    return price * qty + freight


def _people(by_role, customer: pd.Series, parts, problems, o_name, orders, ok):
    """Per-order customer id -> the person (customers file); the users table, one row a person."""
    if "customers" not in by_role:
        return customer, None
    frames = [(n, df, key_columns(df.columns)) for n, df in by_role["customers"]]

    def key(k):  # the customers file's column the orders' key matches
        return k["person_id"] if "person_id" in ok and "person_id" in k else k.get("customer_id") or k["person_id"]
    cid = pd.concat([text_keys(df[key(k)]) for _, df, k in frames], ignore_index=True)
    pid = pd.concat([text_keys(df[k["person_id"]]) if "person_id" in k else text_keys(df[k.get("customer_id")])
                     for _, df, k in frames], ignore_index=True)
    person = pd.Series(pid.to_numpy(), index=cid.to_numpy())
    person = person[~person.index.duplicated()]
    mapped = pd.Series(person.reindex(customer.to_numpy()).to_numpy(), index=customer.index)
    lost = mapped.isna().to_numpy() & customer.notna().to_numpy()
    if lost.any():
        problems.append(Problem("linked.orders_without_customer", WARNING, ok.get("customer_id"), int(lost.sum()),
                                examples(lost, customer), {"name": o_name}))
    used = customer.dropna().unique()
    for name, df, k in frames:
        ids = text_keys(df[key(k)])
        joined = ids.isin(used).to_numpy()
        parts.append(Part(name, "customers", k, len(df), int(joined.sum())))
        if (~joined).any():
            problems.append(Problem("linked.customers_without_order", INFO, k.get("customer_id"),
                                    int((~joined).sum()), examples(~joined, ids), {"name": name}))
    user = mapped.where(~pd.Series(lost, index=customer.index), customer)
    n_people, n_ids = user.nunique(), customer.nunique()
    if "person_id" in frames[0][2]:
        problems.append(Problem("linked.people", INFO, frames[0][2]["person_id"], 0, (), {
            "people": f"{n_people:,}", "ids": f"{n_ids:,}", "orders": f"{len(orders):,}"}))
    first = pd.concat([df.assign(_pid=text_keys(df[k["person_id"]]) if "person_id" in k else text_keys(df[k["customer_id"]]))
                       for _, df, k in frames], ignore_index=True)
    first = first[first["_pid"].isin(user.dropna().unique())].drop_duplicates("_pid")
    k0 = frames[0][2]
    users = pd.DataFrame({"user_id": first["_pid"].astype("str")})
    for key in ("city", "state"):
        if key in k0:
            users[key] = first[k0[key]].astype("str").to_numpy()
    return user, users.reset_index(drop=True)
