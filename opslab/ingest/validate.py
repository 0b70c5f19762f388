"""Row-level validation: raw string columns -> typed canonical table + rejected rows + report.

Never raises on bad rows: each problem kind becomes one :class:`~opslab.report.Problem` (count,
the source column, up to five ``(spreadsheet row, raw value)`` examples), bad rows go to
``rejected`` with the i18n code of their first problem, and every other row is kept.

Example
-------
>>> raw = pd.DataFrame({"uid": ["1", "", "2"], "时间": ["2024-01-05", "2024-01-06", "?"]})
>>> res = coerce_table(raw, {"user_id": "uid", "event_time": "时间"}, "events",
...                    today="2024-02-01")
>>> res.n_clean, res.rejected["reason"].tolist()
(1, ['validate.missing_id', 'validate.bad_date'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from opslab.ingest.fastparse import exact_duplicates, null_text, row_ids
from opslab.ingest.mapping import MISSING_TOKENS, parse_amounts, parse_datetimes, parse_status
from opslab.problems import ERROR, INFO, MAX_EXAMPLES, WARNING, Problem, Report
from opslab.schema import TABLES, TableSpec

MIN_DATE = pd.Timestamp("2000-01-01")
MAX_AMOUNT = 1e8  # one order above 100 million is a typo, not a sale
ID_FIELDS = ("user_id", "order_id", "campaign_id")


@dataclass
class ValidationResult:
    """Outcome of :func:`coerce_table`.

    ``clean`` has the table's canonical columns (plus, for events and users, the unmapped
    source columns under their original headers); ``rejected`` has the raw columns plus
    ``row`` (1-based spreadsheet row, header = row 1) and ``reason`` (an i18n code).
    Exact duplicate rows are dropped and counted in ``n_duplicates``, so
    ``n_clean + n_rejected + n_duplicates == n_input``.
    """

    clean: pd.DataFrame
    rejected: pd.DataFrame
    report: Report
    n_input: int
    n_clean: int
    n_duplicates: int = 0

    @property
    def n_rejected(self) -> int:
        return len(self.rejected)


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


_TOKEN_LEN = max(map(len, MISSING_TOKENS))


def _clean_text(s: pd.Series) -> pd.Series:
    s = s.astype("str").str.strip()
    # Only short cells can be a missing token: lower-case and look up just those.
    short = (s.str.len() <= _TOKEN_LEN).fillna(True).to_numpy(dtype=bool)
    missing = np.zeros(len(s), dtype=bool)
    if short.any():
        missing[short] = s[short].str.lower().isin(MISSING_TOKENS).fillna(True).to_numpy(dtype=bool)
    return s.where(~missing)


def _clean_ids(s: pd.Series) -> pd.Series:
    """Trim; ``"123.0"`` -> ``"123"`` when every id is an integer-like number (Excel floats)."""
    s = _clean_text(s)
    present = s.dropna()
    if len(present) and present.str.contains(".", regex=False).any() \
            and present.str.fullmatch(r"-?\d+(?:\.0+)?").all():
        s = s.str.replace(r"\.0+$", "", regex=True)
    return s


class _Rows:
    """Bookkeeping: which rows are still alive, the first rejection reason, the report."""

    def __init__(self, raw: pd.DataFrame, report: Report, dropped: np.ndarray):
        self.raw, self.report, self.dropped = raw, report, dropped
        self.reason = np.full(len(raw), None, dtype=object)

    def flag(self, code: str, column: str | None, mask, *, reject: bool,
             severity: str = WARNING, **params) -> None:
        mask = np.asarray(mask, dtype=bool) & ~self.dropped
        count = int(mask.sum())
        if not count:
            return
        pos = np.flatnonzero(mask)[:MAX_EXAMPLES]
        if column is not None and column in self.raw.columns:
            vals = self.raw[column].iloc[pos].tolist()
        else:
            vals = [None] * len(pos)
        examples = tuple((int(p) + 2, None if pd.isna(v) else v) for p, v in zip(pos, vals))
        self.report.add(Problem(code, severity, column, count, examples, params))
        if reject:
            self.reason[mask & (self.reason == None)] = code  # noqa: E711 (elementwise)

    @property
    def alive(self) -> np.ndarray:
        return ~self.dropped & (self.reason == None)  # noqa: E711


def _to_day(today) -> pd.Timestamp:
    return (pd.Timestamp.now() if today is None else pd.Timestamp(today)).normalize()


def coerce_table(raw: pd.DataFrame, mapping: dict[str, str | None], table: str, *,
                 today=None) -> ValidationResult:
    """Coerce one raw table (string cells) to the canonical ``table`` using ``mapping``.

    Parameters
    ----------
    raw : DataFrame of raw strings (missing allowed), as read by :mod:`opslab.io`.
    mapping : canonical field -> source column (or None), e.g. from ``suggest_mapping``.
    table : ``"events"``, ``"orders"``, ``"users"`` or ``"campaigns"``.
    today : the reference day for "date in the future" checks (default: now).

    Times must fall between 2000-01-01 and the end of tomorrow (campaign dates: within five
    years from today, since campaigns are planned ahead).

    >>> raw = pd.DataFrame({"会员号": ["7.0", "8.0"], "下单时间": ["2024/1/5", "2024/1/6"],
    ...                     "实付金额": ["¥1,280", "(20)"], "状态": ["已支付", "已退款"]})
    >>> m = {"user_id": "会员号", "order_time": "下单时间", "amount": "实付金额", "status": "状态"}
    >>> coerce_table(raw, m, "orders", today="2024-02-01").clean["user_id"].tolist()
    ['7', '8']
    """
    spec = TABLES[table]
    raw = raw.reset_index(drop=True)
    n = len(raw)
    report = Report()
    cols = {f: c for f, c in mapping.items() if f in spec.columns and c is not None}
    missing = [f for f in spec.required if cols.get(f) not in raw.columns]
    if missing:
        for f in missing:
            report.add(Problem("validate.missing_column", ERROR, None, 0, (),
                               {"field": f, "table": table}))
        rejected = raw.assign(row=np.arange(n) + 2, reason="validate.missing_column")
        return ValidationResult(_empty_clean(spec), rejected, report, n, 0, 0)

    dropped = exact_duplicates(raw)
    rows = _Rows(raw, report, np.zeros(n, dtype=bool))
    rows.flag("validate.duplicate_rows", cols.get(spec.required[0]), dropped, reject=False)
    rows.dropped = dropped

    out: dict[str, pd.Series] = {}
    day = _to_day(today)
    for f, c in cols.items():
        src = raw[c]
        required = f in spec.required
        if f in ID_FIELDS:
            out[f] = _clean_ids(src)
            if required:
                rows.flag("validate.missing_id", c, out[f].isna().to_numpy(), reject=True,
                          field=f)
        elif f in spec.times + spec.dates:
            values, failed = parse_datetimes(src)
            f_np, v_np = failed.to_numpy(), values.to_numpy()
            rows.flag("validate.bad_date", c, f_np, reject=required, field=f)
            upper = day + (pd.DateOffset(years=5) if f in spec.dates else pd.Timedelta(days=2))
            bad_range = (~np.isnat(v_np)) & ((values < MIN_DATE) | (values >= upper)).to_numpy()
            rows.flag("validate.date_out_of_range", c, bad_range, reject=required, field=f,
                      min=str(MIN_DATE.date()), max=str((upper - pd.Timedelta(days=1)).date()))
            if not required:  # an optional date that is wrong is cleared, the row kept
                values = values.mask(failed | bad_range)
            else:
                rows.flag("validate.missing_value", c, np.isnat(v_np) & ~f_np, reject=True,
                          field=f)
            out[f] = values
        elif f in spec.money + spec.numbers:
            values, failed = parse_amounts(src)
            rows.flag("validate.bad_amount", c, failed.to_numpy(), reject=required, field=f)
            if required:
                rows.flag("validate.missing_value", c,
                          (values.isna() & ~failed).to_numpy(), reject=True, field=f)
            out[f] = values.mask(failed)
        elif f == "status":
            values, unknown = parse_status(src)
            rows.flag("validate.unknown_status", c, unknown.to_numpy(), reject=False,
                      severity=INFO)
            rows.flag("validate.unpaid_order", c, (values == "unpaid").to_numpy(), reject=True)
            out[f] = values
        else:
            out[f] = _clean_text(src)

    _table_rules(table, out, cols, rows)

    clean = _assemble(spec, raw, out, cols, table, n)
    keep = rows.alive
    rej_mask = ~dropped & ~keep
    rejected = raw[rej_mask].assign(row=np.flatnonzero(rej_mask) + 2,
                                    reason=rows.reason[rej_mask].astype(str))
    clean = clean[keep].reset_index(drop=True)
    return ValidationResult(clean, rejected.reset_index(drop=True), report, n, len(clean),
                            int(dropped.sum()))


def _table_rules(table: str, out: dict[str, pd.Series], cols: dict[str, str],
                 rows: _Rows) -> None:
    """Checks that involve more than one column or the table's meaning."""
    if table in ("orders", "events") and "amount" in out:
        amount = out["amount"].to_numpy()
        rows.flag("validate.absurd_amount", cols["amount"], np.abs(amount) > MAX_AMOUNT,
                  reject=True, limit=MAX_AMOUNT)
    if table == "orders":
        refunded = out["status"].eq("refunded").to_numpy() if "status" in out else False
        rows.flag("validate.negative_amount", cols["amount"],
                  (out["amount"] < 0).to_numpy() & ~refunded, reject=True)
    if table == "campaigns":
        rows.flag("validate.negative_spend", cols["spend"], (out["spend"] < 0).to_numpy(),
                  reject=True)
        rows.flag("validate.end_before_start", cols["end_date"],
                  (out["end_date"] < out["start_date"]).to_numpy(), reject=True)
    key = {"orders": "order_id", "users": "user_id", "campaigns": "campaign_id"}.get(table)
    if key in out:
        ids = out[key]
        alive = rows.alive
        dup = np.zeros(len(ids), dtype=bool)
        dup[alive] = ids[alive].duplicated(keep="first").to_numpy() & ids[alive].notna().to_numpy()
        code = "validate.duplicate_order_id" if key == "order_id" else "validate.duplicate_key"
        rows.flag(code, cols[key], dup, reject=True, field=key)


def _assemble(spec: TableSpec, raw: pd.DataFrame, out: dict[str, pd.Series],
              cols: dict[str, str], table: str, n: int) -> pd.DataFrame:
    frame = _empty_clean(spec)
    data: dict[str, pd.Series] = {}
    for c in spec.columns:
        if c in out:
            data[c] = out[c]
        else:
            data[c] = pd.Series(np.full(n, np.nan), dtype=frame[c].dtype) \
                if frame[c].dtype != "str" else null_text(n)
    if table == "events":
        data["event_name"] = data["event_name"].fillna("active")
    if table == "orders":
        data["status"] = data["status"].fillna("paid")
        if "order_id" in out:
            data["order_id"] = data["order_id"].fillna(row_ids(n))
        else:
            data["order_id"] = row_ids(n)
    result = pd.DataFrame(data)
    if table in ("events", "users"):
        used = set(cols.values())
        for c in raw.columns:
            if c not in used:
                name = f"{c}_raw" if c in result.columns else c
                result[name] = raw[c]
    return result
