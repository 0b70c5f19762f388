"""KPIs, retention and lifecycle tiers in the API's one shape (the rooms ``metrics`` and
``lifecycle``; behaviour retention is :mod:`opslab.api.explore`'s)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from opslab.api.explore import explore_config, rules_for_split
from opslab.api.shape import Result, dataset_of, need_buyers, settings_config, day_of, positional
from opslab.behaviour import explore as explore_mod
from opslab.lifecycle import fit as lifecycle_fit
from opslab.lifecycle import tiers as lifecycle
from opslab.lifecycle.tiers import LifecycleRules
from opslab.metrics import kpi_table

__all__ = ["KpiResult", "RetentionResult", "SegmentResult", "RetentionConfig", "kpis", "retention", "segment"]


@dataclass(frozen=True)
class KpiResult(Result):
    """Every KPI per period (``frame``: one row per period start, ``complete`` flags)."""

    grain: str = "month"


@dataclass(frozen=True)
class RetentionResult(Result):
    """Signup-cohort retention in long form (cohort, size, k, retained, rate, complete)."""

    grain: str = "month"


@dataclass(frozen=True)
class SegmentResult(Result):
    """Every registered user's lifecycle tier and the features behind it (``frame``)."""

    rules: LifecycleRules | None = None


@dataclass(frozen=True)
class RetentionConfig:
    """Cohort retention: ``mode`` "on" (active in period k) or "on_or_after"."""

    mode: str = "on"


def kpis(ds, grain: str = "month", *old, as_of=None, rules=None, config=None,
         segment=None, **settings) -> KpiResult:
    """Every KPI (DAU … GMV, paid conversion) per period of ``grain`` up to ``as_of``."""
    data = dataset_of(ds, segment)
    config = positional("kpis", old, ["config"], {"config": config} if config else {}).get("config")
    cfg = settings_config(kpi_table.MetricConfig, config, settings)
    day = day_of(data, as_of)
    frame = kpi_table.kpis(data, grain, cfg)
    frame = frame[frame.index <= pd.Timestamp(day)]
    return KpiResult(frame=frame, config=cfg, as_of=day, grain=grain)


#: Settings that make ``retention`` a behaviour retention (cohort by a start event).
BEHAVIOUR = ("start_event", "return_event", "by", "top_n", "start", "max_k")


def retention(ds, grain: str = "month", *old, as_of=None, rules=None, config=None, segment=None,
              **settings) -> RetentionResult | explore_mod.BehaviourRetentionResult:
    """Retention by ``grain`` (day, week or month): signup cohorts (a RetentionResult); or,
    given ``start_event``/``return_event`` (None: any event), ``by`` or an
    :class:`ExploreConfig`, behaviour cohorts (a :class:`~opslab.behaviour.explore.BehaviourRetentionResult`:
    ``.frame``/``.cells``, ``.curve``, ``.over_time`` for D1/W1/M1)."""
    data = dataset_of(ds, segment)
    need_buyers(data, "retention")
    settings = positional("retention", old, ["mode"], settings)
    if isinstance(config, explore_mod.ExploreConfig) or set(settings) & set(BEHAVIOUR):
        cfg = explore_config(config, settings)
        day = day_of(data, as_of)
        return explore_mod.behaviour_retention(data, grain, cfg, day, rules_for_split(data, day, rules, cfg))
    cfg = settings_config(RetentionConfig, config, settings)
    frame = kpi_table.cohort_retention(data, grain, cfg.mode)
    return RetentionResult(frame=frame, config=cfg, as_of=day_of(data, as_of), grain=grain)


def segment(ds, *old, as_of=None, rules=None, config=None, segment=None) -> SegmentResult:
    """Every registered user's lifecycle tier as of ``as_of`` under ``rules`` (default: in force)."""
    data = dataset_of(ds, segment)
    need_buyers(data, "segment")
    named = positional("segment", old, ["rules", "as_of"], {})
    rules, as_of = named.get("rules", rules), named.get("as_of", as_of)
    day = day_of(data, as_of)
    used = rules or lifecycle_fit.rules_in_force(data, day)
    frame = lifecycle.segment(data, used, day)
    return SegmentResult(frame=frame, config=used, as_of=day, rules=used)
