"""Funnels, paths and A/B tests in the API's one shape (the room ``behaviour``; an A/B test's
effect on the quarter is :func:`opslab.planning.experiment_impact.ab_projection`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import pandas as pd

from opslab.api.shape import checked_assignment, dataset_of, deprecated, known_events, positional, settings_config
from opslab.behaviour import experiment_readouts as ab_more
from opslab.behaviour import experiments as ab_mod
from opslab.behaviour import funnels as funnel_mod
from opslab.behaviour import paths as paths_mod
from opslab.metrics import segments
from opslab.planning import experiment_impact

__all__ = ["FunnelConfig", "PathsConfig", "funnel", "paths", "ab_test", "ab_metrics", "ab_segments", "ab_impact"]


@dataclass(frozen=True)
class FunnelConfig:
    """A funnel's settings (see :func:`opslab.behaviour.funnels.funnel`)."""

    window_days: float = 7
    by: str | None = None
    order: str = "ordered"
    exclusions: tuple = ()
    attribution: str = "first_touch"
    start: Any = None
    end: Any = None
    top_n: int = 6


@dataclass(frozen=True)
class PathsConfig:
    """Paths around an event (see :func:`opslab.behaviour.paths.paths`)."""

    direction: str = "next"
    depth: int = 3
    top_n: int = 8
    session_minutes: float = 30
    collapse: bool = True
    start: Any = None
    end: Any = None


def funnel(ds, steps: Sequence, *old, as_of=None, rules=None, config=None,
           segment=None, **settings) -> funnel_mod.FunnelResult:
    """Conversion through ``steps`` (2 to 10 event names or step specs): a FunnelResult."""
    known_events(dataset_of(ds), steps)
    data = dataset_of(ds, segment)
    settings = positional("funnel", old, ["window_days", "by"], settings)
    cfg = settings_config(FunnelConfig, config, settings)
    end = cfg.end if cfg.end is not None else (None if as_of is None else as_of)
    return funnel_mod.funnel(data, steps, cfg.window_days, cfg.by, order=cfg.order,
                             exclusions=tuple(cfg.exclusions), attribution=cfg.attribution,
                             start=cfg.start, end=end, top_n=cfg.top_n)


def paths(ds, event: str, *old, as_of=None, rules=None, config=None,
          segment=None, **settings) -> paths_mod.PathResult:
    """The most common next (or previous) steps around ``event`` and where users leave."""
    known_events(dataset_of(ds), [event])
    data = dataset_of(ds, segment)
    settings = positional("paths", old, ["direction", "depth", "top_n", "session_minutes", "collapse"], settings)
    if "top" in settings:
        deprecated("paths(top=)", "paths(top_n=)")
        settings["top_n"] = settings.pop("top")
    cfg = settings_config(PathsConfig, config, settings)
    end = cfg.end if cfg.end is not None else as_of
    return paths_mod.paths(data, event, cfg.direction, cfg.depth, cfg.top_n, cfg.session_minutes,
                           cfg.collapse, start=cfg.start, end=end)


def ab_test(ds, assignment: pd.DataFrame, *old, as_of=None, rules=None, config=None,
            segment=None, **settings) -> ab_mod.ABResult:
    """A/B readout of ``assignment`` (user_id, variant[, exposure_time]): an ABResult.

    ``metric`` (conversion, revenue, retention, ...) and ``control`` by name; every other
    setting is an :class:`ABConfig` field."""
    data = dataset_of(ds, segment)
    settings = positional("ab_test", old, ["metric"], settings)
    metric = settings.pop("metric", "conversion")
    control = settings.pop("control", None)
    cfg = settings_config(ab_mod.ABConfig, config, settings)
    return ab_mod.ab_test(data, segments.within(data, checked_assignment(assignment)), metric, control=control, config=cfg)


def ab_metrics(ds, assignment: pd.DataFrame, *, as_of=None, rules=None, config=None, metrics=ab_mod.METRICS,
               control=None, segment=None, **settings) -> ab_more.MetricsResult:
    """Every metric of one test at once (a MetricsResult): p-values adjusted over all metrics
    and treatments (``config.correction``: ``bh`` or ``holm``)."""
    cfg = settings_config(ab_mod.ABConfig, config, settings)
    data = dataset_of(ds, segment)
    return ab_more.ab_metrics(data, segments.within(data, checked_assignment(assignment)), metrics, control=control, config=cfg)


def ab_segments(ds, assignment: pd.DataFrame, *, as_of=None, rules=None, config=None, metric="conversion",
                by: str = "channel", control=None, segment=None, **settings) -> ab_more.SegmentsResult:
    """The effect in each segment of the user attribute ``by`` against the rest (a
    SegmentsResult; flagged below ``alpha / tests``, Bonferroni)."""
    cfg = settings_config(ab_mod.ABConfig, config, settings)
    data = dataset_of(ds, segment)
    return ab_more.ab_segments(data, segments.within(data, checked_assignment(assignment)), metric, by, control=control, config=cfg)


def ab_impact(ds, result, *, as_of=None, rules=None, config=None, target=None, rollout: float = 1.0,
              segment=None) -> experiment_impact.ProjectionResult:
    """A revenue readout's lift carried to the quarter's GMV (a ProjectionResult); ``target``:
    the quarter's GMV target (a Target or a number)."""
    if not isinstance(result, ab_mod.ABResult):
        raise TypeError(f"result must be the ABResult of ab_test, not {type(result).__name__}")
    return experiment_impact.ab_projection(dataset_of(ds, segment), result, target=target, as_of=as_of,
                                           rollout=rollout)
