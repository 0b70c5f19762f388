"""Date/time cells in every form spreadsheets and warehouses produce, parsed column-wise.

Forms: ``2024-01-05``, ``2024/1/5``, ``2024.1.5``, ``2024年1月5日 13时20分``, ``20240105``
(also ``20240105.0``), ``20240105132000``, Excel serials, epoch seconds / milliseconds,
``1/5/2024`` (day or month first), ``Jan 5, 2024`` and other month names, ``3:04:05 PM`` and
``下午 3:04:05`` clock times, and time-zone suffixes (``Z``, ``UTC``, ``+08:00``).

Two guesses are left to the caller, so that one upload decides them once for every file:

* ``day_first``: ``True`` / ``False`` forces the order of ``01/02/2024``; ``None`` lets each
  column pick whichever order reads more values (used only while suggesting a mapping).
* ``tz``: values carrying a zone are converted to this zone's wall clock (``"UTC"``,
  ``"+08:00"``, ``"Asia/Shanghai"``); ``None`` keeps each value's own wall clock. Values
  without a zone are local wall-clock times and never shift.

:func:`day_month_votes` and :func:`zone_offsets` give the evidence for those decisions.

>>> parse_datetimes(pd.Series(["2024年1月5日", "45296", "20240105"]))[0].dt.day.tolist()
[5, 5, 5]
>>> parse_datetimes(pd.Series(["2024-01-05 下午 3:04:05", "1/5/2024 12:30 AM"]))[0].tolist()
[Timestamp('2024-01-05 15:04:05'), Timestamp('2024-01-05 00:30:00')]
>>> parse_datetimes(pd.Series(["2024-01-05T23:30:00Z"]), tz="+08:00")[0].tolist()
[Timestamp('2024-01-06 07:30:00')]
"""

from __future__ import annotations

import re
import warnings
from collections import Counter

import numpy as np
import pandas as pd

from opslab.ingest.fastparse import fast_datetimes
from opslab.ingest.cells import expand, prepare

_EXCEL_EPOCH = np.datetime64("1899-12-30T00:00:00", "us")
_PM = r"下午|晚上|傍晚|中午|(?i:p\.?m\.?)"
_AM = r"上午|凌晨|早上|清晨|(?i:a\.?m\.?)"
_ZONE = r"(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})"
_ZONE_AT_END = r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)[ \t]*(Z|UTC|GMT|[+-]\d{2}:?\d{2})$"
_DMY = r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
_MONTH_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%b %d %Y",
                  "%d-%b-%y", "%a, %d %b %Y %H:%M:%S", "%b %d, %Y %H:%M:%S", "%d %b %Y %H:%M:%S",
                  "%b %d, %Y %H:%M", "%d %b %Y %H:%M")
_UNIFORM_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d")


def _parse_numeric_dates(text: pd.Series, tz: str | None = None) -> np.ndarray:
    """Digit-only strings: yyyymmdd, yyyymmddHHMM(SS), Excel serials, epoch s / ms (instants in
    UTC, shown in ``tz``'s wall clock when one is given)."""
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    text = text.str.replace(r"\.0+$", "", regex=True)  # 20240105.0 from a float column
    lens = text.str.len().to_numpy()
    is_int = text.str.fullmatch(r"\d+").fillna(False).to_numpy(dtype=bool)
    for n, fmt in ((8, "%Y%m%d"), (12, "%Y%m%d%H%M"), (14, "%Y%m%d%H%M%S")):
        m = is_int & (lens == n)
        if m.any():
            out[m] = pd.to_datetime(text[m], format=fmt, errors="coerce").to_numpy("datetime64[us]")
    v = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    rest = np.isnat(out) & ~(is_int & np.isin(lens, (8, 12, 14)))
    excel = rest & (v >= 20000) & (v <= 80000)
    secs = rest & (v >= 1e9) & (v < 2.2e9)
    msecs = rest & (v >= 1e12) & (v < 2.2e12)
    out[excel] = _EXCEL_EPOCH + np.round(v[excel] * 86400).astype("int64") * np.timedelta64(1, "s")
    out[secs] = (np.round(v[secs] * 1e6).astype("int64")).astype("datetime64[us]")
    out[msecs] = (np.round(v[msecs] * 1e3).astype("int64")).astype("datetime64[us]")
    epoch = secs | msecs
    if tz is not None and epoch.any():
        out[epoch] = _to_zone(out[epoch], tz)
    return out


