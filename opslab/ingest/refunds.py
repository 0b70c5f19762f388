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

from opslab.core.problems import INFO

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


def is_refunds_export(table: str, cols) -> bool:
    """An orders file with a refund amount and no other amount: a refunds export."""
    return table == "orders" and "refund_amount" in cols and not {"amount", "unit_price"} & set(cols)


def refunds_export(out: dict[str, pd.Series], cols: dict[str, str], rows) -> None:
    """The rows of a refunds export as refunds: money given back on their day (a row without
    a refund amount is rejected)."""
    out["amount"] = -out.pop("refund_amount").abs()
    rows.flag("validate.missing_value", cols["refund_amount"], out["amount"].isna().to_numpy(),
              reject=True, field="refund_amount")


def split_money(amount: np.ndarray, refunded: np.ndarray, mask: np.ndarray,
                partial: np.ndarray | None = None) -> tuple[float, float, float]:
    """(gross, refunds, net) of the rows at ``mask`` (see the module's definitions); ``partial``:
    money refunded on orders that stay sales (a refund-amount column below the amount)."""
    if not mask.any():
        return 0.0, 0.0, 0.0
    a = amount if mask.all() else amount[mask]
    r = refunded if mask.all() else refunded[mask]
    positive = a > 0
    gross = float(np.sum(a, where=positive))
    refunds = float(-np.sum(a, where=a < 0) + np.sum(a, where=positive & r))
    if partial is not None:
        refunds += float(np.nansum(partial if mask.all() else partial[mask]))
    return gross, refunds, gross - refunds


def refund_column(out: dict[str, pd.Series], cols: dict[str, str], rows,
                  amount: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A refund-amount column beside the amount (退款金额): (orders refunded in full, money
    refunded on orders that stay sales). ``out["refund_amount"]`` keeps only the partial
    refunds (netted on the order's day by the Dataset). When most refunded orders show an
    amount of 0, the amounts are already net of refunds: the column is reported, not
    subtracted again."""
    n = len(amount)
    r = np.abs(out["refund_amount"].to_numpy(dtype=float))
    r = np.where(np.isnan(r), 0.0, r)
    any_refund = (r > 0) & rows.alive
    none = np.zeros(n, dtype=bool), np.zeros(n)
    if not any_refund.any():
        out.pop("refund_amount")
        return none
    column = cols["refund_amount"]
    if int(((amount <= 0) & any_refund).sum()) * 2 >= int(any_refund.sum()):
        out.pop("refund_amount")
        rows.flag("validate.refund_column.net_already", column, any_refund, severity=INFO,
                  n=f"{int(any_refund.sum()):,}", amount=float(r[any_refund].sum()))
        return none
    on_sale = (r > 0) & (amount > 0)
    full = on_sale & (r >= amount - 0.005)
    partial = np.where(on_sale & ~full, r, 0.0)
    out["refund_amount"] = pd.Series(partial, index=out["amount"].index)
    mask = on_sale & rows.alive
    if mask.any():
        rows.flag("validate.refund_rows.column", column, mask, severity=INFO, n=f"{int(mask.sum()):,}",
                  amount=float(np.minimum(r, amount)[mask].sum()))
    return full, partial


def mark_refunds(out: dict[str, pd.Series], cols: dict[str, str], rows) -> tuple[np.ndarray, np.ndarray | None]:
    """Recognise the refund rows of an orders table in place: amounts of cancelling invoices
    made negative, every refund row's status ``"refunded"``; each basis reported with its count
    and money (``validate.refund_rows``). Returns the mask of rows whose status is refunded and
    the partial refunds of a refund-amount column (None without one)."""
    n = len(out["amount"])
    amount = out["amount"].to_numpy(dtype=float)
    prefixed = cancel_prefixed(out["order_id"]) if "order_id" in out else np.zeros(n, dtype=bool)
    if prefixed.any():  # a cancelling invoice takes money back, whatever sign its cells carry
        amount = np.where(prefixed, -np.abs(amount), amount)
        out["amount"] = pd.Series(amount, index=out["amount"].index)
    negative = amount < 0
    marked = out["status"].eq("refunded").to_numpy(dtype=bool, na_value=False) if "status" in out \
        else np.zeros(n, dtype=bool)
    partial, by_status = None, marked & ~negative
    if "refund_amount" in out:
        full, partial = refund_column(out, cols, rows, amount)
        if full.any():  # reported as refunded by the column, not again by status
            by_status, marked = by_status & ~full, marked | full
            status = out["status"] if "status" in out else pd.Series("paid", index=out["amount"].index, dtype="str")
            out["status"] = status.mask(pd.Series(full, index=status.index), "refunded")
    refunded = negative | marked
    if negative.any():  # a refund row is "refunded" whatever its status column says
        status = out["status"] if "status" in out else pd.Series("paid", index=out["amount"].index, dtype="str")
        out["status"] = status.mask(pd.Series(negative, index=status.index), "refunded")
    alive = rows.alive
    amount_col = cols.get("amount") or cols.get("unit_price") or cols.get("refund_amount")
    for basis, mask, column in (("prefix", prefixed & alive, cols.get("order_id")),
                                ("negative", negative & ~prefixed & alive, amount_col),
                                ("status", by_status & alive, cols.get("status"))):
        if mask.any():
            money = float(np.nansum(np.abs(amount[mask])))
            rows.flag(f"validate.refund_rows.{basis}", column, mask, severity=INFO,
                      n=f"{int(mask.sum()):,}", amount=money)
    return refunded, partial
