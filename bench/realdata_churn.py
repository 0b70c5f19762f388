"""Churn on a real purchase log at past cutoffs where the outcome is known (CDNOW, see
``tests/realdata.py`` for its source and licence).

Shared by ``make bench`` (bench/run.py, section ``churn_real``) and the slow test
``opslab/models/tests/test_churn_realdata.py``. Two independent yardsticks sit next to OpsLab's model:

* days since the last purchase (the recency baseline), and
* a plain scikit-learn logistic regression on lifetime purchase features computed here with
  nothing but pandas, trained at the latest cutoff whose outcome is known by ``as_of``
  (``as_of - horizon``) and scoring ``as_of``.

ROC AUC is sklearn's ``roc_auc_score`` on the true outcome after ``as_of`` (no purchase in
``(as_of, as_of + horizon]``), over every customer with a purchase on or before ``as_of``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: (cutoff as days before the log's last day, horizon days): outcome windows fully observed.
CASES = ((150, 150), (120, 120), (90, 90), (60, 60), (30, 30), (240, 90))


def cdnow_orders() -> pd.DataFrame:
    """The CDNOW log as canonical orders (dollar_value is the amount; identical rows are kept)."""
    from tests.realdata import cdnow_truth
    raw = cdnow_truth()
    return pd.DataFrame({"user_id": raw["customer_id"].to_numpy(), "order_time": raw["date"].to_numpy(),
                         "amount": raw["dollar_value"].to_numpy(dtype="float64")})


def cdnow_dataset():
    from opslab.dataset.dataset import Dataset
    return Dataset.from_tables(orders=cdnow_orders())


def lifetime_features(orders: pd.DataFrame, cutoff) -> pd.DataFrame:
    """Per customer with a purchase on or before ``cutoff``: plain-pandas lifetime features."""
    day = pd.Timestamp(cutoff).normalize()
    o = orders.loc[orders["order_time"].dt.normalize() <= day]
    days = (o.assign(day=o["order_time"].dt.normalize())
            .groupby(["user_id", "day"], sort=True)["amount"].sum().reset_index())
    g = days.groupby("user_id", sort=True)
    first, last, n = g["day"].min(), g["day"].max(), g.size()
    spend = g["amount"].sum()
    prev = g["day"].nth(-2).set_axis(days.loc[g["day"].nth(-2).index, "user_id"].to_numpy())
    last_gap = (last - prev.reindex(last.index)).dt.days
    f = pd.DataFrame({
        "recency": (day - last).dt.days,
        "tenure": (day - first).dt.days,
        "n_days": n,
        "spend": spend,
        "mean_gap": np.where(n > 1, (last - first).dt.days / (n - 1).clip(lower=1), np.nan),
        "last_gap": last_gap,
    })
    return f


def outcome(orders: pd.DataFrame, cutoff, horizon: int, customers) -> pd.Series:
    """1 when a customer has no purchase in ``(cutoff, cutoff + horizon]``."""
    day = pd.Timestamp(cutoff).normalize()
    t = orders["order_time"].dt.normalize()
    bought = set(orders.loc[(t > day) & (t <= day + pd.Timedelta(days=horizon)), "user_id"])
    return pd.Series([0 if c in bought else 1 for c in customers], index=customers, name="churned")


def _matrix(f: pd.DataFrame) -> np.ndarray:
    cols = []
    for c in ("recency", "tenure", "n_days", "spend"):
        cols.append(np.log1p(f[c].to_numpy(dtype="float64")))
    for c in ("mean_gap", "last_gap"):
        v = f[c].to_numpy(dtype="float64")
        cols.append(np.log1p(np.nan_to_num(v, nan=0.0)))
        cols.append(np.isnan(v).astype("float64"))
    return np.column_stack(cols)


def reference_logistic(orders: pd.DataFrame, as_of, horizon: int) -> pd.Series:
    """Plain logistic regression on lifetime features, trained at ``as_of - horizon``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    train_at = pd.Timestamp(as_of) - pd.Timedelta(days=horizon)
    ft = lifetime_features(orders, train_at)
    yt = outcome(orders, train_at, horizon, ft.index)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(_matrix(ft), yt.to_numpy())
    fs = lifetime_features(orders, as_of)
    return pd.Series(model.predict_proba(_matrix(fs))[:, 1], index=fs.index, name="risk")


def evaluate(ds, orders: pd.DataFrame, as_of, horizon: int) -> dict:
    """OpsLab's churn_risk, recency and the reference logistic regression at ``as_of``, scored
    with sklearn's ROC AUC against what happened in the ``horizon`` days after it."""
    from sklearn.metrics import roc_auc_score

    from opslab.models.churn import churn_risk
    res = churn_risk(ds, as_of=as_of, horizon_days=horizon)
    feats = lifetime_features(orders, as_of)
    y = outcome(orders, as_of, horizon, feats.index)
    ref = reference_logistic(orders, as_of, horizon)
    ours = res.scores.set_index("user_id")["risk"].reindex(feats.index)
    return {
        "as_of": str(pd.Timestamp(as_of).date()), "horizon": horizon, "customers": len(feats),
        "base_rate": float(y.mean()),
        "auc_opslab": float(roc_auc_score(y, ours.to_numpy())),
        "auc_recency": float(roc_auc_score(y, feats["recency"].to_numpy())),
        "auc_logistic": float(roc_auc_score(y, ref.reindex(feats.index).to_numpy())),
        "chosen": res.chosen, "missing": int(ours.isna().sum()),
    }
