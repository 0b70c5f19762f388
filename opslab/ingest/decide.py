"""Decide an upload's guesses once, from every file together, and say what was decided.

Day/month order, time zone and currency are read from all mapped columns of all files of
the upload, so events and orders of one upload never disagree. Each decision becomes an
``INFO`` :class:`~opslab.core.problems.Problem` (``decide.*``) that the Data page shows next to
its switch.

>>> raw = pd.DataFrame({"u": ["a", "b"], "t": ["13/01/2024", "02/03/2024"], "v": ["$5", "$7"]})
>>> d = decide([(raw, "orders", {"user_id": "u", "order_time": "t", "amount": "v"})])
>>> d.choices.day_first, d.choices.currency, d.day_first_basis, d.currency_basis
(True, 'USD', 'evidence', 'symbol')

Nothing is assumed: with no evidence of a currency ``choices.currency`` stays ``None`` (basis
``none``) and the Data page asks, most likely first (:attr:`Decisions.currency_options`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import pandas as pd

from opslab.ingest.choices import CURRENCIES, Choices
from opslab.ingest.dates import day_month_votes, zone_label, zone_offsets
from opslab.ingest.row_kind import applies as rows_apply, row_counts, row_evidence
from opslab.ingest.money import (country_votes, currency_votes, decide_currency, is_country_header,
                                 language_votes, ranked_currencies)
from opslab.ingest.zones import epoch_seconds, suggest_zone
from opslab.core.problems import INFO, WARNING, Problem
from opslab.core.schema import TABLES

_SAMPLE = 200_000  # rows per column looked at for the evidence


@dataclass(frozen=True)
class Decisions:
    """The resolved :class:`Choices` and the evidence behind each."""

    choices: Choices
    day_first_basis: str = "none"      # forced | evidence | conflict | ambiguous | none
    day_month: dict = field(default_factory=dict)
    tz_basis: str = "none"             # forced | data | activity | language | utc | none
    zones: dict = field(default_factory=dict)
    currency_basis: str = "none"       # forced | symbol | header | country | language | none
    currencies: tuple = ()
    #: Repeated order ids over the upload's orders files (see :meth:`with_files`): the rule
    #: applied, its basis and the money each alternative moves; empty when no id repeats.
    lines: dict = field(default_factory=dict)
    #: The refunds rule with the kept orders' gross, refunds and net; empty without refunds.
    refunds: dict = field(default_factory=dict)
    #: Rows of events files with no event name: the reading (``rule`` activity / purchases), its
    #: ``basis`` (forced | evidence | conflict | none), the evidence's own reading (``auto``),
    #: the evidence either way and what
    #: reading them as purchases gives (``n`` orders, ``users`` paying); empty when no file
    #: is of that shape.
    rows: dict = field(default_factory=dict)
    #: Orders files with no column that identifies the buyer: ``{"files": names, "orders": n}``
    #: (each order an anonymous buyer of its own, no customer counted); empty when every file has
    #: one. Said once per upload by :func:`buyers_note` (the data set's report, the Data page).
    buyers: dict = field(default_factory=dict)

    def with_files(self, files) -> "Decisions":
        """These decisions with what validating ``files`` (applied :class:`LoadedFile` s)
        found: how repeated order ids were read and how much money refunds move."""
        lines: dict = {}
        anonymous = [f for f in files if f.result is not None and f.table == "orders"
                     and not f.result.buyers_known]
        buyers = {"files": [f.name for f in anonymous], "orders": sum(len(f.result.clean) for f in anonymous)} \
            if anonymous else {}
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
        return replace(self, lines=lines, refunds=found, buyers=buyers)
    #: the currency choice's options, most likely first (what the evidence names, then the rest)
    currency_options: tuple = CURRENCIES
    epoch_values: int = 0              # Unix-time values among the time columns (sampled)

    @property
    def currency_stated(self) -> bool:
        """Whether the amounts' currency is known (found in the data or chosen)."""
        return self.choices.currency is not None

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
        elif self.epoch_values:
            out.append(Problem(f"decide.epoch.{self.tz_basis}", INFO if self.tz_basis == "forced" else WARNING,
                               count=self.epoch_values, params={"n": f"{self.epoch_values:,}", "zone": c.tz or "UTC"}))
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
        if self.rows:
            r = self.rows
            out.append(Problem(f"decide.rows.{r['rule']}.{r['basis']}",
                               WARNING if r["basis"] in ("none", "conflict") else INFO, params={
                                   "evidence": ", ".join(r["purchases"]), "against": ", ".join(r["activity"]),
                                   "n": f"{r['n']:,}", "users": f"{r['users']:,}"}))
        sev = WARNING if len(self.currencies) > 1 or self.currency_basis in ("none", "language") else INFO
        out.append(Problem(f"decide.currency.{self.currency_basis}", sev,
                           params={"currency": c.currency or "", "seen": ", ".join(self.currencies) or "–"}))
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


