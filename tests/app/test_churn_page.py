"""The churn page: honest readout (verdict, base rate, lift), the list with a reason for every
flagged user, P(alive) and expected purchases, an editable CLV margin, the rules in force from
Lifecycle, a past cutoff on real data, and the empty state."""

from __future__ import annotations

import re

import numpy as np
import pytest

import opslab
from opslab.present import formatting as fmt
from opslab.core.i18n import t
from opslab.dataset.load import load_sample
from opslab.models import churn
from tests.app.conftest import open_app
from tests.number_style import follows, shown_cells

PAGE = "views/churn.py"
pytestmark = pytest.mark.slow


def _list(at):
    frames = [d.value for d in at.dataframe if "reasons" in d.value.columns]
    return frames[0] if frames else None


def _metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def _verdict(at) -> str:
    boxes = [*at.success, *at.info, *at.warning]
    texts = [b.value for b in boxes if "ROC AUC" in b.value or "validated" in b.value]
    return texts[0] if texts else ""


def test_page_shows_an_honest_readout_and_a_reason_for_everyone():
    at = open_app("en", PAGE)
    assert not at.exception
    assert at.title[0].value == "Churn risk"
    verdict = _verdict(at)
    assert verdict.split(":")[0] in ("Strong", "Usable", "Weak")
    assert "days since last activity alone" in verdict or "No model beat" in verdict
    m = _metrics(at)
    base = float(m["Base rate (churn anyway)"].rstrip("%"))
    precision = float(m["Precision on validation"].rstrip("%"))
    lift = float(m["Lift over base rate"].rstrip("×"))
    assert 0 < base < 100 and lift == pytest.approx(precision / base, abs=0.051)  # "1.8×": one decimal
    card = at.dataframe[0].value
    assert {"Days since last activity (baseline)", "Logistic regression"} <= set(card.index)
    # one AUC: the verdict's ROC AUC is the card's for the chosen model, on the same users
    aucs = [float(x) for x in re.findall(r"0\.\d{2,3}", verdict)]
    chosen = next(i for i in card.index if card.loc[i, "roc_auc"] == pytest.approx(aucs[0], abs=5e-4)) if aucs else None
    assert chosen is not None, (verdict, card["roc_auc"].tolist())
    assert "not churned at the validation cutoff" in verdict
    assert any("measures the same users as the verdict" in c.value for c in at.caption)
    listed = _list(at)
    assert listed is not None and len(listed) > 0
    assert listed["reasons"].str.len().gt(0).all()  # a reason for every flagged customer
    paid = listed["spend_all"] > 0  # P(alive) and expected purchases come from purchases
    assert listed.loc[paid, "p_alive"].between(0, 1).all() and listed.loc[~paid, "p_alive"].isna().all()
    assert listed.loc[paid, "expected_purchases"].ge(0).all()
    assert listed["risk"].between(0.5, 1).all()  # above the threshold (50 %)
    shown = shown_cells(next(d for d in at.dataframe if "reasons" in d.value.columns))  # in %, like the threshold
    assert shown["risk"] == [f"{100 * r:.1f}%" for r in listed["risk"]]
    assert all(follows("money", s) for s in shown["clv"] + shown["value_at_risk"] + shown["spend_all"])
    assert any("30%" in c.value for c in at.caption)  # the CLV margin is stated


def test_readout_and_list_equal_the_engine():
    """Base rate, precision, recall, the flagged count and the listed customers' risk equal
    opslab.churn_risk on the same data with the page's defaults (last day, 28-day horizon,
    activity label, rules in force, threshold 50 %)."""
    at = open_app("en", PAGE)
    assert at.number_input(key="churn_horizon").value == churn.DEFAULT_HORIZON
    assert at.slider(key="churn_threshold").value == 50
    ds = load_sample()
    res = opslab.churn_risk(ds, horizon_days=churn.DEFAULT_HORIZON)
    r = res.readout(0.5)
    m = _metrics(at)
    assert m[t("churn.base_rate", "en")] == fmt.pct(r.base_rate)
    assert m[t("churn.val_precision", "en")] == fmt.pct(r.precision)
    assert m[t("churn.val_recall", "en")] == fmt.pct(r.recall)
    flagged = churn.early_warning(res.scores, 0.5, churn.WATCH_TIERS)
    assert len(flagged) > 0
    assert m[t("churn.flagged_now", "en")] == fmt.count(len(flagged), "en")
    listed = _list(at)
    top = flagged.head(len(listed))  # the page lists the first rows, highest value at risk first
    assert listed["user_id"].astype(str).tolist() == top["user_id"].astype(str).tolist()
    np.testing.assert_allclose(listed["risk"].to_numpy(), top["risk"].to_numpy())
    np.testing.assert_allclose(listed["value_at_risk"].to_numpy(), top["value_at_risk"].to_numpy())
    shown = shown_cells(next(d for d in at.dataframe if "reasons" in d.value.columns))  # the text on screen
    assert shown["risk"] == [fmt.cell(r, "pct", "en") for r in top["risk"]]
    assert shown["value_at_risk"] == [fmt.cell(v, "money", "en", ds.currency) for v in top["value_at_risk"]]


