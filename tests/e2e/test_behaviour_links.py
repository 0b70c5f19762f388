"""Links to the behaviour screens reopen the same funnel, path and A/B view in a new session."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import new_context, wait_idle

pytestmark = pytest.mark.e2e


def test_funnel_paths_and_experiment_links_restore_their_settings(server, browser):
    context = new_context(browser, height=1400)
    page = context.new_page()
    try:
        page.goto(f"{server}/funnels?lang=en&fn_steps=view,checkout,purchase&fn_order=strict&fn_window=2.0")
        wait_idle(page, 180_000)
        page.get_by_role("heading", name="Funnels").wait_for()
        page.get_by_text("Biggest drop").first.wait_for()
        expect(page.get_by_role("spinbutton", name="Conversion window (days)")).to_have_value("2.00")
        # Auto-waiting checks: a rerun after the first idle moment redraws the widgets.
        steps = page.locator('[data-testid="stMultiSelect"]').first.locator('[data-tag]')
        expect(steps).to_have_count(3)
        assert [s.get_attribute("aria-label") for s in steps.all()] == ["view", "checkout", "purchase"]  # not the default
        pressed = page.locator('[data-testid="stButtonGroup"] [aria-checked="true"], '
                               '[data-testid="stButtonGroup"] [aria-pressed="true"]')
        expect(pressed.filter(has_text="Strict")).to_have_count(1)
        assert page.locator('[data-testid="stException"]').count() == 0

        page.goto(f"{server}/paths?lang=en&pt_event=checkout")
        wait_idle(page, 180_000)
        page.get_by_text("Users who did checkout").first.wait_for()

        page.goto(f"{server}/experiments?lang=zh&ab_metric=orders")
        wait_idle(page, 180_000)
        page.get_by_role("heading", name="A/B 实验结果").wait_for()
        page.get_by_text("人均订单数").first.wait_for()
        page.get_by_text("优于").first.wait_for()
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()
