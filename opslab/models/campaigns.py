"""Campaign response model: how participants, new users, conversions and revenue respond to
spend, campaign type, channel, duration and festival season; ROI / CAC forecasts with
intervals; budget split across channels; per-campaign summary.

Each outcome gets its own log-log regression (least squares)::

    log1p(outcome) = a + b*log(spend) + c*log(duration_days) + d*festival
                     + type effect + channel effect + e,      e ~ N(0, s^2)

``b`` is the spend elasticity (b < 1 means diminishing returns). Campaign tables are small
(20-200 rows), so type and channel enter as one-hot columns with a ridge penalty (equivalent
to a Gaussian prior centred on the average level); the penalty is chosen per outcome by exact
leave-one-out error. A level seen only once is shrunk hard towards the average; an unseen
level gets the average (zero) effect and extra variance.

Means on the original scale use the log-normal formula ``exp(mu + v/2) - 1`` (v = residual
variance + parameter variance), not Duan's smearing: the residuals are close to normal by
construction and the formula also carries parameter uncertainty. Intervals are Student-t
intervals on the log scale, back-transformed.

Example
-------
>>> model = CampaignResponseModel().fit(campaigns)                    # doctest: +SKIP
>>> plan = CampaignPlan(50_000, "满减", "抖音", "2024-06-01", "2024-06-18")
>>> fc = model.predict(plan)                                          # doctest: +SKIP
>>> fc.revenue.mean, fc.roi.mean                          # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from opslab.core.calendar_cn import festival_overlap  # the one festival calendar
from opslab.core.problems import WARNING, OpsLabError, Problem

OUTCOMES = ("participants", "new_users", "conversions", "revenue")
FACTORS = ("type", "channel")
_LAMBDAS = np.logspace(-2, 2, 13)




class NotEnoughCampaigns(OpsLabError):
    """Fewer usable campaigns than ``min_campaigns`` (code ``campaigns.too_few``)."""


class Elasticity(NamedTuple):
    estimate: float
    se: float


@dataclass(frozen=True)
class CampaignPlan:
    spend: float
    type: str
    channel: str
    start_date: Any
    end_date: Any


@dataclass(frozen=True)
class Estimate:
    mean: float
    lower: float
    upper: float


@dataclass(frozen=True)
class PlanForecast:
    """Forecast for one plan: per outcome mean and [lower, upper], ROI and CAC.

    ``roi.mean`` is expected revenue / spend and ``cac.mean`` is spend / expected new users
    (the aggregate definitions); their intervals are quantiles of ``n_draws`` simulated
    ratios. ``unseen_levels`` maps a factor ("type"/"channel") to a value absent from the
    history (its average effect was used); ``notes`` holds the matching i18n problems.
    """

    plan: CampaignPlan
    interval: float
    outcomes: dict[str, Estimate]
    roi: Estimate | None
    cac: Estimate | None
    unseen_levels: dict[str, str] = field(default_factory=dict)
    notes: tuple[Problem, ...] = ()

    participants = property(lambda self: self.outcomes.get("participants"))
    new_users = property(lambda self: self.outcomes.get("new_users"))
    conversions = property(lambda self: self.outcomes.get("conversions"))
    revenue = property(lambda self: self.outcomes.get("revenue"))

    def to_frame(self) -> pd.DataFrame:
        """One row per metric (outcomes, then roi and cac): metric, mean, lower, upper."""
        rows = dict(self.outcomes) | {"roi": self.roi, "cac": self.cac}
        return pd.DataFrame([{"metric": k, "mean": e.mean, "lower": e.lower, "upper": e.upper}
                             for k, e in rows.items() if e is not None])


def _label(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value).strip() or None


def _features(spend, start, end, types, channels) -> dict[str, Any]:
    start = pd.DatetimeIndex(pd.to_datetime(start)).normalize()
    end = pd.DatetimeIndex(pd.to_datetime(end)).normalize()
    days = np.asarray((end - start).days, float) + 1
    return {"log_spend": np.log(np.asarray(spend, float)),
            "log_duration": np.log(np.clip(days, 1, None)),
            "festival": np.array([float(festival_overlap(a, b)) for a, b in zip(start, end)]),
            "type": [_label(v) for v in types], "channel": [_label(v) for v in channels]}


@dataclass(frozen=True)
class _Fit:
    params: np.ndarray
    cov: np.ndarray      # scale * (X'X + penalty)^-1: posterior covariance of params
    scale: float         # residual variance on the log scale
    df: float            # residual degrees of freedom (n - effective parameters)
    lam: float
    n: int
    resid: pd.Series     # indexed by row position in the usable table
    loo_mu: np.ndarray   # leave-one-out prediction of each row on the log scale
    loo_var: np.ndarray  # its predictive variance (residual + parameter)


def _ridge_ols(X: np.ndarray, y: np.ndarray, penalised: np.ndarray) -> _Fit:
    """OLS on data augmented with sqrt(lambda) pseudo-rows for penalised columns (= ridge);
    lambda picked by exact leave-one-out error e_i / (1 - h_ii)."""
    n, p = X.shape
    pen_idx = np.flatnonzero(penalised)

    def augmented(lam):
        D = np.zeros((len(pen_idx), p))
        D[np.arange(len(pen_idx)), pen_idx] = np.sqrt(lam)
        return np.vstack([X, D]), np.concatenate([y, np.zeros(len(pen_idx))])

    best = (np.inf, 0.0)
    for lam in (_LAMBDAS if len(pen_idx) else [0.0]):
        Xa, _ = augmented(lam)
        A = np.linalg.pinv(Xa.T @ Xa)
        h = np.einsum("ij,jk,ik->i", X, A, X)
        e = y - X @ (A @ X.T @ y)
        loo = np.mean((e / np.clip(1 - h, 1e-6, None)) ** 2)
        best = min(best, (loo, lam))
    lam = best[1]
    Xa, ya = augmented(lam)
    # Least squares on the augmented rows, as statsmodels' OLS computes it (pseudo-inverse):
    # importing statsmodels.api for one product of small matrices cost a page 1.7 s.
    pinv = np.linalg.pinv(Xa)
    params, A = pinv @ ya, pinv @ pinv.T
    e = y - X @ params
    df = max(n - float(np.einsum("ij,jk,ik->i", X, A, X).sum()), 1.0)
    scale = float(e @ e) / df
    # Ridge with a fixed penalty: the held-out residual is exactly e_i / (1 - h_ii), and the
    # held-out parameter variance x_i' A_(-i) x_i = h_ii / (1 - h_ii) (Sherman-Morrison).
    h = np.clip(np.einsum("ij,jk,ik->i", X, A, X), 0.0, 1 - 1e-9)
    loo_mu = y - e / (1 - h)
    return _Fit(params, scale * A, scale, df, lam, n, pd.Series(e), loo_mu, scale / (1 - h))


class Accuracy(NamedTuple):
    """Leave-one-out accuracy of one outcome: each campaign predicted by the model fitted on
    the others (with the same penalty). ``error`` = sum |prediction - actual| / sum actual
    (weighted absolute percentage error); ``coverage`` = share of campaigns whose actual fell
    inside their prediction interval of ``interval`` nominal coverage."""

    error: float
    coverage: float
    interval: float
    n: int


def _accuracy(fit: _Fit, actual: np.ndarray, interval: float) -> Accuracy:
    q = stats.t.ppf(0.5 + interval / 2, fit.df)
    sd = np.sqrt(fit.loo_var)
    mean = np.maximum(np.expm1(fit.loo_mu + fit.loo_var / 2), 0.0)
    lo = np.maximum(np.expm1(fit.loo_mu - q * sd), 0.0)
    hi = np.expm1(fit.loo_mu + q * sd)
    total = float(np.sum(actual))
    error = float(np.sum(np.abs(mean - actual)) / total) if total > 0 else float("nan")
    return Accuracy(error, float(np.mean((actual >= lo) & (actual <= hi))), interval, len(actual))


class CampaignResponseModel:
    """Per-outcome log-log response to spend, type, channel, duration and festival season.

    Parameters
    ----------
    interval : float
        Coverage of prediction intervals (0.8 = 10th to 90th percentile).
    min_campaigns : int
        Fewer usable campaigns (spend > 0, valid dates) raise :class:`NotEnoughCampaigns`.
    n_draws, random_state : int
        Monte-Carlo draws (seeded) used for ROI and CAC intervals.

    Attributes (after fit): ``outcomes_``, ``elasticity_`` (outcome -> Elasticity(estimate,
    se)), ``accuracy_`` (outcome -> leave-one-out :class:`Accuracy`: error and interval
    coverage), ``terms_``, ``levels_``, ``n_campaigns_``, ``warnings_``.

    Example
    -------
    >>> m = CampaignResponseModel(interval=0.8).fit(campaigns)    # doctest: +SKIP
    >>> m.elasticity_["revenue"]                                  # doctest: +SKIP
    Elasticity(estimate=0.61, se=0.02)
    """

    def __init__(self, interval: float = 0.8, min_campaigns: int = 8,
                 n_draws: int = 2000, random_state: int = 0):
        self.interval = interval
        self.min_campaigns = min_campaigns
        self.n_draws = n_draws
        self.random_state = random_state

    # -- fitting -------------------------------------------------------------------------
    def fit(self, campaigns: pd.DataFrame) -> "CampaignResponseModel":
        if not 0 < self.interval < 1:
            raise ValueError("interval must be in (0, 1)")
        for col in ("spend", "start_date", "end_date"):
            if col not in campaigns.columns:
                raise OpsLabError("campaigns.missing_column", column=col)
        df = campaigns.reset_index(drop=True)
        spend = pd.to_numeric(df["spend"], errors="coerce").to_numpy(float)
        start = pd.to_datetime(df["start_date"], errors="coerce")
        end = pd.to_datetime(df["end_date"], errors="coerce")
        ok = (spend > 0) & start.notna().to_numpy() & end.notna().to_numpy() & (end >= start)
        ok = np.asarray(ok, bool)
        if ok.sum() < self.min_campaigns:
            raise NotEnoughCampaigns("campaigns.too_few", n=int(ok.sum()), min=self.min_campaigns)
        df = df[ok].reset_index(drop=True)
        none = [None] * len(df)
        feats = _features(spend[ok], start[ok], end[ok], df.get("type", none),
                          df.get("channel", none))
        if np.ptp(feats["log_spend"]) == 0:
            raise OpsLabError("campaigns.spend_constant")
        warnings = []
        if (~ok).sum():
            dropped = int((~ok).sum())
            warnings.append(Problem("campaigns.rows_dropped", WARNING, count=dropped,
                                    params={"count": dropped}))
        self.numeric_ = ["log_spend"] + [c for c in ("log_duration", "festival")
                                         if np.ptp(feats[c]) > 0]
        self.levels_ = {f: tuple(sorted({v for v in feats[f] if v is not None}))
                        for f in FACTORS}
        self.terms_ = ["const", *self.numeric_] + [
            f"{f}[{lv}]" for f in FACTORS if len(self.levels_[f]) > 1 for lv in self.levels_[f]]
        X, _, _ = self._design(feats, with_extra=False)
        penalised = np.array([t.endswith("]") for t in self.terms_])
        self.fits_: dict[str, _Fit] = {}
        self.accuracy_: dict[str, Accuracy] = {}
        for outcome in OUTCOMES:
            if outcome not in df.columns:
                continue
            y = pd.to_numeric(df[outcome], errors="coerce").to_numpy(float)
            rows = np.flatnonzero(np.isfinite(y) & (y >= 0))
            if len(rows) < self.min_campaigns:
                warnings.append(Problem("campaigns.outcome_skipped", WARNING, column=outcome,
                                        params={"column": outcome, "count": len(rows)}))
                continue
            fit = _ridge_ols(X[rows], np.log1p(y[rows]), penalised)
            self.fits_[outcome] = replace(fit, resid=fit.resid.set_axis(rows))
            self.accuracy_[outcome] = _accuracy(fit, y[rows], self.interval)
        if not self.fits_:
            raise NotEnoughCampaigns("campaigns.no_outcomes", min=self.min_campaigns)
        self.outcomes_ = tuple(self.fits_)
        j = self.terms_.index("log_spend")
        self.elasticity_ = {k: Elasticity(float(f.params[j]), float(np.sqrt(f.cov[j, j])))
                            for k, f in self.fits_.items()}
        if "revenue" in self.elasticity_ and self.elasticity_["revenue"].estimate >= 1:
            warnings.append(Problem("campaigns.no_diminishing_returns", WARNING,
                                    params={"b": round(self.elasticity_["revenue"].estimate, 2)}))
        self.resid_corr_ = self._residual_correlation()
        self.n_campaigns_ = len(df)
        self.warnings_ = tuple(warnings)
        return self

    def _design(self, feats, with_extra=True):
        """Design matrix, extra variance for unseen levels, and per-factor unseen flags."""
        n = len(feats["log_spend"])
        cols, extra, unseen = [np.ones(n)], None, {}
        cols += [feats[c] for c in self.numeric_]
        for f in FACTORS:
            values, levels = feats[f], self.levels_[f]
            unseen[f] = [bool(levels) and v not in levels for v in values]
            if len(levels) > 1:
                cols += [np.array([v == lv for v in values], float) for lv in levels]
        X = np.column_stack(cols)
        if with_extra:  # at predict: a new level's effect varies like the seen ones do
            extra = np.zeros((n, len(self.fits_)))
            for f in FACTORS:
                idx = [i for i, t in enumerate(self.terms_) if t.startswith(f + "[")]
                if idx:
                    tau2 = [np.mean(fit.params[idx] ** 2) for fit in self.fits_.values()]
                    extra = extra + np.outer(unseen[f], tau2)
        return X, extra, unseen

    def _residual_correlation(self) -> np.ndarray:
        k = len(self.fits_)
        common = pd.concat([f.resid for f in self.fits_.values()], axis=1, join="inner")
        if k == 1 or len(common) < 5:
            return np.eye(k)
        R = np.nan_to_num(np.corrcoef(common.to_numpy().T), nan=0.0)
        w, V = np.linalg.eigh((R + R.T) / 2)  # clip to positive definite
        R = V @ np.diag(np.clip(w, 1e-6, None)) @ V.T
        d = np.sqrt(np.diag(R))
        return R / np.outer(d, d)

    # -- prediction ----------------------------------------------------------------------
    def _log_moments(self, plan: CampaignPlan, spends=None):
        spends = np.atleast_1d(plan.spend if spends is None else spends).astype(float)
        if np.any(spends <= 0):
            raise ValueError("spend must be positive")
        if pd.Timestamp(plan.end_date) < pd.Timestamp(plan.start_date):
            raise ValueError("end_date is before start_date")
        one = _features([1.0], [plan.start_date], [plan.end_date], [plan.type], [plan.channel])
        feats = {k: np.repeat(v, len(spends)) if k in ("log_duration", "festival")
                 else v * len(spends) for k, v in one.items() if k != "log_spend"}
        feats["log_spend"] = np.log(spends)
        X, extra, unseen = self._design(feats)
        mu = {k: X @ f.params for k, f in self.fits_.items()}
        var = {k: f.scale + np.einsum("ij,jk,ik->i", X, f.cov, X) + extra[:, i]
               for i, (k, f) in enumerate(self.fits_.items())}
        return mu, var, {f: feats[f][0] for f in FACTORS if unseen[f][0]}

    def expected_outcome(self, plan: CampaignPlan, outcome: str = "revenue", spends=None):
        """Plug-in expected outcome ``exp(mu + s^2/2) - 1`` (>= 0) at the fitted parameters (no
        parameter uncertainty); the objective :func:`optimise_budget` maximises. With
        ``spends`` (array) it is evaluated at each spend and returns an array."""
        mu, _, _ = self._log_moments(plan, spends)
        out = np.maximum(np.expm1(mu[outcome] + self.fits_[outcome].scale / 2), 0.0)
        return out if spends is not None else float(out[0])

    def predict(self, plan: CampaignPlan) -> PlanForecast:
        """Forecast one plan: per outcome mean and interval, ROI and CAC with intervals."""
        mu, var, unseen = self._log_moments(plan)
        alpha = (1 - self.interval) / 2
        outcomes, draws = {}, {}
        rng = np.random.default_rng(self.random_state)
        g = rng.standard_normal((self.n_draws, len(self.fits_))) @ np.linalg.cholesky(
            self.resid_corr_).T
        for i, (k, f) in enumerate(self.fits_.items()):
            m, sd = mu[k][0], float(np.sqrt(var[k][0]))
            q = stats.t.ppf([alpha, 1 - alpha], f.df)
            lo, hi = np.maximum(np.expm1(m + q * sd), 0.0)
            outcomes[k] = Estimate(max(float(np.expm1(m + sd**2 / 2)), 0.0), float(lo), float(hi))
            # Gaussian copula: correlated normals -> each outcome's own t marginal
            draws[k] = np.maximum(np.expm1(m + sd * stats.t.ppf(stats.norm.cdf(g[:, i]), f.df)), 0)
        spend = float(plan.spend)

        def ratio(point, sample):
            lo, hi = np.quantile(sample, [alpha, 1 - alpha], method="inverted_cdf")
            return Estimate(float(point), float(lo), float(hi))

        roi = cac = None
        if "revenue" in outcomes:
            roi = ratio(outcomes["revenue"].mean / spend, draws["revenue"] / spend)
        if "new_users" in outcomes:
            nu = draws["new_users"]
            mean_nu = outcomes["new_users"].mean
            cac = ratio(spend / mean_nu if mean_nu > 0 else np.inf,
                        np.where(nu > 0, spend / np.where(nu > 0, nu, 1), np.inf))
        notes = tuple(Problem(f"campaigns.unseen_{f}", WARNING, column=f, params={"value": v})
                      for f, v in unseen.items())
        return PlanForecast(plan, self.interval, outcomes, roi, cac, unseen, notes)


def campaign_summary(campaigns: pd.DataFrame) -> pd.DataFrame:
    """Per-campaign ROI (revenue/spend), CAC (spend/new_users) and conversion rate
    (conversions/participants). A zero or missing denominator gives NaN, never inf; views
    show ROI as "1:x" with :func:`opslab.present.formatting.roi`.

    Example
    -------
    >>> campaign_summary(pd.DataFrame({"campaign_id": ["a"], "spend": [100.0],
    ...                                "revenue": [320.0]}))["roi"].tolist()
    [3.2]
    """
    out = campaigns[[c for c in ("campaign_id", "name", "type", "channel", "start_date",
                                 "end_date") if c in campaigns.columns]].copy()
    for col in ("spend", "revenue", "new_users", "participants", "conversions"):
        out[col] = (pd.to_numeric(campaigns[col], errors="coerce").astype(float)
                    if col in campaigns.columns else np.nan)

    def safe_div(a, b):  # zero, negative or missing denominator -> NaN, never inf
        return (out[a] / out[b].where(out[b] > 0)).astype(float)

    out["roi"] = safe_div("revenue", "spend")
    out["cac"] = safe_div("spend", "new_users")
    out["conversion_rate"] = safe_div("conversions", "participants")
    return out.reset_index(drop=True)
