"""Independent truths for the corpus of real exports: plain pandas over the committed raw files.

Nothing here imports OpsLab. Each ``<name>_truth()`` reads the files of one data set in
``tests/corpus/<name>/`` exactly as they are committed and returns a :class:`Truth`:

* ``rows``: data rows per file (header excluded);
* ``monthly`` / ``quarterly``: one row per calendar month (``"2011-03"``) / quarter (``"2011Q1"``)
  with ``gross``, ``refunds``, ``net`` (money, in ``currency``; NaN when the data hold no amounts),
  ``orders`` and ``customers`` (distinct within the period, not sums of months);
* ``split``: the same monthly figures split by ``has_customer_id`` where some rows lack one;
* ``daily_users``: distinct users and buyers per local day (behaviour logs);
* ``totals``: whole-file figures (gross, refunds, net, orders, customers, purchases ...).

The definitions are stated in each function's docstring; the README holds each data set's
source, licence and quirks. Periods are calendar periods of the local time written in the file
(or, for Unix seconds, of the time zone stated in ``tz``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

CORPUS = Path(__file__).resolve().parent

COLUMNS = ["gross", "refunds", "net", "orders", "customers"]


@dataclass
class Truth:
    name: str
    files: dict[str, Path]
    rows: dict[str, int]
    currency: str | None
    tz: str | None
    monthly: pd.DataFrame
    quarterly: pd.DataFrame
    totals: dict[str, float]
    split: pd.DataFrame | None = None
    daily_users: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def _rows(path: Path) -> int:
    """Data rows of a CSV with a header, as pandas counts them (one line is one row here)."""
    return len(pd.read_csv(path, dtype=str, keep_default_na=False))


def _periods(sales: pd.DataFrame, refunds: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Per period: gross and orders/customers from ``sales`` (columns time, order, customer,
    amount), refunds from ``refunds`` (time, amount as a positive number), net = gross - refunds."""
    fmt = "%Y-%m" if freq == "M" else None

    def label(t: pd.Series) -> pd.Series:
        p = t.dt.to_period(freq)
        return p.dt.strftime(fmt) if fmt else p.astype(str)

    s = sales.assign(period=label(sales["time"]))
    r = refunds.assign(period=label(refunds["time"]))
    out = pd.DataFrame({
        "gross": s.groupby("period")["amount"].sum(),
        "refunds": r.groupby("period")["amount"].sum(),
        "orders": s.groupby("period")["order"].nunique(),
        "customers": s.dropna(subset=["customer"]).groupby("period")["customer"].nunique(),
    }).sort_index()
    money = sales["amount"].notna().any()
    out[["gross", "refunds"]] = out[["gross", "refunds"]].fillna(0.0) if money else np.nan
    out[["orders", "customers"]] = out[["orders", "customers"]].fillna(0).astype(int)
    out["net"] = out["gross"] - out["refunds"]
    out.index.name = "period"
    return out[COLUMNS]


def _totals(sales: pd.DataFrame, refunds: pd.DataFrame) -> dict[str, float]:
    gross = float(sales["amount"].sum()) if sales["amount"].notna().any() else np.nan
    ref = float(refunds["amount"].sum()) if sales["amount"].notna().any() else np.nan
    return {"gross": gross, "refunds": ref, "net": gross - ref,
            "orders": int(sales["order"].nunique()),
            "customers": int(sales["customer"].dropna().nunique())}


# --- a. UCI Online Retail -------------------------------------------------------------------------

