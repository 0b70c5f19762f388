"""The notebook API in one shape: ``fn(ds, subject, *, as_of=None, rules=None, config=None)``.

Every analysis takes the data set first (a :class:`~opslab.dataset.dataset.Dataset`, or the
:class:`~opslab.dataset.load.LoadResult` that ``opslab.load`` returns), then what it is about
(the grain, the steps, the event, the KPI, the targets, the period), then keyword-only
settings: ``as_of`` (the day the figures are as of; default the data's last day), ``rules``
(the lifecycle rules; default the rules in force) and ``config`` (the analysis's settings
object), and ``segment`` (a :class:`~opslab.metrics.segments.Segment`, ``{dimension: values}``
rules or a list of user ids: the analysis runs on those users only, by the same code). A
setting may also be given by name (``horizon_days=90``): it fills that field of the
config, and naming a field that the config given sets otherwise is a ``ValueError`` — nothing is
overridden silently. Horizons carry their unit: ``horizon_days``, ``horizon_periods``.

Every result has the same small surface: ``.frame`` (its main table), ``.problems`` (what was
met on the way, as :class:`~opslab.core.problems.Problem`), ``.config`` and ``.as_of``; richer
results keep their named parts (``.scores``, ``.steps``, ``.to_docx()`` ...).

Errors: ``ValueError`` / ``TypeError`` for bad arguments, :class:`~opslab.core.problems.OpsLabError`
(carrying a Problem) for data that cannot give the answer; nothing else escapes.

Example
-------
>>> import opslab
>>> ds = opslab.load_sample()
>>> k = opslab.kpis(ds, "month")
>>> list(k.frame.columns[:3]), k.as_of == ds.end
(['dau', 'wau', 'mau'], True)
>>> opslab.target_status(ds, {"gmv": 100_000}, period="2024Q4").frame.loc[0, "kpi"]
'gmv'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pandas as pd

from opslab.behaviour import experiment_readouts as ab_more
from opslab.behaviour import experiments as ab_mod
from opslab.behaviour import explore as explore_mod
from opslab.behaviour import people as people_mod
from opslab.behaviour import funnels as funnel_mod
from opslab.behaviour import paths as paths_mod
from opslab.core.periods import as_of_day
from opslab.core.problems import OpsLabError, Problem
from opslab.dataset.dataset import Dataset
from opslab.lifecycle import fit as lifecycle_fit
from opslab.lifecycle import tiers as lifecycle
from opslab.lifecycle.tiers import LifecycleRules
from opslab.metrics import catalogue, kpi_table, lead_kpis, segments
from opslab.models import churn as churn_mod
from opslab.models import clv as clv_mod
from opslab.models import forecast as forecast_mod
from opslab.planning import completion
from opslab.planning import experiment_impact
from opslab.planning.targets import Target, parse_period
from opslab.report import alerts as alerts_mod
from opslab.report import content as report_mod
from opslab.report.trust import source_from_load

__all__ = ["Result", "KpiResult", "RetentionResult", "SegmentResult", "TargetStatusResult",
           "FunnelConfig", "PathsConfig", "RetentionConfig",
           "kpis", "retention", "segment", "churn_risk", "clv", "forecast", "funnel", "paths",
           "ab_test", "ab_metrics", "ab_segments", "ab_impact", "target_status", "quarterly_report", "dataset_of",
           "distribution", "interval", "ltv_curve", "users", "user_profile", "UsersResult", "anomaly_alerts"]


# --- the shared surface ---------------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    """A table result: ``frame``, ``problems``, ``config``, ``as_of``."""

    frame: pd.DataFrame
    problems: tuple[Problem, ...] = ()
    config: Any = None
    as_of: dt.date | None = None

    # These functions returned the bare frame before; reading the result as that frame keeps
    # working for one release, with a DeprecationWarning.
    def __getattr__(self, name: str):
        if name.startswith("__") or name in {f.name for f in dataclasses.fields(self)}:
            raise AttributeError(name)
        _deprecated(f"reading {type(self).__name__} as a DataFrame (.{name})", ".frame")
        return getattr(self.frame, name)

    def __getitem__(self, key):
        _deprecated(f"{type(self).__name__}[...]", ".frame[...]")
        return self.frame[key]

    def __len__(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class KpiResult(Result):
    """Every KPI per period (``frame``: one row per period start, ``complete`` flags)."""

    grain: str = "month"


@dataclass(frozen=True)
class RetentionResult(Result):
    """Signup-cohort retention in long form (cohort, size, k, retained, rate, complete)."""

    grain: str = "month"


@dataclass(frozen=True)
class SegmentResult(Result):
    """Every registered user's lifecycle tier and the features behind it (``frame``)."""

    rules: LifecycleRules | None = None


