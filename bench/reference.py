"""A straightforward pandas implementation of the overview aggregation, for comparison.

Same definitions as opslab.metrics.kpi_table (active day = event or paid order; WAU/MAU trailing 7/30
days; monthly active/paying users, GMV, new users, 30-day paid conversion; month cohorts),
written the way an analyst would in a notebook, with no DuckDB.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def load(folder) -> tuple[pd.DataFrame, pd.DataFrame]:
    ev = pd.read_csv(f"{folder}/events.csv", usecols=["user_id", "event_time"], dtype={"user_id": "str"},
                     parse_dates=["event_time"])
    od = pd.read_csv(f"{folder}/orders.csv", usecols=["user_id", "order_time", "amount", "status"],
                     dtype={"user_id": "str"}, parse_dates=["order_time"])
    return ev, od


def _covered(ud: pd.DataFrame, window: int, days: pd.DatetimeIndex) -> pd.Series:
    gap = ud.groupby("user_id", sort=False)["day"].diff().dt.days
    run = (gap.isna() | (gap > window)).cumsum()
    spans = ud.groupby(run)["day"].agg(["min", "max"])
    delta = pd.concat([pd.Series(1, index=spans["min"]),
                       pd.Series(-1, index=spans["max"] + pd.Timedelta(days=window))])
    delta = delta.groupby(level=0).sum()
    return delta.reindex(days.union(delta.index), fill_value=0).cumsum().reindex(days)


def aggregate(ev: pd.DataFrame, od: pd.DataFrame) -> dict[str, pd.DataFrame]:
    paid = od[od["status"] == "paid"]
    ud = pd.concat([
        pd.DataFrame({"user_id": ev["user_id"], "day": ev["event_time"].dt.normalize()}),
        pd.DataFrame({"user_id": paid["user_id"], "day": paid["order_time"].dt.normalize()}),
    ]).drop_duplicates().sort_values(["user_id", "day"], ignore_index=True)
    days = pd.date_range(ud["day"].min(), ud["day"].max(), freq="D")
    daily = pd.DataFrame({"dau": ud.groupby("day")["user_id"].nunique().reindex(days, fill_value=0)})
    daily["wau"] = _covered(ud, 7, days)
    daily["mau"] = _covered(ud, 30, days)

    month = ud["day"].dt.to_period("M")
    first = ud.groupby("user_id")["day"].min()
    first_paid = paid.groupby("user_id")["order_time"].min().dt.normalize()
    conv = (first_paid.reindex(first.index) - first).dt.days < 30
    monthly = pd.DataFrame({
        "active_users": ud.groupby(month)["user_id"].nunique(),
        "gmv": paid.groupby(paid["order_time"].dt.to_period("M"))["amount"].sum(),
        "paying_users": paid.groupby(paid["order_time"].dt.to_period("M"))["user_id"].nunique(),
        "new_users": first.groupby(first.dt.to_period("M")).size(),
        "converted": conv.groupby(first.dt.to_period("M")).sum(),
    })

    cohort = first.dt.to_period("M").rename("cohort")
    act = pd.DataFrame({"user_id": ud["user_id"], "month": month}).drop_duplicates()
    act = act.join(cohort, on="user_id")
    act["k"] = ((act["month"].dt.year - act["cohort"].dt.year) * 12
                + act["month"].dt.month - act["cohort"].dt.month)
    retention = act.groupby(["cohort", "k"])["user_id"].nunique().rename("retained").reset_index()
    sizes = cohort.value_counts().rename("size")
    retention = retention.join(sizes, on="cohort")
    retention["rate"] = retention["retained"] / retention["size"]
    return {"daily": daily, "monthly": monthly, "retention": retention.astype({"k": np.int64})}
