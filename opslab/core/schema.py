"""The canonical data model (docs/DEFINITIONS.md §2): table names, columns and their roles.

Every table reaching the engine has exactly these column names (plus any extra attribute
columns for events and users). Types after coercion:

* ids (``user_id``, ``order_id``, ``campaign_id``): ``str``
* times (``event_time``, ``order_time``, ``signup_time``): ``datetime64[us]``, naive, read as
  the business's local wall-clock time (DuckDB's session zone is UTC so nothing shifts)
* dates (``start_date``, ``end_date``): ``datetime64[us]`` at midnight
* money and counts: ``float64`` (NaN when missing); ``quantity`` and ``unit_price`` are
  optional (when a file has both and no amount, amount = unit price x quantity)
* ``status``: ``"paid"`` or ``"refunded"``; a negative amount is a refund (a cancellation or
  return row, status ``"refunded"``), netted against the sales by default
* ``refund_amount`` (optional): money given back on the order (a 退款金额 column): the whole
  amount makes the order refunded, less is a partial refund netted on the order's day; a file
  with only a refund amount (a refunds export) is refund rows
* ``paid_time`` (optional, an order report's 付款时间): an order without one was never paid and
  is no sale (rejected as unpaid, counted in the reconciliation); ``freight`` (optional): added
  to the amount (an order's value = products + freight)
* ``user_id`` of an orders file may be absent: an order report often names no buyer. Each order
  then gets an anonymous user of its own so the engine runs, and the data set says the buyers
  are unknown (``Dataset.buyers_known``): no customer figure is counted from those ids
* order lines: an orders file whose order id repeats with different products, quantities or
  prices is summed into one row per order; the lines are kept as ``Dataset.order_lines``
  (the orders columns, one row per line, ``product_id`` / ``product`` / ``category`` when mapped)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    times: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    money: tuple[str, ...] = ()
    #: Optional columns present only when mapped (a column of nothing but missing values would
    #: cost memory at every row of a big table): the product fields of order lines.
    sparse: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


EVENTS = TableSpec(
    "events",
    required=("user_id", "event_time"),
    optional=("event_name", "amount", "channel", "quantity", "unit_price"),
    times=("event_time",),
    numbers=("quantity",),
    money=("amount", "unit_price"),
)
ORDERS = TableSpec(
    "orders",
    required=("user_id", "order_time", "amount"),
    optional=("order_id", "status", "channel", "quantity", "unit_price", "product_id", "product",
              "category", "refund_amount", "paid_time", "freight"),
    times=("order_time", "paid_time"),
    numbers=("quantity",),
    money=("amount", "unit_price", "refund_amount", "freight"),
    sparse=("product_id", "product", "category", "refund_amount", "paid_time", "freight"),
)
USERS = TableSpec(
    "users",
    required=("user_id",),
    optional=("signup_time", "channel", "city"),
    times=("signup_time",),
)
CAMPAIGNS = TableSpec(
    "campaigns",
    required=("campaign_id", "start_date", "end_date", "spend"),
    optional=("name", "type", "channel", "participants", "new_users", "conversions", "revenue"),
    dates=("start_date", "end_date"),
    numbers=("participants", "new_users", "conversions"),
    money=("spend", "revenue"),
)

TABLES: dict[str, TableSpec] = {s.name: s for s in (EVENTS, ORDERS, USERS, CAMPAIGNS)}

#: Event names that mean "a purchase happened" when no orders table is given.
PURCHASE_EVENT_NAMES = frozenset(
    {"purchase", "pay", "paid", "payment", "order", "buy", "checkout", "transaction", "purchased",
     "order_completed", "支付", "下单", "购买", "付款", "支付成功", "订单", "成交"}
)
#: Behaviour codes of common logs (Taobao pv/cart/fav/buy, 浏览/加购/收藏/购买, GA-style
#: view/add_to_cart/purchase, RetailRocket view/addtocart/transaction): a column of these is
#: recognised as the event name even without a header.
BEHAVIOUR_NAMES = PURCHASE_EVENT_NAMES | frozenset(
    {"pv", "cart", "fav", "view", "click", "visit", "add_to_cart", "addtocart", "add-to-cart", "remove_from_cart",
     "page_view", "pageview", "view_item", "add_to_wishlist", "wishlist", "favorite", "favourite", "collect",
     "search", "login", "session_start", "begin_checkout", "share", "like",
     "浏览", "加购", "收藏", "点击", "访问", "搜索", "加入购物车", "分享", "登录"})
