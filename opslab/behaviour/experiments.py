"""A/B test readouts: who was in which variant, what happened after, and what it means.

The variant comes from an assignment table (``user_id``, ``variant``, optional ``time``:
an uploaded file) or from an event property (:func:`assignments_from_events`). Outcomes are
counted per user from the exposure time (the assignment time, else the user's first event
after the experiment began) in DuckDB (``opslab/behaviour/experiments.sql``); the statistics are in
:mod:`opslab.behaviour.experiment_stats`.

A readout is stopped (``verdict == "srm"``) when the variant counts do not match the planned
split (sample-ratio mismatch, p < ``srm_alpha``): the assignment is broken and no lift from it
can be trusted. p-values come twice: the fixed-horizon one (valid only when the sample size
was fixed in advance and the test read once) and the always-valid sequential one (mSPRT),
which a lead may check every day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from opslab.behaviour import experiment_stats as st
from opslab.dataset.dataset import Dataset
from opslab.behaviour.funnel_sql import first_values
from opslab.core.problems import OpsLabError
from opslab.core.results import result_surface

METRICS = ("conversion", "revenue", "orders", "retention", "aov")
#: metrics whose per-user value is 0/1
BINARY = frozenset({"conversion", "retention"})
VERDICTS = ("srm", "win", "loss", "flat", "inconclusive", "too_early")


@dataclass(frozen=True)
class ABConfig:
    """Settings of a readout (all editable on the screen)."""

    alpha: float = 0.05
    power: float = 0.8
    srm_alpha: float = 0.001          # GrowthBook's default SRM threshold
    window_days: float | None = None  # outcomes counted from exposure for N days (None: to the end)
    pre_days: int = 14                # CUPED pre-period
    retention_day: int = 7
    event: str = "purchase"           # conversion event
    weights: tuple[float, ...] | None = None  # planned split, equal by default
    mde_rel: float = 0.1              # the lift the power calculator plans for
    seq_tau: float = 0.25             # mSPRT prior sd of the lift, relative to the control mean


@result_surface(frame="comparisons")
@dataclass(frozen=True)
class ABResult:
    """A readout. ``variants``: n and mean per variant; ``comparisons``: one row per treatment
    (lift, CI, p-values, chance to beat control, power); ``srm_p``; ``verdicts`` per treatment;
    ``users``: the per-user outcomes."""

    metric: str
    control: str
    variants: pd.DataFrame
    comparisons: pd.DataFrame
    srm_chi2: float
    srm_p: float
    srm_ok: bool
    cuped: bool
    days_running: int
    users: pd.DataFrame = field(repr=False)
    dropped: dict = field(default_factory=dict)

    @property
    def verdicts(self) -> dict:
        return dict(zip(self.comparisons["variant"], self.comparisons["verdict"]))


def read_assignments(frame: pd.DataFrame) -> pd.DataFrame:
    """An assignment table from a file: the first three columns (or columns named ``user_id``,
    ``variant``, ``time`` / 用户ID, 分组, 时间) become ``user_id``, ``variant``, ``time``.

    >>> read_assignments(pd.DataFrame({"uid": [1, 2], "group": ["A", "B"]}))["variant"].tolist()
    ['A', 'B']
    """
    names = {c: str(c).strip().lower() for c in frame.columns}
    pick = {}
    for role, words in (("user_id", ("user_id", "uid", "user", "用户id", "用户", "会员id")),
                        ("variant", ("variant", "group", "arm", "bucket", "分组", "组别", "实验组")),
                        ("time", ("time", "assigned_at", "exposure_time", "timestamp", "时间", "分组时间"))):
        found = [c for c, low in names.items() if low in words]
        if found:
            pick[role] = found[0]
    rest = [c for c in frame.columns if c not in pick.values()]
    for role in ("user_id", "variant"):
        if role not in pick:
            if not rest:
                raise OpsLabError("experiments.bad_assignment_file")
            pick[role] = rest.pop(0)
    out = pd.DataFrame({"user_id": frame[pick["user_id"]].astype("str").str.strip(),
                        "variant": frame[pick["variant"]].astype("str").str.strip()})
    time = pd.to_datetime(frame[pick["time"]], errors="coerce", format="mixed") if "time" in pick else pd.NaT
    out["time"] = time
    out = out[(out["user_id"] != "") & (out["variant"] != "") & out["user_id"].notna()]
    return out.reset_index(drop=True)


def assignments_from_events(ds: Dataset, column: str) -> pd.DataFrame:
    """Variant from an event property: each user's first non-empty value, exposed at that event.

    >>> ev = pd.DataFrame({"user_id": ["a", "a", "b"], "event_time": pd.to_datetime(
    ...     ["2024-01-01", "2024-01-02", "2024-01-01"]), "exp": [None, "B", "A"]})
    >>> assignments_from_events(Dataset.from_tables(events=ev), "exp")["variant"].tolist()
    ['A', 'B']
    """
    first = first_values(ds, column)
    return pd.DataFrame({"user_id": ds.users["user_id"].to_numpy()[first["uid"].to_numpy(dtype=np.int64)],
                         "variant": first["value"].astype("str").to_numpy(),
                         "time": first["event_time"].to_numpy()})


def _clean(ds: Dataset, assignment: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    a = assignment[["user_id", "variant"] + (["time"] if "time" in assignment else [])].copy()
    a["user_id"] = a["user_id"].astype("str")
    if "time" not in a:
        a["time"] = pd.NaT
    a["time"] = pd.to_datetime(a["time"])
    multi = a.groupby("user_id")["variant"].nunique()
    both = set(multi.index[multi > 1])
    a = a[~a["user_id"].isin(both)].sort_values("time").drop_duplicates("user_id", keep="first")
    codes = pd.Index(ds.users["user_id"])
    a["uid"] = codes.get_indexer(a["user_id"])
    # No assignment time: exposure = the user's first event on or after the experiment start.
    start = a["time"].min() if a["time"].notna().any() else pd.Timestamp(ds.start)
    missing = a["time"].isna()
    if missing.any():
        ev = ds.engine.run("ab_first_events", start=pd.Timestamp(start))
        first = pd.Series(pd.to_datetime(ev["event_time"]).to_numpy(), index=ev["uid"].to_numpy())
        a.loc[missing, "time"] = a.loc[missing, "uid"].map(first).to_numpy()
    a["time"] = a["time"].fillna(start)
    dropped = {"multiple_variants": len(both), "unknown_users": int((a["uid"] < 0).sum())}
    return a.reset_index(drop=True), dropped


def user_outcomes(ds: Dataset, assignment: pd.DataFrame, config: ABConfig = ABConfig()) -> tuple[pd.DataFrame, dict]:
    """Per assigned user: variant, exposure and every metric's value after and before exposure."""
    a, dropped = _clean(ds, assignment)
    eng = ds.engine
    with eng._lock:  # sessions sharing this data set must not swap `asg` between the two calls
        eng.register("asg", pd.DataFrame({"rid": np.arange(len(a), dtype=np.int64),
                                          "uid": a["uid"].to_numpy(dtype=np.int64), "variant": a["variant"].astype("str"),
                                          "exposure": a["time"].astype("datetime64[us]")}))
        window = config.window_days if config.window_days else 1e6
        out = eng.run("ab_user_metrics", window_us=int(window * 86400e6), pre_days=int(config.pre_days),
                      ret_day=int(config.retention_day), event=config.event,
                      stop=pd.Timestamp(ds.end) + pd.Timedelta(days=1), last_day=str(ds.end))
        daily = eng.run("ab_daily_outcomes", window_us=int(window * 86400e6), event=config.event,
                        stop=pd.Timestamp(ds.end) + pd.Timedelta(days=1))
    out.insert(1, "user_id", a["user_id"].to_numpy()[out["rid"].to_numpy()])
    daily["day"] = pd.to_datetime(daily["day"])
    out.attrs["daily"] = daily  # per user (rid) and day: what a look on that day could see
    return out, dropped


