"""The purchase model chosen on a holdout, and fits that say nothing reported as such (issue 26).

Figures are checked against plain pandas over the raw orders: the holdout's purchase days per
customer, the naive forecast (each customer's past repeat rate) and the recency / frequency rank.
CDNOW master is the real log of tests/realdata.py (Fader & Hardie 2001, Lifetimes package).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from opslab.core.problems import Problem
from opslab.dataset.dataset import Dataset
from opslab.models.clv import clv, customer_summary
from opslab.models.clv_choice import MAX_COMPARE_CUSTOMERS, diagnose, sample_rows
from opslab.models.clv_fitters import BetaGeoFitter


@pytest.fixture(scope="module")
def loyal_orders():
    """600 customers who buy at their own Poisson rate all year and never leave: no dropout
    for either model to find."""
    rng = np.random.default_rng(1)
    rows = []
    for u in range(600):
        lam = rng.gamma(2, 1 / 60)
        t = int(rng.integers(0, 120))
        while t < 365:
            rows.append((f"c{u}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=t), round(rng.gamma(3, 20), 2)))
            t += int(rng.exponential(1 / lam)) + 1
    return pd.DataFrame(rows, columns=["user_id", "order_time", "amount"])


@pytest.mark.parametrize("model", ["bgnbd", "pareto_nbd"])
def test_a_flat_p_alive_is_reported_and_not_shown(loyal_orders, model):
    res = clv(Dataset.from_tables(orders=loyal_orders), purchase_model=model)
    codes = [p.code for p in res.problems]
    assert "clv.degenerate.flat_p_alive" in codes and res.degenerate and res.model == model
    flat = next(p for p in res.problems if p.code == "clv.degenerate.flat_p_alive")
    repeat = loyal_orders.groupby("user_id")["order_time"].apply(lambda t: t.dt.normalize().nunique()) > 1
    assert flat.params["n"] == int(repeat.sum()) and flat.params["high"] - flat.params["low"] < 0.01
    assert res.customers["p_alive"].isna().all()  # the same number for all says nothing
    assert np.isfinite(res.customers["clv"]).all()


def test_rf_score_is_the_recency_and_frequency_rank_of_the_raw_orders(loyal_orders):
    res = clv(Dataset.from_tables(orders=loyal_orders), purchase_model="bgnbd")
    days = loyal_orders.assign(day=loyal_orders["order_time"].dt.normalize())
    per = days.groupby("user_id")["day"].agg(last="max", n="nunique")
    idle = (days["day"].max() - per["last"]).dt.days
    want = (idle.rank(pct=True, ascending=False) + (per["n"] - 1).rank(pct=True)) / 2
    got = res.customers.set_index("user_id")["rf_score"].sort_index()
    np.testing.assert_allclose(got.to_numpy(), want.sort_index().to_numpy(), rtol=1e-12)


def test_diagnose_names_no_convergence_and_a_parameter_at_its_bound():
    summary = pd.DataFrame({"frequency": [2, 3, 0, 5], "t_x": [10, 30, 0, 20], "T": [40, 40, 40, 40]})
    fit = BetaGeoFitter()
    fit.params_ = {"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}
    fit.converged_, fit.at_bound_ = False, True
    found = diagnose(fit, summary)
    assert [p.code for p in found] == ["clv.degenerate.not_converged", "clv.degenerate.at_bound"]
    assert all(isinstance(p, Problem) and p.params["model"] == "bgnbd" for p in found)
    fit.converged_, fit.at_bound_ = True, False
    assert diagnose(fit, summary) == ()  # P(alive) varies with the silence: nothing to report


@pytest.mark.slow
def test_cdnow_chooses_the_model_that_forecasts_the_holdout_better():
    from bench.realdata_churn import cdnow_dataset, cdnow_orders
    ds, orders = cdnow_dataset(), cdnow_orders()
    res = clv(ds)
    table, hold = res.model_choice, res.holdout
    end = dt.date(1998, 6, 30)
    span = (end - dt.date(1997, 1, 1)).days
    assert hold["days"] == span // 3 and hold["cutoff"] == str(end - dt.timedelta(days=span // 3))
    # the holdout figures from the raw log, for the customers compared (a fixed-seed sample of
    # MAX_COMPARE_CUSTOMERS): purchase days after the cutoff, and each customer's repeat rate
    # before it carried forward
    cut = pd.Timestamp(hold["cutoff"])
    sampled = sample_rows(customer_summary(ds, cut.date()), MAX_COMPARE_CUSTOMERS)
    users = set(ds.users["user_id"].to_numpy()[sampled.index.to_numpy()])
    assert hold["n"] == len(users) == MAX_COMPARE_CUSTOMERS
    orders = orders[orders["amount"] > 0]  # a zero-amount order is no paid order (prepare.sql paid_day)
    day = pd.to_datetime(orders["order_time"]).dt.normalize()
    per_day = pd.DataFrame({"user": orders["user_id"], "day": day}).drop_duplicates()
    per_day = per_day[per_day["user"].isin(users)]
    before = per_day[per_day["day"] <= cut].groupby("user")["day"].agg(["min", "max", "nunique"])
    after = per_day[per_day["day"] > cut].groupby("user").size().reindex(before.index, fill_value=0)
    assert len(before) == MAX_COMPARE_CUSTOMERS
    assert table.loc["bgnbd", "actual"] == after.sum()
    x, T = before["nunique"] - 1, (cut - before["min"]).dt.days
    naive = np.where(T > 0, x / T.clip(lower=1), 0.0) * hold["days"]
    assert table.loc["naive", "mae"] == pytest.approx(np.mean(np.abs(naive - after.to_numpy())), rel=1e-9)
    # the chosen model has the lower error, both beat the naive forecast (measured, zero-amount
    # orders left out: Pareto/NBD 0.543, BG/NBD 0.555, naive 0.656 per customer), and the fit is sound
    models = table.drop(index="naive")
    assert res.model == ("pareto_nbd" if models["mae"]["pareto_nbd"] < 0.999 * models["mae"]["bgnbd"] else "bgnbd")
    assert table.loc[res.model, "chosen"]
    assert (models["mae"] < table.loc["naive", "mae"]).all()
    assert res.problems == () and not res.degenerate
    assert res.customers["p_alive"].between(0, 1).all()
