"""Readouts around one A/B test: every metric at once with a multiple-testing guard, and
effects by segment (a segment against the rest, Bonferroni). The projected effect on the
quarter's GMV and its target is in :mod:`opslab.planning.experiment_impact`.

* :func:`ab_metrics`: one row per metric and treatment; the p-values adjusted over the whole
  family (Benjamini-Hochberg: the expected share of false discoveries among the metrics
  called; Holm: the chance of any false alarm). Reading five metrics at 5 % each without it
  calls a difference on one of them in about a fifth of tests with no effect at all.
* :func:`ab_segments`: for each value of a user attribute, the effect inside the segment and
  in the rest, and the test of their difference (Statsig's "differential impact": a
  z-test of the two independent effects, flagged only below ``alpha / tests``, Bonferroni).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from opslab.behaviour import effect_stats as es
from opslab.behaviour import experiment_effects as fx
from opslab.behaviour.experiments import ABConfig, METRICS, readout, user_outcomes, with_attribute
from opslab.core.results import result_surface
from opslab.dataset.dataset import Dataset

MIN_SEGMENT = 30          # users per arm, inside the segment and in the rest


@result_surface(frame="frame")
@dataclass(frozen=True)
class MetricsResult:
    """Every metric's readout: ``frame`` (metric, variant, means, lift, interval, p-values
    raw / BH / Holm over the family, chance to beat, risk, ``significant``), ``readouts``."""

    frame: pd.DataFrame
    readouts: dict = field(repr=False)
    correction: str = "bh"


def ab_metrics(ds: Dataset, assignment: pd.DataFrame, metrics=METRICS, *, control: str | None = None,
               config: ABConfig = ABConfig()) -> MetricsResult:
    """Read several metrics of one test at once; ``config.correction`` (``bh`` or ``holm``)
    decides ``significant`` over all metrics and treatments together."""
    metrics = list(metrics)
    bad = [m for m in metrics if m not in METRICS]
    if bad or not metrics:
        raise ValueError(f"metrics must be some of {METRICS}, not {bad or metrics}")
    users, dropped = user_outcomes(ds, assignment, config)
    daily = users.attrs.pop("daily")
    readouts, rows = {}, []
    for m in metrics:
        res = readout(ds, users, daily, dropped, m, control, config)
        readouts[m] = res
        comp = res.comparisons
        rows.append(pd.DataFrame({"metric": m, "variant": comp["variant"], "mean_c": comp["mean_c"],
                                  "mean_t": comp["mean_t"], "rel_lift": comp["rel_lift"], "rel_low": comp["rel_low"],
                                  "rel_high": comp["rel_high"], "p_value": comp["p_value"],
                                  "chance_to_beat": comp["chance_to_beat"], "risk_treatment": comp["risk_treatment"],
                                  "srm_ok": res.srm_ok}))
    frame = pd.concat(rows, ignore_index=True)
    p = frame["p_value"].fillna(1.0).to_numpy()
    frame["p_bh"] = es.adjust(p, "bh")
    frame["p_holm"] = es.adjust(p, "holm")
    frame["significant"] = (frame["p_bh" if config.correction == "bh" else "p_holm"] < config.alpha) & frame["srm_ok"]
    return MetricsResult(frame, readouts, config.correction)


@result_surface(frame="frame")
@dataclass(frozen=True)
class SegmentsResult:
    """Effects by segment: ``frame`` one row per treatment and segment value (users, lift
    inside and in the rest, their difference, its p-value, the Bonferroni ``threshold`` and
    ``flagged``); ``column`` the attribute; ``skipped`` segments too small to test."""

    frame: pd.DataFrame
    column: str
    metric: str
    skipped: tuple = ()


#: Users-table columns that are not attributes of a user (ids, dates, the burn-in flag).
NOT_ATTRIBUTES = ("uid", "user_id", "signup_time", "censored")


def attribute_columns(ds: Dataset, max_values: int = 50) -> list[str]:
    """Users-table attributes an experiment can be stratified or split by: every column but
    ids and dates with at most ``max_values`` distinct values (channel, city, tier...); a
    column the data left empty (a standard column the file did not have) is none."""
    return [c for c in ds.users.columns if c not in NOT_ATTRIBUTES and 0 < ds.users[c].nunique() <= max_values]


def ab_segments(ds: Dataset, assignment: pd.DataFrame, metric: str, column: str, *, control: str | None = None,
                config: ABConfig = ABConfig()) -> SegmentsResult:
    """The effect inside each segment of ``column`` (a users-table attribute) against the
    effect in all other users; a segment is flagged when the difference's two-sided p-value
    is below ``config.alpha`` divided by the number of (segment, treatment) tests."""
    base = readout(ds, *_outcomes(ds, assignment, config), metric, control, replace(config, strata=None))
    users = with_attribute(ds, base.users, column)
    control = base.control
    treatments = [v for v in base.variants["variant"] if v != control]
    values = users[column].value_counts().index.tolist()
    rows, skipped = [], []
    for v in treatments:
        both = users[users["variant"].isin([control, v])]
        for value in values:
            inside = both[both[column] == value]
            rest = both[both[column] != value]
            sizes = [int((g["variant"] == arm).sum()) for g in (inside, rest) for arm in (control, v)]
            if min(sizes) < MIN_SEGMENT:
                skipped.append(value)
                continue
            e_in, e_rest = (_abs_effect(g, control, v, metric) for g in (inside, rest))
            diff = e_in.estimate - e_rest.estimate
            se = float(np.hypot(e_in.se, e_rest.se))
            p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else float("nan")
            rows.append({"variant": v, "segment": value, "users": len(inside), "lift": e_in.estimate,
                         "rel_lift": e_in.estimate / e_in.baseline if e_in.baseline else float("nan"),
                         "lift_rest": e_rest.estimate,
                         "rel_lift_rest": e_rest.estimate / e_rest.baseline if e_rest.baseline else float("nan"),
                         "difference": diff, "p_value": p})
    frame = pd.DataFrame(rows, columns=["variant", "segment", "users", "lift", "rel_lift", "lift_rest",
                                        "rel_lift_rest", "difference", "p_value"])
    frame["threshold"] = config.alpha / max(len(frame), 1)
    frame["flagged"] = frame["p_value"] < frame["threshold"]
    return SegmentsResult(frame, column, metric, tuple(dict.fromkeys(skipped)))


def _outcomes(ds, assignment, config):
    users, dropped = user_outcomes(ds, assignment, config)
    return users, users.attrs.pop("daily"), dropped


def _abs_effect(g: pd.DataFrame, control: str, v: str, metric: str) -> es.Effect:
    b_c = fx.block(g[g["variant"] == control], metric, False)
    b_t = fx.block(g[g["variant"] == v], metric, False)
    return es.effect(b_c, b_t, fx.kind_of(metric, False), relative=False)
