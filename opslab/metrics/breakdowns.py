"""Breakdowns: every Overview KPI filtered to, or split by, a dimension of the users.

A dimension is a user column (channel, city, any extra attribute of the users file), the
lifecycle ``tier`` at the data's end, or an event property taken first-touch (the value on
the user's first event that carries it). Each group becomes a :class:`Dataset` restricted to
its users but keeping the whole data's date range, so the KPIs, 环比/同比 and cohorts of a
group are computed by exactly the same code as the full Overview (``opslab.metrics.kpi_table``): a
filtered number can never drift from its unfiltered definition. Groups beyond the ``top_n``
largest are pooled as ``"__other__"``; users without a value form ``"__none__"``.

CAC and ROI by channel come from the campaigns table (:func:`channel_economics`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from opslab.metrics import kpi_table as metrics
from opslab.dataset.dataset import Dataset
from opslab.behaviour.funnels import NONE, OTHER, event_properties, first_values, user_dimensions
from opslab.core.problems import OpsLabError
from opslab.lifecycle.tiers import segment


@dataclass(frozen=True)
class _Subset(Dataset):
    """The users of one group, on the parent data's calendar (periods stay aligned)."""

    span: tuple = (None, None)
    #: What the subset is, when it is a named segment (:class:`opslab.metrics.segments.Scope`).
    scope: object = None
    #: The whole data set the users were taken from (its lifecycle rules are the ones in force).
    parent: object = field(default=None, compare=False, repr=False)

    @property
    def start(self):
        return self.span[0]

    @property
    def end(self):
        return self.span[1]

    @property
    def whole(self) -> bool:
        return False


def dimensions(ds: Dataset) -> list[str]:
    """Dimensions a KPI can be split by: user columns, ``tier``, then event properties.

    >>> ev = pd.DataFrame({"user_id": ["a"], "event_time": pd.to_datetime(["2024-01-01"]), "platform": ["ios"]})
    >>> dimensions(Dataset.from_tables(events=ev))
    ['tier', 'platform']
    """
    users = user_dimensions(ds)
    return users + [c for c in event_properties(ds) if c not in users]


def user_groups(ds: Dataset, by: str, top_n: int = 5) -> pd.Series:
    """Each user's group (indexed by ``uid``): top ``top_n`` values by users, the rest ``__other__``.

    >>> ev = pd.DataFrame({"user_id": list("abcd"), "event_time": pd.to_datetime(["2024-01-01"] * 4)})
    >>> us = pd.DataFrame({"user_id": list("abcd"), "city": ["京", "京", "沪", None]})
    >>> user_groups(Dataset.from_tables(events=ev, users=us), "city", top_n=1).tolist()
    ['京', '京', '__other__', '__other__']
    """
    def compute():
        if by == "tier":
            seg = segment(ds)
            raw = pd.Series(seg["tier"].to_numpy(), index=seg["uid"].to_numpy()).reindex(ds.users["uid"])
        elif by in ds.users.columns and by in user_dimensions(ds):
            raw = pd.Series(ds.users[by].to_numpy(), index=ds.users["uid"].to_numpy())
        elif by in event_properties(ds):
            first = first_values(ds, by)  # first touch, read in the engine
            raw = pd.Series(first["value"].to_numpy(dtype=object), index=first["uid"].to_numpy()).reindex(ds.users["uid"])
        else:
            raise OpsLabError("breakdowns.unknown_dimension", dimension=by)
        labels = raw.astype("object").where(raw.notna(), NONE).astype("str")
        labels.index = ds.users["uid"].to_numpy()
        return labels
    labels = ds.memo(("breakdown_labels", by), compute)
    keep = set(labels.value_counts().index[:top_n])
    return labels.where(labels.isin(keep), OTHER)


def subset(ds: Dataset, uids, scope=None) -> Dataset:
    """The data set restricted to the users ``uids`` (same calendar as ``ds``; ``uids`` are
    ``ds``'s). The subset numbers its users densely again (``uid`` 0..n-1, in ``ds``'s order),
    as every table of a Dataset does, and keeps every setting of ``ds`` (currency, refunds
    rule, amounts, buyers); campaigns stay the whole data set's (``whole`` is False: spend is
    not split by users). ``scope``: what the subset is (a named segment, for its labels)."""
    uids = np.asarray(sorted(set(int(u) for u in uids)), dtype=np.int64)
    key = hashlib.sha256(uids.tobytes()).hexdigest()

    def renumbered(frame: pd.DataFrame) -> pd.DataFrame:
        kept = frame[frame["uid"].isin(uids)].reset_index(drop=True)
        return kept.assign(uid=np.searchsorted(uids, kept["uid"].to_numpy()).astype(frame["uid"].dtype))

    def compute():
        lines = ds.order_lines
        if lines is not None and len(lines) and "user_id" in lines:
            lines = lines[lines["user_id"].isin(set(ds.users["user_id"].to_numpy()[np.isin(ds.users["uid"], uids)]))]
        inherited = {f.name: getattr(ds, f.name) for f in fields(Dataset)}
        inherited["parent"] = getattr(ds, "parent", None) or ds
        inherited.update(events=renumbered(ds.events), orders=renumbered(ds.orders), users=renumbered(ds.users),
                         fingerprint=f"{ds.fingerprint}:{key[:12]}", order_lines=lines)
        return _Subset(**inherited, span=(ds.start, ds.end), scope=scope)
    return ds.memo(("subset", key, scope), compute)


