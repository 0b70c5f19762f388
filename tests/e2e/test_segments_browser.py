"""The Segments page in a real browser, both languages: a segment stored with the sample (its
name hostile markdown/HTML) is listed, profiled and exported without a console error, a raw
None/nan or an internal key, its name shown as typed and never as a link; a link naming it
opens a screen on its users."""

from __future__ import annotations

import re
import tempfile
import urllib.parse
from pathlib import Path

import pytest

from opslab.metrics.segments import Segment
from opslab.workspace.segment_store import SegmentStore
from tests.e2e.conftest import Server, new_context, wait_idle
from tests.e2e.test_screens_shots import RAW, _keys

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NAME = "**抖音** [x](https://evil.example) <b>x"


@pytest.fixture(scope="module")
def seeded():
    from tests.app.conftest import open_app
    data = Path(tempfile.mkdtemp(prefix="opslab-e2e-seg-"))
    mp = pytest.MonkeyPatch()
    mp.setenv("OPSLAB_DATA_DIR", str(data))
    key = open_app("en").session_state["dataset_source"]["key"]  # the sample's key, as the server computes it
    SegmentStore(data).save(key, Segment(NAME, rules={"channel": ["抖音"]}))
    srv = Server("app.py", data).start()
    yield srv.url
    srv.stop()
    mp.undo()


def test_segments_page_in_both_languages(seeded, browser):
    context = new_context(browser, height=2000)
    page = context.new_page()
    errors, problems = [], []
    page.on("console", lambda m: errors.append((m.text, m.location.get("url"))) if m.type == "error" else None)
    keys = _keys()
    try:
        for lang in ("zh", "en"):
            page.goto(f"{seeded}/segments?lang={lang}")
            wait_idle(page, 180_000)
            page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60_000)
            page.locator('[data-testid="stDataFrame"]').nth(1).wait_for(timeout=60_000)
            text = page.locator('[data-testid="stMain"]').inner_text()
            problems += [(lang, "raw", text[max(0, m.start() - 30):m.end() + 30]) for m in RAW.finditer(text)]
            problems += [(lang, "key", w) for w in set(re.findall(r"\b[a-z_]+(?:\.[a-z0-9_]+)+\b", text)) & keys]
            assert "抖音** [x](https://" in text.replace("\u2060", "")  # the name as typed, in the caption
            links = page.locator('[data-testid="stMain"] a[href*="evil"]')  # no link, not even an in-page anchor
            assert links.count() == 0, [links.nth(i).evaluate("e => e.closest('[data-testid]').outerHTML.slice(0, 600)")
                                        for i in range(links.count())]
            assert page.locator('[data-testid="stMain"] b').count() == 0
        page.goto(f"{seeded}/lifecycle?lang=en&seg={urllib.parse.quote(NAME)}")
        wait_idle(page, 180_000)
        page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60_000)
        banner = page.locator('[data-testid="stAlert"]').filter(has_text="Every figure on this page is the segment's")
        assert banner.count() == 1
    finally:
        context.close()
    assert not problems, problems
    # Streamlit itself probes /<page>/_stcore/* (404, then the root) and fetches icons from
    # fonts.gstatic.com (offline here): not the page's errors
    ours = [e for e in errors if not (e[0].startswith("Failed to load resource")
                                      and ("/_stcore/" in (e[1] or "") or "fonts.gstatic.com" in (e[1] or "")))]
    assert not ours, ours
