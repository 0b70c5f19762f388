"""The ops report: figures equal independent computations and the screen's writers; .docx
opens with python-docx; the HTML is self-contained and escapes data text; problems carry
evidence; the plan's odds come from the forecast paths."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from docx import Document

from opslab.planning import campaign_review as cr
from opslab.dataset.load import load_sample
from opslab.models.forecast import ForecastConfig
from opslab.report import quarterly_report
from opslab.report.document import kpi_rows, status_table
from opslab.report.format import value_text
from opslab.planning.completion import target_status
from opslab.planning.targets import Target

FAST = ForecastConfig(grain="day", horizon=91, backtest_folds=0, models=("ets",), n_paths=300)
TARGETS = [Target("gmv", "2026Q3", 120_000), Target("m3_payer", "2026Q3", 0.5),
           Target("cac", "2026Q3", 250), Target("roi", "2026Q3", 1.2), Target("gmv", "2026Q4", 150_000)]


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def rep(sample):
    return quarterly_report(sample, "2026Q3", targets=TARGETS, lang="zh", config=FAST)


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [c.text for row in table.rows for c in row.cells]
    return "\n".join(parts)


@pytest.mark.slow
def test_kpi_table_figures(sample, rep):
    o = sample.orders[sample.orders["status"] == "paid"]
    day = o["order_time"].dt.normalize()
    gmv = o.loc[(day >= "2026-07-01") & (day <= "2026-09-30"), "amount"].sum()
    prev = o.loc[(day >= "2026-04-01") & (day <= "2026-06-30"), "amount"].sum()
    k = rep.kpis.loc["gmv"]
    assert k["actual"] == pytest.approx(gmv) and k["pop"] == pytest.approx(gmv / prev - 1)
    assert np.isnan(k["yoy"])  # 2025Q3 is not wholly inside the data (it starts 2025-08-01)
    assert k["completion"] == pytest.approx(gmv / 120_000) and k["status"] == "missed"
    assert rep.kpis.loc["cac", "completion"] == pytest.approx(250 / rep.kpis.loc["cac", "actual"])
    # the report's rows and the targets screen's table write the same figures
    _, rows, _ = kpi_rows(rep, "zh")
    screen = status_table(target_status(sample, [t for t in TARGETS if t.period == "2026Q3"]), "zh", sample.currency)
    for _, s in screen.iterrows():
        row = next(r for r in rows if r[0] == s["指标"])
        assert row[1] == s["实际（至今）"] and row[5] == s["完成度"] and row[6] == s["状态"]
    assert rows[0][1] == value_text("gmv", gmv, "zh", sample.currency)


@pytest.mark.slow
def test_docx_and_html_hold_the_figures(rep):
    text = docx_text(rep.to_docx())
    html = rep.to_html()
    _, rows, _ = kpi_rows(rep, "zh")
    for row in rows:
        for cell in row:
            assert cell in text
    assert "核心业绩完成情况" in text and "存在的问题" in text and "下季度计划" in text
    assert len(Document(io.BytesIO(rep.to_docx())).inline_shapes) >= 3  # charts embedded
    assert html.count("data:image/png;base64,") >= 3 and "<script" not in html
    assert rows[0][1] in html


@pytest.mark.slow
def test_findings_have_evidence(rep):
    codes = [f.code for f in rep.findings]
    money = [f.money for f in rep.findings]
    with_money = [m for m in money if np.isfinite(m)]
    assert with_money == sorted(with_money, reverse=True)  # ranked by the money at stake
    assert money[:len(with_money)] == with_money  # those without an amount come after
    gmv = next(f for f in rep.findings if f.code == "behind_target" and f.subject == "gmv")
    assert gmv.money == pytest.approx(120_000 - rep.kpis.loc["gmv", "actual"])
    below = [f for f in rep.findings if f.code == "below_break_even"]
    assert len(below) == 1
    listed = below[0].evidence["campaigns"]
    assert {n for n, _ in listed} == {str(n) for n in rep.campaigns.below_break_even["name"]}
    rois = [r for _, r in listed]
    assert all(r < 1 for r in rois) and rois == sorted(rois)
    assert below[0].evidence["spend"] == pytest.approx(rep.campaigns.below_break_even["spend"].sum())
    # every M1/M3 retention that fell by 3 points or more is listed, and nothing else
    drop = {f.subject: f.evidence for f in rep.findings if f.code == "retention_drop"}
    k = rep.kpis
    fell = {kpi for kpi in k.index if kpi[:2] in ("m1", "m3")
            and k.loc[kpi, "previous"] - k.loc[kpi, "actual"] >= 0.03}
    assert set(drop) == fell
    assert all(e["points"] == pytest.approx(100 * (e["previous"] - e["actual"])) for e in drop.values())
    w = rep.churn
    assert ("warning_growing" in codes) == (w["growth"] >= 0.10)


@pytest.mark.slow
def test_plan_odds_from_paths(sample, rep):
    plan = rep.plan.set_index("kpi")
    assert plan.loc["gmv", "source"] == "target" and plan.loc["gmv", "value"] == 150_000
    row = target_status(sample, [Target("gmv", "2026Q4", 150_000)], config=FAST).iloc[0]
    assert plan.loc["gmv", "p_hit"] == pytest.approx(row["p_hit"])
    assert plan.loc["new_users", "source"] == "forecast"
    assert 0.4 <= plan.loc["new_users", "p_hit"] <= 0.6  # the median: about even odds


@pytest.mark.slow
def test_html_escapes_data_text(sample):
    camp = sample.campaigns.copy()
    camp.loc[camp.index[-1], "name"] = '<script>alert("x")</script>'
    from opslab.dataset.dataset import Dataset
    ds = Dataset.from_tables(events=sample.events.drop(columns="uid"), orders=sample.orders.drop(columns="uid"),
                             users=sample.users.drop(columns=["uid", "censored"]), campaigns=camp)
    rep = quarterly_report(ds, "2026-10", lang="en", config=FAST)
    html = rep.to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Monthly operations report 2026-10" in html


def test_campaign_review_by_hand():
    camp = pd.DataFrame({"campaign_id": ["a", "b", "c"], "name": ["A", "B", "C"],
                         "start_date": ["2026-07-03", "2026-08-01", "2026-04-02"],
                         "end_date": ["2026-07-05", "2026-08-02", "2026-04-09"],
                         "spend": [100.0, 300.0, 200.0], "revenue": [320.0, 80.0, 100.0],
                         "new_users": [4.0, 0.0, 5.0], "participants": [10.0, 30.0, 20.0],
                         "conversions": [2.0, 3.0, 4.0]})
    r = cr.review(camp, "2026Q3")
    assert r.totals["spend"] == 400 and r.totals["roi"] == pytest.approx(400 / 400)
    assert r.totals["cac"] == pytest.approx(400 / 4) and r.previous["cac"] == pytest.approx(40)
    assert r.change["spend"] == pytest.approx(1.0)
    assert list(r.below_break_even["campaign_id"]) == ["b"]


@pytest.mark.slow
def test_report_without_campaigns_or_history():
    """Orders only, ten days, no campaigns: every section still renders, nothing invented."""
    days = pd.date_range("2024-01-01", periods=10, freq="D")
    orders = pd.DataFrame({"user_id": [f"u{i % 4}" for i in range(10)], "order_time": days,
                           "amount": 50.0, "status": "paid"})
    from opslab.dataset.dataset import Dataset
    ds = Dataset.from_tables(orders=orders)
    rep = quarterly_report(ds, "2024Q1", targets=[Target("gmv", "2024Q1", 1000)], lang="en", config=FAST)
    assert rep.kpis.loc["gmv", "actual"] == 500 and rep.kpis.loc["gmv", "completion"] == 0.5
    assert rep.plan.empty and rep.campaigns.totals["campaigns"] == 0
    html = rep.to_html()
    assert "No campaign started in this period." in html and "Quarterly operations report 2024Q1" in html
    assert Document(io.BytesIO(rep.to_docx())).paragraphs[0].text == "Quarterly operations report 2024Q1"
    with pytest.raises(Exception) as err:
        quarterly_report(ds, "2024Q3")
    assert getattr(err.value, "code", "") == "report.period_not_started"


@pytest.mark.slow
def test_running_period(sample):
    """A quarter still running: comparisons over the same number of days, no change against a
    partial total in the plan."""
    rep = quarterly_report(sample, "2026Q4", lang="zh", config=FAST)
    assert not rep.complete and rep.days == 31
    o = sample.orders[sample.orders["status"] == "paid"]
    day = o["order_time"].dt.normalize()
    now = o.loc[(day >= "2026-10-01") & (day <= "2026-10-31"), "amount"].sum()
    july = o.loc[(day >= "2026-07-01") & (day <= "2026-07-31"), "amount"].sum()  # Q3's first 31 days
    assert rep.kpis.loc["gmv", "pop"] == pytest.approx(now / july - 1)
    assert len(rep.plan) and rep.plan["change"].isna().all()
    assert "本期进行中" in rep.to_html()
