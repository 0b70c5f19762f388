"""A/B test readouts: who was in which variant, what happened after, and what it means.

The variant comes from an assignment table (``user_id``, ``variant``, optional ``time``:
an uploaded file) or from an event property (:func:`assignments_from_events`). Outcomes are
counted per user from the exposure time (the assignment time, else the user's first event
after the experiment began) in DuckDB (``opslab/behaviour/experiments.sql``); the statistics are in
:mod:`opslab.behaviour.experiment_stats`.

A readout is stopped (``verdict == "srm"``) when the variant counts do not match the planned
split (sample-ratio mismatch, p < ``srm_alpha``): the assignment is broken and no lift from it
can be trusted. p-values come twice: the fixed-horizon one (valid only when the sample size
was fixed in advance and the test read once) and the sequential one, which a lead may check
every day up to the planned sample: by default a group-sequential test whose Pocock alpha
spending makes the error rate of daily looks exactly alpha (planned samples inflated to keep
the power)
(:mod:`opslab.behaviour.group_sequential`); the always-valid mSPRT is an option.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from opslab.behaviour import effect_stats as es
from opslab.behaviour import experiment_effects as fx
from opslab.behaviour import experiment_stats as st
from opslab.behaviour.experiment_stats import power_plan  # the power card and the verdict share it
from opslab.dataset.dataset import Dataset
from opslab.behaviour.funnel_sql import first_values
from opslab.core.problems import OpsLabError
from opslab.core.results import result_surface

METRICS = ("conversion", "revenue", "orders", "retention", "aov")
#: metrics whose per-user value is 0/1
BINARY = frozenset({"conversion", "retention"})
VERDICTS = ("srm", "win", "loss", "flat", "inconclusive", "too_early")
ALTERNATIVES = ("two-sided", "greater", "less")
#: the test for daily looks: group-sequential with Pocock or O'Brien-Fleming spending, or mSPRT
SEQ_METHODS = ("pocock", "obf", "msprt")


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
    seq_method: str = "pocock"        # daily looks: "pocock" / "obf" alpha spending to the planned sample, or "msprt"
    seq_tau: float = 0.25             # mSPRT prior sd of the lift, relative to the control mean
    seq_tuning: float | None = None   # or: users (both arms) at which the mSPRT is sharpest
    alternative: str = "two-sided"    # "greater": the treatment raises the metric; "less": lowers it
    cap_pct: float | None = None      # cap each user's revenue / orders at this percentile of all users
    strata: str | None = None         # a user attribute (users table column) to post-stratify on
    prior_sd: float | None = None     # Bayesian prior sd of the relative lift (None: flat)
    correction: str = "holm"          # across variants: "holm" (any false alarm) or "bh" (false discoveries)

    def __post_init__(self):
        if self.alternative not in ALTERNATIVES:
            raise ValueError(f"alternative must be one of {ALTERNATIVES}, not {self.alternative!r}")
        if self.seq_method not in SEQ_METHODS:
            raise ValueError(f"seq_method must be one of {SEQ_METHODS}, not {self.seq_method!r}")
        if self.correction not in ("holm", "bh"):
            raise ValueError(f"correction must be 'holm' or 'bh', not {self.correction!r}")
        if self.cap_pct is not None and not 50 <= self.cap_pct < 100:
            raise ValueError(f"cap_pct is a percentile between 50 and 100, not {self.cap_pct}")
        if self.seq_tuning is not None and self.seq_tuning <= 0:
            raise ValueError(f"seq_tuning is a number of users, not {self.seq_tuning}")
        if self.prior_sd is not None and self.prior_sd <= 0:
            raise ValueError(f"prior_sd must be positive, not {self.prior_sd}")
        if not 0 < self.alpha < (0.5 if self.alternative != "two-sided" else 1):
            raise ValueError(f"alpha must be between 0 and 0.5, not {self.alpha}")


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
    caps: dict = field(default_factory=dict)      # the cap of each capped column (cap_pct)
    strata: str | None = None                     # the attribute the effects were post-stratified on
    config: ABConfig = field(default_factory=ABConfig, repr=False)

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
    return readout(ds, users, daily, dropped, metric, control, config)


def with_attribute(ds: Dataset, users: pd.DataFrame, column: str) -> pd.DataFrame:
    """The users' ``column`` from the users table (a pre-exposure attribute: channel, city, ...)."""
    if column not in ds.users.columns or column in ("uid", "user_id"):
        raise OpsLabError("experiments.bad_attribute", column=str(column)[:60])
    values = ds.users[column].astype("string").fillna("–").to_numpy()
    uid = users["uid"].to_numpy(dtype=np.int64)
    out = users.copy()
    out[column] = np.where(uid >= 0, values[np.clip(uid, 0, None)], "–")
    return out