@dataclass(frozen=True)
class TargetStatusResult(Result):
    """Where every target stands (``frame``: actual, 完成度, 时间进度, forecast, P(hit), status)."""

    targets: tuple[Target, ...] = ()


@dataclass(frozen=True)
class RetentionConfig:
    """Cohort retention: ``mode`` "on" (active in period k) or "on_or_after"."""

    mode: str = "on"


@dataclass(frozen=True)
class FunnelConfig:
    """A funnel's settings (see :func:`opslab.behaviour.funnels.funnel`)."""

    window_days: float = 7
    by: str | None = None
    order: str = "ordered"
    exclusions: tuple = ()
    attribution: str = "first_touch"
    start: Any = None
    end: Any = None
    top_n: int = 6


@dataclass(frozen=True)
class PathsConfig:
    """Paths around an event (see :func:`opslab.behaviour.paths.paths`)."""

    direction: str = "next"
    depth: int = 3
    top_n: int = 8
    session_minutes: float = 30
    collapse: bool = True
    start: Any = None
    end: Any = None


def dataset_of(ds, segment=None) -> Dataset:
    """The Dataset behind ``ds`` (a Dataset, or a LoadResult with one); limited to the users of
    ``segment`` when given (a :class:`~opslab.metrics.segments.Segment`, ``{dimension: values}``
    rules or a list of user ids; every analysis takes ``segment=``)."""
    if segment is not None:
        return segments.apply(dataset_of(ds), segment)
    if isinstance(ds, Dataset):
        return ds
    inner = getattr(ds, "dataset", None)
    if isinstance(inner, Dataset):
        return inner
    if inner is None and hasattr(ds, "dataset"):
        raise OpsLabError("api.no_dataset")
    raise TypeError(f"expected a Dataset or the result of opslab.load, not {type(ds).__name__}")


def _need_buyers(data: Dataset, analysis: str) -> None:
    """Analyses that follow customers cannot run on orders whose buyers are unknown
    (``ds.buyers_known`` False): an ``OpsLabError`` saying so, never figures counted from the
    anonymous per-order users."""
    if not getattr(data, "buyers_known", True):
        raise OpsLabError("api.no_buyers", analysis=analysis)


def _config(cls, config, named: Mapping[str, Any], renamed: Mapping[str, str] = {}):
    """``config`` (or the class's defaults) with the settings given by name filled in.

    A name the config sets to something else raises ValueError: nothing overrides silently.
    ``renamed`` maps a public name (``horizon_days``) to the config's field (``horizon``).
    """
    if config is not None and not isinstance(config, cls):
        raise TypeError(f"config must be a {cls.__name__}, not {type(config).__name__}")
    base = config if config is not None else cls()
    given = {renamed.get(k, k): v for k, v in named.items() if v is not None}
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(given) - fields)
    if unknown:
        raise TypeError(f"unknown setting(s) for {cls.__name__}: {', '.join(unknown)}")
    if config is not None:
        clash = sorted(k for k, v in given.items() if getattr(config, k) != v
                       and getattr(config, k) != getattr(cls(), k))
        if clash:
            raise ValueError(f"{', '.join(clash)} given twice (in config and by name) with different values")
    return dataclasses.replace(base, **given)


