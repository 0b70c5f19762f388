"""The calendar the simulation lives through: daily multipliers of activity, buying, signups and
basket size (weekends, 618, Double 11, 12.12, 国庆, 春节 from :mod:`opslab.core.calendar_cn`) and
the campaign plan (festival campaigns every year, monthly acquisition, live, recall and coupon
campaigns drawn at random).

>>> days = pd.date_range("2025-11-01", "2025-11-30")
>>> act, buy, sign, basket = day_multipliers(days)
>>> int(buy.argmax()) + 1  # Double 11
11
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.core.calendar_cn import spring_festival  # 春节: the project's one calendar


def day_multipliers(days: pd.DatetimeIndex):
    """Daily multipliers: activity, purchase propensity, signups, basket size."""
    n = len(days)
    dow, m, d = days.day_of_week.to_numpy(), days.month.to_numpy(), days.day.to_numpy()
    act = np.array([1.0, .97, .98, 1.0, 1.06, 1.25, 1.2])[dow]
    buy = np.array([1.0, .98, .98, 1.0, 1.05, 1.15, 1.12])[dow]
    sign = np.array([1.0, .97, .98, 1.0, 1.05, 1.18, 1.15])[dow]
    basket = np.ones(n)

    def bump(mask, a=1.0, b=1.0, s=1.0, k=1.0):
        nonlocal act, buy, sign, basket
        act, buy = act * np.where(mask, a, 1), buy * np.where(mask, b, 1)
        sign, basket = sign * np.where(mask, s, 1), basket * np.where(mask, k, 1)

    r618, r11 = np.clip((d - 1) / 17, 0, 1), np.clip((d - 1) / 10, 0, 1)
    bump((m == 6) & (d <= 18), 1 + .2 * r618, 1 + .8 * r618, 1 + .3 * r618)
    bump((m == 6) & (d == 18), 1.2, 1.25, 1.2, 1.1)
    bump((m == 11) & (d <= 11), 1 + .4 * r11, 1 + 1.5 * r11, 1 + .4 * r11)
    bump((m == 11) & (d == 11), 1.5, 2.3, 1.3, 1.25)
    bump((m == 12) & (d >= 10) & (d <= 12), 1.1, 1.3, 1.1)
    bump((m == 12) & (d == 12), 1.15, 1.5, 1.1, 1.1)
    bump((m == 10) & (d <= 7), 0.9, 0.95, 0.9)                       # 国庆 travel
    sf_act = {-3: .82, -2: .7, -1: .45, 0: .5, 1: .6, 2: .68, 3: .76, 4: .84, 5: .9, 6: .95}
    for sf in [spring_festival(y) for y in range(days[0].year - 1, days[-1].year + 2)]:
        off = (days - pd.Timestamp(sf)).days.to_numpy()
        bump((off >= -7) & (off <= -4), .93)
        for k, v in sf_act.items():
            bump(off == k, v, 1, .5 + .5 * v)
        bump((off >= -25) & (off <= -8), 1.0, 1.3)                  # 年货节 stocking up
        bump((off >= -6) & (off <= 6), 1.0, .45)                    # couriers on holiday
        bump((off >= 8) & (off <= 15), 1.06, 1.0, 1.1)              # back-to-work rebound
    return act, buy, sign, basket


def campaign_plan(days: pd.DatetimeIndex, rng) -> list[tuple]:
    """Campaign calendar: (name, type, channel, first day, last day, spend multiplier)."""
    t0, t1 = days[0], days[-1]
    plan = []

    def add(name, typ, ch, a, b, mult=1.0):       # only campaigns wholly inside the window
        a, b = pd.Timestamp(a), pd.Timestamp(b)
        if t0 <= a <= b <= t1:
            plan.append((name, typ, ch, a, b, mult))

    for y in range(t0.year, t1.year + 1):
        sf = pd.Timestamp(spring_festival(y))
        add("年货节满减", "满减", "站内", sf - pd.Timedelta(days=25), sf - pd.Timedelta(days=8), 2)
        add("春节红包雨", "拉新", "微信", sf - pd.Timedelta(days=3), sf + pd.Timedelta(days=5), 2)
        add("开工季召回", "召回", "短信", sf + pd.Timedelta(days=7), sf + pd.Timedelta(days=14))
        add("女神节满减", "满减", "站内", f"{y}-03-03", f"{y}-03-08")
        add("520直播专场", "直播", "抖音", f"{y}-05-20", f"{y}-05-20")
        add("618年中大促满减", "满减", "站内", f"{y}-06-01", f"{y}-06-18", 2.5)
        add("618直播狂欢夜", "直播", "抖音", f"{y}-06-17", f"{y}-06-18")
        add("开学季优惠券", "优惠券", "微信", f"{y}-08-25", f"{y}-09-07")
        add("国庆黄金周特惠", "优惠券", "站内", f"{y}-10-01", f"{y}-10-07")
        add("双11预热满减", "满减", "站内", f"{y}-10-20", f"{y}-11-11", 3)
        add("双11全民拉新", "拉新", "抖音", f"{y}-10-25", f"{y}-11-11", 2)
        add("双11狂欢直播", "直播", "抖音", f"{y}-11-11", f"{y}-11-11", 1.5)
        add("双12年终好价", "满减", "站内", f"{y}-12-01", f"{y}-12-12", 1.5)
    acq = ["抖音", "微信", "小红书", "快手", "搜索", "应用商店", "老带新"]
    for ms in pd.date_range(t0.replace(day=1), t1, freq="MS"):
        m = f"{ms.month}月"
        add(f"{m}会员日", "会员日", "站内", ms + pd.Timedelta(days=7), ms + pd.Timedelta(days=8))
        ch, a = acq[rng.integers(len(acq))], ms + pd.Timedelta(days=int(rng.integers(0, 18)))
        add(f"{m}老带新邀请有礼" if ch == "老带新" else f"{m}{ch}拉新投放", "拉新", ch,
            a, a + pd.Timedelta(days=int(rng.integers(6, 15))))
        for typ, chans, lo, hi, label in (("直播", ["抖音", "快手", "小红书"], 0, 2, "直播专场"),
                                          ("召回", ["短信", "微信", "站内"], 6, 14, "沉睡用户召回"),
                                          ("优惠券", ["站内", "微信"], 2, 7, "新客优惠券")):
            if rng.random() < 0.5:
                ch, a = chans[rng.integers(len(chans))], ms + pd.Timedelta(days=int(rng.integers(0, 22)))
                add(f"{m}{ch}{label}" if typ == "直播" else f"{m}{label}", typ, ch,
                    a, a + pd.Timedelta(days=int(rng.integers(lo, hi + 1))))
    plan.sort(key=lambda p: (p[3], p[4]))
    counts = pd.Series([p[0] for p in plan]).value_counts()
    return [((f"{p[3].year}年{p[0]}",) + p[1:]) if counts[p[0]] > 1 else p for p in plan]
