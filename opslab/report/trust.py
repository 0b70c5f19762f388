"""Where the report's numbers come from: the load's reconciliation and decisions (the
data-quality section) and the trace of every figure (the appendix).

:class:`ReportSource` is what the report knows about the load; :func:`source_from_load` makes
it from a :class:`opslab.dataset.load.LoadResult` (the command line, notebooks); the app
passes what its session holds. Without one, the report says the reconciliation was not
given instead of claiming the data were clean.

>>> s = ReportSource(reconciliation=pd.DataFrame({"file": ["a.csv"] * 4, "table": ["orders"] * 4,
...     "part": ["input", "kept", "rejected", "dropped"], "rows": [10, 6, 1, 3],
...     "amount": [100.0, 70.0, 5.0, 25.0]}))
>>> q = quality(s); (q["rows_set_aside"], q["amount_set_aside"], q["share_rows"])
(4, 30.0, 0.4)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: A load that set aside at least this share of its rows (or of its money) is a problem of
#: the report, ranked with the others by the money it moves.
SET_ASIDE_SHARE = 0.05


@dataclass(frozen=True)
class ReportSource:
    """``dataset_id`` (the stored id or content key), ``name``, ``files`` as
    ``(name, table, sha256)``, the load's ``reconciliation`` (file, table, part, rows, amount),
    ``decisions`` as :class:`opslab.core.problems.Problem` (codes ``decide.*``), ``time_zone``."""

    dataset_id: str | None = None
    name: str | None = None
    files: tuple = ()
    reconciliation: pd.DataFrame | None = None
    decisions: tuple = ()
    time_zone: str | None = None


def source_from_load(loaded, dataset_id: str | None = None, name: str | None = None) -> ReportSource:
    """The :class:`ReportSource` of a :class:`~opslab.dataset.load.LoadResult`."""
    files = tuple((f.name, f.table or "", f.digest) for f in loaded.files)
    decisions = loaded.decisions
    return ReportSource(dataset_id=dataset_id or (loaded.dataset.fingerprint if loaded.dataset is not None else None),
                        name=name, files=files, reconciliation=loaded.reconciliation(),
                        decisions=tuple(decisions.notes()), time_zone=decisions.choices.tz)


def source_from_files(files, decisions=(), time_zone: str | None = None, dataset_id: str | None = None,
                      name: str | None = None) -> ReportSource:
    """The :class:`ReportSource` of validated files (the app's upload or sample: each with
    ``name``, ``table``, ``digest`` and its validation ``result``), as :func:`source_from_load`
    makes it from a whole load."""
    parts = [f.result.reconciliation().assign(file=f.name, table=f.table).rename_axis("part").reset_index()
             for f in files if getattr(f, "result", None) is not None]
    rec = pd.concat(parts, ignore_index=True)[["file", "table", "part", "rows", "amount"]] if parts else None
    return ReportSource(dataset_id=dataset_id, name=name,
                        files=tuple((f.name, f.table or "", f.digest or "–") for f in files),
                        reconciliation=rec, decisions=tuple(decisions), time_zone=time_zone)


def quality(source: ReportSource | None) -> dict:
    """Rows and money in, kept and set aside (rejected + dropped) over every file; ``known``
    False when no reconciliation was given."""
    rec = None if source is None else source.reconciliation
    if rec is None or not len(rec):
        return {"known": False}
    by = rec.groupby("part")[["rows", "amount"]].sum(min_count=1)
    get = lambda part, col: float(by.loc[part, col]) if part in by.index and np.isfinite(by.loc[part, col]) else 0.0  # noqa: E731
    rows_in, amount_in = get("input", "rows"), get("input", "amount")
    aside_rows = get("rejected", "rows") + get("dropped", "rows")
    aside_amount = get("rejected", "amount") + get("dropped", "amount")
    per_file = rec.pivot_table(index=["file", "table"], columns="part", values=["rows", "amount"],
                               aggfunc="sum", sort=True)
    return {"known": True, "rows_in": int(rows_in), "rows_kept": int(get("kept", "rows")),
            "rows_set_aside": int(aside_rows), "amount_in": amount_in,
            "amount_set_aside": aside_amount,
            "share_rows": aside_rows / rows_in if rows_in else 0.0,
            "share_amount": aside_amount / amount_in if amount_in else 0.0,
            "per_file": per_file}


def set_aside_is_large(q: dict) -> bool:
    return bool(q.get("known")) and max(q["share_rows"], q["share_amount"]) >= SET_ASIDE_SHARE
