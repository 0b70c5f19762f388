"""The notebook examples in the behaviour modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

from opslab.present import export
from opslab.dataset.dataset import Dataset
from opslab.behaviour.funnels import funnel, segment_users

# opslab/ is collected by pytest --doctest-modules (pytest.ini); ui/ is not, so run its here.
MODULES = ["ui.safe"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_dropped_users_export_is_spreadsheet_safe():
    import pandas as pd
    ev = pd.DataFrame({"user_id": ["=HYPERLINK(1)", "b", "b"],
                       "event_time": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:00", "2024-01-01 11:00"]),
                       "event_name": ["visit", "visit", "pay"]})
    users = pd.DataFrame({"user_id": ["=HYPERLINK(1)", "b"], "city": ["+1", "北京"]})
    ds = Dataset.from_tables(events=ev, users=users)
    who = segment_users(ds, funnel(ds, ["visit", "pay"], 1).dropped_at(2)["user_id"])
    assert who["user_id"].tolist() == ["=HYPERLINK(1)"]
    text = export.to_csv_bytes(who).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and "'+1" in text
