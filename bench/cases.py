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
    from opslab import loader, metrics
    t = {}
    t0 = time.perf_counter()
    files = [(name, (folder / name).read_bytes()) for name in ("events.csv", "orders.csv")]
    ds, _, _ = loader.load_files(files)
    t["load"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    ds.engine  # materialise user_day / paid_day / user_first
    t["prepare"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    metrics.daily(ds)
    metrics.kpi_frame(ds, "month")
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


CASES = {"opslab": case_opslab, "pandas": case_pandas}


def main() -> None:
    name, folder = sys.argv[1], Path(sys.argv[2])
    extra = CASES[name](folder)
    extra["peak_rss_mib"] = _peak_mib()
    print(json.dumps(extra))


if __name__ == "__main__":
    main()