def _iso(text: pd.Series) -> np.ndarray:
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except (ValueError, TypeError, OverflowError):
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return np.array(parsed.to_numpy("datetime64[us]"), copy=True)


def _parse_day_month(text: pd.Series, day_first: bool | None) -> np.ndarray:
    """``1/5/2024``: the order given, or (``None``) whichever reads more values, ties month-first."""
    parts = text.str.extract("^" + _DMY + "$")
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    ok = parts[0].notna().to_numpy()
    if not ok.any():
        return out
    p = parts[ok].astype(float).fillna(0)
    results = {}
    for df_flag, (month, day) in ((False, (0, 1)), (True, (1, 0))):
        if day_first is not None and df_flag != day_first:
            continue
        frame = pd.DataFrame({"year": p[2], "month": p[month], "day": p[day],
                              "hour": p[3], "minute": p[4], "second": p[5]})
        results[df_flag] = pd.to_datetime(frame, errors="coerce").to_numpy("datetime64[us]")
    if day_first is None:
        n_day, n_month = ((~np.isnat(results[k])).sum() for k in (True, False))
        out[ok] = results[True] if n_day > n_month else results[False]
    else:
        out[ok] = results[day_first]
    return out


def _month_names(t: pd.Series) -> np.ndarray:
    """``Jan 5, 2024`` and friends: common layouts vectorised, the rest through dateutil."""
    out = np.full(len(t), np.datetime64("NaT"), dtype="datetime64[us]")
    for fmt in _MONTH_FORMATS:
        left = np.isnat(out)
        if not left.any():
            break
        parsed = pd.to_datetime(t[left], format=fmt, errors="coerce")
        out[left] = parsed.to_numpy("datetime64[us]")
    left = np.isnat(out)
    if left.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                parsed = pd.to_datetime(t[left], format="mixed", errors="coerce", utc=True)
                out[left] = parsed.dt.tz_localize(None).to_numpy("datetime64[us]")
            except (ValueError, TypeError, OverflowError):
                pass
    return out


def _offset_minutes(zone: pd.Series) -> np.ndarray:
    z = zone.fillna("").str.replace(":", "", regex=False)
    sign = np.where(z.str.startswith("-"), -1, 1)
    hh = pd.to_numeric(z.str.slice(1, 3), errors="coerce").fillna(0).to_numpy()
    mm = pd.to_numeric(z.str.slice(3, 5), errors="coerce").fillna(0).to_numpy()
    return np.where(z.str.match(r"[+-]").fillna(False).to_numpy(bool), sign * (hh * 60 + mm), 0)


def zone_label(offset_minutes: int) -> str:
    """``480`` -> ``"+08:00"``; ``0`` -> ``"UTC"``."""
    if offset_minutes == 0:
        return "UTC"
    sign = "+" if offset_minutes > 0 else "-"
    return f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"


def _to_zone(utc: np.ndarray, tz: str) -> np.ndarray:
    m = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", tz.strip())
    if m:
        minutes = (int(m.group(2)) * 60 + int(m.group(3) or 0)) * (-1 if m.group(1) == "-" else 1)
        return utc + np.timedelta64(minutes, "m")
    if tz.strip().upper() in ("UTC", "Z", "GMT"):
        return utc
    s = pd.Series(utc).dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
    return s.to_numpy("datetime64[us]")


