"""Which time zone an upload's Unix timestamps should be read in, suggested from the data.

Unix seconds and milliseconds are instants (UTC); a business counts its days in its own
zone. People sleep: the hours of the day with the least activity fall at night, local time.
:func:`suggest_zone` tries every whole-hour offset and keeps the one whose night (01:00–08:00
local, weighted towards 03:00–06:00) holds the least activity; when the day's activity has no clear trough (too few
values, or flat), Chinese headers or text suggest China's zone, else UTC is kept.

>>> import pandas as pd
>>> midnight = 1_699_891_200  # 2023-11-14 00:00 in Beijing (16:00 UTC the day before)
>>> per_hour = {0: 4, 1: 1, 6: 1, 7: 2, **{h: 5 for h in range(8, 24)}}  # events per Beijing hour
>>> beijing_days = pd.Series([str(midnight + 86_400 * d + 3_600 * h) for d in range(30)
...                           for h, n in per_hour.items() for _ in range(n)])
>>> suggest_zone([beijing_days])
('Asia/Shanghai', 'activity')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Zone names for whole-hour offsets people mostly mean (others are written as +HH:00).
_NAMES = {8: "Asia/Shanghai", 0: "UTC"}
#: local hour -> how surely people sleep then: web and app activity is lowest around 04:00-05:00
#: local time (the real Taobao log: 0.1-0.8 % of the day's events in each of 02:00-05:00 Beijing)
_NIGHT = {1: 0.3, 2: 0.7, 3: 1.0, 4: 1.0, 5: 1.0, 6: 0.7, 7: 0.3}
_SAMPLE = 200_000
_MIN_VALUES = 1_000            # fewer epoch values than this do not show a day's rhythm reliably
_CLEAR = 0.5                   # the quietest night holds at most half the average night's share


def epoch_seconds(s: pd.Series) -> np.ndarray:
    """The values of ``s`` that are Unix seconds or milliseconds (2001–2039), as seconds."""
    text = s.dropna().astype("str").str.strip().head(_SAMPLE)
    text = text[text.str.fullmatch(r"\d{10}(?:\d{3})?(?:\.\d+)?").fillna(False).to_numpy(bool)]
    v = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    v = np.where(v >= 1e12, v / 1e3, v)
    return v[(v >= 1e9) & (v < 2.2e9)]


def zone_name(offset_hours: int) -> str:
    """``8`` -> ``"Asia/Shanghai"``, ``0`` -> ``"UTC"``, ``-5`` -> ``"-05:00"``."""
    if offset_hours in _NAMES:
        return _NAMES[offset_hours]
    return f"{'+' if offset_hours > 0 else '-'}{abs(offset_hours):02d}:00"


def suggest_zone(columns, chinese: bool = False) -> tuple[str | None, str]:
    """``(zone, basis)`` for the epoch values among ``columns`` (Series of raw text).

    ``basis``: ``activity`` (the day's quiet hours), ``language`` (Chinese headers or text,
    when the activity shows no clear night), ``utc`` (nothing tells), or ``(None, "none")``
    when no column holds Unix times.
    """
    values = [epoch_seconds(s) for s in columns]
    values = np.concatenate(values) if values else np.array([])
    if not len(values):
        return None, "none"
    if len(values) >= _MIN_VALUES:
        hours = np.bincount(((values // 3600) % 24).astype(int), minlength=24) / len(values)
        night = {off: sum(w * hours[(h - off) % 24] for h, w in _NIGHT.items()) for off in range(-11, 15)}
        quietest = min(night.values())
        # a clear trough only: a flat day (or one too short to show it) proves nothing
        if quietest <= _CLEAR * (sum(_NIGHT.values()) / 24):
            ties = [off for off in night if night[off] <= quietest + 1e-9]
            best = 8 if chinese and 8 in ties else min(ties, key=abs)
            return zone_name(best), "activity"
    if chinese:
        return zone_name(8), "language"
    return "UTC", "utc"
