"""The Data page's steps, one file at a time: :func:`inspect_file` reads the bytes and suggests
a table and a column mapping; :func:`decide_upload` makes the upload's guesses once for all
files (:mod:`opslab.ingest.decide`); :func:`apply_mapping` coerces and validates with the
mapping the user confirmed; :func:`build_dataset` combines the tables into a
:class:`~opslab.dataset.dataset.Dataset`. :mod:`opslab.dataset.load` runs them all in one call.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import pandas as pd

from opslab.dataset.dataset import Dataset
from opslab.ingest.choices import Choices
from opslab.ingest.content import behaviour_log, money_like_columns, suggest_from_content
from opslab.ingest.decide import Decisions, buyers_note, decide
from opslab.ingest.mapping import suggest_mapping, suggest_table
from opslab.ingest.read import ReadOptions, ReadResult, read_table
from opslab.ingest.validate import ValidationResult, coerce_table
from opslab.core.problems import ERROR, WARNING, Problem, Report
from opslab.core.keys import content_key

#: Raw rows an applied file keeps for the preview and the mapping suggestions (which read 200).
PREVIEW_ROWS = 200


@dataclass(frozen=True)
class LoadedFile:
    """One uploaded file at some step of the pipeline."""

    name: str
    digest: str
    read: ReadResult
    table: str | None = None
    mapping: tuple[tuple[str, str | None], ...] = ()
    result: ValidationResult | None = None
    hints: tuple[Problem, ...] = ()  # about the mapping, shown before loading
    choices: tuple = ()  # the upload's resolved Choices (as a tuple) the result was made with

    @property
    def mapping_dict(self) -> dict[str, str | None]:
        return dict(self.mapping)

    @property
    def usable(self) -> bool:
        return self.result is not None and not self.result.report.has_errors and self.result.n_clean > 0


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inspect_file(name: str, data: bytes, options: ReadOptions = ReadOptions(), sha256: str | None = None) -> LoadedFile:
    """Read the bytes and suggest which table the file is and how its columns map. ``sha256``:
    the bytes' :func:`digest` when the caller has already computed it (the Data page does, once
    per upload); otherwise it is computed while the file is read."""
    if sha256 is not None:
        key, read = sha256, read_table(data, name, options)
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:  # hashlib releases the GIL: hashed while read
            key = pool.submit(digest, data)
            read = read_table(data, name, options)
            key = key.result()
    if read.df is None:
        return LoadedFile(name, key, read)
    columns = [str(c) for c in read.df.columns]
    sample = read.df.head(200)
    table = suggest_table(columns)
    mapping = suggest_mapping(columns, table, sample)
    if not read.has_header:
        table, mapping = suggest_from_content(sample)  # no header to go by: the values decide
    elif not any(mapping.values()):  # headers we do not know: the values, if they are clear
        guessed_table, guessed = suggest_from_content(sample)
        if guessed_table in ("orders", "events"):
            table, mapping = guessed_table, guessed
    else:
        table, mapping = behaviour_log(columns, sample, table, mapping)
    f = LoadedFile(name, key, read, table, tuple(mapping.items()))
    return replace(f, hints=mapping_hints(f, table, mapping))


def mapping_hints(file: LoadedFile, table: str, mapping: dict[str, str | None]) -> tuple[Problem, ...]:
    """What the mapping leaves out that the user should see before loading: an orders-like
    file without an amount column, the amount computed from unit price x quantity, a headerless
    file's columns guessed from their values."""
    out = []
    df = file.read.df
    if df is None:
        return ()
    if file.read.has_header is False and any(mapping.values()):
        out.append(Problem("mapping.from_content", WARNING, params={"table": table}))
    if table in ("orders", "events") and not mapping.get("amount"):
        if table == "orders" and mapping.get("refund_amount") and not mapping.get("unit_price"):
            out.append(Problem("mapping.refunds_file", WARNING, params={"column": mapping["refund_amount"]}))
        elif mapping.get("unit_price"):
            out.append(Problem("mapping.amount_from_price", WARNING, params={
                "price": mapping["unit_price"], "quantity": mapping.get("quantity") or "1"}))
        else:
            used = {c for c in mapping.values() if c}
            money = money_like_columns(df.head(200), used)
            orderish = table == "orders" or bool(money) or bool(mapping.get("quantity"))
            if orderish:
                out.append(Problem("mapping.no_amount", ERROR if table == "orders" else WARNING,
                                   params={"columns": ", ".join(money) or "–"}))
    return tuple(out)


def remap(file: LoadedFile, table: str) -> LoadedFile:
    """Switch the file to another table, with a fresh suggested mapping."""
    if file.read.df is None:
        return file
    columns = [str(c) for c in file.read.df.columns]
    mapping = suggest_mapping(columns, table, file.read.df.head(200))
    if not file.read.has_header:
        guessed_table, guessed = suggest_from_content(file.read.df.head(200))
        if guessed_table == table:
            mapping = guessed
    return replace(file, table=table, mapping=tuple(mapping.items()), result=None,
                   hints=mapping_hints(file, table, mapping))


def decide_upload(files: list[LoadedFile], choices: Choices | None = None) -> Decisions:
    """The upload's guesses (day/month order, zone, currency, what unnamed rows are), once for
    all its files."""
    for f in files:
        if f.read.df is not None:
            _need_complete(f)  # decisions read every value, not a preview
    usable = [f for f in files if f.read.df is not None]
    return decide([(f.read.df, f.table, f.mapping_dict) for f in usable], choices, [f.name for f in usable])


