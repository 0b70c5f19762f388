"""The 8-tier segmentation (docs/DEFINITIONS.md §4, default rules) written straight in pandas from raw
events and orders, for the benchmark and as an independent check of opslab.lifecycle.tiers."""

from __future__ import annotations

import numpy as np
import pandas as pd

TIERS = ("new", "silent_new", "active", "potential_payer", "payer", "high_value",
         "churn_warning", "churned")


def segment(events: pd.DataFrame, orders: pd.DataFrame, signup: pd.Series, as_of,
            churn_days=30, new_days=14, warning_days=14, window=14, drop=0.5, min_prior=4,
            value_days=90, high_value=200.0, potential_days=8, potential_window=30) -> pd.Series:
    """Tier per user_id for every user with ``signup`` on or before ``as_of``."""
    as_of = pd.Timestamp(as_of).normalize()
    paid = orders[orders["status"] == "paid"]
    days = pd.concat([
        pd.DataFrame({"user_id": events["user_id"], "day": events["event_time"].dt.normalize()}),
        pd.DataFrame({"user_id": paid["user_id"], "day": paid["order_time"].dt.normalize()}),
    ]).drop_duplicates()
    days = days[days["day"] <= as_of]
    age = (as_of - days["day"]).dt.days
    signup_day = signup.dt.normalize()
    users = signup_day[signup_day <= as_of].index

    def count(mask):
        return days[mask].groupby("user_id").size().reindex(users, fill_value=0)

    last = days.groupby("user_id")["day"].max().reindex(users)
    since = (as_of - last.fillna(signup_day.reindex(users))).dt.days
    tenure = (as_of - signup_day.reindex(users)).dt.days
    act_w = count(age < window)
    prev = count((age >= window) & (age < 2 * window))
    act_p = count(age < potential_window)
    recent = paid[(paid["order_time"].dt.normalize() <= as_of)
                  & ((as_of - paid["order_time"].dt.normalize()).dt.days < value_days)]
    spend = recent.groupby("user_id")["amount"].sum().reindex(users, fill_value=0.0)
    n_orders = recent.groupby("user_id").size().reindex(users, fill_value=0)

    is_new = tenure < new_days
    conditions = [
        since >= churn_days,
        is_new & (since == tenure),
        is_new,
        (since >= warning_days) | ((prev >= min_prior) & (act_w <= drop * prev)),
        (n_orders > 0) & (spend * 30 / value_days >= high_value),
        n_orders > 0,
        act_p >= potential_days,
    ]
    names = ["churned", "silent_new", "new", "churn_warning", "high_value", "payer", "potential_payer"]
    return pd.Series(np.select(conditions, names, default="active"), index=users, name="tier")
