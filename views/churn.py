"""Churn risk: model card beside the baseline, risk drivers, the early-warning list by value at
risk with reasons and exports, and lifetime value. Settings live in the URL (churn_* keys)."""

import time

import pandas as pd
import streamlit as st

from opslab.problems import OpsLabError
from opslab.charts import churn as charts
from opslab.models import churn
from opslab import formatting as fmt
from ui.models import shared_result
from ui.state import labeller, lang, tr, translator
from ui.url_state import url_choice, url_multi
from ui.widgets import export_buttons, page_start

SHOW_ROWS = 500

ds = page_start("churn")

code = lang()
model_label = {m: tr(f"churn.model.{m}") for m in churn.MODELS}
tier_label = {t: tr(f"lifecycle.tier.{t}") for t in (*churn.WATCH_TIERS, "new", "silent_new", "churned")}

# -- settings -----------------------------------------------------------------------------------
c1, c2 = st.columns(2)
horizon = url_choice("segmented_control", tr("churn.horizon"), ("7", "14", "28"), "14", "churn_horizon", c1,
                     format_func=lambda d, T=translator(): T("churn.horizon_option", days=d),
                     help=tr("churn.horizon_help"))
label = url_choice("segmented_control", tr("churn.label"), ("activity", "purchase"), "activity", "churn_label",
                   c2, format_func=labeller("churn.label."))
config = churn.ChurnConfig(horizon=int(horizon), label=label)

# -- training (once per data set and settings) --------------------------------------------------
def _train():
    try:
        fitted = churn.ChurnModel(config).fit(ds).result_
        valued_scores, problem = churn.attach_value(fitted.scores, ds, fitted.as_of)
        return fitted, valued_scores, problem, None
    except OpsLabError as err:
        return None, None, None, err.problem


def _with_status(train):
    with st.status(tr("churn.training"), expanded=False) as status:
        started = time.perf_counter()
        entry = train()
        status.update(label=tr("churn.trained", seconds=f"{time.perf_counter() - started:.1f}",
                               n=fmt.count(entry[0].n_train if entry[0] else 0, code)), state="complete")
    return entry


result, valued, value_problem, failure = shared_result("churn", ds, repr(config), _train, _with_status)
if failure is not None:
    params = dict(failure.params)
    if "split" in params:
        params["split"] = tr(f"churn.split.{params['split']}")
    st.warning(tr(failure.code, **params))
    st.stop()

st.caption(tr("churn.split_caption", train=", ".join(str(d) for d in sorted(result.train_cutoffs)),
              val=result.validation_cutoff, end=result.as_of))

# -- model card ------------------------------------------------------------------------------------
st.subheader(tr("churn.model_card"))
card = result.validation.rename(index=model_label)
card.index.name = tr("churn.model")
st.dataframe(card, width="stretch", column_config={
    **{m: st.column_config.NumberColumn(tr(f"churn.metric.{m}"), format="%.3f")
       for m in ("roc_auc", "pr_auc", "brier")},
    "lift_top": st.column_config.NumberColumn(tr("churn.metric.lift_top"), format="%.2f×"),
    "capture_top": st.column_config.NumberColumn(tr("churn.metric.capture_top"), format="percent"),
    "n": st.column_config.NumberColumn(tr("churn.metric.n"), format="localized"),
    "churn_rate": st.column_config.NumberColumn(tr("churn.metric.churn_rate"), format="percent"),
})
st.markdown(tr("churn.chosen", model=model_label[result.chosen_]))
st.caption(tr("churn.metric_caption"))
left, right = st.columns(2)
with left:
    st.markdown(f"**{tr('churn.calibration')}**")
    st.altair_chart(charts.calibration_chart(result.calibration, model_label, tr("churn.calibration_x"),
                                             tr("churn.calibration_y"), tr("churn.model")), width="stretch")
with right:
    st.markdown(f"**{tr('churn.gains')}**")
    st.altair_chart(charts.gains_chart(result.lift, model_label, tr("churn.gains_x"), tr("churn.gains_y"),
                                       tr("churn.model"), tr("churn.random")), width="stretch")

st.subheader(tr("churn.drivers"))
imp = result.importance.copy()
imp["label"] = [tr(k, **p) for k, p in map(churn.feature_label, imp["feature"])]
st.altair_chart(charts.importance_bars(imp, tr("churn.importance"), tr("churn.feature")), width="stretch")
st.caption(tr("churn.drivers_caption"))

# -- early-warning list -----------------------------------------------------------------------------
st.subheader(tr("churn.list"))
st.caption(tr("churn.list_caption"))
if valued.empty:
    st.info(tr("churn.no_scores", days=config.eligible_window))
    st.stop()
if value_problem is not None:
    st.warning(f"{tr('churn.value_fallback')} {tr(value_problem.code, **value_problem.params)}")
