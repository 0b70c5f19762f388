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


#: Spark tests live in files named ``test_spark_*.py`` (tests/test_house_rules.py checks it).
SPARK_FILES = "test_spark_"
#: Where the suite's time goes, longest first (``make test`` on 2 cores): the Spark files share
#: one SparkSession (one JVM) in one worker, the browser and screen tests start apps. They are
#: handed out first so that none is left running alone at the end.
FIRST = ("spark", "tests/e2e/", "tests/app/")


def scheduling_unit(nodeid: str) -> str:
    """What one worker of ``make test`` runs together: every Spark file (one JVM instead of one
    per worker), otherwise one test file (a module's fixtures are built once), as
    ``--dist loadfile`` would."""
    file = nodeid.split("::")[0]
    return "spark" if file.rsplit("/", 1)[-1].startswith(SPARK_FILES) else file


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """xdist's file scheduling with the Spark files as one unit. (Its ``xdist_group`` mark
    cannot do this here: pytest 9 no longer reports the group suffix xdist adds to node ids.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scheduling_unit(nodeid)

    return ByUnit(config, log)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith("opslab/") and item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)
    # The order units are handed out in (make test passes --no-loadscope-reorder): the long
    # ones first, then the others by their number of tests.
    sizes: dict[str, int] = {}
    for item in items:
        unit = scheduling_unit(item.nodeid)
        sizes[unit] = sizes.get(unit, 0) + 1

    def rank(item):
        unit = scheduling_unit(item.nodeid)
        first = next((i for i, f in enumerate(FIRST) if unit.startswith(f)), len(FIRST))
        return first, -sizes[unit], unit
    items.sort(key=rank)  # stable: a unit's tests keep their order


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession per test process (see tests/spark_support.py)."""
    from tests.spark_support import spark_or_skip
    return spark_or_skip()
