"""Tests for opslab.clv: BG/NBD + Gamma-Gamma, checked against simulation, published
closed forms written out independently here, and hand-computed RFM tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

LOCALES = Path(__file__).resolve().parents[3] / "opslab" / "present" / "locales"
from opslab.models import clv
from opslab.core.problems import OpsLabError
from opslab.models.clv import (BetaGeoFitter, CLVConfig, GammaGammaFitter,
                        customer_lifetime_value, fit_clv, rfm_summary)

CDNOW = dict(r=0.243, alpha=4.414, a=0.793, b=2.426)  # FHL 2005, weeks
SIM_BG = dict(r=0.24, alpha=4.41, a=0.79, b=2.43)
SIM_GG = dict(p=6.25, q=3.74, v=15.44)


# --- simulators (the models' generative stories) ---------------------------------------

def simulate_bgnbd(n, rng, r, alpha, a, b, T=None):
    """lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); Poisson purchases at rate lambda after
    the first one at time 0; after each repeat purchase the customer dies with prob. p."""
    T = rng.integers(30, 81, n).astype(float) if T is None else np.full(n, float(T))
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    n_arrivals = rng.poisson(lam * T)          # purchases if the customer never died
    n_before_death = rng.geometric(p)          # repeat purchases until death (>= 1)
    x = np.minimum(n_arrivals, n_before_death)
    # Given N arrivals in (0, T] the times are sorted uniforms; the x-th one is T*Beta(x, N-x+1).
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(n_arrivals - x + 1, 1)), 0.0)
    return x.astype(float), tx, T


def simulate_gamma_gamma(n, rng, p, q, v):
    """nu ~ Gamma(q, rate v); each spend ~ Gamma(p, rate nu); m_x is the mean of x spends."""
    x = 1 + rng.poisson(2.0, n)
    nu = rng.gamma(q, 1 / v, n)
    m = rng.gamma(p * x, 1 / (nu * x))
    return x.astype(float), m


@pytest.fixture(scope="module")
def bg_data():
    return simulate_bgnbd(20_000, np.random.default_rng(7), **SIM_BG)


@pytest.fixture(scope="module")
def fitted(bg_data):
    bgf = BetaGeoFitter().fit(*bg_data)
    x, m = simulate_gamma_gamma(20_000, np.random.default_rng(8), **SIM_GG)
    return bgf, GammaGammaFitter().fit(x, m)


# --- independent closed forms (FHL 2005) -----------------------------------------------

def p_alive_eq13(x, tx, T, r, alpha, a, b):
    if x == 0:
        return 1.0
    return 1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


def cond_expected_eq10(t, x, tx, T, r, alpha, a, b):
    head = (a + b + x - 1) / (a - 1)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    inner = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
    denom = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
    return head * inner / denom


def expected_eq9(t, r, alpha, a, b):
    hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)


def bg_likelihood_eq6(x, tx, T, r, alpha, a, b):
    """Eq. 6 on the natural (not log) scale with Beta and Gamma functions."""
    common = special.gamma(r + x) * alpha ** r / special.gamma(r)
    alive = special.beta(a, b + x) / special.beta(a, b) * common / (alpha + T) ** (r + x)
    dead = np.where(x > 0, special.beta(a + 1, np.maximum(b + x - 1, 1e-9)) / special.beta(a, b)
                    * common / (alpha + tx) ** (r + x), 0.0)
    return alive + dead


def _bgf_with(params):
    bgf = BetaGeoFitter()
    bgf.params_ = dict(params)
    return bgf


HAND_CUSTOMERS = [(2, 30.43, 38.86), (0, 0.0, 38.86), (10, 38.86, 38.86), (25, 10.0, 70.0),
                  (1, 0.5, 80.0)]


# --- parameter recovery ----------------------------------------------------------------

def test_bgnbd_recovers_simulated_parameters(fitted):
    est = fitted[0].params_
    tol = dict(r=0.10, alpha=0.15, a=0.25, b=0.25)  # about 4 sampling s.d. at n = 20,000
    for k, truth in SIM_BG.items():
        assert abs(est[k] / truth - 1) < tol[k], (k, est[k])
    assert fitted[0].converged_ and fitted[0].n_customers_ == 20_000


def test_gamma_gamma_recovers_simulated_parameters(fitted):
    ggf = fitted[1]
    tol = dict(p=0.25, q=0.15, v=0.25)
    for k, truth in SIM_GG.items():
        assert abs(ggf.params_[k] / truth - 1) < tol[k], (k, ggf.params_[k])
    truth_mean = SIM_GG["p"] * SIM_GG["v"] / (SIM_GG["q"] - 1)
    assert ggf.population_mean_ == pytest.approx(truth_mean, rel=0.05)


def test_fit_is_a_stationary_point_of_the_direct_likelihood(bg_data):
    x, tx, T = bg_data
    small = x <= 30  # keep Gamma(r + x) finite for the natural-scale formula
    x, tx, T = x[small], tx[small], T[small]
    bgf = BetaGeoFitter().fit(x, tx, T)

    def direct(theta):
        return np.log(bg_likelihood_eq6(x, tx, T, *theta)).sum()

    est = np.array(list(bgf.params_.values()))
    assert bgf.log_likelihood_ == pytest.approx(direct(est), rel=1e-10)
    base = direct(est)
    assert base >= direct(np.array(list(SIM_BG.values())))
    for i in range(4):  # a relative step of 1e-3 in any parameter cannot improve much
        for sgn in (-1, 1):
            step = est.copy()
            step[i] *= 1 + sgn * 1e-3
            assert direct(step) <= base + 1e-3


def test_fast_objective_matches_per_customer_likelihood_and_finite_differences(bg_data):
    x, tx, T = (a[:4000] for a in bg_data)
    gx, gm = simulate_gamma_gamma(3000, np.random.default_rng(2), **SIM_GG)
    cases = [(clv._BGData(x, tx, T), lambda th: clv.bgnbd_log_likelihood(th, x, tx, T),
              np.array([0.3, 5.0, 0.9, 2.0])),
             (clv._GGData(gx, gm), lambda th: clv.gamma_gamma_log_likelihood(th, gx, gm),
              np.array([5.0, 3.0, 12.0]))]
    for data, per_customer, theta in cases:
        mean_ll, grad = data(theta)
        assert mean_ll == pytest.approx(per_customer(theta).mean(), rel=1e-12)
        for i in range(theta.size):
            h = np.zeros_like(theta)
            h[i] = 1e-6 * theta[i]
            fd = (per_customer(theta + h).mean() - per_customer(theta - h).mean()) / (2 * h[i])
            assert grad[i] == pytest.approx(fd, rel=1e-5, abs=1e-9)


# --- closed forms at published parameters ---------------------------------------------

@pytest.mark.parametrize("x,tx,T", HAND_CUSTOMERS)
def test_p_alive_and_conditional_expectation_match_published_formulas(x, tx, T):
    bgf = _bgf_with(CDNOW)
    got_alive = bgf.conditional_probability_alive([x], [tx], [T])[0]
    assert got_alive == pytest.approx(p_alive_eq13(x, tx, T, **CDNOW), rel=1e-6)
    for t in (1.0, 39.0, 52.0, 520.0):
        got = bgf.conditional_expected_number_of_purchases_up_to_time(t, [x], [tx], [T])[0]
        assert got == pytest.approx(cond_expected_eq10(t, x, tx, T, **CDNOW), rel=1e-6)


def test_conditional_expectation_is_finite_in_extreme_regions():
    # Huge a, b (a fit that sees no dropout) defeats the Euler form; the module falls back.
    degenerate = dict(r=0.3, alpha=30.0, a=1e6, b=3e6)
    bgf = _bgf_with(degenerate)
    for x, tx, T in [(0, 0.0, 1.0), (5, 50.0, 60.0), (200, 360.0, 365.0)]:
        got = bgf.conditional_expected_number_of_purchases_up_to_time(30.0, [x], [tx], [T])[0]
        assert got == pytest.approx(cond_expected_eq10(30.0, x, tx, T, **degenerate), rel=1e-6)
    # A very frequent buyer over ten years: eq. 10 as printed overflows to NaN, ours does not.
    ts = np.array([365.0, 1825.0, 3650.0])
    got = _bgf_with(CDNOW).conditional_expected_number_of_purchases_up_to_time(
        ts, np.full(3, 500.0), np.full(3, 365.0), np.full(3, 365.0))
    assert np.isfinite(got).all() and (np.diff(got) > 0).all()


def test_cdnow_customer_0001_matches_paper():
    # FHL 2005 (and Hardie's spreadsheet): 1.226 expected purchases in the next 39 weeks.
    got = _bgf_with(CDNOW).conditional_expected_number_of_purchases_up_to_time(
        39, [2], [30.43], [38.86])[0]
    assert got == pytest.approx(1.226, abs=5e-4)


def test_unconditional_expectation_matches_eq9_and_simulation():
    bgf = _bgf_with(SIM_BG)
    ts = np.array([1.0, 10.0, 39.0, 78.0])
    np.testing.assert_allclose(bgf.expected_number_of_purchases_up_to_time(ts),
                               [expected_eq9(t, **SIM_BG) for t in ts], rtol=1e-6)
    x, _, _ = simulate_bgnbd(200_000, np.random.default_rng(3), **SIM_BG, T=52)
    assert x.mean() == pytest.approx(bgf.expected_number_of_purchases_up_to_time(52)[0], rel=0.03)


def test_log_likelihood_at_cdnow_params_equals_eq6(bg_data):
    x, tx, T = (a[:3000] for a in bg_data)
    keep = x <= 30
    x, tx, T = x[keep], tx[keep], T[keep]
    got = clv.bgnbd_log_likelihood(list(CDNOW.values()), x, tx, T)
    np.testing.assert_allclose(got, np.log(bg_likelihood_eq6(x, tx, T, **CDNOW)), rtol=1e-9)
    # one-time buyers and recency == T are finite
    edge = clv.bgnbd_log_likelihood(list(CDNOW.values()), [0, 0, 5], [0, 0, 40], [40, 0, 40])
    assert np.isfinite(edge).all()


def test_gamma_gamma_likelihood_and_posterior_mean_by_integration():
    p, q, v = SIM_GG.values()
    for x, m in [(1, 20.0), (4, 55.5), (12, 8.0)]:
        # m_x | nu ~ Gamma(p x, rate nu x); nu ~ Gamma(q, rate v): integrate nu out numerically.
        dens, _ = integrate.quad(lambda nu: np.exp(
            special.gammaln(q) * -1 + q * np.log(v) + (q - 1) * np.log(nu) - v * nu
            - special.gammaln(p * x) + p * x * np.log(nu * x) + (p * x - 1) * np.log(m)
            - nu * x * m), 0, np.inf)
        got = clv.gamma_gamma_log_likelihood([p, q, v], [x], [m])[0]
        assert got == pytest.approx(np.log(dens), rel=1e-7)
    ggf = GammaGammaFitter()
    ggf.params_ = dict(SIM_GG)
    x, m = np.array([0.0, 1.0, 6.0]), np.array([0.0, 20.0, 80.0])
    # posterior nu | data ~ Gamma(q + p x, rate v + x m), so E[Z] = p E[1/nu]
    posterior = p * (v + x * m) / (q + p * x - 1)
    np.testing.assert_allclose(ggf.conditional_expected_average_profit(x, m), posterior, rtol=1e-12)
    assert ggf.conditional_expected_average_profit([0], [0])[0] == pytest.approx(p * v / (q - 1))


# --- sanity ---------------------------------------------------------------------------

def test_one_time_buyers_are_alive_and_finite(fitted):
    bgf = fitted[0]
    T = np.array([0.0, 1.0, 30.0, 500.0])
    zero = np.zeros_like(T)
    np.testing.assert_array_equal(bgf.conditional_probability_alive(zero, zero, T), 1.0)
    e = bgf.conditional_expected_number_of_purchases_up_to_time(52, zero, zero, T)
    assert np.isfinite(e).all() and (e > 0).all() and (np.diff(e) < 0).all()


def test_p_alive_falls_as_the_gap_since_last_purchase_grows(fitted):
    recency = np.arange(60.0, 0.0, -5.0)  # gap T - recency grows from 0 to 55
    pa = fitted[0].conditional_probability_alive(np.full(recency.size, 3), recency,
                                                 np.full(recency.size, 60.0))
    assert (np.diff(pa) < 0).all() and pa[0] < 1 and pa[-1] > 0


def test_clv_rises_with_frequency_and_discounting_behaves(fitted):
    bgf, ggf = fitted
    s = pd.DataFrame({"frequency": np.arange(11), "t_x": 60.0, "T": 60.0,
                      "monetary_value": 30.0})
    s.loc[0, "t_x"] = 0.0
    s.loc[0, "monetary_value"] = 0.0
    cfg = CLVConfig(horizon_days=52, time_unit_days=4, margin=0.5, discount_rate_annual=0.10)
    value = customer_lifetime_value(bgf, ggf, s, cfg)  # summary in the model's unit (1)
    assert (np.diff(value.to_numpy()) > 0).all() and value.iloc[0] > 0
    flat = customer_lifetime_value(bgf, ggf, s, CLVConfig(52, 0.0, 0.5, 52))
    expected = 0.5 * ggf.conditional_expected_average_profit(s["frequency"], s["monetary_value"]) \
        * bgf.conditional_expected_number_of_purchases_up_to_time(52, s["frequency"],
                                                                  s["t_x"], s["T"])
    np.testing.assert_allclose(flat, expected, rtol=1e-10)
    assert (value < flat).all() and (value > flat / 1.10 ** (52 / 365)).all()


# --- rfm_summary --------------------------------------------------------------------------

def _hand_orders():
    rows = [
        ("A", "2024-01-01 10:00", 10.0, "paid"), ("A", "2024-01-01 15:00", 20.0, "paid"),
        ("A", "2024-01-11 09:00", 30.0, "paid"), ("A", "2024-02-10 12:00", 50.0, "refunded"),
        ("A", "2024-03-01 18:00", 40.0, "paid"),
        ("B", "2024-03-31 23:00", 15.0, "paid"),
        ("C", "2024-02-01 08:00", 5.0, "paid"), ("C", "2024-02-01 09:00", 5.0, "paid"),
        ("C", "2024-04-01 08:00", 100.0, "paid"),          # after as_of
        ("D", "2024-01-05 08:00", 99.0, "refunded"),       # only a refund
    ]
    df = pd.DataFrame(rows, columns=["user_id", "order_time", "amount", "status"])
    return df.assign(order_time=pd.to_datetime(df["order_time"]))


def test_rfm_summary_hand_built_table():
    s = rfm_summary(_hand_orders(), "2024-03-31")
    assert list(s.index) == ["A", "B", "C"] and s.index.name == "user_id"
    expected = pd.DataFrame({
        "frequency": [2, 0, 0], "t_x": [60, 0, 0], "T": [90, 0, 59],
        "monetary_value": [35.0, 0.0, 0.0], "n_orders": [4, 1, 2],
        "total_spend": [100.0, 15.0, 10.0]}, index=pd.Index(["A", "B", "C"], name="user_id"))
    pd.testing.assert_frame_equal(s, expected, check_dtype=False)
    w = rfm_summary(_hand_orders(), pd.Timestamp("2024-03-31 08:00"), time_unit="W")
    assert w.loc["A", ["frequency", "t_x", "T"]].tolist() == [2, 8, 12]
    assert w.attrs["time_unit_days"] == 7


def test_rfm_summary_matches_brute_force(orders):
    as_of = pd.Timestamp("2023-12-31")
    s = rfm_summary(orders, as_of)
    paid = orders[(orders["status"] != "refunded") & (orders["order_time"] <= as_of + pd.Timedelta("1D") - pd.Timedelta("1us"))]
    for uid, g in list(paid.groupby("user_id"))[:60]:
        days = g.groupby(g["order_time"].dt.normalize())["amount"].sum().sort_index()
        row = s.loc[uid]
        assert row["frequency"] == len(days) - 1
        assert row["t_x"] == (days.index[-1] - days.index[0]).days
        assert row["T"] == (as_of - days.index[0]).days
        mv = days.iloc[1:].mean() if len(days) > 1 else 0.0
        assert row["monetary_value"] == pytest.approx(mv)
        assert row["n_orders"] == len(g) and row["total_spend"] == pytest.approx(g["amount"].sum())
    assert len(s) == paid["user_id"].nunique()


# --- fit_clv end to end and failures ----------------------------------------------------

@pytest.fixture(scope="module")
def orders():
    """Daily BG/NBD-style orders for 400 customers over 2023, with refunds and same-day pairs."""
    rng = np.random.default_rng(11)
    rows = []
    for i in range(400):
        start = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))
        lam, p, spend = rng.gamma(0.5, 1 / 20), rng.beta(1, 4), rng.gamma(3, 15)
        t = 0.0
        rows.append((f"u{i}", start, rng.gamma(4, spend / 4), "paid"))
        while True:
            t += rng.exponential(1 / lam)
            if t > 400:
                break
            rows.append((f"u{i}", start + pd.Timedelta(hours=24 * t), rng.gamma(4, spend / 4),
                         "refunded" if rng.random() < 0.05 else "paid"))
            if rng.random() < p:
                break
    return pd.DataFrame(rows, columns=["user_id", "order_time", "amount", "status"])


def test_fit_clv_end_to_end(orders):
    res = fit_clv(orders, "2023-12-31", CLVConfig(horizon_days=180, purchase_model="bgnbd"))
    s = res.customers
    assert res.model == "bgnbd" and res.model_choice is None
    cols = ["p_alive", "expected_purchases", "expected_avg_value", "clv"]
    assert np.isfinite(s[cols].to_numpy()).all()
    assert (s.loc[s["frequency"] == 0, "p_alive"] == 1).all()
    assert s["p_alive"].between(0, 1).all() and (s["clv"] > 0).all()
    np.testing.assert_allclose(s["expected_purchases"],
                               res.bgf.conditional_expected_number_of_purchases_up_to_time(
                                   180, s["frequency"], s["t_x"], s["T"]), rtol=1e-12)
    one_time = s[s["frequency"] == 0]
    assert len(one_time) > 0
    np.testing.assert_allclose(one_time["expected_avg_value"], res.ggf.population_mean_)


def test_too_few_customers_raises_with_i18n_code(orders):
    few = orders[orders["user_id"].isin(["u1", "u2", "u3", "u4", "u5"])]
    with pytest.raises(OpsLabError) as err:
        fit_clv(few, "2023-12-31")
    assert err.value.code == "clv.too_few_customers" and err.value.params == {"n": 5, "min": 20}
    assert err.value.problem.severity == "error"
    with pytest.raises(OpsLabError):
        BetaGeoFitter().fit([1, 0], [3, 0], [5, 5])


def test_too_few_repeat_buyers_raises():
    one_order = pd.DataFrame({"user_id": [f"u{i}" for i in range(30)] + ["u0", "u1", "u2"],
                              "order_time": pd.to_datetime(["2023-01-01"] * 30 + ["2023-02-01"] * 3),
                              "amount": 10.0})
    with pytest.raises(OpsLabError) as err:
        fit_clv(one_order, "2023-06-30")
    assert err.value.code == "clv.too_few_repeat_buyers" and err.value.params["n"] == 3


def test_optimiser_failure_raises(monkeypatch, bg_data):
    from scipy import optimize

    class Failed:
        success, fun, x, nit = False, np.nan, np.zeros(4), 0

    monkeypatch.setattr(optimize, "minimize", lambda *a, **k: Failed())
    with pytest.raises(OpsLabError) as err:
        BetaGeoFitter().fit(*bg_data)
    assert err.value.code == "clv.not_converged" and err.value.params == {"model": "BG/NBD"}


def test_gamma_gamma_without_finite_mean_raises():
    x, m = simulate_gamma_gamma(5000, np.random.default_rng(5), p=2.0, q=0.5, v=10.0)
    with pytest.raises(OpsLabError) as err:
        GammaGammaFitter().fit(x, m)
    assert err.value.code == "clv.infinite_mean_spend"


def test_bad_inputs_are_value_errors():
    with pytest.raises(ValueError):
        BetaGeoFitter().fit([1, 2], [5, 9], [4, 10])      # recency > T
    with pytest.raises(ValueError):
        BetaGeoFitter().fit([1, np.nan], [1, 1], [4, 10])


def test_locale_files_cover_every_code():
    folder = LOCALES
    en = json.loads((folder / "clv.en.json").read_text(encoding="utf-8"))
    zh = json.loads((folder / "clv.zh.json").read_text(encoding="utf-8"))
    assert en.keys() == zh.keys() and all(k.startswith("clv.") for k in en)
    codes = set(re.findall(r'"(clv\.[a-z_]+)"', Path(clv.__file__).read_text(encoding="utf-8")))
    assert codes and codes <= en.keys()
    for k in en:  # same placeholders in both languages
        assert set(re.findall(r"{(\w+)}", en[k])) == set(re.findall(r"{(\w+)}", zh[k])), k


# --- P(no purchase), the Dataset path and the clv() API --------------------------------------------
def test_probability_of_no_purchase_matches_simulation():
    """Simulate the BG/NBD story from the posterior at known (x, t_x, T) and count windows
    without a purchase; compare with the closed form."""
    bgf = BetaGeoFitter()
    bgf.params_ = {"r": 0.8, "alpha": 20.0, "a": 0.6, "b": 2.5}
    rng = np.random.default_rng(0)
    x, tx, T, t = 3.0, 40.0, 90.0, 30.0
    n = 400_000
    # prior draws, weighted by the likelihood of the observed history (importance sampling)
    lam = rng.gamma(0.8, 1 / 20.0, n)
    p = rng.beta(0.6, 2.5, n)
    alive_w = lam ** x * np.exp(-lam * T) * (1 - p) ** x
    dead_w = lam ** x * np.exp(-lam * tx) * p * (1 - p) ** (x - 1)
    w = alive_w + dead_w
    alive = rng.random(n) < alive_w / w
    none = np.where(alive, np.exp(-lam * t), 1.0)  # P(no purchase in t | lambda, alive or not)
    expected = float(np.sum(w * none) / np.sum(w))
    got = float(bgf.conditional_probability_no_purchase(t, [x], [tx], [T])[0])
    assert got == pytest.approx(expected, abs=0.01)
    assert bgf.conditional_probability_no_purchase(0.0, [x], [tx], [T])[0] == pytest.approx(1.0)


def test_customer_summary_matches_rfm_summary(orders):
    from opslab.dataset.dataset import Dataset
    orders = orders.assign(amount=orders["amount"].round(2))  # money: exact decimal sums (4 places)
    ds = Dataset.from_tables(orders=orders)
    got = clv.customer_summary(ds, "2023-12-31")
    got = got.set_axis(ds.users["user_id"].to_numpy()[got.index.to_numpy()]).sort_index()
    want = rfm_summary(orders, "2023-12-31")
    cols = ["frequency", "t_x", "T", "n_orders"]
    assert got[cols].to_numpy().tolist() == want[cols].to_numpy().tolist()
    np.testing.assert_allclose(got["monetary_value"], want["monetary_value"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(got["total_spend"], want["total_spend"], rtol=1e-9)


def test_clv_api_margin_is_a_parameter(orders):
    from opslab.dataset.dataset import Dataset
    orders = orders.assign(amount=orders["amount"].round(2))
    ds = Dataset.from_tables(orders=orders)
    a = clv.clv(ds, "2023-12-31")
    b = clv.clv(ds, "2023-12-31", margin=0.6)
    assert a.config.margin == clv.DEFAULT_MARGIN == 0.3
    np.testing.assert_allclose(b.customers["clv"], 2 * a.customers["clv"], rtol=1e-12)
    ref = fit_clv(orders, "2023-12-31")
    by_user = a.customers.set_index("user_id").sort_index()
    np.testing.assert_allclose(by_user["clv"], ref.customers["clv"].sort_index(), rtol=1e-6)
    assert by_user["p_alive"].between(0, 1).all()