def _values(users: pd.DataFrame, metric: str):
    """(outcome y, pre-period covariate x) per user; for ``aov`` (num, den) pairs."""
    if metric == "conversion":
        return (users["n_post"] > 0).astype(float), (users["n_pre"] > 0).astype(float)
    if metric == "revenue":
        return users["rev_post"].astype(float), users["rev_pre"].astype(float)
    if metric == "orders":
        return users["ord_post"].astype(float), users["ord_pre"].astype(float)
    if metric == "retention":
        return users["retained"].astype(float), users["days_pre"].astype(float)
    raise OpsLabError("experiments.bad_metric", metric=metric)


def ab_test(ds: Dataset, assignment: pd.DataFrame, metric: str = "conversion", *, control: str | None = None,
            config: ABConfig = ABConfig()) -> ABResult:
    """Read out an A/B test on one metric.

    Parameters
    ----------
    ds : the data set holding the behaviour after (and before) exposure.
    assignment : ``user_id``, ``variant`` and optional ``time`` (see :func:`read_assignments`,
        :func:`assignments_from_events`).
    metric : ``"conversion"`` (did ``config.event``), ``"revenue"`` (paid amount per user),
        ``"orders"`` (paid orders per user), ``"retention"`` (active on day
        ``config.retention_day`` after exposure) or ``"aov"`` (revenue per order, a ratio metric).
    control : the control variant (default: "control"/"A"/对照 if present, else the first in
        sorted order).
    config : :class:`ABConfig`.

    Returns
    -------
    ABResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 400
    >>> ev = pd.DataFrame({"user_id": [f"u{i}" for i in range(n)] * 2,
    ...     "event_time": [pd.Timestamp("2024-01-01")] * n + [pd.Timestamp("2024-01-02")] * n,
    ...     "event_name": ["visit"] * n + list(np.where(rng.random(n) < np.r_[[.2] * 200, [.4] * 200], "purchase", "visit"))})
    >>> asg = pd.DataFrame({"user_id": [f"u{i}" for i in range(n)], "variant": ["A"] * 200 + ["B"] * 200})
    >>> res = ab_test(Dataset.from_tables(events=ev), asg, "conversion", control="A")
    >>> bool(res.srm_ok), res.verdicts["B"]
    (True, 'win')
    """
    if metric not in METRICS:
        raise OpsLabError("experiments.bad_metric", metric=metric)
    users, dropped = user_outcomes(ds, assignment, config)
    daily = users.attrs.pop("daily")
    if metric == "retention":
        users = users[users["retained"].notna()]
    names = sorted(users["variant"].unique())
    if len(names) < 2:
        raise OpsLabError("experiments.need_two_variants", n=len(names))
    control = control if control in names else _default_control(names)
    order = [control] + [v for v in names if v != control]
    counts = users["variant"].value_counts().reindex(order).to_numpy()
    weights = config.weights if config.weights and len(config.weights) == len(order) else None
    chi2, srm_p = st.srm_check(counts, weights)
    exp_start = users["exposure"].min()
    days = max(1, (pd.Timestamp(ds.end) - exp_start.normalize()).days + 1)

    groups = {v: users[users["variant"] == v] for v in order}
    variants, rows = [], []
    use_cuped = False
    if metric == "aov":
        for v in order:
            r, var = st.ratio_stats(groups[v]["rev_post"], groups[v]["ord_post"])
            variants.append({"variant": v, "n": len(groups[v]), "mean": r, "sd": float("nan")})
        for v in order[1:]:
            g_c, g_t = groups[control], groups[v]
            rows.append((v, st.compare_ratios(g_c["rev_post"], g_c["ord_post"], g_t["rev_post"], g_t["ord_post"],
                                              config.alpha), float("nan")))
    else:
        y, x = _values(users, metric)
        pre_ok = (users["exposure"] - pd.Timedelta(days=config.pre_days) >= pd.Timestamp(ds.start)).mean() > 0.5
        use_cuped = bool(pre_ok and x.var() > 0)
        adj = pd.Series(st.cuped(y.to_numpy(), x.to_numpy())[0], index=users.index) if use_cuped else y
        for v in order:
            yv = y[groups[v].index]
            variants.append({"variant": v, "n": len(yv), "mean": float(yv.mean()), "sd": float(yv.std(ddof=1))})
        for v in order[1:]:
            c_idx, t_idx = groups[control].index, groups[v].index
            binary = metric in BINARY and not use_cuped
            comp = st.compare_means(adj[c_idx], adj[t_idx], config.alpha, binary=binary)
            raw_c, raw_t = y[c_idx].mean(), y[t_idx].mean()
            if use_cuped:  # report the actual means; the adjusted lift and its tighter interval
                comp = _shift_means(comp, raw_c, raw_t)
            rows.append((v, comp, float(adj[c_idx].std(ddof=1))))
    frame = _comparisons(rows, groups, control, metric, daily, pd.Timestamp(ds.end), config, days, srm_p)
    return ABResult(metric, control, pd.DataFrame(variants), frame, chi2, srm_p, srm_p >= config.srm_alpha,
                    use_cuped, days, users.reset_index(drop=True), dropped)


