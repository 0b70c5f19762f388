"""The simulated world of :mod:`opslab.synth`: what to generate (:class:`SynthConfig`) and the
parameters of the market it plays in: event names, acquisition channels, city tiers, campaign
types and reach, the hours people shop, and the planted A/B test.

>>> SynthConfig().n_users, round(sum(v[0] for v in CHANNELS.values()), 2)
(3000, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EVENT_NAMES = ("visit", "search", "view", "add_to_cart", "purchase", "share", "checkout")
#: The planted A/B test (新版结算页, one-tap checkout): in the last EXPERIMENT_DAYS days half the
#: users see it; an abandoned checkout is rescued into a purchase with probability RESCUE, and a
#: session that only viewed products buys straight away with probability DIRECT.
EXPERIMENT_DAYS, CHECKOUT_ABANDON, RESCUE, DIRECT = 42, 0.6, 0.8, 0.08
VARIANTS = ("control", "new_checkout")
#: acquisition channel -> (share of organic signups, base-activity x, churn-hazard x)
CHANNELS = {"应用商店": (0.20, 1.0, 1.0), "抖音": (0.20, 0.85, 1.35), "微信": (0.17, 1.05, 0.9),
            "小红书": (0.08, 1.0, 1.1), "快手": (0.07, 0.85, 1.3), "搜索": (0.10, 1.0, 1.0),
            "自然流量": (0.12, 1.1, 0.85), "老带新": (0.06, 1.3, 0.7)}
#: city tier -> (cities, share of users, spend-level multiplier)
CITY_TIERS = {
    1: ("北京 上海 广州 深圳", 0.24, 1.35),
    2: ("杭州 成都 重庆 武汉 西安 南京 苏州 天津 长沙 郑州 东莞 青岛 沈阳 宁波 昆明", 0.34, 1.1),
    3: ("合肥 佛山 福州 厦门 济南 无锡 大连 哈尔滨 温州 石家庄 南宁 长春 泉州 贵阳 南昌", 0.24, 1.0),
    4: ("洛阳 徐州 赣州 桂林 绵阳 岳阳 湛江 九江 潍坊 襄阳 保定 汕头", 0.18, 0.85),
}
#: campaign type -> (new-user multiplier, conversion multiplier, activity bump)
TYPE_EFFECT = {"满减": (0.15, 1.3, 0.05), "优惠券": (0.2, 1.0, 0.03), "拉新": (1.0, 0.45, 0.02),
               "召回": (0.0, 0.7, 0.05), "会员日": (0.05, 1.2, 0.08), "直播": (0.35, 1.1, 0.1)}
#: campaign channel -> new-user multiplier (owned channels acquire nobody)
CHANNEL_REACH = {"抖音": 1.2, "微信": 1.0, "小红书": 0.9, "快手": 1.0, "搜索": 0.8,
                 "应用商店": 0.9, "老带新": 0.7, "站内": 0.0, "短信": 0.0}
HOUR_WEIGHTS = np.array([1.2, .7, .4, .3, .3, .5, 1.2, 2.2, 3, 3.2, 3.3, 3.5, 4.2, 4, 3.4, 3.3,
                         3.4, 3.6, 4.2, 5.2, 6.3, 6.8, 5.6, 3])
SPEND_ELASTICITY = 0.6        # campaign outcomes ~ a * spend**0.6


@dataclass(frozen=True)
class SynthConfig:
    """What to generate: ``n_users`` over ``months`` months from ``start`` (inclusive)."""

    n_users: int = 3000
    start: str = "2025-08-01"
    months: int = 15
    seed: int = 7
    #: x the purchase propensity (below 1: a few percent of new users pay, as in a big app)
    buy_scale: float = 1.0
    #: x every user's spend level (basket size)
    spend_scale: float = 1.0
    #: when set, campaign budgets are the ones that returned about this ROI (revenue / spend)
    #: on the realised revenue, the largest acquisition campaign excepted (it loses money)
    campaign_roi: float | None = None


def users_for_events(n_events: int, months: int = SynthConfig.months) -> int:
    """About how many users yield ``n_events`` events over ``months`` (other settings default).

    Events per user grow like ``8 * months**0.53`` (signups spread over the window), which was
    measured on this generator; expect about 10 % either way.

    >>> users_for_events(10_000_000)
    297565
    """
    return max(20, int(round(n_events / (8.0 * months ** 0.53))))
