"""The Forecast page's campaign planner: a planned campaign's expected outcomes (participants,
new users, conversions, revenue, ROI, CAC with their intervals), the verdict on its spend, the
model's accuracy on past campaigns, and a budget split across channels. Every number comes from
:mod:`opslab.models.campaign_planner`."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from opslab.core.problems import OpsLabError
from opslab.models import campaign_planner as planner
from opslab.models.campaigns import CampaignPlan, CampaignResponseModel
from opslab.present import formatting as fmt
from ui.models import shared_result
from ui.state import tr
from ui.url_state import url_multi


def fit_campaigns(ds):
    """The campaign response model of ``ds``'s campaigns, or the OpsLabError saying why none."""
    campaigns = ds.campaigns if ds.campaigns is not None else pd.DataFrame()
    try:
        if not ds.whole:  # a segment: campaigns and their spend are everyone's, not the segment's
            return OpsLabError("segments.planner_off")
        if not len(campaigns):
            return OpsLabError("campaigns.too_few", n=0, min=CampaignResponseModel().min_campaigns)
        return CampaignResponseModel().fit(campaigns)
    except OpsLabError as exc:
        return exc


def planner_section(ds, camp_model, plan: CampaignPlan | None, typical: float, channels: list[str], code: str) -> None:
    """The planner's section of the page for ``plan`` (None: its dates are wrong)."""
    has_model = not isinstance(camp_model, OpsLabError)
    st.subheader(tr("forecastpage.camp.title"))
    if not has_model:
        st.info(tr(camp_model.code, **camp_model.params))
    elif plan is None:
        st.warning(tr("forecastpage.plan.bad_dates"))
    else:
        ro = shared_result("campaign_plan", ds, repr(plan), lambda: planner.plan_readout(camp_model, plan))
        pf = ro.forecast
        st.text(tr("forecastpage.camp.plan_line", spend=fmt.money(plan.spend, code, currency=ds.currency), type=plan.type,  # cell values:
                   channel=plan.channel, start=plan.start_date, end=plan.end_date))                 # no markdown
        cols = st.columns(6)
        for col, name in zip(cols, ("participants", "new_users", "conversions", "revenue")):
            e = pf.outcomes.get(name)
            if e is None:
                continue
            fmt_one = (lambda v: fmt.money(v, code, currency=ds.currency)) if name == "revenue" else (lambda v: fmt.count(round(v), code))
            col.metric(tr(f"campaigns.col.{name}"), fmt_one(e.mean), border=True,
                       help=tr("forecastpage.camp.interval", lower=fmt_one(e.lower), upper=fmt_one(e.upper),
                               pct=round(100 * pf.interval)))
            col.caption(f"{fmt_one(e.lower)} – {fmt_one(e.upper)}")
        if pf.roi is not None:
            cols[4].metric(tr("campaigns.col.roi_label"), fmt.roi(pf.roi.mean), border=True)
            cols[4].caption(f"{fmt.roi(pf.roi.lower)} – {fmt.roi(pf.roi.upper)}")
        if pf.cac is not None:
            cols[5].metric(tr("campaigns.col.cac"), fmt.money(pf.cac.mean, code, exact=True, currency=ds.currency), border=True)
            cols[5].caption(f"{fmt.money(pf.cac.lower, code, currency=ds.currency)} – {fmt.money(pf.cac.upper, code, currency=ds.currency)}")
        verdict_box = {"profitable": st.success, "spend_less": st.warning, "loss": st.error}.get(ro.verdict, st.info)
        verdict_box(tr(f"forecastpage.camp.verdict.{ro.verdict}", profit=fmt.signed_money(ro.profit or 0.0, code, currency=ds.currency),
                       even=fmt.money(ro.break_even_spend, code, currency=ds.currency), best=fmt.money(ro.best_spend, code, currency=ds.currency),
                       best_profit=fmt.signed_money(ro.best_profit or 0.0, code, currency=ds.currency)))
        if ro.accuracy is not None:
            st.caption(tr("forecastpage.camp.accuracy", error=fmt.pct(ro.accuracy.error, 0),
                          coverage=fmt.pct(ro.accuracy.coverage, 0), pct=round(100 * ro.accuracy.interval),
                          n=ro.accuracy.n))
        for p in (*camp_model.warnings_, *pf.notes):
            st.text("⚠ " + tr(p.code, **p.params))  # may quote a type or channel from the data

        st.markdown(f"**{tr('forecastpage.camp.budget')}**")
        b1, b2 = st.columns([1, 2])
        total = b1.number_input(tr("forecastpage.camp.total"), min_value=1_000.0, value=max(1_000.0, 4 * typical),
                                step=max(1_000.0, typical / 2), key="fc_budget_total", bind="query-params")
        chosen = url_multi(tr("forecastpage.camp.channels"), channels, channels[:4], "fc_budget_channels", b2)
        if chosen and "revenue" in camp_model.fits_:
            split = planner.optimise_budget(camp_model, total, chosen, plan.type, plan.start_date, plan.end_date)
            money_cols = (tr("campaigns.col.spend"), tr("campaigns.col.expected_revenue"), tr("forecastpage.camp.equal_revenue"))
            st.dataframe(fmt.table(pd.DataFrame({  # one money format per column (never ¥3.4万 next to ¥7,274)
                tr("campaigns.col.channel"): [c if k == "channel" else tr(f"forecastpage.camp.row.{k}")
                                              for k, c in zip(split["kind"], split["channel"])],
                tr("campaigns.col.spend"): split["spend"].to_numpy(dtype=float),
                tr("campaigns.col.share"): split["share"].to_numpy(dtype=float),
                tr("campaigns.col.expected_revenue"): split["expected_revenue"].to_numpy(dtype=float),
                tr("campaigns.col.roi_label"): split["roi"].to_numpy(dtype=float),
                tr("forecastpage.camp.equal_revenue"): split["equal_expected_revenue"].to_numpy(dtype=float),
            }), {**dict.fromkeys(money_cols, "money"), tr("campaigns.col.share"): "pct", tr("campaigns.col.roi_label"): "roi"},
                code, ds.currency), hide_index=True, width="stretch")
            st.caption(tr("forecastpage.camp.budget_caption"))
