"""The Data page and the Overview on an order-line export with cancellations (issue 21): lines
summed into orders with the money the other rule moves, gross / refunds / net in the
reconciliation and under the KPI cards, and the switch to gross GMV."""

from __future__ import annotations

import pytest

from tests.app.conftest import open_app
from opslab.ingest.tests.test_order_lines import RETAIL, _truth


def _upload(lang: str):
    at = open_app(lang, "views/data.py")
    at.file_uploader(key="data_upload").set_value(("retail.csv", RETAIL.encode(), "text/csv")).run()
    assert not at.exception
    at.button(key="data_apply").click().run()
    assert not at.exception
    return at


def _texts(at) -> str:
    return " ".join(str(x.value) for kind in (at.caption, at.info, at.warning, at.markdown) for x in kind)


@pytest.mark.slow
def test_data_page_sums_lines_nets_refunds_and_switches_to_gross():
    at = _upload("en")
    ds = at.session_state["dataset"]
    assert len(ds.orders) == 8 and len(ds.order_lines) == 11 and ds.refunds == "net"
    text = _texts(at)
    # which rule, and the money the other rule would move (20.34 + 20.34 + 4.95)
    assert "11 rows are order lines summed into 8 orders" in text and "45.63" in text
    # the reconciliation table has gross, refunds and net (refunds 27.50 + 4.65 + 12.75)
    table = next(df.value for df in at.dataframe if "Refunds" in df.value.columns)
    kept = table.iloc[1]
    assert "44.90" in kept["Refunds"] and "97.53" in kept["Gross sales"] and "52.63" in kept["Net"]
    at.selectbox(key="data_refunds").set_value("gross").run()  # the switch re-applies the upload
    assert not at.exception
    assert at.session_state["dataset"].refunds == "gross"


@pytest.mark.slow
def test_overview_states_gross_refunds_and_net_of_the_period():
    at = _upload("zh")
    at.switch_page("views/overview.py").run()
    assert not at.exception
    truth = _truth()
    at.selectbox(key="ov_period_month").set_value("2010-12-01").run()
    text = _texts(at)
    dec = truth.loc["2010-12"]
    assert "GMV 为扣除退款和取消后的净额" in text
    for value in (dec["gross"], dec["refunds"], dec["net"]):
        assert f"{value:,.2f}" in text, (value, text[:400])
