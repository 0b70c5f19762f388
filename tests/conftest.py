"""Shared fixtures: small data sets built independently of the code under test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


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


@pytest.fixture(scope="session")
def activity():
    return random_activity()


def pytest_configure(config):
    """Stored data sets and the audit log of every test run go to a temporary directory,
    never into the working tree (servers started by browser tests inherit it)."""
    import os
    import tempfile
    os.environ.setdefault("OPSLAB_DATA_DIR", tempfile.mkdtemp(prefix="opslab-test-data-"))


#: Docstring examples (collected from opslab/ by --doctest-modules) that fit models: they run
#: with the other slow tests in ``make test``, not in ``make test-fast``. Measured at over
#: 0.7 s of CPU each; ``python -m pytest -p no:xdist -m "not slow" --durations=30`` lists others.
SLOW_DOCTESTS = {"opslab.models.churn", "opslab.models.forecast.forecast", "opslab.forecast_readout",
                 "opslab.models.forecast_grains",
                 "opslab.lifecycle_fit.segment"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith("opslab/") and item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession per test process (see tests/spark_support.py)."""
    from tests.spark_support import spark_or_skip
    return spark_or_skip()
