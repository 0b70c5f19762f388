"""The notebook API in one shape: ``fn(ds, subject, *, as_of=None, rules=None, config=None)``.

Every analysis takes the data set first (a :class:`~opslab.dataset.dataset.Dataset`, or the
:class:`~opslab.dataset.load.LoadResult` that ``opslab.load`` returns), then what it is about
(the grain, the steps, the event, the KPI, the targets, the period), then keyword-only
settings: ``as_of`` (the day the figures are as of; default the data's last day), ``rules``
(the lifecycle rules; default the rules in force) and ``config`` (the analysis's settings
object), and ``segment`` (a :class:`~opslab.metrics.segments.Segment`, ``{dimension: values}``
rules or a list of user ids: the analysis runs on those users only, by the same code). A
setting may also be given by name (``horizon_days=90``): it fills that field of the
config, and naming a field that the config given sets otherwise is a ``ValueError`` — nothing is
overridden silently. Horizons carry their unit: ``horizon_days``, ``horizon_periods``.

Every result has the same small surface: ``.frame`` (its main table), ``.problems`` (what was
met on the way, as :class:`~opslab.core.problems.Problem`), ``.config`` and ``.as_of``; richer
results keep their named parts (``.scores``, ``.steps``, ``.to_docx()`` ...).

Errors: ``ValueError`` / ``TypeError`` for bad arguments, :class:`~opslab.core.problems.OpsLabError`
(carrying a Problem) for data that cannot give the answer; nothing else escapes.

Example
-------
>>> import opslab
>>> ds = opslab.load_sample()
>>> k = opslab.kpis(ds, "month")
>>> list(k.frame.columns[:3]), k.as_of == ds.end
(['dau', 'wau', 'mau'], True)
>>> opslab.target_status(ds, {"gmv": 100_000}, period="2024Q4").frame.loc[0, "kpi"]
'gmv'

The functions live by feature: :mod:`opslab.api.metrics` (kpis, retention, segment),
:mod:`opslab.api.models` (churn_risk, clv, forecast), :mod:`opslab.api.behaviour` (funnel, paths,
the A/B readouts), :mod:`opslab.api.planning` (target_status, quarterly_report, anomaly_alerts)
and :mod:`opslab.api.explore` (distribution, interval, ltv_curve, users, user_profile), on the
shared surface of :mod:`opslab.api.shape`. ``import opslab`` gives every public name.
"""


from opslab.api.behaviour import (FunnelConfig, PathsConfig, ab_impact, ab_metrics, ab_segments, ab_test,
                                  funnel, paths)
from opslab.api.explore import (UsersResult, distribution, interval, ltv_curve, segment_profile, user_profile,
                                 users)
from opslab.api.metrics import (BEHAVIOUR, KpiResult, RetentionConfig, RetentionResult, SegmentResult, kpis,
                                retention, segment)
from opslab.api.models import churn_risk, clv, forecast
from opslab.api.planning import TargetStatusResult, anomaly_alerts, quarterly_report, target_status
from opslab.api.shape import Result, dataset_of
# The shared helpers under their names in the former single module opslab/api.py, so that an
# analysis written against it (a branch adding one) moves into a feature module unchanged.
from opslab.api.shape import day_of as _day, deprecated as _deprecated, need_buyers as _need_buyers  # noqa: F401
from opslab.api.shape import positional as _positional, settings_config as _config  # noqa: F401

__all__ = ["Result", "KpiResult", "RetentionResult", "SegmentResult", "TargetStatusResult",
           "FunnelConfig", "PathsConfig", "RetentionConfig",
           "kpis", "retention", "segment", "churn_risk", "clv", "forecast", "funnel", "paths",
           "ab_test", "ab_metrics", "ab_segments", "ab_impact", "target_status", "quarterly_report", "dataset_of",
           "distribution", "interval", "ltv_curve", "users", "user_profile", "UsersResult", "anomaly_alerts",
           "segment_profile", "BEHAVIOUR"]
