"""A purchase-only log (issue 21): an events-shaped file with only a user and a time is either
activity or purchases, decided once per upload from its headers and file name, said with the
evidence, and switchable (``opslab.load(..., rows=)``, ``--rows``, the Data page).

Figures are checked against plain pandas over the raw file (BTYDplus ``groceryElog``,
``tests/corpus/grocery_elog``: 10,483 transactions of 1,525 customers as documented there).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opslab
from opslab import __main__ as cli
from opslab.core.problems import INFO, WARNING
from opslab.dataset.load import files_key
from opslab.ingest.choices import Choices
from tests.corpus.truths import CORPUS

GROCERY = CORPUS / "grocery_elog" / "grocery_elog.csv"
TODAY = "2025-01-01"


def _raw() -> pd.DataFrame:
    return pd.read_csv(GROCERY, dtype=str, keep_default_na=False)


def _note(result, prefix="decide.rows."):
    notes = [p for name, p in result.problems if p.code.startswith(prefix)]
    assert len(notes) == 1, [p.code for _, p in result.problems]
    return notes[0]


def _monthly(ds) -> pd.DataFrame:
    k = opslab.kpis(ds, grain="month").frame
    k.index = pd.DatetimeIndex(k.index).strftime("%Y-%m")
    return k


@pytest.fixture(scope="module")
def grocery():
    return opslab.load(str(GROCERY))


def test_the_grocery_log_is_read_as_purchases_and_says_why(grocery):
    d = grocery.decisions
    assert d.choices.rows == "purchases"
    assert d.rows["basis"] == "evidence" and d.rows["activity"] == ()
    assert set(d.rows["purchases"]) == {"cust", "grocery_elog.csv"}  # the buyer column and the file name
    raw = _raw()
    note = _note(grocery)
    assert note.code == "decide.rows.purchases.evidence" and note.severity == INFO
    # what each reading moves: every row an order, distinct customers paying
    assert note.params["n"] == f"{len(raw):,}" and note.params["users"] == f"{raw['cust'].nunique():,}"
    assert (d.rows["n"], d.rows["users"]) == (10_483, 1_525)


def test_overview_orders_and_customers_per_month_equal_plain_pandas(grocery):
    raw = _raw()
    month = pd.to_datetime(raw["date"], format="%Y-%m-%d").dt.strftime("%Y-%m")
    want_orders = raw.groupby(month).size()
    want_customers = raw.groupby(month)["cust"].nunique()
    ds = grocery.dataset
    assert not ds.has_amounts and ds.currency == ""
    k = _monthly(ds)
    assert k["orders"].reindex(want_orders.index).astype(int).to_dict() == want_orders.to_dict()
    assert k["paying_users"].reindex(want_customers.index).astype(int).to_dict() == want_customers.to_dict()
    assert k["gmv"].isna().all()  # no amounts: money absent, never 0
    assert len(ds.orders) == len(raw) and ds.orders["user_id"].nunique() == raw["cust"].nunique()


def test_the_reading_switches_to_activity_through_load(grocery):
    res = opslab.load(str(GROCERY), rows="activity")
    assert res.decisions.choices.rows == "activity" and res.decisions.rows["basis"] == "forced"
    assert res.decisions.rows["auto"] == "purchases"  # what the evidence says, for the switch's label
    assert len(res.dataset.orders) == 0
    assert int(_monthly(res.dataset)["paying_users"].fillna(0).sum()) == 0
    note = _note(res)
    assert note.code == "decide.rows.activity.forced" and note.params["n"] == "10,483"
    # same users active either way
    assert res.dataset.n_users == grocery.dataset.n_users == 1_525
    # the reading is part of the content key: the activity reading keeps the key it had before
    # the choice existed (a rows-less Choices), purchases make another
    assert dict(res.files[0].choices).get("rows") is None
    assert dict(grocery.files[0].choices)["rows"] == "purchases"
    assert files_key(list(res.files)) != files_key(list(grocery.files))


def test_stored_keys_stay_valid():
    before = tuple((k, v) for k, v in Choices().as_tuple() if k != "rows")
    assert Choices().as_tuple() == Choices(rows="activity").as_tuple() == before
    assert ("rows", "purchases") in Choices(rows="purchases").as_tuple()
    assert Choices.from_tuple(Choices(rows="purchases").as_tuple()).rows == "purchases"
    with pytest.raises(ValueError):
        Choices(rows="sometimes")


NO_EVIDENCE = "uid,ts\nu1,2024-01-05\nu2,2024-01-05\nu1,2024-01-20\nu3,2024-02-02\nu1,2024-02-03\n"


def test_without_evidence_the_rows_stay_activity_and_the_choice_is_offered():
    res = opslab.load(("export.csv", NO_EVIDENCE.encode()), today=TODAY)
    assert res.decisions.choices.rows == "activity"
    assert res.decisions.rows["basis"] == "none"
    note = _note(res)
    assert note.code == "decide.rows.activity.none" and note.severity == WARNING  # shown prominently
    assert (note.params["n"], note.params["users"]) == ("5", "3")                  # what purchases would give
    assert len(res.dataset.orders) == 0 and res.dataset.n_users == 3
    bought = opslab.load(("export.csv", NO_EVIDENCE.encode()), today=TODAY, rows="purchases")
    k = _monthly(bought.dataset)
    assert k.loc["2024-01", "orders"] == 3 and k.loc["2024-01", "paying_users"] == 2
    assert k.loc["2024-02", "orders"] == 2 and k.loc["2024-02", "paying_users"] == 2
    assert not bought.dataset.has_amounts and k["gmv"].isna().all()


@pytest.mark.parametrize("name,csv,evidence", [
    ("cdnow.csv", "customer_id,date\n1,19970101\n2,19970102\n1,19970105\n", {"customer_id"}),
    ("导出.csv", "会员ID,购买日期\nm1,2024-01-05\nm2,2024-01-06\nm1,2024-01-09\n", {"购买日期"}),
    ("transactions.csv", "id,day\na,2024-01-05\nb,2024-01-06\na,2024-01-09\n", {"transactions.csv"}),
    ("log.csv", "user_id,date,qty\na,2024-01-05,2\nb,2024-01-06,1\na,2024-01-09,3\n", {"qty"}),
])
def test_other_purchase_logs_of_the_same_shape_are_purchases(name, csv, evidence):
    res = opslab.load((name, csv.encode()), today=TODAY)
    assert res.decisions.choices.rows == "purchases", res.files[0].mapping
    assert evidence <= set(res.decisions.rows["purchases"])
    assert len(res.dataset.orders) == 3 and res.dataset.orders["user_id"].nunique() == 2


def test_activity_evidence_and_conflicts_keep_activity():
    logins = opslab.load(("logins.csv", NO_EVIDENCE.encode()), today=TODAY)
    assert logins.decisions.rows["basis"] == "evidence" and logins.decisions.choices.rows == "activity"
    assert _note(logins).code == "decide.rows.activity.evidence"
    both = opslab.load(("visits.csv", NO_EVIDENCE.replace("uid", "customer").encode()), today=TODAY)
    assert both.decisions.rows["basis"] == "conflict" and both.decisions.choices.rows == "activity"
    note = _note(both)
    assert note.severity == WARNING and note.params["evidence"] == "customer" and note.params["against"] == "visits.csv"
    assert len(both.dataset.orders) == 0


def test_named_events_and_orders_files_have_no_rows_choice():
    named = "user_id,event_time,event_name\nu1,2024-01-05,login\nu2,2024-01-06,purchase\n"
    res = opslab.load(("events.csv", named.encode()), today=TODAY, rows="purchases")
    assert res.decisions.rows == {} and res.decisions.choices.rows == "auto"
    assert not [p for _, p in res.problems if p.code.startswith("decide.rows.")]
    assert len(res.dataset.orders) == 1  # only the purchase event, the login stays a visit
    orders = "customer_id,order_date,amount\nc1,2024-01-05,10\n"
    assert opslab.load(("orders.csv", orders.encode()), today=TODAY).decisions.rows == {}


def test_command_line_takes_the_rows_reading(tmp_path, monkeypatch, capsys):
    path = tmp_path / "export.csv"
    path.write_text(NO_EVIDENCE, encoding="utf-8")
    seen = {}

    class Stop(Exception):
        pass

    def stop(loaded, targets_file=None):
        seen["loaded"] = loaded
        raise Stop

    monkeypatch.setattr(cli, "report_targets", stop)
    with pytest.raises(Stop):
        cli.main(["report", "--data", str(path), "--period", "2024-01", "--lang", "en", "--rows", "purchases"])
    loaded = seen["loaded"]
    assert loaded.decisions.choices.rows == "purchases" and len(loaded.dataset.orders) == 5
    assert "read as purchases, as you chose" in capsys.readouterr().out
    with pytest.raises(Stop):
        cli.main(["report", "--data", str(path), "--period", "2024-01", "--lang", "en"])
    assert len(seen["loaded"].dataset.orders) == 0  # no evidence: activity, as before
    with pytest.raises(SystemExit):
        cli.main(["report", "--data", str(path), "--period", "2024-01", "--rows", "sometimes"])
    assert np.isnan(opslab.kpis(loaded.dataset, grain="month").frame["gmv"]).all()


def test_an_orders_file_beside_the_log_points_to_activity():
    orders = "customer_id,order_date,amount\nu1,2024-01-05,10\nu3,2024-02-02,5\n"
    res = opslab.load(("export.csv", NO_EVIDENCE.encode()), ("orders.csv", orders.encode()), today=TODAY)
    assert res.decisions.rows["activity"] == ("orders.csv",) and res.decisions.choices.rows == "activity"
    assert len(res.dataset.orders) == 2  # the orders file's orders only
