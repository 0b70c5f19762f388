"""The CLV fitters against their published figures.

* Pareto/NBD on the CDNOW sample calibration period (2,357 customers, weeks; the file
  ``cdnow_customers_summary.csv`` shipped in the Lifetimes package, the data BTYD and CLVTools
  use): Fader, Hardie & Lee, "A note on deriving the Pareto/NBD model and related expressions"
  (2005) and the BTYD / CLVTools vignettes: r 0.553, alpha 10.58, s 0.606, beta 11.66,
  log-likelihood -9594.976.
* BG/NBD on the same file: Fader, Hardie & Lee (2005), "Counting your customers the easy way":
  r 0.243, alpha 4.414, a 0.793, b 2.426, log-likelihood -9582.4.
* Shifted beta-geometric: Fader & Hardie (2007), "How to project customer retention", Journal of
  Interactive Marketing 21(1): "high end" alpha 0.668, beta 3.806, LL -1611.2; "regular"
  alpha 0.704, beta 1.182, LL -1680.3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

import opslab
from opslab.core.problems import OpsLabError
from opslab.models.clv_more_fitters import pareto_nbd_log_likelihood
from tests.realdata import cdnow_path

HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


@pytest.fixture(scope="module")
def cdnow_sample():
    s = pd.read_csv(cdnow_path("cdnow_customers_summary.csv"))
    assert len(s) == 2357
    return s["frequency"].to_numpy(float), s["recency"].to_numpy(float), s["T"].to_numpy(float)


def test_pareto_nbd_reproduces_the_published_cdnow_optimum(cdnow_sample):
    fit = opslab.ParetoNBDFitter().fit(*cdnow_sample)
    published = dict(r=0.553, alpha=10.58, s=0.606, beta=11.66)
    for k, v in published.items():  # beta is flat (s.e. ~6): the papers round it to 11.66/11.67
        assert fit.params_[k] == pytest.approx(v, rel=2e-3 if k != "beta" else 2e-3), k
    assert fit.log_likelihood_ == pytest.approx(-9594.976, abs=0.005)
    assert fit.converged_ and not fit.at_bound_
    summary = fit.summary
    assert list(summary.index) == ["r", "alpha", "s", "beta"]
    assert (summary["se"] > 0).all() and (summary["lower_95"] < summary["coef"]).all()


def _pnbd_likelihood_by_integration(x, tx, T, r, alpha, s, beta):
    """The Pareto/NBD likelihood written from its story, integrated numerically: given lambda
    and mu, L = lambda^x e^{-(lambda+mu)T} + lambda^x mu/(lambda+mu) (e^{-(lambda+mu)tx} -
    e^{-(lambda+mu)T}) (Fader & Hardie note, eq. 3), averaged over the two Gamma mixtures."""
    def inner(lam, mu):
        k = lam + mu
        val = lam ** x * (np.exp(-k * T) + mu / k * (np.exp(-k * tx) - np.exp(-k * T)))
        dens = (np.exp(r * np.log(alpha) + (r - 1) * np.log(lam) - alpha * lam - special.gammaln(r))
                * np.exp(s * np.log(beta) + (s - 1) * np.log(mu) - beta * mu - special.gammaln(s)))
        return val * dens
    # substitute lam = u^(1/r), mu = v^(1/s) to remove the integrable singularities at 0
    def f(v, u):
        lam, mu = u ** (1 / r), v ** (1 / s)
        return inner(lam, mu) * lam ** (1 - r) / r * mu ** (1 - s) / s
    return integrate.dblquad(f, 0, 4.0 ** r, 0, 8.0 ** s, epsabs=1e-13, epsrel=1e-9)[0]


@pytest.mark.parametrize("x,tx,T", [(0, 0.0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (5, 20.0, 32.0)])
def test_pareto_nbd_likelihood_equals_the_integrated_story(x, tx, T):
    p = (0.553, 10.58, 0.606, 11.66)
    direct = _pnbd_likelihood_by_integration(x, tx, T, *p)
    assert np.exp(pareto_nbd_log_likelihood(p, [x], [tx], [T]))[0] == pytest.approx(direct, rel=1e-5)


def test_pareto_nbd_p_alive_and_expected_purchases_behave(cdnow_sample):
    fit = opslab.ParetoNBDFitter().fit(*cdnow_sample)
    # the same frequency, a longer silence since the last purchase: less likely alive
    pa = fit.conditional_probability_alive([3, 3, 3], [30.0, 20.0, 5.0], [38.0, 38.0, 38.0])
    assert pa[0] > pa[1] > pa[2] and ((pa > 0) & (pa < 1)).all()
    # the holdout (1997-10-01 .. 1998-06-30, 39 weeks) read from the raw sample file with pandas:
    # purchase days per customer; the forecast is the sum of the conditional expectations
    raw = pd.read_csv(cdnow_path("CDNOW_sample.txt"), sep=r"\s+", header=None, dtype={2: str},
                      names=["master_id", "id", "date", "cds", "value"])
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    holdout = raw.loc[raw["date"] > "1997-09-30"].drop_duplicates(["id", "date"])
    assert len(holdout) == 1882
    exp_holdout = fit.conditional_expected_number_of_purchases_up_to_time(39, *cdnow_sample).sum()
    assert exp_holdout == pytest.approx(len(holdout), rel=0.13)  # measured: 1,666 (-11.5 %)


def test_bg_nbd_reproduces_the_published_cdnow_optimum_with_a_summary(cdnow_sample):
    fit = opslab.BetaGeoFitter().fit(*cdnow_sample)
    for k, v in dict(r=0.243, alpha=4.414, a=0.793, b=2.426).items():
        assert fit.params_[k] == pytest.approx(v, rel=2e-3), k
    assert fit.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    assert list(fit.summary.index) == ["r", "alpha", "a", "b"]


@pytest.mark.parametrize("survivors,alpha,beta,ll", [(HIGH_END, 0.668, 3.806, -1611.2),
                                                      (REGULAR, 0.704, 1.182, -1680.3)])
def test_shifted_beta_geometric_reproduces_fader_hardie_2007(survivors, alpha, beta, ll):
    fit = opslab.ShiftedBetaGeoFitter().fit(*opslab.ShiftedBetaGeoFitter.from_survivors(survivors))
    assert fit.params_["alpha"] == pytest.approx(alpha, abs=6e-4)
    assert fit.params_["beta"] == pytest.approx(beta, abs=6e-4)
    assert fit.log_likelihood_ == pytest.approx(ll, abs=0.06)
    # the fitted survival curve follows the observed one over the 7 calibration years
    observed = np.array(survivors) / survivors[0]
    assert np.abs(fit.survival(np.arange(8)) - observed).max() < 0.02
    # retention rises with tenure (the heterogeneity the paper is about)
    assert (np.diff(fit.retention_rate(np.arange(1, 13))) > 0).all()
    assert list(fit.summary.index) == ["alpha", "beta"]


def test_shifted_beta_geometric_likelihood_by_hand():
    # 3 churn after period 1, 1 after period 2, 2 still active after 2 periods, a = 1, b = 2:
    # P(T=1) = a/(a+b) = 1/3; P(T=2) = b/(a+b) * a/(a+b+1) = 2/3 * 1/4; S(2) = 2/3 * 3/4
    stayed = np.array([0, 0, 0, 1, 2, 2])
    ll = opslab.ShiftedBetaGeoFitter._ll((1.0, 2.0), stayed, np.full(6, 2)).sum()
    assert ll == pytest.approx(3 * np.log(1 / 3) + np.log(2 / 12) + 2 * np.log(0.5))


def test_shifted_beta_geometric_needs_churn_and_consistent_inputs():
    with pytest.raises(OpsLabError) as err:
        opslab.ShiftedBetaGeoFitter().fit(*opslab.ShiftedBetaGeoFitter.from_survivors([50, 50, 50]))
    assert err.value.problem.code == "clv.no_churn_observed"
    with pytest.raises(ValueError):
        opslab.ShiftedBetaGeoFitter().fit([1, 2], [1, 1], [3, 3])
    with pytest.raises(ValueError):
        opslab.ShiftedBetaGeoFitter.from_survivors([10, 12])


def test_every_fitter_has_the_one_public_shape(cdnow_sample):
    x, tx, T = cdnow_sample
    stayed, _, periods = opslab.ShiftedBetaGeoFitter.from_survivors(REGULAR)
    for cls, args in ((opslab.BetaGeoFitter, (x, tx, T)), (opslab.ParetoNBDFitter, (x, tx, T)),
                      (opslab.ShiftedBetaGeoFitter, (stayed, stayed, periods))):
        fit = cls().fit(*args)
        assert isinstance(fit, cls) and set(fit.params_) == set(fit.summary.index)
        assert np.isfinite(fit.log_likelihood_) and fit.converged_ is True