def _day(ds: Dataset, as_of) -> dt.date:
    return as_of_day(as_of, ds.end)


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated; use {new}", DeprecationWarning, stacklevel=3)


def _positional(fn: str, old: tuple, names: Sequence[str], given: dict) -> dict:
    """Settings passed by position in the old signatures, by name (with a DeprecationWarning)."""
    if not old:
        return given
    if len(old) > len(names):
        raise TypeError(f"{fn}() takes at most {len(names)} old positional settings")
    warnings.warn(f"{fn}(): pass {', '.join(names[:len(old)])} by name", DeprecationWarning, stacklevel=3)
    out = dict(given)
    for name, value in zip(names, old):
        if name in out:
            raise TypeError(f"{fn}() got {name} twice")
        out[name] = value
    return out


# --- the analyses ----------------------------------------------------------------------------

def kpis(ds, grain: str = "month", *old, as_of=None, rules=None, config=None, segment=None, **settings) -> KpiResult:
    """Every KPI (DAU … GMV, paid conversion) per period of ``grain`` up to ``as_of``."""
    data = dataset_of(ds, segment)
    config = _positional("kpis", old, ["config"], {"config": config} if config else {}).get("config")
    cfg = _config(kpi_table.MetricConfig, config, settings)
    day = _day(data, as_of)
    frame = kpi_table.kpis(data, grain, cfg)
    frame = frame[frame.index <= pd.Timestamp(day)]
    return KpiResult(frame=frame, config=cfg, as_of=day, grain=grain)


#: Settings that make ``retention`` a behaviour retention (cohort by a start event).
BEHAVIOUR = ("start_event", "return_event", "by", "top_n", "start", "max_k")


def retention(ds, grain: str = "month", *old, as_of=None, rules=None, config=None, segment=None,
              **settings):
    """Retention by ``grain`` (day, week or month): signup cohorts (a RetentionResult); or,
    given ``start_event``/``return_event`` (None: any event), ``by`` or an
    :class:`ExploreConfig`, behaviour cohorts (a :class:`~opslab.behaviour.explore.BehaviourRetention`:
    ``.frame``/``.cells``, ``.curve``, ``.over_time`` for D1/W1/M1)."""
    data = dataset_of(ds, segment)
    _need_buyers(data, "retention")
    settings = _positional("retention", old, ["mode"], settings)
    if isinstance(config, explore_mod.ExploreConfig) or set(settings) & set(BEHAVIOUR):
        cfg = _explore_config(config, settings)
        day = _day(data, as_of)
        return explore_mod.behaviour_retention(data, grain, cfg, day, _rules(data, day, rules, cfg))
    cfg = _config(RetentionConfig, config, settings)
    frame = kpi_table.cohort_retention(data, grain, cfg.mode)
    return RetentionResult(frame=frame, config=cfg, as_of=_day(data, as_of), grain=grain)


def segment(ds, *old, as_of=None, rules=None, config=None, segment=None) -> SegmentResult:
    """Every registered user's lifecycle tier as of ``as_of`` under ``rules`` (default: in force)."""
    data = dataset_of(ds, segment)
    _need_buyers(data, "segment")
    named = _positional("segment", old, ["rules", "as_of"], {})
    rules, as_of = named.get("rules", rules), named.get("as_of", as_of)
    day = _day(data, as_of)
    used = rules or lifecycle_fit.rules_in_force(data, day)
    frame = lifecycle.segment(data, used, day)
    return SegmentResult(frame=frame, config=used, as_of=day, rules=used)


