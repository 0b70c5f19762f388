"""An orders-only data set (the events made from the paid orders): the engine's tables are built
from one grouping of the orders (``order_day``), and the Overview's figures read them. Checked
against plain pandas over the orders themselves, with zero-amount orders, refund rows and
refunded sales under both refund rules, and period totals over a range that starts mid-period."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.dataset.dataset import Dataset
from opslab.metrics import kpi_table as metrics


def _orders(seed: int = 3, n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    users = rng.integers(0, 600, n)
    start = pd.Timestamp("2024-01-01")
    times = start + pd.to_timedelta(rng.integers(0, 200 * 86400, n), unit="s")
    amount = rng.choice([0.0, 12.5, 30.0, 99.9, -20.0], n, p=[0.05, 0.4, 0.3, 0.2, 0.05])
    status = np.where(amount < 0, "refunded", rng.choice(["paid", "refunded"], n, p=[0.9, 0.1]))
    return pd.DataFrame({"user_id": [f"u{u}" for u in users], "order_time": times, "amount": amount,
                         "order_id": [f"o{i}" for i in range(n)], "status": status})


@pytest.fixture(scope="module", params=["net", "gross"])
def case(request):
    orders = _orders()
    ds = Dataset.from_tables(orders=orders, refunds=request.param)
    assert "events" in ds.derived  # the orders-only path
    raw = orders.assign(day=orders["order_time"].dt.normalize())
    return ds, raw, request.param


def _sales(raw: pd.DataFrame, rule: str) -> pd.DataFrame:
    sold = raw["status"].eq("paid") | (rule == "gross") & raw["status"].eq("refunded")
    return raw[sold & (raw["amount"] > 0)]


def test_engine_tables_equal_pandas(case):
    ds, raw, rule = case
    uid = dict(zip(ds.users["user_id"], ds.users["uid"]))
    raw = raw.assign(uid=raw["user_id"].map(uid))
    paid = raw[raw["status"] == "paid"]  # any amount: each is a purchase, so the day is active
    want_ud = paid.groupby(["uid", "day"]).size().rename("n_events").reset_index()
    got_ud = ds.engine.sql("SELECT uid, day, n_events FROM user_day ORDER BY uid, day")
    assert got_ud["n_events"].tolist() == want_ud["n_events"].tolist()
    assert got_ud["uid"].tolist() == want_ud["uid"].tolist()
    assert pd.to_datetime(got_ud["day"]).tolist() == want_ud["day"].tolist()

    sales = _sales(raw, rule)
    want_pd = sales.groupby(["uid", "day"]).agg(gmv=("amount", "sum"), n_orders=("amount", "size")).reset_index()
    got_pd = ds.engine.sql("SELECT uid, day, gmv, n_orders FROM paid_day ORDER BY uid, day")
    assert got_pd["uid"].tolist() == want_pd["uid"].tolist()
    assert got_pd["n_orders"].tolist() == want_pd["n_orders"].tolist()
    assert got_pd["gmv"].to_numpy() == pytest.approx(want_pd["gmv"].to_numpy())

    first = ds.engine.sql("SELECT uid, first_active, last_active, first_paid FROM user_first ORDER BY uid")
    first = first.set_index("uid")
    act = paid.groupby("uid")["day"]
    assert pd.to_datetime(first["first_active"]).dropna().to_dict() == act.min().to_dict()
    assert pd.to_datetime(first["last_active"]).dropna().to_dict() == act.max().to_dict()
    assert pd.to_datetime(first["first_paid"]).dropna().to_dict() == sales.groupby("uid")["day"].min().to_dict()
    # the grouping the tables were made from is not kept
    assert "order_day" not in set(ds.engine.sql("SELECT table_name FROM information_schema.tables")["table_name"])


@pytest.mark.parametrize("grain", ["day", "month"])
def test_period_totals_from_mid_period_equal_pandas(case, grain):
    ds, raw, rule = case
    start, end = pd.Timestamp("2024-02-10"), pd.Timestamp("2024-06-20")
    got = metrics.period_totals(ds, grain, start=start, end=end)
    inside = raw[(raw["day"] >= start) & (raw["day"] <= end)]
    label = (inside["day"] if grain == "day" else
             inside["day"].dt.to_period("M").dt.start_time.clip(lower=start))
    paid = inside[inside["status"] == "paid"]
    active = paid.groupby(label[paid.index])["user_id"].nunique()
    sales = _sales(inside, rule)
    payers = sales.groupby(label[sales.index])["user_id"].nunique()
    gross = sales.groupby(label[sales.index])["amount"].sum()
    back = inside[inside["amount"] < 0]
    net_less = (-back["amount"]).groupby(label[back.index]).sum() if rule == "net" else gross * 0
    for period in got.index:
        assert got.loc[period, "active_users"] == active.get(period, 0), period
        assert got.loc[period, "paying_users"] == payers.get(period, 0), period
        assert got.loc[period, "gmv"] == pytest.approx(gross.get(period, 0.0) - net_less.get(period, 0.0)), period
    assert set(got.index) >= set(active.index)
    if grain == "month":
        assert got.index[0] == start  # the range begins inside February: labelled by its start


def test_month_cohorts_equal_pandas(case):
    ds, raw, _ = case
    got = metrics.cohort_retention(ds, "month", "on").set_index(["cohort", "k"])
    paid = raw[raw["status"] == "paid"]
    users = ds.users.set_index("user_id")
    keep = users.index[~users["censored"]]
    month = paid["day"].dt.to_period("M")
    cohort = users["signup_time"].dt.to_period("M")
    pairs = pd.DataFrame({"user_id": paid["user_id"], "m": month})
    pairs = pairs[pairs["user_id"].isin(keep)].drop_duplicates()
    pairs["cohort"] = pairs["user_id"].map(cohort)
    pairs["k"] = (pairs["m"] - pairs["cohort"]).apply(lambda d: d.n)
    want = pairs.groupby(["cohort", "k"])["user_id"].nunique()
    sizes = cohort[keep].value_counts()
    assert len(want) > 10
    for (c, k), n in want.items():
        row = got.loc[(c.start_time, k)]
        assert row["retained"] == n and row["size"] == sizes[c], (c, k)
