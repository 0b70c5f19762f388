"""The report read as a manager reads it, on a real order-line export (the UCI Online Retail
extract in tests/corpus/online_retail), a real purchase log (CDNOW, tests/realdata.py) and the
sample: the cover names the files, the data-quality section writes its decisions' money in
the report's style (never a raw float, never a code like ``month_first``), the summary tells
the GMV fall once, the plan's people counts are whole numbers and every target says why it is
what it is, a flat KPI's segments are not given shares of thousands of percent, and 存在的问题
never says 未发现明显问题 when the load set rows aside."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import opslab
from opslab.dataset.load import load, sample_bytes
from opslab.models.forecast import ForecastConfig
from opslab.planning.targets import Target
from opslab.report import quarterly_report
from opslab.report.findings import whole_number
from opslab.report.format import money_text, value_text
from opslab.report.sections import contributors_text, factor_text
from opslab.report.trust import quality, source_from_files, source_from_load
from opslab.report.why import Why
from tests.realdata import cdnow_bytes, cdnow_truth

FAST = ForecastConfig(grain="day", horizon=91, backtest_folds=0, models=("ets",), n_paths=300)
RETAIL = Path(__file__).resolve().parents[3] / "tests" / "corpus" / "online_retail" / "online_retail.csv"


def _block(rep, key):
    return next(b for b in rep.document() if b.key == key)


@pytest.fixture(scope="module")
def retail():
    return load(("online_retail.csv", RETAIL.read_bytes()))


@pytest.fixture(scope="module")
def retail_rep(retail):
    return opslab.quarterly_report(retail, "2011Q4", lang="zh", config=FAST)


@pytest.mark.slow
def test_order_line_export_decisions_and_cover(retail, retail_rep):
    cover = " ".join(b.text for b in retail_rep.document() if b.kind == "meta")
    assert "online_retail.csv" in cover  # the file a reader knows, not only a hash
    items = _block(retail_rep, "quality_decisions").items
    text = "\n".join(items)
    assert not re.search(r"\d{5,}\.\d{3,}", text), text  # no "405810.14999999997"
    assert "month_first" not in text and "月在前" in text  # the date order in words
    notes = {p.code: p.params for p in retail.decisions.notes()}
    for code, key in (("decide.lines.sum", "moved"), ("decide.refunds.net", "gross"), ("decide.refunds.net", "refunds")):
        shown = money_text(notes[code][key], "zh", "GBP")
        assert "万" in shown and shown in text  # £40.6万, as every amount of the report is written
    assert "万" in _block(retail_rep, "quality_line").text


@pytest.mark.slow
def test_plan_counts_are_whole_and_every_target_says_why(retail_rep):
    plan = retail_rep.plan
    assert len(plan) and (plan["value"] > 0).all()
    for _, r in plan.iterrows():
        if whole_number(r["kpi"]):
            assert r["value"] == int(r["value"]), (r["kpi"], r["value"])  # never "≥ 46.2 新增用户"
    table = _block(retail_rep, "plan_table")
    assert table.columns[-1] == "依据" and all(row[-1] for row in table.rows)
    assert all(not row[2].startswith("≥ 0") for row in table.rows)


@pytest.mark.slow
def test_a_set_target_beyond_the_plausible_says_so(retail):
    big = Target("gmv", "2012Q1", 1e9)  # far beyond any quarter in the data
    rep = opslab.quarterly_report(retail, "2011Q4", targets=[big], lang="zh", config=FAST)
    row = next(r for r in _block(rep, "plan_table").rows if r[0] == "GMV")
    assert "高于历史可及水平" in row[-1]
    limit = rep.plan.set_index("kpi").loc["gmv", "limit"]
    assert np.isfinite(limit) and limit < 1e9 and value_text("gmv", limit, "zh", "GBP") in row[-1]


@pytest.mark.slow
def test_purchase_log_summary_tells_the_fall_once_and_the_plan_says_why():
    loaded = load(("CDNOW_master.txt", cdnow_bytes()))
    rep = quarterly_report(loaded.dataset, "1998Q2", lang="zh", config=FAST, source=source_from_load(loaded))
    raw = cdnow_truth()
    q2 = raw[(raw["date"] >= "1998-04-01") & (raw["date"] <= "1998-06-30")]["dollar_value"].sum()
    q1 = raw[(raw["date"] >= "1998-01-01") & (raw["date"] <= "1998-03-31")]["dollar_value"].sum()
    assert rep.kpis.loc["gmv", "actual"] == pytest.approx(q2)
    assert rep.why["gmv"].before == pytest.approx(q1)  # GMV fell: Q1 1998 > Q2 1998
    summary = _block(rep, "summary_text").text
    split = factor_text(rep.why["gmv"], "zh", rep.currency)
    assert summary.count(split) == 1  # the decomposition once, not again as "the largest problem"
    gmv = next(r for r in _block(rep, "plan_table").rows if r[0] == "GMV")
    # a proposal below this quarter says what it stands on: the forecast and this quarter's value
    assert "预测中位数" in gmv[-1] and value_text("gmv", q2, "zh", "USD") in gmv[-1]
    # every CDNOW customer first bought in 1997Q1: no new buyer since, so no new-user target
    first = raw.groupby("customer_id")["date"].min()
    assert first.max() < pd.Timestamp("1997-04-01")
    assert "new_users" not in set(rep.plan["kpi"])  # not "≥ 4 新增用户" made up from nothing
    cover = _block(rep, "cover_dataset").text
    assert cover.count("数据集") == 1 and "CDNOW_master.txt" in cover


def _why(before, now, changes):
    seg = pd.DataFrame({"change": changes}, index=[f"s{i}" for i in range(len(changes))])
    seg["before"], seg["now"] = 0.0, seg["change"]
    total = now - before
    seg["share"] = seg["change"] / total if total else np.nan
    seg = seg.sort_values("share", ascending=False)
    return Why("new_users", before, now, segments={"channel": seg}, dimension="channel")


def test_a_flat_kpis_segments_are_named_with_their_moves_not_shares():
    flat = _why(201.0, 202.0, [47.0, 7.0, -53.0])  # the sample's 2026Q4 new users: +1 net
    text = contributors_text(flat, "zh", "CNY")
    assert "4700" not in text and "4,700" not in text and "占变化" not in text
    assert "+47" in text and "+7" in text and "相互抵消" in text
    moving = _why(100.0, 160.0, [40.0, 30.0, -10.0])  # a real move: shares of it are meaningful
    text = contributors_text(moving, "zh", "CNY")
    assert "占变化 66.7%" in text and "占变化 50.0%" in text


@pytest.fixture(scope="module")
def sample_loaded():
    return load(*sample_bytes())


@pytest.mark.slow
def test_no_problem_line_names_rows_set_aside(sample_loaded):
    # the app's source (validated files) and the notebook's (the whole load) agree
    src = source_from_files(sample_loaded.files)
    q, q_load = quality(src), quality(source_from_load(sample_loaded))
    assert (q["rows_in"], q["rows_set_aside"]) == (q_load["rows_in"], q_load["rows_set_aside"])
    files = dict(sample_bytes())
    rows_in = sum(len(pd.read_csv(io.BytesIO(data))) for data in files.values())
    assert q["rows_in"] == rows_in and 0 < q["rows_set_aside"] < 0.05 * rows_in  # a few rows: not a problem of its own
    rep = quarterly_report(sample_loaded.dataset, "2026Q3", lang="zh", config=FAST, source=src)
    rep.findings = []  # the other problems aside: what the list says when none is found
    items = _block(rep, "problem_list").items
    assert items != ["未发现明显问题。"] and f"{q['rows_set_aside']:,}" in items[0]
    assert f"{rows_in:,}" in items[0]
    # a few rows of many are written "<0.1%", never "0.0%" (which reads as none)
    line = _block(rep, "quality_line").text
    assert f"剔除 {q['rows_set_aside']:,} 行（<0.1%）" in line and "<0.1%" in items[0]  # its money is 0: "0.0%" there
    # the cover names the sample's files
    assert "orders.csv" in " ".join(b.text for b in rep.document() if b.kind == "meta")
