"""The metric catalogue: every entry has its words in both languages, one name per meaning,
a definition that exists (its named SQL block and the columns its expression reads), and
one test per figure that its definition, run on the sample, equals an independent
computation in plain pandas over the raw sample files (sample_data/*.csv)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslab.metrics import catalogue
from opslab.present import formatting as fmt
from opslab.planning import completion
from opslab.metrics import lead_kpis
from opslab.metrics import kpi_table as metrics
from opslab.planning import driver_tree as dtree
from opslab.metrics.catalogue_values import values
from opslab.engine.base import sql_catalog
from opslab.core.i18n import LANGUAGES, catalog
from opslab.dataset.load import load_sample

SAMPLE = Path(__file__).resolve().parents[3] / "sample_data"
HIGH_VALUE = 200.0
KPIS = catalogue.KPIS


# -- the entries ------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_has_its_words(lang):
    for m in catalogue.METRICS:
        for part in ("name", "def", "formula"):
            assert catalog(lang).get(f"catalogue.{m.key}.{part}"), (m.key, part)
        for r in m.related:
            assert catalogue.get(r)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_one_name_per_meaning(lang):
    """Quantities that differ never share a name (新客付费转化率, 付费率 and 日付费率 apart)."""
    names = [catalogue.name(m.key, lang) for m in catalogue.METRICS]
    assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)
    assert len({catalogue.name(k, lang) for k in ("paid_conversion", "paid_rate", "daily_paid_rate")}) == 3


def test_every_figure_points_at_one_existing_definition():
    blocks = sql_catalog()
    for key in KPIS:
        m = catalogue.get(key)
        assert m.unit in catalogue.UNITS and m.up_is_good in (True, False)
        assert (m.sql is None) != (m.python is None), key  # exactly one definition
        if m.sql:
            text = blocks[m.sql]
            assert m.sql_file and f"-- name: {m.sql}" in (SAMPLE.parent / "opslab" / m.sql_file).read_text()
            for column in set(re.findall(r"\b([a-z_]+)\b", m.expr)) - {"mean", "max", "sum", "where", "and",
                                                                         "base", "k", "all", "payer", "high_value"}:
                assert column in text, (key, column)


def test_change_style_rates_in_points_the_rest_in_per_cent():
    assert [k for k in KPIS if catalogue.get(k).change == "pp"] == \
        [k for k in KPIS if catalogue.get(k).unit == "rate"]
    assert catalogue.change(0.30, 0.25, "paid_rate") == pytest.approx(0.05)
    assert fmt.kpi_change(0.05, "paid_rate", "zh") == "+5.0 百分点"
    assert fmt.kpi_change(catalogue.change(120.0, 100.0, "gmv"), "gmv", "en") == "+20.0%"
    assert catalogue.get("cac").up_is_good is False


# -- each figure against pandas on the raw files ------------------------------------------------
@pytest.fixture(scope="module")
def ds():
    return load_sample()


@pytest.fixture(scope="module")
def raw(ds):
    """The sample's raw files and the plain-pandas facts every figure is built from."""
    ev = pd.read_csv(SAMPLE / "events.csv", parse_dates=["event_time"])
    od = pd.read_csv(SAMPLE / "orders.csv", parse_dates=["order_time"])
    users = pd.read_csv(SAMPLE / "users.csv", parse_dates=["signup_time"])
    camp = pd.read_csv(SAMPLE / "campaigns.csv", parse_dates=["start_date", "end_date"])
    paid = od[od["status"] == "paid"].assign(day=lambda f: f["order_time"].dt.normalize())
    act = pd.concat([pd.DataFrame({"user_id": ev["user_id"], "day": ev["event_time"].dt.normalize()}),
                     paid[["user_id", "day"]]]).drop_duplicates()
    days = pd.date_range(pd.Timestamp(ds.start), pd.Timestamp(ds.end), freq="D")
    grid = pd.crosstab(act["user_id"], act["day"]).reindex(columns=days, fill_value=0).gt(0)
    daily = pd.DataFrame({"dau": grid.sum(axis=0)}, index=days)
    for col, w in (("wau", 7), ("mau", 30)):
        rolled = grid.T.astype(int).rolling(w, min_periods=1).max().T.sum(axis=0)
        daily[col] = rolled.where(np.arange(len(days)) >= w - 1)  # unknown, not low, at the start
    daily["paying_users"] = paid.groupby("day")["user_id"].nunique().reindex(days, fill_value=0)
    first_active = act.groupby("user_id")["day"].min()
    signup = users.set_index("user_id")["signup_time"].dt.normalize()
    signup = signup.combine(first_active.reindex(signup.index), lambda s, f: min(s, f) if pd.notna(f) else s)
    first_paid = paid.groupby("user_id")["day"].min().reindex(signup.index)
    return dict(ev=ev, paid=paid, act=act, daily=daily, signup=signup, first_paid=first_paid, camp=camp)


def _months(ds):
    return pd.date_range(pd.Timestamp(ds.start).replace(day=1), pd.Timestamp(ds.end), freq="MS")


def _month_of(s: pd.Series) -> pd.Series:
    return s.dt.to_period("M").dt.to_timestamp()


