"""A pre-joined marketplace table (order columns repeated over its item lines, possibly once
per payment) summed back into one row per order, as :mod:`opslab.ingest.linked` joins the same
export given as several files.

An order's amount is the sum of its distinct item lines (price + freight; a line shown once per
payment counts once, by its line number), or of its payments when it has no lines; its user is
the per-person id when the table has one.

>>> raw = pd.DataFrame({"order_id": ["o1", "o1", "o1", "o2"], "order_status": ["delivered"] * 4,
...                     "order_purchase_timestamp": ["2018-01-05"] * 3 + ["2018-01-06"],
...                     "customer_unique_id": ["p1", "p1", "p1", "p2"], "order_item_id": ["1", "1", "2", "1"],
...                     "price": ["10", "10", "5", "7"], "freight_value": ["1", "1", "1", "0"]})
>>> collapse("joined.csv", raw).orders[["order_id", "user_id", "amount"]].values.tolist()
[['o1', 'p1', '17'], ['o2', 'p2', '7']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.ingest.linked import Link, Part, amount_text, examples, key_columns, line_amounts, money, text_keys
from opslab.ingest.mapping import suggest_mapping
from opslab.core.problems import INFO, WARNING, Problem


def collapse(name: str, df: pd.DataFrame) -> Link:
    """A pre-joined table: its item lines summed into one row per order (a line repeated once
    per payment counts once, by its line number); people by the per-person id."""
    k = key_columns(df.columns)
    suggested = suggest_mapping([str(c) for c in df.columns], "orders", df.head(200))
    oid = text_keys(df[k["order_id"]])
    has_id = oid.notna().to_numpy()
    line_key = [k["order_id"], k["line"]] if "line" in k else None
    repeat = (df.duplicated(subset=line_key).to_numpy() if line_key else np.zeros(len(df), bool)) & has_id
    lines = line_amounts(df, k)
    first = ~oid.duplicated().to_numpy() & has_id
    summed = lines[~repeat & has_id].groupby(oid[~repeat & has_id].to_numpy(), sort=False).sum(min_count=1)
    rows = df[first]
    amount = pd.Series(summed.reindex(oid[first].to_numpy()).to_numpy(), index=rows.index)
    if "payment" in k:  # an order without item lines: its payments, each counted once
        pay_key = [k["order_id"], k["payment_seq"]] if "payment_seq" in k else [k["order_id"], k["payment"]]
        once = ~df.duplicated(subset=pay_key).to_numpy() & has_id
        paid = money(df, k["payment"])[once].groupby(oid[once].to_numpy(), sort=False).sum(min_count=1)
        amount = amount.fillna(pd.Series(paid.reindex(oid[first].to_numpy()).to_numpy(), index=rows.index))
    person = k.get("person_id") or k.get("customer_id") or suggested.get("user_id")
    time_col = k.get("time") or suggested.get("order_time")
    na = pd.Series(pd.NA, index=rows.index, dtype="str")
    out = pd.DataFrame({
        "order_id": oid[first].astype("str"),
        "user_id": rows[person].astype("str") if person else na,
        "order_time": rows[time_col].astype("str") if time_col else na,
        "status": rows[k["status"]].astype("str") if "status" in k else na,
        "amount": amount_text(amount),
        "channel": rows[suggested["channel"]].astype("str") if suggested.get("channel") else na,
    }).reset_index(drop=True)
    basis = "items_freight" if "freight" in k else "items"
    total = float(np.nansum(lines[~repeat]))
    problems = [Problem(f"linked.lines_summed_{basis}", INFO, k["order_id"], len(df), (), {
        "name": name, "lines": f"{int((~repeat & has_id).sum()):,}", "orders": f"{len(out):,}",
        "repeats": f"{int(repeat.sum()):,}", "amount": total})]
    if (~has_id).any():
        problems.append(Problem("linked.lines_without_order", WARNING, k["order_id"], int((~has_id).sum()),
                                examples(~has_id, df[k["order_id"]]), {"name": name}))
    users = None
    if person and ("city" in k or "state" in k):
        people = df[df[person].notna()].drop_duplicates(person)
        users = pd.DataFrame({"user_id": text_keys(people[person]).astype("str")})
        for key in ("city", "state"):
            if key in k:
                users[key] = people[k[key]].astype("str").to_numpy()
        users = users[users["user_id"].notna()].reset_index(drop=True)
    part = Part(name, "prejoined", k, len(df), int((~repeat & has_id).sum()), float(np.nansum(lines[~repeat])),
                float(np.nansum(lines[~repeat & has_id])), int(repeat.sum()), float(np.nansum(lines[repeat])))
    return Link((part,), out, users, tuple(problems), basis, {"items": total})
