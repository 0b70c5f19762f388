"""AppTest of the Targets and Report pages: empty states, no made-up targets, saved targets
reach the page, and every KPI figure of the report equals the one on the Targets and
Overview screens."""

from __future__ import annotations

import pytest

from opslab.core.i18n import t
from opslab.planning.targets import Target
from opslab.workspace.target_store import TargetStore
from tests.app.conftest import open_app

TARGETS = [Target("gmv", "2026Q3", 120_000), Target("new_users", "2026Q3", 500),
           Target("paid_conversion", "2026Q3", 0.3), Target("m3_payer", "2026Q3", 0.5),
           Target("cac", "2026Q3", 250), Target("roi", "2026Q3", 1.2)]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    return TargetStore()


def table_rows(element) -> list[list[str]]:
    frame = element.value
    return [[str(v) for v in row] for row in frame.itertuples(index=False)], list(frame.columns)


@pytest.mark.parametrize("page", ["views/targets.py", "views/report.py"])
def test_empty_state(page, store):
    at = open_app("en", page, dataset=None, timeout=300)
    assert not at.exception
    assert any("No data loaded" in i.value for i in at.info)


def test_no_targets_no_made_up_status(store):
    at = open_app("en", "views/targets.py", query={"tg_period": "2026Q3"}, timeout=300)
    assert not at.exception
    assert any("No targets for this period" in i.value for i in at.info)
    assert len(at.table) == 0


@pytest.mark.slow
def test_report_figures_equal_the_screens(store):
    at = open_app("zh", "views/targets.py", query={"tg_grain": "quarter", "tg_period": "2026Q3"}, timeout=300)
    source = at.session_state["dataset_source"]
    store.save(source.get("id") or source["key"], TARGETS)  # where the screen keeps them (ui.state.dataset_key)
    at.session_state["tg_loaded_for"] = None  # as a fresh visit: read the saved targets again
    at.run()
    assert not at.exception
    rows, cols = table_rows(at.table[0])
    screen = {r[cols.index("指标")]: r for r in rows}
    assert set(screen) == {"GMV", "新增用户", "新客付费转化率", "付费用户M3留存", "获客成本（CAC）", "活动ROI"}

    ov = open_app("zh", "views/overview.py", query={"ov_grain": "quarter", "ov_period_quarter": "2026-07-01"},
                  timeout=300)
    overview = {m.label: m.value for m in ov.metric}

    rp = open_app("zh", "views/report.py", query={"rp_grain": "quarter", "rp_period": "2026Q3"}, timeout=300)
    assert not rp.exception
    assert rp.header[0].value == "2026Q3 季度运营报告"
    kpi = next(d for d in rp.dataframe if "完成度" in d.value.columns and "同比" in d.value.columns).value
    report = {r["指标"]: r for _, r in kpi.iterrows()}
    for name, row in screen.items():
        assert report[name]["实际"] == row[cols.index("实际（至今）")]
        assert report[name]["完成度"] == row[cols.index("完成度")]
        assert report[name]["状态"] == row[cols.index("状态")]
        assert report[name]["目标"] == row[cols.index("目标")]
    for name in ("GMV", "新增用户", "付费用户数", "新客付费转化率"):
        assert report[name]["实际"] == overview[name], name
    dau = t("catalogue.dau.name", "zh")  # one name for the figure on every screen
    assert report[dau]["实际"] == overview[dau]
    assert len(rp.get("vega_lite_chart")) >= 3
    # the campaign review equals the quarter's line of the campaigns-by-quarter table
    totals = next(d.value for d in rp.dataframe if list(d.value.columns) == ["指标", "本期", "上期", "变化"])
    history = next(d.value for d in rp.dataframe if "活动数" in d.value.columns).set_index("周期")
    for metric in ("活动数", "投入", "ROI", "CAC"):
        now = totals.set_index("指标").loc[metric]
        assert now["本期"] == history.loc["2026Q3", metric] and now["上期"] == history.loc["2026Q2", metric]
