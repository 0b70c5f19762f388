"""The metric catalogue: every figure OpsLab shows, defined once.

An entry (:class:`Metric`) holds what does not depend on the language: its key, group,
unit (money, count, rate, ratio, days), whether up is good, how a change is written
(百分点 / pp for rates, % for amounts and counts), the grains it exists at, and where its one
SQL definition lives: the named block in a room's ``.sql`` file (``opslab/metrics/metrics.sql`` ...) (``sql``) and the expression
over that block's columns (``expr``; ``mean(dau)`` = the mean of the block's daily rows over
the period's days). Figures that are not SQL (CAC and ROI from the campaigns table) name the
Python function instead (``python``).

The words live in ``opslab/present/locales/catalogue.<lang>.json`` under
``catalogue.<key>.name|def|formula|caveat``: one name per meaning, so 新客付费转化率
(new users' N-day paid conversion), 付费率 (payers / active users of the period) and
日付费率 (payers / DAU of a day) never share a name. Every screen, the report, the digest,
the alerts, the targets and the glossary read names from here (:func:`name`).

Entries with ``unit=None`` are concepts (tiers, P(alive), 环比 …) that the glossary explains
but that are not KPIs.

Other modules keep a few historical keys (the targets' ``dau_avg``, the alerts'
``pay_rate``); :func:`get` resolves them (:data:`ALIASES`).

>>> get("dau_avg").key, get("paid_rate").unit, get("gmv").change
('dau', 'rate', 'pct')
>>> change(0.42, 0.40, "paid_rate") == 0.42 - 0.40, round(change(110.0, 100.0, "gmv"), 6)
(True, 0.1)
>>> name("paid_conversion", "zh"), name("paid_rate", "zh")
('新客付费转化率', '付费率（付费用户/活跃用户）')
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from opslab.engine.base import sql_catalog
from opslab.core.i18n import catalog, t

UNITS = ("money", "count", "rate", "ratio", "days")
GROUPS = ("activity", "growth", "revenue", "retention", "campaigns", "lifecycle", "models", "comparisons")
ALL_GRAINS = ("day", "week", "month", "quarter")


@dataclass(frozen=True)
class Metric:
    """One catalogue entry (words in ``catalogue.<key>.*``)."""

    key: str
    group: str
    unit: str | None                 # None: a concept, not a KPI
    up_is_good: bool | None = True
    sql: str | None = None           # named block in a room's .sql file
    expr: str = ""                   # the figure over that block's columns
    python: str | None = None        # the function, for figures not defined in SQL
    grains: tuple[str, ...] = ALL_GRAINS
    related: tuple[str, ...] = ()

    @property
    def is_kpi(self) -> bool:
        return self.unit is not None

    @property
    def change(self) -> str:
        """How a change is written: ``pp`` (百分点, rates) or ``pct`` (relative, the rest)."""
        return "pp" if self.unit == "rate" else "pct"

    @property
    def sql_file(self) -> str | None:
        """The file holding :attr:`sql`, under ``opslab/`` (``metrics/metrics.sql``)."""
        return _sql_files().get(self.sql) if self.sql else None


_M, _C, _R = "money", "count", "rate"
_COHORT = ("week", "month")
_MONTHS = ("month", "quarter")
_NONE: tuple[str, ...] = ()

METRICS: tuple[Metric, ...] = (
    Metric("active_day", "activity", None, None, "user_day", "one row per (uid, day)", grains=_NONE,
           related=("dau",)),
    Metric("dau", "activity", _C, True, "daily", "mean(dau)", related=("wau", "mau", "peak_dau")),
    Metric("peak_dau", "activity", _C, True, "daily", "max(dau)", related=("dau",)),
    Metric("wau", "activity", _C, True, "daily", "mean(wau)", related=("dau", "mau")),
    Metric("mau", "activity", _C, True, "daily", "mean(mau)", related=("stickiness",)),
    Metric("stickiness", "activity", _R, True, "daily", "mean(dau) / mean(mau)", related=("dau", "mau")),
    Metric("active_users", "activity", _C, True, "period_totals", "active_users", related=("dau", "paid_rate")),
    Metric("new_users", "growth", _C, True, "period_totals", "new_users", related=("existing_users",)),
    Metric("existing_users", "growth", None, None, grains=_NONE, related=("new_users", "cohort_retention")),
    Metric("paid_conversion", "growth", _R, True, "period_totals", "converted / new_users",
           related=("paid_rate", "daily_paid_rate")),
    Metric("paid_rate", "growth", _R, True, "period_totals", "paying_users / active_users",
           related=("paid_conversion", "daily_paid_rate")),
    Metric("daily_paid_rate", "growth", _R, True, "daily", "paying_users / dau", grains=("day",),
           related=("paid_rate", "paid_conversion")),
    Metric("gmv", "revenue", _M, True, "period_totals", "gmv", related=("orders", "arpu", "arppu")),
    Metric("orders", "revenue", _C, True, "period_totals", "orders", related=("gmv",)),
    Metric("arpu", "revenue", _M, True, "period_totals", "gmv / active_users", related=("arppu",)),
    Metric("arppu", "revenue", _M, True, "period_totals", "gmv / paying_users", related=("arpu", "paying_users")),
    Metric("paying_users", "revenue", _C, True, "period_totals", "paying_users",
           related=("arppu", "paid_rate", "daily_paying_users")),
    Metric("daily_paying_users", "revenue", _C, True, "daily", "mean(paying_users)", related=("paying_users",)),
    Metric("cohort_retention", "retention", None, None, "cohort_activity", "retained_on / size", grains=_COHORT,
           related=("m1_all", "m3_all", "existing_users")),
    *(Metric(f"m{k}_{base}", "retention", _R, True, "targets_month_retention",
             f"retained / size where base = '{base}' and k = {k}", grains=_MONTHS,
             related=tuple(f"m{j}_{b}" for j in (1, 3) for b in ("all", "payer", "high_value")
                           if (j, b) != (k, base))[:2])
      for base in ("all", "payer", "high_value") for k in (1, 3)),
    Metric("cac", "campaigns", _M, False, python="opslab.metrics.lead_kpis.cac_roi", expr="spend / new_users",
           related=("roi",)),
    Metric("roi", "campaigns", "ratio", True, python="opslab.metrics.lead_kpis.cac_roi", expr="revenue / spend",
           related=("cac",)),
    Metric("participants", "campaigns", _C, True, python="opslab.metrics.lead_kpis.campaigns_in",
           expr="sum(participants)", related=("cac",)),
    Metric("tiers", "lifecycle", None, None, grains=_NONE, related=("churn_risk",)),
    Metric("churn_risk", "models", None, None, grains=_NONE, related=("p_alive", "tiers")),
    Metric("clv", "models", None, None, grains=_NONE, related=("p_alive", "churn_risk")),
    Metric("p_alive", "models", None, None, grains=_NONE, related=("churn_risk", "clv")),
    Metric("pop", "comparisons", None, None, related=("yoy",)),
    Metric("yoy", "comparisons", None, None, related=("pop",)),
    Metric("completion", "comparisons", None, None, grains=_MONTHS, related=("time_progress", "p_hit")),
    Metric("time_progress", "comparisons", None, None, grains=_MONTHS, related=("completion",)),
    Metric("p_hit", "comparisons", None, None, grains=_MONTHS, related=("completion",)),
)

#: Keys other modules use for a catalogue entry: the targets' ``dau_avg`` / ``dau_peak`` and
#: the alerts' ``pay_rate`` are the catalogue's ``dau``, ``peak_dau`` and ``daily_paid_rate``.
ALIASES = {"dau_avg": "dau", "dau_peak": "peak_dau", "pay_rate": "daily_paid_rate",
           "m1": "m1_all", "m3": "m3_all"}

#: The forecastable daily series (:data:`opslab.metrics.kpi_series.KPIS`) whose key names another
#: figure: the series "paying_users" is paying users per day, averaged over a period.
SERIES = {"paying_users": "daily_paying_users"}

#: Figures that count people (or divide by them): without a buyer id in the data
#: (``Dataset.buyers_known`` False) they cannot be counted and are NaN ("no buyer id in this
#: data"), never counted from the anonymous per-order users. GMV, orders and refunds remain.
NEEDS_BUYERS = frozenset({"dau", "peak_dau", "wau", "mau", "stickiness", "active_users", "new_users",
                          "paid_conversion", "paid_rate", "daily_paid_rate", "arpu", "arppu", "paying_users",
                          "daily_paying_users", "cohort_retention", "tiers", "churn_risk", "clv", "p_alive",
                          *(f"m{k}_{b}" for k in (1, 3) for b in ("all", "payer", "high_value"))})

_BY_KEY = {m.key: m for m in METRICS}
KPIS = tuple(m.key for m in METRICS if m.is_kpi)


def get(key: str) -> Metric:
    """The entry of ``key`` (an alias resolves); ``KeyError`` for a figure not catalogued."""
    return _BY_KEY[ALIASES.get(key, key)]


@lru_cache(maxsize=None)
def series_name(series: str, lang: str = "zh") -> str:
    """The name of a forecast series (:data:`SERIES` maps the ones that differ)."""
    return name(SERIES.get(series, series), lang)


@lru_cache(maxsize=None)
def _sql_files() -> dict[str, str]:
    out = {}
    root = Path(str(resources.files("opslab")))
    for entry in sorted(root.rglob("*.sql")):  # every room keeps its SQL beside its Python
        for block in re.findall(r"^--\s*name:\s*(\w+)\s*$", entry.read_text(encoding="utf-8"), re.M):
            out[block] = entry.relative_to(root).as_posix()
    return out


def sql_text(key: str) -> str | None:
    """The text of the named SQL block that defines ``key`` (None for a Python figure)."""
    m = get(key)
    return sql_catalog()[m.sql] if m.sql else None


def _word(key: str, field: str, lang: str, **params) -> str | None:
    k = f"catalogue.{get(key).key}.{field}"
    if k not in catalog(lang):
        return None
    return t(k, lang, **({"days": 30} | params))


def name(key: str, lang: str = "zh") -> str:
    """The figure's one name in ``lang`` (新客付费转化率 / New-user paid conversion)."""
    return _word(key, "name", lang)