def _default_control(names: list[str]) -> str:
    for cand in ("control", "Control", "A", "a", "对照组", "对照", "base", "baseline", "0"):
        if cand in names:
            return cand
    return names[0]


def _shift_means(comp: st.Comparison, raw_c: float, raw_t: float) -> st.Comparison:
    """CUPED leaves the means' difference unbiased but moves both means by the same amount;
    show the real means, keep the adjusted lift, interval and p-value."""
    half = (comp.ci_high - comp.ci_low) / 2
    rel_half = half / abs(raw_c) if raw_c else float("nan")
    return st.Comparison(raw_c, raw_t, comp.lift, comp.ci_low, comp.ci_high,
                         comp.lift / raw_c if raw_c else float("nan"),
                         (comp.lift / raw_c - rel_half) if raw_c else float("nan"),
                         (comp.lift / raw_c + rel_half) if raw_c else float("nan"),
                         comp.se, comp.p_value, comp.chance_to_beat, comp.test)


def _comparisons(rows, groups, control, metric, daily, end, config, days, srm_p) -> pd.DataFrame:
    out = []
    for v, comp, sd_c in rows:
        seq = _sequential(groups[control], groups[v], metric, comp, config, daily, end)
        n_now = min(len(groups[control]), len(groups[v]))
        sd = sd_c if np.isfinite(sd_c) else comp.se * math.sqrt(n_now / 2)
        per_day = n_now / days
        # one route to "days remaining": the power card calls power_plan with these inputs
        plan = power_plan(comp.mean_c, sd, config.mde_rel, per_day, n_now, config.alpha, config.power)
        out.append({"variant": v, **comp.__dict__, "p_sequential": seq,
                    "mde_abs": st.mde(sd, n_now, config.alpha, config.power), "n_needed": plan["n_per_variant"],
                    "days_more": plan["days_more"], "sd_used": sd, "n_now": n_now, "per_day": per_day})
    frame = pd.DataFrame(out)
    frame["p_holm"] = st.holm(frame["p_value"].fillna(1.0).to_numpy())
    frame["p_seq_holm"] = st.holm(frame["p_sequential"].fillna(1.0).to_numpy())
    frame["verdict"] = [_verdict(r, srm_p, config) for r in frame.itertuples()]
    # a win or loss before the planned sample is a sequential stop: no more days are needed
    frame["stopped_early"] = frame["verdict"].isin(("win", "loss")) & frame["days_more"].fillna(0).gt(0)
    return frame