def online_retail_truth(keep_duplicates: bool = True) -> Truth:
    """UCI Online Retail, order lines with cancellations (pounds sterling, UK local time).

    * **duplicates**: 240 lines (£962.81, 4 of them in cancellations) repeat an earlier line in
      every column. In an order-line export with times to the minute, the same product scanned
      twice on one invoice is as likely as a double export, so the default keeps every line
      (the upload says so, with the money: ``validate.duplicate_lines_kept``);
      ``keep_duplicates=False`` counts each repeated line once (``duplicates="drop"``);
    * line amount = ``Quantity * UnitPrice``; a line's time is its ``InvoiceDate``
      (``M/D/YYYY H:MM``, month first), its month/quarter the calendar one of that date;
    * **sale lines**: invoices not starting with ``C`` whose line amount is > 0;
      **gross** = sum of sale-line amounts;
    * **refunds** = minus the sum of the line amounts of ``C`` invoices (cancellations), booked in the
      cancellation's own month, whether or not the cancelled sale is in the file;
    * **net** = gross - refunds;
    * lines of other invoices with amount <= 0 (``A`` bad-debt adjustments with a negative price,
      non-``C`` lines with negative quantity or zero price) are in neither: ``totals`` reports
      their count and sum as ``other_rows`` / ``other_amount``;
    * **orders** = distinct ``InvoiceNo`` with at least one sale line (so a £0 invoice is no order);
    * **customers** = distinct ``CustomerID`` with at least one sale line (rows without one count
      as orders but as nobody);
    * ``split``: the monthly figures for lines with and without a ``CustomerID``.
    """
    path = CORPUS / "online_retail" / "online_retail.csv"
    file = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="latin-1")
    repeated = file.duplicated()
    raw = file if keep_duplicates else file[~repeated]
    time = pd.to_datetime(raw["InvoiceDate"], format="%m/%d/%Y %H:%M")
    amount = raw["Quantity"].astype(int) * raw["UnitPrice"].astype(float)
    customer = raw["CustomerID"].where(raw["CustomerID"] != "")
    cancel = raw["InvoiceNo"].str.startswith("C")
    sale = ~cancel & (amount > 0)
    other = ~cancel & ~sale
    lines = pd.DataFrame({"time": time, "order": raw["InvoiceNo"], "customer": customer, "amount": amount})
    sales = lines[sale]
    refunds = lines[cancel].assign(amount=-lines.loc[cancel, "amount"])
    split = pd.concat({
        has: _periods(sales[sales["customer"].notna() == has], refunds[refunds["customer"].notna() == has], "M")
        for has in (True, False)}, names=["has_customer_id"])
    totals = _totals(sales, refunds)
    dup = file[repeated]
    totals.update(other_rows=int(other.sum()), other_amount=float(amount[other].sum()),
                  cancellation_rows=int(cancel.sum()), rows_without_customer=int(customer.isna().sum()),
                  duplicate_rows=int(repeated.sum()),
                  duplicate_amount=float((dup["Quantity"].astype(int) * dup["UnitPrice"].astype(float)).sum()))
    return Truth("online_retail", {"online_retail.csv": path}, {"online_retail.csv": len(file)}, "GBP",
                 "Europe/London", _periods(sales, refunds, "M"), _periods(sales, refunds, "Q"), totals,
                 split=split)


# --- b. Olist (orders, items, payments, customers) -----------------------------------------------

OLIST_FILES = {
    "orders": "olist_orders_dataset.csv",
    "items": "olist_order_items_dataset.csv",
    "payments": "olist_order_payments_dataset.csv",
    "customers": "olist_customers_dataset.csv",
}
#: Statuses of an order that was not sold (its amount is taken out of net).
OLIST_NOT_SOLD = ("canceled", "unavailable")


def olist_orders(folder: str = "olist") -> pd.DataFrame:
    """One row per order of the orders file, with its person, status, time and amounts.

    ``items_amount`` = sum(price) + sum(freight_value) of its items (NaN when it has none),
    ``payments_amount`` = sum(payment_value) of its payments (0 when none),
    ``person`` = the ``customer_unique_id`` of the order's ``customer_id``.
    """
    read = {k: pd.read_csv(CORPUS / folder / v, dtype=str, keep_default_na=False) for k, v in OLIST_FILES.items()}
    orders, items, payments, customers = read["orders"], read["items"], read["payments"], read["customers"]
    items_amount = (items["price"].astype(float) + items["freight_value"].astype(float)).groupby(items["order_id"]).sum()
    pay_amount = payments["payment_value"].astype(float).groupby(payments["order_id"]).sum()
    person = customers.set_index("customer_id")["customer_unique_id"]
    return pd.DataFrame({
        "order": orders["order_id"],
        "status": orders["order_status"],
        "time": pd.to_datetime(orders["order_purchase_timestamp"], format="%Y-%m-%d %H:%M:%S"),
        "customer": orders["customer_id"].map(person),
        "items_amount": orders["order_id"].map(items_amount),
        "payments_amount": orders["order_id"].map(pay_amount).fillna(0.0),
    })


