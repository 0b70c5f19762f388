"""Random activity logs built without any OpsLab code, for tests that compare with brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_activity(n_users: int = 60, days: int = 120, seed: int = 0, start: str = "2024-01-01"):
    """Random events and orders (with refunds), generated without any OpsLab code."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    rows, orders = [], []
    for u in range(n_users):
        first = int(rng.integers(0, days - 1))
        p = rng.uniform(0.02, 0.5)
        active = [d for d in range(first, days) if d == first or rng.random() < p]
        for d in active:
            for _ in range(int(rng.integers(1, 4))):
                rows.append((f"u{u}", t0 + pd.Timedelta(days=d, seconds=int(rng.integers(0, 86400)))))
            if rng.random() < 0.15:
                status = "refunded" if rng.random() < 0.1 else "paid"
                orders.append((f"u{u}", t0 + pd.Timedelta(days=d, hours=12), float(rng.integers(10, 500)), status))
    events = pd.DataFrame(rows, columns=["user_id", "event_time"])
    events["event_name"] = "visit"
    orders = pd.DataFrame(orders, columns=["user_id", "order_time", "amount", "status"])
    orders["order_id"] = [f"o{i}" for i in range(len(orders))]
    return events, orders
