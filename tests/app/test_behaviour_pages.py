"""AppTests of the behaviour screens (funnels, paths, A/B tests) and the Overview's breakdowns."""

from __future__ import annotations

import pandas as pd
import pytest

from opslab.ingest.load import sample_dir
from tests.app.conftest import open_app
from ui.safe import md

pytestmark = pytest.mark.slow


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_funnel_page_in_both_languages_and_order_mode_changes_results():
    at = open_app("en", "views/funnels.py")
    assert not at.exception
    assert at.title[0].value == "Funnels"
    before = _metrics(at)
    assert before["Entered (step 1)"] != "0"
    assert any("Biggest drop" in w.value for w in at.warning)
    at.segmented_control(key="fn_order").set_value("strict").run()
    assert not at.exception
    assert _metrics(at)["Reached the last step"] != before["Reached the last step"]
    at.toggle(key="fn_compare_on").set_value(True).run()
    assert not at.exception
    assert any("Change (B − A)" in list(df.value.columns) for df in at.dataframe)
    zh = open_app("zh", "views/funnels.py")
    assert not zh.exception and zh.title[0].value == "漏斗分析"
    assert "整体转化率" in _metrics(zh)


def test_funnel_split_and_dropped_users_become_a_segment_on_the_overview():
    at = open_app("en", "views/funnels.py")
    charts = len(at.get("vega_lite_chart"))
    at.selectbox(key="fn_by").set_value("channel").run()
    assert not at.exception and len(at.get("vega_lite_chart")) == charts + 1
    at.button(key="fn_save_segment").click().run()
    assert not at.exception
    segments = at.session_state["segments"]
    name, ids = next(iter(segments.items()))
    assert len(ids) > 0
    at.switch_page("views/overview.py").run()
    at.selectbox(key="ov_fdim").set_value("segment:" + name).run()
    assert not at.exception
    assert any(f"{len(ids):,} of" in i.value for i in at.info)


def test_paths_page_shows_leave_points():
    at = open_app("en", "views/paths.py")
    assert not at.exception
    assert any("Most users leave after" in w.value for w in at.warning)
    n_cart = _metrics(at)[f"Users who did {md('add_to_cart')}"]   # data-derived text is escaped
    at.selectbox(key="pt_event").set_value("checkout").run()
    assert not at.exception and _metrics(at)["Users who did checkout"] != n_cart
    zh = open_app("zh", "views/paths.py")
    assert not zh.exception and zh.title[0].value == "用户路径"


def test_experiment_page_reads_the_planted_test_and_stops_on_srm():
    at = open_app("en", "views/experiments.py")
    assert not at.exception
    assert any(f"{md('new_checkout')} beats control" in s.value for s in at.success)
    assert any("Sample ratio check passed" in c.value for c in at.caption)
    at.selectbox(key="ab_metric").set_value("retention").run()
    assert not at.exception and not at.success
    # an uploaded assignment that lost a quarter of one arm: the readout stops in red
    asg = pd.read_csv(sample_dir() / "assignments.csv", dtype=str)
    lost = asg[asg["variant"] == "new_checkout"].sample(frac=0.25, random_state=0).index
    data = asg.drop(index=lost).to_csv(index=False).encode("utf-8")
    at = open_app("en", "views/experiments.py")
    at.segmented_control(key="ab_source").set_value("upload").run()
    at.file_uploader(key="ab_upload").set_value(("assignments.csv", data, "text/csv")).run()
    assert not at.exception
    assert any("Sample ratio mismatch" in e.value for e in at.error)
    assert not at.success and not any("Relative lift" in str(c) for c in at.get("vega_lite_chart"))
    zh = open_app("zh", "views/experiments.py")
    assert not zh.exception and any("优于" in s.value for s in zh.success)


def test_overview_split_by_channel_and_filter():
    at = open_app("en")
    charts = len(at.get("vega_lite_chart"))
    at.selectbox(key="ov_split").set_value("channel").run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) >= charts + 2   # KPI per channel + CAC per channel
    gmv = _metrics(at)["GMV"]
    at.selectbox(key="ov_fdim").set_value("city").run()
    at.multiselect(key="ov_fval").set_value(["北京", "上海"]).run()
    assert not at.exception
    assert any("Filtered" in i.value for i in at.info)
    assert _metrics(at)["GMV"] != gmv


@pytest.mark.parametrize("page", ["views/funnels.py", "views/paths.py", "views/experiments.py"])
def test_new_pages_on_an_empty_state(page):
    at = open_app("en", page)
    at.session_state["dataset"] = None
    at.run()
    assert not at.exception
    assert any("No data loaded" in i.value for i in at.info)


def test_funnel_page_on_data_with_a_single_event_name_asks_for_steps():
    import pandas as pd

    from opslab.dataset import Dataset
    at = open_app("en", "views/funnels.py")
    ev = pd.DataFrame({"user_id": ["a", "b"], "event_time": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    at.session_state["dataset"] = Dataset.from_tables(events=ev)
    at.session_state["dataset_source"] = {"kind": "upload"}
    at.run()
    assert not at.exception
    assert any("at least two steps" in i.value for i in at.info)
    at.switch_page("views/experiments.py").run()
    assert not at.exception
    assert any("Choose where the variants come from" in i.value for i in at.info)
