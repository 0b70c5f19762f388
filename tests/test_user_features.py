"""The lifecycle tiers, RFM, the churn features and the CLV summary read ONE per-user feature table
(opslab/dataset/features.py): at one day the engine computes it once for all four, and the
figures they share are the same numbers (checked against pandas on the raw log too)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.dataset.dataset import Dataset
from opslab.lifecycle import rfm
from opslab.lifecycle import tiers as lc
from opslab.models import clv
from opslab.models.churn_features import ChurnConfig, churn_features
from tests.random_logs import random_activity


def _dataset():
    events, orders = random_activity(n_users=120, days=150, seed=7)
    return Dataset.from_tables(events=events, orders=orders), events, orders


def test_one_scan_serves_lifecycle_rfm_churn_and_clv(monkeypatch):
    ds, _, _ = _dataset()
    calls = []
    run = ds.engine.run
    monkeypatch.setattr(ds.engine, "run", lambda name, **kw: calls.append(name) or run(name, **kw))
    lc.segment(ds)
    rfm.rfm_scores(ds)
    churn_features(ds, ds.end, ChurnConfig())
    clv.customer_summary(ds)
    assert calls == ["user_features"]  # nothing else read the orders or the active days


def test_the_four_agree_on_the_figures_they_share():
    ds, events, orders = _dataset()
    seg = lc.segment(ds).set_index("uid")
    values = rfm.rfm_values(ds).set_index("uid")
    churn = churn_features(ds, ds.end, ChurnConfig())
    summary = clv.customer_summary(ds)
    # the same paying customers, the same recency, orders and spend
    assert list(values.index) == list(summary.index) == sorted(seg.index[seg["has_paid_ever"]])
    np.testing.assert_array_equal(values["recency_days"], summary["T"] - summary["t_x"])
    np.testing.assert_array_equal(values["frequency"], summary["n_orders"])
    np.testing.assert_array_equal(values["monetary"], summary["total_spend"])
    active = churn.index
    np.testing.assert_array_equal(churn["days_since_active"], seg.loc[active, "days_since_last_active"])
    np.testing.assert_array_equal(churn["active_days_14"], seg.loc[active, "active_days_14"])
    np.testing.assert_array_equal(churn["spend_90"], seg.loc[active, "spend_90"])
    # and pandas on the raw log: the paid orders (status paid) per buyer, up to the last day
    paid = orders[orders["status"] == "paid"]
    by_user = paid.groupby("user_id").agg(n=("amount", "size"), spend=("amount", "sum"),
                                          last=("order_time", "max"))
    ids = ds.users["user_id"].to_numpy()[values.index.to_numpy()]
    want = by_user.loc[ids]
    np.testing.assert_array_equal(values["frequency"], want["n"])
    np.testing.assert_allclose(values["monetary"], want["spend"], rtol=1e-12)
    last_day = pd.Timestamp(ds.end)
    np.testing.assert_array_equal(values["recency_days"], (last_day - want["last"].dt.normalize()).dt.days)
