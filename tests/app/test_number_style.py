"""Every figure on the Overview's cards is written in the one number style, in both languages."""

from __future__ import annotations

import pytest

from tests.app.conftest import open_app
from tests.number_style import follows, kind_of


def test_style_patterns_reject_the_styles_the_issue_found():
    # ¥1062.28 (no separator), 22064, 17.49 %, ¥-1,268 (sign after the symbol), 0.50 as a rate
    assert not follows("money", "¥1062.28") and follows("money", "¥1,062.28")
    assert not follows("count", "22064") and follows("count", "22,064")
    assert not follows("pct", "17.49%") and follows("pct", "17.5%")
    assert not follows("money", "¥-1,268") and follows("money", "-¥1,268")
    assert not follows("roi", "1:3") and follows("roi", "1:3.2") and follows("money", "¥3.4万")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_overview_cards_follow_the_one_style(lang):
    at = open_app(lang)
    assert not at.exception
    seen = {kind_of(m.label) for m in at.metric}
    assert {"money", "count", "pct", "roi"} <= seen  # every kind is on the page
    for m in at.metric:
        assert follows(kind_of(m.label), m.value), (m.label, m.value)
        if m.delta:  # 环比 as a signed percentage
            assert follows("pct", m.delta) and m.delta[0] in "+-", (m.label, m.delta)
