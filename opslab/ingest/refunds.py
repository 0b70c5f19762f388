"""Refunds and cancellations in an orders file: recognised, kept, and split into gross, refunds
and net.

A row is a refund when its amount (or quantity) is negative, when its status says so (已退款,
已取消, 交易关闭, cancelled, returned, unavailable ...: ``status == "refunded"``), or when its order
number follows a cancellation convention (``C536379`` cancels an invoice of a file whose other
invoices are plain numbers). A refund is never rejected: a refund whose sale is outside the file
stays a refund, counted in refunds and net.

Money of a set of rows:

* gross: every sale, i.e. positive amounts (paid, or refunded later by status);
* refunds: the negative rows' amounts (as positive numbers) plus the positive amounts of rows
  whose status says they were refunded or cancelled;
* net = gross - refunds.

>>> amount = np.array([100.0, -30.0, 50.0, 0.0])
>>> status = pd.Series(["paid", "refunded", "refunded", "paid"])
>>> split_money(amount, status.eq("refunded").to_numpy(), np.ones(4, bool))
(150.0, 80.0, 70.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.problems import INFO

#: Order numbers that cancel another: a "C" before the digits of an invoice number.
_CANCEL_PREFIX = r"^[Cc]\d+$"
_PLAIN_NUMBER = r"^\d+$"


def cancel_prefixed(ids: pd.Series) -> np.ndarray:
    """Rows whose order number is ``C`` + digits in a file whose other order numbers are plain
    digits (at least 90 % of them): the convention of a cancelling invoice. Otherwise no row
    (``C1001`` in a file of ``A1001``, ``B1002`` ... is just a name).

    >>> cancel_prefixed(pd.Series(["536365", "C536379", "536366", None])).tolist()
    [False, True, False, False]
    >>> cancel_prefixed(pd.Series(["C1", "A2", "B3"])).tolist()
    [False, False, False]
    """
    s = ids.astype("str")
    first = s.str[:1]
    candidates = first.isin(["C", "c"]).fillna(False).to_numpy(bool)
    if not candidates.any():
        return np.zeros(len(s), dtype=bool)
    cancel = candidates & s.str.match(_CANCEL_PREFIX).fillna(False).to_numpy(bool)
    others = ~cancel & s.notna().to_numpy()
    if not cancel.any() or not others.any():
        return np.zeros(len(s), dtype=bool)
    plain = s[others].str.match(_PLAIN_NUMBER).fillna(False).to_numpy(bool)
    return cancel if plain.mean() >= 0.9 else np.zeros(len(s), dtype=bool)


def split_money(amount: np.ndarray, refunded: np.ndarray, mask: np.ndarray) -> tuple[float, float, float]:
    """(gross, refunds, net) of the rows at ``mask`` (see the module's definitions)."""
    if not mask.any():
        return 0.0, 0.0, 0.0
    a = amount if mask.all() else amount[mask]
    r = refunded if mask.all() else refunded[mask]
    positive = a > 0
    gross = float(np.sum(a, where=positive))
    refunds = float(-np.sum(a, where=a < 0) + np.sum(a, where=positive & r))
    return gross, refunds, gross - refunds


def mark_refunds(out: dict[str, pd.Series], cols: dict[str, str], rows) -> np.ndarray:
    """Recognise the refund rows of an orders table in place: amounts of cancelling invoices
    made negative, every refund row's status ``"refunded"``; each basis reported with its count
    and money (``validate.refund_rows``). Returns the mask of rows whose status is refunded."""
    n = len(out["amount"])
    amount = out["amount"].to_numpy(dtype=float)
    prefixed = cancel_prefixed(out["order_id"]) if "order_id" in out else np.zeros(n, dtype=bool)
    if prefixed.any():  # a cancelling invoice takes money back, whatever sign its cells carry
        amount = np.where(prefixed, -np.abs(amount), amount)
        out["amount"] = pd.Series(amount, index=out["amount"].index)
    negative = amount < 0
    marked = out["status"].eq("refunded").to_numpy(dtype=bool, na_value=False) if "status" in out \
        else np.zeros(n, dtype=bool)
    by_status = marked & ~negative
    refunded = negative | marked
    if negative.any():  # a refund row is "refunded" whatever its status column says
        status = out["status"] if "status" in out else pd.Series("paid", index=out["amount"].index, dtype="str")
        out["status"] = status.mask(pd.Series(negative, index=status.index), "refunded")
    alive = rows.alive
    amount_col = cols.get("amount") or cols.get("unit_price")
    for basis, mask, column in (("prefix", prefixed & alive, cols.get("order_id")),
                                ("negative", negative & ~prefixed & alive, amount_col),
                                ("status", by_status & alive, cols.get("status"))):
        if mask.any():
            money = float(np.nansum(np.abs(amount[mask])))
            rows.flag(f"validate.refund_rows.{basis}", column, mask, severity=INFO,
                      n=f"{int(mask.sum()):,}", amount=money)
    return refunded
