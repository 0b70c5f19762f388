"""AppTests of the behaviour screens (funnels, paths, A/B tests) and the Overview's breakdowns."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import opslab
from opslab.behaviour import experiments as ex
from opslab.present import formatting as fmt
from opslab.behaviour import paths as pt
from opslab.core.i18n import t
from opslab.dataset.load import load_sample, sample_dir
from opslab.workspace.segment_store import SegmentStore
from tests.app.conftest import open_app
from ui.safe import md

pytestmark = pytest.mark.slow


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def _table_with(at, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def test_funnel_figures_equal_the_engine():
    """Entered, converted, overall conversion and every step's users equal opslab.funnel on the
    sample with the page's defaults (its five shop steps, 7-day window, ordered, whole range)."""
    at = open_app("en", "views/funnels.py")
    ds = load_sample()
    steps = ["visit", "view", "add_to_cart", "checkout", "purchase"]
    assert at.multiselect(key="fn_steps").value == steps
    res = opslab.funnel(ds, steps, window_days=7.0, order="ordered", start=ds.start, end=ds.end)
    s = res.steps
    m = _metrics(at)
    assert m[t("funnels.entered", "en")] == fmt.count(s["users"].iloc[0], "en")
    assert m[t("funnels.converted", "en")] == fmt.count(s["users"].iloc[-1], "en")
    assert m[t("funnels.overall", "en")] == fmt.pct(s["conv_first"].iloc[-1])
    shown = _table_with(at, t("funnels.conv_prev", "en"))
    assert shown[t("funnels.users", "en")].tolist() == s["users"].tolist()
    assert shown[t("funnels.dropped", "en")].tolist() == s["dropped"].tolist()
    assert shown[t("funnels.conv_first", "en")].tolist() == s["conv_first"].map(fmt.pct).tolist()
    # and the engine against a count the test makes itself: users with a first step in range
    first = ds.events.loc[ds.events["event_name"] == steps[0], "user_id"].nunique()
    assert s["users"].iloc[0] == first
    assert s["users"].is_monotonic_decreasing and s["users"].iloc[-1] > 0


def test_paths_figures_equal_the_engine():
    """The users count, the top next-step paths and the leave points equal opslab.paths on the
    sample with the page's defaults (after add_to_cart, 3 steps, 30-minute sessions, purchase goal)."""
    at = open_app("en", "views/paths.py")
    ds = load_sample()
    res = opslab.paths(ds, "add_to_cart", direction="next", depth=3, session_minutes=30, collapse=True)
    assert _metrics(at)[t("paths.users", "en", event=md("add_to_cart"))] == fmt.count(res.n_users, "en")
    assert res.n_users == ds.events.loc[ds.events["event_name"] == "add_to_cart", "user_id"].nunique()
    top = _table_with(at, t("paths.path", "en"))
    assert top[t("paths.users_col", "en")].tolist() == res.paths["users"].tolist()
    assert top[t("paths.share", "en")].tolist() == res.paths["share"].map(fmt.pct).tolist()
    words = {pt.END: t("paths.end_next", "en"), pt.OTHER: t("paths.other", "en")}
    assert top[t("paths.path", "en")].tolist() == [" → ".join(words.get(e, e) for e in p) for p in res.paths["path"]]
    lp = pt.leave_points(res, "purchase").head(10)
    leave = _table_with(at, t("paths.leave_share", "en"))
    assert leave[t("paths.users_col", "en")].tolist() == lp["users"].tolist()
    assert leave[t("paths.left", "en")].tolist() == lp["left"].tolist()
    assert leave[t("paths.leave_share", "en")].tolist() == lp["leave_share"].map(fmt.pct).tolist()


def test_experiment_figures_equal_the_engine():
    """Each arm's conversion, the relative lift, p-values and chance to beat control equal
    opslab.ab_test on the sample's assignment file with the page's defaults."""
    at = open_app("en", "views/experiments.py")
    ds = load_sample()
    assignment = ex.read_assignments(pd.read_csv(sample_dir() / "assignments.csv", dtype=str))
    config = ex.ABConfig(alpha=0.05, window_days=None, pre_days=14, retention_day=7, event="purchase", mde_rel=0.10)
    res = opslab.ab_test(ds, assignment, metric="conversion", config=config)
    assert at.selectbox(key="ab_control").value == res.control
    m = _metrics(at)
    for row in res.variants.itertuples():
        assert m[f"{md(row.variant)} · n={row.n:,}"] == fmt.pct(row.mean)
    # the arms' sizes against the assignment file itself
    assert dict(zip(res.variants["variant"], res.variants["n"])) == assignment["variant"].value_counts().to_dict()
    table = _table_with(at, t("experiments.p_value", "en"))
    comp = res.comparisons
    assert len(table) == len(comp) > 0
    assert table[t("experiments.variant", "en")].tolist() == comp["variant"].tolist()
    assert table[t("experiments.rel_lift", "en")].tolist() == comp["rel_lift"].map(
        lambda x: fmt.pct(x, signed=True)).tolist()
    assert table[t("experiments.chance", "en")].tolist() == comp["chance_to_beat"].map(fmt.pct).tolist()
    shown_p = table[t("experiments.p_value", "en")].astype(float).to_numpy()
    assert shown_p == pytest.approx(comp["p_value"].to_numpy(), abs=5e-5)
    # "days remaining" is computed once: the power card says what the verdict used, and a
    # win before the planned sample is read as the sequential stop it is
    first = comp.iloc[0]
    shown_days = m[t("experiments.days_more", "en")]
    # the planned sample is the sequential test's (the fixed-horizon one times its inflation)
    assert m[t("experiments.n_needed", "en")] == f"{math.ceil(first['n_needed']):,}"
    assert first["n_needed"] > ex.power_plan(first["mean_c"], first["sd_used"], 0.10, first["per_day"])["n_per_variant"]
    boxes = [b.value for b in (*at.success, *at.error, *at.info)]
    stop = t("experiments.sequential_stop", "en", days=first["days_more"], share=fmt.pct(first["info_share"]))
    if first["stopped_early"]:
        assert shown_days == t("experiments.days_more_stopped", "en")
        assert any(stop in b for b in boxes)
    else:
        assert shown_days == ("–" if pd.isna(first["days_more"]) else f"{int(first['days_more']):,}")
        assert not any(stop in b for b in boxes)
    # the verdict is the sequential test's, with its interval and the method named under the table
    assert first["verdict"] == "win" and first["p_sequential"] < 0.05
    captions = [c.value for c in at.caption]
    assert any(c.startswith(t("experiments.peek_rule.pocock", "en", days=res.days_running, alpha="5.0%",
                                share=fmt.pct(first["info_share"]))[:40]) for c in captions)


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


