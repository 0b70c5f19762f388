"""Column auto-mapping (English + Chinese headers, or the values when there is no header).

Headers are matched against synonym lists after normalisation (NFKC, so full-width letters
and digits become ASCII; lower case; spaces, underscores and hyphens removed). A file without
a header row gets a suggestion from its values in :mod:`opslab.ingest.content`. Value parsing
lives in :mod:`opslab.ingest.dates`, :mod:`opslab.ingest.money` and :mod:`opslab.ingest.status`
(re-exported here).

Example
-------
>>> suggest_mapping(["用户ID", "行为时间", "订单金额"], "events")["event_time"]
'行为时间'
>>> suggest_table(["customer_id", "date", "number_of_cds", "dollar_value"])
'orders'
>>> parse_amounts(pd.Series(["¥1,280.00", "1.2万", "(35)"]))[0].tolist()
[1280.0, 12000.0, -35.0]
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pandas as pd

from opslab.ingest.cells import MISSING_TOKENS
from opslab.ingest.dates import parse_datetimes, time_of_day_share
from opslab.ingest.money import parse_amounts
from opslab.ingest.status import parse_status
from opslab.core.schema import TABLES

__all__ = ["SYNONYMS", "MISSING_TOKENS", "normalize_header", "suggest_mapping", "suggest_table",
           "amount_before_refunds", "parse_datetimes", "parse_amounts", "parse_status"]

# Most specific synonyms first: on a tie the earlier synonym wins. A synonym starting with "^"
# matches any normalised header that begins with it ("number_of_cds", "number_of_items").
SYNONYMS: dict[str, tuple[str, ...]] = {
    "user_id": ("用户ID", "用户id", "用户编号", "会员ID", "会员号", "会员编号", "客户ID", "客户编号",
                "买家ID", "customer_unique_id", "uid", "user id", "userid", "user_id", "customer_id", "customer id",
                "cust_id", "cust", "member_id", "buyer_id", "customer", "buyer", "client", "账号", "用户", "会员",
                "客户"),
    "event_time": ("行为时间", "事件时间", "访问时间", "发生时间", "登录时间", "event time",
                   "event_time", "timestamp", "datetime", "时间", "日期", "ts", "date", "dt",
                   "time"),
    "order_time": ("下单时间", "下单日期", "订单创建时间", "订单时间", "订单日期", "创建时间", "支付时间", "支付日期",
                   "付款时间",
                   "成交时间", "交易时间", "交易日期", "order_purchase_timestamp", "purchase_timestamp",
                   "order_time", "order_date", "pay_time",
                   "purchase_date", "transaction_date", "invoice_date", "created_at", "时间", "日期",
                   "date", "time"),
    "signup_time": ("注册时间", "注册日期", "首次访问时间", "signup_time", "register_time",
                    "reg_date", "created_at", "signup"),
    "amount": ("实付金额", "订单金额", "支付金额", "付款金额", "消费金额", "成交金额", "交易金额",
               "销售金额", "实收金额", "销售额", "成交额", "金额", "GMV", "pay_amount",
               "order_amount", "total_amount", "total_price", "amount", "dollar_value", "revenue",
               "sales", "payment", "value"),
    "unit_price": ("商品单价", "成交单价", "单价", "售价", "商品价格", "价格", "unit_price", "unit price",
                   "item_price", "price"),
    "quantity": ("购买数量", "商品数量", "购买件数", "数量", "件数", "quantity", "qty", "^numberof",
                 "units"),
    "event_name": ("事件名称", "行为类型", "事件", "行为", "动作", "event_name", "event",
                   "action", "type"),
    "channel": ("推广渠道", "获客渠道", "渠道", "来源", "utm_source", "channel", "source"),
    "city": ("所在城市", "城市", "city"),
    "order_id": ("订单号", "订单ID", "订单编号", "order_id", "order_no", "order_number", "invoice_no",
                 "invoice"),
    "status": ("订单状态", "支付状态", "交易状态", "状态", "status", "order_status"),
    "product_id": ("商品ID", "商品编号", "商品编码", "货号", "SKU", "stockcode", "stock_code",
                   "product_id", "item_id", "sku_id"),
    "product": ("商品名称", "商品名", "品名", "商品标题", "product_name", "description", "item_name",
                "product"),
    "category": ("商品类目", "类目", "品类", "商品分类", "category", "category_name"),
    "paid_time": ("订单付款时间", "付款时间", "支付时间", "paid_time", "payment_time", "paid_at"),
    "freight": ("运费", "order_freight_value", "freight_value", "freight", "shipping_cost", "shipping_fee"),
    "refund_amount": ("退款金额", "已退款金额", "退款额", "退款", "refund_amount", "refunded_amount",
                      "amount_refunded", "refund_value", "refund_total"),
    "campaign_id": ("活动ID", "活动编号", "campaign_id", "campaign"),
    "name": ("活动名称", "活动名", "campaign_name", "name", "名称"),
    "type": ("活动类型", "campaign_type", "type", "类型"),
    "start_date": ("开始日期", "开始时间", "活动开始", "上线日期", "start_date", "start", "开始"),
    "end_date": ("结束日期", "结束时间", "活动结束", "下线日期", "end_date", "end", "结束"),
    "spend": ("投放金额", "投入金额", "花费", "投入", "预算", "费用", "成本", "消耗", "spend", "cost",
              "budget"),
    "participants": ("参与用户数", "参与人数", "参与用户", "参与人次", "participants"),
    "new_users": ("新增注册", "新增用户", "新注册用户", "拉新人数", "注册人数", "new_users",
                  "signups"),
    "conversions": ("转化人数", "转化数", "订单数", "成交单数", "conversions", "orders"),
    "revenue": ("活动收入", "收入", "GMV", "销售额", "revenue"),
}

_MAX_HEADER = 128


def normalize_header(name: object) -> str:
    """NFKC, lower case, without spaces / underscores / hyphens: ``"User_ID "`` -> ``"userid"``."""
    text = str(name)[:_MAX_HEADER]
    return _normalize(text)


@lru_cache(maxsize=4096)  # bounded in entries, and each key is at most _MAX_HEADER characters
def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s_\-.]+", "", text)


@lru_cache(maxsize=4096)
def _tokens(name: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", str(name)[:_MAX_HEADER])
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()  # camelCase -> camel case
    return tuple(t for t in re.split(r"[^0-9a-z\u4e00-\u9fff]+", text) if t)


def _match_level(column: str, synonym: str) -> int:
    """3 exact, 2 normalised, 1 substring (ASCII synonyms only on word boundaries), 0 none."""
    column = str(column)[:_MAX_HEADER]
    if synonym.startswith("^"):
        return 2 if normalize_header(column).startswith(synonym[1:]) else 0
    if column.strip() == synonym:
        return 3
    col, syn = normalize_header(column), normalize_header(synonym)
    if not syn:
        return 0
    if col == syn:
        return 2
    if syn.isascii():
        toks, stoks = _tokens(column), _tokens(synonym)
        k = len(stoks)
        hit = any(toks[i:i + k] == stoks for i in range(len(toks) - k + 1))
        return 1 if hit and len(syn) > 2 else 0
    return 1 if syn in col else 0


def _best_match(column: str, field: str) -> tuple[int, int]:
    """(level, -synonym_index) of the best synonym of ``field`` for ``column``."""
    best = (0, 0)
    for i, syn in enumerate(SYNONYMS.get(field, ())):
        lvl = _match_level(column, syn)
        if lvl and (lvl, -i) > best:
            best = (lvl, -i)
    return best


def _parses(field: str, table: str, sample: pd.DataFrame | None, column: str) -> int:
    """1 when the sample values of ``column`` suit ``field`` (or nothing is known), else 0."""
    if sample is None or column not in sample.columns:
        return 1
    spec = TABLES[table]
    values = sample[column].head(200)
    if field in spec.times + spec.dates:
        return int(_share_parsed(parse_datetimes, values) >= 0.5)  # messy columns still count
    if field in spec.money + spec.numbers:
        return int(_share_parsed(parse_amounts, values) >= 0.5)
    if field in ("event_name", "channel", "city", "name", "type", "status", "product", "category"):
        # A column of dates or clock times is not a name, however its header reads.
        return int(_share_parsed(parse_datetimes, values) < 0.8 and time_of_day_share(values) < 0.8)
    return 1


_ID_FIELDS = ("user_id", "order_id", "campaign_id")


def _id_like(level: int, column: str) -> bool:
    """An English header matched only in part ("customer_city") is an id when it says so
    ("customer_key", "buyer_no"); Chinese headers ("买家会员名") and whole matches always are."""
    if level > 1 or not str(column).isascii():
        return True
    toks = set(_tokens(str(column)))
    return bool(toks & {"id", "uid", "no", "nr", "number", "num", "code", "key", "ref"}) and not toks & {
        "zip", "postal", "postcode", "prefix", "city", "state", "country", "region", "date", "time", "name",
        "phone", "email", "address"}


def _dated(sample: pd.DataFrame | None, column: str) -> bool:
    """Most sample values are dates written with separators (not digit runs, which ids can be)."""
    if sample is None or column not in sample.columns:
        return False
    values = sample[column].head(200).dropna().astype("str")
    if not len(values) or values.str.contains(r"[-/:年]", regex=True).mean() < 0.8:
        return False
    return _share_parsed(parse_datetimes, values) >= 0.8


def _share_parsed(parser, values: pd.Series) -> float:
    parsed, failed = parser(values)
    n_ok = int(parsed.notna().sum())
    total = n_ok + int(failed.sum())
    return n_ok / total if total else 0.0


def suggest_mapping(columns: list[str], table: str,
                    sample: pd.DataFrame | None = None) -> dict[str, str | None]:
    """Guess which source column holds each canonical field of ``table``.

    Candidates are ranked by (values parse as the field's type in ``sample``, exact > normalised
    > substring header match, more specific synonym, earlier column); each source column and
    each field is used at most once (a campaigns file without an id uses its name column).

    >>> suggest_mapping(["会员号", "下单时间", "实付金额", "订单状态"], "orders")["status"]
    '订单状态'
    >>> m = suggest_mapping(["商品单价", "购买数量", "会员ID", "下单日期"], "orders")
    >>> m["unit_price"], m["quantity"], m["amount"]
    ('商品单价', '购买数量', None)
    """
    spec = TABLES[table]
    cands = []
    for field in spec.columns:
        for j, col in enumerate(columns):
            level, spec_rank = _best_match(col, field)
            if level:
                cands.append((level, spec_rank, -j, field, col))
    # An id is never a column of dates ("order_delivered_customer_date" names a customer, holds dates).
    cands = [x for x in cands if x[3] not in _ID_FIELDS or (not _dated(sample, x[4]) and _id_like(x[0], x[4]))]
    scored = [(_parses(f, table, sample, c), lvl, sr, j, f, c) for lvl, sr, j, f, c in cands]
    scored.sort(reverse=True)
    result: dict[str, str | None] = dict.fromkeys(spec.columns)
    used: set[str] = set()
    for _ok, _lvl, _sr, _j, field, col in scored:
        if result[field] is None and col not in used:
            result[field] = col
            used.add(col)
    if table == "campaigns" and result["campaign_id"] is None and result["name"] is not None:
        result["campaign_id"] = result["name"]
    if table == "orders":
        if result["order_time"] is None and result["paid_time"] is not None:  # the one time there is
            result["order_time"], result["paid_time"] = result["paid_time"], None
        total = amount_before_refunds(columns, sample, result)
        if total is not None:
            result["amount"] = total
    return result


#: Headers of an order's total before refunds (an order report's 总金额 beside 实付金额).
_TOTALS = ("总金额", "订单总金额", "订单总额", "商品总金额", "order_total", "total")


def amount_before_refunds(columns, sample: pd.DataFrame | None, mapping: dict) -> str | None:
    """The column of orders' totals before refunds when the mapped amount is already net of a
    mapped refund column (amount = total - refund on at least 99 % of the sample rows where
    money moved, and some refund makes them differ): GMV's gross is the total and the refunds are netted from it, not
    read off an amount that hides them. None when there is no such column.

    >>> s = pd.DataFrame({"总金额": ["10", "8", "5", "9"], "实付金额": ["10", "0", "3", "0"],
    ...                   "退款金额": ["0", "8", "2", "0"]})
    >>> amount_before_refunds(list(s.columns), s, {"amount": "实付金额", "refund_amount": "退款金额"})
    '总金额'
    """
    paid, refund = mapping.get("amount"), mapping.get("refund_amount")
    if sample is None or not paid or not refund or paid not in sample or refund not in sample:
        return None
    used = {c for c in mapping.values() if c}
    for col in columns:
        if col in used or col not in sample or not any(_match_level(col, syn) >= 2 for syn in _TOTALS):
            continue
        t, p, r = (parse_amounts(sample[c].head(200))[0].astype("float64") for c in (col, paid, refund))
        r = r.fillna(0.0)
        ok = t.notna() & p.notna() & ((p.abs() > 0) | (r.abs() > 0))  # money moved: not an unpaid order
        if ok.sum() < 3:  # too few orders to tell
            continue
        same = ((t - r.abs() - p).abs() <= 0.005)[ok]
        if same.mean() >= 0.99 and bool(((r.abs() > 0) & ok).any()):
            return col
    return None


_ORDERISH = {"amount", "unit_price", "quantity", "order_id", "status", "refund_amount"}
_CAMPAIGNISH = {"spend", "participants", "new_users", "conversions", "start_date", "end_date"}


def suggest_table(columns: list[str]) -> str:
    """Guess the canonical table a file holds from its headers.

    >>> suggest_table(["活动ID", "开始日期", "结束日期", "花费"])
    'campaigns'
    >>> suggest_table(["活动名称", "活动开始", "活动结束", "投入", "参与用户数", "新增注册", "订单数", "收入"])
    'campaigns'
    """
    fields = [f for f in SYNONYMS if f not in ("name", "type")]
    found: set[str] = set()
    blocking = False  # a column that only events or orders can explain
    for col in columns:
        levels = {f: _best_match(col, f)[0] for f in fields}
        top = max(levels.values())
        if not top:
            continue
        best = {f for f, lvl in levels.items() if lvl == top}
        found |= best
        if best.isdisjoint({"user_id", "signup_time", "channel", "city"}):
            blocking = True
    if "spend" in found and found & {"start_date", "end_date"}:
        return "campaigns"
    if len(found & _CAMPAIGNISH) >= 3 and "user_id" not in found:
        return "campaigns"
    if found & {"amount", "revenue", "unit_price", "refund_amount"} and found & {"order_time", "order_id", "status"}:
        return "orders"  # a refunds export (order id, refund amount) is orders too
    if "user_id" in found and not blocking:
        return "users"
    return "events"


