"""Issue 21 (deliverables 3, 5, 8): currency from evidence, the upload's time zone, behaviour logs
as they come, no money without amounts, and a command line that says what it decided.

Hand-made files with truths computed by plain pandas over the same bytes (never through OpsLab);
the real exports of the corpus (tests/corpus, when present) are checked at the end.
"""

from __future__ import annotations

import io
import math
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opslab.present import formatting as fmt
from opslab.metrics import kpi_table as metrics
from opslab.__main__ import main
from opslab.planning.completion import period_actuals
from opslab.dataset.load import load
from opslab.metrics.markers import trend_markers
from opslab.models.forecast import default_market
from opslab.report import quarterly_report

BEIJING = "Asia/Shanghai"
#: Events per Beijing hour of a day: quiet from 01:00 to 06:00, busiest in the evening, as the real
#: Taobao log (tests/corpus/taobao_userbehavior) is.
PER_HOUR = np.array([4, 1, 0, 0, 0, 0, 1, 2, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 8, 8, 7, 5], float)


def taobao_log(seed: int = 7, days: int = 9, codes=("pv", "cart", "fav", "buy")) -> pd.DataFrame:
    """A Taobao-style behaviour log: user, item, category, behaviour, Unix seconds (Beijing days).

    Late-evening and after-midnight Beijing activity falls on the previous UTC day, so reading
    the times as UTC moves users between days, as the issue saw (172 users instead of 27)."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2017-11-25", tz=BEIJING)
    for d in range(days):
        day = start + pd.Timedelta(days=d)
        for u in rng.choice(np.arange(1, 400), size=30 + 5 * d, replace=False):
            for _ in range(int(rng.integers(1, 6))):
                h = int(rng.choice(24, p=PER_HOUR / PER_HOUR.sum()))
                t = day + pd.Timedelta(hours=h, minutes=int(rng.integers(0, 60)))
                b = codes[int(rng.choice(4, p=[0.6, 0.15, 0.1, 0.15]))]
                rows.append((int(u), int(rng.integers(1000, 5_000_000)), int(rng.integers(100, 5000)), b,
                             int(t.timestamp())))
    return pd.DataFrame(rows, columns=["user", "item", "category", "behaviour", "ts"])


def csv_bytes(frame: pd.DataFrame, header: bool = True, encoding: str = "utf-8") -> bytes:
    return frame.to_csv(index=False, header=header).encode(encoding)


def users_per_day(raw: pd.DataFrame, tz: str) -> dict:
    day = pd.to_datetime(raw["ts"], unit="s", utc=True).dt.tz_convert(tz).dt.strftime("%Y-%m-%d")
    return raw.groupby(day)["user"].nunique().to_dict()


def ds_users_per_day(ds) -> dict:
    k = metrics.kpis(ds, "day")
    k.index = pd.DatetimeIndex(k.index).strftime("%Y-%m-%d")
    return k["active_users"].astype(int).to_dict()


# -- currency from evidence ---------------------------------------------------------------------

ORDERS = "customer,order_date,value{extra}\nc1,2024-01-05,{a}{x1}\nc2,2024-01-06,{b}{x2}\nc1,2024-02-01,5.00{x3}\n"


def _orders(a="10.50", b="20.25", extra="", xs=("", "", "")) -> bytes:
    return ORDERS.format(a=a, b=b, extra=extra, x1=xs[0], x2=xs[1], x3=xs[2]).encode()


@pytest.mark.parametrize("data,currency,basis", [
    (_orders(a="£10.50", b="£20.25"), "GBP", "symbol"),
    (_orders(a="R$ 10.50", b="R$20.25"), "BRL", "symbol"),
    (_orders(a="€10.50", b="20.25 EUR"), "EUR", "symbol"),
    (_orders().replace(b"value", b"value_gbp"), "GBP", "header"),
    (_orders(extra=",Country", xs=(",United Kingdom", ",United Kingdom", ",France")), "GBP", "country"),
    (_orders(extra=",country", xs=(",Brazil", ",BR", ",Brasil")), "BRL", "country"),
    (_orders(extra=",locale", xs=(",pt_BR", ",pt_BR", ",en_US")), "BRL", "country"),
    ("用户ID,下单时间,订单金额\nc1,2024-01-05,10.50\nc2,2024-01-06,20.25\nc1,2024-02-01,5.00\n".encode("gbk"),
     "CNY", "language"),
    (_orders(), None, "none"),
])
def test_currency_comes_from_evidence_and_is_never_assumed(data, currency, basis):
    res = load(("orders.csv", data))
    assert res.decisions.choices.currency == currency
    assert res.decisions.currency_basis == basis
    assert res.dataset.currency == (currency or "")
    # the evidence is said, in both languages (a decide.* note naming the basis)
    assert any(p.code == f"decide.currency.{basis}" for _, p in res.problems)
    # every amount kept whatever the currency marks: 10.50 + 20.25 + 5.00
    assert round(float(res.dataset.orders["amount"].sum()), 2) == 35.75


def test_without_evidence_the_caller_states_the_currency_and_amounts_are_plain_until_then():
    unstated = load(("orders.csv", _orders())).dataset
    assert unstated.currency == "" and fmt.money(35.75, "en", exact=True, currency=unstated.currency) == "35.75"
    assert fmt.money_title("GMV", unstated.currency) == "GMV"
    stated = load(("orders.csv", _orders()), currency="GBP")
    assert stated.dataset.currency == "GBP" and stated.decisions.currency_basis == "forced"
    assert fmt.money(35.75, "en", exact=True, currency="GBP") == "£35.75"
    # the options of the required choice put what the evidence names first
    hinted = load(("orders.csv", _orders(extra=",Country", xs=(",Brazil",) * 3)))
    assert hinted.decisions.currency_options[0] == "BRL"


def test_the_festival_calendar_follows_the_chosen_market_never_china_by_default():
    ev = pd.DataFrame({"user_id": ["a"], "event_time": pd.to_datetime(["2024-06-05"])})
    kinds = {}
    for cur in ("CNY", "GBP", ""):
        ds = load(ev, currency=cur or None).dataset
        kinds[cur] = (default_market(ds), sorted(set(trend_markers(ds, "2024-05-01", "2024-11-30")["kind"])))
    assert kinds["CNY"] == ("CN", ["festival"])          # 618 and Double 11 for China
    assert kinds["GBP"] == (None, []) and kinds[""] == (None, [])


# -- time zone and Unix times --------------------------------------------------------------------

def test_unix_seconds_are_read_in_the_suggested_beijing_zone_and_days_are_right():
    raw = taobao_log()
    res = load(("UserBehavior.csv", csv_bytes(raw, header=False)))
    assert res.decisions.choices.tz == BEIJING and res.decisions.tz_basis == "activity"
    beijing, utc = users_per_day(raw, BEIJING), users_per_day(raw, "UTC")
    assert beijing != utc                                # the zone matters on this file
    assert ds_users_per_day(res.dataset) == beijing
    # the user can read the same file in UTC: then the UTC days are right
    assert ds_users_per_day(load(("UserBehavior.csv", csv_bytes(raw, header=False)), tz="UTC").dataset) == utc


def test_too_few_unix_times_to_show_a_day_are_read_in_utc_and_said_so():
    raw = taobao_log(seed=3, days=2)                     # a few hundred events: no reliable night
    assert len(raw) < 1_000
    res = load(("log.csv", csv_bytes(raw, header=False)))
    assert (res.decisions.choices.tz, res.decisions.tz_basis) == ("UTC", "utc")
    assert any(p.code == "decide.epoch.utc" for _, p in res.problems)


def test_unix_milliseconds_are_times_too():
    raw = taobao_log(seed=3, days=4)
    ms = raw.assign(ts=raw["ts"] * 1000 + 123)
    res = load(("log.csv", csv_bytes(ms, header=False)), tz=BEIJING)
    assert ds_users_per_day(res.dataset) == users_per_day(raw, BEIJING)


def test_the_zone_is_one_choice_for_every_file_of_the_upload():
    raw = taobao_log(seed=5)
    buys = raw[raw["behaviour"] == "buy"]
    orders = pd.DataFrame({"user_id": buys["user"], "order_time": buys["ts"], "amount": "12.50"})
    res = load(("log.csv", csv_bytes(raw, header=False)), ("orders.csv", csv_bytes(orders)))
    assert res.decisions.choices.tz == BEIJING
    got = res.dataset.orders.groupby(res.dataset.orders["order_time"].dt.strftime("%Y-%m-%d")).size().to_dict()
    day = pd.to_datetime(buys["ts"], unit="s", utc=True).dt.tz_convert(BEIJING).dt.strftime("%Y-%m-%d")
    assert got == buys.groupby(day).size().to_dict()


# -- behaviour logs as they come -----------------------------------------------------------------

@pytest.mark.parametrize("codes", [("pv", "cart", "fav", "buy"), ("浏览", "加购", "收藏", "购买"),
                                   ("view", "add_to_cart", "favorite", "purchase"),
                                   ("view", "addtocart", "wishlist", "transaction")])
def test_a_headerless_behaviour_log_is_an_events_table_with_purchases_as_orders(codes):
    raw = taobao_log(seed=11, days=3, codes=codes)
    res = load(("log.csv", csv_bytes(raw, header=False)))
    f = res.files[0]
    assert f.table == "events"
    assert f.mapping_dict["user_id"] == "col_1" and f.mapping_dict["event_name"] == "col_4"
    assert f.mapping_dict["event_time"] == "col_5"
    ds = res.dataset
    buys = raw[raw["behaviour"] == codes[3]]
    assert ds.n_users == raw["user"].nunique()
    assert ds.n_orders == len(buys) and ds.orders["user_id"].nunique() == buys["user"].nunique()
    assert not ds.has_amounts


def test_a_chinese_header_log_with_a_price_column_uses_the_price_as_the_purchase_amount():
    raw = taobao_log(seed=13, days=4, codes=("浏览", "加购", "收藏", "购买"))
    raw["price"] = ((raw["item"] % 9_700) / 100 + 0.5).round(2)
    frame = raw.rename(columns={"user": "用户ID", "item": "商品ID", "category": "商品类目ID",
                                "behaviour": "行为类型", "ts": "时间戳", "price": "售价"})
    res = load(("淘宝.csv", csv_bytes(frame, encoding="gbk")))
    assert res.files[0].table == "events"
    assert res.decisions.choices.tz == BEIJING and res.decisions.choices.currency == "CNY"
    ds = res.dataset
    buys = raw[raw["behaviour"] == "购买"]
    assert ds.has_amounts and ds.n_orders == len(buys)       # views with a price are no sales
    month = pd.to_datetime(buys["ts"], unit="s", utc=True).dt.tz_convert(BEIJING).dt.strftime("%Y-%m")
    truth = buys.groupby(month)["price"].sum().round(2).to_dict()
    k = metrics.kpis(ds, "month")
    assert {p.strftime("%Y-%m"): round(v, 2) for p, v in k["gmv"].items()} == truth


# -- no money without amounts ----------------------------------------------------------------------

def test_without_amounts_money_kpis_are_absent_and_counts_still_work():
    raw = taobao_log(seed=17)
    ds = load(("log.csv", csv_bytes(raw, header=False))).dataset
    assert not ds.has_amounts
    k = metrics.kpis(ds, "month")
    assert k[["gmv", "arpu", "arppu"]].isna().all().all()  # absent, never 0
    buys = raw[raw["behaviour"] == "buy"]
    month = pd.to_datetime(buys["ts"], unit="s", utc=True).dt.tz_convert(BEIJING).dt.strftime("%Y-%m")
    assert {p.strftime("%Y-%m"): int(v) for p, v in k["paying_users"].items()} == \
        buys.groupby(month)["user"].nunique().to_dict()
    assert metrics.daily(ds)["gmv"].isna().all()
    cards = metrics.kpi_cards(ds, "month")
    assert math.isnan(cards.loc["gmv", "value"]) and cards.loc["paying_users", "value"] > 0
    actual = period_actuals(ds, "2017-11-01", "2017-11-30")
    assert math.isnan(actual["gmv"]) and actual["paying_users"] == buys[month == "2017-11"]["user"].nunique()


@pytest.mark.parametrize("lang,absent,unstated", [("en", "no amounts in this data", "was not stated"),
                                                  ("zh", "数据中没有金额", "未说明金额币种")])
def test_the_report_says_there_are_no_amounts_and_when_the_currency_was_not_stated(lang, absent, unstated):
    raw = taobao_log(seed=19)
    rep = quarterly_report(load(("log.csv", csv_bytes(raw, header=False))).dataset, "2017-11", lang=lang)
    html = rep.to_html()
    assert absent in html and "¥" not in html
    priced = load(("orders.csv", _orders())).dataset      # amounts, currency not stated
    html = quarterly_report(priced, "2024-01", lang=lang).to_html()
    assert unstated in html and "¥" not in html


# -- the command line ------------------------------------------------------------------------------

def _cli(*argv) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["report", *argv, "--no-push", "--secrets", "/nonexistent"])
    return code, out.getvalue()


def test_the_cli_prints_its_decisions_and_the_reconciliation(tmp_path):
    data = tmp_path / "orders.csv"
    data.write_bytes(_orders(a="10.50", b="x") + b"c3,2024-02-02,7.25\n")  # one unreadable amount
    code, text = _cli("--data", str(data), "--period", "2024-01", "--lang", "en",
                      "--out", str(tmp_path / "r.html"), "--currency", "gbp", "--tz", "Europe/London")
    assert code == 0
    assert "Amounts are in GBP, as you chose." in text
    # 4 rows in: 3 kept (10.50 + 5.00 + 7.25 = 22.75), 1 rejected (its amount unreadable)
    assert "orders.csv (Orders): 4 rows in · 3 kept · 1 rejected · 0 set aside" in text
    assert "kept £22.75" in text
    assert "Duplicate rows:" in text and "Wrote" in text
    assert "amounts in GBP" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_the_cli_says_the_zone_of_unix_times_and_that_there_are_no_amounts(tmp_path):
    raw = taobao_log(seed=23)
    (tmp_path / "log.csv").write_bytes(csv_bytes(raw, header=False))
    code, text = _cli("--data", str(tmp_path / "log.csv"), "--period", "2017-11", "--lang", "zh",
                      "--out", str(tmp_path / "r.html"))
    assert code == 0
    assert "Unix 时间戳" in text and BEIJING in text
    assert f"读入 {len(raw):,} 行" in text and "数据中没有金额" in text
    code, text = _cli("--data", str(tmp_path / "log.csv"), "--period", "2017-11", "--lang", "en",
                      "--out", str(tmp_path / "r.html"), "--tz", "UTC")
    assert "as you chose" in text and "UTC" in text


def test_the_cli_refuses_a_currency_that_is_no_iso_code(tmp_path):
    with pytest.raises(SystemExit):
        _cli("--data", str(tmp_path), "--period", "2024-01", "--currency", "pounds")


# -- the corpus of real exports (tests/corpus), when present ------------------------------------------

CORPUS = next((p for p in (Path(__file__).parent / "corpus", Path("/work/wt/corpus/tests/corpus"))
               if (p / "taobao_userbehavior" / "UserBehavior.csv").exists()), None)
needs_corpus = pytest.mark.skipif(CORPUS is None, reason="the corpus of real exports is not here")


@needs_corpus
def test_real_taobao_userbehavior_is_read_in_beijing_days_without_money():
    path = CORPUS / "taobao_userbehavior" / "UserBehavior.csv"
    raw = pd.read_csv(path, header=None, names=["user", "item", "category", "behaviour", "ts"])
    res = load(path)
    assert res.files[0].table == "events" and res.decisions.choices.tz == BEIJING
    ds = res.dataset
    assert ds.n_users == raw["user"].nunique() == 43 and not ds.has_amounts and ds.currency == ""
    buys = raw[raw["behaviour"] == "buy"]
    assert ds.n_orders == len(buys) == 77 and ds.orders["user_id"].nunique() == buys["user"].nunique() == 23
    truth = {d: n for d, n in users_per_day(raw, BEIJING).items() if n >= 20}  # bulk days (one stray row)
    got = ds_users_per_day(ds)
    assert {d: got.get(d, 0) for d in truth} == truth and truth["2017-11-27"] == 27
    assert metrics.kpis(ds, "month")["gmv"].isna().all()


@needs_corpus
def test_real_online_retail_is_in_pounds_from_its_country_column():
    res = load(CORPUS / "online_retail" / "online_retail.csv")
    assert res.decisions.choices.currency == "GBP" and res.decisions.currency_basis == "country"
    assert res.dataset.currency == "GBP" and default_market(res.dataset) is None