def _clock(t: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Strip 上午/下午/AM/PM; return the text and masks: pm, am, noon (中午)."""
    has = t.str.contains(_PM + "|" + _AM, regex=True).fillna(False)
    pm = np.zeros(len(t), bool)
    am, noon = pm.copy(), pm.copy()
    if has.any():
        pm = t.str.contains(_PM, regex=True).fillna(False).to_numpy(bool)
        am = t.str.contains(_AM, regex=True).fillna(False).to_numpy(bool) & ~pm
        noon = t.str.contains("中午", regex=False).fillna(False).to_numpy(bool)
        t = t.where(~has, t.str.replace(_PM + "|" + _AM, " ", regex=True))
    return t, pm, am, noon


def _parse_text_dates(text: pd.Series, day_first: bool | None, tz: str | None) -> np.ndarray:
    t = text.reset_index(drop=True)
    t, pm, am, noon = _clock(t)
    if t.str.contains(r"[年月日时點点分秒]", regex=True).fillna(False).any():
        t = t.str.replace(r"[年月]", "-", regex=True).str.replace("日", " ")
        t = t.str.replace(r"[时點点分]", ":", regex=True).str.replace("秒", "")
    zone = t.str.extract(_ZONE_AT_END)[1]
    has_zone = zone.notna().to_numpy(bool)
    if has_zone.any():
        t = t.where(~has_zone, t.str.replace(_ZONE_AT_END, r"\1", regex=True))
    slash = t.str.match(r"\d{4}/\d{1,2}/").fillna(False)
    if slash.any():
        t = t.where(~slash, t.str.replace("/", "-", regex=False))
    dots = t.str.match(r"\d{4}\.\d{1,2}\.\d{1,2}").fillna(False)
    if dots.any():
        t = t.where(~dots, t.str.replace(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})", r"\1-\2-\3", regex=True))
    t = t.str.replace(r"[ \t]{2,}", " ", regex=True).str.strip(" :-")
    out = _iso(t)
    left = np.isnat(out)
    if left.any():
        out[left] = _parse_day_month(t[left], day_first)
    left = np.isnat(out) & t.str.contains(r"[A-Za-z]{3}", regex=True).fillna(False).to_numpy(bool) \
        & t.str.contains(r"\d{4}", regex=True).fillna(False).to_numpy(bool)
    if left.any():
        out[left] = _month_names(t[left])
    ok = ~np.isnat(out)
    if (pm | am).any():
        hour = pd.Series(out).dt.hour.to_numpy()
        add = ok & pm & (hour < 12) & ~(noon & (hour >= 11))
        out[add] += np.timedelta64(12, "h")
        sub = ok & am & (hour == 12)
        out[sub] -= np.timedelta64(12, "h")
    if tz is not None and has_zone.any():
        m = has_zone & ok
        utc = out[m] - _offset_minutes(zone[m]).astype("int64") * np.timedelta64(1, "m")
        out[m] = _to_zone(utc, tz)
    return out


def _parse_uniform(s: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """Fast path for one fixed format (warehouse and app exports); ``None`` otherwise."""
    present = s.notna()
    n_present = int(present.sum())
    if n_present == 0:
        return None
    sample = s[present].head(200)
    if sample.astype("str").str.len().max() > 32:
        return None
    for fmt in _UNIFORM_FORMATS:
        if pd.to_datetime(sample, format=fmt, errors="coerce").isna().any():
            continue
        parsed = pd.to_datetime(s, format=fmt, errors="coerce")
        if int(parsed.notna().sum()) == n_present:
            out = pd.Series(parsed.to_numpy("datetime64[us]"), index=s.index, dtype="datetime64[us]")
            return out, pd.Series(False, index=s.index, dtype=bool)
        return None
    return None


def parse_datetimes(s: pd.Series, *, day_first: bool | None = None,
                    tz: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse a column of date/time strings; ``(datetime64[us] Series, failed mask)``.

    Empty cells are NaT and not failed; cells longer than 64 characters fail unread. Epoch
    numbers (Unix seconds or milliseconds) are instants: UTC, or ``tz``'s wall clock when given.
    See the module docstring for ``day_first`` and ``tz``.

    >>> parse_datetimes(pd.Series(["01/02/2024"]), day_first=True)[0].dt.month.tolist()
    [2]
    """
    fast = fast_datetimes(s)  # big columns in one ISO-like layout (no zone, no d/m question), in Arrow
    if fast is None:
        fast = _parse_uniform(s)
    if fast is not None:
        return fast
    codes, u, missing, long = prepare(s)
    out = np.full(len(u), np.datetime64("NaT"), dtype="datetime64[us]")
    numeric = u.str.fullmatch(r"\d+(?:\.\d+)?").fillna(False).to_numpy(dtype=bool) & ~missing & ~long
    if numeric.any():
        out[numeric] = _parse_numeric_dates(u[numeric], tz)
    text = ~numeric & ~missing & ~long
    if text.any():
        out[text] = _parse_text_dates(u[text], day_first, tz)
    failed = np.isnat(out) & ~missing
    return expand(codes, out, failed, s.index, "datetime64[us]")


def day_month_votes(s: pd.Series) -> Counter:
    """Evidence on ``d/m/yyyy`` vs ``m/d/yyyy`` among the distinct values of ``s``:
    ``day_first`` (first part > 12), ``month_first`` (second part > 12), ``ambiguous`` (both
    parts ≤ 12 and different).

    >>> dict(day_month_votes(pd.Series(["13/1/2024", "1/2/2024", "2024-01-05"])))
    {'day_first': 1, 'ambiguous': 1}
    """
    _, u, missing, long = prepare(s)
    u = u[~missing & ~long]
    parts = u.str.extract("^" + _DMY + "$")
    parts = parts[parts[0].notna()]
    votes: Counter = Counter()
    if len(parts):
        a, b = parts[0].astype(int), parts[1].astype(int)
        votes["day_first"] = int(((a > 12) & (b <= 12)).sum())
        votes["month_first"] = int(((b > 12) & (a <= 12)).sum())
        votes["ambiguous"] = int(((a <= 12) & (b <= 12) & (a != b)).sum())
    return +votes


def zone_offsets(s: pd.Series) -> Counter:
    """How many distinct values carry each zone offset (in minutes east of UTC).

    >>> dict(zone_offsets(pd.Series(["2024-01-05T10:00:00+08:00", "2024-01-05 02:00Z", "x"])))
    {480: 1, 0: 1}
    """
    _, u, missing, long = prepare(s)
    zone = u[~missing & ~long].str.extract(_ZONE_AT_END)[1].dropna()
    return Counter(int(v) for v in _offset_minutes(zone))


def time_of_day_share(s: pd.Series) -> float:
    """Share of non-empty values that are a clock time alone (``15:04``, ``3:04:05 PM``,
    ``下午 3:04``): such a column is neither a date nor a name."""
    _, u, missing, long = prepare(s.head(200))
    u = u[~missing & ~long]
    if not len(u):
        return 0.0
    t = u.str.replace(_PM + "|" + _AM, "", regex=True).str.strip()
    return float(t.str.fullmatch(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?").fillna(False).mean())


def has_seconds(values: pd.Series, within: np.ndarray | None = None) -> bool:
    """Whether parsed times (those ``within`` a mask, if given) carry a time to the second (not
    only dates or minutes).

    >>> has_seconds(pd.Series(pd.to_datetime(["2024-01-05 10:00:00", "2024-01-05 10:00:07"])), np.array([True, False]))
    False
    """
    v = values.to_numpy("datetime64[us]")
    if within is not None:
        v = v[within]
    v = v[~np.isnat(v)]
    return bool(len(v)) and bool((v.view(np.int64) % 60_000_000 != 0).any())


__all__ = ["parse_datetimes", "day_month_votes", "zone_offsets", "zone_label", "time_of_day_share",
           "has_seconds"]
