"""The one way a test opens the app: run the real app.py (router, sidebar, gate) as a link would
open it, then switch to a page. Every AppTest goes through :func:`open_app`."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = "sample"  # the app's own default: the built-in sample data


def open_app(lang: str | None = "en", page: str | None = None, *, timeout: int = 120,
             query: dict | None = None, dataset=SAMPLE, secrets: dict | None = None,
             run: bool = True) -> AppTest:
    """Open app.py as a new browser tab would, then switch to ``page`` (``views/<name>.py``).

    Parameters
    ----------
    lang : the session's language; ``None`` leaves it to the link (``query["lang"]``) or the default.
    page : the screen to switch to after the router's first run (``None``: stay on the Overview).
    timeout : seconds each script run may take.
    query : the link's query string (settings, ``ds``, ``lang``), present before the first run.
    dataset : ``SAMPLE`` (the app's default), ``None`` (no data: the empty states), or a
        ``Dataset`` put into the session before the first run.
    secrets : the ``[opslab]`` table of ``.streamlit/secrets.toml`` (engine, source, password hash).
        Environment variables (``OPSLAB_DATA_DIR``, quotas) are set by the test with ``monkeypatch``.
    run : ``False`` returns the prepared, not yet run, app (for tests that time or inspect the
        first run themselves).
    """
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if lang is not None:
        at.session_state["lang"] = lang
    if dataset is not SAMPLE:
        at.session_state["dataset"] = dataset
    if secrets:
        at.secrets["opslab"] = secrets
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if not run:
        return at
    at.run()
    if page:
        at.switch_page(page).run()
    return at
