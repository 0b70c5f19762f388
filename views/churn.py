"""Churn risk: cutoff and horizon, an honest readout (base rate, lift, verdict), the candidates
beside the recency baseline, the early-warning list with a reason for everyone, and lifetime
value with its margin. Tiers follow the rules in force (ui.state.rules()). Settings live in the
URL (churn_* keys)."""

import datetime as dt

import pandas as pd
import streamlit as st

from opslab.present import formatting as fmt
from opslab.present import messages
from opslab.present.charts import churn as charts
from opslab.models import churn
from opslab.core.problems import OpsLabError
from ui import state
from ui.models import shared_result
from ui.state import labeller, lang, tr
from ui.url_state import url_choice, url_multi
from ui.widgets import export_buttons, page_start, require_buyers

SHOW_ROWS = 500

ds = page_start("churn")
require_buyers()  # customers to follow: without a buyer id, say why and stop

code = lang()
model_label = {m: tr(f"churn.model.{m}") for m in churn.MODELS}
tier_label = {t: tr(f"lifecycle.tier.{t}") for t in churn.SCORED_TIERS}
rules = state.rules()

# -- settings -----------------------------------------------------------------------------------
stored = st.session_state.get("churn_as_of")
if isinstance(stored, dt.date) and not ds.start <= stored <= ds.end:
    del st.session_state["churn_as_of"]  # another data set: its day may be out of range here
c1, c2, c3, c4 = st.columns(4)
as_of = c1.date_input(tr("churn.as_of"), value=ds.end, min_value=ds.start, max_value=ds.end, key="churn_as_of",
                      help=tr("churn.as_of_help"), bind="query-params") or ds.end
horizon = int(c2.number_input(tr("churn.horizon"), min_value=churn.MIN_HORIZON, max_value=churn.MAX_HORIZON,
                              value=churn.DEFAULT_HORIZON, step=7, key="churn_horizon",
                              help=tr("churn.horizon_help"), bind="query-params"))
label = url_choice("segmented_control", tr("churn.label"), ("activity", "purchase"), "activity", "churn_label",
                   c3, format_func=labeller("churn.label."))
margin_pct = c4.number_input(tr("churn.margin"), min_value=0, max_value=100, value=round(churn.DEFAULT_MARGIN * 100),
                             step=5, key="churn_margin", help=tr("churn.margin_help"), bind="query-params")
st.caption(tr("churn.rules_caption", churn=rules.churn_days, warning=rules.warning_days, new=rules.new_days))
st.page_link("views/lifecycle.py", label=tr("churn.rules_link"), icon=":material/tune:")


# -- fitting (once per data set and settings; the model itself is kept per cutoff and horizon) -----
def _fit():
    bar = st.progress(0.0, text=tr("churn.progress.features"))

    def progress(fraction, step):
        bar.progress(min(1.0, fraction), text=tr(f"churn.progress.{step}"))
    try:
        return churn.churn_risk(ds, as_of, horizon, rules, label=label, margin=margin_pct / 100,
                                progress=progress), None
    except OpsLabError as err:
        return None, err.problem
    finally:
        bar.empty()


settings = repr((as_of, horizon, label, margin_pct, rules))
res, failure = shared_result("churn", ds, settings, _fit)
if failure is not None:
    st.warning(tr(failure.code, **failure.params))
    st.stop()
model = res.model

for note_code, params in res.notes:
    p = dict(params)
    if "split" in p:
        p["split"] = tr(f"churn.split.{p['split']}")
    if "model" in p:
        p["model"] = tr(f"churn.model.{p['model']}")
    st.info(tr(note_code, **p))
if model.validated:
    st.caption(tr("churn.split_caption", train=", ".join(str(d) for d in sorted(model.train_cutoffs)) or "–",
                  val=model.validation_cutoff, end=model.as_of, horizon=horizon))

# -- honest readout ------------------------------------------------------------------------------
st.subheader(tr("churn.readout"))
threshold_pct = st.slider(tr("churn.threshold"), min_value=5, max_value=95, value=50, step=5, format="%d%%",
                          key="churn_threshold", help=tr("churn.threshold_help"), bind="query-params")
threshold = threshold_pct / 100
r = res.readout(threshold)
verdict_box = {"strong": st.success, "usable": st.info, "weak": st.warning, "unvalidated": st.warning}[r.verdict]
reason_text = " ".join(tr(k, **{**messages.numbers(k, p, code, ds.currency),
                              "model": model_label.get(p.get("model"), p.get("model", ""))})
                       for k, p in r.reasons)
verdict_box(f"{tr('churn.verdict.' + r.verdict, model=model_label[model.chosen])} {reason_text}"
            + (" " + tr("churn.verdict_cohort", days=rules.churn_days) if model.validated else ""))
