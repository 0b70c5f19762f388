"""The figures of the monthly or quarterly operations report, as data (no prose).

:func:`build_report` gathers, for one period seen on ``as_of``:

- the KPI table (核心业绩完成情况): actual, 环比 (vs the previous period), 同比 (vs the same
  period a year before), target, 完成度 and status. A complete period is compared with the whole
  comparison period (the Overview's 环比); a period still running with the same number of days
  from the start of the comparison period. A comparison is given only when its days lie inside
  the data;
- the lifecycle tier movements (tier sizes the day before the period and at its end);
- the churn watch: users in the 流失预警 tier, their change over the period and the value at
  risk (their spend over the value window, 90 days by default);
- the campaign review (:mod:`opslab.planning.campaign_review`);
- the problems found, each with its evidence, and next period's targets with their odds
  (:mod:`opslab.report.findings`).

The tier rules and the churn figures are read through :func:`_tier_movements` and
:func:`_churn_watch`, the forecasts through :func:`opslab.planning.targets.forecast_paths`.

Example
-------
>>> rep = build_report(opslab.load_sample(), "2026Q3")                 # doctest: +SKIP
>>> rep.kpis.loc["gmv", "actual"]                                      # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from opslab.core.periods import as_of_day, compared_days
from opslab.core.problems import OpsLabError
from opslab.core.results import old_names, result_surface
from opslab.dataset.dataset import Dataset
from opslab.lifecycle import tiers as lc
from opslab.metrics import catalogue
from opslab.metrics.kpi_table import MetricConfig, change, daily
from opslab.metrics.lead_kpis import campaign_cac_roi, campaigns_in, segment_revenue
from opslab.metrics.segments import scope_of as segment_scope
from opslab.planning import campaign_review as cr
from opslab.planning.completion import period_actuals, target_status
from opslab.planning.targets import TARGET_KPIS, Period, _tier_rules, parse_period
from opslab.report.charts import to_png
from opslab.report.document import document
from opslab.report.docx import render_docx
from opslab.report.findings import findings, next_plan
from opslab.report.html import render_html
from opslab.report.trust import ReportSource, quality
from opslab.report.why import count_why, gmv_why

#: KPIs of the report's table, in order.
REPORT_KPIS = TARGET_KPIS


@result_surface(frame="kpis")
@dataclass
class ReportResult:
    """A built report: the figures (frames and dicts) plus its renderers.

    ``kpis`` is indexed by KPI (actual, previous, pop, year_ago, yoy, target, direction,
    completion, p_hit, status); ``status`` is :func:`opslab.planning.completion.target_status` for
    the period's targets; ``plan`` the next period's targets (kpi, period, value, direction,
    p_hit, source "target" or "forecast", change vs this period's actual).
    """

    period: str
    lang: str
    currency: str
    as_of: dt.date
    complete: bool
    days: int
    kpis: pd.DataFrame
    status: pd.DataFrame
    tiers: pd.DataFrame
    churn: dict
    campaigns: cr.CampaignReview
    next_campaign: dict | None
    findings: list = field(default_factory=list)
    plan: pd.DataFrame = field(default_factory=pd.DataFrame)
    daily: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: False when the data hold no amounts: money figures are absent and the report says so
    has_amounts: bool = True
    #: False when no column identifies the buyer: customer figures, tiers and churn are absent
    #: and the report says "no buyer id in this data"
    buyers_known: bool = True
    start: dt.date | None = None
    why: dict = field(default_factory=dict)          # kpi -> opslab.report.why.Why
    source: ReportSource | None = None
    quality: dict = field(default_factory=dict)      # opslab.report.trust.quality
    data_start: dt.date | None = None
    data_end: dt.date | None = None
    fingerprint: str = ""
    #: The segment the report is limited to (name, users, total, missing, and its campaign
    #: figures: campaigns, spend, revenue, roi); empty for the whole data set
    segment: dict = field(default_factory=dict)

    def document(self):
        """The report as a list of blocks (what the screen, .docx and HTML all draw)."""
        return document(self)

    def png(self, block) -> bytes | None:
        """PNG of a chart block, rendered once per report (the .docx and HTML share it)."""
        cache = self.__dict__.setdefault("_png", {})
        if block.key not in cache:
            cache[block.key] = to_png(block.chart)
        return cache[block.key]

    def to_docx(self, created: dt.datetime | None = None) -> bytes:
        """The report as a Word document (python-docx), charts embedded as PNG; the same
        figures give the same file apart from its creation time (``created``, default now)."""
        return render_docx(self.document(), self.png, created=created)

    def file(self, kind: str):
        """The .docx ("docx") or HTML ("html") made once for this report and kept (the
        screen's downloads; a background preparation makes them ahead)."""
        cache = self.__dict__.setdefault("_files", {})
        if kind not in cache:
            cache[kind] = self.to_docx() if kind == "docx" else self.to_html()
        return cache[kind]

    def to_html(self) -> str:
        """The report as one self-contained HTML page (charts inline, all data text escaped)."""
        return render_html(self.document(), self.lang, self.png)


# -- adapters (one place to re-point) ----------------------------------------------------------
def _tier_movements(ds: Dataset, start: dt.date, end: dt.date, rules=None) -> pd.DataFrame:
    """Users per lifecycle tier the day before ``start`` and on ``end``: tier, start, end,
    change (index: tier, :data:`opslab.lifecycle.tiers.TIERS` order)."""
    before = max(start - dt.timedelta(days=1), ds.start)
    hist = lc.tier_history(ds, _tier_rules(ds, rules), sorted({before, end}))
    counts = lc.snapshot_counts(hist)
    a, b = counts.iloc[0], counts.iloc[-1]
    return pd.DataFrame({"start": a, "end": b, "change": b - a}).rename_axis("tier")


def _churn_watch(ds: Dataset, start: dt.date, end: dt.date, rules=None) -> dict:
    """The 流失预警 (churn_warning) tier on ``end`` against the day before ``start``: count,
    count_before, growth, value_at_risk (the tier's spend over the value window)."""
    rules = _tier_rules(ds, rules)
    spend = lc.feature_names(rules)["spend"]
    before = max(start - dt.timedelta(days=1), ds.start)
    now = lc.segment(ds, rules, as_of=end)
    then = lc.segment(ds, rules, as_of=before)
    warn = now[now["tier"] == "churn_warning"]
    n_before = int((then["tier"] == "churn_warning").sum())
    return {"count": int(len(warn)), "count_before": n_before,
            "growth": change(float(len(warn)), float(n_before)),
            "value_at_risk": float(warn[spend].sum()), "value_days": int(rules.value_window_days),
            "share": float(len(warn) / max(int((now["tier"] != "churned").sum()), 1))}


# -- the KPI table -----------------------------------------------------------------------------
def _comparison(ds: Dataset, p: Period, other: Period, days: int, as_of, high_value=None) -> dict | None:
    """``other``'s KPIs over its :func:`_window`, when those days lie inside the data."""
    start, end = _window(p, other, as_of, days)
    if start < ds.start or end > as_of:
        return None
    return period_actuals(ds, start, end, as_of, high_value=high_value)


def _window(p: Period, other: Period, as_of: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """The days of ``other`` that ``p`` is compared with (环比 / 同比), by the one rule
    (:func:`opslab.core.periods.compared_days`): all of it when ``p`` is complete (a whole
    quarter against a whole quarter), else its first ``days`` days (a period still running)."""
    return compared_days(other.start, other.end, p.end <= as_of, days)


def kpi_table(ds: Dataset, period, status: pd.DataFrame, as_of=None,
              high_value: float | None = None) -> pd.DataFrame:
    """The 核心业绩完成情况 table for ``period`` (index: KPI); ``high_value`` as in
    :func:`opslab.planning.completion.period_actuals`."""
    p = parse_period(period)
    as_of = as_of_day(as_of, ds.end)
    cur = period_actuals(ds, p.start, p.end, as_of, high_value=high_value)
    days = max(cur["days"], 1)  # observed so far: a running period is compared on as many
    prev = _comparison(ds, p, p.prev(), days, as_of, high_value)
    yago = _comparison(ds, p, p.year_ago(), days, as_of, high_value)
    by_kpi = status.set_index("kpi") if len(status) else pd.DataFrame()
    # As the Overview: conversion is compared only once the period's cohort has had its whole
    # window (a cohort still converting would show a fake drop against a mature one).
    mature = p.start >= ds.start and p.end + dt.timedelta(days=MetricConfig.conversion_days - 1) <= as_of
    rows = []
    for k in REPORT_KPIS:
        s = by_kpi.loc[k] if k in by_kpi.index else None
        pk = prev[k] if prev and (mature or k != "paid_conversion") else np.nan
        yk = yago[k] if yago and (mature or k != "paid_conversion") else np.nan
        rows.append({"kpi": k, "actual": cur[k], "previous": pk,
                     # as the catalogue writes changes: 百分点 (a difference) for rates, % otherwise
                     "pop": catalogue.change(cur[k], pk, k), "year_ago": yk,
                     "yoy": catalogue.change(cur[k], yk, k),
                     "target": s["target"] if s is not None else np.nan,
                     "direction": s["direction"] if s is not None else "",
                     "completion": s["completion"] if s is not None else np.nan,
                     "p_hit": s["p_hit"] if s is not None else np.nan,
                     "status": s["status"] if s is not None else ""})
    return pd.DataFrame(rows).set_index("kpi")


def _whys(ds: Dataset, p: Period, end: dt.date, days: int) -> dict:
    """Why GMV, paying users and new users changed against the previous period's first
    ``days`` days, or all of it when ``p`` is complete (the KPI table's 环比 window), when those
    lie inside the data."""
    before = _window(p, p.prev(), end, days)
    if before[0] < ds.start or before[1] > end:
        return {}
    now = (p.start, end)
    out = {"gmv": gmv_why(ds, now, before)} if getattr(ds, "has_amounts", True) else {}  # no money without amounts
    if not getattr(ds, "buyers_known", True):  # no buyer id: no count of people to explain
        return out
    return out | {"paying_users": count_why(ds, "paying_users", now, before),
                  "new_users": count_why(ds, "new_users", now, before)}


def _segment(ds: Dataset, scope, p: Period) -> dict:
    """The segment of a report and its campaign figures: the period's campaigns and spend (all
    users: spend is not split by segment), the segment's GMV on their days and that ROI."""
    camp = campaigns_in(ds, p.start, p.end)
    _, roi = campaign_cac_roi(ds, camp)
    return {"name": scope.name, "users": scope.users, "total": scope.total, "missing": scope.missing,
            "campaigns": int(len(camp)), "spend": float(camp["spend"].sum()) if len(camp) else 0.0,
            "revenue": segment_revenue(ds, camp), "roi": roi}


#: The churn watch of a data set without a buyer id: nobody to watch (said, never 0).
NO_CHURN_WATCH = {"count": float("nan"), "count_before": float("nan"), "growth": float("nan"),
                  "share": float("nan"), "value_at_risk": float("nan"), "value_days": 0}


def build_report(ds: Dataset, period="2026Q3", targets=None, lang: str = "zh", as_of=None,
                 config=None, rules=None, source: ReportSource | None = None) -> ReportResult:
    """Gather every figure of the report of ``period`` (see the module docstring).

    ``targets``: :class:`opslab.planning.targets.Target` objects (any periods; those of ``period``
    fill the KPI table, those of the next period the plan). ``config``: the
    :class:`~opslab.models.forecast.ForecastConfig` of the forecasts. ``source``: what the
    load says (:func:`opslab.report.trust.source_from_load`) for the data-quality section and
    the appendix.
    """

    p = parse_period(period)
    as_of = as_of_day(as_of, ds.end)
    if p.start > as_of:
        raise OpsLabError("report.period_not_started", period=p.code, as_of=str(as_of))
    if p.end < ds.start:  # nothing of the data falls in it: a report of nothing is no report
        raise OpsLabError("report.period_before_data", period=p.code, start=str(ds.start), end=str(ds.end))
    targets = list(targets or [])
    own = [t for t in targets if t.period == p.code]
    hv = float(_tier_rules(ds, rules).high_value_monthly_spend)  # one rule set: the tiers' threshold
    status = target_status(ds, own, as_of, config, high_value=hv)
    kpis = kpi_table(ds, p, status, as_of, high_value=hv)
    end = min(p.end, as_of)
    scope = segment_scope(ds)
    camp = cr.review(ds if scope is None else None, p.code)  # a segment: campaigns are everyone's
    try:
        nxt = cr.next_campaign(ds.campaigns, p.code) if scope is None else None
    except (ValueError, np.linalg.LinAlgError):  # degenerate history: a forecast is a bonus, the review stands
        nxt = None
    d = daily(ds)[["dau", "gmv", "new_users"]]
    d = d[(d.index >= pd.Timestamp(p.start)) & (d.index <= pd.Timestamp(end))]
    buyers = bool(getattr(ds, "buyers_known", True))  # without a buyer id: no tier, no churn watch
    rep = ReportResult(period=p.code, lang=lang, currency=getattr(ds, "currency", "") or "",
                    has_amounts=bool(getattr(ds, "has_amounts", True)), buyers_known=buyers,
                    as_of=as_of, complete=p.end <= as_of, days=(end - p.start).days + 1,
                    kpis=kpis, status=status,
                    tiers=_tier_movements(ds, p.start, end, rules) if buyers else pd.DataFrame(),
                    churn=_churn_watch(ds, p.start, end, rules) if buyers else NO_CHURN_WATCH,
                    campaigns=camp, next_campaign=nxt,
                    daily=d, start=p.start, source=source, quality=quality(source),
                    data_start=ds.start, data_end=ds.end, fingerprint=str(getattr(ds, "fingerprint", "")))
    rep.segment = _segment(ds, scope, p) if scope is not None else {}
    rep.why = _whys(ds, p, end, (end - p.start).days + 1)
    rep.findings = findings(rep)
    rep.plan = next_plan(ds, p, targets, as_of, config, kpis, high_value=hv)
    return rep


def quarterly_report(ds: Dataset, period="2026Q3", targets=None, lang: str = "zh", as_of=None,
                     config=None, rules=None, source: ReportSource | None = None) -> ReportResult:
    """The operations report of a quarter ("2026Q3") or month ("2026-07"), in ``lang``.

    ``rules``: the lifecycle rules in force (the Lifecycle page's); default, the rules fitted
    to the data, as the Lifecycle page starts from.

    Returns an :class:`ReportResult`; ``.to_docx()`` gives the Word file's bytes and
    ``.to_html()`` a self-contained page. Targets are used only when given (no made-up ones);
    next period's targets are proposed from the forecast with their odds.

    Example
    -------
    >>> rep = quarterly_report(ds, "2026Q3", targets=[Target("gmv", "2026Q3", 1e5)])  # doctest: +SKIP
    >>> open("report.docx", "wb").write(rep.to_docx())                                # doctest: +SKIP
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    return build_report(ds, period, targets, lang, as_of, config, rules, source)

#: The result's old name keeps working for one release, with a DeprecationWarning.
__getattr__ = old_names(globals(), {"OpsReport": "ReportResult"})
