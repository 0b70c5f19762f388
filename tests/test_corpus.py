"""Real public exports of different shapes, loaded as a user would, against independent truths.

Each data set in ``tests/corpus/`` (sources, licences and quirks in its README.md) is loaded with
``opslab.load`` exactly as committed; ``currency=`` / ``tz=`` are passed only where issue 21 says
a user has to choose (no evidence in the file). Its Overview figures (``opslab.kpis``) and row
reconciliation are compared with ``tests/corpus/truths.py``, plain pandas over the raw files.

Issue 21 (deliverable 7): every shape, every figure, no expected failure. Where the upload
has to choose (identical order lines kept, an order without items valued by its payments) the
truth follows the choice the upload states, and the other choice is tested against its own truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opslab
from opslab.report.format import kpi_change_text, value_text
from tests.corpus import truths as tr

#: How a user loads each data set: the files, and the choices a user would have to make.
LOADS = {
    # Currency: cells say £ (gift vouchers) and a Country column says United Kingdom: no choice.
    "online_retail": {},
    # Nothing in the four files names the currency (reais): the user has to choose it.
    "olist": {"currency": "BRL"},
    # Unix seconds: the time zone is the user's one choice for the upload (Beijing days).
    "taobao_userbehavior": {"tz": "Asia/Shanghai"},
    "taobao_cn_price": {"tz": "Asia/Shanghai"},
    # Chinese headers on a Tmall report: CNY from the file's language; local times, no choice.
    "tmall_order_report": {},
    # Times carry "UTC"; the publisher never states the currency of the prices: the user chooses.
    "rees46_sessions": {"currency": "USD"},
    # Olist's own pre-joined table: no currency anywhere in it; the user chooses reais.
    "olist_prejoined": {"currency": "BRL"},
    # A purchase log with customer id and day only: no amounts, no time of day: nothing to choose
    # (the rows are read as purchases from the "cust" header and the file name, see rows=).
    "grocery_elog": {},
    # GBK, Chinese headers, a Taobao shop: CNY and the encoding from the file itself.
    "taobao_gbk_orders": {},
    # The second Olist sample: every kind of order status, repeat buyers; reais chosen by the user.
    "olist_statuses": {"currency": "BRL"},
}

def cases(test: str, names=tuple(LOADS)):
    """The data sets a test runs on, each its own test id."""
    return [pytest.param(n, id=n) for n in names]


_TRUTHS: dict[str, tr.Truth] = {}
_LOADED: dict[str, tuple] = {}


def truth_of(name: str) -> tr.Truth:
    """A data set's truth, computed once per test session."""
    if name not in _TRUTHS:
        _TRUTHS[name] = tr.TRUTHS[name]()
    return _TRUTHS[name]


def loaded(name: str):
    """(truth, LoadResult) for a data set, loaded once per test session."""
    if name not in _LOADED:
        truth = truth_of(name)
        result = opslab.load(*[str(p) for p in truth.files.values()], **LOADS[name])
        _LOADED[name] = (truth, result)
    return _LOADED[name]


def dataset(name: str):
    truth, result = loaded(name)
    assert result.dataset is not None, f"{name}: no data set ({[p.code for _, p in result.problems]})"
    return truth, result.dataset


def attributable(truth) -> pd.DataFrame:
    """The truth's monthly figures of the rows OpsLab attributes to a customer. Rows without a
    customer id are set aside with a warning (docs/DEFINITIONS.md §2): the Overview shows the
    rest, and the set-aside rows' money is in the reconciliation (tested below)."""
    return truth.monthly if truth.split is None else truth.split.loc[True]


