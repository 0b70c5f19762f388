"""Churn risk, customer lifetime value and forecasts in the API's one shape (the room ``models``)."""

from __future__ import annotations

import dataclasses

from opslab.api.shape import dataset_of, need_buyers, settings_config, deprecated, positional
from opslab.metrics import catalogue
from opslab.models import churn as churn_mod
from opslab.models import clv as clv_mod
from opslab.models import forecast as forecast_mod

__all__ = ["churn_risk", "clv", "forecast"]


def churn_risk(ds, *old, as_of=None, rules=None, config=None,
               segment=None, **settings) -> churn_mod.ChurnRiskResult:
    """Churn risk of every recently active user within ``horizon_days`` (a ChurnRiskResult).

    ``label`` "activity" (no activity in the window, default) or "purchase"; ``margin`` turns
    value at risk into profit. Every other setting is a :class:`ChurnConfig` field.
    """
    data = dataset_of(ds, segment)
    need_buyers(data, "churn_risk")
    settings = positional("churn_risk", old, ["as_of", "horizon_days", "rules"], settings)
    as_of, rules = settings.pop("as_of", as_of), settings.pop("rules", rules)
    if "horizon" in settings:
        raise TypeError("churn_risk takes horizon_days, not horizon")
    margin = settings.pop("margin", churn_mod.DEFAULT_MARGIN)
    progress = settings.pop("progress", None)
    cfg = settings_config(churn_mod.ChurnConfig, config, settings, renamed={"horizon_days": "horizon"})
    return churn_mod.churn_risk(data, as_of, cfg.horizon, rules, label=cfg.label, margin=margin,
                                config=cfg, progress=progress)


def clv(ds, *old, as_of=None, rules=None, config=None, segment=None, **settings) -> clv_mod.CLVResult:
    """Customer lifetime value (BG/NBD or Pareto/NBD, chosen on a holdout, + Gamma-Gamma):
    ``.customers`` / ``.frame``; ``.model_choice`` the holdout comparison, ``.problems`` what
    makes the fit say little (``.degenerate``)."""
    data = dataset_of(ds, segment)
    need_buyers(data, "clv")
    settings = positional("clv", old, ["as_of"], settings)
    as_of = settings.pop("as_of", as_of)
    cfg = settings_config(clv_mod.CLVConfig, config, settings)
    return clv_mod.clv(data, as_of, margin=cfg.margin, horizon_days=cfg.horizon_days,
                       discount_rate_annual=cfg.discount_rate_annual, purchase_model=cfg.purchase_model)


def forecast(ds, kpi: str = "gmv", *old, as_of=None, rules=None, config=None,
             segment=None, **settings) -> forecast_mod.GrainForecastResult:
    """Forecast ``kpi`` ``horizon_periods`` periods of ``grain`` ahead (a ForecastResult)."""
    data = dataset_of(ds, segment)
    settings = positional("forecast", old, ["grain", "horizon_periods"], settings)
    if "horizon" in settings:
        deprecated("forecast(horizon=)", "forecast(horizon_periods=)")
        settings["horizon_periods"] = settings.pop("horizon")
    cfg = settings_config(forecast_mod.ForecastConfig, config, settings, renamed={"horizon_periods": "horizon"})
    if config is None and "market" not in settings:
        cfg = dataclasses.replace(cfg, market=forecast_mod.default_market(data))
    named = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
    horizon, grain = named.pop("horizon"), named.pop("grain")
    if kpi in catalogue.KPIS + tuple(catalogue.SERIES) and catalogue.needs_buyers(catalogue.SERIES.get(kpi, kpi)):
        need_buyers(data, f"forecast({kpi})")
    return forecast_mod.forecast(data, kpi, grain, horizon, **named)