def _sequential(g_c: pd.DataFrame, g_t: pd.DataFrame, metric: str, comp: st.Comparison, config: ABConfig,
                daily: pd.DataFrame, end: pd.Timestamp) -> float:
    """Always-valid p-value over daily looks. A look on day d reads the users exposed by then
    with their outcomes up to that day only, as a lead checking the test daily would have."""
    users = pd.concat([g_c.assign(arm=0), g_t.assign(arm=1)])
    users = users.assign(day0=users["exposure"].dt.normalize())
    days = pd.date_range(users["day0"].min(), max(end, users["day0"].max()), freq="D")
    daily = daily[daily["rid"].isin(users["rid"])]
    lifts, variances = [], []
    for d in days:
        seen = users[users["day0"] <= d]
        if metric == "retention":
            seen = seen[seen["day0"] + pd.Timedelta(days=config.retention_day) <= d]
        if (seen["arm"] == 0).sum() < 2 or (seen["arm"] == 1).sum() < 2:
            continue
        upto = daily[daily["day"] <= d].groupby("rid")[["conv", "rev", "ord"]].sum()
        got = upto.reindex(seen["rid"]).fillna(0).to_numpy()
        if metric == "conversion":
            y = (got[:, 0] > 0).astype(float)
        elif metric in ("revenue", "aov"):
            y = got[:, 1]
        elif metric == "orders":
            y = got[:, 2]
        else:
            y = seen["retained"].to_numpy(dtype=float)
        arm = seen["arm"].to_numpy()
        if metric == "aov":
            r_c, v_c = st.ratio_stats(y[arm == 0], got[arm == 0, 2])
            r_t, v_t = st.ratio_stats(y[arm == 1], got[arm == 1, 2])
            lifts.append(r_t - r_c)
            variances.append(v_c + v_t)
        else:
            yc, yt = y[arm == 0], y[arm == 1]
            lifts.append(yt.mean() - yc.mean())
            variances.append(yc.var(ddof=1) / len(yc) + yt.var(ddof=1) / len(yt))
    if not lifts:
        return float("nan")
    tau2 = (config.seq_tau * abs(comp.mean_c)) ** 2 or comp.se ** 2
    return float(st.msprt_pvalues(lifts, variances, tau2)[-1])


