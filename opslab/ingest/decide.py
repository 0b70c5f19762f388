"""Decide an upload's guesses once, from every file together, and say what was decided.

Day/month order, time zone and currency are read from all mapped columns of all files of
the upload, so events and orders of one upload never disagree. Each decision becomes an
``INFO`` :class:`~opslab.core.problems.Problem` (``decide.*``) that the Data page shows next to
its switch.

>>> raw = pd.DataFrame({"u": ["a", "b"], "t": ["13/01/2024", "02/03/2024"], "v": ["$5", "$7"]})
>>> d = decide([(raw, "orders", {"user_id": "u", "order_time": "t", "amount": "v"})])
>>> d.choices.day_first, d.choices.currency, d.day_first_basis, d.currency_basis
(True, 'USD', 'evidence', 'symbol')
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import pandas as pd

from opslab.ingest.choices import Choices
from opslab.ingest.dates import day_month_votes, zone_label, zone_offsets
from opslab.ingest.money import DEFAULT_CURRENCY, currency_votes, decide_currency
from opslab.core.problems import INFO, WARNING, Problem
from opslab.core.schema import TABLES

_SAMPLE = 200_000  # rows per column looked at for the evidence


@dataclass(frozen=True)
class Decisions:
    """The resolved :class:`Choices` and the evidence behind each."""

    choices: Choices
    day_first_basis: str = "none"      # forced | evidence | conflict | ambiguous | none
    day_month: dict = field(default_factory=dict)
    tz_basis: str = "none"             # forced | data | none
    zones: dict = field(default_factory=dict)
    currency_basis: str = "default"    # forced | symbol | header | default
    currencies: tuple = ()
    #: Repeated order ids over the upload's orders files (see :meth:`with_files`): the rule
    #: applied, its basis and the money each alternative moves; empty when no id repeats.
    lines: dict = field(default_factory=dict)
    #: The refunds rule with the kept orders' gross, refunds and net; empty without refunds.
    refunds: dict = field(default_factory=dict)

    def with_files(self, files) -> "Decisions":
        """These decisions with what validating ``files`` (applied :class:`LoadedFile` s)
        found: how repeated order ids were read and how much money refunds move."""
        lines: dict = {}
        gross = refunds = net = 0.0
        n_refund_rows = 0
        for f in files:
            res = f.result
            if res is None or f.table != "orders":
                continue
            info = res.set_aside.get("lines")
            if info:
                for k in ("n", "n_lines", "n_rows", "n_orders", "amount"):
                    lines[k] = lines.get(k, 0) + info[k]
                lines.update(rule=info["rule"], auto=info["auto"], basis=info["basis"])
                lines["share"] = max(lines.get("share", 0.0), info["share"])
            if "kept" in res.money_parts:
                g, r, n = res.money_parts["kept"]
                gross, refunds, net = gross + g, refunds + r, net + n
                n_refund_rows += sum(p.count for p in res.report if p.code.startswith("validate.refund_rows."))
        found = {"gross": gross, "refunds": refunds, "net": net, "n": n_refund_rows,
                 "rule": self.choices.refunds} if refunds else {}
        return replace(self, lines=lines, refunds=found)

    def notes(self) -> list[Problem]:
        """What was decided, as problems for the page (codes ``decide.*``)."""
        c = self.choices
        out = []
        if self.day_month or self.day_first_basis == "forced":
            order = "day_first" if c.day_first else "month_first"
            sev = WARNING if self.day_first_basis in ("conflict", "ambiguous") else INFO
            out.append(Problem(f"decide.date_order.{self.day_first_basis}", sev,
                               params={"order": order, **{k: f"{self.day_month.get(k, 0):,}"
                                                          for k in ("day_first", "month_first", "ambiguous")}}))
        if self.zones:
            n = sum(self.zones.values())
            out.append(Problem(f"decide.zone.{self.tz_basis}", INFO if len(self.zones) == 1 else WARNING,
                               count=n, params={"n": f"{n:,}", "zone": c.tz or "",
                                                "zones": ", ".join(zone_label(z) for z in self.zones)}))
        if self.lines:
            li = self.lines
            sev = INFO if li["basis"] == "data" or li["rule"] == li["auto"] else WARNING
            # the alternative: sum -> first row only; first/rows -> lines summed
            out.append(Problem(f"decide.lines.{li['rule']}", sev, count=li["n"], params={
                "n_orders": f"{li['n_orders']:,}", "n_rows": f"{li['n_rows']:,}", "n": f"{li['n']:,}",
                "share": f"{li['share']:.0%}", "moved": li["amount"],
                "basis": li["basis"], "auto": li["auto"]}))
        if self.refunds:
            r = self.refunds
            out.append(Problem(f"decide.refunds.{r['rule']}", INFO, count=r["n"], params={
                "n": f"{r['n']:,}", "gross": r["gross"], "refunds": r["refunds"], "net": r["net"]}))
        out.append(Problem(f"decide.currency.{self.currency_basis}",
                           WARNING if len(self.currencies) > 1 else INFO,
                           params={"currency": c.currency or DEFAULT_CURRENCY,
                                   "seen": ", ".join(self.currencies)}))
        return out


def _columns(files, kinds) -> list[tuple[str, pd.Series]]:
    out = []
    for df, table, mapping in files:
        if df is None or table not in TABLES:
            continue
        spec = TABLES[table]
        wanted = {"time": spec.times + spec.dates, "money": spec.money}[kinds]
        for f in wanted:
            col = (mapping or {}).get(f)
            if col is not None and col in df.columns:
                out.append((str(col), df[col].head(_SAMPLE)))
    return out


def decide(files, choices: Choices | None = None) -> Decisions:
    """Resolve ``choices`` (``None`` fields) from ``files``: ``(raw frame, table, mapping)``.

    Day/month order: values such as ``13/01/2024`` prove day-first, ``01/13/2024`` month-first;
    the majority wins when files disagree; with no proof month-first, flagged as ambiguous.
    Zone: the offset most zoned values carry. Currency: symbols and words in the cells, else
    the headers (``dollar_value``, ``金额(元)``), else CNY.
    """
    choices = choices or Choices()
    times = _columns(files, "time")
    votes: Counter = Counter()
    zones: Counter = Counter()
    for _, s in times:
        votes += day_month_votes(s)
        zones += zone_offsets(s)
    day_first, basis = choices.day_first, "forced"
    if day_first is None:
        d, m, a = votes["day_first"], votes["month_first"], votes["ambiguous"]
        if d and m:
            day_first, basis = d > m, "conflict"
        elif d or m:
            day_first, basis = bool(d), "evidence"
        elif a:
            day_first, basis = False, "ambiguous"
        else:
            day_first, basis = False, "none"
    tz, tz_basis = choices.tz, "forced" if choices.tz else "none"
    if tz is None and zones:
        tz, tz_basis = zone_label(zones.most_common(1)[0][0]), "data"
    money_votes: Counter = Counter()
    for name, s in _columns(files, "money"):
        money_votes += currency_votes(s, name)
    seen = tuple(sorted({code for code, _ in money_votes}))
    currency, cur_basis = choices.currency, "forced"
    if currency is None:
        currency, cur_basis = decide_currency(money_votes)
    resolved = replace(choices, day_first=day_first, tz=tz, currency=currency)
    return Decisions(resolved, basis, dict(votes), tz_basis, dict(zones), cur_basis, seen)
