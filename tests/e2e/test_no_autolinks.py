"""Issue 28, finding 10, in real Chromium: data text passed through ``ui.safe.md`` into a widget
label (as the Funnels filter label does with an event name), a markdown block and a caption
never becomes a live link; the same text without ``md`` does (so the check can fail)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Server, new_context, wait_idle

pytestmark = pytest.mark.e2e
PAYLOADS = ["https://evil.example/login", "www.evil.example", "点此 http://evil.example/x 领奖",
            "support@evil.example", "[登录](https://evil.example/a)"]

SCRIPT = f"""
import streamlit as st
from ui.safe import md
PAYLOADS = {PAYLOADS!r}
for i, p in enumerate(PAYLOADS):
    st.selectbox("第 %d 步「%s」的筛选" % (i + 1, md(p)), ["", "a"], key=f"s{{i}}")
    st.markdown(md(p))
    st.caption(md(p))
st.markdown("control " + PAYLOADS[0])
"""


@pytest.fixture
def tiny_app():
    folder = Path(tempfile.mkdtemp(prefix="opslab-e2e-links-"))
    script = folder / "links_app.py"
    script.write_text(SCRIPT, encoding="utf-8")
    srv = Server(str(script), folder)
    srv.env["PYTHONPATH"] = str(ROOT) + os.pathsep + srv.env.get("PYTHONPATH", "")
    srv.start()
    yield srv
    srv.stop()


def test_data_text_never_becomes_a_live_link(tiny_app, browser):
    ctx = new_context(browser)
    pg = ctx.new_page()
    try:
        pg.goto(tiny_app.url)
        wait_idle(pg)
        pg.get_by_text("control").first.wait_for()
        links = pg.locator('[data-testid="stApp"] a[href*="evil"]')
        assert links.count() == 1  # the unprotected control only
        assert "control" in links.first.evaluate("a => a.parentElement.innerText")
        text = pg.locator('[data-testid="stApp"]').inner_text().replace("\u2060", "")
        for p in PAYLOADS[:4]:
            assert text.count(p) >= 3  # label, markdown and caption show the text as typed
    finally:
        ctx.close()