def readout(ds: Dataset, users: pd.DataFrame, daily: pd.DataFrame, dropped: dict, metric: str,
            control: str | None, config: ABConfig) -> ABResult:
    """The readout of one metric from the per-user outcomes (:func:`user_outcomes`)."""
    if metric not in METRICS:
        raise OpsLabError("experiments.bad_metric", metric=metric)
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
    if config.strata:
        users = with_attribute(ds, users, config.strata)
    users, caps = fx.cap(users, metric, config.cap_pct)
    pre_ok = (users["exposure"] - pd.Timedelta(days=config.pre_days) >= pd.Timestamp(ds.start)).mean() > 0.5
    use_cuped = bool(config.pre_days > 0 and pre_ok and fx.pre_period_usable(users, metric)) and not (
        config.strata and metric != "aov")
    groups = {v: users[users["variant"] == v] for v in order}
    variants, rows = [], []
    for v in order:
        g = groups[v]
        if metric == "aov":
            r, _ = st.ratio_stats(g["rev_post"], g["ord_post"])
            variants.append({"variant": v, "n": len(g), "mean": r, "sd": float("nan")})
        else:
            y = fx.outcome(g, metric)[0]
            variants.append({"variant": v, "n": len(g), "mean": float(y.mean()), "sd": float(y.std(ddof=1))})
    for v in order[1:]:
        comp, extra = fx.compare(groups[control], groups[v], metric, config, use_cuped, config.strata)
        sd_c = variants[0]["sd"]
        rows.append((v, comp, sd_c, extra))
    frame = _comparisons(rows, groups, control, metric, daily, pd.Timestamp(ds.end), config, days, srm_p, caps)
    return ABResult(metric, control, pd.DataFrame(variants), frame, chi2, srm_p, srm_p >= config.srm_alpha,
                    use_cuped, days, users.reset_index(drop=True), dropped, caps,
                    config.strata if config.strata and metric != "aov" else None, config)


def _default_control(names: list[str]) -> str:
    for cand in ("control", "Control", "A", "a", "对照组", "对照", "base", "baseline", "0"):
        if cand in names:
            return cand
    return names[0]


def _comparisons(rows, groups, control, metric, daily, end, config, days, srm_p, caps) -> pd.DataFrame:
    out = []
    for v, comp, sd_c, extra in rows:
        n_now = min(len(groups[control]), len(groups[v]))
        sd = sd_c if np.isfinite(sd_c) else comp.se * math.sqrt(n_now / 2)
        per_day = n_now / days
        # one route to "days remaining": the power card calls power_plan with these inputs
        plan = power_plan(comp.mean_c, sd, config.mde_rel, per_day, n_now, config.alpha, config.power,
                          config.seq_method)
        # the sequential test spends its error rate by the share of the planned users (both arms)
        looks = _looks(groups[control], groups[v], metric, config, daily, end, caps)
        seq, seq_lo, seq_hi = fx.sequential(looks, config, comp.mean_c, 2 * plan["n_per_variant"])
        out.append({"variant": v, **comp.__dict__, **extra, "p_sequential": seq, "seq_low": seq_lo,
                    "seq_high": seq_hi, "mde_abs": st.mde(sd, n_now, config.alpha, config.power),
                    "n_needed": plan["n_per_variant"], "days_more": plan["days_more"], "sd_used": sd,
                    "n_now": n_now, "per_day": per_day,
                    "info_share": min(1.0, n_now / plan["n_per_variant"]) if plan["n_per_variant"] > 0 else float("nan")})
    frame = pd.DataFrame(out)
    frame["p_holm"] = st.holm(frame["p_value"].fillna(1.0).to_numpy())
    frame["p_bh"] = es.adjust(frame["p_value"].fillna(1.0).to_numpy(), "bh")
    frame["p_seq_holm"] = es.adjust(frame["p_sequential"].fillna(1.0).to_numpy(), config.correction)
    frame["verdict"] = [_verdict(r, srm_p, config) for r in frame.itertuples()]
    # a win or loss before the planned sample is a sequential stop: no more days are needed
    frame["stopped_early"] = frame["verdict"].isin(("win", "loss")) & frame["days_more"].fillna(0).gt(0)
    return frame


