"""The numbers of an engine message written in the one style before the words get them.

The engine says what it found as an i18n key and raw numbers (a :class:`~opslab.core.problems.Problem`'s
params, a churn reason's ``(key, params)``): tests, exports and the report read the numbers.
No locale string carries a format spec (``{pct:.0%}``; tests/test_house_rules.py): the screens,
the command line and the report pass the params through :func:`numbers`, which writes each one
with :mod:`opslab.present.formatting` — money in the data set's currency, shares as percentages.

>>> numbers("churn.reason.spend_drop", {"before": 600.0, "after": 60.0}, "en", "USD")
{'before': '$600.00', 'after': '$60.00'}
>>> numbers("churn.reason.active_drop", {"pct": 0.75, "now": 1, "before": 4})["pct"]
'75%'
"""

from __future__ import annotations

from typing import Mapping

from opslab.present import formatting as fmt

__all__ = ["MESSAGE_NUMBERS", "numbers"]

#: Per message key, how each numeric param is written: ``money`` (the data set's currency),
#: ``pct`` (a share, whole percent), ``number0`` / ``number1`` (decimals), ``general``.
MESSAGE_NUMBERS: dict[str, dict[str, str]] = {
    "churn.reason.active_drop": {"pct": "pct"},
    "churn.reason.active_drop_month": {"pct": "pct"},
    "churn.reason.low_activity": {"typical": "general"},
    "churn.reason.spend_drop": {"before": "money", "after": "money"},
    "churn.reason.overdue": {"ratio": "number1", "gap": "number0"},
    "churn.reason.similar": {"risk": "pct"},
    "validate.absurd_amount": {"limit": "money"},
}


def _write(x: float, kind: str, lang: str, currency: str | None) -> str:
    if kind == "money":
        return fmt.money(x, lang, currency=currency)
    if kind == "pct":
        return fmt.pct(x, 0)
    if kind == "number0":
        return fmt.number(x, 0)
    if kind == "number1":
        return fmt.number(x, 1)
    if kind == "general":
        return fmt.general(x)
    raise ValueError(f"unknown number kind {kind!r}")


def numbers(key: str, params: Mapping, lang: str = "zh", currency: str | None = "") -> dict:
    """``params`` of message ``key`` with its numbers written for ``lang`` (amounts in
    ``currency``, plain when none was stated); other params unchanged."""
    out = dict(params)
    for name, kind in MESSAGE_NUMBERS.get(key, {}).items():
        value = out.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = _write(float(value), kind, lang, currency)
    return out
