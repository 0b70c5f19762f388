"""Bench: one user's story and users-behind lists (issue 24: a story under 1 s, a list under
2 s at 1 M users / 30 M events). ``python -m bench.explore --users 1000000 --events 30000000``.

Random events (4 names over 365 days) and paid orders generated with NumPy, loaded as an
in-memory Dataset; times are wall-clock medians of 2 runs after one warm-up (first use builds
the engine's tables, timed separately)."""

from __future__ import annotations

import argparse
import statistics
import time

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import opslab
from opslab.dataset.dataset import Dataset
from opslab.dataset.sources import connect


def make(n_users: int, n_events: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    t0 = np.datetime64("2025-01-01T00:00:00", "s")
    uid = rng.zipf(1.3, n_events) % n_users
    t = t0 + rng.integers(0, 365 * 86400, n_events).astype("timedelta64[s]")
    names = np.array(["open", "view", "cart", "pay"])[rng.choice(4, n_events, p=[0.4, 0.4, 0.15, 0.05])]
    events = pd.DataFrame({"user_id": pd.Series(uid).map("u{:07d}".format), "event_time": t, "event_name": names})
    pay = events[events["event_name"] == "pay"]
    orders = pd.DataFrame({"user_id": pay["user_id"].to_numpy(), "order_time": pay["event_time"].to_numpy(),
                           "amount": rng.integers(10, 900, len(pay)).astype(float)})
    return Dataset.from_tables(events=events, orders=orders)


def make_parquet(n_users: int, n_events: int, root: Path, seed: int = 0):
    """The same kind of log written straight to the canonical Parquet layout (ids and times
    built in Arrow, so 30 M events take seconds), opened with ``connect``."""
    rng = np.random.default_rng(seed)
    uid = np.minimum((rng.pareto(1.2, n_events) * n_users / 20).astype(np.int64), n_users - 1)
    uid = rng.permutation(n_users)[uid]
    ids = pc.binary_join_element_wise("u", pc.cast(pa.array(uid), pa.string()), "")
    t = (np.datetime64("2025-01-01T00:00:00", "us")
         + (rng.integers(0, 365 * 86400, n_events) * 1_000_000).astype("timedelta64[us]"))
    names = np.array(["open", "view", "cart", "pay"])[rng.choice(4, n_events, p=[0.4, 0.4, 0.15, 0.05])]
    events = pa.table({"user_id": ids, "event_time": pa.array(t), "event_name": pa.array(names)})
    (root / "events").mkdir(parents=True)
    (root / "orders").mkdir(parents=True)
    step = 5_000_000
    for i in range(0, n_events, step):
        pq.write_table(events.slice(i, step), root / "events" / f"part-{i // step:05d}.parquet")
    pay = events.filter(pc.equal(events["event_name"], "pay"))
    orders = pa.table({"user_id": pay["user_id"], "order_time": pay["event_time"],
                       "amount": pa.array(rng.integers(10, 900, len(pay)).astype(float))})
    pq.write_table(orders, root / "orders" / "part-00000.parquet")
    return connect(str(root))


def timed(fn, runs: int = 2) -> float:
    fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=3_000_000)
    ap.add_argument("--parquet", action="store_true", help="a Parquet source (connect) instead of in memory")
    ap.add_argument("--runs", type=int, default=2, help="timed runs after the warm-up (median)")
    ap.add_argument("--lists-only", action="store_true", help="the story and the lists, not the analyses")
    args = ap.parse_args()
    start = time.perf_counter()
    ds = (make_parquet(args.users, args.events, Path(tempfile.mkdtemp()) / "log") if args.parquet
          else make(args.users, args.events))
    print(f"data: {ds.n_users:,} users, {ds.n_events:,} events, {ds.n_orders:,} orders "
          f"({time.perf_counter() - start:.1f} s to build)", flush=True)
    start = time.perf_counter()
    _ = ds.engine
    rules = opslab.segment(ds).rules
    print(f"first use (engine tables, tiers): {time.perf_counter() - start:.1f} s", flush=True)
    busy = ds.users["user_id"].iloc[0]
    profile = lambda: (lambda p: (p.summary, p.timeline(per_page=50), p.event_counts))(
        opslab.user_profile(ds, busy, rules=rules))
    month = pd.Timestamp(ds.end).replace(day=1)
    start = time.perf_counter()
    ret = opslab.retention(ds, "week", start_event="open", return_event="pay")
    print(f"first behaviour retention (week, open -> pay; builds the log by event name and the first 'open' "
          f"of every user): {time.perf_counter() - start:.1f} s", flush=True)
    row = ret.frame[ret.frame["k"] == 1].iloc[0]
    dist = opslab.distribution(ds, "events")
    busiest = dist.frame.sort_values("users").iloc[-1]
    cases = {
        "user story (summary, 50 timeline rows, event counts)": profile,
        "users behind: active users of a month": lambda: opslab.users(ds, "active_users", period=month, rules=rules),
        "users behind: a retention cell": lambda: opslab.users(ds, ret, cohort=row.cohort, k=1, rules=rules),
        "users behind: a tier": lambda: opslab.users(ds, "tier", tier="churned", rules=rules),
        "users behind: the largest bin of the distribution of events":
            lambda: opslab.users(ds, dist, bin=busiest.bin, rules=rules),
        "behaviour retention (week, open -> pay)": lambda: opslab.retention(ds, "week", start_event="open",
                                                                            return_event="pay"),
        "distribution of events": lambda: opslab.distribution(ds, "events"),
        "LTV curve": lambda: opslab.ltv_curve(ds),
    }
    print(f"retention cell: cohort {row.cohort:%Y-%m-%d}, {row['size']:,} users, {row.retained:,} retained; "
          f"distribution bin {busiest.label}: {busiest.users:,} users", flush=True)
    for name, fn in cases.items():
        if args.lists_only and not name.startswith(("user story", "users behind")):
            continue
        print(f"{name}: {timed(fn, args.runs):.3f} s", flush=True)


if __name__ == "__main__":
    main()
