"""What a file's values say when its headers do not: the table and mapping of a file without a
header row (:func:`suggest_from_content`), the column of behaviour codes that makes a file an
events log (:func:`behaviour_column`, :func:`behaviour_log`) and the columns whose values read
as money (:func:`money_like_columns`). Header matching is :mod:`opslab.ingest.mapping`'s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.core.schema import BEHAVIOUR_NAMES, PURCHASE_EVENT_NAMES, TABLES
from opslab.ingest.dates import parse_datetimes
from opslab.ingest.mapping import suggest_mapping
from opslab.ingest.money import parse_amounts

__all__ = ["suggest_from_content", "behaviour_column", "behaviour_log", "money_like_columns"]


def _column_profile(values: pd.Series) -> dict:
    """What a column's values look like: share of dates, amounts, integers, distinct values."""
    v = values.dropna().astype("str").str.strip()
    v = v[v != ""].head(500)
    n = len(v)
    if not n:
        return {"n": 0}
    dates, d_failed = parse_datetimes(v)
    amounts, a_failed = parse_amounts(v)
    digits = v.str.fullmatch(r"\d{1,18}").fillna(False)
    lens = v.str.len()
    eight = digits & (lens == 8)
    date_ok = dates.notna() & (dates >= "1900-01-01") & (dates <= pd.Timestamp.now() + pd.Timedelta(days=2))
    # A plain integer column only counts as dates when the integers are yyyymmdd(HHMM(SS)) or
    # Unix seconds / milliseconds of this century (10 / 13 digits).
    epoch = lens.isin([10, 13]) & (dates >= "2001-01-01")
    date_ok &= ~digits | eight | lens.isin([12, 14]) | epoch
    return {
        "n": n,
        "date": float(date_ok.mean()),
        "amount": float(amounts.notna().mean()),
        "integer": float(digits.mean()),
        "decimal": float(v.str.contains(r"\.\d", regex=True).fillna(False).mean()),
        "leading_zero": float((digits & v.str.startswith("0") & (lens > 1)).mean()),
        "distinct": v.nunique() / n,
        "max": float(amounts.max()) if amounts.notna().any() else np.nan,
        "negative": float((amounts < 0).mean()),
        "money_token": float(v.str.contains(r"[¥￥$€£元]", regex=True).fillna(False).mean()),
    }