def churn_risk(ds, *old, as_of=None, rules=None, config=None, segment=None, **settings):
    """Churn risk of every recently active user within ``horizon_days`` (a ChurnRiskResult).

    ``label`` "activity" (no activity in the window, default) or "purchase"; ``margin`` turns
    value at risk into profit. Every other setting is a :class:`ChurnConfig` field.
    """
    data = dataset_of(ds, segment)
    _need_buyers(data, "churn_risk")
    settings = _positional("churn_risk", old, ["as_of", "horizon_days", "rules"], settings)
    as_of, rules = settings.pop("as_of", as_of), settings.pop("rules", rules)
    if "horizon" in settings:
        raise TypeError("churn_risk takes horizon_days, not horizon")
    margin = settings.pop("margin", churn_mod.DEFAULT_MARGIN)
    progress = settings.pop("progress", None)
    cfg = _config(churn_mod.ChurnConfig, config, settings, renamed={"horizon_days": "horizon"})
    return churn_mod.churn_risk(data, as_of, cfg.horizon, rules, label=cfg.label, margin=margin,
                                config=cfg, progress=progress)


def clv(ds, *old, as_of=None, rules=None, config=None, segment=None, **settings):
    """Customer lifetime value (BG/NBD or Pareto/NBD, chosen on a holdout, + Gamma-Gamma):
    ``.customers`` / ``.frame``; ``.model_choice`` the holdout comparison, ``.problems`` what
    makes the fit say little (``.degenerate``)."""
    data = dataset_of(ds, segment)
    _need_buyers(data, "clv")
    settings = _positional("clv", old, ["as_of"], settings)
    as_of = settings.pop("as_of", as_of)
    cfg = _config(clv_mod.CLVConfig, config, settings)
    return clv_mod.clv(data, as_of, margin=cfg.margin, horizon_days=cfg.horizon_days,
                       discount_rate_annual=cfg.discount_rate_annual, purchase_model=cfg.purchase_model)


def forecast(ds, kpi: str = "gmv", *old, as_of=None, rules=None, config=None, segment=None, **settings):
    """Forecast ``kpi`` ``horizon_periods`` periods of ``grain`` ahead (a ForecastResult)."""
    data = dataset_of(ds, segment)
    settings = _positional("forecast", old, ["grain", "horizon_periods"], settings)
    if "horizon" in settings:
        _deprecated("forecast(horizon=)", "forecast(horizon_periods=)")
        settings["horizon_periods"] = settings.pop("horizon")
    cfg = _config(forecast_mod.ForecastConfig, config, settings, renamed={"horizon_periods": "horizon"})
    if config is None and "market" not in settings:
        cfg = dataclasses.replace(cfg, market=forecast_mod.default_market(data))
    named = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    horizon, grain = named.pop("horizon"), named.pop("grain")
    if kpi in catalogue.KPIS + tuple(catalogue.SERIES) and catalogue.needs_buyers(catalogue.SERIES.get(kpi, kpi)):
        _need_buyers(data, f"forecast({kpi})")
    return forecast_mod.forecast(data, kpi, grain, horizon, **named)


def funnel(ds, steps: Sequence, *old, as_of=None, rules=None, config=None, segment=None, **settings):
    """Conversion through ``steps`` (2 to 10 event names or step specs): a FunnelResult."""
    data = dataset_of(ds, segment)
    settings = _positional("funnel", old, ["window_days", "by"], settings)
    cfg = _config(FunnelConfig, config, settings)
    end = cfg.end if cfg.end is not None else (None if as_of is None else as_of)
    return funnel_mod.funnel(data, steps, cfg.window_days, cfg.by, order=cfg.order,
                             exclusions=tuple(cfg.exclusions), attribution=cfg.attribution,
                             start=cfg.start, end=end, top_n=cfg.top_n)


