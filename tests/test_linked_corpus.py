"""The real Olist marketplace export (four linked files, reais; tests/corpus/olist, see its
README for source and licence) loaded as a user would: the four files at once, currency chosen.
Skipped when the corpus is absent. The truth is plain pandas over the raw files, here:

* an order's amount = sum(price) + sum(freight_value) of its items; its month is the month of
  ``order_purchase_timestamp``;
* GMV per month = the amounts of orders whose status is not ``canceled`` / ``unavailable``;
* orders = those orders with an amount > 0; customers = distinct ``customer_unique_id`` of them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import opslab

ROOT = Path(__file__).resolve().parents[1]
#: The corpus in this tree, or (before the corpus branch is merged) in its worktree.
CANDIDATES = (ROOT / "tests" / "corpus" / "olist", Path("/work/wt/corpus/tests/corpus/olist"))
FOLDER = next((p for p in CANDIDATES if (p / "olist_orders_dataset.csv").exists()), None)
NAMES = ("olist_orders_dataset.csv", "olist_order_items_dataset.csv", "olist_order_payments_dataset.csv",
         "olist_customers_dataset.csv")

pytestmark = pytest.mark.skipif(FOLDER is None, reason="the Olist corpus (tests/corpus/olist) is absent")


@pytest.fixture(scope="module")
def olist():
    raw = {n: pd.read_csv(FOLDER / n, dtype=str, keep_default_na=False) for n in NAMES}
    return raw, opslab.load(*[FOLDER / n for n in NAMES], currency="BRL")


def _truth(raw) -> pd.DataFrame:
    o, i, c = raw[NAMES[0]], raw[NAMES[1]], raw[NAMES[3]]
    amount = (i.price.astype(float) + i.freight_value.astype(float)).groupby(i.order_id).sum()
    o = o.assign(amount=o.order_id.map(amount).fillna(0.0),
                 person=o.customer_id.map(c.set_index("customer_id").customer_unique_id),
                 month=pd.to_datetime(o.order_purchase_timestamp).dt.strftime("%Y-%m"))
    sold = o[~o.order_status.isin(["canceled", "unavailable"]) & (o.amount > 0)]
    return sold.groupby("month").agg(gmv=("amount", "sum"), orders=("order_id", "nunique"),
                                     customers=("person", "nunique"))


def test_monthly_gmv_orders_and_customers_equal_the_truth(olist):
    raw, res = olist
    truth = _truth(raw)
    k = opslab.kpis(res.dataset, grain="month").frame
    k.index = pd.DatetimeIndex(k.index).strftime("%Y-%m")
    assert k["gmv"].reindex(truth.index).round(2).tolist() == pytest.approx(truth["gmv"].round(2).tolist(), abs=0.011)
    assert k["orders"].reindex(truth.index).astype(int).tolist() == truth["orders"].tolist()
    assert k["paying_users"].reindex(truth.index).astype(int).tolist() == truth["customers"].tolist()
    assert (k.loc[~k.index.isin(truth.index), "gmv"].fillna(0) == 0).all()
    assert res.dataset.currency == "BRL"


def test_every_row_of_the_four_files_is_accounted_for(olist):
    raw, res = olist
    rec = res.reconciliation()
    for name in NAMES:
        parts = rec[rec["file"] == name].set_index("part")["rows"]
        assert parts["input"] == len(raw[name]) == parts["kept"] + parts["rejected"] + parts["dropped"]
    joined = rec[rec["file"].str.startswith("orders ←")].set_index("part")["rows"]
    assert joined["input"] == len(raw[NAMES[0]]) == joined["kept"] + joined["rejected"] + joined["dropped"]
    # the roles were recognised from the columns alone
    assert {p.name: p.role for p in res.link.parts} == dict(zip(NAMES, ("orders", "items", "payments", "customers")))


def test_repeat_buyers_are_one_person(olist):
    raw, res = olist
    people = raw[NAMES[3]].customer_unique_id.nunique()
    assert res.dataset.n_users == people  # every person has an order in this export
    assert res.dataset.n_users < len(raw[NAMES[0]])  # fewer people than orders
