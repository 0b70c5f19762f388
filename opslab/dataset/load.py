"""From uploaded files to a :class:`~opslab.dataset.dataset.Dataset` in one call: :func:`load`
for a notebook (files, ``(name, bytes)`` pairs or DataFrames, linked exports joined) and
:func:`load_sample` for the built-in sample data.

The pipeline is split so the Data page can show each step; the steps (:func:`inspect_file`,
:func:`decide_upload`, :func:`apply_mapping`, :func:`build_dataset` ...) live in
:mod:`opslab.dataset.steps` and are re-exported here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import pandas as pd

from opslab.dataset.dataset import Dataset
from opslab.dataset.steps import (PREVIEW_ROWS, LoadedFile, apply_mapping, build_dataset, decide_upload, digest,
                                  files_key, fingerprint, inspect_file, mapping_hints, nothing_usable,
                                  preview_only, remap)
from opslab.ingest.choices import Choices
from opslab.ingest.content import behaviour_log
from opslab.ingest.decide import Decisions
from opslab.ingest.link_files import join_files, reconcile
from opslab.ingest.linked import Link
from opslab.ingest.mapping import suggest_mapping, suggest_table
from opslab.ingest.read import ReadOptions, ReadResult
from opslab.core.problems import OpsLabError, Problem, Report

__all__ = ["load", "LoadResult", "load_sample", "load_files", "prepare_files", "sample_dir", "sample_bytes",
           "by_hand", "SAMPLE_FILES",
           # the steps (opslab.dataset.steps)
           "PREVIEW_ROWS", "LoadedFile", "apply_mapping", "build_dataset", "decide_upload", "digest", "files_key",
           "fingerprint", "inspect_file", "mapping_hints", "nothing_usable", "preview_only", "remap"]

SAMPLE_FILES = ("events.csv", "orders.csv", "users.csv", "campaigns.csv")


def sample_dir() -> Path:
    """The committed sample data set (see sample_data/README.md)."""
    here = Path(str(resources.files("opslab"))).parent / "sample_data"
    return here


def sample_bytes() -> list[tuple[str, bytes]]:
    folder = sample_dir()
    return [(name, (folder / name).read_bytes()) for name in SAMPLE_FILES if (folder / name).exists()]


def prepare_files(named_bytes: list[tuple[str, bytes]], options: ReadOptions = ReadOptions(),
                  choices: Choices | None = None) -> tuple[list[LoadedFile], Decisions]:
    """Read, map (as suggested) and validate files with the upload's decisions, no Dataset yet."""
    files = [inspect_file(name, data, options) for name, data in named_bytes]
    return _apply_all(files, choices, {}, {}, None)


def load_files(named_bytes: list[tuple[str, bytes]], options: ReadOptions = ReadOptions(),
               choices: Choices | None = None) -> tuple[Dataset | None, list[LoadedFile], Report]:
    """The whole pipeline with suggested mappings, as used for the sample data."""
    files, decisions = prepare_files(named_bytes, options, choices)
    ds, report = build_dataset(files, currency=decisions.choices.currency, refunds=decisions.choices.refunds)
    return ds, files, report


def load_sample() -> Dataset:
    """The built-in sample data set (``sample_data/``, made by :mod:`opslab.synth`), loaded
    through the same pipeline as an upload.

    >>> ds = load_sample()
    >>> ds.currency, ds.n_users > 1000
    ('CNY', True)
    """
    ds, _, report = load_files(sample_bytes())
    if ds is None:
        raise OpsLabError("api.sample_not_loaded", codes=", ".join(sorted({p.code for p in report.problems})))
    return ds


def _run(files, choices, tables, mappings, today):
    files, decisions = _apply_all(files, choices, tables, mappings, today)
    decisions = decisions.with_files(files)
    ds, report = build_dataset(files, currency=decisions.choices.currency, refunds=decisions.choices.refunds)
    return ds, files, decisions, report


def by_hand(suggested: dict[str, str | None], chosen: dict[str, str | None]) -> dict[str, str | None]:
    """The suggested mapping with the fields chosen by hand replaced: the other suggestions
    stay, except one that used a column now chosen for another field."""
    taken = {c for c in chosen.values() if c}
    return {**{f: (None if c in taken else c) for f, c in suggested.items()}, **chosen}


