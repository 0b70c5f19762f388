import math

import pytest

from opslab.present import formatting as fmt


@pytest.mark.parametrize("x,lang,out", [
    (22_100_000, "zh", "2,210.0万"), (2.3e8, "zh", "2.3亿"), (22_100_000, "en", "22.1M"),
    (12_800, "en", "12.8K"), (950, "zh", "950"), (-15_000, "zh", "-1.5万")])
def test_compact(x, lang, out):
    assert fmt.compact(x, lang) == out


def test_money_pct_signed():
    assert fmt.money(1280, "zh", exact=True, currency="CNY") == "¥1,280.00"
    assert fmt.money(22_100_000, "zh", currency="CNY") == "¥2,210.0万"
    assert fmt.pct(0.1234) == "12.3%" and fmt.pct(-0.05, signed=True) == "-5.0%"
    assert fmt.money(math.nan) == fmt.pct(None) == fmt.signed_money(float("inf")) == "–"


def test_losses_carry_the_sign_before_the_symbol():
    # the case: a projection that loses 1,268 yuan
    assert fmt.signed_money(-1268.4, currency="CNY") == "-¥1,268"
    assert fmt.signed_money(1268.4, currency="CNY") == "+¥1,268"
    assert fmt.signed_money(-22_100_000, "zh", currency="CNY") == "-¥2,210.0万"
    assert fmt.signed_money(0.0, currency="CNY") == "¥0"
    # a negative gap or profit: the sign before the symbol, as in 'signed_money'
    assert fmt.money(-1268.0, currency="CNY") == "-¥1,268" and fmt.money(-950.5, currency="CNY") == "-¥950.50"
    assert fmt.money(-150_000, "en", currency="CNY") == "-¥150.0K"


@pytest.mark.parametrize("x,lang,currency,out", [
    (-1268, "en", "USD", "-$1,268"), (2_500_315.63, "zh", "USD", "$250.0万"), (2_500_315.63, "zh", "CNY", "¥250.0万"),
    (2_500_315.63, "en", "CNY", "¥2.5M"), (12.5, "zh", "EUR", "€12.50"), (1280, "en", "HKD", "HK$1,280"),
    (3e8, "zh", "CNY", "¥3.0亿"), (3e8, "zh", "GBP", "£3.0亿"), (3e8, "en", "GBP", "£300.0M"), (99, "en", "CHF", "CHF 99.00")])
def test_money_carries_the_currency_and_chinese_uses_wan_for_every_currency(x, lang, currency, out):
    assert fmt.money(x, lang, currency=currency) == out


def test_money_helpers_for_titles_and_table_formats():
    assert fmt.money_title("GMV", "USD") == "GMV ($)" and fmt.money_title("GMV") == "GMV"  # none stated: no symbol assumed
    assert fmt.money(1280, "zh", exact=True) == "1,280.00" and fmt.signed_money(-1268.4) == "-1,268"


def test_table_cells_one_format_per_column_sign_before_the_symbol():
    """formatting.table: the shown text of every cell against plain string formatting; the
    cells keep their numbers (a money column sorts by amount)."""
    import numpy as np
    import pandas as pd
    rng = np.random.default_rng(3)
    gmv = rng.normal(0, 50_000, 200).round(2)
    users = rng.integers(0, 3_000_000, 200)
    rate = rng.random(200)
    frame = pd.DataFrame({"gmv": gmv, "users": users, "rate": rate, "auc": rate, "mult": rate * 5})
    frame.loc[3, "gmv"] = np.nan
    styled = fmt.table(frame, {"gmv": "money", "rate": "pct", "auc": "score", "mult": "multiple"}, "zh", "USD")
    assert styled.data["gmv"].equals(frame["gmv"])  # numbers kept
    shown = [line.split("|")[1:] for line in styled.to_string(delimiter="|").splitlines()[1:]]
    for (g, u, r, a, m), row in zip(shown, frame.itertuples()):
        expected_g = "–" if np.isnan(row.gmv) else ("-" if row.gmv < 0 else "") + f"${abs(row.gmv):,.2f}"
        assert (g, u, r, a, m) == (expected_g, f"{row.users:,}", f"{100 * row.rate:.1f}%", f"{row.auc:.3f}",
                                   f"{row.mult:,.1f}×")


@pytest.mark.parametrize("x", [0, 7, 999, 1000, 22_064, 1_234_567, 10**12, -1268])
def test_integer_writes_every_digit_with_thousands_separators(x):
    # the screens' counts in captions and sample sizes: never shortened to 万/K as `count` does
    assert fmt.integer(x) == fmt.integer(float(x)) == f"{x:,}"
    assert fmt.integer(None) == fmt.integer(math.nan) == fmt.integer("n/a") == "–"


def test_the_readout_numbers_of_the_ab_and_forecast_screens():
    assert [fmt.number(1234.5678, 3), fmt.number(0.04, 1, signed=True), fmt.number(-math.inf)] == \
        ["1,234.568", "+0.0", "−∞"]
    assert [fmt.p_value(0.00004), fmt.p_value(None), fmt.general(0.000123456, 2), fmt.general(99.9)] == \
        ["0.0000", "–", "0.00012", "99.9"]
    # a share difference in points: 0.5 -> 0.52 is +2.0 points, worded per language
    assert fmt.points(0.52 - 0.5) == "+2.0" and fmt.pp(0.52 - 0.5, "en") == "+2.0 pp"
    assert fmt.pp(-0.031, "zh") == "-3.1 百分点" and fmt.pp(math.nan, "en") == "–"
    assert fmt.pct(1 - 0.05, 0) == f"{1 - 0.05:.0%}" == "95%"  # the confidence level as the screen wrote it


@pytest.mark.parametrize("seconds,en,zh", [(59, "1.0 min", "1.0 分钟"), (5400, "1.5 h", "1.5 小时"),
                                           (2 * 86400, "2.0 days", "2.0 天"), (math.nan, "–", "–")])
def test_durations_pick_the_unit_people_use(seconds, en, zh):
    assert fmt.duration(seconds, "en") == en and fmt.duration(seconds, "zh") == zh
