"""Why a headline KPI changed: an exact additive split of the change into its factors and
into the segments that moved it.

GMV = buyers × orders per buyer × order value. Between two windows the change is split with
the logarithmic mean (LMDI-I, Ang 2004, "Decomposition analysis for policymaking in energy",
Energy Policy 32): factor i contributes ``L(G1, G0) · ln(x1_i / x0_i)`` with
``L(a, b) = (a − b) / (ln a − ln b)``; the contributions add up to G1 − G0 exactly. By
segment (order channel, the user's signup channel, city) a segment contributes its own change,
so those too add up to the whole change. The dimension named is the one whose largest mover
carries the largest share of the change (:func:`concentration`).

>>> f = lmdi({"buyers": (100, 110), "orders_per_buyer": (1.0, 1.0), "order_value": (50, 45)})
>>> round(sum(f.values()), 6) == round(110 * 45 - 100 * 50, 6)
True
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: The dimensions a change is split by: (name, table, column) — orders' own channel, the
#: user's signup channel and city.
DIMENSIONS = (("order_channel", "orders", "channel"), ("user_channel", "users", "channel"),
              ("city", "users", "city"))
FACTORS = ("buyers", "orders_per_buyer", "order_value")


def _logmean(a: float, b: float) -> float:
    if a <= 0 or b <= 0:
        return float("nan")
    return a if math.isclose(a, b) else (a - b) / (math.log(a) - math.log(b))


def lmdi(factors: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Additive contributions of each factor (before, now) to the change of their product."""
    g0 = float(np.prod([b for b, _ in factors.values()]))
    g1 = float(np.prod([a for _, a in factors.values()]))
    w = _logmean(g1, g0)
    if not np.isfinite(w):
        return {k: float("nan") for k in factors}
    return {k: w * math.log(a / b) for k, (b, a) in factors.items()}


def segment_changes(now: pd.Series, before: pd.Series) -> pd.DataFrame:
    """Per segment: before, now, change, share of the total change (largest movers first)."""
    idx = now.index.union(before.index)
    a, b = now.reindex(idx, fill_value=0.0).astype(float), before.reindex(idx, fill_value=0.0).astype(float)
    total = float(a.sum() - b.sum())
    out = pd.DataFrame({"before": b, "now": a, "change": a - b})
    out["share"] = out["change"] / total if total else np.nan
    out.index = out.index.astype(str)
    return out.sort_values("change", key=lambda s: -s.abs() if total == 0 else -np.sign(total) * s,
                           kind="stable")


def concentration(frame: pd.DataFrame) -> float:
    """The share of the total change carried by the largest mover in its direction."""
    if not len(frame) or not np.isfinite(frame["share"]).any():
        return 0.0
    return float(frame["share"].max())


@dataclass
class Why:
    """The change of one KPI between two windows: ``factors`` (factor, before, now,
    contribution, share) when it is a product, ``segments`` per dimension, ``dimension`` the
    one that explains most."""

    kpi: str
    before: float
    now: float
    factors: pd.DataFrame = field(default_factory=pd.DataFrame)
    segments: dict = field(default_factory=dict)
    dimension: str | None = None

    @property
    def change(self) -> float:
        return self.now - self.before

    def top(self, n: int = 2) -> pd.DataFrame:
        """The largest contributors in the change's direction in :attr:`dimension`."""
        if self.dimension is None:
            return pd.DataFrame(columns=["before", "now", "change", "share"])
        seg = self.segments[self.dimension]
        return seg[seg["share"] > 0].head(n)


def sales_rows(ds) -> pd.DataFrame:
    """The order rows the catalogue's GMV, orders and paying users count (``paid_day`` and
    ``refund_day`` of ``opslab/engine/prepare.sql``), with ``_sale``: True for a sale (above
    zero, status paid; refunded-by-status sales too under the gross rule; every purchase when
    the data hold no amounts), False for a refund row (a negative amount, netted on its own day
    under the net rule, which only GMV counts)."""
    o = ds.orders
    status = o["status"] if "status" in o.columns else pd.Series("paid", index=o.index)
    gross = getattr(ds, "refunds", "net") == "gross"
    priced = bool(getattr(ds, "has_amounts", True))
    amount = o["amount"].astype(float)
    sale = ((amount > 0) | (not priced)) & ((status == "paid") | (gross & (status == "refunded")))
    back = (amount < 0) & (not gross) & priced
    keep = sale | back
    return o[keep].assign(_sale=sale[keep].to_numpy())