def _pandas(key: str, raw: dict, ds) -> pd.Series:
    """The figure per calendar month, in plain pandas."""
    months, d = _months(ds), raw["daily"]
    by_month = d.groupby(d.index.to_period("M").to_timestamp())
    act, paid = raw["act"], raw["paid"]
    active = act.groupby(_month_of(act["day"]))["user_id"].nunique()
    payers = paid.groupby(_month_of(paid["day"]))["user_id"].nunique()
    gmv = paid.groupby(_month_of(paid["day"]))["amount"].sum()
    signup, first_paid = raw["signup"], raw["first_paid"]
    cohort = _month_of(signup)
    new = cohort.value_counts()
    conv = cohort[(first_paid - signup).dt.days.lt(30) & first_paid.le(pd.Timestamp(ds.end))].value_counts()
    simple = {
        "dau": by_month["dau"].mean(), "peak_dau": by_month["dau"].max(), "wau": by_month["wau"].mean(),
        "mau": by_month["mau"].mean(), "stickiness": by_month["dau"].mean() / by_month["mau"].mean(),
        "daily_paying_users": by_month["paying_users"].mean(),
        "active_users": active, "new_users": new, "paying_users": payers, "gmv": gmv,
        "orders": paid.groupby(_month_of(paid["day"])).size(),
        "arpu": gmv / active, "arppu": gmv / payers, "paid_conversion": conv / new, "paid_rate": payers / active,
    }
    if key in simple:
        return simple[key].reindex(months).fillna(0 if key in ("new_users", "paying_users", "gmv", "orders") else np.nan)
    if key[:2] in ("m1", "m3"):
        return pd.Series([_retention(key, m, raw, ds) for m in months], index=months)
    camp = raw["camp"]
    out = []
    for m in months:
        c = camp[(camp["start_date"] >= m) & (camp["start_date"] <= m + pd.offsets.MonthEnd(0))]
        spend, new_c, rev = c["spend"].sum(), c["new_users"].sum(), c["revenue"].sum()
        out.append({"cac": spend / new_c if new_c else np.nan, "roi": rev / spend if spend else np.nan,
                    "participants": c["participants"].sum() if len(c) else np.nan}[key])
    return pd.Series(out, index=months)


def _retention(key: str, month: pd.Timestamp, raw: dict, ds) -> float:
    """M``k`` of a base group for the month ``month`` (= base month + k), once it has ended."""
    k, base = int(key[1]), key.split("_", 1)[1]
    if month + pd.offsets.MonthEnd(0) > pd.Timestamp(ds.end):
        return np.nan
    m0 = month - pd.DateOffset(months=k)
    paid = raw["paid"]
    if base == "all":
        if m0 < pd.Timestamp(ds.start).replace(day=1):
            return np.nan
        users = set(raw["signup"].index[_month_of(raw["signup"]) == m0])
    else:
        spend = paid[_month_of(paid["day"]) == m0].groupby("user_id")["amount"].sum()
        users = set(spend.index[spend >= HIGH_VALUE] if base == "high_value" else spend.index)
    back = set(raw["act"].loc[_month_of(raw["act"]["day"]) == month, "user_id"])
    return len(users & back) / len(users) if users else np.nan


@pytest.mark.parametrize("key", [k for k in KPIS if k != "daily_paid_rate"])
def test_definition_equals_pandas_on_the_sample(key, ds, raw):
    got = values(ds, key, "month", high_value=HIGH_VALUE).reindex(_months(ds))
    want = _pandas(key, raw, ds)
    assert got.notna().sum() >= 3, key  # the figure exists on the sample for several months
    pd.testing.assert_series_equal(got.astype(float), want.astype(float), check_names=False,
                                   check_freq=False, check_index_type=False, rtol=1e-9)


def test_daily_paid_rate_equals_pandas_on_the_sample(ds, raw):
    d = raw["daily"]
    want = (d["paying_users"] / d["dau"].where(d["dau"] > 0))
    got = values(ds, "daily_paid_rate", "day").reindex(d.index)
    pd.testing.assert_series_equal(got, want, check_names=False, check_freq=False, rtol=1e-9)


# -- the screens' functions read the same definitions ------------------------------------------
def test_overview_targets_and_report_read_one_period_totals(ds):
    """The Overview's KPIs (metrics.kpis), the targets' and the report's actuals
    (completion.period_actuals) and the lead cards are the catalogue's figures for the period."""
    frame = metrics.kpis(ds, "quarter")
    q = frame.index[frame["complete"]][-1]
    end = metrics.period_end(q, "quarter")
    actual = completion.period_actuals(ds, q, end, high_value=HIGH_VALUE)
    cards = lead_kpis.lead_cards(ds, q, end, high_value=HIGH_VALUE)
    for key, screen in (("gmv", "gmv"), ("new_users", "new_users"), ("paying_users", "paying_users"),
                        ("paid_conversion", "paid_conversion"), ("dau", "dau_avg"), ("peak_dau", "dau_peak")):
        want = values(ds, key, "quarter", high_value=HIGH_VALUE).loc[q]
        assert actual[screen] == pytest.approx(want), key
        if key in frame:
            assert frame.loc[q, key] == pytest.approx(want), key
    for key in ("m1_payer", "m3_high_value", "cac", "roi", "peak_dau"):
        want = values(ds, key, "quarter", high_value=HIGH_VALUE).loc[q]
        assert cards.loc[key, "value"] == pytest.approx(want, nan_ok=True), key


def test_driver_tree_nodes_are_the_catalogue_figures(ds):
    """The driver tree's 活跃用户, 付费用户数, 付费率, ARPPU and GMV of its base month are the
    catalogue's figures for that month (the tree and the glossary mean the same quantities)."""
    base = dtree.driver_base(ds, "month")
    start = pd.Timestamp(base.start)
    for key in ("active_users", "paying_users", "paid_rate", "arppu", "gmv"):
        assert getattr(base, key) == pytest.approx(values(ds, key, "month").loc[start]), key
