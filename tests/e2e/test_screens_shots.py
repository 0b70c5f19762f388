"""Every screen in both languages in a real browser at 1400 px: a full-page screenshot of each
(tests/e2e/artifacts/screens/), no raw None / True / False / nan or untranslated catalog key in
the visible text, and the Overview's card figures in the one number style."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, new_context, wait_idle
from tests.number_style import follows, kind_of

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

#: Every page of app.py by its address ("" is the Overview); tests/test_house_rules.py checks
#: that none is missing.
PAGES = ("", "lifecycle", "churn", "forecast", "funnels", "paths", "users", "segments", "experiments", "targets",
         "report", "subscriptions", "data", "glossary")
LOCALES = Path(__file__).resolve().parents[2] / "opslab" / "present" / "locales"
RAW = re.compile(r"(?<![\w.])(None|True|False|nan|NaN)(?![\w.])")


def _keys() -> set[str]:
    keys = set()
    for f in LOCALES.glob("*.json"):
        keys |= set(json.loads(f.read_text(encoding="utf-8")))
    return keys


def test_every_screen_in_both_languages(server, browser):
    out = ARTIFACTS / "screens"
    out.mkdir(parents=True, exist_ok=True)
    keys = _keys()
    context = new_context(browser, height=2400)
    page = context.new_page()
    problems = []
    try:
        for lang in ("zh", "en"):
            for name in PAGES:
                page.goto(f"{server}/{name}?lang={lang}")
                wait_idle(page, 180_000)
                page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60_000)
                page.wait_for_function(  # no element still a placeholder (seen beside a Spark JVM)
                    """() => !document.querySelector('[data-testid="stMain"] [data-testid="stSkeleton"]')""",
                    timeout=120_000, polling=50)
                page.wait_for_function(  # charts draw after the script run ends
                    """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                          .every(c => c.querySelector('canvas, svg.marks'))""", timeout=60_000, polling=50)
                page.screenshot(path=str(out / f"{name or 'overview'}-{lang}.png"), full_page=True)
                text = page.locator('[data-testid="stMain"]').inner_text()
                for m in RAW.finditer(text):
                    problems.append((lang, name, "raw", text[max(0, m.start() - 30):m.end() + 30]))
                for word in set(re.findall(r"\b[a-z_]+(?:\.[a-z0-9_]+)+\b", text)) & keys:
                    problems.append((lang, name, "key", word))
                if name == "":
                    cards = page.locator('[data-testid="stMetric"]')
                    cards.nth(13).wait_for(timeout=60_000)  # the KPI and lead cards are drawn
                    for i in range(cards.count()):
                        label = cards.nth(i).locator('[data-testid="stMetricLabel"]').inner_text().strip()
                        value = cards.nth(i).locator('[data-testid="stMetricValue"]').inner_text().strip()
                        if not follows(kind_of(label), value):
                            problems.append((lang, name, "style", f"{label}: {value}"))
    finally:
        context.close()
    assert not problems, problems
