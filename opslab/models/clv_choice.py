"""Which purchase model a data set supports, and whether the fitted one says anything.

* :func:`compare_purchase_models` -- BG/NBD and Pareto/NBD fitted on the history before a
  holdout (the last third of the history by default), each forecasting every customer's
  purchase days in the holdout; compared with what happened, and with the naive forecast (each
  customer keeps the repeat rate seen so far). The model with the lower mean absolute error per
  customer is chosen; Pareto/NBD only when it is lower by more than :data:`TIE` (0.1 %): on the
  online retailer's sample both fits collapsed to the same NBD and differed by 1e-6.
* :func:`diagnose` -- a fitted model is degenerate when it did not converge, when a parameter
  sits at the optimiser's bound, or when P(alive) is nearly the same for every repeat buyer
  (an online retailer's log gave P(alive) >= 0.999 for all 3,317 customers: the column says
  nothing). Each finding is a :class:`~opslab.core.problems.Problem` for the readout.
* :func:`rf_score` -- what can be said without a model: a recency / frequency rank in [0, 1].
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from opslab.core.problems import OpsLabError, Problem
from opslab.models.clv_fitters import BetaGeoFitter
from opslab.models.clv_more_fitters import ParetoNBDFitter

PURCHASE_MODELS = {"bgnbd": BetaGeoFitter, "pareto_nbd": ParetoNBDFitter}
FLAT_P_ALIVE = 0.01     # P(alive) spread (5th to 95th percentile of repeat buyers) below this says nothing
MIN_HOLDOUT_DAYS = 7
#: Relative difference of holdout errors below which the two purchase models tie (BG/NBD kept).
TIE = 0.001
#: Customers the holdout comparison uses at most (a fixed-seed sample beyond): a Pareto/NBD fit
#: costs two hypergeometric functions per distinct customer history and iteration (about 5 s
#: for 23,570 CDNOW customers unloaded; minutes for 30,000 simulated ones on a loaded machine),
#: and the choice needs no more.
MAX_COMPARE_CUSTOMERS = 10_000
#: Customers a final Pareto/NBD fit uses at most (a fixed-seed sample beyond; its parameters
#: then apply to everyone).
MAX_PARETO_CUSTOMERS = 10_000


def sample_rows(summary: pd.DataFrame, limit: int, seed: int = 0) -> pd.DataFrame:
    """At most ``limit`` rows, a fixed-seed sample kept in row order (attrs kept)."""
    if len(summary) <= limit:
        return summary
    keep = np.sort(np.random.default_rng(seed).choice(len(summary), size=limit, replace=False))
    return summary.iloc[keep]


def _rft(summary: pd.DataFrame):
    return tuple(summary[k].to_numpy(dtype="float64") for k in ("frequency", "t_x", "T"))


def compare_purchase_models(summary_at, first_day: dt.date, end: dt.date,
                            holdout_days: int | None = None) -> tuple[str, pd.DataFrame | None, dict]:
    """Fit each purchase model before a holdout and score its forecast of the holdout.

    ``summary_at(day)`` returns the daily frequency / t_x / T table of the orders up to ``day``
    (:func:`opslab.models.clv.customer_summary`). Returns (chosen model name, comparison table or
    None when no holdout fits, params of the holdout: cutoff, days). The table (index ``model``:
    bgnbd, pareto_nbd, naive) has ``log_likelihood`` (calibration), ``predicted``, ``actual``
    (holdout purchase days of the calibration customers), ``mae`` (per customer) and ``chosen``;
    the params' ``n`` counts the customers compared.
    """
    span = (end - first_day).days
    days = int(holdout_days or span // 3)
    if days < MIN_HOLDOUT_DAYS or span - days < MIN_HOLDOUT_DAYS:
        return "bgnbd", None, {}
    cut = end - dt.timedelta(days=days)
    cal, full = sample_rows(summary_at(cut), MAX_COMPARE_CUSTOMERS), summary_at(end)
    x, tx, T = _rft(cal)
    # purchase days after the cut: the growth of the repeat count (same customers, same days)
    actual = full["frequency"].reindex(cal.index).to_numpy(dtype="float64") - x
    rows = []
    for name, cls in PURCHASE_MODELS.items():
        try:
            fit = cls().fit(x, tx, T)
        except OpsLabError:
            continue
        pred = fit.conditional_expected_number_of_purchases_up_to_time(float(days), x, tx, T)
        rows.append({"model": name, "log_likelihood": fit.log_likelihood_, "predicted": float(pred.sum()),
                     "actual": float(actual.sum()), "mae": float(np.mean(np.abs(pred - actual)))})
    if not rows:
        return "bgnbd", None, {}
    naive = np.where(T > 0, x / np.maximum(T, 1), 0.0) * days
    rows.append({"model": "naive", "log_likelihood": np.nan, "predicted": float(naive.sum()),
                 "actual": float(actual.sum()), "mae": float(np.mean(np.abs(naive - actual)))})
    table = pd.DataFrame(rows).set_index("model")
    models = table.drop(index="naive")
    mae = models["mae"]
    chosen = str(mae.idxmin())
    if "bgnbd" in mae.index and mae[chosen] >= (1 - TIE) * mae["bgnbd"]:
        chosen = "bgnbd"  # within a tie: the first, simpler model
    table["chosen"] = table.index == chosen
    return chosen, table, {"cutoff": str(cut), "days": days, "n": int(len(cal))}


def diagnose(fit, summary: pd.DataFrame) -> tuple[Problem, ...]:
    """Problems that make a fitted purchase model say nothing (empty when it is sound)."""
    name = getattr(fit, "name", type(fit).__name__)
    out = []
    if not getattr(fit, "converged_", True):
        out.append(Problem("clv.degenerate.not_converged", params={"model": name}))
    if getattr(fit, "at_bound_", False):
        shown = ", ".join(f"{k} = {v:.3g}" for k, v in fit.params_.items())
        out.append(Problem("clv.degenerate.at_bound", params={"model": name, "params": shown}))
    x, tx, T = _rft(summary)
    rep = x > 0
    if rep.sum() >= 2:
        p = fit.conditional_probability_alive(x[rep], tx[rep], T[rep])
        low, high = np.quantile(p, [0.05, 0.95])
        if high - low < FLAT_P_ALIVE:
            out.append(Problem("clv.degenerate.flat_p_alive", count=int(rep.sum()),
                               params={"model": name, "low": round(float(low), 4),
                                       "high": round(float(high), 4), "n": int(rep.sum())}))
    return tuple(out)


def rf_score(summary: pd.DataFrame) -> np.ndarray:
    """Recency / frequency rank in [0, 1]: the mean of the percentile ranks of recent activity
    (fewer days since the last purchase) and of the repeat count; higher = more engaged."""
    idle = (summary["T"] - summary["t_x"]).rank(pct=True, ascending=False)
    freq = summary["frequency"].rank(pct=True)
    return ((idle + freq) / 2).to_numpy(dtype="float64")
