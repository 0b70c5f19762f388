"""The report a lead hands up: A4, money in the data set's currency as the screens write it
(the metric catalogue's names and values), rate changes in 百分点, the summary and the why
(checked against plain pandas over the raw orders and against the catalogue's GMV with
refunds), problems ranked by money, a data-quality section that never calls a half-rejected
load clean, an appendix that traces the files by their SHA-256, and the same file for the
same data."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import zipfile

import numpy as np
import pandas as pd
import pytest
from docx import Document

import opslab
from docx.shared import Mm

from opslab.dataset.dataset import Dataset
from opslab.metrics import catalogue
from opslab.metrics.kpi_table import period_totals
from opslab.present import formatting as fmt
from opslab.dataset.load import load, load_sample
from opslab.models.forecast import ForecastConfig
from opslab.report import quarterly_report
from opslab.report.document import kpi_rows
from opslab.report.format import kpi_change_text, money_text
from opslab.report.trust import source_from_load
from opslab.report.why import gmv_why
from opslab.planning.targets import Target

FAST = ForecastConfig(grain="day", horizon=91, backtest_folds=0, models=("ets",), n_paths=300)
Q3, Q2 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30)), (dt.date(2026, 4, 1), dt.date(2026, 6, 30))


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def _paid(ds, window):
    o = ds.orders[ds.orders["status"] == "paid"]
    day = o["order_time"].dt.normalize()
    return o[(day >= pd.Timestamp(window[0])) & (day <= pd.Timestamp(window[1]))]


def test_gmv_split_adds_up_and_matches_pandas(sample):
    w = gmv_why(sample, Q3, Q2)
    a, b = _paid(sample, Q3), _paid(sample, Q2)
    assert w.now == pytest.approx(a["amount"].sum()) and w.before == pytest.approx(b["amount"].sum())
    f = w.factors
    assert f.loc["buyers", "now"] == a["user_id"].nunique()
    assert f.loc["orders_per_buyer", "before"] == pytest.approx(len(b) / b["user_id"].nunique())
    assert f.loc["order_value", "now"] == pytest.approx(a["amount"].mean())
    # LMDI: the contributions add up to the change exactly; each has the sign of its factor's move
    assert f["contribution"].sum() == pytest.approx(w.change, rel=1e-9)
    assert all(np.sign(r["contribution"]) == np.sign(r["now"] - r["before"]) for _, r in f.iterrows())
    # by order channel: each channel's change is its own GMV difference (pandas groupby)
    seg = w.segments["order_channel"]
    by_hand = a.groupby("channel")["amount"].sum().sub(b.groupby("channel")["amount"].sum(), fill_value=0)
    assert seg["change"].sum() == pytest.approx(w.change)
    for ch, d in by_hand.items():
        assert seg.loc[ch, "change"] == pytest.approx(d)
    top = w.top(1)
    assert top.index[0] == (by_hand.idxmax() if w.change > 0 else by_hand.idxmin())
    assert top["share"].iloc[0] == pytest.approx(by_hand.max() / w.change)


def test_money_as_the_screens_write_it_and_rates_in_points():
    # the catalogue's value text (the Overview's and the Targets screen's): the data set's
    # currency, 万/亿 in Chinese whatever the currency, K/M/B in English; a plain number when none
    # was stated (issue 25: "£2.2M" in the Chinese report was a finding)
    for cur in ("GBP", "USD", "CNY", ""):
        for lang in ("zh", "en"):
            assert money_text(2_200_000, lang, cur) == fmt.kpi_value("gmv", 2_200_000, lang, cur)
    assert money_text(2_200_000, "zh", "GBP") == "£220.0万" and money_text(2_200_000, "zh", "CNY") == "¥220.0万"
    assert money_text(2_200_000, "zh", None) == "220.0万" and money_text(2_200_000, "en", "") == "2.2M"
    assert kpi_change_text("m3_all", 0.273, 0.319, "zh") == "-4.6 百分点"
    assert kpi_change_text("paid_conversion", 0.30, 0.25, "en") == "+5.0 pp"
    assert kpi_change_text("gmv", 121.5, 100, "zh") == "+21.5%"


def _with_refunds(rule: str) -> Dataset:
    """Orders with sales, a refund row (negative amount) and a sale refunded by status."""
    t = pd.to_datetime
    orders = pd.DataFrame({
        "user_id": ["a", "b", "c", "a", "d", "b", "e", "a", "c", "e"],
        "order_time": t(["2024-01-05", "2024-01-09", "2024-01-20", "2024-02-03", "2024-02-07", "2024-02-10",
                         "2024-02-11", "2024-02-15", "2024-02-20", "2024-02-21"]),
        "amount": [100.0, 50.0, 80.0, 120.0, 40.0, -30.0, 60.0, 70.0, 90.0, -60.0],
        "status": ["paid", "paid", "paid", "paid", "refunded", "refunded", "paid", "paid", "paid", "refunded"],
        "channel": ["x", "y", "x", "x", "y", "y", "y", "x", "x", "y"]})
    return Dataset.from_tables(orders=orders, currency="GBP", refunds=rule)


@pytest.mark.parametrize("rule", ["net", "gross"])
def test_why_gmv_is_the_catalogues_gmv_with_refunds(rule):
    ds = _with_refunds(rule)
    jan, feb = (dt.date(2024, 1, 1), dt.date(2024, 1, 31)), (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    w = gmv_why(ds, feb, jan)
    totals = period_totals(ds, "month")
    assert w.before == pytest.approx(totals["gmv"].iloc[0]) and w.now == pytest.approx(totals["gmv"].iloc[1])
    # net: 120 + 60 + 70 + 90 - 30 - 60 = 250; gross: every sale, refunded ones too = 380
    assert w.now == pytest.approx(250.0 if rule == "net" else 380.0)
    assert w.factors.loc["buyers", "now"] == totals["paying_users"].iloc[1]
    assert w.factors["contribution"].sum() == pytest.approx(w.change, rel=1e-9)
    assert w.segments["order_channel"]["change"].sum() == pytest.approx(w.change)


@pytest.mark.slow
def test_report_layout_summary_and_why(sample):
    rep = quarterly_report(sample, "2026Q3", targets=[Target("gmv", "2026Q3", 120_000)], config=FAST)
    blocks = rep.document()
    keys = [b.key for b in blocks]
    # the cover names the data set, the period with its dates and the as-of date
    cover = " ".join(b.text for b in blocks[:5] if b.kind in ("title", "meta"))
    assert sample.fingerprint in cover and "2026-07-01 至 2026-09-30" in cover and "2026-10-31" in cover
    toc = next(b for b in blocks if b.kind == "toc")
    assert [k for k, _ in toc.items] == [b.key for b in blocks if b.kind == "h2"]
    assert keys.index("summary") < keys.index("kpis") < keys.index("why") < keys.index("appendix")
    summary = next(b.text for b in blocks if b.key == "summary_text")
    a, b = _paid(sample, Q3)["amount"].sum(), _paid(sample, Q2)["amount"].sum()
    assert f"{100 * (a / b - 1):+.1f}%" in summary  # GMV's change, as pandas computes it
    assert "付费用户数" in summary and "老带新" in summary  # the factor and the channel that drove it
    # rates in 百分点 in the KPI table: M3 retention's 环比 is a difference of points
    cols, rows, _ = kpi_rows(rep, "zh")
    m3 = next(r for r in rows if r[0] == catalogue.name("m3_all", "zh"))
    k = rep.kpis.loc["m3_all"]
    assert m3[cols.index("环比")] == f"{100 * (k['actual'] - k['previous']):+.1f} 百分点"
    # A4, page numbers, a contents field
    doc = Document(io.BytesIO(rep.to_docx()))
    sec = doc.sections[0]
    assert abs(sec.page_width - Mm(210)) < Mm(0.5) and abs(sec.page_height - Mm(297)) < Mm(0.5)
    assert "PAGE" in sec.footer._element.xml and "TOC \\o" in doc.element.xml
    html = rep.to_html()
    assert "size:A4" in html and "counter(page)" in html and 'href="#why"' in html and 'id="why"' in html


@pytest.mark.slow
def test_same_data_same_file(sample):
    r1 = quarterly_report(sample, "2026-09", lang="en", config=FAST)
    r2 = quarterly_report(sample, "2026-09", lang="en", config=FAST)
    assert r1.to_html() == r2.to_html()
    when = dt.datetime(2026, 11, 1, 9, 0)
    assert r1.to_docx(created=when) == r2.to_docx(created=when)
    z1 = zipfile.ZipFile(io.BytesIO(r1.to_docx()))
    z2 = zipfile.ZipFile(io.BytesIO(r2.to_docx(created=when + dt.timedelta(days=3))))
    assert z1.namelist() == z2.namelist()
    differ = [n for n in z1.namelist() if z1.read(n) != z2.read(n)]
    assert differ == ["docProps/core.xml"]  # only the creation time


def _orders_file(n=400, bad=120, seed=1):
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", "2024-06-30")
    df = pd.DataFrame({"order_id": [f"o{i}" for i in range(n)],
                       "user_id": [f"u{rng.integers(0, 80)}" for _ in range(n)],
                       "order_time": [str(days[rng.integers(0, len(days))].date()) for _ in range(n)],
                       "amount": rng.integers(10, 500, n).astype(float),
                       "channel": rng.choice(["a", "b", "c"], n)})
    df.loc[df.index[:bad], "order_time"] = "not a date"
    return df


@pytest.mark.slow
def test_quality_section_and_appendix_trace_the_load():
    df = _orders_file()
    data = df.to_csv(index=False).encode()
    loaded = load(("orders.csv", data))
    rep = quarterly_report(loaded.dataset, "2024Q2", lang="zh", config=FAST, source=source_from_load(loaded))
    # the notebook API takes the LoadResult itself and finds the same source in it
    assert opslab.quarterly_report(loaded, "2024Q2", lang="zh", config=FAST).to_html() == rep.to_html()
    set_aside = df["amount"].iloc[:120].sum()
    q = rep.quality
    assert q["rows_in"] == 400 and q["rows_set_aside"] == 120
    assert q["amount_set_aside"] == pytest.approx(set_aside)
    first = rep.findings[0]
    assert first.code == "data_set_aside" and first.money == pytest.approx(set_aside)
    html = rep.to_html()
    assert "未发现明显问题" not in html and "120 / 400" in html
    assert money_text(set_aside, "zh", rep.currency) in html
    assert not rep.currency and "未说明金额币种" in html  # no currency in the file: said, not assumed
    assert hashlib.sha256(data).hexdigest() in html and "orders.csv" in html  # the appendix
    # without the load's reconciliation the report says it did not check, never "clean"
    bare = quarterly_report(loaded.dataset, "2024Q2", lang="zh", config=FAST)
    assert "未发现明显问题" not in bare.to_html() and "未收到导入对账信息" in bare.to_html()


@pytest.mark.slow
def test_pounds_in_the_chinese_report_as_the_screens_write_them(sample):
    ds = Dataset.from_tables(events=sample.events.drop(columns="uid"), orders=sample.orders.drop(columns="uid"),
                             users=sample.users.drop(columns=["uid", "censored"]), campaigns=sample.campaigns,
                             currency="GBP")
    rep = quarterly_report(ds, "2026Q3", lang="zh", config=FAST)
    html = rep.to_html()
    gmv = _paid(ds, Q3)["amount"].sum()
    assert rep.kpis.loc["gmv", "actual"] == pytest.approx(gmv)
    assert fmt.kpi_value("gmv", gmv, "zh", "GBP") in html and "£" in html and "¥" not in html
    assert "金额单位 GBP" in html  # the cover names the currency


def test_roi_chart_gives_every_campaign_its_own_row():
    from opslab.report import charts
    names = [f"2026年{m}月老带新邀请有礼专场活动" for m in range(1, 13)]
    spec = charts.roi_bars(pd.DataFrame({"label": names, "roi": np.linspace(0.2, 2.4, 12)}),
                           "ROI", "ROI（收入 ÷ 投入，倍）", "盈亏平衡").to_dict()
    assert spec["height"] >= 26 * 12  # 26 px per campaign: labels cannot overlap
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert "text" in marks  # each bar carries its "1:x" value
    texts = next(layer for layer in spec["layer"] if "text" in str(layer["mark"]))
    assert texts["encoding"]["text"]["field"] == "text"


def test_alerts_in_the_notebook_api_take_settings_by_name(sample):
    res = opslab.anomaly_alerts(sample, ["gmv", "dau"], days=14)
    assert res.config.days == 14 and res.as_of == sample.end
    assert set(res.frame["kpi"]) <= {"gmv", "dau"} and isinstance(res.frame, pd.DataFrame)
    with pytest.raises(TypeError, match="unknown"):
        opslab.anomaly_alerts(sample, days_back=3)