def paths(ds, event: str, *old, as_of=None, rules=None, config=None, segment=None, **settings):
    """The most common next (or previous) steps around ``event`` and where users leave."""
    data = dataset_of(ds, segment)
    settings = _positional("paths", old, ["direction", "depth", "top_n", "session_minutes", "collapse"], settings)
    if "top" in settings:
        _deprecated("paths(top=)", "paths(top_n=)")
        settings["top_n"] = settings.pop("top")
    cfg = _config(PathsConfig, config, settings)
    end = cfg.end if cfg.end is not None else as_of
    return paths_mod.paths(data, event, cfg.direction, cfg.depth, cfg.top_n, cfg.session_minutes,
                           cfg.collapse, start=cfg.start, end=end)


def ab_test(ds, assignment: pd.DataFrame, *old, as_of=None, rules=None, config=None, segment=None, **settings):
    """A/B readout of ``assignment`` (user_id, variant[, exposure_time]): an ABResult.

    ``metric`` (conversion, revenue, retention, ...) and ``control`` by name; every other
    setting is an :class:`ABConfig` field."""
    data = dataset_of(ds, segment)
    settings = _positional("ab_test", old, ["metric"], settings)
    metric = settings.pop("metric", "conversion")
    control = settings.pop("control", None)
    cfg = _config(ab_mod.ABConfig, config, settings)
    return ab_mod.ab_test(data, segments.within(data, assignment), metric, control=control, config=cfg)


def ab_metrics(ds, assignment: pd.DataFrame, *, as_of=None, rules=None, config=None, metrics=ab_mod.METRICS,
               control=None, segment=None, **settings):
    """Every metric of one test at once (a MetricsResult): p-values adjusted over all metrics
    and treatments (``config.correction``: ``bh`` or ``holm``)."""
    cfg = _config(ab_mod.ABConfig, config, settings)
    data = dataset_of(ds, segment)
    return ab_more.ab_metrics(data, segments.within(data, assignment), metrics, control=control, config=cfg)


def ab_segments(ds, assignment: pd.DataFrame, *, as_of=None, rules=None, config=None, metric="conversion",
                by: str = "channel", control=None, segment=None, **settings):
    """The effect in each segment of the user attribute ``by`` against the rest (a
    SegmentsResult; flagged below ``alpha / tests``, Bonferroni)."""
    cfg = _config(ab_mod.ABConfig, config, settings)
    data = dataset_of(ds, segment)
    return ab_more.ab_segments(data, segments.within(data, assignment), metric, by, control=control, config=cfg)


def ab_impact(ds, result, *, as_of=None, rules=None, config=None, target=None, rollout: float = 1.0,
              segment=None):
    """A revenue readout's lift carried to the quarter's GMV (a ProjectionResult); ``target``:
    the quarter's GMV target (a Target or a number)."""
    if not isinstance(result, ab_mod.ABResult):
        raise TypeError(f"result must be the ABResult of ab_test, not {type(result).__name__}")
    return experiment_impact.ab_projection(dataset_of(ds, segment), result, target=target, as_of=as_of,
                                           rollout=rollout)


def _targets(targets, period) -> list[Target]:
    if targets is None:
        return []
    if isinstance(targets, Target):
        return [targets]
    if isinstance(targets, Mapping):
        if period is None:
            raise ValueError("targets given as {kpi: value} need period= (e.g. period='2026Q3')")
        return [Target(str(k), parse_period(period).code, float(v)) for k, v in targets.items()]
    out = list(targets)
    bad = [type(t).__name__ for t in out if not isinstance(t, Target)]
    if bad:
        raise TypeError(f"targets must be Target objects or a {{kpi: value}} mapping, not {bad[0]}")
    return out


def target_status(ds, targets, *old, period=None, as_of=None, rules=None,
                  config=None, segment=None) -> TargetStatusResult:
    """Where every target stands on ``as_of``: a list of :class:`Target`, or ``{kpi: value}``
    for ``period``."""
    data = dataset_of(ds, segment)
    named = _positional("target_status", old, ["as_of", "config"], {})
    as_of, config = named.get("as_of", as_of), named.get("config", config)
    wanted = _targets(targets, period)
    day = _day(data, as_of)
    high_value = None
    if rules is not None:
        high_value = rules.high_value_monthly_spend
    frame = completion.target_status(data, wanted, day, config, high_value=high_value)
    return TargetStatusResult(frame=frame, config=config, as_of=day, targets=tuple(wanted))