def _apply_all(files, choices, tables, mappings, today):
    files = list(files)
    for i, f in enumerate(files):
        table = tables.get(f.name, f.table)
        if table is not None and table != f.table:
            files[i] = f = remap(f, table)
        if f.name in mappings:
            files[i] = replace(f, mapping=tuple(by_hand(f.mapping_dict, mappings[f.name]).items()))
    decisions = decide_upload(files, choices)
    files = [apply_mapping(f, f.table, f.mapping_dict, today=today, choices=decisions.choices)
             if f.table is not None else f for f in files]
    return files, decisions


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load` made: the Dataset (``None`` when nothing was usable), each file's
    steps, the upload's decisions and one report listing every problem (as ``(file, Problem)``
    in :attr:`problems`, or as a frame from :meth:`problems_frame`)."""

    dataset: Dataset | None
    files: tuple[LoadedFile, ...]
    decisions: Decisions
    problems: tuple[tuple[str, Problem], ...]
    link: Link | None = None  # how the files of a linked export were joined

    @property
    def report(self) -> Report:
        return Report([p for _, p in self.problems])

    def problems_frame(self) -> pd.DataFrame:
        """One row per problem: file, code, severity, column, count, params."""
        return pd.DataFrame([{"file": name, "code": p.code, "severity": p.severity, "column": p.column,
                              "count": p.count, "params": p.params} for name, p in self.problems],
                            columns=["file", "code", "severity", "column", "count", "params"])

    def reconciliation(self) -> pd.DataFrame:
        """Per file: rows and amount in, kept, rejected and dropped; for orders also the gross
        sales, refunds and net of each part (net = gross - refunds), and ``orders``: the
        orders the kept rows make (order lines summed into orders)."""
        parts = []
        for f in self.files:
            if f.result is not None:
                r = f.result.reconciliation()
                r["orders"] = pd.array([pd.NA] * len(r), dtype="Int64")
                if f.table == "orders":
                    r.loc["kept", "orders"] = len(f.result.clean)
                parts.append(r.assign(file=f.name, table=f.table).rename_axis("part").reset_index())
        if self.link is not None:  # each linked file: rows in = kept (joined) + rejected (not) + dropped
            parts.insert(0, reconcile(self.link, self.files))
        cols = ["file", "table", "part", "rows", "amount", "gross", "refunds", "net", "orders"]
        return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def _source(i: int, src) -> LoadedFile:
    if isinstance(src, pd.DataFrame):
        name = f"frame_{i + 1}"
        strings = src.reset_index(drop=True).astype(object).where(src.notna().to_numpy(), None)
        strings = strings.map(lambda v: None if v is None else str(v)).astype("str")
        strings.columns = [str(c) for c in strings.columns]
        read = ReadResult(df=strings, encoding=None, has_header=True, n_rows=len(strings))
        return _suggest(name, hashlib.sha256(pd.util.hash_pandas_object(strings).to_numpy().tobytes()).hexdigest(),
                        read)
    if isinstance(src, tuple) and len(src) == 2:
        name, data = src
        return inspect_file(str(name), bytes(data))
    path = Path(src)
    return inspect_file(path.name, path.read_bytes())


def _suggest(name: str, dig: str, read: ReadResult) -> LoadedFile:
    columns = [str(c) for c in read.df.columns]
    table = suggest_table(columns)
    mapping = suggest_mapping(columns, table, read.df.head(200))
    table, mapping = behaviour_log(columns, read.df.head(200), table, mapping)
    f = LoadedFile(name, dig, read, table, tuple(mapping.items()))
    return replace(f, hints=mapping_hints(f, table, mapping))


def load(*sources, tables: dict[str, str] | None = None,
         mappings: dict[str, dict[str, str | None]] | None = None, today=None, link: bool = True,
         **choices) -> LoadResult:
    """Load files for a notebook with the Data page's detection, mapping and decisions.

    Parameters
    ----------
    *sources : paths, ``(name, bytes)`` pairs or DataFrames (named ``frame_1``, ``frame_2`` ...).
    tables : file name -> table (``"orders"`` ...) where the suggestion is wrong.
    mappings : file name -> {canonical field: source column} overriding the suggestion.
    link : join the files of a linked export (orders, items, payments, customers) into one data set.
    today : reference day for "date in the future" (default: now).
    **choices : fields of :class:`~opslab.ingest.choices.Choices` (``day_first``, ``tz``,
        ``placeholders``, ``duplicates``, ``currency``, ``lines``, ``refunds``, ``rows``:
        ``"purchases"`` or ``"activity"`` for an events file with only a user and a time).

    Returns
    -------
    LoadResult
        ``.dataset`` for the analyses, ``.report`` with every problem, ``.decisions``.

    Examples
    --------
    >>> csv = "customer_id,date,dollar_value\\n1,19970101,11.77\\n1,19970101,11.77\\n2,19970102,$5\\n"
    >>> res = load(("cdnow.csv", csv.encode()))
    >>> res.dataset.currency, len(res.dataset.orders), round(float(res.dataset.orders["amount"].sum()), 2)
    ('USD', 3, 28.54)
    """
    files, link = join_files([_source(i, s) for i, s in enumerate(sources)], enabled=link)
    ds, files, decisions, report = _run(files, Choices(**choices), tables or {}, mappings or {}, today)
    problems: list[tuple[str, Problem]] = []
    for f in files:
        problems += [(f.name, p) for p in f.read.report]
        problems += [(f.name, p) for p in f.hints]
        if f.result is not None:
            problems += [(f.name, p) for p in f.result.report]
    problems += [("", p) for p in decisions.notes()]
    problems += [("", p) for p in report]
    problems += [(p.params.get("name", ""), p) for p in (link.problems if link else ())]
    return LoadResult(ds, tuple(files), decisions, tuple(problems), link)
