"""Order lines summed into orders, refunds and cancellations netted, zero-amount orders (issue 21,
deliverables 1 and 2): small hand-made exports with hand-computed figures, each also checked
against plain pandas over the raw text."""

import io

import pandas as pd
import pytest

import opslab
from opslab import __main__ as cli
from opslab.dataset.dataset import Dataset
from opslab.core.i18n import catalog
from opslab.workspace.store import Store

TODAY = "2025-01-01"

# An online retailer's order-line export (the UCI Online Retail layout): the invoice number on
# every line, amounts = Quantity x UnitPrice, cancellations "C" + the invoice number with
# negative quantities, a missing customer id, a £0 line.
RETAIL = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom
536366,22633,HAND WARMER,6,12/1/2010 8:28,1.85,17850,United Kingdom
C536379,D,Discount,-1,12/1/2010 9:41,27.50,14527,United Kingdom
536380,22961,JAM MAKING SET,24,12/1/2010 9:45,1.45,,United Kingdom
C536383,35004C,SET OF 3 COLOURED,-1,12/1/2010 9:49,4.65,15311,United Kingdom
536384,22423,REGENCY CAKESTAND,0,1/5/2011 10:00,12.75,15311,United Kingdom
536385,22423,REGENCY CAKESTAND,2,1/5/2011 10:00,12.75,15311,United Kingdom
536385,22720,SET OF 3 CAKE TINS,1,1/5/2011 10:00,4.95,15311,United Kingdom
536386,22423,REGENCY CAKESTAND,1,1/7/2011 10:00,0,13047,United Kingdom
C536390,22423,REGENCY CAKESTAND,-1,1/9/2011 12:00,12.75,15311,United Kingdom
"""


def _load(text: str = RETAIL, name: str = "retail.csv", **choices):
    return opslab.load((name, text.encode()), today=TODAY, **choices)


def _truth(text: str = RETAIL) -> pd.DataFrame:
    """Per month, by hand in pandas over the raw text: gross (lines of non-C invoices with a
    positive amount), refunds (minus the C lines), net, orders and customers with a sale.
    Rows without a customer id are set aside (they have nobody to count)."""
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    raw = raw[raw["CustomerID"] != ""]
    amount = raw["Quantity"].astype(float) * raw["UnitPrice"].astype(float)
    month = pd.to_datetime(raw["InvoiceDate"], format="%m/%d/%Y %H:%M").dt.strftime("%Y-%m")
    cancel = raw["InvoiceNo"].str.startswith("C")
    sale = ~cancel & (amount > 0)
    return pd.DataFrame({
        "gross": amount[sale].groupby(month[sale]).sum(),
        "refunds": (-amount[cancel]).groupby(month[cancel]).sum(),
        "orders": raw["InvoiceNo"][sale].groupby(month[sale]).nunique(),
        "customers": raw["CustomerID"][sale].groupby(month[sale]).nunique(),
    }).fillna(0).assign(net=lambda f: f["gross"] - f["refunds"])


def _monthly(ds) -> pd.DataFrame:
    k = opslab.kpis(ds, "month").frame
    k.index = pd.DatetimeIndex(k.index).strftime("%Y-%m")
    return k


def test_order_lines_are_summed_into_orders_and_kept():
    res = _load()
    ds = res.dataset
    # 12 rows: 1 without a customer (rejected), 11 kept; the two identical lines of 536365 are
    # the same lantern bought twice (times to the minute, order lines): both kept and summed.
    (f,) = res.files
    assert (f.result.n_input, f.result.n_clean, f.result.n_rejected, f.result.n_dropped) == (12, 11, 1, 0)
    assert len(ds.order_lines) == 11
    orders = ds.orders.set_index("order_id")
    # 536365 = 6 x 2.55 + 6 x 3.39 + 6 x 3.39 = 15.30 + 20.34 + 20.34
    assert orders.loc["536365", "amount"] == pytest.approx(55.98)
    assert orders.loc["536385", "amount"] == pytest.approx(2 * 12.75 + 4.95)
    assert orders.loc["C536379", "amount"] == pytest.approx(-27.50)
    assert orders.loc["C536379", "status"] == "refunded"
    assert len(ds.orders) == 8  # 536365, 536366, C536379, C536383, 536384, 536385, 536386, C536390
    assert set(ds.order_lines["product_id"]) >= {"85123A", "71053", "22720", "D"}
    assert ds.order_lines["product"].str.contains("CAKESTAND").sum() == 4


def test_monthly_gross_refunds_net_orders_and_customers_equal_pandas_over_the_raw_file():
    truth = _truth()
    k = _monthly(_load().dataset)
    # by hand: December gross 55.98 + 11.10, refunds 27.50 + 4.65; January gross 30.45,
    # refunds 12.75 (the cancelled cakestand; its sale is in the file, the refund is booked
    # on its own day)
    assert truth.loc["2010-12", "gross"] == pytest.approx(67.08)
    assert truth.loc["2011-01", "refunds"] == pytest.approx(12.75)
    for col, ours in (("gross", "gmv_gross"), ("refunds", "refunds"), ("net", "gmv")):
        assert k[ours].round(2).to_dict() == pytest.approx(truth[col].round(2).to_dict()), col
    assert k["orders"].to_dict() == truth["orders"].to_dict()
    # £0 order 536384 and £0 line-order 536386: no paid order, and 13047 (only a £0 order) no payer
    assert k["paying_users"].to_dict() == truth["customers"].to_dict() == {"2010-12": 1, "2011-01": 1}


def test_reconciliation_shows_gross_refunds_and_net_per_part():
    rec = _load().reconciliation().set_index("part")
    kept = rec.loc["kept"]
    assert (kept["rows"], kept["orders"]) == (11, 8)
    assert kept["gross"] == pytest.approx(55.98 + 11.10 + 30.45)
    assert kept["refunds"] == pytest.approx(27.50 + 4.65 + 12.75)
    assert kept["net"] == pytest.approx(kept["gross"] - kept["refunds"])
    # the rejected row (no customer id) keeps its money in the reconciliation: 24 x 1.45
    assert rec.loc["rejected", "gross"] == pytest.approx(34.80)
    assert rec.loc["input", "net"] == pytest.approx(kept["net"] + 34.80)


def test_decisions_say_which_rule_and_how_much_money_the_alternative_moves():
    res = _load()
    lines = res.decisions.lines
    assert (lines["rule"], lines["basis"]) == ("sum", "data")
    # the alternative ("first row per invoice") would set aside the 2nd and 3rd line of 536365
    # and the 2nd line of 536385: 20.34 + 20.34 + 4.95
    assert lines["amount"] == pytest.approx(45.63) and lines["n"] == 3
    codes = {p.code: p for _, p in res.problems}
    assert codes["decide.lines.sum"].params["moved"] == pytest.approx(45.63)
    assert codes["decide.refunds.net"].params["refunds"] == pytest.approx(44.90)
    for code in ("decide.lines.sum", "decide.refunds.net", "validate.refund_rows.prefix",
                 "validate.order_lines.sum", "validate.duplicate_lines_kept"):
        assert code in codes and code in catalog("en") and code in catalog("zh")


def test_the_first_row_rule_sets_the_later_lines_aside_with_their_money():
    res = _load(lines="first")
    (f,) = res.files
    assert res.decisions.lines["rule"] == "first"
    assert f.result.lines is None and len(res.dataset.order_lines) == 0
    assert f.result.n_dropped == 3 and f.result.amounts["dropped"] == pytest.approx(45.63)
    assert res.dataset.orders.set_index("order_id").loc["536365", "amount"] == pytest.approx(15.30)


def test_gross_rule_counts_every_sale_and_still_reports_refunds():
    k = _monthly(_load(refunds="gross").dataset)
    truth = _truth()
    assert k["gmv"].round(2).to_dict() == pytest.approx(truth["gross"].round(2).to_dict())
    assert k["refunds"].round(2).to_dict() == pytest.approx(truth["refunds"].round(2).to_dict())


def test_identical_rows_are_duplicates_when_the_file_repeats_itself():
    # the same export twice: every line repeats, a double export; dropped with its money
    twice = RETAIL + RETAIL.split("\n", 1)[1]
    res = _load(twice)
    (f,) = res.files
    assert f.result.set_aside["duplicates"]["dropped"]
    k = _monthly(res.dataset)
    # 536365's two identical lantern lines repeat each other too, so only the first of the four
    # survives the double-export rule (a row is a duplicate when it repeats one in every column)
    assert k.loc["2010-12", "gmv_gross"] == pytest.approx(67.08 - 20.34)
    assert k.loc["2011-01", "gmv"] == pytest.approx(30.45 - 12.75)


STATUS = """订单号,买家ID,下单时间,实付金额,订单状态
A1,u1,2024-03-01 10:00:05,100,交易成功
A2,u1,2024-03-02 11:00:00,50,已退款
A3,u2,2024-03-03 12:00:00,80,交易关闭
A4,u3,2024-03-04 13:00:00,0,交易成功
A5,u4,2024-04-01 09:00:00,-30,交易成功
A6,u5,2024-04-02 09:00:00,200,unavailable
A7,u5,2024-04-03 09:00:00,70,returned
A8,u6,2024-04-04 09:30:00,40,交易成功
"""


def test_refund_statuses_zero_orders_and_a_refund_without_its_sale():
    res = opslab.load(("orders.csv", STATUS.encode()), today=TODAY)
    assert res.dataset is not None
    (f,) = res.files
    assert f.result.n_rejected == 0 and f.result.n_clean == 8  # no refund is lost or rejected
    k = _monthly(res.dataset)
    # March: sales 100 + 50 + 80 (+ a £0 order); refunded by status 50 + 80
    # April: sales 200 + 70 + 40; refunded by status 200 + 70; -30 is a refund whose sale is
    # not in the file: it stays a refund
    assert k.loc["2024-03", ["gmv_gross", "refunds", "gmv"]].tolist() == [230.0, 130.0, 100.0]
    assert k.loc["2024-04", ["gmv_gross", "refunds", "gmv"]].tolist() == [310.0, 300.0, 10.0]
    # paying users: u1 (A1) in March; u6 (A8) in April; u3's zero order pays nothing
    assert k.loc["2024-03", "paying_users"] == 1 and k.loc["2024-04", "paying_users"] == 1
    assert k.loc["2024-03", "orders"] == 1 and k.loc["2024-04", "orders"] == 1
    gross = _monthly(opslab.load(("orders.csv", STATUS.encode()), today=TODAY, refunds="gross").dataset)
    assert gross.loc["2024-03", ["gmv", "orders", "paying_users"]].tolist() == [230.0, 3, 2]
    assert gross.loc["2024-04", ["gmv", "orders", "paying_users"]].tolist() == [310.0, 3, 2]


REFUND_COLUMN = """订单号,会员,下单时间,实付金额,退款金额
R1,m1,2024-05-01 10:00:00,100,0
R2,m2,2024-05-02 10:00:00,80,80
R3,m3,2024-05-03 10:00:00,60,25
R4,m1,2024-06-01 10:00:00,40,
"""

REFUNDS_FILE = """订单号,会员,退款时间,退款金额
R9,m9,2024-06-05 12:00:00,15.5
R3,m3,2024-06-06 12:00:00,10
"""


def test_a_refund_amount_column_nets_full_and_partial_refunds():
    res = opslab.load(("orders.csv", REFUND_COLUMN.encode()), today=TODAY)
    assert res.files[0].mapping_dict["refund_amount"] == "退款金额"
    k = _monthly(res.dataset)
    # May: sales 100 + 80 + 60 = 240; refunds 80 (R2 in full) + 25 (R3 in part) = 105
    assert k.loc["2024-05", ["gmv_gross", "refunds", "gmv"]].tolist() == [240.0, 105.0, 135.0]
    # R2 refunded in full is no paid order; R3, partly refunded, still is
    assert k.loc["2024-05", ["orders", "paying_users"]].tolist() == [2, 2]
    assert k.loc["2024-06", ["gmv_gross", "refunds", "gmv"]].tolist() == [40.0, 0.0, 40.0]
    rec = res.reconciliation().set_index("part").loc["kept"]
    assert (rec["gross"], rec["refunds"], rec["net"]) == (280.0, 105.0, 175.0)


def test_a_separate_refunds_file_is_refunds_on_their_day():
    res = opslab.load(("orders.csv", REFUND_COLUMN.encode()), ("refunds.csv", REFUNDS_FILE.encode()),
                      today=TODAY)
    assert any(p.code == "mapping.refunds_file" for _, p in res.problems)
    k = _monthly(res.dataset)
    # June: the 40 sale; refunds 15.50 (its sale is not in the files) + 10 (R3 again, later)
    assert k.loc["2024-06", ["gmv_gross", "refunds", "gmv"]].tolist() == [40.0, 25.5, 14.5]
    assert k.loc["2024-05", "gmv"] == 135.0  # May is untouched: a refund counts on its own day
    refunds = res.reconciliation().set_index(["file", "part"]).loc[("refunds.csv", "kept")]
    assert (refunds["rows"], refunds["gross"], refunds["refunds"]) == (2, 0.0, 25.5)


def test_amounts_already_net_of_refunds_are_not_netted_twice():
    net_already = REFUND_COLUMN.replace("R2,m2,2024-05-02 10:00:00,80,80", "R2,m2,2024-05-02 10:00:00,0,80") \
        .replace("R3,m3,2024-05-03 10:00:00,60,25", "R3,m3,2024-05-03 10:00:00,0,25")
    res = opslab.load(("orders.csv", net_already.encode()), today=TODAY)
    assert any(p.code == "validate.refund_column.net_already" for _, p in res.problems)
    assert _monthly(res.dataset).loc["2024-05", "gmv"] == 100.0


def test_repeated_order_ids_of_other_customers_are_not_lines():
    csv = ("order_id,customer_id,order_date,amount\n"
           "o1,c1,2024-01-05,10\no2,c2,2024-01-06,20\no2,c9,2024-01-07,25\n")
    res = opslab.load(("o.csv", csv.encode()), today=TODAY)
    assert res.decisions.lines["rule"] == "first"
    assert res.files[0].result.n_dropped == 1 and len(res.dataset.orders) == 2
    summed = opslab.load(("o.csv", csv.encode()), today=TODAY, lines="sum")
    assert summed.dataset.orders.set_index("order_id").loc["o2", "amount"] == 45.0


def test_a_file_of_unique_order_ids_has_no_line_decision():
    csv = "order_id,customer_id,order_date,amount\no1,c1,2024-01-05,10\no2,c2,2024-01-06,20\n"
    res = opslab.load(("o.csv", csv.encode()), today=TODAY)
    assert res.decisions.lines == {} and res.decisions.refunds == {}
    assert res.files[0].result.lines is None


def test_command_line_takes_the_refunds_and_lines_rules(tmp_path):
    path = tmp_path / "retail.csv"
    path.write_text(RETAIL, encoding="utf-8")
    loaded = cli.load_data([str(path)], refunds="gross", lines="first", duplicates="drop")
    assert loaded.dataset.refunds == "gross"
    assert loaded.decisions.choices.lines == "first" and loaded.decisions.choices.duplicates == "drop"
    with pytest.raises(SystemExit):
        cli.main(["report", "--data", str(path), "--period", "2011-01", "--refunds", "half"])


def test_a_stored_data_set_keeps_its_lines_and_refunds_rule(tmp_path):
    res = _load(refunds="gross")
    ds = res.dataset
    store = Store(tmp_path)
    tables = {"orders": ds.orders.drop(columns=["uid"], errors="ignore"),
              "order_lines": ds.order_lines}
    m = store.save(tables, name="retail", uploader="", content_key="k" * 64, start=ds.start, end=ds.end,
                   settings={"refunds": ds.refunds})
    back = store.load(m.id, "")
    assert len(back["order_lines"]) == len(ds.order_lines) == 11
    again = Dataset.from_tables(orders=back["orders"], order_lines=back["order_lines"],
                                               refunds=m.settings["refunds"])
    assert _monthly(again)["gmv"].round(2).to_dict() == _monthly(ds)["gmv"].round(2).to_dict()