def olist_truth(amount: str = "items", folder: str = "olist") -> Truth:
    """Olist marketplace export, four linked files (Brazilian reais, local time of the file).

    * an order's **amount** = sum(price) + sum(freight_value) of its items (``amount="items"``);
      an order without any item row (the marketplace removed them: mostly canceled or
      unavailable orders) takes the sum of its payments, the only money the files give it;
      or sum(payment_value) of its payments for every order (``amount="payments"``); its time
      is ``order_purchase_timestamp``;
    * **gross** = sum of the amounts of every order in the orders file (any status);
    * **refunds** = sum of the amounts of orders whose status is ``canceled`` or ``unavailable``
      (booked in their purchase month); **net** = gross - refunds;
    * **orders** = distinct ``order_id`` with amount > 0 and a status other than those two;
    * **customers** = distinct ``customer_unique_id`` (the person, via the customers file) of
      those orders: one person with two orders (two ``customer_id``) counts once.
    """
    if amount not in ("items", "payments"):
        raise ValueError("amount is 'items' or 'payments'")
    o = olist_orders(folder)
    o = o.assign(amount=o["items_amount"].fillna(o["payments_amount"]) if amount == "items"
                 else o["payments_amount"])
    not_sold = o["status"].isin(OLIST_NOT_SOLD)
    sales = o[~not_sold & (o["amount"] > 0)][["time", "order", "customer", "amount"]]
    gross_all = o[["time", "order", "customer", "amount"]]
    refunds = o[not_sold][["time", "amount"]]

    def periods(freq):
        p = _periods(sales, refunds, freq)
        label = (gross_all["time"].dt.to_period(freq).dt.strftime("%Y-%m") if freq == "M"
                 else gross_all["time"].dt.to_period(freq).astype(str))
        p["gross"] = gross_all.groupby(label)["amount"].sum().reindex(p.index).fillna(0.0)
        missing = sorted(set(label) - set(p.index))
        if missing:  # a period with only not-sold orders
            extra = pd.DataFrame(0, index=pd.Index(missing, name="period"), columns=COLUMNS, dtype=float)
            extra["gross"] = gross_all.groupby(label)["amount"].sum().reindex(missing)
            extra["refunds"] = refunds.groupby(label[not_sold])["amount"].sum().reindex(missing).fillna(0.0)
            p = pd.concat([p, extra]).sort_index()
            p[["orders", "customers"]] = p[["orders", "customers"]].astype(int)
        p["net"] = p["gross"] - p["refunds"]
        return p[COLUMNS]

    totals = {"gross": float(gross_all["amount"].sum()), "refunds": float(refunds["amount"].sum()),
              "orders": int(sales["order"].nunique()), "customers": int(sales["customer"].nunique()),
              "orders_in_file": len(o), "not_sold_orders": int(not_sold.sum()),
              "orders_without_items": int(o["items_amount"].isna().sum())}
    totals["net"] = totals["gross"] - totals["refunds"]
    files = {v: CORPUS / folder / v for v in OLIST_FILES.values()}
    return Truth(folder, files, {k: _rows(p) for k, p in files.items()}, "BRL", "America/Sao_Paulo",
                 periods("M"), periods("Q"), totals)


def olist_statuses_truth(amount: str = "items") -> Truth:
    """The second Olist sample (every non-delivered order of the full data set, and delivered ones),
    trimmed to whole people: same four files and definitions as :func:`olist_truth`."""
    return olist_truth(amount, folder="olist_statuses")