def suggest_from_content(df: pd.DataFrame) -> tuple[str, dict[str, str | None]]:
    """Table and mapping for a file without a header row, from its values alone.

    An id-like column (codes, or integers with leading zeros / many distinct values), a date
    column, then a count column (small whole numbers) and an amount column (decimals or a
    currency symbol). With an amount the file is orders, else events.

    >>> df = pd.DataFrame({"col_1": ["00001", "00002", "00002", "00003"],
    ...                    "col_2": ["19970101", "19970112", "19970112", "19970102"],
    ...                    "col_3": ["1", "1", "5", "2"], "col_4": ["11.77", "12.00", "77.00", "20.76"]})
    >>> table, m = suggest_from_content(df)
    >>> table, m["user_id"], m["order_time"], m["quantity"], m["amount"]
    ('orders', 'col_1', 'col_2', 'col_3', 'col_4')
    """
    prof = {str(c): {**_column_profile(df[c]), "name": str(c)} for c in df.columns}
    prof = {c: p for c, p in prof.items() if p["n"]}
    taken: set[str] = set()

    def pick(score) -> str | None:
        best = max(((score(p), c) for c, p in prof.items() if c not in taken), default=(0, None))
        if best[0] > 0:
            taken.add(best[1])
            return best[1]
        return None

    order = {c: i for i, c in enumerate(prof)}  # on a tie the leftmost column wins (ids come first)
    # behaviour codes (pv / cart / fav / buy, 浏览 / 购买 ...): an events log, whatever else it holds
    codes = behaviour_column(df)
    event_col = codes if codes in prof else None
    taken |= {event_col} - {None}
    date_col = pick(lambda p: p["date"] if p["date"] >= 0.9 else 0)
    amount_col = pick(lambda p: (p["decimal"] + p["money_token"] + 0.5) * p["amount"]
                      if p["amount"] >= 0.9 and (p["decimal"] > 0.05 or p["money_token"] > 0.05)
                      and p["leading_zero"] == 0 else 0)
    if event_col:  # a behaviour log (user, item, category, behaviour, time): the user id comes first
        id_col = pick(lambda p: 1 - order[p["name"]] * 1e-3 if p["decimal"] < 0.05 and p["date"] < 0.9
                      and (p["integer"] >= 0.95 or p["leading_zero"] > 0.1) else 0)
    else:
        id_col = None
    id_col = id_col or pick(lambda p: (2 if p["leading_zero"] > 0.1 else 1) * (0.5 + (1 - p["decimal"]))
                  - order[p["name"]] * 1e-6
                  if (p["integer"] < 0.5 or p["leading_zero"] > 0.1 or p["distinct"] > 0.2)
                  and p["decimal"] < 0.05 and p["date"] < 0.9 else 0)
    qty_col = None if event_col else pick(
        lambda p: 1 if p["integer"] >= 0.95 and p["leading_zero"] == 0 and p["max"] <= 10_000
        and p["negative"] == 0 else 0)
    if event_col and date_col and id_col:
        table = "events"  # a behaviour log: purchases among its events become the orders
    else:
        table = "orders" if amount_col and date_col and id_col else "events" if date_col and id_col \
            else "users" if id_col else "events"
    mapping: dict[str, str | None] = dict.fromkeys(TABLES[table].columns)
    if "user_id" in mapping:
        mapping["user_id"] = id_col
    time_field = {"orders": "order_time", "events": "event_time", "users": "signup_time"}[table]
    mapping[time_field] = date_col
    if "amount" in mapping:
        mapping["amount"] = amount_col
    if "quantity" in mapping:
        mapping["quantity"] = qty_col
    if "event_name" in mapping:
        mapping["event_name"] = event_col
    return table, mapping


def behaviour_column(df: pd.DataFrame) -> str | None:
    """The column whose values are behaviour codes (pv / cart / fav / buy, 浏览 / 购买, view /
    add_to_cart / transaction ...), if one is: such a file is an events log, whatever its
    headers say (a price column does not make it an orders table).

    >>> behaviour_column(pd.DataFrame({"a": ["1", "2"], "b": ["pv", "buy"]}))
    'b'
    """
    browsing = BEHAVIOUR_NAMES - PURCHASE_EVENT_NAMES
    for c in df.columns:
        v = df[c].dropna().astype("str").str.strip().str.lower().head(500)
        v = v[v != ""]
        known = set(v[v.isin(BEHAVIOUR_NAMES)])
        # at least two codes, one of them browsing: a status column of "paid" is no behaviour log
        if len(v) and v.isin(BEHAVIOUR_NAMES).mean() >= 0.8 and len(known) >= 2 and known & browsing:
            return str(c)
    return None


def behaviour_log(columns, sample, table, mapping):
    """A file with a column of behaviour codes is an events log (its price column the amount of
    each purchase), even when a price and a time made its headers look like orders."""
    codes = behaviour_column(sample) if table in ("orders", "events") else None
    if codes is None:
        return table, mapping
    mapping = suggest_mapping(columns, "events", sample) if table != "events" else dict(mapping)
    mapping["event_name"] = codes
    return "events", mapping


def money_like_columns(df: pd.DataFrame, exclude: set[str]) -> list[str]:
    """Columns (other than ``exclude``) whose values read as money: decimals or a currency sign."""
    out = []
    for c in df.columns:
        if str(c) in exclude:
            continue
        p = _column_profile(df[c])
        if p["n"] and p["amount"] >= 0.9 and (p["decimal"] > 0.05 or p["money_token"] > 0.05) \
                and p["date"] < 0.9:
            out.append(str(c))
    return out
