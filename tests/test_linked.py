"""Several linked files of one export (orders, items, payments, refunds, customers) load as one
data set; a pre-joined table loads; a column mapped by hand keeps the other suggestions.

The hand-made marketplace export below (Olist's column names) has every case once; the numbers
in the assertions are worked out by hand in the comments and re-computed with plain pandas.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import opslab
from opslab.ingest.link_files import link
from opslab.ingest.linked import role_of

ORDERS = """order_id,customer_id,order_status,order_purchase_timestamp,order_delivered_customer_date
o1,c1,delivered,2018-01-05 10:00:00,2018-01-12 10:00:00
o2,c2,delivered,2018-01-20 09:00:00,2018-02-03 10:00:00
o3,c3,canceled,2018-02-02 12:00:00,
o4,c4,shipped,2018-02-10 08:00:00,
o5,c9,delivered,2018-02-11 08:00:00,2018-02-20 08:00:00
o6,c5,unavailable,2018-02-12 08:00:00,
"""
# o1 has the same product twice (two lines, both count); o99 is not in the orders file.
ITEMS = """order_id,order_item_id,product_id,seller_id,price,freight_value
o1,1,pA,s1,100.00,10.00
o1,2,pA,s1,100.00,10.00
o2,1,pB,s2,50.50,5.25
o3,1,pC,s1,30.00,3.00
o5,1,pD,s3,20.00,0
o99,1,pE,s3,7.00,1.00
"""
# o1 paid 225 (5 more than its items: instalment interest); o4 has no items: its payment is its amount.
PAYMENTS = """order_id,payment_sequential,payment_type,payment_installments,payment_value
o1,1,credit_card,3,225.00
o2,1,boleto,1,55.75
o3,1,voucher,1,33.00
o4,1,credit_card,2,45.00
o5,1,credit_card,1,20.00
o77,1,credit_card,1,9.99
"""
# c1 and c2 are one person (p1): a repeat buyer. c6 placed no order; c9 (order o5) is missing.
CUSTOMERS = """customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state
c1,p1,14409,franca,SP
c2,p1,14409,franca,SP
c3,p2,11000,santos,SP
c4,p3,20000,rio de janeiro,RJ
c5,p4,30000,belo horizonte,MG
c6,p5,40000,salvador,BA
"""
FILES = {"olist_orders_dataset.csv": ORDERS, "olist_order_items_dataset.csv": ITEMS,
         "olist_order_payments_dataset.csv": PAYMENTS, "olist_customers_dataset.csv": CUSTOMERS}


def _load(files=FILES, **choices):
    return opslab.load(*[(name, text.encode()) for name, text in files.items()], currency="BRL", **choices)


def _truth(files=FILES) -> pd.DataFrame:
    """Independent: per order, sum(price + freight) of its items (else its payments), its
    person, its purchase month; canceled / unavailable orders are not paid."""
    o, i, p, c = (pd.read_csv(io.StringIO(t)) for t in files.values())
    items = (i.price + i.freight_value).groupby(i.order_id).sum()
    pays = p.groupby("order_id").payment_value.sum()
    o["amount"] = o.order_id.map(items).fillna(o.order_id.map(pays))
    o["person"] = o.customer_id.map(c.set_index("customer_id").customer_unique_id).fillna(o.customer_id)
    o["month"] = pd.to_datetime(o.order_purchase_timestamp).dt.to_period("M").dt.start_time
    return o[~o.order_status.isin(["canceled", "unavailable"]) & o.amount.notna()]


def test_each_file_is_recognised_by_its_columns():
    roles = {name: role_of(pd.read_csv(io.StringIO(text)).columns) for name, text in FILES.items()}
    assert roles == {"olist_orders_dataset.csv": "orders", "olist_order_items_dataset.csv": "items",
                     "olist_order_payments_dataset.csv": "payments", "olist_customers_dataset.csv": "customers"}


def test_four_files_are_one_data_set_with_gmv_orders_and_customers_by_hand():
    res = _load()
    ds = res.dataset
    assert {f.table for f in res.files} == {"orders", "users"}
    orders = ds.orders.set_index("order_id")
    # o1 = 2 x (100 + 10) = 220 (its items, not its 225 of payments); o4 = its payment 45.
    assert orders.loc["o1", "amount"] == 220.0 and orders.loc["o4", "amount"] == 45.0
    assert orders.loc["o2", "amount"] == pytest.approx(55.75)
    assert orders.loc["o3", "status"] == "refunded"  # canceled: not paid
    assert "o6" not in orders.index  # unavailable, no items, no payments: no amount, set aside
    k = opslab.kpis(ds, grain="month").frame
    k.index = pd.to_datetime(k.index)
    # January: o1 220 + o2 55.75 by one person (p1); February: o4 45 + o5 20 (o3 canceled).
    assert k.loc["2018-01-01", "gmv"] == pytest.approx(275.75)
    assert k.loc["2018-02-01", "gmv"] == pytest.approx(65.0)
    assert k.loc["2018-01-01", "paying_users"] == 1 and k.loc["2018-01-01", "orders"] == 2
    assert k.loc["2018-02-01", "paying_users"] == 2  # p3 and c9 (kept under its customer id)
    truth = _truth()
    by_month = truth.groupby("month").amount.sum()
    assert k.loc[by_month.index, "gmv"].to_numpy() == pytest.approx(by_month.to_numpy())
    assert truth.groupby("month").person.nunique().to_numpy().tolist() == \
        k.loc[by_month.index, "paying_users"].astype(int).tolist()
    assert ds.currency == "BRL"


def test_what_could_not_be_joined_is_counted_with_examples_and_every_row_is_accounted_for():
    res = _load()
    by_code = {p.code: p for _, p in res.problems}
    items = by_code["linked.items_without_order"]
    assert items.count == 1 and items.examples == ((7, "o99"),) and items.params["amount"] == 8.0
    assert by_code["linked.payments_without_order"].examples == ((7, "o77"),)
    assert by_code["linked.orders_without_customer"].examples == ((6, "c9"),)
    assert by_code["linked.customers_without_order"].examples == ((7, "c6"),)
    assert by_code["linked.orders_without_amount"].examples == ((7, "o6"),)
    basis = by_code["linked.basis_items_freight"].params
    # items 220 + 55.75 + 33 + 20 = 328.75; payments of the same orders 225 + 55.75 + 33 + 20
    assert basis["amount"] == pytest.approx(328.75) and basis["amount_payments"] == pytest.approx(333.75)
    assert basis["amount_difference"] == pytest.approx(5.0)
    assert basis["n"] == "1" and basis["amount_from_payments"] == 45.0
    rec = res.reconciliation().set_index(["file", "part"])
    for name, text in FILES.items():
        n = len(pd.read_csv(io.StringIO(text)))
        assert rec.loc[(name, "input"), "rows"] == n
        assert sum(rec.loc[(name, p), "rows"] for p in ("kept", "rejected", "dropped")) == n
    # items not joined to an order are the items file's rejected rows, with their money
    assert rec.loc[("olist_order_items_dataset.csv", "rejected"), "amount"] == pytest.approx(8.0)
    # the orders file's rows are those of the joined table: o6 (no amount) rejected there
    assert rec.loc[("olist_orders_dataset.csv", "rejected"), "rows"] == 1
    joined = [f for f in res.files if f.table == "orders"][0]
    assert joined.result.n_input == 6 and joined.result.n_clean == 5 and joined.result.n_rejected == 1


def test_a_refunds_file_is_netted_against_its_orders():
    refunds = "order_id,refund_amount\no1,20.00\no2,55.75\no55,3.00\n"
    res = _load({**FILES, "refunds.csv": refunds})
    orders = res.dataset.orders.set_index("order_id")
    assert orders.loc["o1", "amount"] == 200.0 and orders.loc["o1", "status"] == "paid"
    assert orders.loc["o2", "status"] == "refunded"  # refunded in full
    codes = {p.code: p for _, p in res.problems}
    assert codes["linked.refunds_without_order"].examples == ((4, "o55"),)
    assert codes["linked.refunds_netted"].count == 2


PREJOINED = """order_id,customer_id,customer_unique_id,order_status,order_purchase_timestamp,order_item_id,price,freight_value,payment_sequential,payment_value,customer_city
o1,c1,p1,delivered,2018-01-05 10:00:00,1,100.00,10.00,1,150.00,franca
o1,c1,p1,delivered,2018-01-05 10:00:00,1,100.00,10.00,2,70.00,franca
o1,c1,p1,delivered,2018-01-05 10:00:00,2,100.00,10.00,1,150.00,franca
o1,c1,p1,delivered,2018-01-05 10:00:00,2,100.00,10.00,2,70.00,franca
o2,c2,p1,delivered,2018-01-20 09:00:00,1,50.50,5.25,1,55.75,franca
o3,c3,p2,canceled,2018-02-02 12:00:00,1,30.00,3.00,1,33.00,santos
o4,c4,p3,shipped,2018-02-10 08:00:00,,,,1,45.00,rio de janeiro
"""


def test_a_prejoined_table_is_one_row_per_order_with_its_lines_summed():
    res = opslab.load(("olist_joined.csv", PREJOINED.encode()), currency="BRL")
    ds = res.dataset
    orders = ds.orders.set_index("order_id")
    # o1: two lines of 110, each shown once per payment: 220, not 440; o4: no lines, its payment.
    assert orders["amount"].to_dict() == pytest.approx({"o1": 220.0, "o2": 55.75, "o3": 33.0, "o4": 45.0})
    k = opslab.kpis(ds, grain="month").frame
    k.index = pd.to_datetime(k.index)
    raw = pd.read_csv(io.StringIO(PREJOINED))
    lines = raw.drop_duplicates(["order_id", "order_item_id"]).dropna(subset=["price"])
    jan = lines[lines.order_purchase_timestamp.str.startswith("2018-01")]
    assert k.loc["2018-01-01", "gmv"] == pytest.approx((jan.price + jan.freight_value).sum())  # 275.75
    assert k.loc["2018-01-01", "paying_users"] == 1  # p1 bought twice
    assert k.loc["2018-02-01", "gmv"] == pytest.approx(45.0)  # o3 canceled
    summed = next(p for _, p in res.problems if p.code == "linked.lines_summed_items_freight")
    assert summed.params["lines"] == "5" and summed.params["orders"] == "4" and summed.params["repeats"] == "2"
    rec = res.reconciliation().set_index(["file", "part"])["rows"]
    # 7 rows in = 5 lines kept (o4's row has no line but is its order) + 2 repeats set aside
    assert [rec[("olist_joined.csv", p)] for p in ("input", "kept", "rejected", "dropped")] == [7, 5, 0, 2]


def test_the_purchase_timestamp_is_the_order_time_in_a_single_table():
    from opslab.ingest.mapping import suggest_mapping
    cols = ["order_id", "customer_unique_id", "order_status", "order_purchase_timestamp",
            "order_delivered_customer_date", "payment_value"]
    m = suggest_mapping(cols, "orders")
    assert m["order_time"] == "order_purchase_timestamp" and m["user_id"] == "customer_unique_id"


def test_mapping_one_column_by_hand_keeps_the_other_suggestions():
    csv = "buyer_id,purchased_on_local,order_amount\nu1,2024-01-05,10\nu2,2024-01-06,20\nu1,2024-02-01,5\n"
    auto = opslab.load(("x.csv", csv.encode()), currency="USD")
    assert auto.dataset is None  # no time is suggested for "purchased_on_local"
    res = opslab.load(("x.csv", csv.encode()), currency="USD",
                      mappings={"x.csv": {"event_time": "purchased_on_local"}})
    f = res.files[0]
    assert f.mapping_dict["user_id"] == "buyer_id" and f.mapping_dict["amount"] == "order_amount"
    assert float(res.dataset.orders["amount"].sum()) == 35.0 and res.dataset.n_users == 2


def test_a_column_taken_by_hand_leaves_its_old_field():
    from opslab.dataset.load import by_hand
    assert by_hand({"user_id": "a", "amount": "b", "order_time": None}, {"order_time": "b"}) == \
        {"user_id": "a", "amount": None, "order_time": "b"}


def test_files_that_are_not_a_linked_export_load_as_before():
    res = opslab.load(*sorted(p for p in opslab.dataset.load.sample_dir().glob("*.csv")
                              if p.name in ("orders.csv", "users.csv")))
    assert res.link is None and {f.table for f in res.files} == {"orders", "users"}
    assert role_of(["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]) is None
    assert not np.isnan(res.dataset.orders["amount"].sum())


def test_link_without_customers_uses_the_per_order_customer_id():
    lk = link([(n, pd.read_csv(io.StringIO(t), dtype=str)) for n, t in list(FILES.items())[:2]])
    assert lk.users is None and lk.orders.set_index("order_id").loc["o1", "user_id"] == "c1"


def test_an_orders_file_with_its_own_amount_and_a_customers_file_of_people():
    orders = ("order_id,customer_id,order_status,order_purchase_timestamp,order_amount\n"
              "a1,c1,delivered,2024-03-01 10:00:00,30.00\n"
              "a2,c2,delivered,2024-03-15 10:00:00,12.50\n"
              "a3,c3,canceled,2024-03-20 10:00:00,8.00\n")
    customers = "customer_id,customer_unique_id,customer_city\nc1,pp,x\nc2,pp,x\nc3,qq,y\n"
    res = opslab.load(("o.csv", orders.encode()), ("c.csv", customers.encode()), currency="USD")
    assert res.link is not None
    ds = res.dataset
    # a1 + a2 by one person (pp): 42.50 of GMV, one paying user; a3 canceled
    k = opslab.kpis(ds, grain="month").frame
    assert float(k["gmv"].iloc[0]) == 42.5 and int(k["paying_users"].iloc[0]) == 1
    assert sorted(ds.orders["user_id"].unique()) == ["pp", "qq"]


def test_no_date_city_or_zip_column_is_taken_for_the_buyer():
    """Olist's classified (pre-joined) table has no customer id: OpsLab says so instead of
    taking a delivery date, a city or a zip prefix for one."""
    from opslab.ingest.mapping import suggest_mapping
    sample = pd.DataFrame({
        "id": ["1", "2"], "order_status": ["delivered", "delivered"],
        "order_products_value": ["89.99", "69.0"], "order_freight_value": ["14.38", "15.23"],
        "order_purchase_timestamp": ["2017-08-30 11:41:01.000000", "2017-09-26 09:13:36.000000"],
        "order_delivered_customer_date": ["2017-09-08 20:35:27.276847", "2017-09-29 21:13:04.984841"],
        "customer_city": ["Belo Horizonte", "Pocos de Caldas"], "customer_zip_code_prefix": ["308", "377"]})
    m = suggest_mapping(list(sample.columns), "orders", sample)
    assert m["user_id"] is None and m["order_time"] == "order_purchase_timestamp"
    # an id said to be one, a whole-word header and a Chinese buyer name still are
    assert suggest_mapping(["customer_key", "date", "amount"], "orders")["user_id"] == "customer_key"
    assert suggest_mapping(["customer", "date", "amount"], "orders")["user_id"] == "customer"
    assert suggest_mapping(["买家会员名", "订单创建时间", "买家实际支付金额"], "orders")["user_id"] == "买家会员名"


def test_linking_can_be_switched_off():
    res = _load(link=False)
    assert res.link is None and len(res.files) == 4  # each file mapped on its own, as before
    assert {f.name for f in res.files} == set(FILES)


def test_orders_that_name_the_person_join_customers_on_it():
    orders = ORDERS.replace("order_id,customer_id,", "order_id,customer_unique_id,").replace(",c1,", ",p1,") \
        .replace(",c2,", ",p1,").replace(",c3,", ",p2,").replace(",c4,", ",p3,")
    res = _load({**FILES, "olist_orders_dataset.csv": orders})
    users = res.dataset.orders.set_index("order_id")["user_id"]
    assert users["o1"] == users["o2"] == "p1" and users["o4"] == "p3"
    lost = next(p for _, p in res.problems if p.code == "linked.orders_without_customer")
    assert [v for _, v in lost.examples] == ["c9", "c5"]  # not persons of the customers file
