"""The report as blocks of translated text, tables and charts: the one layout that the screen,
the .docx and the HTML page all draw, so the three show the same words and numbers.

Every number is written by :mod:`opslab.report.format`, the module the targets screen uses.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from opslab.core.i18n import t
from opslab.metrics import catalogue
from opslab.present import formatting as fmt
from opslab.report import charts, sections
from opslab.report.findings import whole_number
from opslab.report.blocks import Block
from opslab.report.format import (
    STATUS_STYLE,
    change_text,
    kpi_change_text,
    money_text,
    pct_text,
    share_text,
    prob_text,
    status_text,
    value_text,
)


def kpi_rows(rep, lang: str) -> tuple[list, list, list]:
    """Columns and rows of the 核心业绩完成情况 table (also used by the targets screen)."""
    cur = rep.currency
    cols = [t(f"report.col.{c}", lang) for c in
            ("kpi", "actual", "yoy", "pop", "target", "completion", "status")]
    rows, colors = [], []
    for kpi, r in rep.kpis.iterrows():
        if kpi == "gmv" and not getattr(rep, "has_amounts", True):  # said, not hidden and not 0
            rows.append([t("targets.kpi.gmv", lang), t("report.no_amounts", lang), "–", "–", "–", "–", "–"])
            colors.append(None)
            continue
        if not getattr(rep, "buyers_known", True) and catalogue.needs_buyers(kpi):  # said, never counted
            rows.append([catalogue.name(kpi, lang), t("report.no_buyers", lang), "–", "–", "–", "–", "–"])
            colors.append(None)
            continue
        if not np.isfinite(r["actual"]) and not np.isfinite(r["target"]):
            continue
        target = "–" if not np.isfinite(r["target"]) else (
            ("≥ " if r["direction"] == "at_least" else "≤ ") + value_text(kpi, r["target"], lang, cur))
        rows.append([catalogue.name(kpi, lang), value_text(kpi, r["actual"], lang, cur),
                     fmt.kpi_change(r["yoy"], kpi, lang), fmt.kpi_change(r["pop"], kpi, lang), target,
                     pct_text(r["completion"]), status_text(r["status"], lang)])
        colors.append(STATUS_STYLE.get(r["status"], (None,))[0])
    return cols, rows, colors


def _grain(period: str) -> str:
    return "quarter" if "Q" in period else "year" if len(period) == 4 else "month"


def _intro(rep, lang) -> list[Block]:
    """The cover: title, the data set, the period with its dates, the as-of date."""
    out = [Block("title", t(f"report.title.{_grain(rep.period)}", lang, period=rep.period), key="title")]
    s = rep.source
    ident = s.dataset_id[:12] if s and s.dataset_id else rep.fingerprint[:12]
    files = list(dict.fromkeys(str(f[0]) for f in (s.files if s else ()) if f and f[0]))
    if s and s.name:
        name = s.name
    elif files:  # no name given: the files it was made from, which a reader recognises, and its id
        shown = ("、" if lang == "zh" else ", ").join(files[:3])
        name = t("report.cover.files", lang, files=shown, n=len(files), id=ident) if len(files) > 3 \
            else t("report.cover.files_all", lang, files=shown, id=ident)
    else:
        name = ident
    end = rep.start + dt.timedelta(days=rep.days - 1) if rep.start else rep.as_of
    out.append(Block("meta", t("report.cover.dataset", lang, name=name), key="cover_dataset"))
    out.append(Block("meta", t("report.cover.period", lang, period=rep.period, start=str(rep.start), end=str(end)),
                     key="cover_period"))
    state = t("report.meta.complete" if rep.complete else "report.meta.partial", lang,
              as_of=rep.as_of.isoformat(), days=rep.days)
    if not getattr(rep, "has_amounts", True):
        meta = t("report.meta.line_no_amounts", lang, state=state)
    elif not rep.currency:
        meta = t("report.meta.line_no_currency", lang, state=state)
    else:
        meta = t("report.meta.line", lang, state=state, currency=rep.currency)
    out.append(Block("meta", meta, key="cover_state"))
    seg = getattr(rep, "segment", None)
    if seg:
        out.append(Block("meta", t("report.cover.segment", lang, name=seg["name"], n=f"{seg['users']:,}",
                                   total=f"{seg['total']:,}", share=pct_text(seg["users"] / max(seg["total"], 1))),
                         key="cover_segment"))
    return out


def _kpis(rep, lang) -> list[Block]:
    out = [Block("h2", t("report.h.kpis", lang), key="kpis")]
    g = rep.kpis.loc["gmv"]
    actual = value_text("gmv", g["actual"], lang, rep.currency)
    if not getattr(rep, "has_amounts", True):
        text = t("report.kpis.gmv_absent", lang)
    elif np.isfinite(g["completion"]):
        text = t("report.kpis.gmv_target", lang, actual=actual, completion=pct_text(g["completion"]))
    else:
        text = t("report.kpis.gmv", lang, actual=actual)
    for part in ("yoy", "pop"):
        if np.isfinite(g[part]):
            text += t(f"report.kpis.{part}_part", lang, change=change_text(g[part]))
    out.append(Block("p", text + t("report.kpis.end", lang), key="headline"))
    cols, rows, colors = kpi_rows(rep, lang)
    out.append(Block("table", columns=cols, rows=rows, colors=colors, key="kpi_table"))
    out.append(Block("p", t("report.kpis.note", lang)))
    st = rep.status[np.isfinite(rep.status["completion"])] if len(rep.status) else rep.status
    if len(st):
        frame = pd.DataFrame({
            "label": [catalogue.name(k, lang) for k in st["kpi"]],
            "completion": st["completion"].to_numpy(float),
            "status_label": [status_text(s, lang) for s in st["status"]],
            "color": [STATUS_STYLE.get(s, ("#475569",))[0] for s in st["status"]]})
        progress = None if rep.complete else float(st["time_progress"].iloc[0])
        out.append(Block("chart", chart=charts.completion_bars(
            frame, t("report.chart.completion", lang), t("report.col.completion", lang) + " (%)",
            progress, t("targets.col.time_progress", lang)), key="chart_completion"))
    elif len(rep.daily) and getattr(rep, "has_amounts", True):
        out.append(Block("chart", chart=charts.daily_line(
            rep.daily["gmv"], t("report.chart.gmv_daily", lang, currency=rep.currency),
            catalogue.name("gmv", lang)), key="chart_gmv"))
    return out


def _lifecycle(rep, lang) -> list[Block]:
    out = [Block("h2", t("report.h.lifecycle", lang), key="lifecycle")]
    if not getattr(rep, "buyers_known", True):  # tiers and churn follow people: none to follow
        return out + [Block("p", t("report.no_buyers_section", lang), key="tiers_no_buyers"),
                      Block("h2", t("report.h.churn", lang), key="churn"),
                      Block("p", t("report.no_buyers_section", lang), key="churn_no_buyers")]
    tiers = rep.tiers
    rows = [[t(f"lifecycle.tier.{k}", lang), value_text("new_users", r["start"], lang),
             value_text("new_users", r["end"], lang), f"{int(r['change']):+,}"]
            for k, r in tiers.iterrows()]
    out.append(Block("table", columns=[t(f"report.col.{c}", lang) for c in
                                       ("tier", "tier_start", "tier_end", "tier_change")],
                     rows=rows, key="tier_table"))
    shown = tiers.drop(index="churned", errors="ignore")  # the largest tier would flatten the rest
    labels = [t(f"lifecycle.tier.{k}", lang) for k in shown.index]
    frame = pd.concat([
        pd.DataFrame({"label": labels, "series": t("report.col.tier_start", lang), "value": shown["start"].to_numpy()}),
        pd.DataFrame({"label": labels, "series": t("report.col.tier_end", lang), "value": shown["end"].to_numpy()})])
    out.append(Block("chart", chart=charts.grouped_bars(frame, t("report.chart.tiers", lang),
                                                        t("report.users", lang)), key="chart_tiers"))
    ch = rep.churn
    out.append(Block("h2", t("report.h.churn", lang), key="churn"))
    out.append(Block("p", t("report.churn.line", lang, count=value_text("new_users", ch["count"], lang),
                            before=value_text("new_users", ch["count_before"], lang),
                            growth=change_text(ch["growth"]), share=pct_text(ch["share"]),
                            value=money_text(ch["value_at_risk"], lang, rep.currency) if getattr(rep, "has_amounts", True) else t("report.no_amounts", lang),
                            days=ch["value_days"]), key="churn_line"))
    return out


def _campaigns(rep, lang) -> list[Block]:
    out = [Block("h2", t("report.h.campaigns", lang), key="campaigns")]
    rv, cur = rep.campaigns, rep.currency
    seg = getattr(rep, "segment", None)
    if seg and seg["campaigns"]:  # spend is everyone's: the segment's own revenue only, said so
        out.append(Block("p", t("report.campaigns.segment", lang, campaigns=seg["campaigns"],
                                spend=money_text(seg["spend"], lang, cur),
                                revenue=money_text(seg["revenue"], lang, cur),
                                roi=value_text("roi", seg["roi"], lang)), key="campaigns_segment"))
        return out
    if not rv.totals["campaigns"]:
        out.append(Block("p", t("report.campaigns.none", lang)))
        return out
    metric = {"spend": "gmv", "revenue": "gmv", "cac": "cac", "roi": "roi",
              "conversion_rate": "paid_conversion"}
    rows = []
    for k in ("campaigns", "spend", "participants", "new_users", "conversions", "revenue", "roi",
              "cac", "conversion_rate"):
        kind = metric.get(k, "new_users")
        rows.append([t(f"report.camp.{k}", lang), value_text(kind, rv.totals[k], lang, cur),
                     value_text(kind, rv.previous[k], lang, cur), change_text(rv.change[k])])
    out.append(Block("table", columns=[t(f"report.col.{c}", lang) for c in
                                       ("metric", "this_period", "previous_period", "change")],
                     rows=rows, key="campaign_totals"))
    c = rv.campaigns
    rows = [[str(r.get("name") if isinstance(r.get("name"), str) else r["campaign_id"]),
             money_text(r["spend"], lang, cur), value_text("participants", r["participants"], lang),
             value_text("new_users", r["new_users"], lang),
             value_text("new_users", r["conversions"], lang), money_text(r["revenue"], lang, cur),
             value_text("roi", r["roi"], lang), value_text("cac", r["cac"], lang, cur)]
            for _, r in c.iterrows()]
    out.append(Block("table", columns=[t(f"report.camp.{k}", lang) for k in
                                       ("name", "spend", "participants", "new_users",
                                        "conversions", "revenue", "roi", "cac")],
                     rows=rows, key="campaign_table"))
    frame = pd.DataFrame({"label": [r[0] for r in rows], "roi": c["roi"].fillna(0).to_numpy(float)})
    out.append(Block("chart", chart=charts.roi_bars(frame, t("report.chart.roi", lang),
                                                    t("report.chart.roi_axis", lang),
                                                    t("report.break_even", lang)), key="chart_roi"))
    n = rep.next_campaign
    if n is not None and n["forecast"].roi is not None:
        f = n["forecast"]
        out.append(Block("p", t("report.campaigns.next", lang,
                                spend=money_text(n["plan"].spend, lang, cur),
                                type=str(n["plan"].type or "–"), channel=str(n["plan"].channel or "–"),
                                roi=value_text("roi", f.roi.mean, lang),
                                low=value_text("roi", f.roi.lower, lang),
                                high=value_text("roi", f.roi.upper, lang),
                                mape=pct_text(n["mape"]), coverage=pct_text(n["coverage"]),
                                n=n["n_tested"])))
    return out


#: A suggested action per problem: the lifecycle tier plays and the levers.
ACTIONS = {"warning_growing": "lifecycle.play.churn_warning", "below_break_even": "report.action.below_break_even",
           "data_set_aside": "report.action.data_set_aside", "retention_drop": "lifecycle.play.active",
           "behind_target": "report.action.behind_target"}
FACTOR_ACTIONS = {"buyers": "lifecycle.play.potential_payer", "orders_per_buyer": "lifecycle.play.payer",
                  "order_value": "lifecycle.play.payer"}


def action_text(f, lang) -> str:
    key = FACTOR_ACTIONS.get(f.evidence.get("factor"), "") if f.code == "gmv_decline" else ACTIONS.get(f.code, "")
    return t("report.action", lang, action=t(key, lang)) if key else ""


def problem_item(f, rep, lang) -> str:
    """A problem as the report lists it: the evidence, the money at stake, the action."""
    money = (t("report.problem.at_stake", lang, money=money_text(f.money, lang, rep.currency))
             if np.isfinite(f.money) else "")
    return finding_text(f, rep, lang) + money + action_text(f, lang)


def finding_text(f, rep, lang) -> str:
    e, cur = f.evidence, rep.currency
    if f.code == "data_set_aside":
        return t("report.problem.data_set_aside", lang, aside=f"{e['rows_set_aside']:,}", rows=f"{e['rows_in']:,}",
                 share=pct_text(e["share_rows"]), money=money_text(f.money, lang, cur),
                 money_share=pct_text(e["share_amount"]))
    if f.code == "gmv_decline":
        w = e["why"]
        seg = sections.contributors_text(w, lang, cur)
        return t("report.problem.gmv_decline", lang, before=value_text("gmv", w.before, lang, cur),
                 now=value_text("gmv", w.now, lang, cur), change=kpi_change_text("gmv", w.now, w.before, lang),
                 factors=sections.factor_text(w, lang, cur)) + (" " + seg if seg else "")
    if f.code == "behind_target":
        params = dict(kpi=catalogue.name(f.subject, lang),
                      actual=value_text(f.subject, e["actual"], lang, cur),
                      target=value_text(f.subject, e["target"], lang, cur),
                      completion=pct_text(e["completion"]), status=status_text(e["status"], lang))
        if e["status"] == "missed":  # a closed period: odds no longer mean anything
            return t("report.problem.missed", lang, **params)
        return t("report.problem.behind_target", lang, p_hit=prob_text(e["p_hit"]), **params)
    if f.code == "retention_drop":
        return t("report.problem.retention_drop", lang, kpi=catalogue.name(f.subject, lang),
                 actual=pct_text(e["actual"]), previous=pct_text(e["previous"]),
                 points=f"{e['points']:.1f}")
    if f.code == "warning_growing":
        return t("report.problem.warning_growing", lang, count=value_text("new_users", e["count"], lang),
                 before=value_text("new_users", e["count_before"], lang),
                 growth=change_text(e["growth"]), value=money_text(e["value_at_risk"], lang, cur) if getattr(rep, "has_amounts", True) else t("report.no_amounts", lang))
    worst = e["campaigns"]  # lowest ROI first
    sep = "、" if lang == "zh" else ", "
    names = sep.join(f"{name} {value_text('roi', roi, lang)}" for name, roi in worst[:3])
    if len(worst) > 3:
        names += t("report.problem.more", lang, n=len(worst))
    return t("report.problem.below_break_even", lang, n=len(worst), names=names,
             spend=money_text(e["spend"], lang, cur), revenue=money_text(e["revenue"], lang, cur))


def _problems_and_plan(rep, lang) -> list[Block]:
    out = [Block("h2", t("report.h.problems", lang), key="problems")]
    items = [problem_item(f, rep, lang) for f in rep.findings]
    q = rep.quality
    if q.get("known") and (q["rows_set_aside"] or q["amount_set_aside"]):  # small, yet never "no problem"
        none = t("report.problem.none_aside", lang, aside=f"{q['rows_set_aside']:,}", rows=f"{q['rows_in']:,}",
                 share=share_text(q["share_rows"]), money=money_text(q["amount_set_aside"], lang, rep.currency))
    else:
        none = t("report.problem.none" if q.get("known") else "report.problem.none_unchecked", lang)
    out.append(Block("bullets", items=items or [none], key="problem_list"))
    grain = _grain(rep.period)
    out.append(Block("h2", t(f"report.h.plan.{grain}", lang), key="plan"))
    plan = rep.plan
    if not len(plan):
        out.append(Block("p", t("report.plan.none", lang)))
        return out
    rows = [[catalogue.name(r['kpi'], lang), r["period"],
             ("≥ " if r["direction"] == "at_least" else "≤ ") + value_text(r["kpi"], r["value"], lang, rep.currency),
             kpi_change_text(r["kpi"], r["value"], rep.kpis.loc[r["kpi"], "actual"], lang)
             if np.isfinite(r["change"]) else "–",
             prob_text(r["p_hit"]), t(f"report.plan.source.{r['source']}", lang), plan_reason(r, rep, lang)]
            for _, r in plan.iterrows()]
    out.append(Block("table", columns=[t(f"report.col.{c}", lang) for c in
                                       ("kpi", "period", "target", "vs_now", "p_hit", "source", "reason")],
                     rows=rows, key="plan_table"))
    out.append(Block("p", t("report.plan.note", lang)))
    return out


def plan_reason(r, rep, lang) -> str:
    """Why a target of the plan is what it is, against the anchors the history gives: this
    period's value, the same period a year before, what is already in (the floor) and what
    the history makes plausible (the limit); a target beyond the limit says so."""
    kpi, cur = r["kpi"], rep.currency
    v = lambda x: value_text(kpi, x, lang, cur)  # noqa: E731
    parts = []
    if r["basis"] == "floor":
        parts.append(t("report.plan.why.floor", lang, floor=v(r["floor"])))
    elif r["basis"] == "limit":
        parts.append(t("report.plan.why.limit", lang, median=v(r["median"]), limit=v(r["limit"])))
    elif r["basis"] == "set" and np.isfinite(r["limit"]) and r["direction"] == "at_least" and r["value"] > r["limit"]:
        parts.append(t("report.plan.why.beyond", lang, limit=v(r["limit"])))
    elif r["basis"] == "forecast_median":
        parts.append(t("report.plan.why.median", lang))
    now = rep.kpis.loc[kpi, "actual"] if kpi in rep.kpis.index else np.nan
    if np.isfinite(now) and rep.complete:
        parts.append(t("report.plan.why.now", lang, value=v(now)))
    if np.isfinite(r["last_year"]):
        parts.append(t("report.plan.why.last_year", lang, value=v(r["last_year"])))
    if r["basis"] != "limit" and np.isfinite(r["limit"]):  # people: at most a whole number of them
        limit = np.floor(r["limit"]) if whole_number(kpi) else r["limit"]
        parts.append(t("report.plan.why.plausible", lang, limit=v(limit)))
    return ("；" if lang == "zh" else "; ").join(parts)


NUMERALS = "一二三四五六七八九十"


def document(rep) -> list[Block]:
    """Every block of the report, in order: the cover, the contents, then the numbered
    sections (the appendix last); the contents list every section heading."""
    lang = rep.lang
    body = [*sections.summary(rep, lang, finding_text), *_kpis(rep, lang), *sections.why_section(rep, lang),
            *_lifecycle(rep, lang), *_campaigns(rep, lang), *_problems_and_plan(rep, lang),
            *sections.quality_section(rep, lang)]
    n = 0
    for b in body:
        if b.kind == "h2" and b.key != "summary":
            n += 1
            b.text = (f"{NUMERALS[n - 1]}、" if lang == "zh" else f"{n}. ") + b.text
    body += sections.appendix(rep, lang)
    toc = Block("toc", t("report.h.toc", lang), items=[(b.key, b.text) for b in body if b.kind == "h2"], key="toc")
    return [*_intro(rep, lang), toc, *body]


def status_table(status: pd.DataFrame, lang: str, currency: str = "") -> pd.DataFrame:
    """The targets screen's 完成度 table as text (the same writers as the report's tables)."""
    rows = []
    for _, r in status.iterrows():
        k = r["kpi"]
        sign = "≥ " if r["direction"] == "at_least" else "≤ "
        interval = ("–" if not np.isfinite(r["lower"]) else
                    f"{value_text(k, r['lower'], lang, currency)} ~ {value_text(k, r['upper'], lang, currency)}")
        rows.append({
            t("targets.col.kpi", lang): catalogue.name(k, lang),
            t("targets.col.target", lang): sign + value_text(k, r["target"], lang, currency),
            t("targets.col.actual", lang): value_text(k, r["actual"], lang, currency),
            t("targets.col.completion", lang): pct_text(r["completion"]),
            t("targets.col.time_progress", lang): pct_text(r["time_progress"]),
            t("targets.col.run_rate", lang): value_text(k, r["run_rate"], lang, currency),
            t("targets.col.forecast", lang): value_text(k, r["forecast"], lang, currency),
            t("targets.col.interval", lang): interval,
            t("targets.col.p_hit", lang): prob_text(r["p_hit"]),
            t("targets.col.status", lang): status_text(r["status"], lang),
        })
    return pd.DataFrame(rows)