t1, t2 = st.columns([2, 3])
threshold = t1.slider(tr("churn.threshold"), min_value=0.05, max_value=0.95, value=0.5, step=0.05,
                      key="churn_threshold", help=tr("churn.threshold_help"), bind="query-params")
has_tiers = "tier" in valued
tiers = url_multi(tr("churn.tiers_filter"), churn.WATCH_TIERS, list(churn.WATCH_TIERS), "churn_tiers", t2,
                  format_func=tier_label.get) if has_tiers else churn.WATCH_TIERS
at = result.at_threshold(threshold)
flagged = churn.early_warning(valued, threshold, tiers)
m1, m2, m3 = st.columns(3)
m1.metric(tr("churn.flagged_now"), fmt.count(len(flagged), code), border=True)
m2.metric(tr("churn.val_precision"), fmt.pct(at["precision"]), border=True)
m3.metric(tr("churn.val_recall"), fmt.pct(at["recall"]), border=True)
st.caption(tr("churn.threshold_caption", flagged=fmt.count(at["flagged"], code),
              churners=fmt.count(at["churners"], code)))

sep = tr("churn.reason_sep")


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    reasons = result.reasons(frame)
    out = pd.DataFrame({
        "user_id": frame["user_id"].to_numpy(),
        "tier": frame["tier"].astype("str").map(tier_label).to_numpy() if "tier" in frame else "",
        "risk": frame["risk"].to_numpy(),
        "clv": frame["clv"].to_numpy(),
        "value_at_risk": frame["value_at_risk"].to_numpy(),
        "days_since_active": frame["days_since_active"].to_numpy(dtype="int64"),
        "active_days_28": frame["active_days_28"].to_numpy(dtype="int64"),
        "spend_90": frame["spend_90"].to_numpy(),
        "reasons": [sep.join(tr(k, **p) for k, p in r) for r in reasons],
    })
    return out


if flagged.empty:
    st.info(tr("churn.list_empty"))
else:
    shown = _table(flagged.head(SHOW_ROWS))
    if len(flagged) > SHOW_ROWS:
        st.caption(tr("churn.list_shown", n=fmt.count(len(flagged), code), shown=SHOW_ROWS))
    st.dataframe(shown, hide_index=True, width="stretch", key="churn_list", column_config={
        "user_id": st.column_config.TextColumn(tr("churn.col.user_id")),
        "tier": st.column_config.TextColumn(tr("churn.col.tier")),
        "risk": st.column_config.ProgressColumn(tr("churn.col.risk"), format="percent", min_value=0, max_value=1),
        "clv": st.column_config.NumberColumn(tr("churn.col.clv"), format=fmt.money_format(ds.currency)),
        "value_at_risk": st.column_config.NumberColumn(tr("churn.col.value_at_risk"), format=fmt.money_format(ds.currency)),
        "days_since_active": st.column_config.NumberColumn(tr("churn.col.days_since_active")),
        "active_days_28": st.column_config.NumberColumn(tr("churn.col.active_days_28")),
        "spend_90": st.column_config.NumberColumn(tr("churn.col.spend_90"), format=fmt.money_format(ds.currency)),
        "reasons": st.column_config.TextColumn(tr("churn.col.reasons"), width="large"),
    })

    def _export() -> pd.DataFrame:
        out = _table(flagged)
        money = ("clv", "value_at_risk", "spend_90")  # exported amounts name their currency
        return out.rename(columns={c: fmt.money_title(tr(f"churn.col.{c}"), ds.currency) if c in money
                                   else tr(f"churn.col.{c}") for c in out.columns})

    st.markdown(f"**{tr('churn.export')}**")
    name = f"churn_risk_{result.as_of}_{int(threshold * 100)}"
    export_buttons(_export, name, "churn_dl", len(flagged), tr("churn.csv"), tr("churn.xlsx"))

# -- lifetime value ----------------------------------------------------------------------------------
st.subheader(tr("churn.clv_title"))
value_col = "clv" if value_problem is None else "value"
v1, v2 = st.columns(2)
with v1:
    st.markdown(f"**{tr('churn.clv_hist')}**")
    st.altair_chart(charts.value_histogram(valued[value_col], tr("churn.clv_axis"), tr("churn.users")),
                    width="stretch")
if has_tiers:
    by_tier = (valued.assign(tier=valued["tier"].astype("str")).groupby("tier")[value_col].mean()
               .reindex([t for t in tier_label if t in set(valued["tier"].astype("str"))]).reset_index())
    by_tier["tier"] = by_tier["tier"].map(tier_label)
    with v2:
        st.markdown(f"**{tr('churn.clv_by_tier')}**")
        st.altair_chart(charts.value_by_group(by_tier, "tier", value_col, tr("churn.col.tier"),
                                              tr("churn.clv_axis")), width="stretch")
st.caption(tr("churn.clv_caption"))
