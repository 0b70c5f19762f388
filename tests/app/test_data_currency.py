"""The Data page asks for the currency when nothing in the files names it (issue 21, 3)."""

from __future__ import annotations

import pytest

from tests.app.conftest import open_app

# Amounts without any sign, English headers, no country column: nothing says which currency.
PLAIN = ("customer,order_date,value\n"
         "c1,2024-01-05,10.50\n"
         "c2,2024-01-06,20.25\n"
         "c1,2024-02-01,5.00\n").encode()
# The same with a country column: United Kingdom is evidence for pounds.
UK = ("customer,order_date,value,Country\n"
      "c1,2024-01-05,10.50,United Kingdom\n"
      "c2,2024-01-06,20.25,United Kingdom\n"
      "c1,2024-02-01,5.00,France\n").encode()


@pytest.mark.slow
def test_no_currency_in_the_data_is_a_required_choice_before_loading():
    at = open_app("en", "views/data.py")
    at.file_uploader(key="data_upload").set_value(("plain.csv", PLAIN, "text/csv")).run()
    assert not at.exception
    required = at.selectbox(key="data_currency_required")
    assert required.value is None                        # no default: nobody assumed CNY
    assert "required" in required.label
    assert at.button(key="data_apply").disabled          # cannot load until chosen
    required.set_value("GBP").run()
    assert not at.exception
    assert at.session_state["data_currency"] == "GBP"
    assert not at.button(key="data_apply").disabled
    at.button(key="data_apply").click().run()
    assert not at.exception
    ds = at.session_state["dataset"]
    assert ds.currency == "GBP"
    assert round(float(ds.orders["amount"].sum()), 2) == 35.75   # 10.50 + 20.25 + 5.00


@pytest.mark.slow
def test_a_country_column_decides_the_currency_without_asking():
    at = open_app("zh", "views/data.py")
    at.file_uploader(key="data_upload").set_value(("uk.csv", UK, "text/csv")).run()
    assert not at.exception
    assert not [s for s in at.selectbox if s.key == "data_currency_required"]
    assert not at.button(key="data_apply").disabled
    text = " ".join(i.value for i in at.info) + " ".join(w.value for w in at.warning)
    assert "GBP" in text                                 # said, with its evidence (国家或地区列)
    at.button(key="data_apply").click().run()
    assert at.session_state["dataset"].currency == "GBP"


@pytest.mark.slow
@pytest.mark.parametrize("lang,absent", [("en", "no amounts in this data"), ("zh", "数据中没有金额")])
def test_a_log_without_amounts_shows_no_money_on_the_overview_and_targets(lang, absent, tmp_path, monkeypatch):
    from opslab.dataset.load import files_key, load
    from tests.test_currency_zone_logs import csv_bytes, taobao_log
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    raw = taobao_log(seed=29)
    res = load(("log.csv", csv_bytes(raw, header=False)))
    ds = res.dataset
    assert not ds.has_amounts
    at = open_app(lang, dataset=ds, run=False)
    at.session_state["dataset_source"] = {"kind": "upload", "key": files_key(list(res.files), ds.currency)}
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    gmv = next(v for k, v in metrics.items() if k.startswith("GMV"))
    assert gmv == absent                                  # not "0" and not "¥0.00"
    assert all("¥" not in str(v) for v in metrics.values())
    assert any(absent in i.value for i in at.info)        # the GMV trend says why it has no line
    at.switch_page("views/targets.py").run()
    assert not at.exception
    assert any(absent in i.value.lower() for i in at.info)
