"""Distributions, intervals, LTV curves and the users behind a number in the API's one shape
(the explore screen's analyses, :mod:`opslab.behaviour.explore` and :mod:`opslab.behaviour.people`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from opslab.api.shape import Result, dataset_of, known_events, need_buyers, settings_config, day_of
from opslab.behaviour import explore as explore_mod
from opslab.behaviour import people as people_mod
from opslab.dataset.dataset import Dataset
from opslab.lifecycle import fit as lifecycle_fit
from opslab.lifecycle.tiers import LifecycleRules
from opslab.metrics import lead_kpis, segments
from opslab.metrics import segment_profile as profile_mod
from opslab.models import churn as churn_mod
from opslab.models import clv as clv_mod

__all__ = ["distribution", "interval", "ltv_curve", "users", "user_profile", "UsersResult", "segment_profile"]


def rules_for_split(data: Dataset, day, rules, cfg) -> LifecycleRules | None:
    """The rules a split by tier uses: the ones given, else the rules in force (as segment)."""
    return rules or (lifecycle_fit.rules_in_force(data, day) if cfg.by == "tier" else None)


def explore_config(config, settings) -> "explore_mod.ExploreConfig":
    if settings.get("segment") is not None:
        settings = {**settings, "segment": tuple(str(u) for u in settings["segment"])}
    if "days" in settings and settings["days"] is not None:
        settings = {**settings, "days": tuple(int(d) for d in settings["days"])}
    return settings_config(explore_mod.ExploreConfig, config, settings)


def distribution(ds, measure: str = "events", *, as_of=None, rules=None, config=None,
                 segment=None, **settings) -> explore_mod.DistributionResult:
    """Per-user ``measure`` (events, active_days, orders, gmv; "spend": gmv's old name) of users
    active up to ``as_of`` in readable bins (a DistributionResult: ``.frame``/``.bins``, ``.stats``);
    ``by``, ``segment``, ``start`` as :class:`ExploreConfig`."""
    data, cfg = dataset_of(ds, segment), explore_config(config, settings)
    need_buyers(data, "distribution")
    day = day_of(data, as_of)
    return explore_mod.distribution(data, measure, cfg, day, rules_for_split(data, day, rules, cfg))


def interval(ds, events: tuple, *, as_of=None, rules=None, config=None,
             segment=None, **settings) -> explore_mod.IntervalResult:
    """Time from each user's first ``events[0]`` to their next ``events[1]``: median, P10-P90
    (``.stats``), histogram (``.frame``/``.bins``) and ``.trend`` by ``grain``; ``by``, ``segment``."""
    data, cfg = dataset_of(ds, segment), explore_config(config, settings)
    need_buyers(data, "interval")
    if isinstance(events, (tuple, list)):  # the shape itself is checked by the analysis
        known_events(dataset_of(ds), events)
    day = day_of(data, as_of)
    return explore_mod.interval(data, tuple(events), cfg, day, rules_for_split(data, day, rules, cfg))


def _cac(data: Dataset, day, by) -> pd.DataFrame:
    """CAC per group where campaigns give it: per channel when split by channel, else overall."""
    camps = lead_kpis.campaigns_in(data, data.start, day)
    if not len(camps):
        return pd.DataFrame(columns=["group", "cac"])
    if by is None:
        return pd.DataFrame({"group": [explore_mod.ALL], "cac": [lead_kpis.campaign_cac_roi(data, camps)[0]]})
    if by != "channel" or "channel" not in camps or not data.whole:  # a segment: spend is not split
        return pd.DataFrame(columns=["group", "cac"])
    rows = [{"group": str(ch), "cac": lead_kpis.cac_roi(c)[0]} for ch, c in camps.groupby("channel")]
    return pd.DataFrame(rows, columns=["group", "cac"])


def ltv_curve(ds, anchor: str = "first_purchase", *, as_of=None, rules=None, config=None, segment=None,
              **settings) -> explore_mod.LtvResult:
    """Cumulative paid revenue per user ``n`` days after the first purchase (or ``"signup"``),
    by cohort (``cohort_grain``) and ``by`` (e.g. channel), with CAC and payback day where
    campaigns give it (an LtvResult: ``.frame``/``.cells``, ``.curve``, ``.payback``)."""
    data = dataset_of(ds, segment)
    need_buyers(data, "ltv_curve")
    cfg = explore_config(config, {**settings, "anchor": anchor})
    day = day_of(data, as_of)
    return explore_mod.ltv_curve(data, cfg, day, rules_for_split(data, day, rules, cfg), cac=_cac(data, day, cfg.by))


@dataclass(frozen=True)
class UsersResult(Result):
    """The users behind a number (``frame``: one row per user with attributes, activity,
    value and tier); ``count`` equals the number."""

    count: int = 0


def users(ds, of, *, as_of=None, rules=None, config=None, segment=None, **where) -> UsersResult:
    """The users a number counts: ``of`` is a KPI name (``active_users``, ``dau``,
    ``paying_users``, ``new_users`` with ``period=``/``grain=``), ``"tier"`` (with
    ``tier=``), or a result: behaviour retention (``cohort=``, ``k=``, ``group=``), a
    distribution or interval (``bin=``, ``group=``), a funnel (``step=`` or ``dropped_at=``), paths
    (``level=``, ``event=``, ``left=``), or a saved :class:`~opslab.metrics.segments.Segment`
    (its members, to export)."""
    data = dataset_of(ds, segment)
    need_buyers(data, "users")
    day = getattr(of, "as_of", None) or day_of(data, as_of)
    used = rules or lifecycle_fit.rules_in_force(data, day)  # the tier of every listed user
    if isinstance(of, segments.Segment):  # a saved segment: its members on this data
        uids = segments.member_uids(data, of)
    else:
        uids = people_mod.users_behind(data, of, day, used, **where)
    frame = people_mod.user_table(data, uids, day, used)
    return UsersResult(frame=frame, config=config, as_of=day, count=len(frame))


def user_profile(ds, user_id, *, as_of=None, rules=None, config=None,
                 segment=None) -> "people_mod.UserProfileResult":
    """One user's story: ``.summary``/``.frame``, ``.timeline(page, per_page, events)``,
    ``.event_counts``, ``.tiers`` (month by month), ``.risk`` (their churn-risk row, with
    reasons) and ``.clv`` (their CLV row), the last three computed on first use."""
    data = dataset_of(ds, segment)
    need_buyers(data, "user_profile")
    day = day_of(data, as_of)
    used = rules or lifecycle_fit.rules_in_force(data, day)
    uid = people_mod.find_user(data, user_id)

    def risk():
        scores = churn_mod.churn_risk(data, day, rules=used).scores
        return scores[scores["user_id"].astype("str") == str(user_id)].reset_index(drop=True)

    def value():
        cust = clv_mod.clv(data, day).customers
        key = "user_id" if "user_id" in cust else cust.index.name
        rows = cust[cust["user_id"].astype("str") == str(user_id)] if key == "user_id" else cust.loc[[str(user_id)]]
        return rows.reset_index(drop=True)
    return people_mod.UserProfileResult(data, uid, str(user_id), day, used, extras={"risk": risk, "clv": value})


def segment_profile(ds, of, *, as_of=None, rules=None, config=None, segment=None, dimensions=None,
                    min_users: int | None = None, top_n: int | None = None) -> "profile_mod.SegmentProfileResult":
    """A segment compared with all users (of ``segment`` when given): per attribute value the
    users in each, both shares and TGI, the most over-represented first, few-user values
    flagged (:func:`opslab.metrics.segment_profile.profile`). Attributes are read at the data's
    end: ``as_of`` and ``rules`` are not used."""
    options = {k: v for k, v in {"min_users": min_users, "top_n": top_n}.items() if v is not None}
    data = dataset_of(ds, segment)
    result = profile_mod.profile(data, segments.as_segment(of), dimensions=dimensions, **options)
    return dataclasses.replace(result, config=config, as_of=day_of(data, None))
