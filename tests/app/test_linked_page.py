"""The Data page with the four files of a marketplace export uploaded at once: each file's role,
the join and what could not be joined are shown; the data set and the Overview's monthly GMV
equal the hand-computed figures; a column mapped by hand keeps the other suggestions."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from tests.app.conftest import open_app
from tests.test_linked import FILES, PREJOINED, _truth


def _linked_table(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "Recognised as" in d.value.columns)


def _choose_currency(at, code):
    """Nothing in these files names the currency: the page asks, and Apply waits for the answer."""
    assert at.button(key="data_apply").disabled
    box = at.selectbox(key="data_currency_required")
    assert any(label.split()[0] == code for label in box.options) and box.value is None  # no default: the user says
    box.set_value(code).run()
    assert not at.button(key="data_apply").disabled


def _upload(at, files):
    at.file_uploader(key="data_upload").set_value(
        [(name, text.encode(), "text/csv") for name, text in files.items()]).run()
    assert not at.exception


@pytest.mark.slow
def test_four_linked_files_show_their_roles_and_load_as_one_data_set():
    at = open_app("en", "views/data.py")
    _upload(at, FILES)
    shown = _linked_table(at)
    roles = dict(zip(shown["File"], shown["Recognised as"]))
    assert roles == {"olist_orders_dataset.csv": "Orders", "olist_order_items_dataset.csv": "Order items",
                     "olist_order_payments_dataset.csv": "Payments", "olist_customers_dataset.csv": "Customers"}
    items = shown.set_index("File").loc["olist_order_items_dataset.csv"]
    assert (items["Rows"], items["Joined"], items["Not joined"]) == ("6", "5", "1")
    text = " ".join(w.value for w in at.warning) + " ".join(i.value for i in at.info)
    assert "1 item lines" in text and "o99" not in text  # the example row is in its own table
    # the files' own mapping grids are not shown: the joined table needs none
    assert not [s for s in at.selectbox if s.key and s.key.startswith("data_map_")]
    at.checkbox(key="data_link_use").uncheck().run()  # the user says: not one export
    assert not at.exception and not any("Recognised as" in d.value.columns for d in at.dataframe)
    assert len({s.key.split("_")[2] for s in at.selectbox if s.key and s.key.startswith("data_map_")}) == 4
    at.checkbox(key="data_link_use").check().run()
    _choose_currency(at, "BRL")  # a Brazilian marketplace: reais
    at.button(key="data_apply").click().run()
    assert not at.exception
    ds = at.session_state["dataset"]
    assert ds.currency == "BRL"
    assert sorted(ds.orders["order_id"]) == ["o1", "o2", "o3", "o4", "o5"]
    # the report keeps the linked files' table after the load
    assert any("Recognised as" in d.value.columns for d in at.dataframe)
    at.switch_page("views/overview.py").run()
    assert not at.exception
    truth = _truth()
    gmv = truth.groupby("month").amount.sum()  # Jan 275.75, Feb 65.00
    payers = truth.groupby("month").person.nunique()  # Jan 1 (p1 twice), Feb 2
    for month in gmv.index:  # the Overview's own cards, month by month
        at.selectbox(key="ov_period_month").set_value(month.strftime("%Y-%m-%d")).run()
        cards = {m.label: m.value for m in at.metric}
        assert float(re.sub(r"[^\d.]", "", cards["GMV"])) == pytest.approx(gmv[month])
        assert int(cards["Paying users"]) == payers[month]


@pytest.mark.slow
def test_a_prejoined_table_loads_from_the_page():
    at = open_app("en", "views/data.py")
    _upload(at, {"joined.csv": PREJOINED})
    shown = _linked_table(at)
    assert shown["Recognised as"].tolist() == ["Pre-joined order lines"]
    _choose_currency(at, "BRL")
    at.button(key="data_apply").click().run()
    assert not at.exception
    amounts = at.session_state["dataset"].orders.set_index("order_id")["amount"].to_dict()
    assert amounts == pytest.approx({"o1": 220.0, "o2": 55.75, "o3": 33.0, "o4": 45.0})


@pytest.mark.slow
def test_mapping_one_column_by_hand_keeps_the_other_suggestions_on_the_page():
    csv = "buyer_id,purchased_on_local,order_amount\nu1,2024-01-05,10\nu2,2024-01-06,20\n"
    at = open_app("en", "views/data.py")
    _upload(at, {"x.csv": csv})
    before = {s.key: s.value for s in at.selectbox if s.key and s.key.startswith("data_map_")}
    time_key = next(k for k in before if k.endswith("_event_time"))
    at.selectbox(key=time_key).set_value("purchased_on_local").run()
    after = {s.key: s.value for s in at.selectbox if s.key and s.key.startswith("data_map_")}
    assert after == {**before, time_key: "purchased_on_local"}
    assert any(v == "buyer_id" for v in after.values()) and any(v == "order_amount" for v in after.values())
    _choose_currency(at, "USD")
    at.button(key="data_apply").click().run()
    assert not at.exception
    assert float(at.session_state["dataset"].orders["amount"].sum()) == 30.0