# --- behaviour logs -------------------------------------------------------------------------------

def _behaviour_truth(name: str, path: Path, frame: pd.DataFrame, tz: str, currency: str | None) -> Truth:
    """Shared by the behaviour logs: ``frame`` has user, behaviour, seconds, amount (or NaN)."""
    local = pd.to_datetime(frame["seconds"].astype("int64"), unit="s", utc=True).dt.tz_convert(tz).dt.tz_localize(None)
    buys = frame["behaviour"] == "buy"
    sales = pd.DataFrame({"time": local[buys], "order": frame.index[buys], "customer": frame["user"][buys],
                          "amount": frame["amount"][buys]})
    refunds = sales.iloc[:0][["time", "amount"]]
    day = local.dt.strftime("%Y-%m-%d")
    daily = pd.DataFrame({"users": frame["user"].groupby(day).nunique(),
                          "buyers": frame["user"][buys].groupby(day[buys]).nunique(),
                          "purchases": buys.groupby(day).sum()}).fillna(0).astype(int)
    daily.index.name = "day"
    totals = _totals(sales, refunds)
    totals.update(purchases=int(buys.sum()), users=int(frame["user"].nunique()))
    return Truth(name, {path.name: path}, {path.name: len(frame)}, currency, tz,
                 _periods(sales, refunds, "M"), _periods(sales, refunds, "Q"), totals, daily_users=daily)


def taobao_userbehavior_truth() -> Truth:
    """Taobao UserBehavior, headerless: user id, item id, category id, behaviour, Unix seconds.

    * times are Unix seconds shown in **Asia/Shanghai** (the data set describes Beijing days,
      2017-11-25 to 2017-12-03);
    * a **purchase** is a row with behaviour ``buy``; each is one order (there are no order ids);
    * **customers** = distinct user ids with a purchase; **no amounts**: gross, refunds and net
      are NaN (a correct tool shows "no amounts", never 0);
    * ``daily_users``: distinct users with any behaviour, distinct buyers and purchases per
      Beijing day.
    """
    path = CORPUS / "taobao_userbehavior" / "UserBehavior.csv"
    raw = pd.read_csv(path, header=None, names=["user", "item", "category", "behaviour", "seconds"], dtype=str)
    raw["amount"] = np.nan
    return _behaviour_truth("taobao_userbehavior", path, raw, "Asia/Shanghai", None)


def taobao_cn_price_truth() -> Truth:
    """Tianchi Taobao behaviour with Chinese headers and a price (售价), Unix seconds.

    Columns 用户ID, 商品ID, 品牌, 品牌ID, 商品名称, 商品类别, 商品类目ID, 行为类型 (pv/cart/fav/buy),
    时间戳 (Unix seconds), 售价.

    * times shown in **Asia/Shanghai**; a **purchase** is a row with 行为类型 ``buy``, one order
      each (no order ids, no quantity: one unit at 售价);
    * **gross** = sum of 售价 over purchases, in yuan (CNY is this file's only plausible currency:
      a Chinese platform, Chinese headers; the file states none); no refunds, net = gross;
    * **customers** = distinct 用户ID with a purchase; ``daily_users`` as for UserBehavior.
    """
    path = CORPUS / "taobao_cn_price" / "user_behavior_cn.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = pd.DataFrame({"user": raw["用户ID"], "behaviour": raw["行为类型"], "seconds": raw["时间戳"],
                          "amount": raw["售价"].astype(float)})
    return _behaviour_truth("taobao_cn_price", path, frame, "Asia/Shanghai", "CNY")


# --- f. Tmall order report ----------------------------------------------------------------------

