"""Ingest benchmark: bytes -> Dataset -> the Overview's queries, next to DuckDB's own
``read_csv`` + the same SQL, and the Excel reader next to openpyxl.

Each case runs in a fresh process (``python -m bench.ingest CASE FILE``) so its peak RSS is its
own; the driver (:func:`run`) puts OpsLab and DuckDB side by side and writes the ratios.

Data:

* ``orders_<n>.csv``: the real CDNOW purchase log (tests/realdata.py) replicated to ``n`` rows,
  copy ``k`` with ids shifted by ``k * 100000`` and dates by ``k`` days, all moved 20 years
  forward (7,305 days: the validator before issue #10's merge refused dates before 2000) (header
  ``customer_id,date,number_of_cds,dollar_value``, dates as YYYYMMDD, as the original).
* ``events_10000000/events.csv``: synth events (``python -m opslab.synth --events``).
* ``cdnow.xlsx``: the CDNOW log as one Excel sheet.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
ORDERS_MAPPING = {"user_id": "customer_id", "order_time": "date", "amount": "dollar_value"}
EVENTS_MAPPING = {"user_id": "user_id", "event_time": "event_time", "event_name": "event_name"}
PURCHASES = "('purchase','pay','paid','payment','order','buy','checkout','支付','下单','购买','付款','支付成功','订单')"


def _peak_mib() -> float:
    """This process's peak resident memory: the kernel's high-water mark of its own memory
    (``ru_maxrss`` can carry the parent's larger peak over fork and exec on Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cdnow_frame():
    sys.path.insert(0, str(ROOT))
    from tests.realdata import cdnow_truth
    return cdnow_truth()


def orders_csv(n_rows: int) -> Path:
    """CDNOW replicated to ``n_rows`` rows (written once, kept under bench/data/)."""
    path = DATA / f"orders_{n_rows}.csv"
    if path.exists():
        return path
    import numpy as np
    import pandas as pd
    base = cdnow_frame()
    k = -(-n_rows // len(base))
    rep = np.repeat(np.arange(k), len(base))[:n_rows]
    idx = np.tile(np.arange(len(base)), k)[:n_rows]
    out = pd.DataFrame({
        "customer_id": base["customer_id"].astype("int64").to_numpy()[idx] + rep * 100_000,
        "date": (base["date"].to_numpy()[idx] + (rep + 7305).astype("timedelta64[D]")).astype("datetime64[D]"),
        "number_of_cds": base["number_of_cds"].to_numpy()[idx],
        "dollar_value": base["dollar_value"].to_numpy()[idx],
    })
    out["date"] = pd.Series(out["date"]).dt.strftime("%Y%m%d")
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    out.to_csv(tmp, index=False)
    tmp.rename(path)
    return path


def events_csv(n_events: int) -> Path:
    from bench.run import ensure_data
    return ensure_data(n_events) / "events.csv"


def appended_events_csv(n_events: int, copies: int, same: bool) -> Path:
    """The events file appended to itself ``copies`` times (written once under bench/data/):
    with each copy's user ids renamed (``U…`` -> ``UA…``, ``UB…``: more users, nothing
    repeated, the copies' times interleave), or verbatim (``same``: a file exported
    ``copies`` times, every row of the later copies an exact duplicate)."""
    src = events_csv(n_events)
    path = DATA / f"events_{n_events}_x{copies}{'_same' if same else ''}.csv"
    if path.exists():
        return path
    head, _, body = src.read_bytes().partition(b"\n")
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        f.write(head + b"\n")
        for k in range(copies):
            f.write(body if same else (b"\n" + body).replace(b"\nU", b"\nU" + bytes([65 + k]))[1:])
    tmp.rename(path)
    return path


def cdnow_xlsx() -> Path:
    path = DATA / "cdnow.xlsx"
    if not path.exists():
        from openpyxl import Workbook
        frame = cdnow_frame()
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("orders")
        ws.append(list(frame.columns))
        for r in frame.itertuples(index=False):
            ws.append([r.customer_id, r.date.to_pydatetime(), int(r.number_of_cds), float(r.dollar_value)])
        DATA.mkdir(parents=True, exist_ok=True)
        wb.save(path)
    return path


# ----------------------------------------------------------------------------- cases


def case_opslab(path: Path) -> dict:
    """The app's path: inspect (read + suggest), confirm a mapping, validate, build, query."""
    from opslab.metrics import kpi_table as metrics
    from opslab.dataset import load as loader
    from opslab.ingest.read import ReadOptions
    t0 = time.perf_counter()
    data = path.read_bytes()
    # The app caps uploads (ReadOptions defaults); the benchmark lifts the caps to measure the machinery.
    f = loader.inspect_file(path.name, data, ReadOptions(max_bytes=2**33, max_rows=100_000_000))
    t_read = time.perf_counter()
    table, mapping = ("events", EVENTS_MAPPING) if path.name.startswith("events") else ("orders", ORDERS_MAPPING)
    f = loader.apply_mapping(f, table, mapping)
    del data
    t_valid = time.perf_counter()
    ds, report = loader.build_dataset([f])
    t_dataset = time.perf_counter()
    ds.engine  # user_day, paid_day, user_first: the same SQL the DuckDB case runs
    t_build = time.perf_counter()
    daily = metrics.daily(ds)
    metrics.kpis(ds, "month")
    cohorts = metrics.cohort_retention(ds, "month")
    t_end = time.perf_counter()
    # After timing: what the exact-duplicate rule of this branch set aside (for the GMV check).
    dup_gmv = 0.0
    if table == "orders" and f.result.n_duplicates:
        import pandas as pd
        dropped = f.result.dropped  # raw rows, with the reason they were set aside
        dups = dropped["reason"].isin(["validate.duplicate_rows", "validate.duplicate_order_id"])
        dup_gmv = float(pd.to_numeric(dropped.loc[dups, mapping["amount"]]).sum())
    return {"dup_rows": f.result.n_duplicates, "dup_gmv": round(dup_gmv, 2),
            "seconds": {"read": t_read - t0, "validate": t_valid - t_read, "dataset": t_dataset - t_valid,
                        "sql": t_end - t_dataset},
            "rows": f.result.n_input, "kept": f.result.n_clean, "users": ds.n_users,
            "gmv": round(float(daily["gmv"].sum()), 2), "cohort_cells": len(cohorts)}


def case_duckdb(path: Path) -> dict:
    """DuckDB alone: read_csv with the types given, then the engine's own SQL (user_day,
    paid_day, user_first, daily, monthly totals, month cohorts) on string user ids."""
    import duckdb

    from opslab.engine.duckdb_engine import sql_catalog
    q = sql_catalog()
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    src = str(path).replace("'", "''")
    if path.name.startswith("events"):
        con.execute(f"""CREATE TABLE raw AS SELECT * FROM read_csv('{src}', header=true,
                        columns={{'user_id': 'VARCHAR', 'event_time': 'TIMESTAMP', 'event_name': 'VARCHAR'}})""")
        con.execute("CREATE VIEW ev AS SELECT user_id AS uid, event_time, event_name FROM raw")
        con.execute(f"""CREATE VIEW od AS SELECT user_id AS uid, event_time AS order_time, 0.0 AS amount,
                        'paid' AS status FROM raw WHERE lower(event_name) IN {PURCHASES}""")
    else:
        con.execute(f"""CREATE TABLE raw AS SELECT * FROM read_csv('{src}', header=true, dateformat='%Y%m%d',
                        columns={{'customer_id': 'VARCHAR', 'date': 'DATE', 'number_of_cds': 'DOUBLE',
                                  'dollar_value': 'DOUBLE'}})""")
        con.execute("""CREATE VIEW od AS SELECT customer_id AS uid, CAST(date AS TIMESTAMP) AS order_time,
                       dollar_value AS amount, 'paid' AS status FROM raw""")
        con.execute("CREATE VIEW ev AS SELECT uid, order_time AS event_time, 'purchase' AS event_name FROM od")
    t_read = time.perf_counter()  # the typed table is loaded: what follows is the shared SQL
    con.execute("""CREATE TABLE us AS
        WITH f AS (SELECT uid, min(t) AS signup_time FROM (SELECT uid, event_time AS t FROM ev
                   UNION ALL SELECT uid, order_time FROM od) GROUP BY uid),
             span AS (SELECT min(signup_time) AS lo, (SELECT max(event_time) FROM ev) AS hi FROM f)
        SELECT uid, signup_time,
               (date_diff('day', lo, hi) >= 90 AND signup_time < CAST(lo AS DATE) + INTERVAL 30 DAY) AS censored
        FROM f, span""")
    con.execute(q["order_day"], {"gross": False, "priced": True})
    for name in ("user_day", "paid_day", "user_first", "order_day_done"):
        con.execute(q[name])
    con.execute(q["refund_day"], {"gross": False})
    start, end = con.execute("SELECT min(day), max(day) FROM user_day").fetchone()
    daily = con.execute(q["daily"], {"start": str(start), "end": str(end)}).fetch_df()
    con.execute(q["period_totals"], {"grain": "month", "start": "1900-01-01", "end": str(end),
                                     "as_of": str(end), "conversion_days": 30}).fetch_df()
    cohorts = con.execute(q["cohort_activity"], {"grain": "month", "end": str(end)}).fetch_df()
    t_end = time.perf_counter()
    rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    users = con.execute("SELECT count(*) FROM us").fetchone()[0]
    return {"seconds": {"read": t_read - t0, "sql": t_end - t_read}, "rows": rows, "users": users,
            "gmv": round(float(daily["gmv"].sum()), 2), "cohort_cells": len(cohorts)}


def case_excel_opslab(path: Path) -> dict:
    from opslab.ingest.read import read_table
    t0 = time.perf_counter()
    res = read_table(path.read_bytes(), path.name)
    return {"seconds": {"read": time.perf_counter() - t0}, "rows": res.n_rows,
            "problems": [p.code for p in res.report.problems],
            "worker_peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def case_excel_openpyxl(path: Path) -> dict:
    """openpyxl (the previous reader): read-only, saved values, every cell to a Python list."""
    import openpyxl
    t0 = time.perf_counter()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    return {"seconds": {"read": time.perf_counter() - t0}, "rows": len(rows) - 1}


CASES = {"opslab": case_opslab, "duckdb": case_duckdb, "excel_opslab": case_excel_opslab,
         "excel_openpyxl": case_excel_openpyxl}


def run_case(case: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.ingest", case, str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=3600)
    if out.returncode:
        raise RuntimeError(f"{case} {path.name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fmt(r: dict) -> str:
    return " + ".join(f"{k} {v:.2f}" for k, v in r["seconds"].items())


def _median_run(runs: list[dict]) -> dict:
    """The run with the median total wall time (its own phases, CPU and peak stay together)."""
    return sorted(runs, key=lambda r: sum(r["seconds"].values()))[len(runs) // 2]


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def run(order_sizes=(1_000_000, 5_000_000), event_sizes=(10_000_000,), excel: bool = True,
        repeat: int = 1, appended: int = 0) -> list[str]:
    """Run every comparison; return the markdown lines for bench/RESULTS.md. With ``repeat``
    > 1 the two cases of a row run alternately that many times and each shows its median run
    (by CPU seconds): on a shared machine one run of either side can be slowed by a neighbour."""
    lines = [
        "## Ingest: bytes → Dataset → Overview queries, next to DuckDB read_csv + the same SQL",
        "",
        f"Machine: {os.cpu_count()} cores; the 1-minute load average at the start and end of each "
        "row is in its last column (the benchmark's own runs keep it near 1-2: both sides use both "
        "cores; well above 2, another process shared them). Each case in a fresh process; peak = "
        "the process's max RSS.",
        "`opslab` = inspect_file (read + suggest) + apply_mapping (validate) + build_dataset + "
        "ds.engine + metrics.daily / kpis('month') / cohort_retention('month') (the app's path).",
        "`duckdb` = read_csv with the column types given + the engine's own SQL (user_day, paid_day, "
        "user_first, daily, period_totals, cohort_activity) on string ids.",
        "Orders: the real CDNOW log replicated (ids and dates shifted per copy); events: synth.",
        "",
        "Ingest ÷ DuckDB = OpsLab's read + validate + dataset (bytes to a checked, typed Dataset) over "
        "DuckDB's typed read_csv; the SQL phase is the same queries on both sides.",
        "",
        "CPU s = user + system seconds of the process and its children (both engines use every core).",
        *([f"Each row: the median (by total wall time) of {repeat} runs per case, the two cases "
           "alternating."] if repeat > 1 else []),
        "",
        "| data | rows | users | case | phases s (wall) | total s | CPU s | peak MiB | time ÷ DuckDB | CPU ÷ DuckDB | memory ÷ DuckDB | ingest ÷ DuckDB read | GMV check | load |",
        "|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    jobs = [("orders", orders_csv(n)) for n in order_sizes] + [("events", events_csv(n)) for n in event_sizes]
    if appended > 1:  # the upload cap's size: the largest events file appended to itself
        jobs += [(f"events ×{appended}{' verbatim' if same else ''}", appended_events_csv(max(event_sizes), appended, same))
                 for same in (False, True)]
    for kind, path in jobs:
        load_start = _load()
        runs: dict[str, list[dict]] = {"opslab": [], "duckdb": []}
        for _ in range(max(repeat, 1)):
            for case in runs:
                runs[case].append(run_case(case, path))
        ops, ddb = _median_run(runs["opslab"]), _median_run(runs["duckdb"])
        t_o, t_d = sum(ops["seconds"].values()), sum(ddb["seconds"].values())
        gap = ops["gmv"] + ops["dup_gmv"] - ddb["gmv"]
        same = "equal" if abs(gap) <= 1e-6 * max(1.0, abs(ddb["gmv"])) else f"DIFFERS by {gap:,.2f}"
        if ops["dup_rows"]:
            same += f" (after adding back {ops['dup_rows']:,} exact-duplicate rows, {ops['dup_gmv']:,.2f})"
        size = f"{path.stat().st_size / 2**20:.0f} MB {kind} CSV"
        ingest = sum(v for k, v in ops["seconds"].items() if k != "sql") / ddb["seconds"]["read"]
        lines.append(f"| {size} | {ops['rows']:,} | {ops['users']:,} | opslab | {_fmt(ops)} | {t_o:.2f} | "
                     f"{ops['cpu_seconds']:.1f} | {ops['peak_rss_mib']:.0f} | **{t_o / t_d:.2f}×** | "
                     f"{ops['cpu_seconds'] / ddb['cpu_seconds']:.2f}× | **{ops['peak_rss_mib'] / ddb['peak_rss_mib']:.2f}×** | "
                     f"{ingest:.1f}× | {same} | {load_start} → {_load()} |")
        lines.append(f"| {size} | {ddb['rows']:,} | {ddb['users']:,} | duckdb | {_fmt(ddb)} | {t_d:.2f} | "
                     f"{ddb['cpu_seconds']:.1f} | {ddb['peak_rss_mib']:.0f} | | | | | | |")
        print("\n".join(lines[-2:]), flush=True)
    if excel:
        path = cdnow_xlsx()
        ours = run_case("excel_opslab", path)
        ref = run_case("excel_openpyxl", path)
        lines += [
            "",
            f"Excel: the CDNOW log as one .xlsx sheet ({path.stat().st_size / 2**20:.1f} MB, "
            f"{ref['rows']:,} rows × 4). `calamine` = read_table (python-calamine in a "
            "memory-capped worker process, limits checked first, cells to text); `openpyxl` = "
            "load_workbook(read_only=True, data_only=True) + iter_rows, the previous reader.",
            "",
            "| reader | rows | time s | peak MiB (process) | peak MiB (worker) | openpyxl time ÷ calamine |",
            "|---|---:|---:|---:|---:|---:|",
            f"| calamine | {ours['rows']:,} | {ours['seconds']['read']:.2f} | {ours['peak_rss_mib']:.0f} | "
            f"{ours['worker_peak_mib']:.0f} | {ref['seconds']['read'] / ours['seconds']['read']:.1f}× |",
            f"| openpyxl | {ref['rows']:,} | {ref['seconds']['read']:.2f} | {ref['peak_rss_mib']:.0f} | | |",
        ]
        print("\n".join(lines[-2:]), flush=True)
    return lines


def _cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    case, path = sys.argv[1], Path(sys.argv[2])
    cpu0 = _cpu_seconds()
    out = CASES[case](path)
    out["cpu_seconds"] = _cpu_seconds() - cpu0
    out["peak_rss_mib"] = _peak_mib()
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
