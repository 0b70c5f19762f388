"""Row-level validation: raw string columns -> typed canonical table + rejected + set-aside rows.

Never raises on bad rows. Every row ends in exactly one of three places, so a file reconciles:
``kept`` (the canonical table), ``rejected`` (cannot be a valid row: unreadable date, date
before 1900 or after tomorrow, missing id ...) or ``dropped`` (valid, but set aside by a
choice the user can switch: duplicates, placeholder dates). Each problem kind is one
:class:`~opslab.core.problems.Problem` (count, source column, up to five ``(spreadsheet row, raw
value)`` examples, and the amount the rows carry). The result and the row bookkeeping are
:mod:`opslab.ingest.outcome`'s.

Example
-------
>>> raw = pd.DataFrame({"uid": ["1", "", "2"], "时间": ["1997-01-05", "2024-01-06", "?"]})
>>> res = coerce_table(raw, {"user_id": "uid", "event_time": "时间"}, "events",
...                    today="2024-02-01")
>>> res.n_clean, res.rejected["reason"].tolist()
(1, ['validate.missing_id', 'validate.bad_date'])
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from opslab.ingest.choices import Choices
from opslab.ingest.column_parse import ID_FIELDS, cost, parse_column
from opslab.ingest.fast_tables import null_text, repeated_rows, row_ids, rows_at
from opslab.ingest.fastparse import filter_rows
from opslab.ingest.money import currency_of
from opslab.ingest.order_fields import buyer_missing, complete_orders
from opslab.ingest.outcome import PARTS, Rows, ValidationResult
from opslab.ingest.order_lines import duplicates_and_lines, sum_lines
from opslab.ingest.parallel import run_all
from opslab.ingest.set_aside import duplicates, fsum, identical, needs_row_hashes, placeholders
from opslab.core.problems import ERROR, INFO, WARNING, Problem, Report
from opslab.core.schema import TABLES, TableSpec
from opslab.ingest.refunds import is_refunds_export, mark_refunds, refunds_export, split_money

__all__ = ["coerce_table", "ValidationResult", "PARTS", "MIN_DATE", "MAX_AMOUNT"]

MIN_DATE = pd.Timestamp("1900-01-01")
MAX_AMOUNT = 1e8  # one order above 100 million is a typo, not a sale
_MONEY = {"events": "amount", "orders": "amount", "campaigns": "spend"}


def _empty_clean(spec: TableSpec) -> pd.DataFrame:
    cols: dict[str, Any] = {}
    for c in spec.columns:
        if c in spec.times + spec.dates:
            cols[c] = pd.Series([], dtype="datetime64[us]")
        elif c in spec.money + spec.numbers:
            cols[c] = pd.Series([], dtype="float64")
        else:
            cols[c] = pd.Series([], dtype="str")
    return pd.DataFrame(cols)


def _to_day(today) -> pd.Timestamp:
    return (pd.Timestamp.now() if today is None else pd.Timestamp(today)).normalize()


def coerce_table(raw: pd.DataFrame, mapping: dict[str, str | None], table: str, *,
                 today=None, choices: Choices | None = None) -> ValidationResult:
    """Coerce one raw table (string cells) to the canonical ``table`` using ``mapping``.

    Parameters
    ----------
    raw : DataFrame of raw strings (missing allowed), as read by :mod:`opslab.ingest.read`.
    mapping : canonical field -> source column (or None), e.g. from ``suggest_mapping``.
    table : ``"events"``, ``"orders"``, ``"users"`` or ``"campaigns"``.
    today : the reference day for "date in the future" checks (default: now).
    choices : the upload's decisions (day/month order, zone, duplicates, placeholders);
        :func:`opslab.ingest.decide.decide` resolves them for all files at once.

    Times must fall between 1900-01-01 and the end of tomorrow (campaign dates: within five
    years from today, since campaigns are planned ahead).

    >>> raw = pd.DataFrame({"会员号": ["7.0", "8"], "下单时间": ["1998/1/5", "2024/1/6"],
    ...                     "实付金额": ["¥1,280", "(20)"], "状态": ["已支付", "已退款"]})
    >>> m = {"user_id": "会员号", "order_time": "下单时间", "amount": "实付金额", "status": "状态"}
    >>> coerce_table(raw, m, "orders", today="2024-02-01").clean["user_id"].tolist()
    ['7', '8']
    """
    choices = choices or Choices()
    spec = TABLES[table]
    raw = raw.reset_index(drop=True)
    n = len(raw)
    report = Report()
    cols = {f: c for f, c in mapping.items() if f in spec.columns and c is not None and c in raw.columns}
    derived_amount = "amount" in spec.columns and "amount" not in cols and "unit_price" in cols
    refunds_only = is_refunds_export(table, cols)
    missing = [f for f in spec.required if f not in cols
               and not (f == "amount" and (derived_amount or refunds_only))
               and not (f == "user_id" and buyer_missing(table, cols))]
    money_field = _MONEY.get(table)
    if missing:
        for f in missing:
            report.add(Problem("validate.missing_column", ERROR, None, 0, (),
                               {"field": f, "table": table}))
        rejected = raw.assign(row=np.arange(n) + 2, reason="validate.missing_column")
        return ValidationResult(_empty_clean(spec), rejected, report, n, 0,
                                dropped=raw.iloc[:0].assign(row=[], reason=[]), amount_field=money_field)

    rows = Rows(raw, report)
    if table in ("users", "campaigns"):  # the same record twice: harmless, one is enough
        rows.flag("validate.duplicate_rows", cols.get(spec.required[0]), identical(raw), drop=True,
                  severity=INFO)

    out: dict[str, pd.Series] = {}
    symbols: dict[str, int] = {}
    day = _to_day(today)
    # Each column is parsed on its own, and whole rows hashed for duplicates: side by side on
    # the cores for a big table; the checks below then read the results in the columns' order.
    tasks = {f: partial(parse_column, f, raw[c], spec, choices)
             for f, c in sorted(cols.items(), key=lambda fc: cost(fc[0], spec))}
    if needs_row_hashes(table, cols):
        tasks = {"#rows": partial(repeated_rows, raw), **tasks}
    parsed = run_all(tasks, rows=n)
    for f, c in cols.items():
        src = raw[c]
        required = f in spec.required
        if f in ID_FIELDS:
            out[f], n_unified, sci, kept_apart = parsed.pop(f)
            if n_unified:
                rows.report.add(Problem("validate.ids_unified", INFO, c, n_unified, (), {"n": n_unified}))
            if kept_apart:  # said, never silent: "7" and "7.0" stay two people
                rows.report.add(Problem("validate.ids_kept_apart", WARNING, c, kept_apart, (), {"n": kept_apart}))
            if required:
                rows.flag("validate.missing_id", c, out[f].isna().to_numpy(), reject=True, field=f)
            if sci.any():
                rows.flag("validate.scientific_ids", c, sci, severity=WARNING,
                          n_ids=int(out[f][sci].nunique()))
        elif f in spec.times + spec.dates:
            values, failed = parsed.pop(f)
            f_np, v_np = failed.to_numpy(), values.to_numpy()
            rows.flag("validate.bad_date", c, f_np, reject=required, field=f)
            upper = day + (pd.DateOffset(years=5) if f in spec.dates else pd.Timedelta(days=2))
            early = (~np.isnat(v_np)) & (v_np < MIN_DATE.as_unit("us").to_datetime64())
            late = (~np.isnat(v_np)) & (v_np >= upper.as_unit("us").to_datetime64())
            rows.flag("validate.date_too_early", c, early, reject=required, field=f,
                      min=str(MIN_DATE.date()))
            rows.flag("validate.date_in_future", c, late, reject=required, field=f,
                      max=str((upper - pd.Timedelta(days=1)).date()))
            if not required:  # an optional date that is wrong is cleared, the row kept
                values = values.mask(failed | early | late)
            else:
                rows.flag("validate.missing_value", c, np.isnat(v_np) & ~f_np, reject=True, field=f)
            out[f] = values
        elif f in spec.money + spec.numbers:
            values, failed, signs = parsed.pop(f)
            is_required = required and not (f == "amount" and derived_amount)
            rows.flag("validate.bad_amount", c, failed.to_numpy(), reject=is_required, field=f)
            if is_required:
                rows.flag("validate.missing_value", c, (values.isna() & ~failed).to_numpy(),
                          reject=True, field=f)
            out[f] = values.mask(failed)
            for tok, k in signs.items():
                symbols[tok] = symbols.get(tok, 0) + k
        elif f == "status":
            values, unknown = parsed.pop(f)
            rows.flag("validate.unknown_status", c, unknown.to_numpy(), severity=INFO)
            rows.flag("validate.unpaid_order", c, (values == "unpaid").to_numpy(), reject=True)
            out[f] = values
        else:
            out[f] = parsed.pop(f)

    if derived_amount:
        _derive_amount(out, cols, rows)
    if refunds_only:
        refunds_export(out, cols, rows)
    buyers_known = complete_orders(table, out, cols, rows)
    if symbols:
        shown = ", ".join(f"{tok} ({k:,})" for tok, k in sorted(symbols.items(), key=lambda kv: -kv[1]))
        codes = sorted({currency_of(t) or t for t in symbols})
        report.add(Problem("validate.currency_symbols", INFO if len(codes) == 1 else WARNING,
                           cols.get("amount") or cols.get("spend") or cols.get("unit_price"),
                           sum(symbols.values()), (), {"symbols": shown, "currencies": ", ".join(codes)}))

    src = values = failed = v_np = None  # the loop's last column: freed with ``out`` below, not kept alive
    _table_rules(table, out, cols, rows)
    money = out[money_field].to_numpy(dtype=float) if money_field in out else None
    set_aside: dict[str, dict[str, Any]] = {}
    refunded, part_refunds = out.pop("#refunded", (None, None))
    line_rule = duplicates_and_lines(table, raw, out, cols, rows, choices, money, set_aside,
                                     parsed.pop("#rows", None))
    placeholders(table, out, cols, rows, choices, money, set_aside)

    keep = rows.alive
    clean = _assemble(spec, raw, out, cols, table, n, keep, choices.rows == "purchases")  # empties ``out``
    rej_mask = rows.rejected
    drop_mask = ~rej_mask & rows.dropped
    rejected = rows_at(raw, rej_mask).assign(row=np.flatnonzero(rej_mask) + 2,
                                             reason=rows.reasons(rows.reason, rej_mask))
    dropped = rows_at(raw, drop_mask).assign(row=np.flatnonzero(drop_mask) + 2,
                                             reason=rows.reasons(rows.drop, drop_mask))
    amounts, money_parts = None, {}
    if money is not None:
        masks = {"input": np.ones(n, bool), "kept": keep, "rejected": rej_mask, "dropped": drop_mask}
        amounts = {p: fsum(money, m) for p, m in masks.items()}
        if refunded is not None:
            money_parts = {p: split_money(money, refunded, m, part_refunds) for p, m in masks.items()}
    lines = None
    if line_rule == "sum":
        lines, clean = clean, sum_lines(clean)
    return ValidationResult(clean, rejected.reset_index(drop=True), report, n, int(keep.sum()),
                            dropped=dropped.reset_index(drop=True), amounts=amounts,
                            amount_field=money_field if money is not None else None,
                            set_aside=set_aside, symbols=symbols, lines=lines, money_parts=money_parts,
                            buyers_known=buyers_known)


def _derive_amount(out, cols, rows: Rows) -> None:
    """Amount = unit price x quantity (x 1 without a quantity column), and say so."""
    price = out["unit_price"]
    qty = out["quantity"] if "quantity" in out else pd.Series(1.0, index=price.index)
    out["amount"] = price * qty.fillna(1.0) if "quantity" in out else price.copy()
    rows.report.add(Problem("validate.amount_from_price", INFO, cols["unit_price"], 0, (),
                            {"price": cols["unit_price"], "quantity": cols.get("quantity", "1")}))
    rows.flag("validate.missing_value", cols["unit_price"], out["amount"].isna().to_numpy(),
              reject=True, field="unit_price")


def _table_rules(table: str, out: dict[str, pd.Series], cols: dict[str, str],
                 rows: Rows) -> None:
    """Checks that involve more than one column or the table's meaning."""
    amount_col = cols.get("amount") or cols.get("unit_price")
    if table in ("orders", "events") and "amount" in out:
        amount = out["amount"].to_numpy()
        rows.flag("validate.absurd_amount", amount_col, np.abs(amount) > MAX_AMOUNT,
                  reject=True, limit=MAX_AMOUNT)
    if table == "orders":  # negative amounts, refund statuses, cancelling invoices: refunds, kept
        out["#refunded"] = mark_refunds(out, cols, rows)
    if table == "campaigns":
        rows.flag("validate.negative_spend", cols["spend"], (out["spend"] < 0).to_numpy(),
                  reject=True)
        rows.flag("validate.end_before_start", cols["end_date"],
                  (out["end_date"] < out["start_date"]).to_numpy(), reject=True)
    key = {"users": "user_id", "campaigns": "campaign_id"}.get(table)
    if key in out:
        ids = out[key]
        alive = rows.alive
        dup = np.zeros(len(ids), dtype=bool)
        dup[alive] = ids[alive].duplicated(keep="first").to_numpy() & ids[alive].notna().to_numpy()
        rows.flag("validate.duplicate_key", cols[key], dup, reject=True, field=key)