def tmall_order_report_truth() -> Truth:
    """Tmall order report, one row per order, Chinese headers, refunds in a column (yuan).

    Columns 订单编号, 总金额 (order total), 买家实际支付金额 (paid by the buyer), ``收货地址 ``,
    订单创建时间, ``订单付款时间 `` (two headers end with a space), 退款金额 (refunded).

    * an order is **paid** when 订单付款时间 is filled; unpaid orders (3,923) are not sales;
    * its time is 订单创建时间 (local Beijing wall-clock time, no zone in the file);
    * **gross** = sum of 总金额 of paid orders; **refunds** = sum of 退款金额 (only paid orders
      have one); **net** = gross - refunds (= sum of 买家实际支付金额: checked in the tests);
    * **orders** = paid orders whose 买家实际支付金额 is > 0 (a fully refunded order is no sale);
    * **customers**: none can be counted, the report has no buyer id (NaN).
    """
    path = CORPUS / "tmall_order_report" / "tmall_order_report.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    paid = raw["订单付款时间 "] != ""
    time = pd.to_datetime(raw["订单创建时间"], format="%Y-%m-%d %H:%M:%S")
    net_paid = raw["买家实际支付金额"].astype(float)
    frame = pd.DataFrame({"time": time, "order": raw["订单编号"], "customer": np.nan,
                          "total": raw["总金额"].astype(float), "refund": raw["退款金额"].astype(float),
                          "net": net_paid})[paid]
    gross = frame.rename(columns={"total": "amount"})
    refunds = frame[["time", "refund"]].rename(columns={"refund": "amount"})
    sales = gross[frame["net"] > 0]

    def periods(freq):
        p = _periods(sales, refunds, freq)
        label = (gross["time"].dt.to_period(freq).dt.strftime("%Y-%m") if freq == "M"
                 else gross["time"].dt.to_period(freq).astype(str))
        p["gross"] = gross.groupby(label)["amount"].sum().reindex(p.index)
        p["net"] = p["gross"] - p["refunds"]
        p["customers"] = np.nan
        return p[COLUMNS]

    totals = {"gross": float(gross["amount"].sum()), "refunds": float(refunds["amount"].sum()),
              "orders": int(len(sales)), "customers": np.nan, "paid_orders": int(paid.sum()),
              "unpaid_orders": int((~paid).sum()), "fully_refunded": int((frame["net"] == 0).sum()),
              "paid_by_buyers": float(net_paid.sum())}
    totals["net"] = totals["gross"] - totals["refunds"]
    return Truth("tmall_order_report", {path.name: path}, {path.name: len(raw)}, "CNY", "Asia/Shanghai",
                 periods("M"), periods("Q"), totals)


# --- h. REES46 events with sessions --------------------------------------------------------------

def rees46_sessions_truth() -> Truth:
    """REES46 multi-category store events: ``event_time`` (``... UTC``), event_type
    (view/cart/purchase), product, category, brand, price, user_id, user_session.

    * times are UTC (the suffix says so); days and months are UTC calendar ones;
    * a **purchase** is an event_type ``purchase`` row, one order each (the log has no order id
      and no quantity): **gross** = sum of their ``price``; no refunds; net = gross;
    * the currency is not stated by the publisher (prices are commonly read as US dollars);
    * **customers** = distinct user_id with a purchase;
    * ``daily_users``: distinct user_id with any event per UTC day; ``totals`` also gives the
      distinct sessions and the sessions with a purchase.
    """
    path = CORPUS / "rees46_sessions" / "2019-Oct-head.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    seconds = (pd.to_datetime(raw["event_time"].str.removesuffix(" UTC"), format="%Y-%m-%d %H:%M:%S")
               - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    frame = pd.DataFrame({"user": raw["user_id"], "seconds": seconds,
                          "behaviour": raw["event_type"].replace({"purchase": "buy"}),
                          "amount": raw["price"].astype(float)})
    truth = _behaviour_truth("rees46_sessions", path, frame, "UTC", "USD")
    buys = raw["event_type"] == "purchase"
    truth.totals.update(sessions=int(raw["user_session"].nunique()),
                        sessions_with_purchase=int(raw.loc[buys, "user_session"].nunique()),
                        carts=int((raw["event_type"] == "cart").sum()))
    return truth


# --- d. Olist's pre-joined classified data set -----------------------------------------------------

