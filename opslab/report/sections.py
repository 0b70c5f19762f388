"""The report's sections that explain and vouch for the figures: the summary (what happened
and why), the decomposition of each headline KPI's change, the data-quality section and the
appendix that traces every number. Text from :mod:`opslab.report.format`, words from the
``report`` catalog."""

from __future__ import annotations

import numpy as np

from opslab.core.i18n import t
from opslab.metrics import catalogue
from opslab.present.load_summary import problem_text
from opslab.report.blocks import Block
from opslab.report.format import (
    change_text,
    currency_name,
    kpi_change_text,
    kpi_name,
    money_text,
    pct_text,
    share_text,
    value_text,
)

WHY_KPIS = ("gmv", "paying_users", "new_users")
FACTOR_UNIT = {"buyers": "paying_users", "orders_per_buyer": "orders_per_buyer", "order_value": "gmv"}


def _currency_words(currency, lang) -> str:
    """"英镑 (GBP)", "GBP", or the words for "currency not stated"."""
    name = currency_name(currency, lang)
    return name if not currency or name == currency.upper() else f"{name} ({currency.upper()})"


def _sep(lang):
    return "、" if lang == "zh" else ", "


def _amount(kpi, x, lang, cur) -> str:
    """A signed change of ``kpi`` in its own unit ("+1.3万 英镑", "+41")."""
    if not np.isfinite(x):
        return "–"
    sign = "+" if x >= 0 else "-"
    if kpi == "orders_per_buyer":
        return f"{x:+.2f}"
    return sign + value_text(kpi, abs(x), lang, cur)


def contributors_text(why, lang, cur, n: int = 2) -> str:
    """"按下单渠道：老带新 +1.3万（占变化 284.4%）、抖音 …"."""
    top = why.top(n)
    if not len(top):
        return ""
    dimension = t(f"report.dim.{why.dimension}", lang)
    if offsetting(why):  # "+47 (4,700 % of a +1 change)" says nothing: the segments' own moves
        parts = [f"{seg} {_amount(why.kpi, r['change'], lang, cur)}" for seg, r in top.iterrows()]
        return t("report.why.by_offset", lang, dimension=dimension, items=_sep(lang).join(parts),
                 change=_amount(why.kpi, why.change, lang, cur))
    parts = [t("report.why.contributor", lang, segment=str(seg), change=_amount(why.kpi, r["change"], lang, cur),
               share=pct_text(r["share"])) for seg, r in top.iterrows()]
    return t("report.why.by", lang, dimension=dimension, items=_sep(lang).join(parts))


#: Below this relative change (2 %) a KPI is flat, or when a segment's share of the change
#: passes this multiple (500 %): the segments' moves offset each other and shares of the net
#: change mislead.
FLAT, SHARE_CAP = 0.02, 5.0


def offsetting(why) -> bool:
    """Whether the total change is too small against the segments' moves for shares of it to
    mean anything (a KPI that is flat while its segments move)."""
    top = why.top(len(why.segments.get(why.dimension, ())) if why.dimension else 0)
    small = why.before and abs(why.change) < FLAT * abs(why.before)
    return bool(small or (len(top) and (top["share"].abs() > SHARE_CAP).any()))


def factor_text(why, lang, cur) -> str:
    """GMV's change split into buyers, orders per buyer and order value (largest first)."""
    f = why.factors.reindex(why.factors["contribution"].abs().sort_values(ascending=False).index)
    parts = [t("report.why.factor", lang, factor=t(f"report.factor.{k}", lang),
               move=kpi_change_text(FACTOR_UNIT[k] if k != "orders_per_buyer" else "gmv", r["now"], r["before"], lang),
               amount=_amount("gmv", r["contribution"], lang, cur)) for k, r in f.iterrows()]
    return _sep(lang).join(parts)


def summary(rep, lang, finding_text) -> list[Block]:
    """3–5 facts that matter: GMV and why, the segment that drove it, targets, the largest
    problem by money, the data's quality."""
    cur, facts = rep.currency, []
    g = rep.kpis.loc["gmv"]
    change = kpi_change_text("gmv", g["actual"], g["previous"], lang)
    if not getattr(rep, "has_amounts", True):  # said, not hidden and not 0
        facts.append(t("report.kpis.gmv_absent", lang) + t("report.kpis.end", lang))
    elif np.isfinite(g["previous"]):
        facts.append(t("report.summary.gmv", lang, actual=value_text("gmv", g["actual"], lang, cur), change=change))
    else:
        facts.append(t("report.summary.gmv_alone", lang, actual=value_text("gmv", g["actual"], lang, cur)))
    why = rep.why.get("gmv")
    explained = why is not None and len(why.factors) and np.isfinite(why.factors["contribution"]).all()
    if explained:
        facts.append(t("report.summary.factors", lang, factors=factor_text(why, lang, cur)))
        seg = contributors_text(why, lang, cur)
        if seg:
            facts.append(seg + t("report.kpis.end", lang))
    st = rep.status
    if len(st):
        behind = int(st["status"].isin(["off_track", "at_risk", "missed"]).sum())
        facts.append(t("report.summary.targets", lang, n=len(st), behind=behind))
    # the GMV decline is already told (its factors above): the largest other problem instead
    shown = [f for f in rep.findings if not (explained and f.code == "gmv_decline")]
    if shown:
        facts.append(t("report.summary.top_problem", lang, text=finding_text(shown[0], rep, lang)))
    # at most five facts; the data's quality is always one of them
    facts = facts[:4] + [quality_sentence(rep, lang)]
    return [Block("h2", t("report.h.summary", lang), key="summary"),
            Block("p", " ".join(facts), key="summary_text")]


