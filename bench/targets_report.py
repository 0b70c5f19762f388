"""Benchmark of the targets and the report: every targetable KPI of one quarter (OpsLab's
DuckDB SQL against a plain pandas reference of the same definitions, results checked equal),
and the time to build and render the quarterly report.

Usage: python -m bench.targets_report [--events 1000000]  (appends a section to RESULTS.md)
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

import numpy as np
import pandas as pd

from bench.run import RESULTS, ensure_data


def pandas_actuals(ds, start: str, end: str, high_value: float = 200.0) -> dict:
    """The definitions of opslab.planning.completion.period_actuals, in pandas on the raw tables."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    o = ds.orders[ds.orders["status"] == "paid"]
    od = o["order_time"].dt.normalize()
    q = o[(od >= s) & (od <= e)]
    u = ds.users[~ds.users["censored"]]
    sd = u["signup_time"].dt.normalize()
    new = u[(sd >= s) & (sd <= e)]
    first_paid = o.groupby("user_id")["order_time"].min().dt.normalize()
    fp = first_paid.reindex(new["user_id"]).to_numpy()
    conv = ((fp - new["signup_time"].dt.normalize().to_numpy()) < np.timedelta64(30, "D")).sum()
    act = pd.concat([ds.events[["uid", "event_time"]].rename(columns={"event_time": "t"}),
                     o[["uid", "order_time"]].rename(columns={"order_time": "t"})])
    act["d"] = act["t"].dt.normalize()
    days = act[(act["d"] >= s) & (act["d"] <= e)].groupby("d")["uid"].nunique()
    days = days.reindex(pd.date_range(s, e), fill_value=0)
    act["m"] = act["t"].dt.to_period("M")
    active = set(zip(act["uid"], act["m"]))
    spend = o.groupby([o["uid"], o["order_time"].dt.to_period("M")])["amount"].sum()
    bases = {"all": list(zip(u["uid"], u["signup_time"].dt.to_period("M"))),
             "payer": list(spend.index), "high_value": list(spend[spend >= high_value].index)}
    months = set(pd.period_range(s, e, freq="M"))
    first = pd.Period(ds.start, "M")
    out = {"gmv": q["amount"].sum(), "paying_users": q["uid"].nunique(), "new_users": len(new),
           "paid_conversion": conv / len(new) if len(new) else np.nan,
           "dau_avg": days.mean(), "dau_peak": days.max()}
    for k in (1, 3):
        for base, pairs in bases.items():
            cells = [(i, m) for i, m in pairs if m + k in months and (base != "all" or m >= first)]
            out[f"m{k}_{base}"] = np.mean([(i, m + k) in active for i, m in cells]) if cells else np.nan
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    args = ap.parse_args()
    from opslab.dataset import load as loader
    from opslab.models.forecast import ForecastConfig
    from opslab.report import quarterly_report
    from opslab.planning.completion import period_actuals
    from opslab.planning.targets import Target, period_of

    folder = ensure_data(args.events)
    files = [(n, (folder / n).read_bytes()) for n in ("events.csv", "orders.csv", "users.csv", "campaigns.csv")
             if (folder / n).exists()]
    ds, _, _ = loader.load_files(files)
    ds.engine
    q = period_of(ds.end, "quarter").prev()
    t0 = time.perf_counter()
    got = period_actuals(ds, q.start, q.end)
    t_sql = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = pandas_actuals(ds, q.start.isoformat(), q.end.isoformat())
    t_pd = time.perf_counter() - t0
    for k, v in ref.items():
        assert np.isclose(got[k], v, equal_nan=True), (k, got[k], v)
    fast = ForecastConfig(grain="day", horizon=91, backtest_folds=0, models=("ets",), n_paths=500)
    targets = [Target("gmv", q.code, got["gmv"] * 1.1), Target("m3_payer", q.code, 0.5), Target("cac", q.code, 50)]
    t0 = time.perf_counter()
    rep = quarterly_report(ds, q.code, targets=targets, lang="zh", config=fast)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    docx = rep.to_docx()
    t_docx = time.perf_counter() - t0
    t0 = time.perf_counter()
    html = rep.to_html()
    t_html = time.perf_counter() - t0
    section = f"""<!-- section: targets_report -->
_Measured {date.today().isoformat()} on {os.cpu_count()} cores (shared with other work)_

## Targets and the report ({len(ds.events):,} events, {ds.n_users:,} users, quarter {q.code})

Every targetable KPI of one quarter (GMV, new/paying users, paid conversion, average/peak DAU,
six M1/M3 retentions, CAC, ROI, participants) by `opslab.planning.completion.period_actuals` (DuckDB
SQL on the derived tables, engine already built) and by a plain pandas reference of the same
definitions (`bench/targets_report.py`; the figures were checked equal).

| step | seconds |
|---|---:|
| period_actuals (OpsLab, DuckDB) | {t_sql:.2f} |
| the same in pandas | {t_pd:.2f} |
| pandas ÷ OpsLab | {t_pd / t_sql:.1f}× |
| quarterly_report build (3 targets, fast forecast config: ETS, no backtest, 500 paths) | {t_build:.2f} |
| .to_docx() ({len(docx) / 1024:.0f} KiB, 3 charts) | {t_docx:.2f} |
| .to_html() ({len(html) / 1024:.0f} KiB) | {t_html:.2f} |
<!-- end -->
"""
    text = RESULTS.read_text(encoding="utf-8")
    start = text.find("<!-- section: targets_report -->")
    if start >= 0:
        end = text.index("<!-- end -->", start) + len("<!-- end -->\n")
        text = text[:start] + section + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")
    print(section)


if __name__ == "__main__":
    main()
