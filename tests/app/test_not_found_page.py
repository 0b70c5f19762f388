"""An unknown page address opens our translated page, not Streamlit's English "Page not found"
dialog (issue 12: every string translated where Streamlit allows)."""

from __future__ import annotations

import pytest
from streamlit.commands import navigation as st_navigation
from streamlit.runtime.pages_manager import PagesManager

from opslab.core.i18n import t
from tests.app.conftest import open_app
from ui.not_found import usable


@pytest.fixture
def asked_for(monkeypatch):
    """Make every run ask for a page by address, as a browser opening a link does (AppTest
    only switches pages by their script)."""
    sent = []
    monkeypatch.setattr(st_navigation, "send_page_not_found", lambda ctx: sent.append("dialog"))

    original = PagesManager.set_script_intent

    def ask(address):
        def intent(self, page_script_hash, page_name):
            original(self, "", address)

        monkeypatch.setattr(PagesManager, "set_script_intent", intent)
        return sent
    return ask


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_unknown_address_opens_the_translated_page(asked_for, lang):
    sent = asked_for("lifecylce")
    at = open_app(lang)
    assert not at.exception, [e.message for e in at.exception]
    assert sent == []  # Streamlit's dialog (English only) was never sent
    assert [x.value for x in at.title] == [t("app.not_found.title", lang)]
    assert t("app.not_found.body", lang) in [x.value for x in at.info]
    assert "lifecylce" not in " ".join(str(x.value) for x in at.markdown)  # nothing from the address is shown
    assert at.sidebar  # the router ran: sidebar and language as on any page


def test_known_address_opens_its_page(asked_for):
    sent = asked_for("glossary")
    at = open_app("zh")
    assert not at.exception and sent == []
    assert t("app.not_found.title", "zh") not in [x.value for x in at.title]


def test_the_default_pages_own_address_opens_it(asked_for):
    """``/overview`` (an old or typed link to the default page): the Overview, not an error.
    It was once taken for an unknown address, and two pages at one address stopped the router.
    (Streamlit serves the default page at the root and still sends its own dialog for its
    address: docs/ARCHITECTURE.md.)"""
    asked_for("overview")
    at = open_app("en")
    assert not at.exception, [e.message for e in at.exception]
    assert t("app.not_found.title", "en") not in [x.value for x in at.title]
    assert "overview" not in at.session_state["nf_addresses"]


def test_nested_address_is_left_to_streamlit(asked_for):
    # Streamlit refuses a url path with "/": its own dialog remains (docs/ARCHITECTURE.md)
    sent = asked_for("a/b")
    at = open_app("zh")
    assert not at.exception and sent == ["dialog"]
    assert not usable("a/b", set()) and usable("lifecylce", {"overview"})


def test_a_second_unknown_address_in_the_same_session(asked_for):
    sent = asked_for("old-link")
    at = open_app("en")
    asked_for("another-old-link")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert sent == [] and at.session_state["nf_addresses"] == ["old-link", "another-old-link"]
    assert [x.value for x in at.title] == [t("app.not_found.title", "en")]
