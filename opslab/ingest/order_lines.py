"""Order lines: an orders file with one row per product line, summed into one row per order.

An order-line export repeats the order number on every line (an online retailer's invoice:
number, product, quantity, unit price). A repeated order number is then not a duplicate: the
order's amount is the sum of its lines. Whether an upload's repeats are lines is decided once,
from the data (:func:`decide_lines`): lines when most repeats belong to the same customer and
differ in product, quantity, price or amount; otherwise a repeat is the same order exported
again and only its first row is kept (the choice ``lines`` of
:class:`~opslab.ingest.choices.Choices` switches it). A row that repeats another in every
column is a duplicate either way (:func:`opslab.ingest.set_aside.duplicates`).

>>> lines = pd.DataFrame({"order_id": ["A", "A", "B"], "user_id": ["u", "u", "v"],
...     "order_time": pd.to_datetime(["2024-01-01 10:00"] * 3), "amount": [3.0, 4.5, 2.0],
...     "status": ["paid"] * 3, "quantity": [1.0, 3.0, 2.0]})
>>> sum_lines(lines)[["order_id", "amount", "quantity"]].values.tolist()
[['A', 7.5, 4.0], ['B', 2.0, 2.0]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.ingest.choices import Choices
from opslab.ingest.set_aside import duplicates, fsum, needs_order_lines, repeated_ids
from opslab.core.problems import INFO, WARNING
from opslab.core.schema import ORDERS

#: Columns in which the lines of one order differ (any of them mapped).
LINE_FIELDS = ("product_id", "product", "category", "quantity", "unit_price", "amount")
#: Share of repeated rows that must look like lines for ``auto`` to sum them.
LINE_SHARE = 0.5


def line_share(out: dict[str, pd.Series], mask: np.ndarray) -> float:
    """Share of the rows at ``mask`` (rows whose order id repeats) that are lines of the
    group's first row: the same customer, another product, quantity, price or amount."""
    pos = np.flatnonzero(mask)
    if not len(pos):
        return 0.0
    fields = ["user_id"] + [f for f in LINE_FIELDS if f in out]
    frame = pd.DataFrame({f: out[f].iloc[pos].to_numpy() for f in ["order_id"] + fields})
    first = frame.groupby("order_id", sort=False)[fields].transform("first")
    later = frame["order_id"].duplicated(keep="first").to_numpy()
    if not later.any():
        return 0.0

    def same(f):
        a, b = frame[f].to_numpy()[later], first[f].to_numpy()[later]
        return (a == b) | (pd.isna(a) & pd.isna(b))

    differs = np.zeros(int(later.sum()), dtype=bool)
    for f in fields[1:]:
        differs |= ~same(f)
    return float((same("user_id") & differs).mean())


def decide_lines(table, out, cols, rows, choices: Choices, money, set_aside,
                 same: np.ndarray | None = None, any_repeats: bool = True) -> str | None:
    """Decide what the repeated order ids of an orders file are, flag accordingly and record
    the decision with the money each alternative moves in ``set_aside["lines"]``. Returns the
    rule applied (``"sum"``, ``"first"``, ``"rows"``) or None when no order id repeats.
    ``same``: rows equal in every column to an earlier one, kept by the duplicates choice;
    they are not looked at again here. ``any_repeats``: False when the caller found no
    repeated id already (no second pass over the ids)."""
    if table != "orders" or "order_id" not in out or not any_repeats:
        return None
    alive = rows.alive if same is None else rows.alive & ~same
    found = repeated_ids(out["order_id"], alive)
    if found is None:
        return None
    every, later = found
    share = line_share(out, every)
    auto = "sum" if share >= LINE_SHARE else "first"
    rule = auto if choices.lines == "auto" else choices.lines
    n_rows = int(rows.alive.sum())
    n_orders = n_rows - int(later.sum())
    later_amount = fsum(money, later) if money is not None else 0.0
    column = cols["order_id"]
    params = {"n_lines": f"{int(every.sum()):,}", "n_orders": f"{n_orders:,}", "n_rows": f"{n_rows:,}",
              "share": f"{share:.0%}", "amount": later_amount}
    if rule == "first":
        rows.flag("validate.duplicate_order_id", column, later, drop=True, severity=WARNING,
                  n=f"{int(later.sum()):,}", amount=later_amount)
    else:
        rows.flag(f"validate.order_lines.{rule}", column, later, severity=INFO, **params)
    set_aside["lines"] = {"rule": rule, "auto": auto, "basis": "data" if choices.lines == "auto" else "forced",
                          "share": share, "n": int(later.sum()), "n_lines": int(every.sum()),
                          "n_rows": n_rows, "n_orders": n_orders, "amount": later_amount,
                          "dropped": rule == "first"}
    return rule


def duplicates_and_lines(table, raw, out, cols, rows, choices: Choices, money, set_aside,
                         repeated=None) -> str | None:
    """Identical rows (:func:`~opslab.ingest.set_aside.duplicates`), then repeated order ids
    (:func:`decide_lines`), one pass over the ids for both; returns the lines rule applied."""
    id_repeats = repeated_ids(out["order_id"], rows.alive) if needs_order_lines(table, cols) else None
    same = duplicates(table, raw, out, cols, rows, choices, money, set_aside, repeated, id_repeats)
    # rows kept as identical by the user's choice are not read again as a repeated order
    return decide_lines(table, out, cols, rows, choices, money, set_aside,
                        same if choices.duplicates == "keep" else None, id_repeats is not None)


def sum_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per order from its lines: amount and quantity summed, the first customer,
    the earliest time, the first channel. The refunded lines of an order (status
    ``"refunded"``: cancelled or returned) are summed apart from its sold lines, so a sale and
    its refund stay a sale and a refund (a whole cancelling invoice is one refund row)."""
    refunded = lines["status"].eq("refunded").to_numpy()
    key = pd.DataFrame({"order_id": lines["order_id"].to_numpy(), "r": refunded})
    g = lines.groupby([key["order_id"], key["r"]], sort=False, dropna=False)
    out = pd.DataFrame({
        "user_id": g["user_id"].first(),
        "order_time": g["order_time"].min(),
        "amount": g["amount"].sum(min_count=1),
    })
    out["order_id"] = out.index.get_level_values(0)
    out["status"] = np.where(out.index.get_level_values(1), "refunded", "paid")
    for c in ("channel",):
        if c in lines.columns:
            out[c] = g[c].first()
    for c in ("quantity", "refund_amount"):
        if c in lines.columns:
            out[c] = g[c].sum(min_count=1)
    out = out.reset_index(drop=True)
    # per-line attributes have no single value per order: the unit price is left empty, the
    # product fields stay with the lines (Dataset.order_lines)
    keep = [c for c in lines.columns if c not in ORDERS.sparse or c == "refund_amount"]
    for c in [c for c in keep if c not in out.columns]:
        out[c] = pd.Series(np.nan if lines[c].dtype.kind == "f" else None, index=out.index,
                           dtype=lines[c].dtype)
    return out[keep]
