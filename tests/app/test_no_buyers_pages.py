"""Orders without a buyer id (issue 21): the Tmall order report's screens.

The Overview shows the orders and GMV of the report (against the plain-pandas truth of
tests/corpus/truths.py) and says the customer figures cannot be counted; the screens that follow
customers say why they cannot be shown instead of failing or counting anonymous orders.
"""

from __future__ import annotations

import hashlib

import pytest

import opslab
from opslab.core.i18n import t
from opslab.metrics import catalogue
from opslab.present import formatting as fmt
from tests.app.conftest import open_app
from tests.corpus import truths as tr

NO_BUYER = {"en": "no buyer id in this data", "zh": "数据中没有买家 ID"}


@pytest.fixture(scope="module")
def tmall():
    truth = tr.tmall_order_report_truth()
    ds = opslab.load(*[str(p) for p in truth.files.values()]).dataset
    assert ds is not None and not ds.buyers_known
    return truth, ds


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_overview_shows_orders_and_gmv_and_says_customers_cannot_be_counted(tmall, lang):
    truth, ds = tmall
    at = open_app(lang, dataset=ds)
    assert not at.exception
    month = truth.monthly.loc["2020-02"]  # the report's one month, complete: the default period
    shown = {m.label: m.value for m in at.metric}
    assert shown[catalogue.name("orders", lang)] == fmt.kpi_value("orders", float(month["orders"]), lang, "CNY")
    assert shown[catalogue.name("gmv", lang)] == fmt.kpi_value("gmv", float(month["net"]), lang, "CNY")
    for key in ("paying_users", "arppu", "new_users", "paid_conversion", "dau"):
        assert shown[catalogue.name(key, lang)] == NO_BUYER[lang], key
    # the gross / refunds / net line of the period equals the truth
    caption = " ".join(c.value for c in at.caption)
    assert fmt.money(float(month["refunds"]), lang, exact=True, currency="CNY") in caption
    assert fmt.money(float(month["gross"]), lang, exact=True, currency="CNY") in caption
    # said once, on the page: why the customer cards are empty
    assert [w.value for w in at.warning].count(t("overview.no_buyers_help", lang)) == 1
    # no cohort triangle drawn from anonymous orders: the retention section says why
    assert f"{t('overview.retention', lang)}: {NO_BUYER[lang]}" in [i.value for i in at.info]
    assert t("overview.cohort_grain", lang) not in [s.label for s in at.get("segmented_control")]


@pytest.mark.parametrize("page", ["lifecycle", "churn", "users"])
def test_customer_screens_say_why_instead_of_failing(tmall, page):
    _, ds = tmall
    at = open_app("en", f"views/{page}.py", dataset=ds)
    assert not at.exception
    assert any("no column of this data identifies the buyer" in i.value for i in at.info)
    assert not at.dataframe  # no table of anonymous "customers"


@pytest.mark.parametrize("page", ["forecast", "targets", "report", "funnels", "paths", "experiments"])
def test_the_other_screens_open_without_failing(tmall, page, tmp_path, monkeypatch):
    truth, ds = tmall
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))  # targets kept with the upload: not the user's
    at = open_app("en", dataset=ds, timeout=300, run=False)
    path = next(iter(truth.files.values()))
    at.session_state["dataset_source"] = {"kind": "upload", "key": hashlib.sha256(path.read_bytes()).hexdigest(),
                                          "files": [path.name]}
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    if page == "forecast":  # only orders and money can be forecast: no series of anonymous "users"
        assert at.selectbox(key="fc_kpi").options == [catalogue.series_name(k, "en") for k in ("gmv", "orders")]