def quarterly_report(ds, period=None, *old, targets=None, lang: str = "zh", as_of=None, rules=None,
                     config=None, source=None, segment=None):
    """The ops report for ``period`` (default: the quarter holding ``as_of``, the data's last day);
    ``source`` (default: from ``ds`` when it is a LoadResult) feeds its data-quality section."""
    data = dataset_of(ds, segment)
    named = _positional("quarterly_report", old, ["targets", "lang", "as_of", "config", "rules"], {})
    targets, lang = named.get("targets", targets), named.get("lang", lang)
    as_of, config, rules = named.get("as_of", as_of), named.get("config", config), named.get("rules", rules)
    if period is None:
        period = pd.Period(_day(data, as_of), freq="Q").strftime("%YQ%q")
    wanted = _targets(targets, period)
    source = source_from_load(ds) if source is None and hasattr(ds, "reconciliation") else source
    return report_mod.quarterly_report(data, period, wanted or None, lang, as_of, config, rules, source)


def anomaly_alerts(ds, subject=None, *, as_of=None, rules=None, config=None, segment=None, **settings):
    """Anomaly alerts up to ``as_of``, each with its likely cause (:mod:`opslab.report.alerts`)."""
    config = _config(alerts_mod.AlertConfig, config, settings)
    return alerts_mod.anomaly_alerts(dataset_of(ds, segment), subject, as_of=as_of, rules=rules, config=config)


# --- explore: distributions, intervals, LTV, the users behind a number ---------------------------

def _rules(data: Dataset, day, rules, cfg) -> LifecycleRules | None:
    """The rules a split by tier uses: the ones given, else the rules in force (as segment)."""
    return rules or (lifecycle_fit.rules_in_force(data, day) if cfg.by == "tier" else None)


def _explore_config(config, settings) -> "explore_mod.ExploreConfig":
    if settings.get("segment") is not None:
        settings = {**settings, "segment": tuple(str(u) for u in settings["segment"])}
    if "days" in settings and settings["days"] is not None:
        settings = {**settings, "days": tuple(int(d) for d in settings["days"])}
    return _config(explore_mod.ExploreConfig, config, settings)


def distribution(ds, measure: str = "events", *, as_of=None, rules=None, config=None, segment=None, **settings):
    """Per-user ``measure`` (events, active_days, orders, gmv; "spend": gmv's old name) of users
    active up to ``as_of`` in readable bins (a DistributionResult: ``.frame``/``.bins``, ``.stats``);
    ``by``, ``segment``, ``start`` as :class:`ExploreConfig`."""
    data, cfg = dataset_of(ds, segment), _explore_config(config, settings)
    _need_buyers(data, "distribution")
    day = _day(data, as_of)
    return explore_mod.distribution(data, measure, cfg, day, _rules(data, day, rules, cfg))


def interval(ds, events: tuple, *, as_of=None, rules=None, config=None, segment=None, **settings):
    """Time from each user's first ``events[0]`` to their next ``events[1]``: median, P10-P90
    (``.stats``), histogram (``.frame``/``.bins``) and ``.trend`` by ``grain``; ``by``, ``segment``."""
    data, cfg = dataset_of(ds, segment), _explore_config(config, settings)
    _need_buyers(data, "interval")
    day = _day(data, as_of)
    return explore_mod.interval(data, tuple(events), cfg, day, _rules(data, day, rules, cfg))