def _paid(ds, start: dt.date, end: dt.date, sales_only: bool = True) -> pd.DataFrame:
    o = sales_rows(ds)
    if sales_only:
        o = o[o["_sale"]]
    day = o["order_time"].dt.normalize()
    return o[(day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end))]


def _with_dims(ds, frame: pd.DataFrame) -> pd.DataFrame:
    users = ds.users.set_index("uid")
    out = pd.DataFrame(index=frame.index)
    for name, table, col in DIMENSIONS:
        if table == "orders" and col in frame.columns:
            out[name] = frame[col]
        elif table == "users" and col in users.columns:
            out[name] = frame["uid"].map(users[col]).to_numpy()
    return out.astype(object).where(out.notna(), "–")


def _segments(ds, now: pd.DataFrame, before: pd.DataFrame, value) -> dict:
    dn, db = _with_dims(ds, now), _with_dims(ds, before)
    out = {}
    for name in dn.columns:
        a, b = value(now, dn[name]), value(before, db[name])
        if a.index.nunique() + b.index.nunique() > 2:  # one segment explains nothing
            out[name] = segment_changes(a, b)
    return out


def _best(segments: dict) -> str | None:
    if not segments:
        return None
    return max(segments, key=lambda k: concentration(segments[k]))


def gmv_why(ds, now: tuple[dt.date, dt.date], before: tuple[dt.date, dt.date]) -> Why:
    """GMV's change from the window ``before`` to ``now`` (each (first day, last day))."""
    a, b = _paid(ds, *now, sales_only=False), _paid(ds, *before, sales_only=False)

    def parts(o):  # GMV net of the window's refund rows (net rule), as the catalogue's GMV
        sales = o[o["_sale"]]
        buyers, n, g = sales["uid"].nunique(), len(sales), float(o["amount"].sum())
        return {"buyers": float(buyers), "orders_per_buyer": n / buyers if buyers else float("nan"),
                "order_value": g / n if n else float("nan")}, g
    pa, ga = parts(a)
    pb, gb = parts(b)
    contrib = lmdi({k: (pb[k], pa[k]) for k in FACTORS})
    total = ga - gb
    factors = pd.DataFrame({"before": [pb[k] for k in FACTORS], "now": [pa[k] for k in FACTORS],
                            "contribution": [contrib[k] for k in FACTORS]}, index=list(FACTORS))
    factors["share"] = factors["contribution"] / total if total else np.nan
    segs = _segments(ds, a, b, lambda o, key: o["amount"].groupby(key.to_numpy()).sum())
    return Why("gmv", gb, ga, factors, segs, _best(segs))


def count_why(ds, kpi: str, now, before) -> Why:
    """Paying users or new users: the change split by segment (counts add up per segment)."""
    if kpi == "paying_users":
        a, b = _paid(ds, *now), _paid(ds, *before)
        first = lambda o: o.drop_duplicates("uid")  # noqa: E731 - one user, one segment
        segs = _segments(ds, first(a), first(b), lambda o, key: o.groupby(key.to_numpy()).size())
        return Why(kpi, float(b["uid"].nunique()), float(a["uid"].nunique()), segments=segs,
                   dimension=_best(segs))
    u = ds.users[~ds.users["censored"]] if "censored" in ds.users.columns else ds.users  # signup known
    day = u["signup_time"].dt.normalize()
    pick = lambda w: u[(day >= pd.Timestamp(w[0])) & (day <= pd.Timestamp(w[1]))]  # noqa: E731
    a, b = pick(now), pick(before)
    segs = _segments(ds, a, b, lambda o, key: o.groupby(key.to_numpy()).size())
    segs.pop("order_channel", None)
    return Why(kpi, float(len(b)), float(len(a)), segments=segs, dimension=_best(segs))
