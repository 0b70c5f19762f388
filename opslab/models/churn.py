"""Churn risk: who will be inactive within the horizon, how sure we are, and what is at stake.

:func:`churn_risk` is the one call: a :class:`~opslab.models.churn_model.ChurnModel` fitted at
any cutoff ``as_of`` (a past day allowed: only data up to it are read, so the result can be
checked against what happened next) and horizon (7 to 365 days), the lifecycle tier of every
scored user under the rules in force, and each customer's P(alive), expected purchases and
lifetime value from BG/NBD or Pareto/NBD (chosen on a holdout) + Gamma-Gamma.

The work is split over small modules; import everything from here:

* :mod:`~opslab.models.churn_features` -- :class:`ChurnConfig`, features and labels;
* :mod:`~opslab.models.churn_model` -- :class:`ChurnModel` (candidates, time split, choice);
* :mod:`~opslab.models.churn_result` -- :class:`ChurnResult` and the honest readout;
* :mod:`~opslab.models.churn_metrics` -- ROC/PR AUC, Brier, lift, thresholds, importance;
* :mod:`~opslab.models.churn_reasons` -- per-user reasons as i18n keys.

Example
-------
>>> from opslab.dataset.load import load_sample
>>> res = churn_risk(load_sample(), horizon_days=28)
>>> list(res.scores.columns[:3])
['user_id', 'risk', 'tier']
>>> bool(res.scores["risk"].between(0, 1).all())
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from opslab.lifecycle import tiers as lifecycle
from opslab.dataset.dataset import Dataset
from opslab.lifecycle.fit import rules_in_force
from opslab.models.churn_features import (  # noqa: F401 - the churn API in one place
    BASE_FEATURES,
    LIFETIME_FEATURES,
    MAX_HORIZON,
    MIN_HORIZON,
    ChurnConfig,
    churn_features,
    churn_labels,
    has_visit_events,
    model_matrix,
    top_event_names,
)
from opslab.models.churn_metrics import (  # noqa: F401
    brier,
    calibration_table,
    capture_rate,
    gains_table,
    lift,
    permutation_importance,
    pr_auc,
    roc_auc,
    threshold_table,
)
from opslab.models.churn_model import MODELS, ChurnModel  # noqa: F401
from opslab.models.churn_reasons import REASONS, explain, feature_label, reason_reference  # noqa: F401
from opslab.models.churn_result import ChurnReadout, ChurnResult  # noqa: F401
from opslab.models.clv import DEFAULT_MARGIN, clv
from opslab.core.periods import as_of_day
from opslab.core.problems import OpsLabError, Problem
from opslab.core.results import old_names, result_surface

#: Tiers on the early-warning list (churned and brand-new users are not "about to churn").
WATCH_TIERS = ("active", "payer", "high_value", "potential_payer", "churn_warning")
#: Every tier a scored user can be in, in the order screens list them.
SCORED_TIERS = (*WATCH_TIERS, "new", "silent_new", "churned")
DEFAULT_HORIZON = ChurnConfig().horizon


@result_surface(frame="scores", problems=lambda r: tuple(p for p in (r.clv_problem,) if p is not None)
                + (r.clv.warnings if r.clv is not None else ()),
                config=lambda r: getattr(r.model, "config", None))
@dataclass(frozen=True)
class ChurnRiskResult:
    """Output of :func:`churn_risk`.

    scores: one row per scored user (index ``uid``): ``user_id``, ``risk`` (probability of no
    activity within the horizon), ``tier`` (rules in force at ``as_of``), ``p_alive``,
    ``expected_purchases`` (within the horizon), ``clv``, ``value`` (CLV, or 90-day spend when
    CLV cannot be fitted), ``value_at_risk = risk x value`` and the model's features.
    model: the :class:`ChurnResult` (validation, choice, notes). rules: the lifecycle rules
    used. margin: the CLV gross margin. clv_problem: why CLV could not be fitted (or None).
    clv: the :class:`~opslab.models.clv.CLVResult` behind the value columns (None when it could
    not be fitted): its purchase model, holdout comparison and warnings.
    """

    scores: pd.DataFrame
    model: ChurnResult
    rules: lifecycle.LifecycleRules
    margin: float
    clv_problem: Problem | None
    clv: object = None

    @property
    def as_of(self) -> dt.date:
        return self.model.as_of

    @property
    def horizon_days(self) -> int:
        return self.model.config.horizon

    @property
    def chosen(self) -> str:
        return self.model.chosen

    @property
    def validation(self) -> pd.DataFrame:
        return self.model.validation

    @property
    def notes(self) -> tuple[tuple[str, dict], ...]:
        return self.model.notes

    def readout(self, threshold: float) -> ChurnReadout:
        """Base rate, precision / recall / lift at ``threshold``, verdict and its reasons, over
        the users not churned under the rules (idle for fewer than ``rules.churn_days``)."""
        return self.model.readout(threshold, self.rules.churn_days)

    def model_card(self) -> tuple[pd.DataFrame, int]:
        """Every candidate's validation metrics on the same users as :meth:`readout` (not
        churned under the rules at the validation cutoff), and how many they are: the AUC of
        the chosen model is one number on the card and in the verdict."""
        return self.model.validation_for(self.rules.churn_days)

    def reasons(self, frame: pd.DataFrame, k: int = 3) -> list[list[tuple[str, dict]]]:
        return self.model.reasons(frame, k)


def churn_risk(ds: Dataset, as_of=None, horizon_days: int = DEFAULT_HORIZON,
               rules: lifecycle.LifecycleRules | None = None, *, label: str = "activity",
               margin: float = DEFAULT_MARGIN, config: ChurnConfig | None = None,
               progress: Callable[[float, str], None] | None = None) -> ChurnRiskResult:
    """Churn risk of every user with activity up to ``as_of`` within ``horizon_days``.

    Parameters
    ----------
    ds : Dataset
    as_of : date-like, optional
        The cutoff (default: the data's last day). Nothing after it is read.
    horizon_days : int
        7 to 365: "churned" means no activity (``label="purchase"``: no purchase) within it.
    rules : LifecycleRules, optional
        Tier rules (default: the rules in force, :func:`opslab.lifecycle.fit.rules_in_force`).
    margin : float
        Gross margin for CLV (default 30 %).
    config : ChurnConfig, optional
        Full model settings; ``horizon_days`` and ``label`` override its horizon and label.
    progress : callable, optional
        ``progress(fraction, step)`` while fitting.

    Returns
    -------
    ChurnRiskResult
    """
    base = config or ChurnConfig()
    cfg = ChurnConfig(**{**base.__dict__, "horizon": int(horizon_days), "label": label})
    end = min(ds.end, as_of_day(as_of, ds.end))
    # memoised per data set: another margin, rule set or threshold reuses the fitted model
    model = ds.memo(("churn_model", cfg, end), lambda: ChurnModel(cfg).fit(ds, end, progress).result_)
    rules = rules or rules_in_force(ds, model.as_of)
    scores = model.scores
    seg = lifecycle.segment(ds, rules, model.as_of)
    tier = pd.Series(seg["tier"].to_numpy(), index=seg["uid"].to_numpy())
    out = scores[["user_id", "risk"]].copy()
    out["tier"] = pd.Categorical(tier.reindex(scores.index).astype("str").to_numpy(),
                                 categories=list(lifecycle.TIERS))
    valued, problem, res = _value(out, scores, ds, model.as_of, cfg.horizon, margin)
    full = pd.concat([valued, scores.drop(columns=["user_id", "risk"])], axis=1)
    return ChurnRiskResult(scores=full, model=model, rules=rules, margin=float(margin), clv_problem=problem, clv=res)


def _value(out, scores, ds, as_of, horizon, margin) -> tuple[pd.DataFrame, Problem | None, object]:
    """P(alive), expected purchases within the horizon, CLV and value at risk."""
    out = out.copy()
    problem, res = None, None
    try:
        res = ds.memo(("clv", as_of, float(margin)), lambda: clv(ds, as_of, margin=margin))
        c = res.customers
        x, tx, T = (c[k].to_numpy(dtype="float64") for k in ("frequency", "t_x", "T"))
        exp_h = res.bgf.conditional_expected_number_of_purchases_up_to_time(float(horizon), x, tx, T)
        idx = out.index.to_numpy()
        out["p_alive"] = c["p_alive"].reindex(idx).to_numpy(dtype="float64")
        out["expected_purchases"] = pd.Series(exp_h, index=c.index).reindex(idx).to_numpy(dtype="float64")
        out["clv"] = c["clv"].reindex(idx).fillna(0.0).to_numpy(dtype="float64")
        out["value"], out["value_source"] = out["clv"], "clv"
        if res.ggf is None:  # no amounts: no lifetime value, the 90-day spend (absent) instead
            out["clv"] = np.nan
            out["value"], out["value_source"] = scores["spend_90"].to_numpy(dtype="float64"), "spend_90"
    except OpsLabError as err:
        problem = err.problem
        for col in ("p_alive", "expected_purchases", "clv"):
            out[col] = np.nan
        out["value"] = scores["spend_90"].to_numpy(dtype="float64")
        out["value_source"] = "spend_90"
        res = None
    out["value_at_risk"] = out["risk"].to_numpy(dtype="float64") * out["value"].to_numpy(dtype="float64")
    return out, problem, res


def early_warning(scores: pd.DataFrame, threshold: float, tiers=WATCH_TIERS) -> pd.DataFrame:
    """Users with ``risk >= threshold`` in ``tiers``, by value at risk (then risk), highest first.

    Ties keep ``user_id`` order, so the list is deterministic.

    >>> s = pd.DataFrame({"user_id": ["a", "b", "c"], "risk": [0.9, 0.8, 0.2],
    ...     "tier": ["payer", "churned", "payer"], "value_at_risk": [1.0, 5.0, 9.0]})
    >>> early_warning(s, 0.5)["user_id"].tolist()
    ['a']
    """
    keep = (scores["risk"].to_numpy() >= threshold) & scores["tier"].astype("str").isin(list(tiers)).to_numpy()
    out = scores.loc[keep]
    by = [c for c in ("value_at_risk", "risk") if c in out]
    return out.sort_values(by + ["user_id"], ascending=[False] * len(by) + [True], kind="stable")


def clv_by_tier(scores: pd.DataFrame, tiers=SCORED_TIERS) -> pd.DataFrame:
    """The mean CLV of the scored users in each tier: ``tier``, ``clv``, ``users``, one row per
    tier that has users, in the order of ``tiers`` (tiers not named there come last, by name).

    >>> s = pd.DataFrame({"tier": ["payer", "active", "payer"], "clv": [10.0, 4.0, 20.0]})
    >>> clv_by_tier(s).to_dict("list")
    {'tier': ['active', 'payer'], 'clv': [4.0, 15.0], 'users': [1, 2]}
    """
    tier = scores["tier"].astype("str")
    g = scores["clv"].groupby(tier.to_numpy())
    out = pd.DataFrame({"clv": g.mean(), "users": g.size()})
    rank = {t: i for i, t in enumerate(tiers)}
    order = sorted(out.index, key=lambda t: (rank.get(t, len(rank)), t))
    return out.reindex(order).rename_axis("tier").reset_index()

#: The result's old name keeps working for one release, with a DeprecationWarning.
__getattr__ = old_names(globals(), {"ChurnRisk": "ChurnRiskResult"})