def filtered(ds: Dataset, by: str, values) -> Dataset:
    """Only the users whose ``by`` group is in ``values`` (group labels as from :func:`user_groups`
    with every value kept)."""
    labels = user_groups(ds, by, top_n=10**9)
    return subset(ds, labels.index[labels.isin([str(v) for v in values])])


def group_sizes(ds: Dataset, by: str, top_n: int = 5) -> pd.Series:
    """Users per group, largest first, ``__other__`` last."""
    counts = user_groups(ds, by, top_n).value_counts()
    order = sorted(counts.index, key=lambda g: (g == OTHER, -counts[g], g))
    return counts.reindex(order)


def kpi_breakdown(ds: Dataset, grain: str, by: str, top_n: int = 5,
                  config: metrics.MetricConfig = metrics.MetricConfig()) -> pd.DataFrame:
    """Every KPI per period and group (long frame: ``group``, ``period`` and the KPI columns of
    :func:`opslab.metrics.kpi_table.kpis`).

    >>> ev = pd.DataFrame({"user_id": list("aab"), "event_time": pd.to_datetime(
    ...     ["2024-01-01", "2024-01-02", "2024-01-01"])})
    >>> us = pd.DataFrame({"user_id": ["a", "b"], "channel": ["x", "y"]})
    >>> kb = kpi_breakdown(Dataset.from_tables(events=ev, users=us), "day", "channel")
    >>> kb.pivot(index="period", columns="group", values="dau").values.tolist()
    [[1.0, 1.0], [1.0, 0.0]]
    """
    labels = user_groups(ds, by, top_n)
    parts = []
    for g in group_sizes(ds, by, top_n).index:
        frame = metrics.kpis(subset(ds, labels.index[labels == g]), grain, config).reset_index()
        frame.insert(0, "group", g)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def kpi_cards_by(ds: Dataset, grain: str, start, by: str, top_n: int = 5,
                 config: metrics.MetricConfig = metrics.MetricConfig()) -> pd.DataFrame:
    """The KPI cards (value, 环比, 同比) of one period for every group: rows ``(group, kpi)``."""
    labels = user_groups(ds, by, top_n)
    parts = []
    for g in group_sizes(ds, by, top_n).index:
        cards = metrics.kpi_cards(subset(ds, labels.index[labels == g]), grain, start, config).reset_index()
        cards.insert(0, "group", g)
        parts.append(cards)
    return pd.concat(parts, ignore_index=True)


def channel_economics(ds: Dataset, grain: str = "month") -> pd.DataFrame:
    """Spend, new users, attributed revenue, CAC and ROI per period and channel (``__all__`` for
    every channel together), campaign figures spread evenly over their days.

    New users are the campaigns' own ``new_users`` where reported, else the users table's
    signups with that channel in the campaign's days. ``cac`` = spend / new users;
    ``roi`` = revenue / spend.

    >>> ev = pd.DataFrame({"user_id": ["a"], "event_time": pd.to_datetime(["2024-01-01"])})
    >>> cp = pd.DataFrame({"campaign_id": ["c1"], "start_date": pd.to_datetime(["2024-01-30"]),
    ...     "end_date": pd.to_datetime(["2024-02-02"]), "spend": [400.0], "channel": ["抖音"],
    ...     "new_users": [8.0], "revenue": [1000.0]})
    >>> ce = channel_economics(Dataset.from_tables(events=ev, campaigns=cp))
    >>> ce[ce["channel"] == "抖音"][["spend", "new_users", "cac"]].values.tolist()
    [[200.0, 4.0, 50.0], [200.0, 4.0, 50.0]]
    """
    cp = ds.campaigns
    cols = ["period", "channel", "spend", "new_users", "revenue", "cac", "roi"]
    if cp.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    signups = ds.users[~ds.users["censored"]] if "channel" in ds.users else None
    for c in cp.itertuples():
        days = pd.date_range(c.start_date, c.end_date, freq="D")
        if len(days) == 0:
            continue
        channel = c.channel if isinstance(c.channel, str) and c.channel else NONE
        new = c.new_users
        if not np.isfinite(new) and signups is not None:
            day = signups["signup_time"].dt.normalize()
            new = float(((signups["channel"] == channel) & day.between(days[0], days[-1])).sum())
        revenue = c.revenue if np.isfinite(c.revenue) else 0.0
        for d in days:
            rows.append((metrics.period_start(d, grain), channel, c.spend / len(days),
                         new / len(days) if np.isfinite(new) else np.nan, revenue / len(days)))
    frame = pd.DataFrame(rows, columns=cols[:5])
    per = frame.groupby(["period", "channel"], as_index=False)[["spend", "new_users", "revenue"]].sum(min_count=1)
    total = frame.groupby("period", as_index=False)[["spend", "new_users", "revenue"]].sum(min_count=1)
    total.insert(1, "channel", "__all__")
    out = pd.concat([per, total], ignore_index=True)
    out["cac"] = out["spend"] / out["new_users"].where(out["new_users"] > 0)
    out["roi"] = out["revenue"] / out["spend"].where(out["spend"] > 0)
    return out.sort_values(["period", "channel"], ignore_index=True)[cols]
