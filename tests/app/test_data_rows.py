"""The Data page: what the rows of a file with only a user and a time are (issue 21, a
purchase-only log), said with its evidence and switched in one click."""

from __future__ import annotations

import pandas as pd
import pytest

from opslab.dataset.load import files_key
from tests.app.conftest import open_app
from ui.plain import md_escape
from tests.corpus.truths import CORPUS

GROCERY = CORPUS / "grocery_elog" / "grocery_elog.csv"
NO_EVIDENCE = b"uid,ts\nu1,2024-01-05\nu2,2024-01-05\nu1,2024-01-20\nu3,2024-02-02\nu1,2024-02-03\n"


def _texts(at) -> str:
    return " ".join(x.value for x in [*at.info, *at.warning])


@pytest.mark.slow
def test_a_purchase_log_is_read_as_purchases_and_switches_to_activity():
    raw = pd.read_csv(GROCERY, dtype=str, keep_default_na=False)
    at = open_app("en", "views/data.py")
    at.file_uploader(key="data_upload").set_value((GROCERY.name, GROCERY.read_bytes(), "text/csv")).run()
    assert not at.exception
    switch = at.selectbox(key="data_rows")
    assert switch.label == "Rows without an event name"
    assert switch.value == "auto" and "Purchases" in switch.format_func("auto")
    text = _texts(at)  # the evidence and what each reading gives, before loading
    # file and header names are escaped for markdown (ui/plain.py): shown as typed
    assert "read as purchases" in text and f"({md_escape('cust, grocery_elog.csv')} point to purchases)" in text
    assert f"{len(raw):,} orders by {raw['cust'].nunique():,} paying customers" in text
    at.button(key="data_apply").click().run()
    assert not at.exception
    ds = at.session_state["dataset"]
    assert len(ds.orders) == len(raw) and ds.orders["user_id"].nunique() == raw["cust"].nunique()
    assert not ds.has_amounts
    key = files_key(at.session_state["data_last_files"])
    switch = at.selectbox(key="data_rows").set_value("activity").run()  # re-applies at once
    assert not at.exception
    ds = at.session_state["dataset"]
    assert len(ds.orders) == 0 and ds.n_users == raw["cust"].nunique()
    assert files_key(at.session_state["data_last_files"]) != key  # another reading, another content key
    assert "as you chose" in _texts(at)
    assert "Purchases" in at.selectbox(key="data_rows").format_func("auto")  # still what the evidence says


@pytest.mark.slow
def test_without_evidence_the_page_asks_in_chinese():
    at = open_app("zh", "views/data.py")
    at.file_uploader(key="data_upload").set_value(("export.csv", NO_EVIDENCE, "text/csv")).run()
    assert not at.exception
    assert at.selectbox(key="data_rows").label == "无事件名的行"
    warned = " ".join(w.value for w in at.warning)
    assert "看不出 5 行没有事件名的记录是访问还是购买" in warned and "5 笔订单、3 位付费客户" in warned
    at.button(key="data_apply").click().run()
    assert len(at.session_state["dataset"].orders) == 0      # activity, as before
    at.selectbox(key="data_rows").set_value("purchases").run()
    assert not at.exception
    ds = at.session_state["dataset"]
    assert len(ds.orders) == 5 and ds.orders["user_id"].nunique() == 3
