"""From uploaded files to a :class:`~opslab.dataset.Dataset`: read, map, validate, combine.

The pipeline is split so the Data page can show each step: :func:`inspect_file` reads the
bytes and suggests a table and a column mapping; :func:`apply_mapping` coerces and validates
with the mapping the user confirmed; :func:`build_dataset` combines the tables.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import pandas as pd

from opslab.dataset import Dataset
from opslab.ingest.read import ReadOptions, ReadResult, read_table
from opslab.ingest.mapping import suggest_mapping, suggest_table
from opslab.problems import ERROR, Problem, Report
from opslab.ingest.validate import ValidationResult, coerce_table

SAMPLE_FILES = ("events.csv", "orders.csv", "users.csv", "campaigns.csv")


@dataclass(frozen=True)
class LoadedFile:
    """One uploaded file at some step of the pipeline."""

    name: str
    digest: str
    read: ReadResult
    table: str | None = None
    mapping: tuple[tuple[str, str | None], ...] = ()
    result: ValidationResult | None = None

    @property
    def mapping_dict(self) -> dict[str, str | None]:
        return dict(self.mapping)

    @property
    def usable(self) -> bool:
        return self.result is not None and not self.result.report.has_errors and self.result.n_clean > 0


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inspect_file(name: str, data: bytes, options: ReadOptions = ReadOptions()) -> LoadedFile:
    """Read the bytes and suggest which table the file is and how its columns map."""
    read = read_table(data, name, options)
    if read.df is None:
        return LoadedFile(name, digest(data), read)
    columns = [str(c) for c in read.df.columns]
    table = suggest_table(columns)
    mapping = suggest_mapping(columns, table, read.df.head(200))
    return LoadedFile(name, digest(data), read, table, tuple(mapping.items()))


def remap(file: LoadedFile, table: str) -> LoadedFile:
    """Switch the file to another table, with a fresh suggested mapping."""
    if file.read.df is None:
        return file
    columns = [str(c) for c in file.read.df.columns]
    mapping = suggest_mapping(columns, table, file.read.df.head(200))
    return replace(file, table=table, mapping=tuple(mapping.items()), result=None)


def apply_mapping(file: LoadedFile, table: str, mapping: dict[str, str | None],
                  today=None) -> LoadedFile:
    """Coerce and validate the file's rows with the confirmed mapping."""
    if file.read.df is None:
        return file
    result = coerce_table(file.read.df, mapping, table, today=today)
    return replace(file, table=table, mapping=tuple(mapping.items()), result=result)


def fingerprint(files: list[LoadedFile]) -> str:
    """A short hash of the files' bytes plus how they were mapped: same data, same figures."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: (f.table or "", f.digest)):
        h.update(f"{f.digest}|{f.table}|{sorted(f.mapping, key=str)}".encode())
    return h.hexdigest()[:12]


def build_dataset(files: list[LoadedFile]) -> tuple[Dataset | None, Report]:
    """Combine the usable files (several files of one table are stacked) into a Dataset."""
    report = Report()
    tables: dict[str, list[pd.DataFrame]] = {}
    used = []
    for f in files:
        if f.usable:
            tables.setdefault(f.table, []).append(f.result.clean)
            used.append(f)
    frames = {name: pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
              for name, parts in tables.items()}
    if "events" not in frames and "orders" not in frames:
        report.add(Problem("loader.need_activity", ERROR))
        return None, report
    ds = Dataset.from_tables(
        events=frames.get("events"), orders=frames.get("orders"), users=frames.get("users"),
        campaigns=frames.get("campaigns"), fingerprint=fingerprint(used),
    )
    return ds, report


def sample_dir() -> Path:
    """The committed sample data set (see sample_data/README.md)."""
    here = Path(str(resources.files("opslab"))).parent / "sample_data"
    return here


def sample_bytes() -> list[tuple[str, bytes]]:
    folder = sample_dir()
    return [(name, (folder / name).read_bytes()) for name in SAMPLE_FILES if (folder / name).exists()]


def load_files(named_bytes: list[tuple[str, bytes]], options: ReadOptions = ReadOptions()
               ) -> tuple[Dataset | None, list[LoadedFile], Report]:
    """The whole pipeline with suggested mappings, as used for the sample data and in notebooks."""
    files = []
    for name, data in named_bytes:
        f = inspect_file(name, data, options)
        if f.table is not None:
            f = apply_mapping(f, f.table, f.mapping_dict)
        files.append(f)
    ds, report = build_dataset(files)
    return ds, files, report


def load_sample() -> Dataset:
    ds, _, report = load_files(sample_bytes())
    if ds is None:
        raise RuntimeError(f"sample data could not be loaded: {report.problems}")
    return ds