m = st.columns(5)
m[0].metric(tr("churn.base_rate"), fmt.pct(r.base_rate), help=tr("churn.base_rate_help", horizon=horizon), border=True)
m[1].metric(tr("churn.val_precision"), fmt.pct(r.precision),
            delta=tr("churn.vs_base", pp=fmt.pct(r.precision - r.base_rate, signed=True)) if r.flagged else None,
            delta_color="off", border=True)
m[2].metric(tr("churn.val_recall"), fmt.pct(r.recall), border=True)
m[3].metric(tr("churn.lift"), tr("churn.lift_value", lift=fmt.number(r.lift, 1)) if r.flagged else "–",
            help=tr("churn.lift_help"), border=True)
m[4].metric(tr("churn.lift_baseline"), tr("churn.lift_value", lift=fmt.number(r.lift_over_baseline, 1))
            if r.flagged and r.lift_over_baseline == r.lift_over_baseline else "–",
            help=tr("churn.lift_baseline_help", precision=fmt.pct(r.baseline_precision)), border=True)
if model.validated:
    st.caption(tr("churn.threshold_caption", threshold=fmt.pct(threshold, 0), flagged=fmt.count(r.flagged, code),
                  churners=fmt.count(round(r.precision * r.flagged) if r.flagged else 0, code),
                  base=fmt.pct(r.base_rate)))

# -- candidates ----------------------------------------------------------------------------------
if model.validated:
    st.subheader(tr("churn.model_card"))
    card, cohort_n = res.model_card()  # the readout's users: one AUC on the card and in the verdict
    card = card.rename(index=model_label)
    card.index.name = tr("churn.model")
    card_kinds = {"roc_auc": "score", "pr_auc": "score", "brier": "score", "lift_top": "multiple",
                  "capture_top": "pct", "n": "count", "churn_rate": "pct"}
    st.dataframe(fmt.table(card, card_kinds, code, ds.currency), width="stretch", key="churn_card",
                 column_config={k: st.column_config.NumberColumn(tr(f"churn.metric.{k}")) for k in card_kinds})
    st.caption(tr("churn.metric_caption"))
    st.caption(tr("churn.cohort_caption", n=fmt.count(cohort_n, code), cutoff=model.validation_cutoff,
                  days=rules.churn_days))
    left, right = st.columns(2)
    if not model.calibration.empty:
        with left:
            st.markdown(f"**{tr('churn.calibration')}**")
            st.altair_chart(charts.calibration_chart(model.calibration, model_label, tr("churn.calibration_x"),
                                                     tr("churn.calibration_y"), tr("churn.model")), width="stretch")
    with right:
        st.markdown(f"**{tr('churn.gains')}**")
        st.altair_chart(charts.gains_chart(model.lift, model_label, tr("churn.gains_x"), tr("churn.gains_y"),
                                           tr("churn.model"), tr("churn.random")), width="stretch")
if not model.importance.empty:
    st.subheader(tr("churn.drivers"))
    imp = model.importance.copy()
    imp["label"] = [tr(k, **p) for k, p in map(churn.feature_label, imp["feature"])]
    st.altair_chart(charts.importance_bars(imp, tr("churn.importance"), tr("churn.feature")), width="stretch")
    st.caption(tr("churn.drivers_caption"))

# -- early-warning list -----------------------------------------------------------------------------
st.subheader(tr("churn.list"))
st.caption(tr("churn.list_caption"))
st.caption(tr("churn.risk_vs_alive", horizon=horizon))
valued = res.scores
if valued.empty:
    st.info(tr("churn.no_scores"))
    st.stop()
if res.clv_problem is not None:
    st.warning(f"{tr('churn.value_fallback')} {tr(res.clv_problem.code, **res.clv_problem.params)}")
tiers = url_multi(tr("churn.tiers_filter"), churn.WATCH_TIERS, list(churn.WATCH_TIERS), "churn_tiers",
                  format_func=tier_label.get)
flagged = churn.early_warning(valued, threshold, tiers)
st.metric(tr("churn.flagged_now"), fmt.count(len(flagged), code), border=True)
sep = tr("churn.reason_sep")


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "user_id": frame["user_id"].to_numpy(),
        "tier": frame["tier"].astype("str").map(tier_label).to_numpy(),
        "risk": frame["risk"].to_numpy(),  # shares: shown as "37.0%", exported as 0.370
        "p_alive": frame["p_alive"].to_numpy(),
        "expected_purchases": frame["expected_purchases"].to_numpy(),
        "clv": frame["clv"].to_numpy(),
        "value_at_risk": frame["value_at_risk"].to_numpy(),
        "days_since_active": frame["days_since_active"].to_numpy(dtype="int64"),
        "active_days_all": frame["active_days_all"].to_numpy(dtype="int64"),
        "spend_all": frame["spend_all"].to_numpy(),
        "reasons": [sep.join(tr(k, **messages.numbers(k, p, code, ds.currency)) for k, p in rs)
                    for rs in res.reasons(frame)],
    })


