"""Daily and weekly KPI series for forecasting, with campaign-day regressors.

The series come from :func:`opslab.metrics.kpi_table.daily`. Count and money KPIs (new users, orders,
GMV) are *summed* per week; level KPIs (DAU, paying users per day) are *averaged* per week,
so a weekly DAU is "average DAU of the week". Weeks follow :mod:`opslab.core.periods` (Monday to
Sunday, labelled by the Monday) and only complete weeks (all seven days inside the data) are
kept, so a half week at either end does not look like a slump.

Campaign regressors (:func:`campaign_exog`) count, per day, the campaigns running that day
(``start_date <= day <= end_date``), or spread each campaign's spend evenly over its days
(``kind="spend"``, in 10,000s so the regressor is of order one). Weekly values are the sums
of the daily ones (campaign-days per week). Calendar regressors are not added here:
:class:`opslab.models.forecast.KPIForecaster` adds
:func:`opslab.core.calendar_cn.festival_regressors` itself when ``ForecastConfig.market`` is "CN".

Example
-------
>>> y = kpi_series(ds, "gmv", "week")                                  # doctest: +SKIP
>>> X = campaign_exog(ds.campaigns, y.index, "week")                   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.core import periods
from opslab.dataset.dataset import Dataset
from opslab.metrics.kpi_table import daily
from opslab.core.problems import OpsLabError

#: KPIs that can be forecast, in display order.
KPIS = ("gmv", "dau", "new_users", "paying_users", "orders")
#: KPIs aggregated by the mean (a level per day), all others by the sum.
MEAN_KPIS = frozenset({"dau", "paying_users"})
GRAINS = ("day", "week")
EXOG_KINDS = ("count", "spend")
SPEND_UNIT = 10_000.0


def agg_of(kpi: str) -> str:
    """``"mean"`` for level KPIs (DAU, paying users), ``"sum"`` for the others.

    >>> agg_of("dau"), agg_of("gmv")
    ('mean', 'sum')
    """
    if kpi not in KPIS:
        raise OpsLabError("api.bad_choice", name="kpi", value=repr(kpi), allowed=", ".join(KPIS))
    return "mean" if kpi in MEAN_KPIS else "sum"


def regular_kpis(ds: Dataset, grain: str = "day") -> pd.DataFrame:
    """All of :data:`KPIS` per day or per complete week (columns in :data:`KPIS` order)."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    d = daily(ds)[list(KPIS)].astype(float)
    d.index = pd.DatetimeIndex(d.index)
    if grain == "day":
        return d.asfreq("D")
    return periods.aggregate(d, grain, {k: agg_of(k) for k in KPIS})


def kpi_series(ds: Dataset, kpi: str = "gmv", grain: str = "day") -> pd.Series:
    """One KPI as a regular float series (daily, or complete Monday weeks), named ``kpi``."""
    agg_of(kpi)
    return regular_kpis(ds, grain)[kpi].rename(kpi)


def _campaign_table(campaigns) -> pd.DataFrame:
    cols = ["start_date", "end_date", "spend"]
    if campaigns is None or len(campaigns) == 0:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c != "spend" else float)
                             for c in cols})
    c = pd.DataFrame({
        "start_date": pd.to_datetime(campaigns["start_date"], errors="coerce").dt.normalize(),
        "end_date": pd.to_datetime(campaigns["end_date"], errors="coerce").dt.normalize(),
        "spend": (pd.to_numeric(campaigns["spend"], errors="coerce") if "spend" in campaigns
                  else pd.Series(0.0, index=campaigns.index)),
    })
    c = c.dropna(subset=["start_date", "end_date"])
    return c[c["end_date"] >= c["start_date"]].fillna({"spend": 0.0})


def campaign_exog_daily(campaigns, days, kind: str = "count") -> pd.Series:
    """Per day of ``days``: campaigns running (``count``) or spend per day in 10,000s."""
    if kind not in EXOG_KINDS:
        raise ValueError(f"kind must be one of {EXOG_KINDS}")
    days = pd.DatetimeIndex(days).normalize()
    c = _campaign_table(campaigns)
    values = np.zeros(len(days))
    day_ns = days.to_numpy("datetime64[ns]")
    for start, end, spend in zip(c["start_date"], c["end_date"], c["spend"]):
        on = (day_ns >= np.datetime64(start, "ns")) & (day_ns <= np.datetime64(end, "ns"))
        if kind == "count":
            values += on
        else:
            values += on * (float(spend) / SPEND_UNIT / ((end - start).days + 1))
    return pd.Series(values, index=days, name=f"campaign_{kind}")


def campaign_exog(campaigns, index, grain: str = "day", kind: str = "count") -> pd.DataFrame:
    """Campaign regressor on the periods of ``index`` (days, or Mondays for ``grain="week"``).

    One column, ``campaign_count`` or ``campaign_spend``; weekly values sum the week's days.

    >>> camp = pd.DataFrame({"start_date": ["2024-01-02"], "end_date": ["2024-01-03"],
    ...                      "spend": [2e4]})
    >>> campaign_exog(camp, pd.date_range("2024-01-01", periods=4))["campaign_count"].tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    index = pd.DatetimeIndex(index)
    if grain == "day":
        out = campaign_exog_daily(campaigns, index, kind)
    elif grain == "week":
        if len(index) == 0:
            out = pd.Series(dtype=float, name=f"campaign_{kind}")
        else:
            days = pd.date_range(index.min(), index.max() + pd.Timedelta(days=6), freq="D")
            daily_vals = campaign_exog_daily(campaigns, days, kind)
            out = daily_vals.groupby(periods.period_starts(days, "week")).sum().reindex(
                index, fill_value=0.0)
    else:
        raise ValueError(f"unknown grain {grain!r}")
    out.index = index
    return out.to_frame()
