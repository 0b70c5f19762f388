"""The ``checkout`` funnel step and the planted A/B test (新版结算页, one-tap checkout), added to
the simulated sessions from their own random generator so everything else stays as it was."""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.synth.world import CHECKOUT_ABANDON, DIRECT, EXPERIMENT_DAYS, RESCUE


def checkout_and_experiment(start, C, sb, sd, su, sess, first, ev_t, day_end, T,
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