def olist_prejoined_truth() -> Truth:
    """Olist's classified public data set: one pre-joined row per order (reais, local times).

    Each row joins an order (``order_status``, ``order_products_value``, ``order_freight_value``,
    ``order_items_qty``, ``order_purchase_timestamp`` with microseconds), its customer's place
    (city, state, zip prefix: no customer id), its products and its review. ``id`` is the order's
    number in the file (the first, unnamed column is a pandas row index).

    * an order's **amount** = ``order_products_value + order_freight_value``; its time
      ``order_purchase_timestamp``;
    * **gross** = all orders; **refunds** = orders with status ``canceled`` or ``unavailable``;
      **net** = gross - refunds; **orders** = other orders with amount > 0;
    * **customers**: none can be counted, the file has no customer id (NaN).
    """
    path = CORPUS / "olist_prejoined" / "olist_classified_public_dataset.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = pd.DataFrame({
        "time": pd.to_datetime(raw["order_purchase_timestamp"], format="%Y-%m-%d %H:%M:%S.%f"),
        "order": raw["id"], "customer": np.nan,
        "amount": raw["order_products_value"].astype(float) + raw["order_freight_value"].astype(float)})
    not_sold = raw["order_status"].isin(OLIST_NOT_SOLD)
    sales = frame[~not_sold & (frame["amount"] > 0)]
    refunds = frame[not_sold][["time", "amount"]]

    def periods(freq):
        p = _periods(sales, refunds, freq)
        label = (frame["time"].dt.to_period(freq).dt.strftime("%Y-%m") if freq == "M"
                 else frame["time"].dt.to_period(freq).astype(str))
        p["gross"] = frame.groupby(label)["amount"].sum().reindex(p.index)
        p["net"] = p["gross"] - p["refunds"]
        p["customers"] = np.nan
        return p[COLUMNS]

    totals = {"gross": float(frame["amount"].sum()), "refunds": float(refunds["amount"].sum()),
              "orders": int(len(sales)), "customers": np.nan, "not_sold_orders": int(not_sold.sum())}
    totals["net"] = totals["gross"] - totals["refunds"]
    return Truth("olist_prejoined", {path.name: path}, {path.name: len(raw)}, "BRL", "America/Sao_Paulo",
                 periods("M"), periods("Q"), totals)


# --- g. BTYDplus grocery purchase log ----------------------------------------------------------------

def grocery_elog_truth() -> Truth:
    """Purchase-only log of an online grocer (BTYDplus ``groceryElog``): ``cust,date``.

    * every row is one purchase (no order id; the file has no identical rows), dated by day;
    * **orders** = rows; **customers** = distinct ``cust``; **no amounts**: money is NaN;
    * 1,525 customers who first bought in 2006Q1, followed to the end of 2007 (24 months).
    """
    path = CORPUS / "grocery_elog" / "grocery_elog.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    sales = pd.DataFrame({"time": pd.to_datetime(raw["date"], format="%Y-%m-%d"), "order": raw.index,
                          "customer": raw["cust"], "amount": np.nan})
    refunds = sales.iloc[:0][["time", "amount"]]
    totals = _totals(sales, refunds)
    totals["purchases"] = len(raw)
    return Truth("grocery_elog", {path.name: path}, {path.name: len(raw)}, None, None,
                 _periods(sales, refunds, "M"), _periods(sales, refunds, "Q"), totals)


# --- f. GBK Taobao order export ----------------------------------------------------------------------

