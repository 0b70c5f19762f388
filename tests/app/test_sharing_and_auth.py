"""Links carry the data fingerprint; a shared password gates a hosted instance."""

from __future__ import annotations

from opslab.workspace.passwords import hash_password
from tests.app.conftest import open_app


def test_crafted_link_values_are_never_rendered():
    at = open_app(None, query={"lang": "en",
                               "fp": "[Sign in again](https://evil.example/login) ![x](https://evil.example/x.png)",
                               "ds": "![x](https://evil.example/x.png)"})
    assert not at.exception
    shown = [m.value for m in list(at.warning) + list(at.markdown) + list(at.caption) + list(at.error) + list(at.info)]
    assert not any("evil" in text for text in shown), shown
    assert "fp" not in at.query_params  # the old fingerprint parameter is dropped, not echoed
    assert any("cannot be opened" in w.value for w in at.warning)  # said with a fixed sentence
    assert at.session_state["dataset_source"]["kind"] == "sample"


def test_language_restored_from_url():
    at = open_app(None, query={"lang": "en"})
    assert at.title[0].value == "Overview"
    zh = open_app(None, query={"lang": "zh"})
    assert zh.title[0].value == "数据概览"


def test_shared_password_gate_serves_nothing_without_the_signed_cookie():
    at = open_app(None, query={"lang": "en", "ds": "A" * 32},
                  secrets={"password_hash": hash_password("team-2026", iterations=1000)})
    assert not at.exception
    assert at.title[0].value == "Sign in to OpsLab"
    assert "dataset" not in at.session_state  # nothing is loaded before sign-in, link or not
    assert not at.text_input  # the password is typed into /signin, which sets the HttpOnly cookie


def test_no_gate_without_secrets():
    at = open_app(None, query={"lang": "en"})
    assert at.title[0].value == "Overview"
    assert not [b for b in at.button if b.key == "auth_logout"]


def test_overview_link_restores_in_either_language():
    for lang in ("zh", "en"):
        at = open_app(None, query={"lang": lang, "ov_grain": "quarter", "ov_period_quarter": "2026-04-01",
                                   "ov_trend": "gmv,arppu", "ov_retention": "on_or_after"})
        assert not at.exception
        assert at.segmented_control(key="ov_grain").value == "quarter"
        assert at.selectbox(key="ov_period_quarter").value == "2026-04-01"
        assert at.multiselect(key="ov_trend").value == ["gmv", "arppu"]
        assert at.segmented_control(key="ov_retention").value == "on_or_after"


def test_changing_a_setting_writes_the_raw_value_to_the_url():
    at = open_app(None, query={"lang": "zh"})
    at.segmented_control(key="ov_grain").set_value("week").run()
    assert at.query_params["ov_grain"] in ("week", ["week"])  # the option, not its label 周


def test_sessions_on_identical_data_share_one_trained_model_and_others_do_not():
    import pandas as pd

    from opslab.dataset.dataset import Dataset
    from ui.models import shared_result
    calls = []
    ev = pd.DataFrame({"user_id": ["a"], "event_time": pd.to_datetime(["2024-01-01"])})
    one, same = Dataset.from_tables(events=ev), Dataset.from_tables(events=ev.copy())
    other = Dataset.from_tables(events=ev.assign(user_id="b"))
    fit = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert shared_result("t", one, "s", fit) == 1
    assert shared_result("t", same, "s", fit) == 1  # same bytes, same model: trained once
    assert shared_result("t", other, "s", fit) == 2  # other data never see it
    assert shared_result("t", one, "other-settings", fit) == 3


def test_language_always_travels_in_the_link():
    at = open_app(None, query={"lang": "zh"})
    assert at.query_params["lang"] in ("zh", ["zh"])  # kept even though zh is the default
    at.radio(key="lang").set_value("en").run()
    assert at.query_params["lang"] in ("en", ["en"])
    assert at.title[0].value == "Overview"
