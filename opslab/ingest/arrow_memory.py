"""Arrow's allocator for big uploads.

An upload's raw text table, its typed columns and their kept copies are Arrow buffers of
hundreds of MB that live for seconds. pyarrow's default allocator (mimalloc) keeps freed pages
for reuse, so the server's resident memory stays near the sum of everything ever allocated
during an import. jemalloc with a decay time of 0 returns freed pages to the system at once:
at 10 M events the import's peak resident memory fell from 2.3 GB to 2.06 GB (bench/RESULTS.md
"Ingest"). Where pyarrow was built without jemalloc the default allocator stays.

>>> use_returning_allocator() in (True, False)
True
"""

from __future__ import annotations

import pyarrow as pa


def use_returning_allocator() -> bool:
    """Make jemalloc (freed pages returned at once) Arrow's default pool; False if unavailable."""
    try:
        pool = pa.jemalloc_memory_pool()
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, pa.ArrowException):
        return False
    pa.set_memory_pool(pool)
    return True
