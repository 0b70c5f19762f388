"""Order statuses read as paid, refunded or unpaid (Chinese and English, a marketplace's order states).

>>> parse_status(pd.Series(["已退款", "支付成功", "???"]))[0].tolist()
['refunded', 'paid', 'paid']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.ingest.cells import prepare

__all__ = ["parse_status"]

_PAID = {"已支付", "支付成功", "已完成", "完成", "交易成功", "已付款", "成功", "已发货", "已收货",
         "paid", "success", "completed", "complete", "done",
         "delivered", "shipped", "invoiced", "processing", "approved"}  # a marketplace's order states
_REFUNDED = {"已退款", "退款", "退款成功", "退款中", "已取消", "取消", "交易关闭", "已退货", "退货",
             "退货退款", "refunded", "refund", "cancelled", "canceled", "returned", "return",
             "unavailable", "chargeback", "reversed", "voided", "void"}
_UNPAID = {"待支付", "未支付", "待付款", "未付款", "支付失败", "已关闭", "unpaid", "pending",
           "failed", "closed"}
#: Headers longer than this are cut before matching (and never cached): no real header is.


def parse_status(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map order-status strings to ``"paid"``, ``"refunded"`` or ``"unpaid"``.

    Empty cells become ``"paid"``; unknown values become ``"paid"`` and are flagged in the
    returned mask so the caller can report how many were guessed.

    >>> parse_status(pd.Series(["已退款", "支付成功", "???"]))[0].tolist()
    ['refunded', 'paid', 'paid']
    """
    codes, u, missing, _long = prepare(s)
    key = u.str.lower()
    status = np.full(len(u), "paid", dtype=object)
    status[key.isin(_REFUNDED).to_numpy(bool)] = "refunded"
    status[key.isin(_UNPAID).to_numpy(bool)] = "unpaid"
    unknown = ~missing & ~key.isin(_PAID | _REFUNDED | _UNPAID).to_numpy(bool)
    vals = np.concatenate([status, ["paid"]])[codes]
    bad = np.concatenate([unknown, [False]])[codes]
    return (pd.Series(vals, index=s.index, dtype="str"),
            pd.Series(bad, index=s.index, dtype=bool))
