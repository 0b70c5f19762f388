"""From simulated sessions to the four canonical tables (:class:`SynthData`): events in session
order, orders at the purchase event's second, users with their signup time, campaigns with the
outcomes the simulation realised; and the CSV files written from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from opslab.synth.experiment import checkout_and_experiment
from opslab.synth.world import CHANNELS, EVENT_NAMES, HOUR_WEIGHTS, VARIANTS


@dataclass
class SynthData:
    """The four canonical tables (see :mod:`opslab.core.schema`)."""

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
        >>> from opslab.synth import SynthConfig, generate
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


def assemble(rng, start, sday, uch, ucity, cities, level, basket_f,
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
    x = checkout_and_experiment(start, C, sb, sd, su, sess, first, ev_t, day_end, len(basket_f), direct_scale)
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


def _labels(names, codes: np.ndarray):
    """``names[codes]`` as a pandas ``str`` array, without creating Python strings per row."""

    taken = pa.array(list(names), type=pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))
    return pd.array(pa.chunked_array([taken]), dtype="str")


def _ts(seconds: np.ndarray) -> np.ndarray:
    return seconds.astype("datetime64[s]").astype("datetime64[us]")
