"""AppTests of the User lookup screen (用户细查): a user's figures equal opslab.user_profile on
the sample, in both languages; an unknown id is named; the timeline pages and filters."""

from __future__ import annotations

import pytest

import opslab
from opslab.dataset.load import load_sample
from opslab.present import formatting as fmt
from opslab.core.i18n import t
from tests.app.conftest import open_app

pytestmark = pytest.mark.slow
USER = "U000562"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_users_figures_equal_the_engine(lang):
    at = open_app(lang, "views/users.py", query={"us_id": USER})
    assert not at.exception
    ds = load_sample()
    p = opslab.user_profile(ds, USER)
    s = p.summary.iloc[0]
    m = {x.label: x.value for x in at.metric}
    assert m[t("users.active_days", lang)] == fmt.count(s["active_days"], lang)
    assert m[t("users.orders", lang)] == fmt.count(s["orders"], lang)
    assert m[t("users.tier_now", lang)] == t(f"lifecycle.tier.{s['tier']}", lang)
    timeline = [d.value for d in at.dataframe if t("users.kind", lang) in d.value.columns][0]
    assert len(timeline) == min(50, s["events"] + s["orders"])
    assert (timeline[t("users.time", lang)].tolist()
            == p.timeline(per_page=50)["t"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist())


def test_the_timeline_filters_by_event_and_an_unknown_id_is_named():
    at = open_app("en", "views/users.py", query={"us_id": USER})
    at.multiselect(key="us_events").set_value(["purchase"]).run()
    at.toggle(key="us_orders").set_value(False).run()
    assert not at.exception
    timeline = [d.value for d in at.dataframe if t("users.kind", "en") in d.value.columns][0]
    assert set(timeline[t("users.event", "en")]) == {"purchase"}
    assert len(timeline) == int(opslab.user_profile(load_sample(), USER).event_counts
                                .set_index("name").loc["purchase", "n"])
    at = open_app("en", "views/users.py", query={"us_id": "nobody"})
    assert not at.exception
    assert any("nobody" in w.value for w in at.warning)
    at = open_app("zh", "views/users.py")
    assert not at.exception and at.info[0].value == t("users.enter", "zh")
