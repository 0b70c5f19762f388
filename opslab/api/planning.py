"""Targets, the quarterly report and anomaly alerts in the API's one shape (the rooms
``planning`` and ``report``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pandas as pd

from opslab.api.shape import Result, dataset_of, settings_config, day_of, positional
from opslab.planning import completion
from opslab.planning.targets import Target, parse_period
from opslab.report import alerts as alerts_mod
from opslab.report import content as report_mod
from opslab.report.trust import source_from_load

__all__ = ["TargetStatusResult", "target_status", "quarterly_report", "anomaly_alerts"]


@dataclass(frozen=True)
class TargetStatusResult(Result):
    """Where every target stands (``frame``: actual, 完成度, 时间进度, forecast, P(hit), status)."""

    targets: tuple[Target, ...] = ()


def _targets(targets, period) -> list[Target]:
    if targets is None:
        return []
    if isinstance(targets, Target):
        return [targets]
    if isinstance(targets, Mapping):
        if period is None:
            raise ValueError("targets given as {kpi: value} need period= (e.g. period='2026Q3')")
        return [Target(str(k), parse_period(period).code, float(v)) for k, v in targets.items()]
    out = list(targets)
    bad = [type(t).__name__ for t in out if not isinstance(t, Target)]
    if bad:
        raise TypeError(f"targets must be Target objects or a {{kpi: value}} mapping, not {bad[0]}")
    return out


def target_status(ds, targets, *old, period=None, as_of=None, rules=None,
                  config=None, segment=None) -> TargetStatusResult:
    """Where every target stands on ``as_of``: a list of :class:`Target`, or ``{kpi: value}``
    for ``period``."""
    data = dataset_of(ds, segment)
    named = positional("target_status", old, ["as_of", "config"], {})
    as_of, config = named.get("as_of", as_of), named.get("config", config)
    wanted = _targets(targets, period)
    day = day_of(data, as_of)
    high_value = None
    if rules is not None:
        high_value = rules.high_value_monthly_spend
    frame = completion.target_status(data, wanted, day, config, high_value=high_value)
    return TargetStatusResult(frame=frame, config=config, as_of=day, targets=tuple(wanted))


def quarterly_report(ds, period=None, *old, targets=None, lang: str = "zh", as_of=None, rules=None,
                     config=None, source=None, segment=None) -> report_mod.ReportResult:
    """The ops report for ``period`` (default: the quarter holding ``as_of``, the data's last day);
    ``source`` (default: from ``ds`` when it is a LoadResult) feeds its data-quality section."""
    data = dataset_of(ds, segment)
    named = positional("quarterly_report", old, ["targets", "lang", "as_of", "config", "rules"], {})
    targets, lang = named.get("targets", targets), named.get("lang", lang)
    as_of, config, rules = named.get("as_of", as_of), named.get("config", config), named.get("rules", rules)
    if period is None:
        period = pd.Period(day_of(data, as_of), freq="Q").strftime("%YQ%q")
    wanted = _targets(targets, period)
    source = source_from_load(ds) if source is None and hasattr(ds, "reconciliation") else source
    return report_mod.quarterly_report(data, period, wanted or None, lang, as_of, config, rules, source)


def anomaly_alerts(ds, subject=None, *, as_of=None, rules=None, config=None,
                   segment=None, **settings) -> alerts_mod.AlertResult:
    """Anomaly alerts up to ``as_of``, each with its likely cause (:mod:`opslab.report.alerts`)."""
    config = settings_config(alerts_mod.AlertConfig, config, settings)
    return alerts_mod.anomaly_alerts(dataset_of(ds, segment), subject, as_of=as_of, rules=rules, config=config)
