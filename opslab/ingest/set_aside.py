"""Rows that are valid but set aside by a switchable choice: duplicates (rows equal in every
column) and placeholder dates.

Used by :func:`opslab.ingest.validate.coerce_table`; ``rows`` is its bookkeeping object
(``alive``, ``flag``). Each rule counts the rows and the amount they carry, and drops or keeps
them by the upload's :class:`~opslab.ingest.choices.Choices`.

>>> identical(pd.DataFrame({"a": ["x", "x", "y"]})).tolist()
[False, True, False]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opslab.ingest.fast_tables import exact_duplicates
from opslab.ingest.choices import Choices
from opslab.ingest.dates import has_seconds
from opslab.core.problems import INFO, WARNING

#: Dates that systems write when they have none; flagged when they lie outside the bulk.
PLACEHOLDER_DATES = tuple(pd.Timestamp(d) for d in ("1900-01-01", "1970-01-01", "2000-01-01"))
_MAIN_TIME = {"events": "event_time", "orders": "order_time"}
_DAY_US = 86_400_000_000
#: Orders with an order id: this share of rows identical to an earlier one is a double export.
DOUBLE_EXPORT_SHARE = 0.25


def fsum(values: np.ndarray, mask: np.ndarray) -> float:
    """Sum of ``values[mask]`` ignoring NaN (NumPy's pairwise sum: the same rounding for the
    file's total and its parts, to far below a cent)."""
    v = values[mask]
    return float(np.nansum(v)) if len(v) else 0.0


def identical(raw: pd.DataFrame, within: np.ndarray | None = None,
              repeated: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Rows equal cell for cell to an earlier row (hashed in DuckDB for big tables; see
    :func:`~opslab.ingest.fast_tables.exact_duplicates`)."""
    return exact_duplicates(raw, within, repeated)


def needs_row_hashes(table: str, cols) -> bool:
    """Whether :func:`duplicates` compares whole rows (no order id to go by)."""
    return table == "events" or (table == "orders" and "order_id" not in cols)


def needs_order_lines(table: str, cols) -> bool:
    """Whether repeated order ids are looked at (an orders table with an order id)."""
    return table == "orders" and "order_id" in cols


def repeated_ids(ids: pd.Series, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(rows whose alive order id repeats, the later ones of those) as masks; None when no
    alive id repeats (one pass over the ids: the usual file of unique ids costs no more).

    >>> repeated_ids(pd.Series(["a", "b", "a"]), np.ones(3, bool))[1].tolist()
    [False, False, True]
    """
    every_alive = bool(alive.all())
    live = ids if every_alive else ids[alive]
    present = live.notna().to_numpy()
    later_live = live.duplicated(keep="first").to_numpy() & present
    if not later_live.any():
        return None
    every_live = live.duplicated(keep=False).to_numpy() & present
    if every_alive:
        return every_live, later_live
    every, later = np.zeros(len(ids), dtype=bool), np.zeros(len(ids), dtype=bool)
    every[alive], later[alive] = every_live, later_live
    return every, later


def duplicates(table, raw, out, cols, rows, choices: Choices, money, set_aside,
               repeated: tuple[np.ndarray, np.ndarray] | None = None,
               id_repeats: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray | None:
    """Identical rows among the valid rows: counted, with their amount, dropped or kept by the
    upload's choice (see :class:`~opslab.ingest.choices.Choices`); returns their mask (None
    when there are none). Orders with an order id compare rows only where the id repeats
    (``id_repeats``: :func:`repeated_ids`; None when none does).
    ``repeated``: :func:`~opslab.ingest.fast_tables.repeated_rows` of ``raw``, when computed
    beforehand (alongside the column parsing)."""
    if table not in ("orders", "events"):
        return None
    alive = rows.alive
    if table == "orders" and "order_id" in cols:
        # Only rows equal in every column are duplicates; a repeated order id whose rows differ
        # is decided by the lines rule (opslab.ingest.order_lines). Rows are compared only when
        # an order id repeats: a file of unique ids costs nothing here.
        kind, column = "identical", cols["order_id"]
        if id_repeats is None:  # :func:`repeated_ids` of the alive rows, given by the caller
            return None
        mask = identical(raw, id_repeats[0] & alive, repeated)
        # The same order twice: a double export, unless the file lists order lines (products,
        # quantities, prices) with times to the minute and few repeats: then the same product
        # bought twice in one order (kept).
        lines = any(f in cols for f in ("product_id", "product", "quantity", "unit_price"))
        default_drop = not lines or has_seconds(out["order_time"], alive) or \
            mask.sum() >= DOUBLE_EXPORT_SHARE * alive.sum()
        kind = "identical" if default_drop or choices.duplicates != "auto" else "identical_lines"
    else:
        kind, column = "identical", cols.get("user_id")
        mask = identical(raw, alive, repeated)
        default_drop = table == "events" and has_seconds(out["event_time"], alive)
    if not mask.any():
        return None
    drop = {"auto": default_drop, "keep": False, "drop": True}[choices.duplicates]
    amount = fsum(money, mask) if money is not None else None
    code = "validate.duplicate_lines" if kind == "identical_lines" else "validate.duplicate_rows"
    n = int(mask.sum())
    rows.flag(code if drop else code + "_kept", column, mask, drop=drop,
              severity=WARNING if drop else INFO, n=f"{n:,}", amount="–" if amount is None else amount)
    set_aside["duplicates"] = {"n": n, "amount": amount or 0.0, "dropped": drop, "kind": kind,
                               "default_dropped": default_drop}
    return mask


def placeholders(table, out, cols, rows, choices: Choices, money, set_aside) -> None:
    """Dates far from the bulk of the file (1900-01-01, 1970-01-01 fillers). NumPy on the
    times' microseconds (a pandas boolean filter also filters the index: 0.3 s at 10 M rows)."""
    f = _MAIN_TIME.get(table)
    if f not in out:
        return
    v = out[f].to_numpy("datetime64[us]")
    us = v.view(np.int64)
    present = ~np.isnat(v)
    alive = rows.alive & present
    if not present.any():
        return
    seen = v if present.all() else v[present]
    lo, hi = seen.min(), seen.max()
    del seen
    days = np.array([d.to_datetime64() for d in PLACEHOLDER_DATES], dtype="datetime64[us]")
    if any(lo <= d + np.timedelta64(1, "D") and d <= hi for d in days):
        known = np.isin(us // _DAY_US, days.view(np.int64) // _DAY_US) & present
    else:  # no value on a placeholder day (the usual file): no pass over every time
        known = np.zeros(len(v), dtype=bool)
    in_bulk = alive & ~known
    bulk = us if in_bulk.all() else us[in_bulk]
    if len(bulk) < 2:
        return
    q25, q75 = (int(round(q)) for q in np.quantile(bulk, [0.25, 0.75]))  # one partial sort for both
    del bulk
    iqr = max(q75 - q25, 90 * _DAY_US)
    far = ((us < q25 - 3 * iqr) | (us > q75 + 3 * iqr)) if in_bulk.sum() >= 20 else False
    if known.any():
        known = known & ((us < q25 - iqr) | (us > q75 + iqr))
    mask = alive & (far | known)
    if not mask.any() or mask.sum() > 0.5 * alive.sum():
        return
    q25, q75 = pd.Timestamp(q25, unit="us"), pd.Timestamp(q75, unit="us")
    drop = choices.placeholders == "drop"
    amount = fsum(money, mask) if money is not None else 0.0
    dates = pd.Series(v[mask]).dt.date.value_counts().head(3)
    shown = ", ".join(f"{d} ({k:,})" for d, k in dates.items())
    n = int(mask.sum())
    rows.flag("validate.placeholder_dates" if drop else "validate.placeholder_dates_kept", cols[f], mask,
              drop=drop, severity=WARNING if drop else INFO, n=f"{n:,}", dates=shown,
              amount=amount, start=str(q25.date()), end=str(q75.date()))
    set_aside["placeholders"] = {"n": n, "amount": amount, "dropped": drop, "dates": shown}