if flagged.empty:
    st.info(tr("churn.list_empty"))
else:
    shown = _table(flagged.head(SHOW_ROWS))
    if len(flagged) > SHOW_ROWS:
        st.caption(tr("churn.list_shown", n=fmt.count(len(flagged), code), shown=SHOW_ROWS))
    list_kinds = {"risk": "pct", "p_alive": "pct", "expected_purchases": "decimal", "clv": "money",
                  "value_at_risk": "money", "days_since_active": "count", "active_days_all": "count",
                  "spend_all": "money"}
    number = st.column_config.NumberColumn
    st.dataframe(fmt.table(shown, list_kinds, code, ds.currency), hide_index=True, width="stretch",
                 key="churn_list", column_config={
        "user_id": st.column_config.TextColumn(tr("churn.col.user_id")),
        "tier": st.column_config.TextColumn(tr("churn.col.tier")),
        "risk": number(tr("churn.col.risk", horizon=horizon)),
        "p_alive": number(tr("churn.col.p_alive"), help=tr("churn.col.p_alive_help")),
        "expected_purchases": number(tr("churn.col.expected_purchases", horizon=horizon)),
        "clv": number(tr("churn.col.clv")),
        "value_at_risk": number(tr("churn.col.value_at_risk")),
        "days_since_active": number(tr("churn.col.days_since_active")),
        "active_days_all": number(tr("churn.col.active_days_all")),
        "spend_all": number(tr("churn.col.spend_all")),
        "reasons": st.column_config.TextColumn(tr("churn.col.reasons"), width="large"),
    })

    def _export() -> pd.DataFrame:
        out = _table(flagged)
        money = ("clv", "value_at_risk", "spend_all")  # exported amounts name their currency
        return out.rename(columns={c: fmt.money_title(tr(f"churn.col.{c}", horizon=horizon), ds.currency)
                                   if c in money else tr(f"churn.col.{c}", horizon=horizon) for c in out.columns})

    st.markdown(f"**{tr('churn.export')}**")
    export_buttons(_export, f"churn_risk_{model.as_of}_{horizon}d_{threshold_pct}", "churn_dl", len(flagged),
                   tr("churn.csv"), tr("churn.xlsx"))

# -- lifetime value ----------------------------------------------------------------------------------
st.subheader(tr("churn.clv_title"))
fit = res.clv
if fit is not None:
    for problem in fit.warnings:  # a fit that says little says so, and what to use instead
        p = dict(problem.params)
        if "model" in p:
            p["model"] = tr(f"clv.model.{p['model']}")
        st.warning(tr(problem.code, **p))
    if fit.model_choice is not None:
        st.markdown(f"**{tr('clv.choice_title')}**")
        st.caption(tr("clv.choice_caption", cutoff=fit.holdout["cutoff"], n=fmt.count(fit.holdout["n"], code),
                      days=fit.holdout["days"], model=tr(f"clv.model.{fit.model}")))
        choice = fit.model_choice.reset_index()
        shown = pd.DataFrame({
            tr("clv.choice.model"): [tr(f"clv.model.{m}") for m in choice["model"]],
            tr("clv.choice.log_likelihood"): choice["log_likelihood"].round(1).to_numpy(),
            tr("clv.choice.predicted"): choice["predicted"].round(0).to_numpy(),
            tr("clv.choice.actual"): choice["actual"].round(0).to_numpy(),
            tr("clv.choice.mae"): choice["mae"].round(3).to_numpy(),
            tr("clv.choice.chosen"): ["✓" if c else "" for c in choice["chosen"]],
        })
        choice_kinds = {tr("clv.choice.log_likelihood"): "decimal", tr("clv.choice.predicted"): "count",
                        tr("clv.choice.actual"): "count", tr("clv.choice.mae"): "score"}
        st.dataframe(fmt.table(shown, choice_kinds, code, ds.currency), hide_index=True, key="clv_choice")
if res.clv_problem is None and fit is not None and fit.ggf is not None:  # no amounts: no values to chart
    v1, v2 = st.columns(2)
    with v1:
        st.markdown(f"**{tr('churn.clv_hist')}**")
        st.altair_chart(charts.value_histogram(valued["clv"], tr("churn.clv_axis"), tr("churn.users")),
                        width="stretch")
    by_tier = churn.clv_by_tier(valued)
    by_tier["tier"] = by_tier["tier"].map(tier_label)
    with v2:
        st.markdown(f"**{tr('churn.clv_by_tier')}**")
        st.altair_chart(charts.value_by_group(by_tier, "tier", "clv", tr("churn.col.tier"), tr("churn.clv_axis")),
                        width="stretch")
st.caption(tr("churn.clv_caption", margin=fmt.pct(res.margin, 0)))
