"""Customer lifetime value for non-contractual purchasing: BG/NBD or Pareto/NBD + Gamma-Gamma.

* :func:`clv` -- a Dataset in, per-customer P(alive), expected purchases, expected value per
  purchase and CLV out (:class:`CLVResult`; margin a parameter, default 30 %).
* :func:`customer_summary` -- the per-customer frequency / t_x / T / spend table the models
  read, selected from the shared per-user feature table (:mod:`opslab.dataset.features`).
* :func:`rfm_summary` -- the same table from any orders frame (pandas), daily or weekly.
* :func:`customer_lifetime_value` -- discounted, month-by-month expected margin.
* :func:`fit_clv` -- :func:`rfm_summary` + fits + CLV on a plain orders frame.

The fitters live in :mod:`opslab.models.clv_fitters`. The summary's columns follow Fader and
Hardie's notation: ``frequency`` (x, repeat purchase periods), ``t_x`` (periods from the first to
the last purchase; the lifetimes package calls it "t_x", a word OpsLab keeps for the days
since the last purchase, as in RFM) and ``T`` (periods from the first purchase to the cut-off).

Example
-------
>>> rng = np.random.default_rng(0)
>>> rows = []
>>> for u in range(200):  # buy every ~30 days; after each purchase, leave with chance 0.3
...     t = int(rng.integers(0, 60))
...     while t < 365:
...         rows.append((f"u{u}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=t), round(rng.gamma(3, 20), 2)))
...         if rng.random() < 0.3:
...             break
...         t += int(rng.exponential(30)) + 1
>>> od = pd.DataFrame(rows, columns=["user_id", "order_time", "amount"])
>>> from opslab.dataset.dataset import Dataset
>>> res = clv(Dataset.from_tables(orders=od), margin=0.25)
>>> list(res.customers.columns[-6:])
['p_alive', 'expected_purchases', 'expected_avg_value', 'clv', 'rf_score', 'user_id']
>>> res.model in ("bgnbd", "pareto_nbd"), res.degenerate
(True, False)
>>> res.config.margin
0.25
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from opslab.dataset import features
from opslab.dataset.dataset import Dataset
from opslab.models.clv_fitters import (  # noqa: F401 - re-exported for notebooks and tests
    MIN_CUSTOMERS,
    MIN_REPEAT_BUYERS,
    BetaGeoFitter,
    GammaGammaFitter,
    _BGData,
    _check_rft,
    _GGData,
    bgnbd_log_likelihood,
    gamma_gamma_log_likelihood,
)
from opslab.models.clv_choice import (
    MAX_PARETO_CUSTOMERS,
    PURCHASE_MODELS,
    compare_purchase_models,
    diagnose,
    rf_score,
    sample_rows,
)
from opslab.core.periods import as_of_day
from opslab.core.problems import OpsLabError, Problem
from opslab.core.results import result_surface

_UNIT_DAYS = {"D": 1, "W": 7}
_EPOCH = pd.Timestamp("1970-01-05")  # a Monday, so weekly periods run Monday..Sunday
#: The gross margin CLV assumes unless told otherwise (shown on the Churn page, editable).
DEFAULT_MARGIN = 0.3


def rfm_summary(orders: pd.DataFrame, as_of, *, time_unit: str = "D", user_col: str = "user_id",
                time_col: str = "order_time", amount_col: str = "amount",
                status_col: str = "status") -> pd.DataFrame:
    """Per-customer frequency / t_x / T / monetary value, as the lifetimes package defines them.

    Only paid orders (status other than ``"refunded"``) on or before the calendar day ``as_of``
    count (the time of day of ``as_of`` is ignored). Orders in the same period (day, or
    Monday-Sunday week for ``time_unit="W"``) form one purchase, their amounts summed.

    Returns a frame indexed by ``user_col`` with ``frequency`` (purchase periods - 1),
    ``t_x`` (periods from first to last purchase), ``T`` (periods from first purchase to
    ``as_of``), ``monetary_value`` (mean amount of the repeat purchases, 0 when frequency is 0),
    ``n_orders`` and ``total_spend``. ``attrs["time_unit_days"]`` records the period length.

    Example
    -------
    >>> o = pd.DataFrame({"user_id": ["a", "a", "a"], "amount": [10.0, 5.0, 30.0],
    ...     "order_time": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-11"])})
    >>> rfm_summary(o, "2024-01-31").loc["a", ["frequency", "t_x", "T"]].tolist()
    [1, 10, 30]
    """
    if time_unit not in _UNIT_DAYS:
        raise ValueError(f"time_unit must be one of {sorted(_UNIT_DAYS)}, got {time_unit!r}")
    unit = _UNIT_DAYS[time_unit]
    day = pd.Timestamp(as_of_day(as_of))
    times = pd.to_datetime(orders[time_col]).dt.normalize()
    keep = times.notna() & (times <= day) & orders[user_col].notna()
    if status_col in orders.columns:
        status = orders[status_col].astype("str").str.strip().str.lower()
        keep &= status.ne("refunded")
    period = (times[keep] - _EPOCH).dt.days // unit
    per = (pd.DataFrame({"user": orders.loc[keep, user_col].to_numpy(), "period": period.to_numpy(),
                         "amount": pd.to_numeric(orders.loc[keep, amount_col]).to_numpy(float)})
           .groupby(["user", "period"], sort=True)
           .agg(amount=("amount", "sum"), n=("amount", "size"))
           .reset_index())
    g = per.groupby("user", sort=True)
    first, last = g["period"].min(), g["period"].max()
    frequency = g.size() - 1
    total = g["amount"].sum()
    repeat_spend = total - g["amount"].first()  # rows are sorted by period within a user
    as_of_period = (day - _EPOCH).days // unit
    out = pd.DataFrame({
        "frequency": frequency.astype("int64"),
        "t_x": (last - first).astype("int64"),
        "T": (as_of_period - first).astype("int64"),
        "monetary_value": np.where(frequency > 0, repeat_spend / frequency.clip(lower=1), 0.0),
        "n_orders": g["n"].sum().astype("int64"),
        "total_spend": total.astype(float),
    })
    out.index.name = user_col
    out.attrs["time_unit_days"] = unit
    return out


@dataclass(frozen=True)
class CLVConfig:
    """Lifetime value settings: horizon, annual discount rate, gross margin, step length (days),
    purchase model (``"auto"``: BG/NBD or Pareto/NBD, whichever forecasts a holdout better;
    or ``"bgnbd"`` / ``"pareto_nbd"``)."""

    horizon_days: int = 365
    discount_rate_annual: float = 0.10
    margin: float = DEFAULT_MARGIN
    time_unit_days: int = 30  # purchases are discounted step by step, one step per ~month
    purchase_model: str = "auto"

    def __post_init__(self):
        if self.purchase_model not in ("auto", *PURCHASE_MODELS):
            raise ValueError(f"purchase_model must be 'auto' or one of {sorted(PURCHASE_MODELS)}")
        if self.horizon_days <= 0 or self.time_unit_days <= 0:
            raise ValueError("horizon_days and time_unit_days must be positive")
        if self.discount_rate_annual <= -1 or self.margin < 0:
            raise ValueError("need discount_rate_annual > -1 and margin >= 0")


def customer_lifetime_value(bgf, ggf: GammaGammaFitter, summary: pd.DataFrame,
                            config: CLVConfig = CLVConfig()) -> pd.Series:
    """Discounted expected margin over ``config.horizon_days``, step by step (as lifetimes).

    For steps ending at days d_k = 30, 60, ..., horizon: margin * E[spend] * sum_k
    (E[Y(d_k)] - E[Y(d_{k-1})]) / (1 + annual rate)^(d_k / 365). ``bgf`` is the purchase model
    (BG/NBD or Pareto/NBD). ``summary`` needs frequency, t_x, T and monetary_value in the units
    the models were fitted in (``summary.attrs["time_unit_days"]``, default 1 day).
    """
    unit = summary.attrs.get("time_unit_days", 1)
    x, tx, T = _check_rft(summary["frequency"], summary["t_x"], summary["T"])
    value = ggf.conditional_expected_average_profit(x, summary["monetary_value"])
    n_steps = math.ceil(config.horizon_days / config.time_unit_days)
    ends = np.minimum(np.arange(1, n_steps + 1) * config.time_unit_days, config.horizon_days)
    prev, total = np.zeros_like(x), np.zeros_like(x)
    for d in ends:
        cum = bgf.conditional_expected_number_of_purchases_up_to_time(d / unit, x, tx, T)
        total += (cum - prev) * (1 + config.discount_rate_annual) ** (-d / 365.0)
        prev = cum
    return pd.Series(config.margin * value * total, index=summary.index, name="clv")


@result_surface(frame="customers", problems="warnings")
@dataclass(frozen=True)
class CLVResult:
    """Output of :func:`clv` and :func:`fit_clv`.

    customers: one row per customer (index: the user key) with the summary columns plus
    ``p_alive`` (NaN when the fit is degenerate and P(alive) is flat), ``expected_purchases``
    (over ``config.horizon_days``), ``expected_avg_value``, ``clv`` and ``rf_score`` (a
    recency / frequency rank that needs no model). bgf: the fitted purchase model (BG/NBD or
    Pareto/NBD, see ``model``); ggf: the spend model (None when the orders carry no amounts:
    ``expected_avg_value`` and ``clv`` are then NaN and ``warnings`` holds ``clv.no_amounts``). config: the settings used.
    model_choice: the holdout comparison (:func:`~opslab.models.clv_choice.compare_purchase_models`,
    None when not run); holdout: its cutoff, days and customers. warnings: Problems found in the
    fit (:func:`~opslab.models.clv_choice.diagnose`), also ``.problems``.
    """

    customers: pd.DataFrame
    bgf: object
    ggf: GammaGammaFitter | None
    config: CLVConfig
    model_choice: pd.DataFrame | None = None
    holdout: dict = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()

    @property
    def model(self) -> str:
        """``"bgnbd"`` or ``"pareto_nbd"``: the purchase model used."""
        return self.bgf.name

    @property
    def degenerate(self) -> bool:
        """True when the purchase model's fit says little (see ``warnings``)."""
        return any(p.code.startswith("clv.degenerate.") for p in self.warnings)


def _value(s: pd.DataFrame, config: CLVConfig, summary_at=None, first_day=None, end=None) -> CLVResult:
    """Fits and values; with ``summary_at`` (day -> summary) and ``purchase_model="auto"`` the
    purchase model is chosen on a holdout before ``end``."""
    if len(s) < MIN_CUSTOMERS:
        raise OpsLabError("clv.too_few_customers", n=len(s), min=MIN_CUSTOMERS)
    spend = s["total_spend"] if "total_spend" in s else s["monetary_value"]
    # a purchase log without amounts (BTYDplus's grocery log): purchases can be modelled, money not
    ggf = GammaGammaFitter().fit(s["frequency"], s["monetary_value"]) if (spend > 0).any() else None
    name, choice, holdout = config.purchase_model, None, {}
    if name == "auto":
        name = "bgnbd"
        if summary_at is not None:
            name, choice, holdout = compare_purchase_models(summary_at, first_day, end)
    fit_on = sample_rows(s, MAX_PARETO_CUSTOMERS) if name == "pareto_nbd" else s
    bgf = PURCHASE_MODELS[name]().fit(fit_on["frequency"], fit_on["t_x"], fit_on["T"])
    warnings = list(diagnose(bgf, s)) + ([Problem("clv.no_amounts", params={"n": len(s)})] if ggf is None else [])
    if choice is not None and choice.loc[name, "mae"] >= choice.loc["naive", "mae"]:
        warnings.append(Problem("clv.model_not_better_than_naive", params={
            "model": name, "mae": round(float(choice.loc[name, "mae"]), 3),
            "naive": round(float(choice.loc["naive", "mae"]), 3), "days": holdout["days"]}))
    x, tx, T = _check_rft(s["frequency"], s["t_x"], s["T"])
    p_alive = bgf.conditional_probability_alive(x, tx, T)
    s = s.assign(
        p_alive=p_alive,
        expected_purchases=bgf.conditional_expected_number_of_purchases_up_to_time(
            float(config.horizon_days), x, tx, T),
        expected_avg_value=np.nan if ggf is None else ggf.conditional_expected_average_profit(x, s["monetary_value"]),
        clv=np.nan if ggf is None else customer_lifetime_value(bgf, ggf, s, config),
        rf_score=rf_score(s),
    )
    added = s[["p_alive", "expected_purchases", *(() if ggf is None else ("expected_avg_value", "clv"))]].to_numpy()
    if not np.isfinite(added).all():
        raise OpsLabError("clv.non_finite_prediction", n=int((~np.isfinite(added)).any(axis=1).sum()))
    if any(p.code == "clv.degenerate.flat_p_alive" for p in warnings):
        s["p_alive"] = np.nan  # the same number for everyone says nothing: not shown as if it did
    return CLVResult(customers=s, bgf=bgf, ggf=ggf, config=config, model_choice=choice, holdout=holdout,
                     warnings=tuple(warnings))


def fit_clv(orders: pd.DataFrame, as_of, config: CLVConfig = CLVConfig()) -> CLVResult:
    """:func:`rfm_summary` (daily), BG/NBD + Gamma-Gamma fits and per-customer lifetime value.

    Raises :class:`OpsLabError` (codes ``clv.too_few_customers``,
    ``clv.too_few_repeat_buyers``, ``clv.not_converged``, ``clv.infinite_mean_spend``,
    ``clv.non_finite_prediction``) rather than return NaN.

    Example
    -------
    >>> res = fit_clv(orders, "2024-06-30", CLVConfig(margin=0.4))   # doctest: +SKIP
    >>> res.customers.sort_values("clv", ascending=False).head(10)     # doctest: +SKIP
    """
    day = pd.Timestamp(as_of_day(as_of)).date()
    first = pd.to_datetime(orders["order_time"]).min().date()
    return _value(rfm_summary(orders, day, time_unit="D"), config,
                  lambda d: rfm_summary(orders, d, time_unit="D"), first, day)


def customer_summary(ds: Dataset, as_of=None) -> pd.DataFrame:
    """:func:`rfm_summary` (daily) of the data set's paid orders up to ``as_of``.

    Index ``uid`` (the data set's dense user id); columns ``frequency``, ``t_x``, ``T``,
    ``monetary_value``, ``n_orders``, ``total_spend``. Selected from the shared per-user feature
    table (:func:`opslab.dataset.features.user_features`): frequency = paid days - 1, t_x = days
    from the first to the last paid day, T = days since the first paid day. Amounts are summed
    exactly as decimals with four places (order-independent, so the same bytes give the same
    figures). Memoised per data set and day.
    """
    day = as_of_day(as_of, ds.end)

    def compute():
        # kept for the data's last day (every page reads it), not for a holdout's past cutoff
        shared = features.user_features(ds, day, keep=day >= ds.end)
        raw = shared.loc[shared["paid_days"].to_numpy() > 0]
        freq = raw["paid_days"].to_numpy(dtype="int64") - 1
        first = raw["days_since_first_paid"].to_numpy(dtype="int64")
        total = raw["spend"].to_numpy(dtype="float64")
        repeat = total - raw["first_spend"].to_numpy(dtype="float64")
        out = pd.DataFrame({
            "frequency": freq, "t_x": first - raw["days_since_last_paid"].to_numpy(dtype="int64"),
            "T": first,
            "monetary_value": np.where(freq > 0, repeat / np.maximum(freq, 1), 0.0),
            "n_orders": raw["orders"].to_numpy(dtype="int64"), "total_spend": total,
        }, index=pd.Index(raw["uid"].to_numpy(dtype="int32"), name="uid"))
        out.attrs["time_unit_days"] = 1
        return out
    return ds.memo(("customer_summary", day), compute)


def clv(ds: Dataset, as_of=None, *, margin: float = DEFAULT_MARGIN, horizon_days: int = 365,
        discount_rate_annual: float = 0.10, purchase_model: str = "auto") -> CLVResult:
    """Per-customer P(alive), expected purchases and lifetime value from the data set's orders.

    ``margin`` is the gross margin applied to expected spend (default :data:`DEFAULT_MARGIN`,
    30 %); ``horizon_days`` the CLV and expected-purchase horizon; only orders on or before
    ``as_of`` (default: the data's last day) are used. ``customers`` is indexed by ``uid`` and
    carries ``user_id``. ``purchase_model="auto"`` chooses BG/NBD or Pareto/NBD on a holdout
    (``model_choice``). Raises :class:`OpsLabError` when the models cannot be fitted; a fit
    that says little is reported in ``warnings`` (``degenerate``).
    """
    config = CLVConfig(horizon_days=horizon_days, discount_rate_annual=discount_rate_annual, margin=margin,
                       purchase_model=purchase_model)
    day = as_of_day(as_of, ds.end)
    res = _value(customer_summary(ds, day), config, lambda d: customer_summary(ds, d), ds.start, day)
    customers = res.customers.assign(user_id=ds.users["user_id"].to_numpy()[res.customers.index.to_numpy()])
    return dataclasses.replace(res, customers=customers)
