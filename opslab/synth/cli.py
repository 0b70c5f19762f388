"""``python -m opslab.synth``: write the sample data set's CSV files."""

from __future__ import annotations

import argparse

from opslab.synth.simulate import generate
from opslab.synth.world import SynthConfig, users_for_events


def main(argv=None) -> None:
    """``python -m opslab.synth --users 3000 --out sample_data``."""
    ap = argparse.ArgumentParser(prog="python -m opslab.synth", description="Seeded sample data (users, events, orders, campaigns) as CSV files.")
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
