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

from opslab.dataset import Dataset
from opslab.experiments import ab_test
from opslab.funnels import funnel
from opslab.ingest.load import load, load_sample
from opslab.lifecycle import LifecycleRules
from opslab.lifecycle_fit import segment
from opslab.metrics import cohort_retention as retention
from opslab.metrics import kpis
from opslab.models.churn import churn_risk
from opslab.models.clv import clv
from opslab.models.forecast import forecast
from opslab.user_paths import paths
from opslab.problems import OpsLabError
from opslab.report.content import quarterly_report
from opslab.sources import connect
from opslab.completion import target_status

__version__ = "0.2.0"

__all__ = [
    "Dataset", "LifecycleRules", "OpsLabError",
    "load", "load_sample", "connect",
    "kpis", "retention", "segment", "churn_risk", "clv", "forecast",
    "funnel", "paths", "ab_test", "target_status", "quarterly_report",
]
