"""AppTest helpers: run the real app.py (router + sidebar) and switch to a page."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def open_app(lang: str = "en", page: str | None = None, timeout: int = 120,
             query: dict | None = None) -> AppTest:
    """Run app.py (router, sidebar, sample data), then switch to ``page``; ``query`` is the
    page address's settings (as a shared link carries them)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.session_state["lang"] = lang
    at.run()
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page:
        at.switch_page(page).run()
    return at


@pytest.fixture
def app():
    return open_app
