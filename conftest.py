"""Shared fixtures: small data sets built independently of the code under test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.random_logs import random_activity


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
SLOW_DOCTESTS = {"opslab.models.churn", "opslab.models.forecast.forecast", "opslab.planning.forecast_readout",
                 "opslab.models.forecast_grains"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith("opslab/") and item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession per test process (see tests/spark_support.py)."""
    from tests.spark_support import spark_or_skip
    return spark_or_skip()
