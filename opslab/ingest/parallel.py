"""Independent work of one upload run side by side on the machine's cores.

Validation parses each column on its own (ids, times, amounts, text) and hashes whole rows for
duplicates; those steps are Arrow, NumPy and DuckDB kernels that release the GIL, so threads
use every core for them. Small tables run in order: threads would only add overhead there.

>>> run_all({"a": lambda: 1, "b": lambda: 2}, rows=10)
{'a': 1, 'b': 2}
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: Below this many rows the steps run one after another.
PARALLEL_MIN_ROWS = 200_000


def cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_all(tasks: dict[str, Callable[[], Any]], rows: int) -> dict[str, Any]:
    """Run every task and return their results by name (in the tasks' order); an exception of
    any task is raised here, as if they had run one after another. Tasks are started in the
    given order: put the longest first."""
    workers = min(len(tasks), cores())
    if rows < PARALLEL_MIN_ROWS or workers < 2:
        return {name: task() for name, task in tasks.items()}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="opslab-ingest") as pool:
        futures = {name: pool.submit(task) for name, task in tasks.items()}
        return {name: f.result() for name, f in futures.items()}
