"""OpsLab: the analytics engine behind the OpsLab workbench, usable on its own from a notebook.

Five lines from a CSV to tiers, churn risk and a forecast::

    import opslab
    ds = opslab.load("orders.csv").dataset          # same detection and mapping as the Data page
    tiers = opslab.segment(ds)                      # the 8 lifecycle tiers, one row per user
    risk = opslab.churn_risk(ds, horizon_days=90)   # risk.scores: user_id, risk
    fc = opslab.forecast(ds, kpi="gmv", grain="week", horizon=13)

Every function takes a :class:`~opslab.dataset.Dataset` and returns a plain DataFrame or a
small result object; nothing here imports Streamlit. ``examples/quickstart.ipynb`` walks
through all of them on the sample data and is executed by the tests.
"""

import importlib

#: The public API: name -> (module, attribute). Loaded on first use (PEP 562), so that
#: ``import opslab.ingest.excel_worker`` or a notebook's ``import opslab`` does not pull in
#: statsmodels, scikit-learn and Spark before they are needed; ``dir(opslab)`` lists them all.
_API = {
    "Dataset": ("opslab.dataset", "Dataset"),
    "LifecycleRules": ("opslab.lifecycle", "LifecycleRules"),
    "OpsLabError": ("opslab.problems", "OpsLabError"),
    "load": ("opslab.ingest.load", "load"),
    "load_sample": ("opslab.ingest.load", "load_sample"),
    "connect": ("opslab.sources", "connect"),
    "kpis": ("opslab.metrics", "kpis"),
    "retention": ("opslab.metrics", "cohort_retention"),
    "segment": ("opslab.lifecycle_fit", "segment"),
    "churn_risk": ("opslab.models.churn", "churn_risk"),
    "clv": ("opslab.models.clv", "clv"),
    "forecast": ("opslab.models.forecast", "forecast"),
    "funnel": ("opslab.funnels", "funnel"),
    "paths": ("opslab.user_paths", "paths"),
    "ab_test": ("opslab.experiments", "ab_test"),
    "target_status": ("opslab.completion", "target_status"),
    "saved_targets": ("opslab.workspace.target_store", "saved_targets"),
    "quarterly_report": ("opslab.report.content", "quarterly_report"),
    "anomaly_alerts": ("opslab.alerts", "anomaly_alerts"),
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

__all__ = [
    "Dataset", "LifecycleRules", "OpsLabError",
    "load", "load_sample", "connect",
    "kpis", "retention", "segment", "churn_risk", "clv", "forecast",
    "funnel", "paths", "ab_test", "target_status", "saved_targets", "quarterly_report",
    "anomaly_alerts",
]
