"""Group-sequential tests with alpha spending: the A/B readout's default for daily looks.

A lead who reads a test every day until its planned sample makes K looks at information
fractions ``t_1 < ... < t_K`` (users so far / planned users). Under no effect the z-statistics
at the looks are a Brownian motion sampled at those times (``corr(Z_j, Z_k) = sqrt(t_j / t_k)``).
A spending function ``alpha(t)`` says how much of the error rate may be used by time t; the
boundary ``c_k`` of look k is chosen so that the chance of crossing first at look k is exactly
``alpha(t_k) - alpha(t_{k-1})`` (Lan & DeMets 1983, Biometrika 70:659). Summed over the looks
the error rate is ``alpha(1) = alpha`` exactly: not merely at most alpha, as the always-valid
mixture tests (mSPRT, confidence sequences) which pay for looking without end.

Spending functions (Lan & DeMets 1983; Jennison & Turnbull 2000, ch. 7):

* ``"obf"``: ``2 - 2 Phi(z_{1-alpha/2} / sqrt(t))`` (O'Brien-Fleming-like): almost nothing early,
  so the last boundary is close to the fixed-horizon one and little power is lost;
* ``"pocock"``: ``alpha * log(1 + (e - 1) t)``: spends evenly, stops earlier, ends wider.

The crossing probabilities are computed by recursive numerical integration of the score
``S_k = Z_k sqrt(t_k)`` over the continuation region (Armitage, McPherson & Rowe 1969;
Jennison & Turnbull 2000, ch. 19). A boundary depends only on the looks up to it, so a readout
can be computed on any day without knowing the future looks' days.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import special, stats
from scipy.optimize import brentq

SPENDING = ("pocock", "obf")
_SPAN = 8.0          # the density is integrated over the mean +- _SPAN sd (mass beyond: < 1e-15)
FINE = 0.4           # node spacing, in kernel sds (checked against 0.1: boundaries agree to 1e-4)
MAX_LOOKS = 60       # more daily looks are thinned to every k-th (see information)
_TINY = 1e-13        # an increment below this cannot be crossed: the look's boundary is infinite


def spent(t, alpha: float = 0.05, kind: str = "pocock", two_sided: bool = True) -> np.ndarray:
    """Cumulative error rate allowed by information fraction(s) ``t`` (``alpha`` at t = 1).

    >>> spent([0.25, 0.5, 1.0], kind="obf").round(5).tolist()
    [1e-05, 0.00305, 0.05]
    """
    if kind not in SPENDING:
        raise ValueError(f"spending must be one of {SPENDING}, not {kind!r}")
    t = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    if kind == "pocock":
        return alpha * np.log1p((math.e - 1) * t)
    # two-sided: each side spends alpha / 2 by the one-sided function (Lan & DeMets 1983)
    side = 2 if two_sided else 1
    z = -special.ndtri(alpha / side / 2)
    with np.errstate(divide="ignore"):
        out = side * 2 * special.ndtr(-z / np.sqrt(t))
    return np.where(t > 0, out, 0.0)


def _grid(lo: float, hi: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Simpson's rule nodes and weights on [lo, hi] with about ``step`` between nodes."""
    m = max(3, 2 * math.ceil((hi - lo) / step / 2) + 1)
    x = np.linspace(lo, hi, m)
    w = np.ones(m)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return x, w * (hi - lo) / (3 * (m - 1))


_SQRT2PI = math.sqrt(2 * math.pi)