def _verdict(r, srm_p: float, config: ABConfig) -> str:
    if srm_p < config.srm_alpha:
        return "srm"
    if not np.isfinite(r.p_value):
        return "inconclusive"
    # Do not peek: before the planned sample is reached only the always-valid p-value may
    # end the test; the fixed-horizon one is read once the sample is complete.
    early = bool(r.days_more)
    p = r.p_seq_holm if early else r.p_holm
    if p < config.alpha:
        return "win" if r.lift > 0 else "loss"
    if early:
        return "too_early"
    planned = abs(config.mde_rel * r.mean_c)
    if -planned < r.ci_low and r.ci_high < planned:  # the interval rules out the planned lift
        return "flat"
    return "inconclusive"


def power_plan(baseline: float, sd: float, mde_rel: float, users_per_day: float, n_now: float = 0,
               alpha: float = 0.05, power: float = 0.8) -> dict:
    """The power calculator: users per variant to detect a relative lift ``mde_rel`` on a
    metric with mean ``baseline`` and per-user ``sd``, and how many more days that takes at
    ``users_per_day`` per variant.

    >>> plan = power_plan(0.2, 0.4, 0.1, users_per_day=100)
    >>> round(plan["n_per_variant"]), plan["days_more"]
    (6279, 63)
    """
    need = st.sample_size(sd, abs(mde_rel * baseline), alpha, power)
    more = max(0, math.ceil((need - n_now) / users_per_day)) if np.isfinite(need) and users_per_day > 0 else None
    return {"n_per_variant": need, "days_more": more,
            "mde_now": st.mde(sd, n_now, alpha, power) if n_now else float("nan")}