def test_threshold_horizon_and_margin_move_the_results():
    at = open_app("en", PAGE)
    low = len(_list(at))
    precision = _metrics(at)["Precision on validation"]
    clv_before = _list(at).set_index("user_id")["clv"]
    at.slider(key="churn_threshold").set_value(80).run()
    assert not at.exception
    assert len(_list(at)) < low and _metrics(at)["Precision on validation"] != precision
    at.number_input(key="churn_margin").set_value(60).run()
    assert not at.exception
    clv_after = _list(at).set_index("user_id")["clv"]
    common = clv_before.index.intersection(clv_after.index)
    common = common[clv_before[common] > 0]  # users without orders have no value at any margin
    assert len(common) > 0
    assert (clv_after[common] / clv_before[common]).round(6).eq(2.0).all()  # CLV is linear in the margin
    at.number_input(key="churn_horizon").set_value(56).run()
    assert not at.exception
    assert any("56-day outcomes" in c.value for c in at.caption)


def test_rules_edited_on_lifecycle_drive_the_churn_tiers():
    at = open_app("en", "views/lifecycle.py")
    at.number_input(key="lc_churn_days").set_value(21).run()
    assert not at.exception
    assert at.query_params["lc_churn_days"] == ["21"] or at.query_params["lc_churn_days"] == "21"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert any("churned after 21 idle days" in c.value for c in at.caption)
    listed = _list(at)
    tiers = set(listed["tier"]) if listed is not None else set()
    assert "Churned" not in tiers


def test_past_cutoff_on_real_purchase_data():
    from bench.realdata_churn import cdnow_dataset
    at = open_app("zh", PAGE, dataset=cdnow_dataset(), timeout=300,
                  query={"churn_as_of": "1998-01-31", "churn_horizon": "150"})
    assert not at.exception
    boxes = [b.value for b in [*at.success, *at.info, *at.warning]]
    assert any("ROC AUC" in b for b in boxes)
    assert any("沉默 152 天为流失" in c.value for c in at.caption)  # the fitted rules are in force
    # the purchase model chosen on a holdout, with the comparison the engine made (issue 26)
    engine = opslab.clv(cdnow_dataset(), as_of="1998-01-31")
    table = next(d.value for d in at.dataframe if t("clv.choice.mae", "zh") in d.value.columns)
    used = table.loc[table[t("clv.choice.chosen", "zh")] == "✓", t("clv.choice.model", "zh")].tolist()
    assert used == [t(f"clv.model.{engine.model}", "zh")]
    np.testing.assert_allclose(table[t("clv.choice.mae", "zh")], engine.model_choice["mae"].round(3))
    assert any(t(f"clv.model.{engine.model}", "zh") in c.value and str(engine.holdout["days"]) in c.value
               for c in at.caption)


def test_a_horizon_with_no_label_window_says_what_was_checked():
    from bench.realdata_churn import cdnow_dataset
    at = open_app("en", PAGE, dataset=cdnow_dataset(), timeout=300,
                  query={"churn_as_of": "1997-09-30", "churn_horizon": "273"})
    assert not at.exception
    engine = opslab.churn_risk(cdnow_dataset(), as_of="1997-09-30", horizon_days=273)
    params = dict(engine.notes)["churn.note.chosen_by_check"]
    shown = [i.value for i in at.info]
    want = t("churn.note.chosen_by_check", "en", **{**params, "model": t(f"churn.model.{params['model']}", "en")})
    assert want in shown


def test_empty_state():
    at = open_app("en", PAGE, dataset=None)
    assert not at.exception
    assert any("No data loaded" in i.value for i in at.info)
    assert not at.get("vega_lite_chart")
