"""The files of a linked export, as read, replaced by the joined tables they make.

:func:`join_files` takes the inspected files of one upload (``LoadedFile``) and, when some of
them form a linked export (:func:`opslab.ingest.linked.linkable`), returns in their place one
joined orders file (and one users file when a customers file was given), mapped by their
canonical column names, plus the :class:`~opslab.ingest.linked.Link` that says how each file
was used and what could not be joined. Files of no role pass through unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pandas as pd

from opslab.ingest import linked
from opslab.ingest.mapping import suggest_mapping
from opslab.ingest.prejoined import collapse
from opslab.ingest.read_result import ReadResult


def join_files(files: list, enabled: bool = True) -> tuple[list, linked.Link | None]:
    """``files`` with the members of a linked export replaced by the joined tables (as they
    are when ``enabled`` is False: each file then maps on its own)."""
    frames = [(f.name, f.read.df) for f in files if f.read.df is not None and f.read.complete]
    if not enabled or not frames or not linked.linkable(frames):
        return list(files), None
    lk = link(frames)
    members = [f for f in files if f.name in lk.names]
    tag = hashlib.sha256("|".join(sorted(f.digest for f in members)).encode()).hexdigest()
    base = members[0]
    out = [_joined(base, joined_name(lk, "orders"), "orders", lk.orders, tag)]
    if lk.users is not None:
        out.append(_joined(base, joined_name(lk, "users"), "users", lk.users, tag))
    return out + [f for f in files if f.name not in lk.names], lk


def link(frames: list[tuple[str, pd.DataFrame]]) -> linked.Link:
    """The join of a linked export's files, or a pre-joined table's collapse when there is no
    orders file."""
    roles = linked.by_role(frames)
    if "orders" not in roles and "prejoined" in roles:
        return collapse(*roles["prejoined"][0])
    return linked.link(frames)


def reconcile(lk: linked.Link, files) -> pd.DataFrame:
    """The linked files' rows in the reconciliation's parts; the orders file's are those of the
    joined orders table (one joined row per order row), as validated."""
    frame = lk.reconciliation()
    joined = next((f for f in files if f.name == joined_name(lk, "orders") and f.result is not None), None)
    source = next((p.name for p in lk.parts if p.role == "orders"), None)
    if joined is None or source is None:
        return frame
    validated = joined.result.reconciliation().rename_axis("part").reset_index().assign(file=source, table="orders")
    return pd.concat([frame[frame["file"] != source], validated[frame.columns]], ignore_index=True)


def joined_name(lk: linked.Link, table: str) -> str:
    """The joined table's file name: the table and the files it was made of."""
    return f"{table} ← " + " + ".join(lk.names)


def _joined(base, name: str, table: str, df: pd.DataFrame, tag: str):
    read = ReadResult(df=df, encoding=None, has_header=True, n_rows=len(df))
    mapping = suggest_mapping([str(c) for c in df.columns], table)  # canonical names: exact
    dig = hashlib.sha256(f"{tag}|{table}".encode()).hexdigest()
    return replace(base, name=name, digest=dig, read=read, table=table, mapping=tuple(mapping.items()),
                   result=None, hints=(), choices=())
