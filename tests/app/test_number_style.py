"""Every figure on the Overview's cards is written in the one number style, in both languages; the
checker that walks every screen's tables and metrics (run by tests/app/test_screens_read.py) can fail."""

from __future__ import annotations

import pytest
from tests.app.conftest import open_app
from tests.number_style import follows, follows_any, kind_of, shown_cells, style_breaks


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
        if m.delta:  # 环比: a rate's in signed 百分点 / pp, the rest as a signed percentage
            kind = "points" if kind_of(m.label) == "pct" else "pct"
            assert follows(kind, m.delta) and m.delta[0] in "+-", (m.label, m.delta)


def test_the_walker_sees_what_the_issue_found():
    """The checker flags a table in the old styles (so the screen test can fail)."""
    import pandas as pd
    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd
        import streamlit as st
        from opslab.present import formatting as fmt
        frame = pd.DataFrame({"gmv": [-1268.0, 1062.28], "users": [22064, 5], "rate": [0.3695, 0.5]})
        st.dataframe(frame.style.format({"gmv": "¥{:,.2f}", "rate": "{:.2%}"}))  # "¥-1,268.00", "36.95%"
        st.dataframe(frame)  # Streamlit's default numbers
        st.dataframe(fmt.table(frame, {"gmv": "money", "rate": "pct"}, "zh", "CNY"))  # the one style
        st.metric("Brier", "0.8172034500963269")

    at = AppTest.from_function(page).run()
    old, raw, good = (shown_cells(e) for e in at.dataframe)
    assert old["gmv"] == ["¥-1,268.00", "¥1,062.28"] and not follows_any(old["gmv"][0])
    assert old["rate"][0] == "36.95%" and not follows_any("36.95%")
    assert raw["users"][0].startswith("<unstyled")
    assert good == {"gmv": ["-¥1,268.00", "¥1,062.28"], "users": ["22,064", "5"], "rate": ["37.0%", "50.0%"]}
    # old table: "¥-1,268.00", "22064" (a Styler leaves it as it is), "36.95%"; raw table: three
    # unstyled number columns; the metric
    assert len(style_breaks(at)) == 3 + 3 + 1
    assert pd.Series(good["gmv"]).map(follows_any).all()
