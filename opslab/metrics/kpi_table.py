"""Product-operations KPIs (docs/DEFINITIONS.md §3): DAU/WAU/MAU, stickiness, new and paying users,
GMV, ARPU, ARPPU, paid conversion, with 环比 (vs previous period) and 同比 (vs a year before),
and signup-cohort retention.

The heavy lifting is SQL in ``opslab/metrics/metrics.sql``; this module shapes the results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from opslab.core import periods as pr
from opslab.dataset.dataset import Dataset
from opslab.engine import sql_catalog
from opslab.metrics import catalogue
from opslab.core.problems import OpsLabError
from dataclasses import replace

GRAINS = pr.GRAINS
#: The Overview's KPI cards in display order; each is an entry of :mod:`opslab.metrics.catalogue`.
KPIS = ("dau", "wau", "mau", "stickiness", "new_users", "paying_users", "gmv", "arpu",
        "arppu", "paid_conversion")
MONEY_KPIS = frozenset({"gmv", "arpu", "arppu"})
RATE_KPIS = frozenset({"stickiness", "paid_conversion"})


@dataclass(frozen=True)
class MetricConfig:
    """Settings of the KPI definitions that a user may change."""

    conversion_days: int = 30  # paid conversion: a paid order within N days of signup


# Deprecated aliases: the periods module (opslab.core.periods) is the one definition.
period_start = pr.period_start
shift_period = pr.shift
year_ago = pr.year_ago
period_end = pr.period_end


def daily(ds: Dataset) -> pd.DataFrame:
    """One row per calendar day from the data's first to last day: DAU, WAU, MAU, new users,
    paying users, orders and GMV."""
    def compute():
        frame = ds.engine.run("daily", start=str(ds.start), end=str(ds.end))
        frame["day"] = pd.to_datetime(frame["day"])
        frame = frame.set_index("day")
        # A trailing window that reaches back before the data would undercount (a month of
        # data cannot show a full MAU on its 3rd day): leave those days empty, not low.
        age = (frame.index - pd.Timestamp(ds.start)).days
        for column, window in (("wau", 7), ("mau", 30)):
            frame[column] = frame[column].astype("float64").where(age >= window - 1)
        return without_buyers(ds, without_money(ds, frame))
    return ds.memo(("daily",), compute)


#: The earliest day a period-totals range may start at (a users table's old signups included).
EARLIEST = "1900-01-01"


def period_totals(ds: Dataset, grain: str, start=None, end=None, as_of=None,
                  conversion_days: int = MetricConfig.conversion_days) -> pd.DataFrame:
    """The one period-totals query (``period_totals`` in ``opslab/metrics/metrics.sql``): active users,
    paying users, GMV, orders, new users and converted new users per period of ``grain``
    (day, week, month, quarter or year) over the days ``start``..``end`` (default: all of
    the data), conversions seen by ``as_of`` (default: the data's last day). Index: the
    period's first day, or ``start`` when the range begins inside a period.

    The Overview's 环比/同比 (:func:`kpis`), the targets and the report
    (:func:`opslab.planning.completion.period_actuals`) and the digest all read it.
    """
    if grain not in GRAINS + ("year",):
        raise OpsLabError("api.bad_choice", name="grain", value=repr(grain), allowed=", ".join(GRAINS + ("year",)))
    s = str(pr.as_of_day(start)) if start is not None else EARLIEST
    e = str(pr.as_of_day(end, ds.end))
    a = str(pr.as_of_day(as_of, ds.end))

    def compute():
        sql = sql_catalog()["period_totals"]
        if grain == "day":
            # user_day and paid_day hold one row per user and day, so a day's distinct users
            # are its rows: count them (a third of the query's time) instead of de-duplicating.
            sql = sql.replace("count(DISTINCT uid)", "count(*)")
        out = ds.engine.sql(sql, grain=grain, start=s, end=e, as_of=a, conversion_days=int(conversion_days))
        out["period"] = pd.to_datetime(out["period"])
        return without_buyers(ds, out.set_index("period"))
    return ds.memo(("period_totals", grain, s, e, a, int(conversion_days)), compute)


def kpis(ds: Dataset, grain: str = "month", config: MetricConfig = MetricConfig()) -> pd.DataFrame:
    """Every KPI for every period of ``grain`` that the data touch, one row per period start.

    ``complete`` marks periods fully inside the data's date range; only those are compared.
    """
    def compute():
        d = daily(ds)
        means = d[["dau", "wau", "mau"]].groupby(pr.period_starts(d.index, grain)).mean()
        totals = period_totals(ds, grain, conversion_days=config.conversion_days)
        out = means.join(totals, how="outer").sort_index()
        out.index.name = "period"
        first, last = pd.Timestamp(ds.start), pd.Timestamp(ds.end)
        # Signups older than the data (a users table) must not add empty periods before it.
        out = out[[period_end(p, grain) >= first for p in out.index]]
        counts = [c for c in out.columns if c not in ("wau", "mau")]  # early WAU/MAU stay unknown
        out = _ratios(out.fillna({c: 0 for c in counts}))  # without buyers, without_buyers() makes them NaN below
        out["complete"] = [(p >= first) and (period_end(p, grain) <= last) for p in out.index]
        # A cohort's conversion is final once its last signup day has had the full window.
        window = pd.Timedelta(days=config.conversion_days - 1)
        out["conversion_complete"] = [(p >= first) and (period_end(p, grain) + window <= last) for p in out.index]
        return without_buyers(ds, without_money(ds, out))
    return ds.memo(("kpi_frame", grain, config), compute)


def _ratios(out: pd.DataFrame) -> pd.DataFrame:
    """The ratio KPIs of a frame of period means and totals (one definition for the periods
    of :func:`kpis` and the days of :func:`window_kpis`)."""
    out["stickiness"] = _ratio(out["dau"], out["mau"])
    out["arpu"] = _ratio(out["gmv"], out["active_users"])
    out["arppu"] = _ratio(out["gmv"], out["paying_users"])
    out["paid_conversion"] = _ratio(out["converted"], out["new_users"])
    out["paid_rate"] = _ratio(out["paying_users"], out["active_users"])
    return out


def window_kpis(ds: Dataset, grain: str, start, end, config: MetricConfig = MetricConfig()) -> pd.Series:
    """Every KPI of :func:`kpis` over the days ``start``..``end`` of one period of ``grain``
    (the first days of a comparison period that a running period is compared with), from the
    same daily means and the same period-totals query."""
    s, e = pr.as_of_day(start), pr.as_of_day(end)

    def compute():
        d = daily(ds)
        d = d[(d.index >= pd.Timestamp(s)) & (d.index <= pd.Timestamp(e))]
        out = pd.DataFrame([d[["dau", "wau", "mau"]].mean()], index=pd.DatetimeIndex([pd.Timestamp(s)], name="period"))
        totals = period_totals(ds, grain, s, e, conversion_days=config.conversion_days)
        out = out.join(totals, how="left")
        counts = [c for c in out.columns if c not in ("dau", "wau", "mau")]
        out = _ratios(out.fillna({c: 0 for c in counts}))
        return without_buyers(ds, without_money(ds, out)).iloc[0]
    return ds.memo(("kpi_window", grain, s, e, config), compute)


def without_money(ds: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its money columns absent (NaN) when the data hold no amounts: a behaviour
    log without prices has orders and paying users but no GMV, and 0 would be a lie."""
    if getattr(ds, "has_amounts", True):
        return frame
    money = [c for c in frame.columns if c in MONEY_KPIS or c in ("revenue", "roi")]
    return frame.assign(**{c: float("nan") for c in money})


#: Columns of the KPI frames that count people (or divide by them): the catalogue's
#: :data:`~opslab.metrics.catalogue.NEEDS_BUYERS` figures and the counts they are made of.
BUYER_COLUMNS = frozenset({"dau", "wau", "mau", "active_users", "paying_users", "new_users", "converted",
                           "stickiness", "arpu", "arppu", "paid_conversion", "paid_rate"})


def without_buyers(ds: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its customer columns absent (NaN) when no column identified the buyer
    (``ds.buyers_known`` False): each order's anonymous user would count one "customer" per
    order, a fake. Orders, GMV and refunds stay.

    >>> od = pd.DataFrame({"user_id": ["~1", "~2"], "amount": [10.0, 30.0],
    ...                    "order_time": pd.to_datetime(["2024-01-05", "2024-01-20"])})
    >>> k = kpis(Dataset.from_tables(orders=od, buyers_known=False))
    >>> k[["orders", "gmv"]].iloc[0].tolist(), bool(k["paying_users"].isna().all())
    ([2.0, 40.0], True)
    """
    if getattr(ds, "buyers_known", True):
        return frame
    return frame.assign(**{c: float("nan") for c in frame.columns if c in BUYER_COLUMNS})


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num, den = num.astype("float64"), den.astype("float64")
    return (num / den.where(den > 0)).astype("float64")


def change(current: float, previous: float) -> float:
    """Relative change, NaN when the base is missing or zero."""
    if previous is None or not np.isfinite(previous) or previous == 0 or not np.isfinite(current):
        return float("nan")
    return current / previous - 1.0


def card_names(ds: Dataset) -> tuple[str, ...]:
    """The Overview's cards for ``ds``: :data:`KPIS`, led by orders when no buyer is known
    (the orders are then what can be counted; the customer cards say why they are empty)."""
    return KPIS if getattr(ds, "buyers_known", True) else ("orders",) + KPIS


def kpi_cards(ds: Dataset, grain: str, start=None, config: MetricConfig = MetricConfig(),
              names: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The KPI cards for one period: value, 环比 (previous period) and 同比 (a year before).

    ``pop_change`` / ``yoy_change`` follow :func:`opslab.metrics.catalogue.change`: a difference for
    rates (0.021 = 2.1 百分点), a relative change for amounts and counts.

    ``start`` defaults to the latest complete period. A complete period is compared with the
    whole comparison period, a period still running (it holds the data's last day) with the
    same number of days from the comparison period's start (:func:`opslab.core.periods.compared_days`,
    the report's rule too); a comparison is given only when its days lie inside the data.
    """
    frame = kpis(ds, grain, config)
    if start is None:
        start = default_period(ds, grain, config)
    start = period_start(start, grain)
    first, last = pd.Timestamp(ds.start), pd.Timestamp(ds.end)
    running = start >= first and period_end(start, grain) > last
    days = (last - start).days + 1

    def compared(other: pd.Timestamp, name: str) -> float:
        if not running:
            return _lookup(frame, other, name, need_complete=True)
        a, b = pr.compared_days(other, period_end(other, grain), False, days)
        if pd.Timestamp(a) < first:
            return float("nan")
        return float(window_kpis(ds, grain, a, b, config)[name])

    rows = []
    for name in names or KPIS:
        value = _lookup(frame, start, name)
        prev = compared(shift_period(start, grain, -1), name)
        yoy = compared(year_ago(start, grain), name)
        if name == "paid_conversion":
            # Compare conversion only between cohorts whose window has closed: a cohort still
            # converting would show a fake drop against a mature one.
            mature = _lookup(frame, start, "conversion_complete") == 1.0
            prev = prev if mature and _lookup(frame, shift_period(start, grain, -1), "conversion_complete") == 1.0 \
                else float("nan")
            yoy = yoy if mature and _lookup(frame, year_ago(start, grain), "conversion_complete") == 1.0 \
                else float("nan")
        # changes as the catalogue writes them: 百分点 (a difference) for rates, % otherwise
        rows.append({"kpi": name, "value": value, "previous": prev,
                     "pop_change": catalogue.change(value, prev, name),
                     "year_ago": yoy, "yoy_change": catalogue.change(value, yoy, name)})
    return pd.DataFrame(rows).set_index("kpi")


def _lookup(frame: pd.DataFrame, start: pd.Timestamp, name: str, need_complete: bool = False) -> float:
    if start not in frame.index:
        return float("nan")
    row = frame.loc[start]
    if need_complete and not row["complete"]:
        return float("nan")
    return float(row[name])


def periods(ds: Dataset, grain: str, config: MetricConfig = MetricConfig()) -> list[pd.Timestamp]:
    """Period starts available for ``grain``, newest first."""
    return list(kpis(ds, grain, config).index[::-1])


def default_period(ds: Dataset, grain: str, config: MetricConfig = MetricConfig()) -> pd.Timestamp:
    """The latest complete period (or the latest one when none is complete)."""
    frame = kpis(ds, grain, config)
    done = frame.index[frame["complete"]]
    return done[-1] if len(done) else frame.index[-1]


def cohort_retention(ds: Dataset, grain: str = "month", mode: str = "on") -> pd.DataFrame:
    """Signup-cohort retention in long form: cohort, size, k, retained, rate, complete.

    ``mode`` "on": active in period k; "on_or_after": active in period k or any later one.
    A cell is ``complete`` when period k of that cohort has fully passed by the data's end.
    """
    if grain not in ("day", "week", "month"):
        raise OpsLabError("api.bad_choice", name="grain", value=repr(grain), allowed="day, week, month")
    if mode not in ("on", "on_or_after"):
        raise ValueError(f"unknown retention mode {mode!r}")

    def compute():
        out = ds.engine.run("cohort_activity", grain=grain, end=str(ds.end))
        out["cohort"] = pd.to_datetime(out["cohort"])
        return out
    raw = ds.memo(("cohort", grain), compute)
    # Cohorts that signed up before the data begin would show activity gaps that are only
    # missing history: keep cohorts from the first (possibly partial) period of the data on.
    raw = raw[raw["cohort"] >= period_start(ds.start, grain)]
    out = raw[["cohort", "size", "k"]].copy()
    out["retained"] = raw["retained_on" if mode == "on" else "retained_on_or_after"]
    out["rate"] = out["retained"] / out["size"]
    last = pd.Timestamp(ds.end)
    ends = [period_end(shift_period(c, grain, int(k)), grain) for c, k in zip(out["cohort"], out["k"])]
    out["complete"] = np.array(ends, dtype="datetime64[ns]") <= np.datetime64(last)
    return out


def headline_retention(cohorts: pd.DataFrame, k: int) -> float:
    """Pooled retention at period ``k`` over cohorts that have completed it (M1: k=1 on month
    cohorts, M3: k=3)."""
    cells = cohorts[(cohorts["k"] == k) & cohorts["complete"]]
    size = cells["size"].sum()
    return float(cells["retained"].sum() / size) if size else float("nan")


def existing_users_rule(ds: Dataset, on: bool = True) -> Dataset:
    """The data set with the "existing users" rule on (as loaded) or off.

    Without signup times, users first seen in the data's first ``BURN_IN_DAYS`` days count as
    existing users (``censored``): they are left out of new users, cohorts and paid
    conversion. With the rule off they are new users of the month they were first seen. The
    variant is built once per data set (a fresh engine and memo).

    >>> ev = pd.DataFrame({"user_id": ["a", "b", "b"],
    ...                    "event_time": pd.to_datetime(["2024-01-02", "2024-03-20", "2024-05-01"])})
    >>> ds = Dataset.from_tables(events=ev)
    >>> int(ds.users["censored"].sum()), int(existing_users_rule(ds, False).users["censored"].sum())
    (1, 0)
    """
    if on or not existing_rule_switchable(ds):
        return ds

    def build():
        return replace(ds, users=ds.users.assign(censored=False), fingerprint=ds.fingerprint + ":all-new")
    return ds.memo(("existing_users_rule_off",), build)


def existing_rule_switchable(ds: Dataset) -> bool:
    """Whether the existing-users rule applies to ``ds`` and can be switched off here: signups
    derived from first activity, some users counted as existing, and tables held in memory
    (a data set read in place by :func:`opslab.connect` keeps the rule its engine applies)."""
    return (type(ds) is Dataset and "signup" in ds.derived and "censored" in ds.users
            and bool(ds.users["censored"].any()))


def existing_users(ds: Dataset) -> int:
    """How many users the "existing users" rule sets aside (first seen in the data's first
    ``BURN_IN_DAYS`` days, no signup time): the count the Overview's switch names."""
    return int(ds.users["censored"].sum()) if "censored" in ds.users else 0