def decide(files, choices: Choices | None = None, names=()) -> Decisions:
    """Resolve ``choices`` (``None`` / ``"auto"`` fields) from ``files``: ``(raw frame, table,
    mapping)``; ``names``: the files' names in the same order (evidence for ``rows``).

    Day/month order: values such as ``13/01/2024`` prove day-first, ``01/13/2024`` month-first;
    the majority wins when files disagree; with no proof month-first, flagged as ambiguous.
    Zone: the offset most zoned values carry, else for Unix times the one their day suggests.
    Currency: symbols and words in the cells, the headers (``dollar_value``, ``金额(元)``), a
    country column, the files' language; else not stated (``None``).
    Rows of events files without an event name (:mod:`opslab.ingest.row_kind`): purchases
    when the headers or file names point to purchases and nothing to activity, else activity
    (the reading before the choice existed), flagged when nothing or both point.
    """
    choices = choices or Choices()
    times = _columns(files, "time")
    # Unix-time columns hold digits only: no day/month question and no zone suffix to look for
    epoch = [s for _, s in times if _all_epoch(s)]
    votes: Counter = Counter()
    zones: Counter = Counter()
    for _, s in times:
        if any(s is e for e in epoch):
            continue
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
    money_votes: Counter = Counter()
    for name, s in _columns(files, "money"):
        money_votes += currency_votes(s, name)
    for s in _country_columns(files):
        money_votes += country_votes(s)
    chinese = language_votes(*_language_text(files))
    money_votes += chinese
    epoch += [s for _, s in times if not any(s is e for e in epoch) and len(epoch_seconds(s.head(1_000)))]
    n_epoch = sum(len(epoch_seconds(s)) for s in epoch)
    tz, tz_basis = choices.tz, "forced" if choices.tz else "none"
    if tz is None and zones:
        tz, tz_basis = zone_label(zones.most_common(1)[0][0]), "data"
    elif tz is None and epoch:  # Unix times: read in the zone the day's rhythm suggests
        tz, tz_basis = suggest_zone(epoch, chinese=bool(chinese))
    seen = tuple(sorted({code for code, b in money_votes if b != "language"}))
    currency, cur_basis = choices.currency, "forced"
    if currency is None:
        currency, cur_basis = decide_currency(money_votes)
    options = ranked_currencies(money_votes, CURRENCIES)
    rows = _rows(files, choices.rows, names)
    resolved = replace(choices, day_first=day_first, tz=tz, currency=currency, rows=rows.get("rule", "auto"))
    return Decisions(resolved, basis, dict(votes), tz_basis, dict(zones), cur_basis, seen,
                     currency_options=options, epoch_values=n_epoch, rows=rows)


def _rows(files, chosen: str, names) -> dict:
    """The rows decision over the events files without an event name (empty when none)."""
    names = list(names) + [""] * len(files)
    shaped = [(df, mapping or {}, name) for (df, table, mapping), name in zip(files, names)
              if df is not None and rows_apply(table, mapping)]
    if not shaped:
        return {}
    buys, visits = [], []
    for df, mapping, name in shaped:
        b, v = row_evidence(df, mapping, name)
        buys += [x for x in b if x not in buys]
        visits += [x for x in v if x not in visits]
    # an orders file in the same upload holds the purchases: the unnamed rows beside it are visits
    visits += [name or table for (df, table, _), name in zip(files, names) if df is not None and table == "orders"]
    if buys and not visits:
        auto, basis = "purchases", "evidence"
    else:
        auto, basis = "activity", "conflict" if buys else "evidence" if visits else "none"
    rule, basis = (auto, basis) if chosen == "auto" else (chosen, "forced")
    n, users = row_counts([(df, mapping) for df, mapping, _ in shaped])
    return {"rule": rule, "basis": basis, "auto": auto, "purchases": tuple(buys), "activity": tuple(visits),
            "n": n, "users": users}


def _all_epoch(s: pd.Series) -> bool:
    """Whether the first thousand present values are all Unix seconds or milliseconds."""
    head = s.dropna().head(1_000)
    return len(head) > 0 and len(epoch_seconds(head)) == len(head)


def _country_columns(files) -> list[pd.Series]:
    """Country or locale columns of any file, mapped or not (``Country``, ``国家``, ``locale``)."""
    return [df[c].head(_SAMPLE) for df, _, _ in files if df is not None
            for c in df.columns if is_country_header(c)]


def _language_text(files) -> tuple[list[str], pd.Series | None]:
    """The headers of every file with one, and the mapped text columns' values (channel, city,
    event and campaign names): what tells the language the files are written in."""
    headers, texts = [], []
    for df, table, mapping in files:
        if df is None:
            continue
        headers += [c for c in map(str, df.columns) if not c.startswith("col_")]
        for f in ("channel", "city", "event_name", "name", "status"):
            col = (mapping or {}).get(f)
            if col is not None and col in df.columns:
                texts.append(df[col].dropna().astype("str").head(200))
    return headers, (pd.concat(texts, ignore_index=True) if texts else None)


def buyers_note(files) -> Problem | None:
    """The upload's one word on buyers: ``decide.buyers.none`` (a warning naming the orders files
    with no column that identifies the buyer, and their orders) when some orders file has none."""
    anonymous = [f for f in files if f.result is not None and f.table == "orders" and f.usable
                 and not f.result.buyers_known]
    if not anonymous:
        return None
    n = sum(len(f.result.clean) for f in anonymous)
    return Problem("decide.buyers.none", WARNING, count=n, params={"files": ", ".join(f.name for f in anonymous)})
