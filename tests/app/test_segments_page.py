"""Segments stored with the data set, on screen: a segment saved from the Overview's filter on a
stored data set is listed, with its size today, when the data set is reopened in a new session
(a teammate's link); it is applied on a screen from there and from a link naming it; its
profile's TGI and its size equal pandas counts over the raw tables; a hostile name is shown as
typed, never as markup; a link naming a segment the data set lacks is not echoed; deleting it
removes it for everyone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.core.i18n import t
from opslab.present import formatting as fmt
from opslab.workspace.segment_store import SegmentStore
from opslab.workspace.store import Store
from tests.app.conftest import open_app
from tests.random_logs import random_activity
from ui.safe import md

pytestmark = pytest.mark.slow

N = 300
CHANNEL = "抖音"
NAME = "**抖音** [x](https://evil.example) <b>x"  # user text: must be shown as typed


@pytest.fixture
def stored(tmp_path, monkeypatch):
    """A stored data set (events, orders, users with a channel and a city), made without OpsLab
    reading any file, in a fresh data directory; its id and its users table."""
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    events, orders = random_activity(n_users=N, days=120, seed=4)
    rng = np.random.default_rng(9)
    users = pd.DataFrame({"user_id": [f"u{i}" for i in range(N)],
                          "channel": rng.choice([CHANNEL, "微信", "搜索"], N, p=[0.3, 0.5, 0.2]),
                          "city": rng.choice(["北京", "上海"], N, p=[0.7, 0.3])})
    m = Store(tmp_path).save({"events": events, "orders": orders, "users": users}, name="march.csv", uploader="",
                             content_key="e" * 64, start=events["event_time"].min().date(),
                             end=events["event_time"].max().date())
    return m.id, users, tmp_path


def _banner(users, n_seg, lang="en"):
    return t("segments.banner", lang, name=md(NAME), n=fmt.count(n_seg, lang), total=fmt.count(N, lang),
             share=fmt.pct(n_seg / N))


def _texts(at):
    return [e.value for e in list(at.markdown) + list(at.caption) + list(at.info) + list(at.warning)
            + list(at.success) + list(at.error)]


def test_saved_segment_is_listed_with_its_size_when_reopened_and_applied_by_link(stored):
    ident, users, root = stored
    douyin = users[users["channel"] == CHANNEL]
    at = open_app("en", "views/overview.py", query={"ds": ident}, timeout=300)
    assert at.session_state["dataset_source"]["id"] == ident
    at.selectbox(key="ov_fdim").set_value("channel").run()
    at.multiselect(key="ov_fval").set_value([CHANNEL]).run()
    at.text_input(key="ov_seg_name").set_value(NAME).run()
    at.button(key="ov_save_segment").click().run()
    assert not at.exception
    assert list(SegmentStore(root).load(ident)) == [NAME]  # stored with the data set, not the session

    # -- a teammate opens the stored data set: the segment is listed with its size today -------
    mate = open_app("en", "views/segments.py", query={"ds": ident}, timeout=300)
    assert not mate.exception
    listing = mate.dataframe[0].value
    row = listing.set_index(t("segpage.col.name", "en")).loc[NAME]
    assert row[t("segpage.col.users", "en")] == len(douyin)
    assert row[t("segpage.col.share", "en")] == pytest.approx(len(douyin) / N)
    assert any(c.value == t("segpage.members_caption", "en", n=fmt.count(len(douyin), "en"),
                            end=fmt.date(mate.session_state["dataset"].end)) for c in mate.caption)
    # the profile: TGI of each city = share among the segment's users / share among all × 100
    profile = mate.dataframe[1].value
    city = profile[profile[t("segpage.col.dimension", "en")] == t("breakdowns.dim.city", "en")]
    for _, r in city.iterrows():
        value = r[t("segpage.col.value", "en")]
        want = (douyin["city"] == value).mean() / (users["city"] == value).mean() * 100
        assert r[t("segpage.col.tgi", "en")] == pytest.approx(want)
        assert r[t("segpage.col.segment_users", "en")] == int((douyin["city"] == value).sum())
    tgi = profile[t("segpage.col.tgi", "en")]
    assert tgi.is_monotonic_decreasing and tgi.iloc[0] == pytest.approx(100 * N / len(douyin))  # 抖音 leads
    # the name is shown as typed (a cell) or escaped (messages): never a live link or bold text
    assert not any("evil.example" in text for text in _texts(mate))

    # -- shown on every screen from there; the link carries it --------------------------------
    mate.button(key="sp_show").click().run()
    assert mate.query_params["seg"] == [NAME] or mate.query_params["seg"] == NAME
    mate.switch_page("views/lifecycle.py").run()
    assert not mate.exception
    assert any(i.value == _banner(users, len(douyin)) for i in mate.info)

    # -- a link naming the segment opens it on any screen, in Chinese too ---------------------
    link = open_app("zh", "views/churn.py", query={"ds": ident, "seg": NAME}, timeout=300)
    assert not link.exception
    assert link.selectbox(key="seg").value == NAME
    assert any(i.value == _banner(users, len(douyin), "zh") for i in link.info)


def test_hostile_link_values_are_ignored_and_deleting_removes_the_segment_for_everyone(stored):
    ident, users, root = stored
    from opslab.metrics.segments import Segment
    SegmentStore(root).save(ident, Segment(NAME, users=list(users["user_id"][:40]) + ["ghost"]))
    bad = "[sign in again](https://evil.example/x) ![x](https://evil.example/x.png)"
    at = open_app("en", None, query={"ds": ident, "seg": bad}, timeout=300)  # the link's first page
    assert not at.exception
    assert at.selectbox(key="seg").value == ""  # all users: the value is not a segment here
    assert any(w.value == t("segments.not_here", "en") for w in at.warning)
    assert not any("evil" in text for text in _texts(at))
    assert "seg" not in at.query_params  # dropped from the link, not carried on

    at.switch_page("views/segments.py").run()
    assert not at.exception
    row = at.dataframe[0].value.iloc[0]
    assert row[t("segpage.col.users", "en")] == 40 and row[t("segpage.col.missing", "en")] == 1
    at.button(key="sp_delete").click().run()
    assert not at.exception
    assert SegmentStore(root).load(ident) == {}
    assert any(i.value == t("segpage.none", "en") for i in at.info)
    again = open_app("en", "views/segments.py", query={"ds": ident}, timeout=300)
    assert any(i.value == t("segpage.none", "en") for i in again.info)
    assert not [s for s in again.selectbox if s.key == "seg"]  # the sidebar offers no segment


def test_the_segments_page_reads_in_chinese(stored):
    ident, users, root = stored
    from opslab.metrics.segments import Segment
    SegmentStore(root).save(ident, Segment("上海用户", rules={"city": ["上海"]}))
    at = open_app("zh", "views/segments.py", query={"ds": ident}, timeout=300)
    assert not at.exception
    assert at.title[0].value == t("segpage.title", "zh") == "人群"
    listing = at.dataframe[0].value
    assert listing[t("segpage.col.users", "zh")].iloc[0] == int((users["city"] == "上海").sum())
    profile = at.dataframe[1].value
    assert t("segpage.col.tgi", "zh") in profile.columns and t("segpage.col.segment_share", "zh") in profile.columns
    # tiers and missing values read as words, never internal keys
    values = set(profile[t("segpage.col.value", "zh")])
    assert not any(v.startswith("__") for v in values)
