"""Upload → Overview: OpsLab's path next to DuckDB alone with hand-written SQL (issue 27).

OpsLab: ``opslab.load(path).dataset``, ``ds.engine`` (the derived tables), ``opslab.kpis(ds,
"day")``, ``opslab.kpis(ds, "month")``, ``opslab.retention(ds, "month")``. The reference:
``/work/shared/bench/overview_reference.py`` (daily DAU / WAU / MAU, GMV, orders, payers, new
users; monthly totals; month cohorts in hand-written DuckDB SQL; a copy is used when that path
is absent: ``bench/overview_reference.py``).

Each case runs in its own process (``python -m bench.upload_overview CASE FILE``); the driver
alternates the two ``repeat`` times and reports the medians, with the load average.

Data: the real CDNOW purchase log replicated to ``n`` orders as ``bench/ingest.py`` does (copy
``k``: ids + k·100000, dates + k days, all 20 years later), written with ISO dates and the
reference's column names (``customer_id,order_date,number_of_cds,amount``) so that both sides
read the very same file without a mapping.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
SHARED = Path("/work/shared/bench/overview_reference.py")
REFERENCE = SHARED if SHARED.exists() else ROOT / "bench" / "overview_reference.py"


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def orders_csv(n_rows: int) -> Path:
    """CDNOW replicated to ``n_rows`` orders, ISO dates (written once under bench/data/)."""
    path = DATA / f"overview_orders_{n_rows}.csv"
    if path.exists():
        return path
    import numpy as np
    import pandas as pd

    from bench.ingest import cdnow_frame
    base = cdnow_frame()
    k = -(-n_rows // len(base))
    rep = np.repeat(np.arange(k), len(base))[:n_rows]
    idx = np.tile(np.arange(len(base)), k)[:n_rows]
    out = pd.DataFrame({
        "customer_id": base["customer_id"].astype("int64").to_numpy()[idx] + rep * 100_000,
        "order_date": (base["date"].to_numpy()[idx] + (rep + 7305).astype("timedelta64[D]")).astype("datetime64[D]"),
        "number_of_cds": base["number_of_cds"].to_numpy()[idx],
        "amount": base["dollar_value"].to_numpy()[idx],
    })
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    out.to_csv(tmp, index=False, date_format="%Y-%m-%d")
    tmp.rename(path)
    return path


def case_opslab(path: Path) -> dict:
    # A server process has its modules loaded before an upload: importing them (scipy, sklearn,
    # statsmodels behind opslab.api) is timed apart ("import_s") and not part of the total.
    t_import = time.perf_counter()
    import opslab
    import opslab.api  # noqa: F401
    t_import = time.perf_counter() - t_import
    t = {}
    c0 = time.process_time()  # CPU seconds of every thread of this process, imports excluded
    t0 = time.perf_counter()
    ds = opslab.load(str(path)).dataset
    t["load"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    ds.engine
    t["engine"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    day = opslab.kpis(ds, "day").frame
    opslab.kpis(ds, "month")
    opslab.retention(ds, "month")
    t["kpis"] = time.perf_counter() - t2
    cpu = time.process_time() - c0
    return {"seconds": t, "total": sum(t.values()), "import_s": t_import, "cpu_s": cpu, "peak_rss_mib": _peak_mib(),
            "rows": len(ds.orders), "users": ds.n_users, "gmv": float(day["gmv"].sum())}


def run_case(case: str, path: Path) -> dict:
    cmd = ([sys.executable, "-m", "bench.upload_overview", "opslab", str(path)] if case == "opslab"
           else [sys.executable, str(REFERENCE), str(path)])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode:
        raise RuntimeError(f"{case} {path.name} failed:\n{out.stderr[-3000:]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["total"] = sum(r["seconds"].values())
    # The reference reports no CPU time: its whole process's user + system seconds, less
    # those of a process that only starts Python and imports duckdb (its start-up).
    if "cpu_s" not in r:
        r["cpu_s"] = max(0.0, _cpu_of(before, after) - _startup_cpu())
    return r


def _cpu_of(before, after) -> float:
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


_STARTUP: list[float] = []


def _startup_cpu() -> float:
    """CPU seconds of starting Python and importing duckdb (the least of three tries)."""
    if not _STARTUP:
        tries = []
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([sys.executable, "-c", "import duckdb, json; duckdb.connect()"], check=True)
            tries.append(_cpu_of(before, resource.getrusage(resource.RUSAGE_CHILDREN)))
        _STARTUP.append(min(tries))
    return _STARTUP[0]


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def run(order_sizes=(5_000_000,), repeat: int = 3) -> list[str]:
    lines = [
        "## Upload → Overview: OpsLab next to hand-written DuckDB SQL (issue 27)",
        "",
        f"Machine: {os.cpu_count()} cores, shared with other jobs (the 1-minute load average before "
        "each run is shown; compare the ratios, measured in the same run). Each case in a fresh "
        f"process, the two alternating, {repeat} runs each; the row shows the medians (time and "
        "peak memory separately; phases of the median-time run). CPU s = user + system seconds of the "
        "process's threads (OpsLab: the timed phases; the reference: its whole process less a bare Python + duckdb "
        "start-up): under load "
        "from other jobs it moves far less than wall time.",
        "`opslab` = `opslab.load(path).dataset` + `ds.engine` + `opslab.kpis(ds, 'day')` + "
        "`opslab.kpis(ds, 'month')` + `opslab.retention(ds, 'month')`; importing opslab (scipy, "
        "sklearn, statsmodels: a server has them loaded before an upload) is timed apart, not in the total.",
        "`reference` = `overview_reference.py` (DuckDB alone: typed read_csv, then daily DAU/WAU/MAU, "
        "GMV, orders, payers, new users; monthly totals; month cohorts).",
        "Data: the real CDNOW log replicated (ids and dates shifted per copy), ISO dates.",
        "",
        "| data | case | phases s (median-time run) | total s (median) | CPU s (median) | peak MiB (median) | time ÷ ref | CPU ÷ ref | memory ÷ ref | load avg per run |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for n in order_sizes:
        path = orders_csv(n)
        runs: dict[str, list[dict]] = {"opslab": [], "reference": []}
        loads: dict[str, list[str]] = {"opslab": [], "reference": []}
        for _ in range(max(repeat, 1)):
            for case in runs:
                loads[case].append(_load())
                r = run_case(case, path)
                runs[case].append(r)
                print(f"{case} {n:,}: {r['total']:.2f} s, CPU {r['cpu_s']:.2f} s, {r['peak_rss_mib']:.0f} MiB, load {loads[case][-1]}",
                      file=sys.stderr, flush=True)
        med = {c: (statistics.median(r["total"] for r in rs), statistics.median(r["peak_rss_mib"] for r in rs),
                   statistics.median(r["cpu_s"] for r in rs))
               for c, rs in runs.items()}
        size = f"{path.stat().st_size / 2**20:.0f} MB, {n:,} orders"
        for case, rs in runs.items():
            mid = sorted(rs, key=lambda r: r["total"])[len(rs) // 2]
            phases = " + ".join(f"{k} {v:.2f}" for k, v in mid["seconds"].items())
            ratio = (f"**{med[case][0] / med['reference'][0]:.2f}×** | {med[case][2] / med['reference'][2]:.2f}× | "
                     f"**{med[case][1] / med['reference'][1]:.2f}×**" if case == "opslab" else " | | ")
            lines.append(f"| {size} ({mid['users']:,} users) | {case} | {phases} | {med[case][0]:.2f} | "
                         f"{med[case][2]:.2f} | {med[case][1]:.0f} | {ratio} | {', '.join(loads[case])} |")
        o, r = runs["opslab"][0], runs["reference"][0]
        lines.append("")
        lines.append(f"Importing opslab, not counted above: median "
                     f"{statistics.median(x['import_s'] for x in runs['opslab']):.1f} s.")
        same = "equal" if abs(o["gmv"] - r["gmv"]) <= 1e-9 * max(1.0, abs(r["gmv"])) else "DIFFERENT"
        lines.append(f"Check, {n:,} orders: GMV over the days OpsLab {o['gmv']:,.2f}, reference {r['gmv']:,.2f} "
                     f"({same}); rows {o['rows']:,} / {r['rows']:,}; users {o['users']:,} / {r['users']:,}.")
        lines.append("")
        print("\n".join(lines[-5:]), flush=True)
    return lines


def main() -> None:
    case, path = sys.argv[1], Path(sys.argv[2])
    print(json.dumps({"opslab": case_opslab}[case](path), default=str))


if __name__ == "__main__":
    main()
