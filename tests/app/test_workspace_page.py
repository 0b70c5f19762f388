"""The stored data sets on the Data page: an applied upload is stored and named in the URL; a
new session opening that URL gets the same data; rename and delete from the list; shared
results are keyed on the stored id."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from opslab.core.keys import is_dataset_id
from opslab.workspace.store import Store
from tests.app.conftest import open_app

CSV = ("用户ID,行为时间,订单金额\n"
       "A001,2024/1/5 10:00,\"¥1,280.00\"\n"
       "A002,2024年1月6日,\n"
       "A001,2024-01-20 08:30,35\n").encode("gb18030")


def _param(at, key):
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def _upload(at, name="导出 [1].csv"):
    at.file_uploader(key="data_upload").set_value((name, CSV, "text/csv")).run()
    at.button(key="data_apply").click().run()
    assert not at.exception
    return _param(at, "ds")


@pytest.mark.slow
def test_upload_is_stored_and_a_new_session_reopens_it_by_link():
    at = open_app("en", "views/data.py")
    ident = _upload(at)
    assert is_dataset_id(ident)
    m = Store(os.environ["OPSLAB_DATA_DIR"]).get(ident)
    assert m.name == "导出 [1].csv" and m.rows == {"events": 3} and (m.start, m.end) == ("2024-01-05", "2024-01-20")
    options = m.files[0]["options"]
    assert m.files[0]["mapping"] and options["no_header"] is False and options["sheet"] is None
    assert dict(options["choices"])["currency"] == "CNY"  # the upload's decisions are kept with it
    source = dict(at.session_state["dataset_source"])
    report = source.pop("report")  # what the report's data-quality section names: this upload's file
    assert source == {"kind": "stored", "id": ident, "name": m.name, "files": [m.name]}
    assert [f[0] for f in report.files] == [m.name]

    other = open_app(None, query={"lang": "en", "ds": ident})  # a teammate's link, or F5
    assert not other.exception
    ds = other.session_state["dataset"]
    assert other.session_state["dataset_source"]["id"] == ident
    assert ds.n_users == 2 and sorted(ds.orders["amount"]) == [35.0, 1280.0]
    assert ds is at.session_state["dataset"]  # one shared Dataset per stored id, not a copy per viewer


@pytest.mark.slow
def test_rename_and_delete_from_the_list():
    at = open_app("en", "views/data.py")
    ident = _upload(at, "first.csv")
    at.text_input(key=f"data_sets_name_{ident}").input("March orders").run()
    at.button(key="data_sets_rename").click().run()
    store = Store(os.environ["OPSLAB_DATA_DIR"])
    assert store.get(ident).name == "March orders"
    assert not at.exception
    at.checkbox(key=f"data_sets_sure_{ident}").check().run()
    at.button(key="data_sets_delete").click().run()
    assert not at.exception
    assert ident not in [m.id for m in store.list()]
    assert at.session_state["dataset_source"]["kind"] == "sample"  # the deleted set left the screen
    assert _param(at, "ds") is None
    events = [e["event"] for e in store_log() if e.get("dataset") == ident]
    assert events == ["upload", "rename", "delete"]


def store_log():
    from opslab.workspace.audit import AuditLog
    return AuditLog(Path(os.environ["OPSLAB_DATA_DIR"]) / "audit.log").read()


@pytest.mark.slow
def test_settings_from_a_link_survive_an_upload_and_page_switches():
    at = open_app(None, query={"lang": "en", "ov_grain": "week", "lc_export_tier": "payer"})
    assert at.segmented_control(key="ov_grain").value == "week"
    at.switch_page("views/data.py").run()
    _upload(at, "after-link.csv")
    at.switch_page("views/overview.py").run()
    assert not at.exception
    assert at.segmented_control(key="ov_grain").value == "week"  # not reset to the default
    assert _param(at, "ov_grain") == "week" and is_dataset_id(_param(at, "ds"))
    at.switch_page("views/lifecycle.py").run()
    assert at.selectbox(key="lc_export_tier").value == "payer"


HOSTILE = "[Sign in again](https://evil.example/login) ![x](https://evil.example/x.png) <img src=x>"
URL_KEYS = ("ov_grain ov_cohort_grain ov_retention ov_trend lc_as_of lc_grain lc_export_kind lc_export_tier "
            "lc_export_segment lc_flow_from lc_flow_to lc_flow_view lc_pair lc_churn_days churn_horizon "
            "churn_label churn_threshold churn_tiers fc_kpi fc_grain fc_horizon fc_target fc_base_grain "
            "fc_plan_spend fc_plan_start fc_plan_end fc_plan_type fc_plan_channel fc_budget_total "
            "fc_budget_channels ds fp").split()


@pytest.mark.slow
def test_every_page_survives_hostile_url_values_and_echoes_none_of_them():
    for page in ("views/overview.py", "views/lifecycle.py", "views/churn.py", "views/forecast.py", "views/data.py"):
        for value in (HOSTILE, "1e309", "-1", "9" * 40):
            at = open_app(None, page, query={"lang": "en", **{k: value for k in URL_KEYS}}, timeout=180)
            assert not at.exception, (page, value, [e.value for e in at.exception])
            shown = [m.value for kind in ("markdown", "caption", "warning", "error", "info", "success", "text")
                     for m in at.get(kind) if hasattr(m, "value")]
            assert not any("evil.example" in str(t) for t in shown), (page, value)
            if value != HOSTILE:
                break  # the numeric forms once per page keep the test short


@pytest.mark.slow
def test_over_quota_the_upload_is_analysed_but_not_stored_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPSLAB_QUOTA_MB", "0.001")  # about 1 KB: less than one Parquet file
    at = open_app("en", "views/data.py")
    assert _upload(at) is None  # no link to a stored set ...
    assert at.session_state["dataset_source"]["kind"] == "upload"  # ... but the data are on screen
    assert at.session_state["dataset"].n_users == 2
    assert any("disk quota" in e.value for e in at.error)
    assert Store(tmp_path).list() == [] and not any((tmp_path / "sets").iterdir())