class _Walk:
    """The sub-density of the score among paths that have not crossed yet, look by look."""

    def __init__(self, drift: float, two_sided: bool, step: float):
        self.drift, self.two, self.step = drift, two_sided, step
        self.fine = FINE
        self.t = 0.0
        self.x = np.zeros(1)
        self.w = np.ones(1)          # mass of each node (density x quadrature weight); at t = 0 all at 0

    def _tails(self, t: float, c: float) -> tuple[float, float]:
        """P(not crossed before, crossed at a look at time t with boundary c) and its
        derivative in c."""
        dt = t - self.t
        sd, mean, rt = math.sqrt(dt), self.x + self.drift * dt, math.sqrt(t)
        u = (mean - c * rt) / sd
        p, d = special.ndtr(u), np.exp(-0.5 * u * u)
        if self.two:
            v = (-c * rt - mean) / sd
            p, d = p + special.ndtr(v), d + np.exp(-0.5 * v * v)
        return float(self.w @ p), -float(self.w @ d) * rt / sd / _SQRT2PI

    def boundary(self, t: float, increment: float) -> float:
        """The boundary whose first-crossing chance at time t is ``increment`` (Newton's method
        from the fixed-sample critical value; the chance falls monotonically in c)."""
        if increment <= _TINY:
            return math.inf
        low = 0.0 if self.two else -10.0
        if self._tails(t, low)[0] <= increment:
            return low
        c = float(-special.ndtri(increment / 2 if self.two else increment))
        lo, hi = low, 40.0
        for _ in range(60):
            f, df = self._tails(t, c)
            f -= increment
            if abs(f) <= 1e-9 * increment:
                return c
            lo, hi = (c, hi) if f > 0 else (lo, c)
            nxt = c - f / df if df < 0 else (lo + hi) / 2
            c = nxt if lo < nxt < hi else (lo + hi) / 2
        return c

    def advance(self, t: float, c: float) -> float:
        """Move to the look at time t with boundary c; returns the chance of crossing there."""
        dt = t - self.t
        sd = math.sqrt(dt)
        crossed = self._tails(t, c)[0] if math.isfinite(c) else 0.0
        shift = self.drift * dt
        # the sub-density is below the score's N(drift t, t) density: nothing to integrate beyond
        hi = min(float(self.x[-1]) + shift + _SPAN * sd, self.drift * t + _SPAN * math.sqrt(t))
        lo = max(float(self.x[0]) + shift - _SPAN * sd, self.drift * t - _SPAN * math.sqrt(t))
        if math.isfinite(c):
            b = c * math.sqrt(t)
            hi = min(hi, b)
            lo = max(lo, -b) if self.two else lo
        if hi <= lo:
            self.x, self.w = np.array([0.0]), np.array([0.0])
        else:
            y, wy = _grid(lo, hi, min(self.step, sd * self.fine))
            u = (y[:, None] - self.x[None, :] - shift) / sd
            dens = np.exp(-0.5 * u * u) @ self.w / (sd * _SQRT2PI)
            self.x, self.w = y, dens * wy
        self.t = t
        return crossed


def _check_t(t) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or len(t) == 0 or t[0] <= 0 or np.any(np.diff(t) <= 0) or t[-1] > 1 + 1e-12:
        raise ValueError("information fractions must increase strictly within (0, 1]")
    return t


def boundaries(t, alpha: float = 0.05, kind: str = "pocock", two_sided: bool = True, step: float = 0.05) -> np.ndarray:
    """z boundaries ``c_k`` of looks at information fractions ``t`` (strictly increasing, the
    last at most 1): a test stops at the first look with ``|z| >= c_k`` (one-sided: ``z >= c_k``).

    >>> boundaries([0.25, 0.5, 0.75, 1.0], kind="obf").round(3).tolist()
    [4.333, 2.963, 2.359, 2.014]
    """
    t = _check_t(t)
    cum = spent(t, alpha, kind, two_sided)
    walk, out, prev = _Walk(0.0, two_sided, step), [], 0.0
    for tk, ck in zip(t, cum):
        c = walk.boundary(tk, ck - prev)
        walk.advance(tk, c)
        out.append(c)
        prev = ck
    return np.array(out)


def crossing(t, bounds, drift: float = 0.0, two_sided: bool = True, step: float = 0.05) -> np.ndarray:
    """Chance of stopping at each look with these boundaries when the z-statistic at t = 1
    has mean ``drift`` (0: the error rate spent per look; ``z_{1-alpha/2} + z_{power}``: the
    planned effect). ``.sum()`` is the overall rejection chance (size or power)."""
    t = _check_t(t)
    walk = _Walk(drift, two_sided, step)
    return np.array([walk.advance(tk, float(c)) for tk, c in zip(t, np.asarray(bounds, dtype=float))])