def taobao_gbk_orders_truth() -> Truth:
    """A Taobao book shop's paid orders, Chinese headers, **GBK** (yuan, Beijing wall-clock times).

    Columns 买家会员名 (buyer), 买家实际支付金额 (paid), 收货人姓名, 宝贝标题, ``订单付款时间 ``
    (trailing space; ``2018/5/16 9:41``, year first).

    * every row is one paid order (no order id, no refund column): **orders** = rows with a
      paid amount > 0; **gross** = net = sum of 买家实际支付金额; no refunds;
    * **customers** = distinct 买家会员名; time = 订单付款时间.
    """
    path = CORPUS / "taobao_gbk_orders" / "1月.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gbk")
    frame = pd.DataFrame({"time": pd.to_datetime(raw["订单付款时间 "], format="%Y/%m/%d %H:%M"),
                          "order": raw.index, "customer": raw["买家会员名"],
                          "amount": raw["买家实际支付金额"].astype(float)})
    sales = frame[frame["amount"] > 0]
    refunds = frame.iloc[:0][["time", "amount"]]
    return Truth("taobao_gbk_orders", {path.name: path}, {path.name: len(raw)}, "CNY", "Asia/Shanghai",
                 _periods(sales, refunds, "M"), _periods(sales, refunds, "Q"), _totals(sales, refunds))


TRUTHS = {
    "online_retail": online_retail_truth,
    "olist": olist_truth,
    "taobao_userbehavior": taobao_userbehavior_truth,
    "taobao_cn_price": taobao_cn_price_truth,
    "tmall_order_report": tmall_order_report_truth,
    "rees46_sessions": rees46_sessions_truth,
    "olist_prejoined": olist_prejoined_truth,
    "grocery_elog": grocery_elog_truth,
    "taobao_gbk_orders": taobao_gbk_orders_truth,
    "olist_statuses": olist_statuses_truth,
}


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "—" if np.isnan(value) else f"{value:,.2f}"
    return f"{value:,}"


def _table(frame: pd.DataFrame) -> list[str]:
    lines = ["| period | " + " | ".join(frame.columns) + " |", "| --- |" + " ---: |" * len(frame.columns)]
    lines += ["| " + str(i) + " | " + " | ".join(_fmt(v) for v in row) + " |"
              for i, row in zip(frame.index, frame.itertuples(index=False))]
    return lines


def markdown(truths: dict[str, Truth] | None = None) -> str:
    """Every truth as Markdown (``tests/corpus/TRUTHS.md``; a test keeps that file current)."""
    truths = truths or {k: fn() for k, fn in TRUTHS.items()}
    out = ["# Truths of the corpus", "",
           "Written by `python tests/corpus/truths.py --markdown > tests/corpus/TRUTHS.md` from the "
           "committed files; definitions in `truths.py`. Money in each set's currency; `—`: none "
           "(no amounts, or no customer id).", ""]
    for key, t in truths.items():
        out += [f"## {key}", "", f"Rows: {', '.join(f'{f} {_fmt(n)}' for f, n in t.rows.items())}. "
                f"Currency: {t.currency or 'none'}. Time zone: {t.tz or 'dates only'}.", "",
                "Totals: " + ", ".join(f"{k} {_fmt(v)}" for k, v in t.totals.items()) + ".", ""]
        out += ["Monthly:", ""] + _table(t.monthly) + ["", "Quarterly:", ""] + _table(t.quarterly) + [""]
        if t.split is not None:
            for has in (True, False):
                out += [f"Monthly, lines {'with' if has else 'without'} a customer id:", ""]
                out += _table(t.split.loc[has]) + [""]
        if t.daily_users is not None:
            d = t.daily_users
            out += ["Per local day (users, buyers, purchases): "
                    + "; ".join(f"{i} {r.users}/{r.buyers}/{r.purchases}" for i, r in d.iterrows()) + ".", ""]
    return "\n".join(out)


if __name__ == "__main__":  # print every truth, for the README and for comparing by eye
    import sys

    if sys.argv[1:] == ["--markdown"]:
        print(markdown(), end="")
        raise SystemExit(0)
    pd.set_option("display.width", 160)
    for key, fn in TRUTHS.items():
        t = fn()
        print(f"== {key}: rows {t.rows}, currency {t.currency}, tz {t.tz}")
        print({k: (round(v, 2) if isinstance(v, float) else v) for k, v in t.totals.items()})
        print(t.monthly.round(2).to_string())
        print(t.quarterly.round(2).to_string())
        if t.daily_users is not None:
            print(t.daily_users.to_string())