def _looks(g_c: pd.DataFrame, g_t: pd.DataFrame, metric: str, config: ABConfig,
           daily: pd.DataFrame, end: pd.Timestamp, caps: dict) -> list[tuple[float, float, int]]:
    """Daily looks ``(lift, its variance, users)``. A look on day d reads the users exposed by
    then with their outcomes up to that day only, as a lead checking the test daily would have
    (values capped at the readout's caps)."""
    users = pd.concat([g_c.assign(arm=0), g_t.assign(arm=1)], ignore_index=True)
    users = users.assign(day0=users["exposure"].dt.normalize())
    days = pd.date_range(users["day0"].min(), max(end, users["day0"].max()), freq="D")
    pos = pd.Series(np.arange(len(users)), index=users["rid"].to_numpy())
    daily = daily[daily["rid"].isin(users["rid"])].sort_values("day", kind="stable")
    at = pos.reindex(daily["rid"].to_numpy()).to_numpy()
    vals = daily[["conv", "rev", "ord"]].to_numpy(dtype=float)
    cut = np.searchsorted(daily["day"].to_numpy(dtype="datetime64[ns]"), days.to_numpy(dtype="datetime64[ns]"),
                          side="right")
    running, done = np.zeros((len(users), 3)), 0   # each user's outcomes up to the look's day
    day0, arms = users["day0"].to_numpy(), users["arm"].to_numpy()
    ret_ok = (users["day0"] + pd.Timedelta(days=config.retention_day)).to_numpy()
    retained = users["retained"].to_numpy(dtype=float) if metric == "retention" else None
    looks = []
    for d, upto in zip(days.to_numpy(), cut):
        np.add.at(running, at[done:upto], vals[done:upto])
        done = upto
        mask = (day0 <= d) & (ret_ok <= d) if metric == "retention" else day0 <= d
        arm = arms[mask]
        if (arm == 0).sum() < 2 or (arm == 1).sum() < 2:
            continue
        got = running[mask]
        if metric == "conversion":
            y = (got[:, 0] > 0).astype(float)
        elif metric in ("revenue", "aov"):
            y = np.minimum(got[:, 1], caps.get("rev_post", np.inf))
        elif metric == "orders":
            y = np.minimum(got[:, 2], caps.get("ord_post", np.inf))
        else:
            y = retained[mask]
        if metric == "aov":
            r_c, v_c = st.ratio_stats(y[arm == 0], got[arm == 0, 2])
            r_t, v_t = st.ratio_stats(y[arm == 1], got[arm == 1, 2])
            looks.append((r_t - r_c, v_c + v_t, len(arm)))
        else:
            yc, yt = y[arm == 0], y[arm == 1]
            looks.append((yt.mean() - yc.mean(), yc.var(ddof=1) / len(yc) + yt.var(ddof=1) / len(yt), len(arm)))
    return looks


def _verdict(r, srm_p: float, config: ABConfig) -> str:
    if srm_p < config.srm_alpha:
        return "srm"
    if not np.isfinite(r.p_value):
        return "inconclusive"
    # Do not peek: before the planned sample is reached only the sequential p-value may end
    # the test. A group-sequential test also makes the final call (its last boundary is part
    # of the 5 %); with mSPRT the fixed-horizon p-value is read once the sample is complete.
    early = bool(r.days_more)
    final = r.p_seq_holm if config.seq_method != "msprt" else (r.p_holm if config.correction == "holm" else r.p_bh)
    p = r.p_seq_holm if early else final
    if p < config.alpha:
        return "win" if r.lift > 0 else "loss"
    if early:
        return "too_early"
    planned = abs(config.mde_rel * r.mean_c)
    low, high = (r.ci_low, r.ci_high) if config.seq_method == "msprt" else (r.seq_low, r.seq_high)
    if -planned < low and high < planned:  # the interval (the one the verdict used) rules out the planned lift
        return "flat"
    return "inconclusive"
