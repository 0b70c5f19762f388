"""Orders without a buyer column, payment times, freight and an order report's total before
refunds (issue 21): read as a user relies on, checked against plain pandas over the same rows."""

from __future__ import annotations

import pandas as pd
import pytest

from opslab.dataset.load import load
from opslab.ingest.mapping import amount_before_refunds, suggest_mapping
from opslab.ingest.validate import coerce_table

# A Tmall-style order report: no buyer id; paid when the payment time is filled; 总金额 before
# refunds, 买家实际支付金额 after them, 退款金额 the refund.
REPORT = pd.DataFrame({
    "订单编号": ["1", "2", "3", "4", "5", "6"],
    "总金额": ["100", "50", "80", "30", "20", "10"],
    "买家实际支付金额": ["100", "0", "60", "0", "20", "10"],
    "订单创建时间": ["2024-01-03 10:00:00", "2024-01-04 11:00:00", "2024-01-20 12:00:00",
                "2024-02-01 09:00:00", "2024-02-02 09:30:00", "2024-02-03 10:00:00"],
    "订单付款时间": ["2024-01-03 10:01:00", "2024-01-04 11:05:00", "2024-01-20 12:02:00", "",
                "2024-02-02 09:31:00", "2024-02-03 10:01:00"],
    "退款金额": ["0", "50", "20", "0", "0", "0"],
})


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def test_the_report_maps_creation_time_payment_time_and_the_total_before_refunds():
    m = suggest_mapping(list(REPORT.columns), "orders", REPORT)
    assert (m["order_time"], m["paid_time"], m["amount"], m["refund_amount"], m["user_id"]) == \
        ("订单创建时间", "订单付款时间", "总金额", "退款金额", None)


def test_a_total_is_not_taken_when_the_amount_is_not_net_of_the_refunds():
    odd = REPORT.assign(买家实际支付金额=["90", "0", "60", "0", "20", "10"])  # 100 - 0 != 90
    m = {"amount": "买家实际支付金额", "refund_amount": "退款金额"}
    assert amount_before_refunds(list(odd.columns), odd, m) is None


def test_a_single_payment_time_is_the_order_time():
    m = suggest_mapping(["会员号", "支付时间", "实付金额"], "orders")
    assert (m["order_time"], m["paid_time"]) == ("支付时间", None)


def test_orders_without_a_buyer_load_with_one_anonymous_buyer_each_and_unpaid_ones_rejected():
    res = coerce_table(REPORT, suggest_mapping(list(REPORT.columns), "orders", REPORT), "orders")
    assert not res.buyers_known
    paid = REPORT["订单付款时间"] != ""
    assert res.n_clean == int(paid.sum()) and res.rejected["reason"].tolist() == ["validate.no_payment_time"]
    assert res.clean["user_id"].tolist() == ["~" + o for o in REPORT.loc[paid, "订单编号"]]
    # gross = totals of paid orders; refunds = the refund column; net = what buyers paid
    gross, refunds, net = res.money_parts["kept"]
    assert gross == pytest.approx(REPORT.loc[paid, "总金额"].astype(float).sum())
    assert refunds == pytest.approx(REPORT.loc[paid, "退款金额"].astype(float).sum())
    assert net == pytest.approx(REPORT.loc[paid, "买家实际支付金额"].astype(float).sum())
    rec = res.reconciliation()
    assert rec.loc["kept", "rows"] + rec.loc["rejected", "rows"] + rec.loc["dropped", "rows"] == len(REPORT)


def test_freight_is_added_to_the_amount():
    raw = pd.DataFrame({"order_purchase_timestamp": ["2018-01-05 10:00:00", "2018-01-06 11:00:00"],
                        "order_products_value": ["89.99", "69.0"], "order_freight_value": ["14.38", ""]})
    m = suggest_mapping(list(raw.columns), "orders", raw)
    assert m["freight"] == "order_freight_value"
    res = coerce_table(raw, m, "orders")
    assert res.clean["amount"].tolist() == pytest.approx([89.99 + 14.38, 69.0])
    assert [p.code for p in res.report].count("validate.amount_plus_freight") == 1


def test_the_upload_says_once_that_no_buyer_is_known_and_the_data_set_carries_it():
    a, b = REPORT.iloc[:3], REPORT.iloc[3:]
    res = load(("jan.csv", _csv(a)), ("feb.csv", _csv(b)))
    codes = [p.code for _, p in res.problems]
    assert codes.count("decide.buyers.none") == 1  # one decision for the upload, not one per file
    note = next(p for _, p in res.problems if p.code == "decide.buyers.none")
    assert note.params["files"] == "jan.csv, feb.csv" and note.count == 5
    assert res.dataset.buyers_known is False
    assert res.dataset.orders["user_id"].is_unique  # one anonymous buyer per order, never shared


def test_mapping_a_buyer_column_by_hand_switches_it_off():
    with_buyer = REPORT.assign(买家=["a", "b", "a", "c", "a", "b"])
    res = load(("r.csv", _csv(with_buyer)), mappings={"r.csv": {"user_id": "买家"}})
    assert res.dataset.buyers_known and "decide.buyers.none" not in [p.code for _, p in res.problems]
    paid = with_buyer["订单付款时间"] != ""
    assert res.dataset.n_users == with_buyer.loc[paid, "买家"].nunique()


def test_a_refunds_export_without_a_buyer_still_needs_one():
    raw = pd.DataFrame({"订单编号": ["1", "2"], "退款时间": ["2024-01-05", "2024-01-06"], "退款金额": ["5", "8"]})
    res = coerce_table(raw, {"order_id": "订单编号", "order_time": "退款时间", "refund_amount": "退款金额"}, "orders")
    assert res.n_clean == 0 and [p.params.get("field") for p in res.report] == ["user_id"]