def _cac(data: Dataset, day, by) -> pd.DataFrame:
    """CAC per group where campaigns give it: per channel when split by channel, else overall."""
    camps = lead_kpis.campaigns_in(data, data.start, day)
    if not len(camps):
        return pd.DataFrame(columns=["group", "cac"])
    if by is None:
        return pd.DataFrame({"group": [explore_mod.ALL], "cac": [lead_kpis.campaign_cac_roi(data, camps)[0]]})
    if by != "channel" or "channel" not in camps or not data.whole:  # a segment: spend is not split
        return pd.DataFrame(columns=["group", "cac"])
    rows = [{"group": str(ch), "cac": lead_kpis.cac_roi(c)[0]} for ch, c in camps.groupby("channel")]
    return pd.DataFrame(rows, columns=["group", "cac"])


def ltv_curve(ds, anchor: str = "first_purchase", *, as_of=None, rules=None, config=None, segment=None,
              **settings):
    """Cumulative paid revenue per user ``n`` days after the first purchase (or ``"signup"``),
    by cohort (``cohort_grain``) and ``by`` (e.g. channel), with CAC and payback day where
    campaigns give it (an LtvResult: ``.frame``/``.cells``, ``.curve``, ``.payback``)."""
    data = dataset_of(ds, segment)
    _need_buyers(data, "ltv_curve")
    cfg = _explore_config(config, {**settings, "anchor": anchor})
    day = _day(data, as_of)
    return explore_mod.ltv_curve(data, cfg, day, _rules(data, day, rules, cfg), cac=_cac(data, day, cfg.by))


@dataclass(frozen=True)
class UsersResult(Result):
    """The users behind a number (``frame``: one row per user with attributes, activity,
    value and tier); ``count`` equals the number."""

    count: int = 0


def users(ds, of, *, as_of=None, rules=None, config=None, segment=None, **where) -> UsersResult:
    """The users a number counts: ``of`` is a KPI name (``active_users``, ``dau``,
    ``paying_users``, ``new_users`` with ``period=``/``grain=``), ``"tier"`` (with
    ``tier=``), or a result: behaviour retention (``cohort=``, ``k=``, ``group=``), a
    distribution or interval (``bin=``, ``group=``), a funnel (``step=`` or ``dropped_at=``), paths
    (``level=``, ``event=``, ``left=``)."""
    data = dataset_of(ds, segment)
    _need_buyers(data, "users")
    day = getattr(of, "as_of", None) or _day(data, as_of)
    used = rules or lifecycle_fit.rules_in_force(data, day)  # the tier of every listed user
    uids = people_mod.users_behind(data, of, day, used, **where)
    frame = people_mod.user_table(data, uids, day, used)
    return UsersResult(frame=frame, config=config, as_of=day, count=len(frame))


def user_profile(ds, user_id, *, as_of=None, rules=None, config=None, segment=None) -> "people_mod.Profile":
    """One user's story: ``.summary``/``.frame``, ``.timeline(page, per_page, events)``,
    ``.event_counts``, ``.tiers`` (month by month), ``.risk`` (their churn-risk row, with
    reasons) and ``.clv`` (their CLV row), the last three computed on first use."""
    data = dataset_of(ds, segment)
    _need_buyers(data, "user_profile")
    day = _day(data, as_of)
    used = rules or lifecycle_fit.rules_in_force(data, day)
    uid = people_mod.find_user(data, user_id)

    def risk():
        scores = churn_mod.churn_risk(data, day, rules=used).scores
        return scores[scores["user_id"].astype("str") == str(user_id)].reset_index(drop=True)

    def value():
        cust = clv_mod.clv(data, day).customers
        key = "user_id" if "user_id" in cust else cust.index.name
        rows = cust[cust["user_id"].astype("str") == str(user_id)] if key == "user_id" else cust.loc[[str(user_id)]]
        return rows.reset_index(drop=True)
    return people_mod.Profile(data, uid, str(user_id), day, used, extras={"risk": risk, "clv": value})
