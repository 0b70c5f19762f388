"""Tests for opslab.campaigns: a simulated campaigns table with planted effects, checked against
the truth, plain OLS (statsmodels formula API), closed forms and hand-computed ratios."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

LOCALES = Path(__file__).resolve().parents[3] / "opslab" / "present" / "locales"
from opslab.present import formatting as fmt
from opslab.core.calendar_cn import festival_overlap
from opslab.models import campaigns as cm
from opslab.models.campaign_planner import (best_spend, break_even_spend, campaign_effect,
                                           optimise_budget, plan_readout)
from opslab.models.campaigns import (CampaignPlan, CampaignResponseModel, NotEnoughCampaigns,
                                     campaign_summary, festival_overlap)
from opslab.core.i18n import t

TYPES = {"满减": 1.0, "优惠券": 0.8, "拉新": 0.9, "召回": 0.7, "会员日": 1.2, "直播": 1.5}
CHANNELS = {"抖音": 1.4, "微信": 1.0, "应用商店": 0.6, "搜索": 0.8}
B_REVENUE, B_NEW_USERS, SIGMA, FESTIVAL = 0.6, 0.8, 0.25, 1.2
PLAN = CampaignPlan(20_000.0, "满减", "抖音", "2024-06-01", "2024-06-14")


def simulate(n: int, seed: int, plan: CampaignPlan | None = None) -> pd.DataFrame:
    """revenue = 12 * spend^0.6 * type * channel * (days/10)^0.2 * 1.2^festival * LN(0, 0.25);
    with ``plan`` every row repeats that plan (for checking forecast means)."""
    rng = np.random.default_rng(seed)
    if plan is None:
        spend = np.exp(rng.uniform(np.log(1e3), np.log(1e5), n))
        types, chans = rng.choice(list(TYPES), n), rng.choice(list(CHANNELS), n)
        start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
        end = start + pd.to_timedelta(rng.integers(3, 31, n) - 1, unit="D")
    else:
        spend, types, chans = np.full(n, plan.spend), [plan.type] * n, [plan.channel] * n
        start = pd.DatetimeIndex([pd.Timestamp(plan.start_date)] * n)
        end = pd.DatetimeIndex([pd.Timestamp(plan.end_date)] * n)
    days = (end - start).days.to_numpy() + 1
    fest = np.array([festival_overlap(a, b) for a, b in zip(start, end)])
    ch = np.array([CHANNELS[c] for c in chans])
    eff = np.array([TYPES[x] for x in types]) * ch * (days / 10) ** 0.2 * FESTIVAL ** fest
    noise = lambda: np.exp(rng.normal(0, SIGMA, n))  # noqa: E731
    participants = 0.5 * spend ** 0.7 * eff * noise()
    return pd.DataFrame({
        "campaign_id": [f"c{i}" for i in range(n)], "name": [f"活动{i}" for i in range(n)],
        "type": list(types), "channel": list(chans), "start_date": start, "end_date": end,
        "spend": spend, "participants": participants,
        "new_users": 0.5 * spend ** B_NEW_USERS * ch * noise(),
        "conversions": 0.1 * participants * noise(),
        "revenue": 12 * spend ** B_REVENUE * eff * noise()})


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return simulate(120, seed=1)


@pytest.fixture(scope="module")
def model(table) -> CampaignResponseModel:
    return CampaignResponseModel(interval=0.8).fit(table)


def test_init_only_stores_arguments():
    m = CampaignResponseModel(interval=0.9, min_campaigns=10)
    assert vars(m) == {"interval": 0.9, "min_campaigns": 10, "n_draws": 2000, "random_state": 0}


def test_elasticity_recovered_within_0_1(model):
    # tolerance +-0.1 (about 5 standard errors at n=120, sigma=0.25)
    assert abs(model.elasticity_["revenue"].estimate - B_REVENUE) < 0.1
    assert abs(model.elasticity_["new_users"].estimate - B_NEW_USERS) < 0.1
    assert set(model.outcomes_) == {"participants", "new_users", "conversions", "revenue"}
    j = model.terms_.index("festival")
    assert abs(model.fits_["revenue"].params[j] - np.log(FESTIVAL)) < 0.15


def test_elasticity_and_se_match_plain_ols(table, model):
    # independent fit: unpenalised OLS with treatment dummies; ridge on the categoricals
    # barely moves the spend slope and its standard error when every level has ~20 rows
    d = table.assign(ls=np.log(table.spend), lr=np.log1p(table.revenue),
                     ld=np.log((table.end_date - table.start_date).dt.days + 1),
                     fest=[float(festival_overlap(a, b))
                           for a, b in zip(table.start_date, table.end_date)])
    ols = smf.ols("lr ~ ls + ld + fest + C(type) + C(channel)", data=d).fit()
    est, se = model.elasticity_["revenue"]
    assert est == pytest.approx(ols.params["ls"], abs=0.02)
    assert se == pytest.approx(ols.bse["ls"], rel=0.25)


@pytest.mark.slow
def test_interval_coverage_on_held_out_campaigns(model):
    held = simulate(300, seed=99)
    hits = {"revenue": [], "new_users": []}
    for r in held.itertuples():
        fc = model.predict(CampaignPlan(r.spend, r.type, r.channel, r.start_date, r.end_date))
        for k in hits:
            e = fc.outcomes[k]
            hits[k].append(e.lower <= getattr(r, k) <= e.upper)
    for k, h in hits.items():
        assert 0.70 <= np.mean(h) <= 0.90, (k, np.mean(h))


def test_forecast_mean_matches_simulated_truth(model):
    truth = simulate(4000, seed=7, plan=PLAN)
    fc = model.predict(PLAN)
    # within ~2 standard errors of the fitted log-mean (about 0.07 here)
    assert abs(np.log(fc.revenue.mean / truth.revenue.mean())) < 0.15
    assert abs(np.log(fc.new_users.mean / truth.new_users.mean())) < 0.15
    assert fc.revenue.lower < np.median(truth.revenue) < fc.revenue.upper


def test_roi_and_cac_intervals_follow_outcome_intervals(model):
    fc = model.predict(PLAN)
    s = PLAN.spend
    assert fc.roi.mean == pytest.approx(fc.revenue.mean / s)
    # ROI = revenue / spend and CAC = spend / new_users are monotone maps of one outcome,
    # so the simulated quantiles must match the analytic interval up to Monte-Carlo error
    assert fc.roi.lower == pytest.approx(fc.revenue.lower / s, rel=0.05)
    assert fc.roi.upper == pytest.approx(fc.revenue.upper / s, rel=0.05)
    assert fc.cac.lower == pytest.approx(s / fc.new_users.upper, rel=0.05)
    assert fc.cac.upper == pytest.approx(s / fc.new_users.lower, rel=0.05)
    assert fc.cac.mean == pytest.approx(s / fc.new_users.mean)
    frame = fc.to_frame()
    assert list(frame.metric) == ["participants", "new_users", "conversions", "revenue",
                                  "roi", "cac"]
    assert (frame["lower"] <= frame["mean"]).all() and (frame["mean"] <= frame["upper"]).all()
    assert model.predict(PLAN) == fc  # seeded draws: same plan, same forecast


def test_predict_is_monotone_in_spend(model):
    fcs = [model.predict(CampaignPlan(s, "直播", "微信", "2024-03-01", "2024-03-10"))
           for s in np.geomspace(500, 500_000, 25)]
    for k in cm.OUTCOMES:
        for attr in ("mean", "lower", "upper"):
            v = [getattr(f.outcomes[k], attr) for f in fcs]
            assert np.all(np.diff(v) > 0), (k, attr)
    assert np.all(np.diff([f.roi.mean for f in fcs]) < 0)  # diminishing returns


@pytest.mark.parametrize("x, text", [(3.2, "1:3.2"), (3.24, "1:3.2"), (3.0, "1:3.0"),
                                     (12.345, "1:12.3"), (0.456, "1:0.46"),
                                     (float("nan"), "–"), (float("inf"), "–")])
def test_roi_is_written_1_to_x(x, text):
    assert fmt.roi(x) == text


def test_format_roi_decimals():
    assert fmt.roi(3.2, decimals=2) == "1:3.20"


def test_campaign_summary_hand_computed():
    raw = pd.DataFrame({
        "campaign_id": ["a", "b", "c", "d"], "type": ["满减", "拉新", "召回", "直播"],
        "spend": [100.0, 0.0, np.nan, 250.0], "revenue": [320.0, 50.0, 10.0, 500.0],
        "new_users": [4.0, 3.0, 2.0, 0.0], "participants": [50.0, 0.0, 10.0, np.nan],
        "conversions": [10.0, 1.0, 4.0, 3.0]})
    out = campaign_summary(raw)
    np.testing.assert_allclose(out.roi, [3.2, np.nan, np.nan, 2.0])
    assert [fmt.roi(x) for x in out.roi] == ["1:3.2", "–", "–", "1:2.0"]
    assert "roi_label" not in out  # no presentation text in the engine
    np.testing.assert_allclose(out.cac, [25.0, 0.0, np.nan, np.nan])  # 100/4, 0/3
    np.testing.assert_allclose(out.conversion_rate, [0.2, np.nan, 0.4, np.nan])
    numeric = out.select_dtypes("number").to_numpy()
    assert not np.isinf(numeric).any()
    assert list(out.campaign_id) == ["a", "b", "c", "d"]


def test_campaign_summary_missing_columns():
    out = campaign_summary(pd.DataFrame({"campaign_id": ["x"], "spend": [10.0]}))
    assert out.cac.isna().all() and out.roi.isna().all() and out.conversion_rate.isna().all()


def _brute_force(model, total, channels, pct):
    """Best expected revenue over every split of the budget in whole ``pct`` percent steps."""
    pcts = np.arange(pct, 101, pct)
    curves = [dict(zip(pcts, model.expected_outcome(
        CampaignPlan(1.0, PLAN.type, c, PLAN.start_date, PLAN.end_date), "revenue",
        spends=total * pcts / 100))) | {0: 0.0} for c in channels]
    best = -np.inf
    for split in itertools.product(range(0, 101, pct), repeat=len(channels) - 1):
        if sum(split) <= 100:
            shares = [*split, 100 - sum(split)]
            best = max(best, sum(curve[s] for curve, s in zip(curves, shares)))
    return best


def test_optimise_budget_beats_equal_split_and_brute_force(model):
    # a budget below what the channels can use profitably (their best spends sum to ~1,050):
    # all of it is spent, as the revenue-maximising split
    total, chans = 300.0, ["抖音", "微信", "应用商店"]
    out = optimise_budget(model, total, chans, PLAN.type, PLAN.start_date, PLAN.end_date)
    rows, tot = out[out.kind == "channel"], out[out.is_total].iloc[0]
    assert rows.spend.sum() == pytest.approx(total, rel=1e-12)
    assert tot.spend == pytest.approx(total) and tot.channel is None
    assert out[out.kind == "unspent"].spend.iloc[0] == pytest.approx(0.0, abs=1e-9)
    equal = sum(model.expected_outcome(CampaignPlan(total / 3, PLAN.type, c, PLAN.start_date,
                                                    PLAN.end_date)) for c in chans)
    assert tot.expected_revenue > equal * 1.005
    assert tot.equal_expected_revenue == pytest.approx(equal)
    assert tot.expected_revenue >= _brute_force(model, total, chans, pct=2) * (1 - 1e-4)
    for r in rows.itertuples():  # reported revenue is the model's own expected revenue
        assert r.expected_revenue == pytest.approx(model.expected_outcome(
            CampaignPlan(r.spend, PLAN.type, r.channel, PLAN.start_date, PLAN.end_date)))
        assert r.roi == pytest.approx(r.expected_revenue / r.spend)


def test_optimise_budget_equalises_marginal_returns_closed_form(model):
    # plug-in mean f_c(s) + 1 = K_c * s^b with a common b, so f_c'(s) = b K_c s^(b-1) is
    # equal across channels iff s_c is proportional to K_c^(1/(1-b))
    total, chans = 400.0, ["抖音", "微信", "应用商店", "搜索"]
    out = optimise_budget(model, total, chans, PLAN.type, PLAN.start_date, PLAN.end_date)
    rows = out[out.kind == "channel"]
    m = rows.marginal_roi.to_numpy()
    assert m.max() / m.min() < 1.03
    b = model.elasticity_["revenue"].estimate
    k = np.array([model.expected_outcome(CampaignPlan(1.0, PLAN.type, c, PLAN.start_date,
                                                      PLAN.end_date)) + 1 for c in chans])
    ideal = k ** (1 / (1 - b)) / (k ** (1 / (1 - b))).sum()
    np.testing.assert_allclose(rows.share, ideal, atol=0.01)


def test_optimise_budget_leaves_unprofitable_money_unspent(model):
    # with more money than pays off, each channel stops where one more yuan returns one yuan:
    # b K s^(b-1) = 1, i.e. s = (b K)^(1/(1-b)), and the rest is reported as unspent
    total, chans = 5_000.0, ["抖音", "微信", "应用商店"]
    out = optimise_budget(model, total, chans, PLAN.type, PLAN.start_date, PLAN.end_date)
    rows = out[out.kind == "channel"]
    b = model.elasticity_["revenue"].estimate
    k = np.array([model.expected_outcome(CampaignPlan(1.0, PLAN.type, c, PLAN.start_date,
                                                      PLAN.end_date)) + 1 for c in chans])
    np.testing.assert_allclose(rows.spend, (b * k) ** (1 / (1 - b)), atol=total / 400)
    unspent = out[out.kind == "unspent"].spend.iloc[0]
    assert unspent == pytest.approx(total - rows.spend.sum()) and unspent > 0.7 * total
    assert (rows.roi > 1).all()  # money that is spent pays for itself


def test_optimise_budget_min_share_and_unseen_channel(model):
    total = 100_000.0
    out = optimise_budget(model, total, ["抖音", "应用商店", "小红书"], PLAN.type,
                          PLAN.start_date, PLAN.end_date, min_share=0.25, step=500)
    rows = out[out.kind == "channel"]
    assert (rows.spend >= 0.25 * total - 1e-6).all()
    assert rows.spend.sum() + out[out.kind == "unspent"].spend.iloc[0] == pytest.approx(total)
    assert list(rows.unseen) == [False, False, True]
    assert "roi_label" not in out
    with pytest.raises(ValueError):
        optimise_budget(model, total, ["抖音", "微信"], PLAN.type, PLAN.start_date,
                        PLAN.end_date, min_share=0.6)


def test_break_even_and_best_spend_closed_form(model):
    # independent: K and b from the plug-in mean at spend 1, then solve K s^b - 1 = s and
    # b K s^(b-1) = 1 directly
    from scipy.optimize import brentq
    plan = CampaignPlan(1.0, PLAN.type, "抖音", PLAN.start_date, PLAN.end_date)
    b = model.elasticity_["revenue"].estimate
    k = model.expected_outcome(plan) + 1
    best = (b * k) ** (1 / (1 - b))
    even = brentq(lambda s: k * s ** b - 1 - s, best, 1e9)
    assert best_spend(model, plan) == pytest.approx(best, rel=1e-5)
    assert break_even_spend(model, plan) == pytest.approx(even, rel=1e-6)


@pytest.mark.parametrize("spend, verdict", [(300.0, "profitable"), (2_000.0, "spend_less"),
                                            (20_000.0, "loss")])
def test_plan_readout_verdicts(model, spend, verdict):
    plan = CampaignPlan(spend, PLAN.type, "抖音", PLAN.start_date, PLAN.end_date)
    ro = plan_readout(model, plan)
    assert ro.verdict == verdict
    assert ro.profit == pytest.approx(model.predict(plan).revenue.mean - spend)
    assert (ro.profit < 0) == (verdict == "loss")
    assert ro.best_profit > 0 and ro.accuracy == model.accuracy_["revenue"]


def _design_matrix(model, table: pd.DataFrame) -> np.ndarray:
    """The response model's design, rebuilt here from its public ``terms_`` and the documented
    features: log spend, log days, festival overlap, one column per type / channel level."""
    start = pd.to_datetime(table["start_date"]).dt.normalize()
    end = pd.to_datetime(table["end_date"]).dt.normalize()
    days = (end - start).dt.days.to_numpy(float) + 1
    known = {"const": np.ones(len(table)), "log_spend": np.log(table["spend"].to_numpy(float)),
             "log_duration": np.log(np.clip(days, 1, None)),
             "festival": np.array([float(festival_overlap(a, b)) for a, b in zip(start, end)])}
    cols = []
    for term in model.terms_:
        if term in known:
            cols.append(known[term])
        else:  # "type[满减]": 1 where the campaign has that level
            factor, level = term[:-1].split("[", 1)
            cols.append((table[factor].astype(str).str.strip() == level).to_numpy(float))
    return np.column_stack(cols)


def test_leave_one_out_accuracy_matches_brute_force_refits(table, model):
    # refit without each campaign (same penalty), predict it, compare with the closed form
    fit = model.fits_["revenue"]
    X = _design_matrix(model, table)
    y = np.log1p(table.revenue.to_numpy(float))
    pen = np.array([t.endswith("]") for t in model.terms_], float) * fit.lam
    loo = np.empty(len(y))
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        beta = np.linalg.solve(X[keep].T @ X[keep] + np.diag(pen), X[keep].T @ y[keep])
        loo[i] = X[i] @ beta
    np.testing.assert_allclose(fit.loo_mu, loo, rtol=1e-9, atol=1e-9)
    acc = model.accuracy_["revenue"]
    mean = np.expm1(loo + fit.loo_var / 2)
    assert acc.error == pytest.approx(np.abs(mean - table.revenue).sum() / table.revenue.sum())
    # the planted noise is log-normal, so the 80 % intervals should cover about 80 %
    assert 0.7 <= acc.coverage <= 0.9 and acc.n == len(table)


def test_campaign_effect_equals_the_planner_revenue(model):
    plan = CampaignPlan(2_000.0, PLAN.type, "抖音", "2024-06-06", "2024-06-19")
    weeks = pd.date_range("2024-06-03", periods=3, freq="W-MON")
    eff = campaign_effect(model, plan, weeks, "week", "gmv")
    total = model.predict(plan).revenue.mean
    # 14 days: Thu-Sun (4) in the first week, 7 in the second, Mon-Wed (3) in the third
    np.testing.assert_allclose(eff.to_numpy(), total * np.array([4, 7, 3]) / 14)
    days = pd.date_range("2024-06-01", "2024-06-30")
    assert campaign_effect(model, plan, days, "day", "gmv").sum() == pytest.approx(total)
    assert (campaign_effect(model, plan, days, "day", "dau") == 0).all()  # no campaign outcome


def test_not_enough_campaigns(table):
    with pytest.raises(NotEnoughCampaigns) as err:
        CampaignResponseModel().fit(table.head(5))
    assert err.value.code == "campaigns.too_few"
    assert err.value.params == {"n": 5, "min": 8}
    assert "8" in t(err.value.code, "zh", **err.value.params)
    # ten rows, but four without a usable spend -> six usable < 8
    bad = table.head(10).assign(spend=[0.0, np.nan, -5.0, 0.0] + [1000.0] * 6)
    with pytest.raises(NotEnoughCampaigns):
        CampaignResponseModel().fit(bad)
    model = CampaignResponseModel(min_campaigns=10).fit(table.head(12))
    assert model.n_campaigns_ == 12


def test_unseen_channel_and_type(model):
    seen = [model.predict(CampaignPlan(PLAN.spend, PLAN.type, c, PLAN.start_date,
                                       PLAN.end_date)) for c in CHANNELS]
    fc = model.predict(CampaignPlan(PLAN.spend, PLAN.type, "小红书", PLAN.start_date,
                                    PLAN.end_date))
    assert fc.unseen_levels == {"channel": "小红书"}
    assert [p.code for p in fc.notes] == ["campaigns.unseen_channel"]
    med = lambda e: np.sqrt((e.lower + 1) * (e.upper + 1))  # noqa: E731 (symmetric in log)
    assert min(med(s.revenue) for s in seen) < med(fc.revenue) < max(med(s.revenue)
                                                                      for s in seen)
    width = lambda e: np.log1p(e.upper) - np.log1p(e.lower)  # noqa: E731
    assert width(fc.revenue) > max(width(s.revenue) for s in seen)
    assert seen[0].unseen_levels == {} and seen[0].notes == ()
    fc2 = model.predict(CampaignPlan(PLAN.spend, "秒杀", "微信", PLAN.start_date, PLAN.end_date))
    assert fc2.unseen_levels == {"type": "秒杀"} and np.isfinite(fc2.revenue.mean)


def test_partial_outcomes(table):
    m = CampaignResponseModel().fit(table[["campaign_id", "type", "channel", "start_date",
                                           "end_date", "spend", "revenue"]])
    assert m.outcomes_ == ("revenue",)
    fc = m.predict(PLAN)
    assert fc.cac is None and fc.new_users is None and fc.roi is not None


@pytest.mark.parametrize("start, end, expected", [
    ("2024-06-10", "2024-06-12", True), ("2024-08-01", "2024-08-10", False),
    ("2024-06-19", "2024-06-25", False), ("2024-12-05", "2024-12-06", True),  # 618 over; 12.12
    ("2024-11-11", "2024-11-20", True), ("2024-02-05", "2024-02-06", True),  # CNY 2024-02-10
    ("2024-03-10", "2024-03-20", False), ("2023-12-20", "2024-01-05", False)])
def test_festival_overlap(start, end, expected):
    assert festival_overlap(start, end) is expected


def test_locale_files_cover_every_code():
    folder = LOCALES
    en = json.loads((folder / "campaigns.en.json").read_text(encoding="utf-8"))
    zh = json.loads((folder / "campaigns.zh.json").read_text(encoding="utf-8"))
    assert set(en) == set(zh) and all(k.startswith("campaigns.") for k in en)
    source = Path(cm.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'"(campaigns\.[a-z_.]+)"', source))
    codes |= {f"campaigns.unseen_{f}" for f in cm.FACTORS}
    assert codes and codes <= set(en)
    for key in en:  # same placeholders in both languages
        assert set(re.findall(r"{(\w+)}", en[key])) == set(re.findall(r"{(\w+)}", zh[key])), key
