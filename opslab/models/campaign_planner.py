"""Planning campaigns with a fitted :class:`~opslab.models.campaigns.CampaignResponseModel`:
the verdict on one plan (break-even and the most profitable spend), its effect on a KPI
forecast, and a budget split across channels.

Break-even is where expected revenue equals spend (ROI 1:1). With a concave response
(revenue elasticity ``b < 1``) revenue / spend falls as spend grows, so every spend below
break-even earns more than it costs and every spend above it loses; the most profitable
spend is where one more yuan of spend returns exactly one yuan of revenue (marginal ROI 1).

:func:`campaign_effect` is the one place that turns a plan into KPI units per period: the
planner's headline and the forecast with the plan both read it, so they cannot disagree.

Example
-------
>>> model = CampaignResponseModel().fit(campaigns)              # doctest: +SKIP
>>> plan_readout(model, CampaignPlan(5e4, "满减", "抖音", "2024-06-01", "2024-06-18")).verdict
... # doctest: +SKIP
'profitable'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from opslab.core import periods
from opslab.models.campaigns import Accuracy, CampaignPlan, CampaignResponseModel, PlanForecast
from opslab.core.problems import OpsLabError

#: forecast KPI -> the campaign outcome that adds to it
KPI_OUTCOME = {"gmv": "revenue", "new_users": "new_users", "orders": "conversions"}
_SPEND_RANGE = (1e-2, 1e12)


@dataclass(frozen=True)
class PlanReadout:
    """One plan's forecast and what it means for money.

    ``verdict``: ``"profitable"`` (expected revenue above spend, spend near the best),
    ``"spend_less"`` (profitable, but the best spend is well below the plan),
    ``"loss"`` (expected revenue below spend) or ``"unknown"`` (no revenue model, or
    revenue does not show diminishing returns so no finite best spend exists).
    ``profit`` = expected revenue - spend. ``accuracy`` is the revenue model's leave-one-out
    accuracy (None without a revenue model).
    """

    forecast: PlanForecast
    verdict: str
    profit: float | None
    break_even_spend: float | None
    best_spend: float | None
    best_profit: float | None
    accuracy: Accuracy | None


def _revenue(model: CampaignResponseModel, plan: CampaignPlan, spend) -> np.ndarray:
    return model.expected_outcome(plan, "revenue", np.atleast_1d(np.asarray(spend, float)))


def break_even_spend(model: CampaignResponseModel, plan: CampaignPlan) -> float | None:
    """The spend at which expected revenue equals spend (None when there is none in range).

    Solved on ``log(revenue(s)) - log(s)``, which falls once revenue is positive when the
    revenue elasticity is below 1.
    """
    if "revenue" not in model.fits_ or model.elasticity_["revenue"].estimate >= 1:
        return None

    def gap(log_s):
        s = np.exp(log_s)
        return float(np.log(max(_revenue(model, plan, s)[0], 1e-300)) - log_s)

    return _falling_root(gap)


def _falling_root(fn) -> float | None:
    """The spend where ``fn`` (of log spend) crosses zero going down after its peak on a log
    grid over :data:`_SPEND_RANGE` (tiny spends earn nothing once the model's "-1" of
    ``log1p`` bites, so the curves rise before they fall); None when it never gets above 0."""
    grid = np.linspace(np.log(_SPEND_RANGE[0]), np.log(_SPEND_RANGE[1]), 141)
    values = np.array([fn(g) for g in grid])
    peak = int(np.argmax(values))
    after = np.flatnonzero(values[peak:] < 0)
    if values[peak] <= 0 or len(after) == 0:
        return None
    j = peak + int(after[0])
    return float(np.exp(brentq(fn, grid[j - 1], grid[j], xtol=1e-12)))


def best_spend(model: CampaignResponseModel, plan: CampaignPlan) -> float | None:
    """The spend that maximises expected revenue - spend (marginal ROI = 1), or None."""
    if "revenue" not in model.fits_ or model.elasticity_["revenue"].estimate >= 1:
        return None

    def marginal(log_s):  # d revenue / d spend - 1, by a central difference in log spend
        s, eps = np.exp(log_s), 1e-5
        up, down = _revenue(model, plan, [s * np.exp(eps), s * np.exp(-eps)])
        return float((up - down) / (s * (np.exp(eps) - np.exp(-eps))) - 1.0)

    return _falling_root(marginal)


def plan_readout(model: CampaignResponseModel, plan: CampaignPlan,
                 spend_less_below: float = 0.8) -> PlanReadout:
    """Forecast of ``plan``, its verdict, break-even spend and most profitable spend.

    ``"spend_less"`` is advised when the most profitable spend is below ``spend_less_below``
    times the planned spend.
    """
    fc = model.predict(plan)
    if "revenue" not in model.fits_:
        return PlanReadout(fc, "unknown", None, None, None, None, None)
    profit = fc.revenue.mean - float(plan.spend)
    even, best = break_even_spend(model, plan), best_spend(model, plan)
    best_profit = None if best is None else float(_revenue(model, plan, best)[0] - best)
    if profit < 0:
        verdict = "loss"
    elif best is None:
        verdict = "unknown"
    elif best < spend_less_below * float(plan.spend):
        verdict = "spend_less"
    else:
        verdict = "profitable"
    return PlanReadout(fc, verdict, float(profit), even, best, best_profit,
                       model.accuracy_.get("revenue"))


def typical_spend(campaigns: pd.DataFrame | None, default: float = 50_000.0) -> float:
    """The median spend of the past campaigns, rounded to 2 significant digits (the planner's
    starting plan), or ``default`` without usable campaigns.

    >>> typical_spend(pd.DataFrame({"spend": [1_230.0, 2_290.0, 5_000.0]}))
    2300.0
    """
    spend = (pd.to_numeric(campaigns["spend"], errors="coerce") if campaigns is not None
             and "spend" in campaigns else pd.Series(dtype=float))
    spend = spend[spend > 0]
    if spend.empty:
        return float(default)
    median = float(spend.median())
    return float(round(median, 1 - int(np.floor(np.log10(median)))))


def campaign_effect(model: CampaignResponseModel, plan: CampaignPlan, index, grain: str,
                    kpi: str = "gmv") -> pd.Series:
    """What ``plan`` adds to ``kpi`` in each period of ``index`` (labels of ``grain``).

    The plan's expected outcome (:meth:`CampaignResponseModel.predict` mean: revenue for GMV,
    new users, conversions for orders) is spread evenly over its days and summed per period;
    days outside ``index`` are dropped. Zeros for a KPI without a campaign outcome.

    >>> class Flat:  # a stand-in model: 700 of revenue over a week
    ...     fits_ = {"revenue": None}
    ...     def predict(self, plan):
    ...         return type("F", (), {"outcomes": {"revenue": type("E", (), {"mean": 700.0})}})
    >>> idx = pd.date_range("2024-06-03", periods=2, freq="W-MON")
    >>> plan = CampaignPlan(1e3, "满减", "抖音", "2024-06-06", "2024-06-12")
    >>> campaign_effect(Flat(), plan, idx, "week").tolist()
    [400.0, 300.0]
    """
    index = pd.DatetimeIndex(index)
    outcome = KPI_OUTCOME.get(kpi)
    if outcome is None or outcome not in model.fits_ or len(index) == 0:
        return pd.Series(0.0, index=index, name=kpi)
    total = float(model.predict(plan).outcomes[outcome].mean)
    days = pd.date_range(pd.Timestamp(plan.start_date).normalize(),
                         pd.Timestamp(plan.end_date).normalize(), freq="D")
    per_day = pd.Series(total / len(days), index=days)
    per_period = per_day.groupby(periods.period_starts(days, grain)).sum()
    return per_period.reindex(index, fill_value=0.0).rename(kpi).astype(float)


def optimise_budget(model: CampaignResponseModel, total_budget: float, channels: list[str],
                    type: str, start_date, end_date, min_share: float = 0.0,
                    step: float | None = None) -> pd.DataFrame:
    """Split up to ``total_budget`` across ``channels`` to maximise expected profit.

    Each channel first gets ``min_share * total_budget``; the rest goes out in equal steps
    (default 1/400 of it), each to the channel whose plug-in expected revenue rises most,
    and only while that rise pays for the step (marginal ROI >= 1): money that would earn
    less than it costs stays unspent. With a concave response this greedy allocation is
    optimal on the step grid and equalises marginal returns across funded channels.

    Returns one row per channel (``kind="channel"``: channel, spend, share of the budget,
    expected_revenue, roi, marginal_roi, equal_spend, equal_expected_revenue, unseen), an
    ``"unspent"`` row (channel None) and a ``"total"`` row (channel None, ``is_total``).
    """
    if "revenue" not in getattr(model, "fits_", {}):
        raise OpsLabError("campaigns.no_revenue")
    channels = list(dict.fromkeys(channels))
    k = len(channels)
    if k == 0 or total_budget <= 0 or not 0 <= min_share * k <= 1:
        raise ValueError("need channels, a positive budget and min_share * channels <= 1")
    floor = min_share * total_budget
    rest = total_budget - floor * k
    n_steps = max(1, int(round(rest / step))) if step else 400
    step = rest / n_steps
    plans = [CampaignPlan(total_budget / k, type, ch, start_date, end_date) for ch in channels]
    grid = floor + step * np.arange(n_steps + 1)

    def revenue(plan, spends):  # no spend, no campaign, no revenue
        spends = np.asarray(spends, float)
        pos = np.where(spends > 0, spends, 1.0)
        return np.where(spends > 0, model.expected_outcome(plan, "revenue", pos), 0.0)

    curves = [revenue(p, grid) for p in plans]
    taken = np.zeros(k, int)
    for _ in range(n_steps):
        gains = [c[j + 1] - c[j] if j < n_steps else -np.inf for c, j in zip(curves, taken)]
        best = int(np.argmax(gains))
        if gains[best] < step:  # the next step would return less than it costs
            break
        taken[best] += 1
    spend = grid[taken]
    exp_rev = np.array([c[j] for c, j in zip(curves, taken)])
    eq = np.full(k, total_budget / k)
    eq_rev = np.array([revenue(p, eq[:1])[0] for p in plans])
    h = 1e-3 * total_budget / k  # central difference (one-sided at zero spend)
    marginal = np.array([np.diff(revenue(p, [max(s - h, 0), s + h]))[0] / (s + h - max(s - h, 0))
                         for p, s in zip(plans, spend)])
    unseen = [ch not in model.levels_["channel"] for ch in channels]
    roi = exp_rev / np.where(spend > 0, spend, np.nan)
    rows = pd.DataFrame({"kind": "channel", "channel": channels, "spend": spend,
                         "share": spend / total_budget, "expected_revenue": exp_rev, "roi": roi,
                         "marginal_roi": marginal, "equal_spend": eq,
                         "equal_expected_revenue": eq_rev, "unseen": unseen})
    unspent = total_budget - spend.sum()
    extra = pd.DataFrame([
        {"kind": "unspent", "channel": None, "spend": unspent, "share": unspent / total_budget,
         "expected_revenue": 0.0, "roi": np.nan, "marginal_roi": np.nan, "equal_spend": np.nan,
         "equal_expected_revenue": np.nan, "unseen": False},
        {"kind": "total", "channel": None, "spend": spend.sum(), "share": spend.sum() / total_budget,
         "expected_revenue": exp_rev.sum(),
         "roi": exp_rev.sum() / spend.sum() if spend.sum() > 0 else np.nan,
         "marginal_roi": np.nan, "equal_spend": total_budget,
         "equal_expected_revenue": eq_rev.sum(), "unseen": any(unseen)}])
    out = pd.concat([rows, extra], ignore_index=True)
    out["is_total"] = out["kind"] == "total"
    return out
