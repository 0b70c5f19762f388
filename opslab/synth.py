"""Seeded, vectorised generator of a realistic product-operations data set (DESIGN.md §2).

A Chinese e-commerce app: users sign up through channels (抖音, 微信, ...) in tiered cities,
live through a latent engagement that drifts day by day, buy with a heterogeneous spend level,
and react to the calendar (weekends, 春节, 618, 双11, 双12) and to campaigns. The simulation
loops over days with numpy arrays over users, so 10M events take seconds, not minutes. The
structure the analyses should find is documented in ``sample_data/README.md``.

Example
-------
>>> data = generate(SynthConfig(n_users=200, months=2, seed=1))
>>> sorted(data.events["event_name"].unique())[:3]
['add_to_cart', 'checkout', 'purchase']
>>> bool(data.orders["user_id"].isin(data.users["user_id"]).all())
True
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from opslab.calendar_cn import spring_festival  # 春节: the project's one calendar
import pyarrow as pa
import pyarrow.csv as pacsv

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


@dataclass
class SynthData:
    """The four canonical tables (see :mod:`opslab.schema`)."""

    users: pd.DataFrame
    events: pd.DataFrame
    orders: pd.DataFrame
    campaigns: pd.DataFrame
    assignments: pd.DataFrame | None = None   # the planted A/B test: user_id, variant, time

    def write_csv(self, out_dir) -> dict[str, Path]:
        """Write ``<table>.csv`` (UTF-8, header row, ``2025-08-01 13:05:22`` times, 2-decimal money).

        Example
        -------
        >>> import tempfile
        >>> paths = generate(SynthConfig(n_users=50, months=1)).write_csv(tempfile.mkdtemp())
        >>> sorted(paths)
        ['assignments', 'campaigns', 'events', 'orders', 'users']
        """

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        as_type = {"datetime64[us]": pa.timestamp("s"), "float64": pa.decimal128(16, 2)}
        counts = {"participants", "new_users", "conversions"}
        paths = {}
        for name in ("users", "events", "orders", "campaigns", "assignments"):
            df = getattr(self, name)
            if df is None:
                continue
            table = pa.Table.from_pandas(df, preserve_index=False)
            for i, col in enumerate(df.columns):
                kind = str(df[col].dtype)
                target = (pa.date32() if col.endswith("_date") else pa.int64() if col in counts
                          else as_type.get(kind))
                if target is not None:
                    values = df[col].round(2) if kind == "float64" else df[col]
                    arr = pa.array(values.to_numpy()).cast(target, safe=False)
                    table = table.set_column(i, col, arr)
            paths[name] = out / f"{name}.csv"
            with open(paths[name], "wb") as fh:     # Arrow would quote the header names
                fh.write((",".join(df.columns) + "\n").encode("utf-8"))
                # generated text never holds commas, quotes or newlines, so no quoting needed
                pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False,
                                                              quoting_style="none"))
        return paths


def users_for_events(n_events: int, months: int = SynthConfig.months) -> int:
    """About how many users yield ``n_events`` events over ``months`` (other settings default).

    Events per user grow like ``8 * months**0.53`` (signups spread over the window), which was
    measured on this generator; expect about 10 % either way.

    >>> users_for_events(10_000_000)
    297565
    """
    return max(20, int(round(n_events / (8.0 * months ** 0.53))))


def _calendar(days: pd.DatetimeIndex):
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


def _campaign_plan(days: pd.DatetimeIndex, rng) -> list[tuple]:
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


def generate(config: SynthConfig = SynthConfig()) -> SynthData:
    """Simulate users, events, orders and campaigns for ``config``.

    Example
    -------
    >>> d = generate(SynthConfig(n_users=100, months=1))
    >>> len(d.users)
    100
    """
    rng = np.random.default_rng(config.seed)
    start = pd.Timestamp(config.start).normalize()
    days = pd.date_range(start, start + pd.DateOffset(months=config.months), inclusive="left")
    T, N = len(days), int(config.n_users)
    act_f, buy_f, sign_f, basket_f = _calendar(days)
    scale = N / 3000.0

    # -- campaigns: spend, then outcome targets with diminishing returns ------------------
    plan = _campaign_plan(days, rng)
    K = len(plan)
    c_first = np.array([(p[3] - start).days for p in plan], dtype=int)
    c_last = np.array([(p[4] - start).days for p in plan], dtype=int)
    c_type = [p[1] for p in plan]
    spend = np.round(2500 * scale * np.array([p[5] for p in plan]) * rng.lognormal(0, .75, K), -1)
    spend = np.maximum(spend, 50.0)
    power = scale ** (1 - SPEND_ELASTICITY) * spend ** SPEND_ELASTICITY
    nu_mult = np.array([TYPE_EFFECT[p[1]][0] * CHANNEL_REACH[p[2]] for p in plan])
    new_target = 0.244 * power * nu_mult * rng.lognormal(0, .25, K)
    conv_target = 0.174 * power * np.array([TYPE_EFFECT[t][1] for t in c_type]) * rng.lognormal(0, .25, K)
    n_pre = int(round(0.2 * N))
    n_new = N - n_pre                                # 20 % registered before the window
    new_target *= min(1.0, 0.45 * n_new / max(new_target.sum(), 1e-9))
    c_new = rng.poisson(new_target)
    if c_new.sum() > n_new:                       # only for toy sizes
        c_new = (c_new * n_new // c_new.sum()).astype(int)

    # -- users: signup day, channel, city, latent traits -----------------------------------
    grow = 1 + 0.6 * np.arange(T) / max(T - 1, 1)
    organic = rng.multinomial(n_new - c_new.sum(), sign_f * grow / (sign_f * grow).sum())
    ch_names = list(CHANNELS)
    ch_p = np.array([v[0] for v in CHANNELS.values()])
    sday = np.concatenate([-rng.integers(1, 366, n_pre), np.repeat(np.arange(T), organic)]
                          + [rng.integers(c_first[k], c_last[k] + 1, c_new[k]) for k in range(K)])
    chan_of = {name: i for i, name in enumerate(ch_names)}
    uch = np.concatenate([rng.choice(len(ch_names), n_pre + organic.sum(), p=ch_p)]
                         + [np.full(c_new[k], chan_of.get(plan[k][2], 0)) for k in range(K)])
    order = np.argsort(sday, kind="stable")
    sday, uch = sday[order], uch[order]
    cities = [(c, tier) for tier, (names, _, _) in CITY_TIERS.items() for c in names.split()]
    city_p = np.array([CITY_TIERS[t][1] / len(CITY_TIERS[t][0].split()) for _, t in cities])
    ucity = rng.choice(len(cities), N, p=city_p / city_p.sum())
    tier_spend = np.array([CITY_TIERS[t][2] for _, t in cities])[ucity]
    base = np.clip(rng.lognormal(np.log(.065), .7, N) * np.array([v[1] for v in CHANNELS.values()])[uch], .01, .8)
    hz_mult = np.array([v[2] for v in CHANNELS.values()])[uch]
    whale = rng.random(N) < 0.05
    q0 = np.clip(rng.lognormal(np.log(.05), .8, N) * np.where(whale, 3, 1), 0, .6)
    level = rng.lognormal(np.log(90), .6, N) * tier_spend * np.where(whale, 2.5, 1) * config.spend_scale
    q0 = q0 * config.buy_scale
    silent = (rng.random(N) < 0.25) & (sday >= 0)
    # state: 0 not yet signed up, 1 alive, 2 declining towards churn, 3 dormant, 4 never back
    state = np.where(sday < 0, np.where(rng.random(N) < 0.45, 3, 1), 0).astype(np.int8)
    w = np.where(sday < 0, rng.normal(0, .45, N), 0.0)
    dleft, dlen = np.zeros(N, dtype=np.int16), np.ones(N, dtype=np.int16)

    # -- day loop: numpy over users --------------------------------------------------------
    c_bump = np.array([TYPE_EFFECT[t][2] for t in c_type])
    recall = np.array([t == "召回" for t in c_type])
    rec_day, rec_user, rec_buy, rec_camp = [], [], [], []
    for t in range(T):
        live = (c_first <= t) & (c_last >= t)
        lo, hi = np.searchsorted(sday, [t, t + 1])
        s, wv, age = state[:hi], w[:hi], t - sday[:hi]
        # engagement drifts (mean-reverting); frozen once the slide towards churn has begun
        wv += np.where(s == 2, 0.0, -0.04 * wv + 0.13 * rng.standard_normal(hi))
        u = rng.random(hi)
        alive = s == 1
        churn = alive & (age > 0) & (u < hz_mult[:hi] / 110 * np.exp(-1.5 * wv))
        n_c = int(churn.sum())
        dlen[:hi][churn] = dleft[:hi][churn] = rng.integers(14, 29, n_c)
        s[churn] = 2
        dec = s == 2
        dleft[:hi][dec] -= 1
        s[dec & (dleft[:hi] <= 0)] = 3
        wake = (s == 3) & (u < (1 / 1500) * (1 + 6 * recall[live].any()))
        s[wake], wv[wake] = 1, 0.3                 # back, and keen for a while
        on = (s == 1) | (s == 2)
        p = base[:hi] * np.exp(wv) * act_f[t] * (1 + 1.5 * np.exp(-age / 7)) * (1 + c_bump[live].sum())
        p = np.where(s == 2, p * (.35 + .45 * dleft[:hi] / dlen[:hi]), p)     # fading out
        active = on & (rng.random(hi) < np.minimum(p, .95))
        active[lo:hi] = True                         # the signup day is always active
        s[lo:hi] = np.where(silent[lo:hi], 4, 1)
        idx = np.flatnonzero(active)
        qa = np.minimum(q0[idx] * np.exp(.5 * wv[idx]) * buy_f[t], .6)
        boost = conv_target[live] / (c_last[live] - c_first[live] + 1) / max(qa.sum(), 1e-9)
        B = boost.sum()
        if B > 4:
            boost, B = boost * 4 / B, 4.0
        buy = rng.random(len(idx)) < np.minimum(qa * (1 + B), .9)
        camp = np.full(len(idx), -1, dtype=np.int32)
        if B > 0:
            att = buy & (rng.random(len(idx)) < B / (1 + B))
            camp[att] = np.flatnonzero(live)[rng.choice(len(boost), int(att.sum()), p=boost / B)]
        rec_day.append(np.full(len(idx), t, dtype=np.int32))
        rec_user.append(idx.astype(np.int32))
        rec_buy.append(buy)
        rec_camp.append(camp)
    sd, su = np.concatenate(rec_day), np.concatenate(rec_user)
    sb, sc = np.concatenate(rec_buy), np.concatenate(rec_camp)
    data = _assemble(rng, start, sday, uch, ucity, cities, level, basket_f,
                     sd, su, sb, sc, plan, spend, c_new, config.buy_scale)
    if config.campaign_roi is not None:
        data.campaigns["spend"] = _budgets_for_roi(data.campaigns, config.campaign_roi,
                                                   np.random.default_rng([config.seed, 31]))
    return data


def _budgets_for_roi(campaigns: pd.DataFrame, roi: float, rng) -> np.ndarray:
    """Budgets that returned about ``roi`` on each campaign's realised revenue (log-normal
    spread), except the acquisition campaign with the most new users, which returned about
    a fifth of that (a loss-maker, as every real calendar has)."""
    rev = campaigns["revenue"].to_numpy(float)
    achieved = roi * rng.lognormal(0, 0.3, len(rev))
    acq = np.flatnonzero(campaigns["type"].to_numpy() == "拉新")
    if len(acq):
        achieved[acq[np.argmax(campaigns["new_users"].to_numpy()[acq])]] = roi / 5
    return np.maximum(np.round(rev / achieved, -1), 50.0)


def _assemble(rng, start, sday, uch, ucity, cities, level, basket_f,
              sd, su, sb, sc, plan, spend, c_new, direct_scale: float = 1.0) -> SynthData:
    """Turn the active user-days into the four tables (sessions -> events, orders)."""
    A, N = len(sd), len(sday)
    # events per session, in the order they happen: visit, search, view, cart, purchase, share
    C = np.empty((A, 6), dtype=np.int64)
    C[:, 0] = 1
    C[:, 1] = rng.poisson(.3, A)
    C[:, 2] = 1 + rng.poisson(.8, A) + sb
    C[:, 3] = np.where(sb, 1 + (rng.random(A) < .3), rng.random(A) < .1)
    C[:, 4] = sb
    C[:, 5] = rng.random(A) < .05
    n_ev = C.sum(1)
    t0 = int(start.timestamp())                      # epoch seconds of the naive wall clock
    hp = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
    sess = t0 + sd.astype(np.int64) * 86400 + rng.choice(24, A, p=hp) * 3600 + rng.integers(0, 3600, A)
    first = np.cumsum(n_ev) - n_ev
    sess_of = np.repeat(np.arange(A), n_ev)
    gaps = rng.exponential(45, len(sess_of)).astype(np.int64) + 1
    gaps[first] = 0
    cum = np.cumsum(gaps)
    day_end = t0 + sd.astype(np.int64) * 86400 + 86399
    ev_t = np.minimum(sess[sess_of] + cum - cum[first][sess_of], day_end[sess_of])
    ev_name = np.repeat(np.tile(np.arange(6, dtype=np.int8), A), C.ravel())
    x = _checkout_and_experiment(start, C, sb, sd, su, sess, first, ev_t, day_end, len(basket_f), direct_scale)
    ev_user = np.concatenate([su[sess_of], x["ev_user"]])
    ev_name = np.concatenate([ev_name, x["ev_name"]])
    key = np.concatenate([2.0 * np.arange(len(ev_t)), x["ev_key"]])
    ev_t = np.concatenate([ev_t, x["ev_t"]])
    o = np.lexsort((key, ev_t))                       # time, then the order within the session
    width = max(6, len(str(N)))
    uid = [f"U{i + 1:0{width}d}" for i in range(N)]
    events = pd.DataFrame({"user_id": _labels(uid, ev_user[o]), "event_time": _ts(ev_t[o]),
                           "event_name": _labels(EVENT_NAMES, ev_name[o])})

    # orders: one per buying session, at the purchase event's second
    bs = np.flatnonzero(sb)
    o_t = ev_t[first[bs] + C[bs, :4].sum(1)]
    amount = np.maximum(np.round(level[su[bs]] * rng.lognormal(0, .45, len(bs))
                                 * basket_f[sd[bs]], 2), 1.0)
    refunded = rng.random(len(bs)) < 0.04
    xs = x["order_sess"]                              # purchases rescued by the new checkout
    xr = np.random.default_rng([int(start.timestamp()), 14, len(xs)])
    all_t = np.concatenate([o_t, x["order_t"]])
    all_u = np.concatenate([su[bs], su[xs]])
    amount = np.concatenate([amount, np.maximum(np.round(level[su[xs]] * xr.lognormal(0, .45, len(xs))
                                                         * basket_f[sd[xs]], 2), 1.0)])
    refunded = np.concatenate([refunded, xr.random(len(xs)) < 0.04])
    oo = np.argsort(all_t, kind="stable")
    ch_names = list(CHANNELS)
    orders = pd.DataFrame({
        "order_id": pd.array([f"O{i + 1:08d}" for i in range(len(all_t))], dtype="str"),
        "user_id": _labels(uid, all_u[oo]), "order_time": _ts(all_t[oo]), "amount": amount[oo],
        "status": _labels(["paid", "refunded"], refunded[oo].astype(np.int8)),
        "channel": _labels(ch_names, uch[all_u[oo]])})
    assignments = pd.DataFrame({"user_id": _labels(uid, x["asg_user"]),
                                "variant": _labels(VARIANTS, x["asg_variant"]),
                                "time": _ts(x["asg_time"])})

    # signup time: shortly before the first session of the signup day (pre-existing: any hour)
    seen, first_rec = np.unique(su, return_index=True)
    signup = t0 + sday.astype(np.int64) * 86400 + rng.choice(24, N, p=hp) * 3600 + rng.integers(0, 3600, N)
    new = sday[seen] >= 0
    day0 = t0 + sday[seen[new]].astype(np.int64) * 86400
    signup[seen[new]] = np.maximum(sess[first_rec[new]] - rng.integers(5, 600, new.sum()), day0)
    users = pd.DataFrame({
        "user_id": pd.array(uid, dtype="str"), "signup_time": _ts(signup),
        "channel": _labels(ch_names, uch), "city": _labels([c for c, _ in cities], ucity)})

    # campaigns: outcomes as realised in the simulation (so they match the visible lift)
    K = len(plan)
    att = sc[bs] >= 0
    conv = np.bincount(sc[bs][att], minlength=K).astype(float)
    nb = len(bs)                                     # the rescued orders belong to no campaign
    rev = np.bincount(sc[bs][att], weights=np.where(refunded[:nb][att], 0, amount[:nb][att]), minlength=K)
    reach = rng.uniform(3, 8, K)
    campaigns = pd.DataFrame({
        "campaign_id": pd.array([f"C{i + 1:03d}" for i in range(K)], dtype="str"),
        "name": pd.array([p[0] for p in plan], dtype="str"),
        "type": pd.array([p[1] for p in plan], dtype="str"),
        "channel": pd.array([p[2] for p in plan], dtype="str"),
        "start_date": pd.to_datetime([p[3] for p in plan]).astype("datetime64[us]"),
        "end_date": pd.to_datetime([p[4] for p in plan]).astype("datetime64[us]"),
        "spend": spend.astype(float),
        "participants": np.round(c_new + conv * (1 + reach)).astype(float),
        "new_users": c_new.astype(float),
        "conversions": conv,
        "revenue": np.round(rev, 2)})
    return SynthData(users=users, events=events, orders=orders, campaigns=campaigns,
                     assignments=assignments)


def _checkout_and_experiment(start, C, sb, sd, su, sess, first, ev_t, day_end, T,
                             direct_scale: float = 1.0) -> dict:
    """The ``checkout`` funnel step and the planted A/B test, drawn from their own generator so
    that everything else in the data set stays as it was.

    Every buying session checks out just before paying; a session that carted without buying
    reaches checkout with probability ``CHECKOUT_ABANDON`` (and abandons it). Users active in
    the last ``EXPERIMENT_DAYS`` days are split 50/50 at their first session there; for
    ``new_checkout`` users, an abandoned checkout after exposure becomes a purchase with
    probability ``RESCUE`` and a browsing-only session buys with probability ``DIRECT`` (the
    planted effect: more buyers, more orders, more revenue per user).
    """
    xr = np.random.default_rng([int(start.timestamp()), 14])
    cart_last = first + C[:, :4].sum(1) - 1           # index of the session's last cart event
    paid = np.flatnonzero(sb)
    abandon = np.flatnonzero((C[:, 3] > 0) & ~sb & (xr.random(len(sb)) < CHECKOUT_ABANDON))
    ab_t = np.minimum(ev_t[cart_last[abandon]] + 1 + xr.exponential(40, len(abandon)).astype(np.int64),
                      day_end[abandon])
    # the experiment: exposure at the first session in the window
    d0 = T - EXPERIMENT_DAYS
    in_win = np.flatnonzero(sd >= d0)
    users, at = np.unique(su[in_win], return_index=True)   # sessions are in day order
    variant = (xr.random(len(users)) < 0.5).astype(np.int8)
    exposure = np.full(int(su.max()) + 1 if len(su) else 0, np.iinfo(np.int64).max)
    treated = np.zeros(len(exposure), dtype=bool)
    exposure[users] = sess[in_win[at]]
    treated[users] = variant == 1
    def after_exposure(sessions):
        return treated[su[sessions]] & (sd[sessions] >= d0) & (sess[sessions] >= exposure[su[sessions]])
    rescued = abandon[after_exposure(abandon) & (xr.random(len(abandon)) < RESCUE)]
    browse = np.flatnonzero((C[:, 3] == 0) & ~sb)
    direct = browse[after_exposure(browse) & (xr.random(len(browse)) < DIRECT * direct_scale)]
    view_last = first + C[:, :3].sum(1) - 1
    d_t = np.minimum(ev_t[view_last[direct]] + 1 + xr.exponential(30, len(direct)).astype(np.int64), day_end[direct])
    ab_of = pd.Series(np.arange(len(abandon)), index=abandon)
    r_ck = ab_t[ab_of.loc[rescued].to_numpy()] if len(rescued) else np.zeros(0, dtype=np.int64)
    new_sess = np.concatenate([rescued, direct])
    new_ck = np.concatenate([r_ck, d_t])             # checkout times (rescued: already listed)
    new_buy = np.minimum(new_ck + 5 + xr.integers(0, 55, len(new_sess)), day_end[new_sess])
    new_key = np.concatenate([2.0 * cart_last[rescued] + 1.5, 2.0 * view_last[direct] + 1.5])
    return {
        "ev_t": np.concatenate([ev_t[first[paid] + C[paid, :4].sum(1)], ab_t, d_t, new_buy]),
        "ev_user": np.concatenate([su[paid], su[abandon], su[direct], su[new_sess]]),
        "ev_name": np.concatenate([np.full(len(paid) + len(abandon) + len(direct), 6, dtype=np.int8),
                                   np.full(len(new_sess), 4, dtype=np.int8)]),
        # checkout sorts just before the purchase, or just after the last cart (view) event
        "ev_key": np.concatenate([2.0 * (first[paid] + C[paid, :4].sum(1)) - 1, 2.0 * cart_last[abandon] + 1,
                                  2.0 * view_last[direct] + 1, new_key]),
        "order_sess": new_sess, "order_t": new_buy,
        "asg_user": users, "asg_variant": variant, "asg_time": sess[in_win[at]],
    }


def _labels(names, codes: np.ndarray):
    """``names[codes]`` as a pandas ``str`` array, without creating Python strings per row."""

    taken = pa.array(list(names), type=pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))
    return pd.array(pa.chunked_array([taken]), dtype="str")


def _ts(seconds: np.ndarray) -> np.ndarray:
    return seconds.astype("datetime64[s]").astype("datetime64[us]")


def main(argv=None) -> None:
    """``python -m opslab.synth --users 3000 --out sample_data``."""
    ap = argparse.ArgumentParser(prog="python -m opslab.synth", description=__doc__.split("\n")[0])
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--users", type=int, help="number of users (default 3000)")
    size.add_argument("--events", type=int, help="approximate number of events instead")
    ap.add_argument("--out", required=True, help="output folder for the four CSV files")
    ap.add_argument("--seed", type=int, default=SynthConfig.seed)
    ap.add_argument("--start", default=SynthConfig.start, help="first day, YYYY-MM-DD")
    ap.add_argument("--months", type=int, default=SynthConfig.months)
    a = ap.parse_args(argv)
    n = users_for_events(a.events, a.months) if a.events else (a.users or SynthConfig.n_users)
    data = generate(SynthConfig(n_users=n, start=a.start, months=a.months, seed=a.seed))
    for name, path in data.write_csv(a.out).items():
        print(f"{name}\t{len(getattr(data, name))}\t{path}")


if __name__ == "__main__":
    main()
