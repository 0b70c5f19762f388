"""The quarterly report's KPI table (核心业绩完成情况) and the Overview's KPI cards at quarter grain
show one value per (KPI, quarter): the actual, the 环比 and the 同比, for a complete quarter
(compared with whole quarters) and for the quarter still running (compared on the same number of
days from the comparison quarter's start, by the one rule ``opslab.core.periods.compared_days``),
on the sample and on the CDNOW real purchase log (tests/realdata.py). The running quarter's
same-days 环比/同比 of GMV and paying users are also checked against plain pandas over the raw
CDNOW file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opslab.dataset.dataset import Dataset
from opslab.dataset.load import load_sample
from opslab.metrics import catalogue_values
from opslab.metrics import kpi_table as metrics
from opslab.report.content import kpi_table
from tests.realdata import cdnow_truth

#: Report KPI -> the Overview card showing the same catalogue figure.
CARD = {"gmv": "gmv", "paying_users": "paying_users", "new_users": "new_users",
        "paid_conversion": "paid_conversion", "dau_avg": "dau"}
RUNNING_END = pd.Timestamp("1998-05-20")  # CDNOW cut inside 1998Q2: the quarter still runs


@pytest.fixture(scope="module")
def cdnow_raw() -> pd.DataFrame:
    return cdnow_truth()


def _cdnow(raw: pd.DataFrame, last=None) -> Dataset:
    raw = raw if last is None else raw[raw["date"] <= last]
    orders = pd.DataFrame({"user_id": raw["customer_id"], "order_time": raw["date"],
                           "amount": raw["dollar_value"].astype(float)})
    return Dataset.from_tables(orders=orders)


@pytest.fixture(scope="module")
def datasets(cdnow_raw):
    return {"sample": load_sample(), "cdnow": _cdnow(cdnow_raw), "cdnow_running": _cdnow(cdnow_raw, RUNNING_END)}


def _quarters(ds: Dataset) -> dict[str, pd.Timestamp]:
    """The latest complete quarter with a complete quarter before it, and the running one."""
    frame = metrics.kpis(ds, "quarter")
    out = {}
    done = [q for q in frame.index[frame["complete"]] if metrics.shift_period(q, "quarter", -1) in frame.index
            and frame.loc[metrics.shift_period(q, "quarter", -1), "complete"]]
    if done:
        out["complete"] = done[-1]
    last = frame.index[-1]
    if not frame.loc[last, "complete"] and last >= pd.Timestamp(ds.start):
        out["running"] = last
    return out


def _same(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("which,kind", [("sample", "complete"), ("sample", "running"),
                                        ("cdnow", "complete"), ("cdnow_running", "running")])
def test_report_kpi_table_equals_the_overview_cards(datasets, which, kind):
    ds = datasets[which]
    q = _quarters(ds)[kind]
    cards = metrics.kpi_cards(ds, "quarter", q)
    table = kpi_table(ds, f"{q.year}Q{(q.month - 1) // 3 + 1}", pd.DataFrame())
    compared = 0
    for kpi, card in CARD.items():
        got, want = table.loc[kpi], cards.loc[card]
        for col, other in (("actual", "value"), ("pop", "pop_change"), ("yoy", "yoy_change")):
            assert _same(float(got[col]), float(want[other])), (which, kind, kpi, col, got[col], want[other])
        compared += int(np.isfinite(float(want["pop_change"])))
    # 环比 is shown for GMV, paying users and DAU at least (CDNOW has no new users after its
    # first quarter), so the equality compares numbers, not blanks
    assert compared >= 3
    # the table's other figures are the catalogue's for the same days
    end = min(metrics.period_end(q, "quarter"), pd.Timestamp(ds.end))
    for kpi in ("dau_peak", "m1_all", "m3_all"):
        want = float(catalogue_values.values(ds, kpi, "quarter", start=q, end=end).loc[q])
        assert _same(float(table.loc[kpi, "actual"]), want), (which, kind, kpi)


def _gmv_payers(raw: pd.DataFrame, a, b) -> tuple[float, int]:
    inside = raw[(raw["date"] >= pd.Timestamp(a)) & (raw["date"] <= pd.Timestamp(b))]
    return float(inside["dollar_value"].sum()), int(inside["customer_id"].nunique())


def test_running_quarter_is_compared_on_the_same_days_by_pandas(datasets, cdnow_raw):
    """CDNOW cut on 1998-05-20: 1998Q2 has run 50 days, so its 环比 is against 1998-01-01..
    1998-02-19 and its 同比 against 1997-04-01..1997-05-20 (the old Overview compared it with
    the whole of 1998Q1 and 1997Q2: a fake fall of about 45 %)."""
    ds = datasets["cdnow_running"]
    q = pd.Timestamp("1998-04-01")
    assert _quarters(ds)["running"] == q
    days = (RUNNING_END - q).days + 1
    now = _gmv_payers(cdnow_raw, q, RUNNING_END)
    prev = _gmv_payers(cdnow_raw, "1998-01-01", pd.Timestamp("1998-01-01") + pd.Timedelta(days=days - 1))
    yago = _gmv_payers(cdnow_raw, "1997-04-01", pd.Timestamp("1997-04-01") + pd.Timedelta(days=days - 1))
    cards = metrics.kpi_cards(ds, "quarter", q)
    table = kpi_table(ds, "1998Q2", pd.DataFrame())
    for i, kpi in enumerate(("gmv", "paying_users")):
        assert cards.loc[kpi, "value"] == pytest.approx(now[i])
        assert cards.loc[kpi, "pop_change"] == pytest.approx(now[i] / prev[i] - 1)
        assert cards.loc[kpi, "yoy_change"] == pytest.approx(now[i] / yago[i] - 1)
        assert table.loc[kpi, "pop"] == pytest.approx(now[i] / prev[i] - 1)
    whole_prev = _gmv_payers(cdnow_raw, "1998-01-01", "1998-03-31")[0]
    assert abs(cards.loc["gmv", "pop_change"] - (now[0] / whole_prev - 1)) > 0.2  # not the whole quarter
    # a cohort still converting is not compared, on both
    assert np.isnan(cards.loc["paid_conversion", "pop_change"]) and np.isnan(table.loc["paid_conversion", "pop"])