def test_funnel_split_and_dropped_users_become_a_segment_on_the_overview(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))  # the segment is stored with the sample's key
    at = open_app("en", "views/funnels.py")
    charts = len(at.get("vega_lite_chart"))
    at.selectbox(key="fn_by").set_value("channel").run()
    assert not at.exception and len(at.get("vega_lite_chart")) == charts + 1
    at.button(key="fn_save_segment").click().run()
    assert not at.exception
    segments = SegmentStore(tmp_path).load(at.session_state["dataset_source"]["key"])
    name, seg = next(iter(segments.items()))
    assert seg.kind == "list" and len(seg.users) > 0
    at.selectbox(key="seg").set_value(name).run()  # the sidebar: every screen for these users only
    at.switch_page("views/overview.py").run()
    assert not at.exception
    assert any(f"{len(seg.users):,} of" in i.value for i in at.info)


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
    at = open_app("en", page, dataset=None)
    assert not at.exception
    assert any("No data loaded" in i.value for i in at.info)


def test_funnel_page_on_data_with_a_single_event_name_asks_for_steps():
    import pandas as pd

    from opslab.dataset.dataset import Dataset
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


def test_experiment_page_shows_bayesian_all_metrics_segments_and_quarter_impact():
    """The new readouts equal the engine's on the sample with the page's settings: the
    Bayesian table, every metric with BH, effects by channel and the GMV projection."""
    at = open_app("en", "views/experiments.py")
    ds = load_sample()
    assignment = ex.read_assignments(pd.read_csv(sample_dir() / "assignments.csv", dtype=str))
    at.selectbox(key="ab_metric").set_value("revenue").run()
    at.selectbox(key="ab_cap").set_value(99.0).run()
    at.selectbox(key="ab_correction").set_value("bh").run()
    assert not at.exception
    config = ex.ABConfig(alpha=0.05, window_days=None, pre_days=14, retention_day=7, event="purchase",
                         mde_rel=0.10, cap_pct=99.0, correction="bh")
    res = opslab.ab_test(ds, assignment, metric="revenue", config=config)
    comp = res.comparisons
    bayes = _table_with(at, t("experiments.risk_ship", "en"))
    assert bayes[t("experiments.chance", "en")].tolist() == comp["chance_to_beat"].map(fmt.pct).tolist()
    assert bayes[t("experiments.risk_ship", "en")].tolist() == comp["risk_treatment"].map(fmt.pct).tolist()
    main = _table_with(at, t("experiments.p_value", "en"))
    shown = main[t("experiments.p_adjusted", "en", method="Benjamini-Hochberg")].astype(float).to_numpy()
    assert shown == pytest.approx(comp["p_bh"].to_numpy(), abs=5e-5)
    assert any("capped at P99" in c.value for c in at.caption)
    # every metric at once, BH over the family
    at.toggle(key="ab_all").set_value(True).run()
    assert not at.exception
    family = _table_with(at, t("experiments.significant", "en"))
    from opslab.behaviour.experiment_readouts import ab_metrics
    want = ab_metrics(ds, assignment, control=res.control, config=config).frame
    assert len(family) == len(want) == 5
    assert family[t("experiments.p_bh", "en")].astype(float).to_numpy() == pytest.approx(want["p_bh"].to_numpy(), abs=5e-5)
    # by channel: one row per tested channel, flagged by the engine's Bonferroni rule
    at.selectbox(key="ab_seg").set_value("channel").run()
    assert not at.exception
    seg = _table_with(at, t("experiments.lift_rest", "en"))
    from opslab.behaviour.experiment_readouts import ab_segments
    want = ab_segments(ds, assignment, "revenue", "channel", control=res.control, config=config).frame
    assert seg[t("experiments.segment", "en")].tolist() == want["segment"].tolist()
    # the quarter's GMV with a target
    at.number_input(key="ab_goal").set_value(300000.0).run()
    assert not at.exception
    from opslab.planning.experiment_impact import ab_projection
    proj = ab_projection(ds, res, target=300000.0)
    m = _metrics(at)
    row = proj.frame.iloc[0]
    assert m[t("experiments.proj_extra", "en", variant=md(row["variant"]))] == fmt.money(row["extra"], "en", currency=ds.currency)
    assert m[t("experiments.proj_completion", "en")] == fmt.pct(row["completion_with"])
    zh = open_app("zh", "views/experiments.py")
    assert not zh.exception and zh.subheader and any(s.value == "贝叶斯解读" for s in zh.subheader)
