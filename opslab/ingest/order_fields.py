"""Order columns that change what an order row means: its payment time, its freight, its buyer.

* ``paid_time`` (an order report's 付款时间): an order without a payment time was never paid; it
  is no sale and is rejected as unpaid (counted, with its amount, in the reconciliation).
* ``freight`` (运费, ``order_freight_value``): part of what the buyer pays; added to the amount.
* no ``user_id`` at all: an order report often names no buyer. Each order gets an anonymous
  buyer of its own (``~`` + its order number, or its spreadsheet row) so the engine runs; the
  file's result says the buyers are unknown and the upload says so once
  (``decide.buyers.none``, :func:`opslab.ingest.decide.buyers_note`). Nothing may count customers from those ids.

>>> from opslab.core.problems import Report
>>> from opslab.ingest.outcome import Rows
>>> raw = pd.DataFrame({"no": ["A", "B"]})
>>> out = {"order_id": pd.Series(["A", "B"], dtype="str"), "amount": pd.Series([10.0, 5.0]),
...        "freight": pd.Series([2.0, None]), "paid_time": pd.Series(pd.to_datetime(["2024-01-01", None]))}
>>> rows = Rows(raw, Report())
>>> complete_orders("orders", out, {"order_id": "no", "freight": "f", "paid_time": "p"}, rows)
False
>>> out["amount"].tolist(), out["user_id"].tolist(), rows.rejected.tolist()
([12.0, 5.0], ['~A', '~B'], [False, True])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.ingest.fast_tables import row_ids
from opslab.ingest.refunds import is_refunds_export
from opslab.core.problems import INFO

#: Anonymous buyers' ids start with this (never a real id's first character in our exports).
ANONYMOUS = "~"


def buyer_missing(table: str, cols) -> bool:
    """An orders file of sales with no column mapped to the buyer (a refunds export without one
    still needs it: its refunds belong to the buyers of another file)."""
    return table == "orders" and "user_id" not in cols and not is_refunds_export(table, cols)


def complete_orders(table: str, out: dict[str, pd.Series], cols: dict[str, str], rows) -> bool:
    """Apply the payment time and the freight of an orders file in place, and give orders
    without a buyer column an anonymous buyer each. Returns whether the buyers are known."""
    if table != "orders":
        return True
    if "paid_time" in out:
        unpaid = out.pop("paid_time").isna().to_numpy()
        rows.flag("validate.no_payment_time", cols["paid_time"], unpaid, reject=True)
    if "freight" in out:
        freight = out.pop("freight")
        if "amount" in out:
            has = freight.notna().to_numpy() & rows.alive
            out["amount"] = out["amount"] + freight.fillna(0.0)
            rows.flag("validate.amount_plus_freight", cols["freight"], has, severity=INFO,
                      amount=float(np.nansum(freight.to_numpy(dtype=float)[has])))
    if not buyer_missing(table, cols):
        return True
    n = len(rows.raw)
    ids = out["order_id"] if "order_id" in out else row_ids(n)
    ids = ids.reset_index(drop=True).astype("str")
    if "order_id" in out and ids.isna().any():
        ids = ids.fillna(row_ids(n))
    out["user_id"] = (ANONYMOUS + ids).astype("str")
    return False
