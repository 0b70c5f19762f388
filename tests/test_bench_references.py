"""The plain-pandas references in bench/ agree with the engine on the sample data, so the
benchmark compares like with like and each side checks the other."""

from __future__ import annotations

import pandas as pd
import pytest

from bench import reference, reference_lifecycle
from opslab.lifecycle import tiers as lifecycle
from opslab.metrics import kpi_table as metrics
from opslab.dataset import load as loader
from opslab.dataset.dataset import Dataset

FOLDER = loader.sample_dir()


@pytest.fixture(scope="module")
def raw():
    ev, od = reference.load(FOLDER)
    return ev, od


@pytest.fixture(scope="module")
def ds(raw):
    ev, od = raw
    # The reference takes each user's first activity as the signup: give the engine the same
    # signups as known values (unknown ones would be censored in the first 30 days).
    first = pd.concat([ev.rename(columns={"event_time": "t"})[["user_id", "t"]],
                       od.rename(columns={"order_time": "t"})[["user_id", "t"]]]).groupby("user_id")["t"].min()
    users = pd.DataFrame({"user_id": first.index, "signup_time": first.to_numpy()})
    return Dataset.from_tables(events=ev.assign(event_name="visit"), orders=od, users=users)


def test_overview_reference_matches_engine(raw, ds):
    ref = reference.aggregate(*raw)
    daily = metrics.daily(ds)
    pd.testing.assert_series_equal(daily["dau"], ref["daily"]["dau"], check_names=False, check_dtype=False,
                                   check_freq=False, check_index_type=False)
    observed = daily.index >= pd.Timestamp(ds.start) + pd.Timedelta(days=29)  # full windows only
    assert (daily["wau"].to_numpy()[observed] == ref["daily"]["wau"].to_numpy()[observed]).all()
    assert (daily["mau"].to_numpy()[observed] == ref["daily"]["mau"].to_numpy()[observed]).all()
    frame = metrics.kpis(ds, "month")
    monthly = ref["monthly"]
    assert frame["active_users"].tolist() == monthly["active_users"].tolist()
    assert frame["gmv"].to_numpy() == pytest.approx(monthly["gmv"].to_numpy())
    assert frame["new_users"].tolist() == monthly["new_users"].tolist()
    cohorts = metrics.cohort_retention(ds, "month")
    merged = cohorts.merge(ref["retention"].assign(cohort=lambda f: f["cohort"].dt.to_timestamp()),
                           on=["cohort", "k"], how="inner", suffixes=("", "_ref"))
    assert len(merged) == (cohorts["retained"] > 0).sum()
    assert (merged["retained"] == merged["retained_ref"]).all()


@pytest.mark.parametrize("as_of", ["2026-10-31", "2026-03-15"])
def test_lifecycle_reference_matches_engine(raw, ds, as_of):
    ev, od = raw
    signup = ds.users.set_index("user_id")["signup_time"]
    ref = reference_lifecycle.segment(ev, od, signup, as_of)
    got = lifecycle.segment(ds, as_of=as_of).set_index("user_id")["tier"].astype(str)
    assert got.sort_index().equals(ref.sort_index().rename("tier"))