def definition(key: str, lang: str = "zh", **params) -> str:
    """The 口径 in words; ``days`` sets the conversion window (default 30)."""
    return _word(key, "def", lang, **params)


def formula(key: str, lang: str = "zh", **params) -> str | None:
    return _word(key, "formula", lang, **params)


def caveat(key: str, lang: str = "zh", **params) -> str | None:
    return _word(key, "caveat", lang, **params)


def needs_buyers(key: str) -> bool:
    """Whether ``key`` counts people, so a data set without a buyer id cannot give it.

    >>> needs_buyers("paying_users"), needs_buyers("gmv"), needs_buyers("orders")
    (True, False, False)
    """
    return get(key).key in NEEDS_BUYERS


def unit(key: str) -> str | None:
    return get(key).unit


def up_is_good(key: str) -> bool | None:
    return get(key).up_is_good


def change(current: float, previous: float, key: str) -> float:
    """The change of ``key`` from ``previous`` to ``current`` as the catalogue writes it: a
    difference for rates (0.02 = 2 百分点), a relative change otherwise (0.1 = +10 %); NaN
    when either side is unknown, or for a relative change when ``previous`` is zero."""
    if not _finite(current) or not _finite(previous):
        return float("nan")
    if get(key).change == "pp":
        return float(current) - float(previous)
    if previous == 0:
        return float("nan")
    return float(current) / float(previous) - 1.0


def by_group() -> dict[str, list[Metric]]:
    """Entries in screen order, grouped (every group in :data:`GROUPS`, in that order)."""
    out: dict[str, list[Metric]] = {g: [] for g in GROUPS}
    for m in METRICS:
        out[m.group].append(m)
    return out


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
