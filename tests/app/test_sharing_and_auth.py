"""Links carry the data fingerprint; a shared password gates a hosted instance."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from opslab.security import hash_password

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_url_carries_fingerprint_and_mismatch_is_flagged():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    fp = at.session_state["dataset"].fingerprint
    assert at.query_params["fp"] == [fp] or at.query_params["fp"] == fp
    assert not any("fingerprint" in w.value for w in at.warning)

    other = AppTest.from_file(APP, default_timeout=120)
    other.query_params["lang"] = "en"
    other.query_params["fp"] = "0123456789ab"  # a link made on someone else's data
    other.run()
    assert not other.exception
    assert any("0123456789ab" in w.value and fp in w.value for w in other.warning)


def test_language_restored_from_url():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    assert at.title[0].value == "Overview"
    zh = AppTest.from_file(APP, default_timeout=120)
    zh.query_params["lang"] = "zh"
    zh.run()
    assert zh.title[0].value == "数据概览"


def test_shared_password_gate():
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["opslab"] = {"password_hash": hash_password("team-2026", iterations=1000)}
    at.query_params["lang"] = "en"
    at.run()
    assert at.title[0].value == "Sign in to OpsLab"
    assert "dataset" not in at.session_state  # nothing is loaded before sign-in
    at.text_input(key="auth_password").input("wrong")
    at.button[0].click().run()
    assert any("not right" in e.value for e in at.error)
    at.text_input(key="auth_password").input("team-2026")
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    # The sign-out button sits in the sidebar; AppTest loses main-script sidebar widgets on the
    # click run of a st.navigation app, so the click itself is exercised in a real browser.
    assert [b for b in at.sidebar.button if b.key == "auth_logout"]


def test_no_gate_without_secrets():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    assert at.title[0].value == "Overview"
    assert not [b for b in at.button if b.key == "auth_logout"]


def test_overview_link_restores_in_either_language():
    for lang in ("zh", "en"):
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params.update({"lang": lang, "ov_grain": "quarter", "ov_period_quarter": "2026-04-01",
                                "ov_trend": "gmv,arppu", "ov_retention": "on_or_after"})
        at.run()
        assert not at.exception
        assert at.segmented_control(key="ov_grain").value == "quarter"
        assert at.selectbox(key="ov_period_quarter").value == "2026-04-01"
        assert at.multiselect(key="ov_trend").value == ["gmv", "arppu"]
        assert at.segmented_control(key="ov_retention").value == "on_or_after"


def test_changing_a_setting_writes_the_raw_value_to_the_url():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "zh"
    at.run()
    at.segmented_control(key="ov_grain").set_value("week").run()
    assert at.query_params["ov_grain"] in ("week", ["week"])  # the option, not its label 周


def test_sessions_on_identical_data_share_one_trained_model_and_others_do_not():
    import pandas as pd

    from opslab.dataset import Dataset
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
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "zh"
    at.run()
    assert at.query_params["lang"] in ("zh", ["zh"])  # kept even though zh is the default
    at.radio(key="lang").set_value("en").run()
    assert at.query_params["lang"] in ("en", ["en"])
    assert at.title[0].value == "Overview"
