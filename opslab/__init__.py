"""OpsLab: the analytics engine behind the OpsLab workbench, usable on its own from a notebook.

Five lines from a CSV to tiers, churn risk and a forecast::

    import opslab
    ds = opslab.load("orders.csv").dataset          # same detection and mapping as the Data page
    tiers = opslab.segment(ds)                      # the 8 lifecycle tiers, one row per user
    risk = opslab.churn_risk(ds, horizon_days=90)   # risk.scores: user_id, risk
    fc = opslab.forecast(ds, "gmv", grain="week", horizon_periods=13)

Every function takes a :class:`~opslab.dataset.dataset.Dataset` and returns a plain DataFrame or a
small result object; nothing here imports Streamlit. ``examples/quickstart.ipynb`` walks
through all of them on the sample data and is executed by the tests.
"""

import importlib

#: The public API: name -> (module, attribute). Loaded on first use (PEP 562), so that
#: ``import opslab.ingest.excel_worker`` or a notebook's ``import opslab`` does not pull in
#: statsmodels, scikit-learn and Spark before they are needed; ``dir(opslab)`` lists them all.
_API = {
    # data in
    "load": ("opslab.dataset.load", "load"),
    "load_sample": ("opslab.dataset.load", "load_sample"),
    "connect": ("opslab.dataset.sources", "connect"),
    # analyses: one shape, fn(ds, subject, *, as_of=None, rules=None, config=None) (opslab/api/, by feature)
    "kpis": ("opslab.api", "kpis"),
    "retention": ("opslab.api", "retention"),
    "segment": ("opslab.api", "segment"),
    "churn_risk": ("opslab.api", "churn_risk"),
    "clv": ("opslab.api", "clv"),
    "forecast": ("opslab.api", "forecast"),
    "funnel": ("opslab.api", "funnel"),
    "paths": ("opslab.api", "paths"),
    "ab_test": ("opslab.api", "ab_test"),
    "ab_metrics": ("opslab.api", "ab_metrics"),
    "ab_segments": ("opslab.api", "ab_segments"),
    "ab_impact": ("opslab.api", "ab_impact"),
    "target_status": ("opslab.api", "target_status"),
    "quarterly_report": ("opslab.api", "quarterly_report"),
    "distribution": ("opslab.api", "distribution"),
    "interval": ("opslab.api", "interval"),
    "ltv_curve": ("opslab.api", "ltv_curve"),
    "users": ("opslab.api", "users"),
    "user_profile": ("opslab.api", "user_profile"),
    "segment_profile": ("opslab.api", "segment_profile"),
    "Segment": ("opslab.metrics.segments", "Segment"),
    "SegmentProfileResult": ("opslab.metrics.segment_profile", "SegmentProfileResult"),
    "ExploreConfig": ("opslab.behaviour.explore", "ExploreConfig"),
    "UsersResult": ("opslab.api", "UsersResult"),
    "saved_targets": ("opslab.workspace.target_store", "saved_targets"),
    "anomaly_alerts": ("opslab.api", "anomaly_alerts"),
    # the types they take and give
    "Dataset": ("opslab.dataset.dataset", "Dataset"),
    "LoadResult": ("opslab.dataset.load", "LoadResult"),
    "OpsLabError": ("opslab.core.problems", "OpsLabError"),
    "Problem": ("opslab.core.problems", "Problem"),
    "Target": ("opslab.planning.targets", "Target"),
    "LifecycleRules": ("opslab.lifecycle.tiers", "LifecycleRules"),
    "MetricConfig": ("opslab.metrics.kpi_table", "MetricConfig"),
    "RetentionConfig": ("opslab.api", "RetentionConfig"),
    "ChurnConfig": ("opslab.models.churn_features", "ChurnConfig"),
    "CLVConfig": ("opslab.models.clv", "CLVConfig"),
    "ForecastConfig": ("opslab.models.forecast", "ForecastConfig"),
    "FunnelConfig": ("opslab.api", "FunnelConfig"),
    "PathsConfig": ("opslab.api", "PathsConfig"),
    "ABConfig": ("opslab.behaviour.experiments", "ABConfig"),
    "Result": ("opslab.api", "Result"),
    "KpiResult": ("opslab.api", "KpiResult"),
    "RetentionResult": ("opslab.api", "RetentionResult"),
    "SegmentResult": ("opslab.api", "SegmentResult"),
    "TargetStatusResult": ("opslab.api", "TargetStatusResult"),
    # the fitters, in one shape: fit(...) -> self, learned attributes end in "_"
    "BetaGeoFitter": ("opslab.models.clv_fitters", "BetaGeoFitter"),
    "GammaGammaFitter": ("opslab.models.clv_fitters", "GammaGammaFitter"),
    "ParetoNBDFitter": ("opslab.models.clv_more_fitters", "ParetoNBDFitter"),
    "ShiftedBetaGeoFitter": ("opslab.models.clv_more_fitters", "ShiftedBetaGeoFitter"),
}


def __getattr__(name: str):
    if name in _API:
        module, attr = _API[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value  # later look-ups are plain attribute reads
        return value
    raise AttributeError(f"module 'opslab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_API))


__version__ = "0.2.0"

__all__ = sorted(_API)