def why_section(rep, lang) -> list[Block]:
    out = [Block("h2", t("report.h.why", lang), key="why")]
    if not rep.why:
        out.append(Block("p", t("report.why.none", lang), key="why_none"))
        return out
    cur = rep.currency
    out.append(Block("p", t("report.why.window", lang), key="why_window"))
    g = rep.why.get("gmv")  # absent when the data hold no amounts
    if g is not None:
        per = lambda x: value_text("new_users", x, lang)  # noqa: E731 - a count in the one style (one decimal)
        rows = [[t(f"report.factor.{k}", lang),
                 per(r["before"]) if k == "orders_per_buyer" else value_text(FACTOR_UNIT[k], r["before"], lang, cur),
                 per(r["now"]) if k == "orders_per_buyer" else value_text(FACTOR_UNIT[k], r["now"], lang, cur),
                 _amount("gmv", r["contribution"], lang, cur), pct_text(r["share"])]
                for k, r in g.factors.iterrows()]
        rows.append([t("report.factor.total", lang), value_text("gmv", g.before, lang, cur),
                     value_text("gmv", g.now, lang, cur), _amount("gmv", g.change, lang, cur),
                     pct_text(1.0 if g.change else np.nan)])
        out.append(Block("table", columns=[t(f"report.col.{c}", lang) for c in
                                           ("factor", "before", "now", "contribution", "share")],
                         rows=rows, key="gmv_factors"))
    items = []
    for kpi in WHY_KPIS:
        w = rep.why.get(kpi)
        if w is None:
            continue
        line = t("report.why.kpi", lang, kpi=kpi_name(kpi, lang), before=value_text(kpi, w.before, lang, cur),
                 now=value_text(kpi, w.now, lang, cur), change=kpi_change_text(kpi, w.now, w.before, lang))
        seg = contributors_text(w, lang, cur)
        items.append(line + (t("report.why.because", lang) + seg if seg else "") + t("report.kpis.end", lang))
    out.append(Block("bullets", items=items, key="why_list"))
    return out


def quality_sentence(rep, lang) -> str:
    q = rep.quality
    if not q.get("known"):
        return t("report.quality.unknown", lang)
    return t("report.quality.line", lang, rows_in=f"{q['rows_in']:,}", aside=f"{q['rows_set_aside']:,}",
             share=share_text(q["share_rows"]), money=money_text(q["amount_set_aside"], lang, rep.currency),
             money_share=share_text(q["share_amount"]))


def quality_section(rep, lang) -> list[Block]:
    out = [Block("h2", t("report.h.quality", lang), key="quality"),
           Block("p", quality_sentence(rep, lang), key="quality_line")]
    from_load = rep.source
    cur_line = t("report.quality.currency", lang, currency=_currency_words(rep.currency, lang),
                 zone=(from_load.time_zone if from_load and from_load.time_zone else t("report.quality.zone_local", lang)))
    out.append(Block("p", cur_line, key="quality_currency"))
    q = rep.quality
    if q.get("known"):
        pf = q["per_file"]
        rows = []
        for (name, table), r in pf.iterrows():
            get = lambda col, part: r.get((col, part), np.nan)  # noqa: E731
            rows.append([str(name), str(table), f"{int(get('rows', 'input')):,}", f"{int(get('rows', 'kept')):,}",
                         f"{int(get('rows', 'rejected') + get('rows', 'dropped')):,}",
                         money_text(np.nansum([get("amount", "rejected"), get("amount", "dropped")]), lang, rep.currency)])
        out.append(Block("table", columns=[t(f"report.col.{c}", lang) for c in
                                           ("file", "table", "rows_in", "rows_kept", "rows_aside", "money_aside")],
                         rows=rows, key="quality_table"))
    if from_load and from_load.decisions:
        cur = "CNY" if rep.currency == "RMB" else (rep.currency or "").upper()  # as money_text writes it
        out.append(Block("bullets", items=[problem_text(p, lang, cur, exact=False) for p in from_load.decisions],
                         key="quality_decisions"))
    return out


def appendix(rep, lang) -> list[Block]:
    s = rep.source
    out = [Block("h2", t("report.h.appendix", lang), key="appendix")]
    items = [t("report.appendix.dataset", lang, id=(s.dataset_id if s and s.dataset_id else rep.fingerprint),
               fingerprint=rep.fingerprint),
             t("report.appendix.range", lang, start=str(rep.data_start), end=str(rep.data_end),
               as_of=rep.as_of.isoformat()),
             t("report.appendix.currency", lang, currency=_currency_words(rep.currency, lang))]
    out.append(Block("bullets", items=items, key="appendix_ids"))
    if s and s.files:
        out.append(Block("table", columns=[t(f"report.col.{c}", lang) for c in ("file", "table", "sha256")],
                         rows=[[str(n), str(tb), str(d)] for n, tb, d in s.files], key="appendix_files"))
    defs = [f"{kpi_name(k, lang)}: {catalogue.definition(k, lang)}" for k in rep.kpis.index]
    out.append(Block("bullets", items=defs, key="appendix_definitions"))
    out.append(Block("p", t("report.appendix.changes", lang), key="appendix_changes"))
    return out


__all__ = ["summary", "why_section", "quality_section", "appendix", "change_text"]