def monthly(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(truth's monthly frame, OpsLab's monthly KPIs re-indexed by ``YYYY-MM``)."""
    truth, ds = dataset(name)
    k = opslab.kpis(ds, grain="month").frame
    k.index = pd.DatetimeIndex(k.index).strftime("%Y-%m")
    return attributable(truth), k


def _no_extra_activity(truth_frame: pd.DataFrame, k: pd.DataFrame, column: str) -> None:
    """Months OpsLab shows outside the truth's months carry nothing."""
    extra = k.loc[~k.index.isin(truth_frame.index), column]
    assert (extra.fillna(0) == 0).all(), f"{column} outside the data's months: {extra[extra != 0].to_dict()}"


# --- rows: every row of every file accounted for ---------------------------------------------------

@pytest.mark.parametrize("name", cases("rows"))
def test_every_row_of_every_file_is_accounted_for(name):
    truth, result = loaded(name)
    rec = result.reconciliation()
    for file, rows in truth.rows.items():
        parts = rec[rec["file"] == file].set_index("part")["rows"]
        assert parts["input"] == rows, f"{file}: {parts['input']} rows read, the file has {rows}"
        assert parts["kept"] + parts["rejected"] + parts["dropped"] == rows, f"{file}: {parts.to_dict()}"


@pytest.mark.parametrize("name", cases("loads"))
def test_the_export_loads_into_a_data_set(name):
    truth, result = loaded(name)
    assert result.dataset is not None, [p.code for _, p in result.problems]


# --- money ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", cases("currency"))
def test_currency_is_the_data_sets_own(name):
    truth, ds = dataset(name)
    # A log without amounts has no currency to state (None or empty), never an assumed one.
    assert (ds.currency or None) == truth.currency


def _money_column(k: pd.DataFrame, truth_column: str) -> pd.Series:
    """OpsLab's monthly money figure matching a truth column: ``gmv`` is net (netting is the
    default); gross and refunds under their own name once the Overview shows them."""
    candidates = {"net": ["gmv"], "gross": ["gross_gmv", "gmv_gross", "gross"],
                  "refunds": ["refunds", "gmv_refunds"]}[truth_column]
    for c in candidates:
        if c in k.columns:
            return k[c]
    raise AssertionError(f"no {truth_column} column among {list(k.columns)}")


def _assert_money(name: str, truth_column: str) -> None:
    truth_m, k = monthly(name)
    expected = truth_m[truth_column]
    if expected.isna().all():
        # No amounts in the data: the money KPI is absent or NaN, never 0.
        if "gmv" in k.columns:
            assert k["gmv"].isna().all(), f"money shown where the data hold none: {k['gmv'].to_dict()}"
        return
    got = _money_column(k, truth_column).reindex(expected.index)
    assert got.round(2).to_dict() == pytest.approx(expected.round(2).to_dict(), abs=0.011)
    _no_extra_activity(truth_m, k, "gmv")


@pytest.mark.parametrize("name", cases("net_gmv"))
def test_monthly_net_gmv_equals_the_truth(name):
    _assert_money(name, "net")


@pytest.mark.parametrize("name", cases("gross_gmv"))
def test_monthly_gross_gmv_and_refunds_equal_the_truth(name):
    _assert_money(name, "gross")
    _assert_money(name, "refunds")


#: Data sets with money over at least two whole quarters: the quarterly 环比 is meaningful.
QUARTERLY = ("online_retail", "olist", "olist_prejoined", "olist_statuses")


@pytest.mark.parametrize("name", cases("quarterly_net_gmv", QUARTERLY))
def test_quarterly_net_gmv_and_its_change_equal_the_truth(name):
    truth, ds = dataset(name)
    k = opslab.kpis(ds, grain="quarter").frame
    k.index = pd.PeriodIndex(pd.DatetimeIndex(k.index), freq="Q").astype(str)
    expected = truth.quarterly["net"]
    if truth.split is not None:  # the attributable rows' months, summed into quarters
        months = attributable(truth)["net"]
        expected = months.groupby(pd.PeriodIndex(months.index, freq="Q").astype(str)).sum()
    got = k["gmv"].reindex(expected.index)
    assert got.round(2).to_dict() == pytest.approx(expected.round(2).to_dict(), abs=0.011)
    # 环比 of every quarter: same sign as the truth's (the report said -20.6 % for +21.5 %).
    assert (np.sign(got.pct_change().dropna()) == np.sign(expected.pct_change().dropna())).all()


@pytest.mark.parametrize("name", cases("quarterly_report", QUARTERLY))
def test_the_quarterly_report_states_gmv_its_change_and_currency_as_the_truth(name):
    """The report a lead hands up (issue 21: it said GMV ¥21.8万, 环比 -20.6 % for a quarter of
    2.20 M pounds, +21.5 %): the last whole quarter with one before it, from the raw file."""
    truth, result = loaded(name)
    months = attributable(truth)["net"]
    quarters = months.groupby(pd.PeriodIndex(months.index, freq="Q").astype(str)).sum()
    period, before = quarters.index[-2], quarters.index[-3]
    report = opslab.quarterly_report(result, period, lang="zh")
    gmv = report.kpis.loc["gmv"]
    assert (report.currency or None) == truth.currency
    assert gmv["actual"] == pytest.approx(quarters[period], abs=0.01)
    assert gmv["previous"] == pytest.approx(quarters[before], abs=0.01)
    assert gmv["pop"] == pytest.approx(quarters[period] / quarters[before] - 1, abs=1e-9)
    html = report.to_html()
    assert value_text("gmv", gmv["actual"], "zh", truth.currency) in html  # "£11.7万", with its currency
    assert kpi_change_text("gmv", gmv["actual"], gmv["previous"], "zh") in html


# --- orders and customers -------------------------------------------------------------------------

@pytest.mark.parametrize("name", cases("orders"))
def test_monthly_orders_equal_the_truth(name):
    truth_m, k = monthly(name)
    assert k["orders"].reindex(truth_m.index).fillna(0).astype(int).to_dict() == truth_m["orders"].to_dict()
    _no_extra_activity(truth_m, k, "orders")


#: Data sets whose files identify buyers (the Tmall report and Olist's pre-joined table have no
#: buyer id: nobody to count).
WITH_BUYERS = tuple(n for n in LOADS if n not in ("tmall_order_report", "olist_prejoined"))


@pytest.mark.parametrize("name", cases("customers", WITH_BUYERS))
def test_monthly_paying_customers_equal_the_truth(name):
    truth_m, k = monthly(name)
    got = k["paying_users"].reindex(truth_m.index).fillna(0).astype(int).to_dict()
    assert got == truth_m["customers"].to_dict()


# --- behaviour logs: users per local day ----------------------------------------------------------

@pytest.mark.parametrize("name", cases("daily_users", ("taobao_userbehavior", "taobao_cn_price", "rees46_sessions")))
def test_distinct_users_per_local_day_equal_the_truth(name):
    truth, ds = dataset(name)
    k = opslab.kpis(ds, grain="day").frame
    k.index = pd.DatetimeIndex(k.index).strftime("%Y-%m-%d")
    # The bulk of the log (days with at least 20 users; UserBehavior has stray early rows).
    expected = truth.daily_users.loc[truth.daily_users["users"] >= 20, "users"]
    assert k["active_users"].reindex(expected.index).fillna(0).astype(int).to_dict() == expected.to_dict()


# --- the truths themselves: checks of the raw files that do not depend on OpsLab -------------------

def test_truths_hold_the_known_shape_of_each_export():
    """Guards against a wrong truth: counts that a reader of each file can check by hand."""
    retail = truth_of("online_retail")
    assert retail.rows == {"online_retail.csv": 35_754}
    assert retail.totals["duplicate_rows"] == 240  # repeats of a whole line (kept by default)
    assert retail.totals["cancellation_rows"] == 466 and retail.totals["rows_without_customer"] == 10_409
    once = tr.online_retail_truth(keep_duplicates=False)
    assert retail.totals["net"] - once.totals["net"] == pytest.approx(retail.totals["duplicate_amount"], abs=0.01)
    # The two largest sales of the file, each cancelled within minutes, are in the sample:
    # their cancellations dominate the refunds of January and December 2011.
    assert retail.monthly.loc["2011-01", "refunds"] > 77_000 and retail.monthly.loc["2011-12", "refunds"] > 168_000
    assert len(retail.monthly) == 13 and (retail.monthly["net"] > 0).all()
    olist = truth_of("olist")
    assert olist.totals["orders_in_file"] == 4_000 and olist.totals["not_sold_orders"] == 40
    # Orders without any item row take their payments (all of them canceled or unavailable here).
    o = tr.olist_orders()
    assert o.loc[o["items_amount"].isna(), "status"].isin(tr.OLIST_NOT_SOLD).all()
    # Items (price + freight) and payments agree for sold orders to within vouchers/interest.
    pay = tr.olist_truth(amount="payments")
    assert pay.totals["net"] == pytest.approx(olist.totals["net"], rel=0.02)
    ub = truth_of("taobao_userbehavior")
    assert ub.totals["purchases"] == 77 and np.isnan(ub.totals["gross"])
    cn = truth_of("taobao_cn_price")
    assert cn.monthly["orders"].sum() == cn.totals["purchases"]
    tmall = truth_of("tmall_order_report")
    # The report's own identity: what buyers paid = totals of paid orders - refunds.
    assert tmall.totals["paid_by_buyers"] == pytest.approx(tmall.totals["net"], abs=0.01)
    assert tmall.totals["paid_orders"] + tmall.totals["unpaid_orders"] == 28_010
    rees = truth_of("rees46_sessions")
    assert rees.rows == {"2019-Oct-head.csv": 17_434} and rees.totals["purchases"] == 214
    joined = truth_of("olist_prejoined")
    assert joined.rows == {"olist_classified_public_dataset.csv": 3_584} and joined.totals["not_sold_orders"] == 25
    grocery = truth_of("grocery_elog")
    # BTYDplus documents 10,483 transactions of 1,525 customers, all first buying in 2006Q1.
    assert (grocery.totals["orders"], grocery.totals["customers"]) == (10_483, 1_525)
    assert grocery.quarterly.loc["2006Q1", "customers"] == 1_525
    statuses = truth_of("olist_statuses")
    # Every order of a person kept: 627 canceled/unavailable orders, people with several orders.
    assert statuses.totals["not_sold_orders"] == 627 and statuses.totals["customers"] < statuses.totals["orders"]
    gbk = truth_of("taobao_gbk_orders")
    assert gbk.rows == {"1月.csv": 50} and gbk.totals["net"] == pytest.approx(4_085.86, abs=0.005)


def test_truths_md_is_current():
    """tests/corpus/TRUTHS.md (the figures other work compares with) is what truths.py computes."""
    written = (tr.CORPUS / "TRUTHS.md").read_text(encoding="utf-8")
    assert written == tr.markdown({name: truth_of(name) for name in tr.TRUTHS}), \
        "regenerate: python tests/corpus/truths.py --markdown > tests/corpus/TRUTHS.md"


def test_every_corpus_file_has_a_truth_and_a_readme_entry():
    """No data file sits in tests/corpus/ without a truth over it and its source in the README."""
    committed = {p for p in tr.CORPUS.glob("*/*") if p.is_file()}
    with_truth = {p for name in tr.TRUTHS for p in truth_of(name).files.values()}
    assert committed == with_truth
    readme = (tr.CORPUS / "README.md").read_text(encoding="utf-8")
    for folder in {p.parent.name for p in committed}:
        assert f"`{folder}/`" in readme and f"## {folder}/" in readme, f"{folder} is not described in README.md"


@pytest.mark.parametrize("name", [n for n in LOADS if n == "online_retail"])
def test_money_without_a_customer_is_set_aside_and_shown(name):
    """No money is lost silently: the lines without a customer id are not in the Overview, and
    the reconciliation shows them with their amount (the truth's rows without a CustomerID)."""
    truth, result = loaded(name)
    rec = result.reconciliation()
    missing = truth.split.loc[False]
    lost = rec[rec["part"] == "rejected"]
    assert truth.totals["rows_without_customer"] <= int(lost["rows"].sum())
    shown = float(lost["amount"].sum())
    assert shown == pytest.approx(float(missing["net"].sum()), rel=0.001)


def test_repeated_lines_counted_once_when_the_user_drops_duplicates():
    """The upload keeps whole-line repeats of an order-line export and says so with their money;
    ``duplicates="drop"`` counts each once, and the Overview then equals the truth that does."""
    truth, result = loaded("online_retail")
    kept = {p.code: p for _, p in result.problems}["validate.duplicate_lines_kept"]
    once = tr.online_retail_truth(keep_duplicates=False)
    dropped = opslab.load(*[str(p) for p in once.files.values()], duplicates="drop").dataset
    k = opslab.kpis(dropped, grain="month").frame
    k.index = pd.DatetimeIndex(k.index).strftime("%Y-%m")
    expected = once.split.loc[True]["net"]
    assert k["gmv"].reindex(expected.index).round(2).to_dict() == pytest.approx(expected.round(2).to_dict(), abs=0.011)
    # the money the upload names for the repeats is the difference the choice makes
    moved = attributable(truth)["net"].sum() - expected.sum()
    assert float(kept.params["amount"]) == pytest.approx(moved, abs=0.01)


# --- orders without a buyer id: money and orders, never a customer counted ---------------------------

#: The exports whose files name no buyer (issue 21): orders and money load, customers cannot be counted.
WITHOUT_BUYERS = ("tmall_order_report", "olist_prejoined")


@pytest.mark.parametrize("name", WITHOUT_BUYERS)
def test_without_a_buyer_id_customers_are_nan_and_said_once(name):
    truth, result = loaded(name)
    ds = result.dataset
    assert ds.buyers_known is False
    assert truth.monthly["customers"].isna().all()  # the truth: none can be counted
    k = opslab.kpis(ds, grain="month").frame
    for column in ("paying_users", "active_users", "new_users", "arppu", "arpu", "paid_conversion", "dau"):
        assert k[column].isna().all(), f"{column} counted from anonymous orders: {k[column].dropna().to_dict()}"
    # money and orders stay, equal to the truth's totals
    assert float(k["gmv"].sum()) == pytest.approx(truth.totals["net"], abs=0.01)
    assert float(k["gmv_gross"].sum()) == pytest.approx(truth.totals["gross"], abs=0.01)
    assert float(k["refunds"].sum()) == pytest.approx(truth.totals["refunds"], abs=0.01)
    assert int(k["orders"].sum()) == truth.totals["orders"]
    notes = [p for _, p in result.problems if p.code == "decide.buyers.none"]
    assert len(notes) == 1 and notes[0].count == len(ds.orders)
    with pytest.raises(opslab.OpsLabError) as err:
        opslab.segment(ds)
    assert err.value.code == "api.no_buyers"
