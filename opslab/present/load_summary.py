"""What a load decided and how every row was accounted for, as plain text lines in one language.

The command line (``python -m opslab report``) prints these before it writes anything, so a
scheduled report says which currency (and why), which time zone, which date order and which
duplicate rule it used, and how many rows (with their amounts) were kept, rejected or set aside.

>>> from opslab.dataset.load import load
>>> res = load(("o.csv", b"user_id,order_time,amount\\nu1,2024-01-05,$12.50\\nu2,x,$3\\n"))
>>> print("\\n".join(summary_lines(res, "en")))  # doctest: +ELLIPSIS
Decisions
  - Amounts are in USD (from the currency signs in the cells; seen: USD).
  - Duplicate rows: ...
Reconciliation
  - o.csv (Orders): 2 rows in · 1 kept · 1 rejected · 0 set aside; amount in $15.50 · kept $12.50 · rejected $3.00 · set aside $0.00
To check
  - o.csv: 1 values in “order_time” are not dates we can read.
"""

from __future__ import annotations

import math

from opslab.present import formatting as fmt
from opslab.present import messages
from opslab.core.i18n import t
from opslab.core.problems import INFO

_TABLES = ("events", "orders", "users", "campaigns")


def _params(p, lang: str) -> dict:
    params = {"column": p.column or "", "count": f"{p.count:,}", **p.params}
    if params.get("order") in ("day_first", "month_first"):
        params["order"] = t(f"decide.order.{params['order']}", lang)
    if params.get("table") in _TABLES:
        params["table"] = t(f"data.table.{params['table']}", lang)
    if "reason_codes" in params:
        params["reasons"] = t("data.reason_sep", lang).join(
            f"{t('validate.reason.' + str(c).split('.', 1)[-1].removesuffix('_kept'), lang)} ({k:,})"
            for c, k in params.pop("reason_codes"))
    return params


def problem_text(p, lang: str, currency: str = "", exact: bool = True) -> str:
    """One problem as a sentence in ``lang`` (amounts in ``currency``, plain when none; exact
    "£405,810.15", or compact "£40.6万" as the report writes money when ``exact`` is False)."""
    params = _params(p, lang)
    for key in ("amount", "gross", "refunds", "net", "moved"):  # money, in the data set's currency
        if isinstance(params.get(key), (int, float)):
            params[key] = fmt.money(params[key], lang, exact=exact, currency=currency)
    return t(p.code, lang, **messages.numbers(p.code, params, lang, currency))


def _money(x, lang: str, currency: str) -> str:
    return fmt.money(x, lang, exact=True, currency=currency) if x is not None and math.isfinite(x) else "–"


def summary_lines(loaded, lang: str = "zh") -> list[str]:
    """The decisions (currency and its evidence, zone, date order, duplicates) and each file's
    reconciliation (rows and amounts in / kept / rejected / set aside), then the problems worth
    a look (warnings and errors), one line each."""
    d = loaded.decisions
    currency = d.choices.currency or ""
    out = [t("cli.decisions", lang)]
    out += [f"  - {problem_text(p, lang, currency)}" for p in d.notes()]
    # made once the files were validated: no column identifies the buyer
    out += [f"  - {problem_text(p, lang, currency)}" for _, p in loaded.problems if p.code == "decide.buyers.none"]
    out.append("  - " + t("cli.duplicates", lang, rule=t(f"data.choice.duplicates.{d.choices.duplicates}", lang)))
    out.append(t("cli.reconciliation", lang))
    for f in loaded.files:
        res = f.result
        if res is None:
            out.append("  - " + t("cli.file_unused", lang, name=f.name))
            continue
        r = res.reconciliation()
        line = t("cli.rows", lang, name=f.name, table=t(f"data.table.{f.table}", lang),
                 input=f"{int(r.loc['input', 'rows']):,}", kept=f"{int(r.loc['kept', 'rows']):,}",
                 rejected=f"{int(r.loc['rejected', 'rows']):,}", dropped=f"{int(r.loc['dropped', 'rows']):,}")
        if res.amount_field is not None:
            line += "; " + t("cli.amounts", lang, **{p: _money(float(r.loc[p, "amount"]), lang, currency)
                                                     for p in ("input", "kept", "rejected", "dropped")})
        out.append("  - " + line)
    notes = [(name, p) for name, p in loaded.problems
             if p.severity != INFO and not p.code.startswith("decide.")]
    if notes:
        out.append(t("cli.problems", lang))
        out += [f"  - {name + ': ' if name else ''}{problem_text(p, lang, currency)}" for name, p in notes]
    ds = loaded.dataset
    if ds is not None and not ds.has_amounts:
        out.append(t("cli.no_amounts", lang))
    return out
