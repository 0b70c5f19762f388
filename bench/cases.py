"""One benchmark case per process, so peak memory is the case's own.

Usage: python -m bench.cases CASE DATA_DIR  -> prints one JSON line with phase timings and
peak RSS (MiB).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def case_opslab(folder: Path) -> dict:
    from opslab.metrics import kpi_table as metrics
    from opslab.dataset import load as loader
    from opslab.ingest.read import ReadOptions
    t = {}
    t0 = time.perf_counter()
    files = [(name, (folder / name).read_bytes()) for name in ("events.csv", "orders.csv")]
    # The app caps uploads (ReadOptions: 1 GiB / 32 M rows); the benchmark lifts the caps.
    ds, _, _ = loader.load_files(files, ReadOptions(max_bytes=2**33, max_rows=100_000_000))
    t["load"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    ds.engine  # materialise user_day / paid_day / user_first
    t["prepare"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    metrics.daily(ds)
    metrics.kpis(ds, "month")
    metrics.cohort_retention(ds, "month")
    t["aggregate"] = time.perf_counter() - t2
    return {"seconds": t, "events": len(ds.events), "users": ds.n_users}


def case_pandas(folder: Path) -> dict:
    from bench import reference
    t = {}
    t0 = time.perf_counter()
    ev, od = reference.load(folder)
    t["load"] = time.perf_counter() - t0
    t2 = time.perf_counter()
    reference.aggregate(ev, od)
    t["aggregate"] = time.perf_counter() - t2
    return {"seconds": t, "events": len(ev), "users": int(ev["user_id"].nunique())}


def _read(folder: Path):
    """Canonical frames straight from the synth CSVs (parsing is measured by the overview bench)."""
    import pandas as pd
    ev = pd.read_csv(folder / "events.csv", engine="pyarrow", parse_dates=["event_time"])
    od = pd.read_csv(folder / "orders.csv", engine="pyarrow", parse_dates=["order_time"])
    us = pd.read_csv(folder / "users.csv", engine="pyarrow", parse_dates=["signup_time"])
    for f in (ev, od, us):
        f["user_id"] = f["user_id"].astype("str")
    return ev, od, us


def _dataset(folder: Path, t: dict):
    from opslab.dataset.dataset import Dataset
    t0 = time.perf_counter()
    ev, od, us = _read(folder)
    t["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ds = Dataset.from_tables(events=ev, orders=od, users=us)
    ds.engine
    t["build"] = time.perf_counter() - t0
    return ds, (ev, od, us)


def case_lifecycle_opslab(folder: Path) -> dict:
    from dataclasses import replace

    from opslab.lifecycle import tiers as lifecycle
    t = {}
    ds, _ = _dataset(folder, t)
    t0 = time.perf_counter()
    seg = lifecycle.segment(ds)
    t["segment"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    lifecycle.segment(ds, replace(lifecycle.LifecycleRules(), churn_days=45))
    t["rules_change"] = time.perf_counter() - t0
    return {"seconds": t, "events": len(ds.events), "users": len(seg)}


def case_lifecycle_pandas(folder: Path) -> dict:
    from bench import reference_lifecycle
    t = {}
    t0 = time.perf_counter()
    ev, od, us = _read(folder)
    t["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    signup = us.set_index("user_id")["signup_time"]
    as_of = max(ev["event_time"].max(), od["order_time"].max())
    tiers = reference_lifecycle.segment(ev, od, signup, as_of)
    t["segment"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    reference_lifecycle.segment(ev, od, signup, as_of, churn_days=45)  # no cache: all again
    t["rules_change"] = time.perf_counter() - t0
    return {"seconds": t, "events": len(ev), "users": len(tiers)}


def case_churn(folder: Path) -> dict:
    from opslab.models.churn import ChurnConfig, ChurnModel
    t = {}
    ds, _ = _dataset(folder, t)
    t0 = time.perf_counter()

    def progress(fraction, step):  # progress shown on stderr, as the page shows a bar
        print(f"churn {fraction:4.0%} {step} {time.perf_counter() - t0:6.1f} s", file=sys.stderr, flush=True)
    cpu0 = time.process_time()
    model = ChurnModel(ChurnConfig()).fit(ds, progress=progress)
    t["fit"] = time.perf_counter() - t0
    cpu = time.process_time() - cpu0  # CPU seconds of this process (all threads): less load-bound
    res = model.result_
    auc = res.validation["roc_auc"].round(3).to_dict()
    return {"seconds": t, "events": len(ds.events), "users": ds.n_users, "chosen": model.chosen_,
            "scored": len(res.scores), "auc": auc, "train_rows": res.n_train, "fit_cpu_seconds": round(cpu, 1),
            "phases": {k: round(v, 2) for k, v in res.timings.items()}}


def case_clv(folder: Path) -> dict:
    """CLV on the data set's orders, and the per-customer summary behind it next to a plain
    pandas groupby of the same orders (count, first and last day, spend per customer)."""
    from opslab.models.clv import clv, customer_summary
    t = {}
    ds, _ = _dataset(folder, t)
    t0 = time.perf_counter()
    summary = customer_summary(ds)
    t["summary"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    od = ds.orders.loc[ds.orders["status"] == "paid", ["user_id", "order_time", "amount"]]
    day = od["order_time"].dt.normalize()
    od.assign(day=day).groupby("user_id").agg(n=("amount", "size"), first=("day", "min"), last=("day", "max"),
                                              spend=("amount", "sum"))
    t["pandas_groupby"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = clv(ds)
    t["fit"] = time.perf_counter() - t0
    return {"seconds": t, "events": len(ds.events), "users": len(res.customers), "summary_rows": len(summary)}


def case_churn_real(folder: Path) -> dict:
    """OpsLab's churn at past cutoffs of the real CDNOW log, next to recency and a plain
    logistic regression (bench/realdata_churn.py); ``folder`` is unused."""
    import pandas as pd

    from bench.realdata_churn import CASES, cdnow_dataset, cdnow_orders, evaluate
    ds, orders = cdnow_dataset(), cdnow_orders()
    end = pd.Timestamp(ds.end)
    rows = []
    t0 = time.perf_counter()
    for back, horizon in CASES:
        rows.append(evaluate(ds, orders, end - pd.Timedelta(days=back), horizon))
    return {"seconds": {"total": time.perf_counter() - t0}, "rows": rows, "users": ds.n_users,
            "orders": len(orders), "sample": _churn_on_sample()}


def _churn_on_sample() -> dict:
    """What the Churn page computes on the sample: first visit, a new horizon (features cached
    per cutoff), the same settings again, a threshold change (readout only)."""
    from opslab.dataset.load import load_sample
    from opslab.models.churn import churn_risk
    t = {}
    ds = load_sample()
    ds.engine
    t0 = time.perf_counter()
    res = churn_risk(ds)
    t["first"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    churn_risk(ds, horizon_days=35)
    t["new_horizon"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    churn_risk(ds)
    t["same_again"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    res.readout(0.7)
    t["threshold"] = time.perf_counter() - t0
    return {k: round(v, 3) for k, v in t.items()}


def case_forecast(folder: Path) -> dict:
    from opslab.metrics import kpi_series
    from opslab.models.forecast import KPIForecaster, daily_config
    t = {}
    ds, _ = _dataset(folder, t)
    out = {"seconds": t, "events": len(ds.events), "users": ds.n_users}
    for kpi in ("gmv", "dau"):
        y = kpi_series.kpi_series(ds, kpi, "day")
        t0, c0 = time.perf_counter(), time.process_time()
        cfg = daily_config(ds)  # the one daily fit every grain, target and report reads
        res = KPIForecaster(cfg).fit(y)
        res.sample_paths(cfg.horizon)
        t[f"fit_{kpi}"] = time.perf_counter() - t0
        t[f"fit_{kpi}_cpu"] = time.process_time() - c0
        out[f"days_{kpi}"] = len(y)
        out[f"model_{kpi}"] = res.model_name
        out[f"mase_{kpi}"] = res.backtest_summary["mase"].round(3).to_dict()
    return out


CASES = {"opslab": case_opslab, "pandas": case_pandas, "lifecycle_opslab": case_lifecycle_opslab,
         "lifecycle_pandas": case_lifecycle_pandas, "churn": case_churn, "clv": case_clv,
         "churn_real": case_churn_real,
         "forecast": case_forecast}


def main() -> None:
    name, folder = sys.argv[1], Path(sys.argv[2])
    extra = CASES[name](folder)
    extra["peak_rss_mib"] = _peak_mib()
    print(json.dumps(extra, default=str))


if __name__ == "__main__":
    main()
