"""Every value read from the URL is checked against its expected form before it is used.

A link is untrusted input: a crafted one may carry markdown, HTML, path fragments or absurd
numbers. :func:`clean` returns the value when it has the expected form and ``None`` otherwise,
so the page falls back to its default instead of echoing the value.

>>> clean("ds", "A" * 32), clean("ds", "[sign in](https://evil.example)")
('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', None)
>>> clean("lang", "en"), clean("lang", "fr")
('en', None)
>>> clean_choice("week", ["day", "week"]), clean_choice("![x](http://e/x.png)", ["day", "week"])
('week', None)
>>> clean_int("30", 1, 365), clean_int("1e9", 1, 365), clean_int("-5", 1, 365)
(30, None, None)
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Iterable

from opslab.core.keys import is_content_key, is_dataset_id

MAX_LEN = 512  # no setting needs more; longer values are refused outright
_TOKEN = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

#: The parameters the app itself owns (pages validate their own against their option lists).
FORMS = {
    "ds": is_dataset_id,
    "lang": lambda v: v in ("zh", "en"),
}


def clean(name: str, value) -> str | None:
    """``value`` when it has the form registered for ``name``, else ``None``."""
    if not isinstance(value, str) or len(value) > MAX_LEN:
        return None
    check = FORMS.get(name)
    if check is None:
        return value if _TOKEN.fullmatch(value) else None
    return value if check(value) else None


def clean_choice(value, options: Iterable) -> str | None:
    """``value`` when it is the text of one of ``options`` (compared as strings)."""
    if not isinstance(value, str) or len(value) > MAX_LEN:
        return None
    return value if value in {str(o) for o in options} else None


def clean_int(value, lo: int, hi: int) -> int | None:
    """An integer written in plain decimal digits within ``[lo, hi]``."""
    if not isinstance(value, str) or not re.fullmatch(r"-?[0-9]{1,12}", value):
        return None
    number = int(value)
    return number if lo <= number <= hi else None


def clean_date(value) -> _dt.date | None:
    """An ISO date ``YYYY-MM-DD`` between 1900 and 2200."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        day = _dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2200 else None


def plausible(value) -> bool:
    """A first filter for every URL value, before any widget parses it: bounded length, no
    control characters, and a number only if finite and of sane size (``1e309`` would crash
    an integer widget bound to the URL).

    >>> plausible("week"), plausible("2024-01-05"), plausible("抖音,小红书"), plausible("30")
    (True, True, True, True)
    >>> plausible("1e309"), plausible("nan"), plausible("9" * 40), plausible(chr(0).join("ab"))
    (False, False, False, False)
    """
    if not isinstance(value, str) or len(value) > MAX_LEN or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return False
    try:
        number = float(value)
    except ValueError:
        return True
    return math.isfinite(number) and abs(number) <= 1e12


def clean_key(value) -> str | None:
    """A data set reference: a stored id or a full content key."""
    return value if is_dataset_id(value) or is_content_key(value) else None