def apply_mapping(file: LoadedFile, table: str, mapping: dict[str, str | None],
                  today=None, choices: Choices | None = None) -> LoadedFile:
    """Coerce and validate the file's rows with the confirmed mapping and the upload's choices.

    The returned file keeps only the first :data:`PREVIEW_ROWS` raw rows (``read.complete`` is
    then False): every row is in the result (kept typed, rejected and dropped ones raw), so the
    raw text table is not held twice beside the typed one. Apply a mapping to the file
    :func:`inspect_file` returned, not to an applied one."""
    if file.read.df is None:
        return file
    _need_complete(file)
    result = coerce_table(file.read.df, mapping, table, today=today, choices=choices)
    hints = mapping_hints(file, table, mapping)
    return replace(file, read=preview_only(file.read), table=table, mapping=tuple(mapping.items()), result=result,
                   hints=hints, choices=choices.as_tuple() if choices else ())


def preview_only(read: ReadResult) -> ReadResult:
    """``read`` with only its first :data:`PREVIEW_ROWS` rows (itself when it has no more)."""
    if read.df is None or len(read.df) <= PREVIEW_ROWS:
        return read
    return replace(read, df=read.df.head(PREVIEW_ROWS).copy(), complete=False)


def _need_complete(file: LoadedFile) -> None:
    if not file.read.complete:
        raise ValueError(f"{file.name}: only the first {PREVIEW_ROWS} rows are left after validation; "
                         "map the file inspect_file returned")


def fingerprint(files: list[LoadedFile], currency: str | None = None) -> str:
    """A short hash of the files' bytes plus how they were mapped and read (choices,
    currency): same data, same figures."""
    h = hashlib.sha256((currency or "").encode())
    for f in sorted(files, key=lambda f: (f.table or "", f.digest)):
        h.update(f"{f.digest}|{f.table}|{sorted(f.mapping, key=str)}|{f.choices}".encode())
    return h.hexdigest()[:12]


def files_key(files: list[LoadedFile], currency: str | None = None) -> str:
    """The full SHA-256 content key of the usable files: bytes, table, confirmed mapping, how
    they were read (sheet, header row) and the upload's decisions (date order, zone,
    duplicates, placeholders) and currency: the same key means the same figures."""
    usable = [f for f in files if f.usable]
    settings = repr((currency or "", sorted((f.digest, repr(f.read.sheet), repr(f.read.header_row), repr(f.read.has_header), repr(f.choices)) for f in usable)))
    return content_key([(f.digest, f.table, f.mapping) for f in usable], settings)


def build_dataset(files: list[LoadedFile], currency: str | None = None,
                  refunds: str | None = None) -> tuple[Dataset | None, Report]:
    """Combine the usable files (several files of one table are stacked) into a Dataset.
    ``refunds`` (``"net"`` / ``"gross"``): by default the rule the files were applied with.

    When nothing is usable the report's first problem names the real cause with numbers
    (``loader.nothing_usable``: rows in, rows rejected and the main reasons, per file).
    """
    report = Report()
    tables: dict[str, list[pd.DataFrame]] = {}
    used = []
    for f in files:
        if f.usable:
            tables.setdefault(f.table, []).append(f.result.clean)
            if f.result.lines is not None:
                tables.setdefault("order_lines", []).append(f.result.lines)
            used.append(f)
    if refunds is None:
        refunds = next((dict(f.choices).get("refunds") for f in used if f.choices), None) or "net"
    frames = {name: pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
              for name, parts in tables.items()}
    if "events" not in frames and "orders" not in frames:
        for problem in nothing_usable(files):
            report.add(problem)
        report.add(Problem("loader.need_activity", ERROR))
        return None, report
    note = buyers_note(used)  # no buyer column: said once for the upload, with the evidence
    if note is not None:
        report.add(note)
    ds = Dataset.from_tables(
        events=frames.get("events"), orders=frames.get("orders"), users=frames.get("users"),
        campaigns=frames.get("campaigns"), fingerprint=fingerprint(used, currency),
        currency=currency or "",  # "" = not stated: plain numbers, no market assumed
        order_lines=frames.get("order_lines"), refunds=refunds,
        buyers_known=all(f.result.buyers_known for f in used),
    )
    return ds, report


def nothing_usable(files: list[LoadedFile]) -> list[Problem]:
    """Why each events/orders file gave no rows, with numbers: the real cause, not a shrug."""
    out = []
    for f in files:
        if f.table not in ("events", "orders"):
            continue
        res = f.result
        if f.read.df is None:
            out.append(Problem("loader.file_unreadable", ERROR, params={"name": f.name}))
        elif res is None:
            continue
        elif res.report.has_errors:
            missing = [p.params.get("field", "") for p in res.report if p.code == "validate.missing_column"]
            out.append(Problem("loader.file_missing_columns", ERROR,
                               params={"name": f.name, "fields": ", ".join(missing)}))
        elif res.n_clean == 0:
            reasons = Counter(res.rejected["reason"].value_counts().to_dict()) + \
                Counter(res.dropped["reason"].value_counts().to_dict() if len(res.dropped) else {})
            top = reasons.most_common(3)
            out.append(Problem("loader.all_rejected", ERROR, count=res.n_input, params={
                "name": f.name, "n": f"{res.n_input:,}",
                "reason_codes": tuple((code, k) for code, k in top)}))
    return out
