"""``segment=`` on every notebook analysis, and the report of a segment: each equals the same
analysis on the sample's files filtered to the segment's users with pandas and loaded again,
and the report states the segment, in both languages, with the segment's own figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opslab
from opslab.behaviour import experiments as ex
from opslab.core.i18n import t
from opslab.dataset.load import sample_dir
from opslab.metrics.segments import Segment
from opslab.planning.targets import Target
from opslab.present import formatting as fmt
from opslab.report.format import money_text, value_text
from tests.segment_files import sample_of_channel

pytestmark = pytest.mark.slow

CHANNEL = "小红书"
SEG = Segment("红书用户", rules={"channel": [CHANNEL]})


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    seg_ds, ids, kept = sample_of_channel(CHANNEL, tmp_path_factory.mktemp("segment_api"))
    full = opslab.load_sample()
    assert (seg_ds.start, seg_ds.end) == (full.start, full.end)
    orders = kept["orders"].assign(order_time=pd.to_datetime(kept["orders"]["order_time"]),
                                   amount=pd.to_numeric(kept["orders"]["amount"]))
    return full, seg_ds, ids, kept, orders[orders["status"] == "paid"]


def test_every_analysis_takes_a_segment(data):
    full, seg_ds, ids, kept, paid = data
    as_list = sorted(ids)  # the same users as a fixed list
    pd.testing.assert_frame_equal(opslab.kpis(full, "month", segment=SEG).frame, opslab.kpis(seg_ds, "month").frame)
    pd.testing.assert_frame_equal(opslab.kpis(full, "week", segment=as_list).frame, opslab.kpis(seg_ds, "week").frame)
    assert opslab.kpis(full, "month", segment=SEG).frame["gmv"].sum() == pytest.approx(paid["amount"].sum())
    pd.testing.assert_frame_equal(opslab.retention(full, "month", segment=SEG).frame,
                                  opslab.retention(seg_ds, "month").frame)
    tiers = opslab.segment(full, segment=SEG).frame
    assert set(tiers["user_id"]) == ids
    assert tiers["tier"].value_counts().equals(opslab.segment(seg_ds).frame["tier"].value_counts())
    steps = ["visit", "view", "add_to_cart", "checkout", "purchase"]
    assert opslab.funnel(full, steps, segment=SEG).steps["users"].tolist() == \
        opslab.funnel(seg_ds, steps).steps["users"].tolist()
    ev = kept["events"]
    assert opslab.paths(full, "add_to_cart", segment=SEG).n_users == \
        ev.loc[ev["event_name"] == "add_to_cart", "user_id"].nunique()
    a = opslab.distribution(full, "orders", segment=SEG).stats
    b = opslab.distribution(seg_ds, "orders").stats
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    pd.testing.assert_frame_equal(opslab.interval(full, ("view", "purchase"), segment=SEG).frame,
                                  opslab.interval(seg_ds, ("view", "purchase")).frame)
    ltv = opslab.ltv_curve(full, segment=SEG)
    pd.testing.assert_frame_equal(ltv.frame, opslab.ltv_curve(seg_ds).frame)
    assert ltv.payback.empty  # no CAC for a segment (spend is not split), so no payback day
    payers = opslab.users(full, "paying_users", period="2026-09-01", grain="month", segment=SEG)
    sept = paid[paid["order_time"].dt.to_period("M") == pd.Period("2026-09", "M")]
    assert set(payers.frame["user_id"]) == set(sept["user_id"]) and payers.count == sept["user_id"].nunique()
    assignment = ex.read_assignments(kept["assignments"])
    res = opslab.ab_test(full, ex.read_assignments(pd.read_csv(sample_dir() / "assignments.csv", dtype=str)), segment=SEG)
    assert res.variants["n"].tolist() == opslab.ab_test(seg_ds, assignment).variants["n"].tolist()
    assert res.variants["n"].sum() == len(assignment)
    clv = opslab.clv(full, segment=SEG)
    assert set(clv.customers["user_id"].astype(str)) <= ids
    status = opslab.target_status(full, {"gmv": 10_000, "cac": 50}, period="2026Q3", segment=SEG).frame.set_index("kpi")
    q3 = paid[paid["order_time"].dt.to_period("Q") == pd.Period("2026Q3", "Q")]
    assert status.loc["gmv", "actual"] == pytest.approx(q3["amount"].sum())
    assert np.isnan(status.loc["cac", "actual"])  # spend is not split by segment
    with pytest.raises(TypeError):
        opslab.kpis(full, "month", segment="not ids")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_of_a_segment_says_so_with_its_numbers(data, lang):
    full, seg_ds, ids, kept, paid = data
    rep = opslab.quarterly_report(full, "2026Q3", lang=lang, segment=SEG,
                                  targets=[Target("gmv", "2026Q3", 20_000)])
    q3 = paid[paid["order_time"].dt.to_period("Q") == pd.Period("2026Q3", "Q")]
    assert rep.kpis.loc["gmv", "actual"] == pytest.approx(q3["amount"].sum())
    assert rep.kpis.loc["paying_users", "actual"] == q3["user_id"].nunique()
    assert rep.kpis.loc["gmv", "completion"] == pytest.approx(q3["amount"].sum() / 20_000)
    assert np.isnan(rep.kpis.loc["cac", "actual"])
    # the segment's ROI: its own paid GMV on the days of the quarter's campaigns / their spend
    camp = kept["campaigns"].assign(start_date=pd.to_datetime(kept["campaigns"]["start_date"]),
                                    end_date=pd.to_datetime(kept["campaigns"]["end_date"]),
                                    spend=pd.to_numeric(kept["campaigns"]["spend"]))
    camp = camp[camp["start_date"].dt.to_period("Q") == pd.Period("2026Q3", "Q")]
    days = {d for s, e in zip(camp["start_date"], camp["end_date"]) for d in pd.date_range(s, e)}
    revenue = paid.loc[paid["order_time"].dt.normalize().isin(days), "amount"].sum()
    assert rep.kpis.loc["roi", "actual"] == pytest.approx(revenue / camp["spend"].sum())
    blocks = rep.document()
    cover = t("report.cover.segment", lang, name=SEG.name, n=f"{len(ids):,}", total=f"{full.n_users:,}",
              share=fmt.pct(len(ids) / full.n_users))
    assert cover in [b.text for b in blocks if b.kind == "meta"]
    camp_text = next(b.text for b in blocks if b.key == "campaigns_segment")
    assert camp_text == t("report.campaigns.segment", lang, campaigns=len(camp),
                          spend=money_text(camp["spend"].sum(), lang, "CNY"), revenue=money_text(revenue, lang, "CNY"),
                          roi=value_text("roi", revenue / camp["spend"].sum(), lang))
    assert not any(b.key == "campaign_table" for b in blocks)  # everyone's campaigns are not the segment's
    assert not any(f.code == "below_break_even" for f in rep.findings)
    assert SEG.name in rep.to_html()
    # and the whole report differs: the segment's GMV is a part of everyone's
    whole = opslab.quarterly_report(full, "2026Q3", lang=lang)
    assert whole.kpis.loc["gmv", "actual"] > rep.kpis.loc["gmv", "actual"] and not whole.segment