def _margin(z: np.ndarray, t: np.ndarray, alpha: float, kind: str, two_sided: bool, step: float) -> float:
    """How far the looks got past the alpha-level boundaries: ``max_k (z_k - c_k)`` (|z| when
    two-sided). Continuous and increasing in alpha; >= 0 exactly when the test has stopped."""
    cum = spent(t, alpha, kind, two_sided)
    walk, prev, best = _Walk(0.0, two_sided, step), 0.0, -math.inf
    for zk, tk, ck in zip(z, t, cum):
        c = walk.boundary(tk, ck - prev)
        best = max(best, (abs(zk) if two_sided else zk) - min(c, 40.0))
        walk.advance(tk, c)
        prev = ck
    return best


def repeated_p(z, t, kind: str = "pocock", two_sided: bool = True, step: float = 0.05) -> float:
    """The repeated p-value (Jennison & Turnbull 2000, sec. 9.1): the smallest alpha whose
    boundaries the looks so far have reached (z signed in the tested direction when
    one-sided). ``p <= alpha`` exactly when the alpha-level test has stopped, so comparing it
    with alpha (or a Holm / BH level) is the boundaries' own decision.

    >>> round(repeated_p([1.0, 2.1], [0.5, 1.0], kind="obf"), 4)
    0.0363
    """
    z, t = np.asarray(z, dtype=float), _check_t(t)
    if len(z) != len(t):
        raise ValueError("one z-statistic per look")
    if not np.isfinite(z).all():
        return float("nan")
    hi = 0.9999 if two_sided else 0.4999
    h = lambda la: _margin(z, t, math.exp(la), kind, two_sided, step)
    if h(math.log(hi)) < 0:
        return 1.0
    # the fixed-horizon p-value of the largest look is a lower bound: no boundary is below it
    top = float(np.max(np.abs(z) if two_sided else z))
    lo = min(hi / 2, max(1e-300, float(special.ndtr(-top)) * (2 if two_sided else 1)))
    while h(math.log(lo)) >= 0:
        if lo <= 1e-300:
            return lo
        lo = max(1e-300, lo * 1e-3)
    return float(math.exp(brentq(h, math.log(lo), math.log(hi), xtol=1e-6, rtol=1e-6)))


def information(users, planned: float, max_looks: int = MAX_LOOKS) -> tuple[np.ndarray, np.ndarray]:
    """Which looks count and their information fractions: ``users`` at each daily look (both
    arms) over the planned users (``planned``; when today already has more, today is the
    final analysis and the fractions are over today's users). Looks that added no user are
    merged into the latest of them; beyond ``max_looks`` looks every k-th is kept, counted back
    from today (an approximation: the error rate is then exact for those looks only).

    >>> idx, t = information([100, 200, 200, 400], planned=800)
    >>> idx.tolist(), t.tolist()
    ([0, 2, 3], [0.125, 0.25, 0.5])
    """
    n = np.asarray(users, dtype=float)
    keep = np.flatnonzero(np.r_[n[1:] > n[:-1], True] & (n > 0))
    if len(keep) > max_looks:
        k = math.ceil(len(keep) / max_looks)
        keep = keep[::-1][::k][::-1]
    total = max(float(planned), float(n[keep[-1]])) if np.isfinite(planned) and planned > 0 else float(n[keep[-1]])
    return keep, n[keep] / total


@lru_cache(maxsize=256)
def inflation(looks: int, alpha: float = 0.05, power: float = 0.8, kind: str = "pocock",
              two_sided: bool = True) -> float:
    """How many times the fixed-horizon sample a design with ``looks`` equally spaced looks
    needs for the same power (Jennison & Turnbull 2000, tables 2.3 and 2.6: Pocock about 1.2,
    O'Brien-Fleming about 1.02 with five looks): the planned sample of a sequential readout.

    >>> round(inflation(5, kind="obf"), 3), round(inflation(5, kind="pocock"), 3)
    (1.025, 1.212)
    """
    t = np.arange(1, looks + 1) / looks
    c = boundaries(t, alpha, kind, two_sided)
    side = 2 if two_sided else 1
    fixed = -special.ndtri(alpha / side) - special.ndtri(1 - power)
    drift = brentq(lambda d: crossing(t, c, d, two_sided).sum() - power, 0.9 * fixed, 3 * fixed, xtol=1e-7)
    return float((drift / fixed) ** 2)
