"""The projected effect of an A/B test on the quarter's GMV and its target.

The relative lift of revenue per user (or per order) measured in the test is applied to the
GMV the quarter is still expected to bring: its daily run-rate over the last
:data:`RUN_RATE_DAYS` days times the days left. Against the quarter's GMV target this says how
much of the gap the change would close if it were rolled out now.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslab.behaviour.experiments import ABResult
from opslab.core.periods import as_of_day
from opslab.core.problems import OpsLabError
from opslab.core.results import result_surface
from opslab.dataset.dataset import Dataset
from opslab.metrics.kpi_table import daily as daily_kpis
from opslab.planning.targets import Target, period_of

PROJECTED = {"revenue": "gmv", "aov": "gmv"}   # metrics whose lift moves a target KPI
RUN_RATE_DAYS = 28


@result_surface(frame="frame", as_of="as_of")
@dataclass(frozen=True)
class ProjectionResult:
    """The treatment's lift carried to the quarter: ``frame`` one row per treatment with the
    GMV to date, the expected rest (run-rate), the extra GMV and its interval, the quarter's
    projection with and without it, and against ``target`` the completion and the share of
    the gap the change closes."""

    frame: pd.DataFrame
    kpi: str
    period: str
    as_of: object
    target: float | None
    run_rate: float
    days_left: int


def ab_projection(ds: Dataset, result: ABResult, *, target=None, as_of=None, rollout: float = 1.0) -> ProjectionResult:
    """Project a readout's relative lift on the quarter's GMV (the quarter holding ``as_of``,
    default the data's last day). ``target``: a :class:`Target` for ``gmv`` or a number (the
    quarter's GMV target); ``rollout``: the share of traffic that would get the treatment.

    The extra GMV is ``rel_lift x rollout x run-rate x days left``: it assumes the lift per
    user measured in the test holds for every user from tomorrow to the quarter's end."""
    if result.metric not in PROJECTED:
        raise OpsLabError("experiments.no_projection", metric=result.metric)
    if not 0 < rollout <= 1:
        raise ValueError(f"rollout is a share of traffic in (0, 1], not {rollout}")
    day = as_of_day(as_of, ds.end)
    quarter = period_of(day, "quarter")
    goal = _goal(target, quarter.code)
    d = daily_kpis(ds)["gmv"]
    d = d[d.index <= pd.Timestamp(day)]
    to_date = float(d[d.index >= pd.Timestamp(quarter.start)].sum())
    recent = d[d.index > pd.Timestamp(day) - pd.Timedelta(days=RUN_RATE_DAYS)]
    rate = float(recent.sum() / RUN_RATE_DAYS)
    left = max(0, (quarter.end - day).days)
    rest = rate * left
    rows = []
    for r in result.comparisons.itertuples():
        lo, hi = (r.rel_low, r.rel_high) if np.isfinite(r.rel_low) and np.isfinite(r.rel_high) else (r.bayes_low,
                                                                                                      r.bayes_high)
        extra = r.rel_lift * rollout * rest
        row = {"variant": r.variant, "to_date": to_date, "rest": rest, "extra": extra,
               "extra_low": lo * rollout * rest, "extra_high": hi * rollout * rest,
               "projected": to_date + rest, "projected_with": to_date + rest + extra}
        if goal is not None:
            gap = goal - (to_date + rest)
            row.update(completion=(to_date + rest) / goal, completion_with=(to_date + rest + extra) / goal,
                       gap=gap, gap_closed=extra / gap if gap > 0 else float("nan"))
        rows.append(row)
    return ProjectionResult(pd.DataFrame(rows), PROJECTED[result.metric], quarter.code, day, goal, rate, left)


def _goal(target, quarter: str) -> float | None:
    if target is None:
        return None
    if isinstance(target, Target):
        if target.kpi != "gmv" or target.period != quarter:
            raise ValueError(f"the target must be GMV for {quarter}, not {target.kpi} for {target.period}")
        return target.value
    value = float(target)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"target must be a positive GMV, not {target}")
    return value
