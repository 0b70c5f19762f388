"""A data set whose orders name no buyer (issue 21): the API gives orders and money, and every
customer figure is NaN, never counted from the anonymous per-order users."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opslab
from opslab.metrics import catalogue, catalogue_values, lead_kpis

ORDERS = pd.DataFrame({
    "订单号": ["A1", "A2", "A3", "A4", "A5"],
    "下单时间": ["2024-01-05 10:00", "2024-01-06 11:00", "2024-01-20 09:00", "2024-02-03 15:00", "2024-02-10 08:00"],
    "订单金额": ["120.5", "80", "-30", "45", "60"],
})


@pytest.fixture(scope="module")
def ds():
    data = opslab.load(("orders.csv", ORDERS.to_csv(index=False).encode())).dataset
    assert data is not None and data.buyers_known is False
    return data


def test_kpis_frame_has_nan_for_paying_users_and_the_orders_and_gmv_of_the_file(ds):
    k = opslab.kpis(ds, grain="month").frame
    assert k["paying_users"].isna().all() and k["arppu"].isna().all() and k["new_users"].isna().all()
    # plain pandas over the same rows: sales and refunds by month (a negative amount is a refund)
    raw = ORDERS.assign(t=pd.to_datetime(ORDERS["下单时间"]), a=ORDERS["订单金额"].astype(float))
    month = raw["t"].dt.strftime("%Y-%m")
    got = k.set_axis(pd.DatetimeIndex(k.index).strftime("%Y-%m"))
    assert got["gmv"].to_dict() == pytest.approx(raw.groupby(month)["a"].sum().to_dict())
    assert got["orders"].astype(int).to_dict() == raw[raw["a"] > 0].groupby(month).size().to_dict()


def test_every_catalogue_figure_that_counts_people_is_nan(ds):
    for key in catalogue.KPIS:
        if key in ("cac", "roi", "participants"):
            continue  # campaign figures: no campaigns here
        v = catalogue_values.values(ds, key, "day" if key == "daily_paid_rate" else "month")
        if catalogue.needs_buyers(key):
            assert v.isna().all(), key
        elif key in ("gmv", "orders"):
            assert v.notna().all() and (v > 0).all(), key
    cards = lead_kpis.lead_cards(ds, ds.start, ds.end)
    assert cards.loc[list(lead_kpis.LEAD_CARDS[2:]), "value"].isna().all()


@pytest.mark.parametrize("call", [lambda d: opslab.segment(d), lambda d: opslab.churn_risk(d),
                                  lambda d: opslab.clv(d), lambda d: opslab.retention(d),
                                  lambda d: opslab.users(d, "paying_users", period="2024-01"),
                                  lambda d: opslab.forecast(d, "paying_users")])
def test_analyses_that_follow_customers_refuse_with_the_reason(ds, call):
    with pytest.raises(opslab.OpsLabError) as err:
        call(ds)
    assert err.value.code == "api.no_buyers"


def test_gmv_still_forecasts(ds):
    fc = opslab.forecast(ds, "gmv", grain="day", horizon_periods=3)
    assert np.isfinite(fc.summary_frame(alpha=0.2).iloc[:, 0]).all()



def test_the_report_says_no_buyer_id_for_every_customer_figure_and_never_counts_tiers():
    from opslab.core.i18n import t
    from opslab.report.document import kpi_rows
    from opslab.report.format import value_text
    from tests.corpus import truths as tr
    truth = tr.tmall_order_report_truth()
    data = opslab.load(*[str(p) for p in truth.files.values()]).dataset
    rep = opslab.quarterly_report(data, "2020-02", lang="en")
    _, rows, _ = kpi_rows(rep, "en")
    shown = {r[0]: r[1] for r in rows}
    assert shown[catalogue.name("gmv", "en")] == value_text("gmv", truth.monthly.loc["2020-02", "net"], "en", "CNY")
    for key in ("paying_users", "new_users", "dau", "m1_payer"):
        assert shown[catalogue.name(key, "en")] == t("report.no_buyers", "en"), key
    assert rep.tiers.empty and not np.isfinite(rep.churn["count"])
    text = rep.to_html()
    assert text.count(t("report.no_buyers_section", "en")) == 2  # tiers and churn watch
    assert set(rep.plan["kpi"]) <= {"gmv"}  # no target proposed for a count of nobody


def test_the_digest_and_the_alert_check_say_no_buyer_id_and_check_gmv_only():
    """The pushed digest writes "no buyer id in this data" for customer figures (never "–" or a
    count); the daily alert checks only GMV (DAU and the pay rate count people) and does not fail."""
    from opslab.core.i18n import t
    from opslab.report import push
    from opslab.report.format import value_text
    from tests.corpus import truths as tr
    truth = tr.tmall_order_report_truth()
    data = opslab.load(*[str(p) for p in truth.files.values()]).dataset
    rep = opslab.quarterly_report(data, "2020-02", lang="en")
    lines = push.digest_text(rep).splitlines()
    gmv = value_text("gmv", truth.monthly.loc["2020-02", "net"], "en", "CNY")
    assert f"{catalogue.name('gmv', 'en')}: {gmv}" in lines
    for key in ("new_users", "paying_users", "dau_avg"):
        assert f"{catalogue.name(key, 'en')}: {t('report.no_buyers', 'en')}" in lines, key
    checked = []
    real = push.forecast_paths

    def spy(ds_, kpi, *args, **kwargs):
        checked.append(kpi)
        return real(ds_, kpi, *args, **kwargs)
    mp = pytest.MonkeyPatch()
    mp.setattr(push, "forecast_paths", spy)
    try:
        found = push.anomalies(data)
    finally:
        mp.undo()
    assert checked == ["gmv"] and all(a["kpi"] == "gmv" for a in found)


def test_a_subscription_digest_says_no_buyer_id_and_gives_the_days_gmv_and_orders():
    """The daily digest of a subscription on an export without buyer ids: GMV and orders of the
    last day equal plain pandas over the raw file; customer figures say why they are absent."""
    from opslab.core.i18n import t
    from opslab.report.format import value_text
    from opslab.workspace.delivery import digest
    from opslab.workspace.subscriptions import Subscription
    from tests.corpus import truths as tr
    truth = tr.tmall_order_report_truth()
    data = opslab.load(*[str(p) for p in truth.files.values()]).dataset
    sub = Subscription(id="s1", name="daily", kpis=("gmv", "orders", "paying_users", "dau"), lang="en")
    text, day = digest(data, sub)
    lines = text.splitlines()
    for key in ("paying_users", "dau"):
        assert f"{catalogue.name(key, 'en')}: {t('report.no_buyers', 'en')}" in lines, key
    # plain pandas over the raw file: the day's paid orders (订单付款时间 filled), net of 退款金额
    path = next(iter(truth.files.values()))
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    on_day = raw[(raw["订单付款时间 "] != "") & raw["订单创建时间"].str.startswith(day)]
    net = (on_day["总金额"].astype(float) - on_day["退款金额"].astype(float)).sum()
    orders = int((on_day["买家实际支付金额"].astype(float) > 0).sum())
    assert orders > 0
    gmv_line = next(x for x in lines if x.startswith(catalogue.name("gmv", "en") + ":"))
    orders_line = next(x for x in lines if x.startswith(catalogue.name("orders", "en") + ":"))
    assert gmv_line.startswith(f"{catalogue.name('gmv', 'en')}: {value_text('gmv', net, 'en', 'CNY')} (")
    assert orders_line.startswith(f"{catalogue.name('orders', 'en')}: {value_text('orders', orders, 'en', 'CNY')} (")
