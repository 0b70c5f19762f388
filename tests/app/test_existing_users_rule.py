"""The Overview's existing-users switch on the real CDNOW purchase log (no signup dates): with
the rule on, customers first seen in the first 30 days are left out of the cohorts; off, every
customer is in the cohort of their first month. Cohort sizes checked against pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.app.conftest import open_app
from tests.realdata import cdnow_truth

pytestmark = pytest.mark.slow


def _cohort_total(at) -> int:
    for frame in at.dataframe:
        df = frame.value
        if "Size" in df.columns or "Cohort size" in df.columns:
            return int(df[[c for c in df.columns if "size" in c.lower()][0]].sum())
    raise AssertionError("no cohort table")


def test_existing_users_switch_on_real_data():
    from bench.realdata_churn import cdnow_dataset
    truth = cdnow_truth()
    first = truth.groupby("customer_id")["date"].min()
    at = open_app("en", dataset=cdnow_dataset(), timeout=300)
    assert not at.exception
    switch = at.toggle(key="ov_existing")
    assert switch.value is True
    on = _cohort_total(at)
    switch.set_value(False).run()
    assert not at.exception
    off = _cohort_total(at)
    # pandas on the raw file: every customer, and those first seen in the first 30 days
    start = first.min().normalize()
    early = int((first < start + pd.Timedelta(days=30)).sum())
    assert off == len(first)
    assert on == len(first) - early > 0
