"""The simulation: campaigns with spend and diminishing returns, users with channel, city and
latent traits, then a loop over days with numpy arrays over users (engagement drifts, users
slide towards churn, go dormant, wake up, buy); :func:`generate` is the entry point."""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.synth.seasons import campaign_plan, day_multipliers
from opslab.synth.tables import SynthData, assemble
from opslab.synth.world import (CHANNEL_REACH, CHANNELS, CITY_TIERS, SPEND_ELASTICITY, TYPE_EFFECT,
                                SynthConfig)


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
    act_f, buy_f, sign_f, basket_f = day_multipliers(days)
    scale = N / 3000.0

    # -- campaigns: spend, then outcome targets with diminishing returns ------------------
    plan = campaign_plan(days, rng)
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
    data = assemble(rng, start, sday, uch, ucity, cities, level, basket_f,
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
