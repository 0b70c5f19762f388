"""A link copied from a page reopens that exact view in a new browser session."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import new_context, wait_idle

pytestmark = pytest.mark.e2e


def test_deep_links_restore_page_language_and_settings(server, browser):
    context = new_context(browser)
    page = context.new_page()
    try:
        # A Chinese browser opening an English link to the lifecycle page with an edited rule.
        page.goto(f"{server}/lifecycle?lang=en&lc_churn_days=45")
        wait_idle(page, 120_000)
        page.get_by_role("heading", name="User lifecycle").wait_for()
        assert page.locator('[data-testid="stSidebarNav"]').count() == 1  # routed through app.py
        page.get_by_text("Tier rules").first.click()
        field = page.get_by_role("spinbutton", name="Churned after (days inactive)")
        expect(field).to_have_value("45")  # waits for the widget's value (it read "0" once under load)

        page.goto(f"{server}/?lang=en&ov_grain=quarter&ov_period_quarter=2026-04-01")
        wait_idle(page, 120_000)
        page.get_by_role("heading", name="Overview").wait_for()
        page.locator('[data-testid="stMetric"]').first.wait_for()
        box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Showing").first
        chosen = box.inner_text() + " ".join(i.input_value() for i in box.locator("input").all())
        assert "2026 Q2" in chosen, box.inner_html()[:3000]
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()
