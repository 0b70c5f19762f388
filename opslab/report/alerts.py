"""Anomaly alerts on any KPI and segment, each with its likely cause named.

A day's value is compared with the days before it: the expected value is the median of the
last ``window_days`` days and the spread their median absolute deviation (scaled by 1.4826
to a standard deviation; at least the square root of the median for counts, which keeps a
quiet series from alerting on one extra order). The score is the robust z
``(actual − expected) / spread``; a value beyond ``threshold`` is an alert. The default 4.5 was
set on the sample with nothing seeded: over its last 400 days × 5 KPIs it raises 2 alerts that
no planned campaign explains (4.0 raises 3).

The cause: for each dimension (order channel, the user's signup channel, city) every segment
has its own expected value the same way. A segment's share of the day's deviation (its own
deviation ÷ the total's) is set against its usual share of the KPI: a rise spread over every
segment in proportion gives each its usual share (excess 0); a rise in one city gives that city
nearly all of it. The dimension named is the one whose segment has the largest excess, and that
segment is named with its share of the deviation.

A planned event is not news: an alert on a day of a short campaign (at most
:data:`SHORT_CAMPAIGN_DAYS` days: 会员日, a live-stream night), or of a running campaign whose
channel carries at least :data:`CAMPAIGN_SHARE` more of the deviation than its usual share,
carries that campaign in
``planned``; :meth:`AlertResult.news`
keeps the others, the ones a subscription sends. For data in yuan the Chinese shopping
festivals (618, 双11 with its pre-sale, 12.12, the Spring Festival season:
:func:`opslab.core.calendar_cn.festival_windows`) are planned too.

Example
-------
>>> res = anomaly_alerts(opslab.load_sample(), as_of="2026-10-31")   # doctest: +SKIP
>>> res.frame[["day", "kpi", "actual", "expected", "cause_dimension", "cause_segment"]]  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from opslab.core.calendar_cn import festival_windows
from opslab.core.periods import as_of_day
from opslab.report.why import sales_rows
from opslab.core.problems import OpsLabError

#: The catalogue's figures of a day (:mod:`opslab.metrics.catalogue`): GMV, orders, paying
#: users, DAU, new users.
ALERT_KPIS = ("gmv", "orders", "paying_users", "dau", "new_users")
#: Dimension -> (table the value comes from, column).
DIMENSIONS = {"order_channel": ("orders", "channel"), "user_channel": ("users", "channel"),
              "city": ("users", "city")}
COLUMNS = ["day", "kpi", "segment", "actual", "expected", "spread", "score", "direction",
           "cause_dimension", "cause_segment", "cause_share", "causes", "planned"]
#: A campaign this short (days) is a planned spike: 会员日, a live-stream night.
SHORT_CAMPAIGN_DAYS = 3


@dataclass(frozen=True)
class AlertConfig:
    """``window_days`` of history per comparison, ``threshold`` on the robust z, ``days``
    checked (the last days up to as_of), ``kpis``, the ``dimensions`` a cause is looked for in."""

    window_days: int = 28
    threshold: float = 4.5
    days: int = 1
    kpis: tuple = ALERT_KPIS
    dimensions: tuple = tuple(DIMENSIONS)

    def __post_init__(self):
        if self.window_days < 7:
            raise ValueError("window_days must be at least 7")
        if self.threshold <= 0 or self.days < 1:
            raise ValueError("threshold must be positive and days at least 1")
        unknown = set(self.kpis) - set(ALERT_KPIS) or set(self.dimensions) - set(DIMENSIONS)
        if unknown:
            raise OpsLabError("api.bad_choice", name="kpi / dimension", value=", ".join(sorted(unknown)),
                              allowed=", ".join(ALERT_KPIS + tuple(DIMENSIONS)))


@dataclass
class AlertResult:
    """``frame``: one row per alert (:data:`COLUMNS`; ``segment`` "" for the whole KPI,
    ``causes`` every dimension's best segment and share); ``problems``; ``config``; ``as_of``."""

    frame: pd.DataFrame
    problems: list = field(default_factory=list)
    config: AlertConfig = field(default_factory=AlertConfig)
    as_of: dt.date | None = None

    def news(self) -> pd.DataFrame:
        """The alerts no planned campaign explains."""
        return self.frame[self.frame["planned"] == ""]


#: A running campaign explains an alert when its channel carries this much more of the
#: deviation than its usual share of the KPI.
CAMPAIGN_SHARE = 0.3


def _festivals(ds, start: pd.Timestamp, end: pd.Timestamp) -> list[tuple]:
    """(name, first day, last day) of the Chinese festivals, for data in yuan only."""
    if str(getattr(ds, "currency", "") or "").upper() not in ("CNY", "RMB"):
        return []
    return [(name, pd.Timestamp(a), pd.Timestamp(b)) for year in range(start.year, end.year + 1)
            for name, (a, b) in festival_windows(year).items()]


def _planned(campaigns: pd.DataFrame | None, day: pd.Timestamp, channel_share: dict, festivals=()) -> str:
    """Names of the campaigns (and festivals, as ``festival:<name>``) that explain an alert on
    ``day`` (see the module docstring)."""
    fest = [f"festival:{name}" for name, a, b in festivals if a <= day <= b]
    if fest:
        return "、".join(fest)
    if campaigns is None or not len(campaigns):
        return ""
    start, end = pd.to_datetime(campaigns["start_date"]), pd.to_datetime(campaigns["end_date"])
    on = campaigns[(start <= day) & (end >= day)]
    if not len(on):
        return ""
    s, e = pd.to_datetime(on["start_date"]), pd.to_datetime(on["end_date"])
    short = (e - s).dt.days + 1 <= SHORT_CAMPAIGN_DAYS
    same = (on["channel"].astype(str).map(lambda c: channel_share.get(c, 0.0) >= CAMPAIGN_SHARE)
            if "channel" in on.columns else pd.Series(False, index=on.index))
    names = on.loc[short | same, "name"] if "name" in on.columns else on.loc[short | same, "campaign_id"]
    return "、".join(sorted(map(str, names)))


def _rows(ds, kpi: str) -> tuple[pd.DataFrame, str]:
    """The rows a KPI is made of, with ``day``, ``uid``, ``value`` and each dimension; a day's
    total is the catalogue's figure of that day (GMV net of refunds under the net rule, orders
    and paying users of sales, DAU of users with an event or a paid order, new users whose
    signup is known)."""
    users = ds.users.set_index("uid")
    if kpi == "new_users":
        u = ds.users[~ds.users["censored"]] if "censored" in ds.users.columns else ds.users
        frame = u.assign(day=u["signup_time"].dt.normalize(), value=1.0)
    elif kpi == "dau":
        e, o = ds.events, ds.orders
        paid = o[o["status"] == "paid"] if "status" in o.columns else o
        frame = pd.concat([e[["uid"]].assign(day=e["event_time"].dt.normalize()),
                           paid[["uid"]].assign(day=paid["order_time"].dt.normalize())], ignore_index=True)
        frame = frame.drop_duplicates(["uid", "day"]).assign(value=1.0)
    else:
        o = sales_rows(ds)
        if kpi != "gmv":
            o = o[o["_sale"]]
        frame = o.assign(day=o["order_time"].dt.normalize(), value=o["amount"].astype(float) if kpi == "gmv" else 1.0)
        if kpi == "paying_users":
            frame = frame.drop_duplicates(["uid", "day"]).assign(value=1.0)
    out = frame[["day", "uid", "value"]].copy()
    for name, (table, col) in DIMENSIONS.items():
        if table == "users" and col in users.columns:
            out[name] = frame["uid"].map(users[col]).to_numpy()
        elif table == "orders" and kpi not in ("dau", "new_users") and col in frame.columns:
            out[name] = frame[col].to_numpy()
    return out, ("sum" if kpi == "gmv" else "count")


def _baseline(table: pd.DataFrame, window: int, count: bool, at=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Expected value (median) and spread (scaled MAD, floored) of every column on each day of
    ``at`` (default every day), from the ``window`` days before it; NaN without a full window."""
    at = table.index if at is None else pd.DatetimeIndex(at)
    values = table.to_numpy(float)
    pos = table.index.get_indexer(at)
    ok = pos >= window
    med = np.full((len(at), values.shape[1]), np.nan)
    mad = np.full_like(med, np.nan)
    if ok.any():
        windows = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)  # (n - w + 1, cols, w)
        win = windows[pos[ok] - window]                                             # days before each
        med[ok] = np.median(win, axis=2)
        mad[ok] = np.median(np.abs(win - med[ok][:, :, None]), axis=2) * 1.4826
    floor = np.sqrt(np.clip(med, 1.0, None)) if count else np.abs(med) * 0.05
    spread = np.where(np.isnan(med), np.nan, np.maximum(mad, floor))
    return (pd.DataFrame(med, index=at, columns=table.columns),
            pd.DataFrame(spread, index=at, columns=table.columns))


def _daily(rows: pd.DataFrame, days: pd.DatetimeIndex, by: str | None = None) -> pd.DataFrame:
    if by is None:
        s = rows.groupby("day")["value"].sum()
        return s.reindex(days, fill_value=0.0).to_frame("")
    frame = rows.assign(**{by: rows[by].astype(object).where(rows[by].notna(), "–").astype(str)})
    return frame.pivot_table(index="day", columns=by, values="value", aggfunc="sum").reindex(days).fillna(0.0)


def _causes(rows, days, when, total_dev, config, window, count) -> tuple[list[tuple], dict]:
    """(dimension, segment, share) per dimension, the largest excess first; and each channel
    segment's excess share of the deviation (for :func:`_planned`)."""
    out, channel_share = [], {}
    for dim in config.dimensions:
        if dim not in rows.columns:
            continue
        table = _daily(rows, days, dim)
        if table.shape[1] < 2:
            continue
        med, _ = _baseline(table, window, count, at=[when])
        usual = med.loc[when].fillna(0.0)
        dev = table.loc[when] - usual
        share = dev / total_dev if total_dev else dev * 0
        excess = share - (usual / usual.sum() if usual.sum() else 0.0)
        seg = excess.idxmax()
        out.append((dim, str(seg), float(share[seg]), float(excess[seg])))
        if dim in ("order_channel", "user_channel"):
            for k, v in excess.items():
                channel_share[str(k)] = max(channel_share.get(str(k), -np.inf), float(v))
    return [c[:3] for c in sorted(out, key=lambda c: -c[3])], channel_share


def anomaly_alerts(ds, subject=None, *, as_of=None, rules=None, config: AlertConfig | None = None) -> AlertResult:
    """Alerts on the last ``config.days`` days up to ``as_of`` (default the data's last day).

    ``subject``: the KPIs to check (names of :data:`ALERT_KPIS`, default all), or a dict
    ``{"kpis": [...], "segments": {dimension: [segment, ...]}}`` to check those segments' own
    series as well. ``rules`` is accepted for the common signature and unused."""
    config = config or AlertConfig()
    if subject is None or isinstance(subject, (list, tuple, str)):
        subject = {"kpis": [subject] if isinstance(subject, str) else list(subject or config.kpis)}
    if not isinstance(subject, dict):
        raise TypeError("subject must be KPI names or a dict with kpis and segments")
    kpis, segments = subject.get("kpis") or list(config.kpis), subject.get("segments") or {}
    bad = [k for k in kpis if k not in ALERT_KPIS] + [d for d in segments if d not in DIMENSIONS]
    if bad:
        raise OpsLabError("api.bad_choice", name="kpi / dimension", value=", ".join(map(str, bad)),
                          allowed=", ".join(ALERT_KPIS + tuple(DIMENSIONS)))
    as_of = as_of_day(as_of, ds.end)
    days = pd.date_range(pd.Timestamp(ds.start), pd.Timestamp(as_of), freq="D")
    checked = days[-config.days:]
    festivals = _festivals(ds, checked[0], checked[-1])
    out = []
    if not getattr(ds, "has_amounts", True):  # money figures are absent, never 0
        kpis = [k for k in kpis if k != "gmv"]
    for kpi in kpis:
        rows, how = _rows(ds, kpi)
        count = how == "count"
        total = _daily(rows, days)
        med, spread = _baseline(total, config.window_days, count, at=checked)
        for when in checked:
            x, e, s = float(total.loc[when, ""]), med.loc[when, ""], spread.loc[when, ""]
            if not np.isfinite(e) or not np.isfinite(s):
                continue
            z = (x - e) / s
            if abs(z) >= config.threshold:
                causes, channel_share = _causes(rows, days, when, x - e, config, config.window_days, count)
                top = causes[0] if causes else (None, None, np.nan)
                out.append([when.date(), kpi, "", x, float(e), float(s), float(z),
                            "above" if z > 0 else "below", top[0], top[1], top[2], causes,
                            _planned(ds.campaigns, when, channel_share, festivals)])
        for dim, wanted in segments.items():
            if dim not in rows.columns:
                continue
            table = _daily(rows, days, dim)
            smed, sspread = _baseline(table, config.window_days, count, at=checked)
            for seg in map(str, wanted):
                if seg not in table.columns:
                    continue
                for when in checked:
                    x, e, s = float(table.loc[when, seg]), smed.loc[when, seg], sspread.loc[when, seg]
                    if not (np.isfinite(e) and np.isfinite(s) and s > 0):
                        continue
                    z = (x - e) / s
                    if abs(z) >= config.threshold:
                        out.append([when.date(), kpi, f"{dim}={seg}", x, float(e), float(s), float(z),
                                    "above" if z > 0 else "below", dim, seg, 1.0, [(dim, seg, 1.0)],
                                    _planned(ds.campaigns, when, {seg: 1.0} if "channel" in dim else {},
                                             festivals)])
    frame = pd.DataFrame(out, columns=COLUMNS)
    return AlertResult(frame=frame, config=config, as_of=as_of)
