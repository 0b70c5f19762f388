"""AppTest of the Targets screen's proposals for the next period: the engine's anchored
proposal (opslab.report.findings.next_plan) with its odds, and the same period a year before
as plain pandas computes it from the orders."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from opslab.core.i18n import t
from opslab.dataset import load as loader
from opslab.metrics import catalogue
from opslab.report.findings import next_plan
from opslab.report.format import prob_text, value_text
from opslab.planning.targets import period_of
from opslab.workspace.target_store import TargetStore
from tests.app.conftest import open_app

pytestmark = pytest.mark.slow


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    return TargetStore()


def test_next_quarter_proposals_are_the_engines_and_anchored(store):
    at = open_app("en", "views/targets.py", query={"tg_grain": "quarter"}, timeout=300)
    assert not at.exception
    ds = loader.load_sample()
    now = period_of(ds.end, "quarter")                       # 2026Q4: the data end on 31 October
    assert now.code == "2026Q4"
    plan = next_plan(ds, now, [], ds.end, None, pd.DataFrame(columns=["actual"]))
    plan = plan[plan["source"] == "forecast"].set_index("kpi")
    assert t("targetplan.title", "en", period="2027Q1") in [h.value for h in at.subheader]
    col = t("targetplan.col.value", "en")
    found = [d.value for d in at.dataframe if col in d.value.columns]
    assert len(found) == 1
    shown = found[0].set_index(t("targetplan.col.kpi", "en"))
    gmv = shown.loc[catalogue.name("gmv", "en")]   # the catalogue names every KPI
    assert gmv[col] == value_text("gmv", plan.loc["gmv", "value"], "en", "CNY")
    assert gmv[t("targetplan.col.p_hit", "en")] == prob_text(plan.loc["gmv", "p_hit"])
    assert gmv[t("targetplan.col.floor", "en")] == "–"      # 2027Q1 has not begun
    # last year's Q1 by plain pandas over the paid orders
    o = ds.orders[ds.orders["status"].astype(str) == "paid"]
    q1 = o[(o["order_time"] >= "2026-01-01") & (o["order_time"] < "2026-04-01")]["amount"].sum()
    assert gmv[t("targetplan.col.last_year", "en")] == value_text("gmv", q1, "en", "CNY")
    # anchored: positive, within what the history makes plausible, odds near one in two
    assert (plan["value"] > 0).all() and (plan["value"] <= plan["limit"]).all()
    assert 0.3 <= plan.loc["gmv", "p_hit"] <= 0.7
    assert np.isfinite(plan.loc["gmv", "limit"])