def _assemble(spec: TableSpec, raw: pd.DataFrame, out: dict[str, pd.Series],
              cols: dict[str, str], table: str, n: int, keep: np.ndarray, bought: bool = False) -> pd.DataFrame:
    """The kept rows' canonical table (``bought``: events without a name column are purchases). Each
    column is filtered as it is taken out of ``out`` (popped), so the unfiltered typed columns are
    freed one by one, never all copied at once."""
    frame = _empty_clean(spec)
    every = bool(keep.all())
    n_kept = n if every else int(keep.sum())

    def kept(s: pd.Series) -> pd.Series:
        return s.reset_index(drop=True) if every else filter_rows(s, keep)

    data: dict[str, pd.Series] = {}
    nan = None  # one read-only all-NaN array shared by the absent numeric columns (copy-on-write)
    # the kept rows of each column, side by side on the cores (Arrow and NumPy filters)
    filtered = run_all({c: partial(kept, out.pop(c)) for c in spec.columns if c in out}, rows=n_kept)
    for c in spec.columns:
        if c in spec.sparse and c not in filtered:  # only when mapped
            continue
        if c in filtered:
            data[c] = filtered.pop(c)
        elif c == "order_id" and table == "orders":
            data[c] = kept(row_ids(n))  # the spreadsheet row of each kept row
        elif frame[c].dtype == "str":
            data[c] = null_text(n_kept)
        elif frame[c].dtype == "float64":
            if nan is None:
                nan = np.full(n_kept, np.nan)
                nan.flags.writeable = False
            data[c] = pd.Series(nan, copy=False)
        else:
            data[c] = pd.Series(np.full(n_kept, np.nan), dtype=frame[c].dtype)
    if table == "events":  # no name: a visit, or a purchase when the upload's rows are (Choices.rows)
        if data["event_name"].isna().any():  # fillna copies every name even when none is missing
            data["event_name"] = data["event_name"].fillna("purchase" if bought and "event_name" not in cols
                                                            else "active")
    if table == "orders":
        data["status"] = data["status"].fillna("paid")
        if "order_id" in cols and data["order_id"].isna().any():
            data["order_id"] = data["order_id"].fillna(kept(row_ids(n)))
    result = pd.DataFrame(data, copy=False)  # the columns are new: no second copy
    if table in ("events", "users"):
        used = set(cols.values())
        for c in raw.columns:
            if c not in used:
                name = f"{c}_raw" if c in result.columns else c
                result[name] = kept(raw[c])
    return result
