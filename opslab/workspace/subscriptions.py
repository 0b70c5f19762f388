"""Subscriptions: who gets which digest or report, when, where — and the send log.

A :class:`Subscription` names a cadence (``daily`` digest, ``weekly`` on Mondays, the report at
``month_end`` and ``quarter_end``), a destination (a 飞书 / 钉钉 / 企业微信 robot or e-mail),
the KPIs, segments and language, and the stored data set it reads (its id: the link in each
message opens that data set). Secrets — webhook URLs and signing secrets, SMTP passwords —
are kept apart from the subscriptions in ``<data dir>/subscriptions/secrets.json`` (mode
0600), keyed by the subscription's id; the screen writes them and never reads them back
(:meth:`SubscriptionStore.public` gives a masked hint only).

Due times are in the team's time zone (``OPSLAB_TZ``, default Asia/Shanghai): a subscription
is due from its ``hour`` on its day, once per ``period_key`` (the day, the ISO week, the
month or the quarter); the send log remembers what was sent, so a scheduler that restarts,
or two that run, never send a period twice.

>>> import datetime as dt
>>> s = Subscription(id="a", name="周报", cadence="weekly", hour=9)
>>> due_key(s, dt.datetime(2026, 12, 7, 9, 30)), due_key(s, dt.datetime(2026, 12, 8, 9, 30))
('2026-W50', None)
>>> due_key(Subscription(id="b", name="月报", cadence="month_end", hour=18), dt.datetime(2026, 11, 30, 18))
'2026-11'
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets as pysecrets
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import pandas as pd

CADENCES = ("daily", "weekly", "month_end", "quarter_end")
CHANNELS = ("feishu", "dingtalk", "wecom", "email")
#: What each cadence sends and the view its link opens.
VIEW = {"daily": "overview", "weekly": "overview", "month_end": "report", "quarter_end": "report"}
LOG_COLUMNS = ["time", "subscription", "name", "channel", "period", "attempt", "status", "detail"]


@dataclass(frozen=True)
class Subscription:
    """One subscription (no secrets: those live in the store's secrets file)."""

    id: str
    name: str
    cadence: str = "daily"
    hour: int = 9
    channel: str = "feishu"
    dataset_id: str = ""
    owner: str | None = None
    kpis: tuple = ("gmv", "paying_users", "new_users", "dau")
    segments: dict = field(default_factory=dict)      # dimension -> [segment, ...]
    lang: str = "zh"
    enabled: bool = True
    app_url: str = ""  # the app's address where it was set up: its messages link back there

    def __post_init__(self):
        if self.cadence not in CADENCES:
            raise ValueError(f"cadence must be one of {CADENCES}")
        if self.channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}")
        if not 0 <= int(self.hour) <= 23:
            raise ValueError("hour must be 0..23")
        if self.lang not in ("zh", "en"):
            raise ValueError("lang must be zh or en")

    @classmethod
    def from_dict(cls, d: dict) -> "Subscription":
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        d["kpis"] = tuple(d.get("kpis", ()))
        return cls(**d)


def new_id() -> str:
    return pysecrets.token_hex(8)


def period_key(cadence: str, day: dt.date) -> str:
    """The period a send on ``day`` covers: the day, the ISO week, the month or the quarter."""
    if cadence == "daily":
        return day.isoformat()
    if cadence == "weekly":
        y, w, _ = day.isocalendar()
        return f"{y}-W{w:02d}"
    if cadence == "month_end":
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _last_of_month(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).month != day.month


def due_key(sub: Subscription, now: dt.datetime) -> str | None:
    """The period key ``sub`` is due for at local time ``now``, or None."""
    if not sub.enabled or now.hour < sub.hour:
        return None
    day = now.date()
    if sub.cadence == "weekly" and day.weekday() != 0:
        return None
    if sub.cadence == "month_end" and not _last_of_month(day):
        return None
    if sub.cadence == "quarter_end" and not (_last_of_month(day) and day.month % 3 == 0):
        return None
    return period_key(sub.cadence, day)


def mask(secret: str | None) -> str:
    """What the page may show of a secret: its last four characters."""
    return "" if not secret else "••••" + secret[-4:]


class SubscriptionStore:
    """Subscriptions, their secrets and the send log under ``<root>/subscriptions/``."""

    def __init__(self, root):
        self.dir = Path(root) / "subscriptions"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    # -- files ---------------------------------------------------------------------------------
    def _read(self, name: str, default):
        p = self.dir / name
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return default

    def _write(self, name: str, data, private: bool = False) -> None:
        p = self.dir / name
        tmp = p.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(tmp, p)

    # -- subscriptions -------------------------------------------------------------------------
    def list(self) -> list[Subscription]:
        return [Subscription.from_dict(d) for d in self._read("subscriptions.json", [])]

    def get(self, sub_id: str) -> Subscription | None:
        return next((s for s in self.list() if s.id == sub_id), None)

    def save(self, sub: Subscription, secret: dict | None = None) -> None:
        """Add or replace ``sub``; ``secret`` (url, secret, smtp settings …) when given."""
        with self._lock:
            subs = [s for s in self.list() if s.id != sub.id] + [sub]
            self._write("subscriptions.json", [asdict(s) for s in subs])
            if secret is not None:
                allsec = self._read("secrets.json", {})
                allsec[sub.id] = {k: v for k, v in secret.items() if v not in (None, "")}
                self._write("secrets.json", allsec, private=True)

    def delete(self, sub_id: str) -> None:
        with self._lock:
            self._write("subscriptions.json", [asdict(s) for s in self.list() if s.id != sub_id])
            allsec = self._read("secrets.json", {})
            allsec.pop(sub_id, None)
            self._write("secrets.json", allsec, private=True)

    def secret(self, sub_id: str) -> dict:
        """The destination's secrets: server side only (the scheduler and the send)."""
        return dict(self._read("secrets.json", {}).get(sub_id, {}))

    def public(self, sub: Subscription) -> dict:
        """What the page shows of a subscription: everything but secrets, which are masked."""
        sec = self.secret(sub.id)
        where = sec.get("to") or mask(sec.get("url")) or mask(sec.get("host"))
        return asdict(sub) | {"destination": where}

    # -- the send log --------------------------------------------------------------------------
    def log(self, **entry) -> None:
        entry = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")} | entry
        with self._lock, open(self.dir / "sendlog.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")

    def send_log(self, limit: int = 200) -> pd.DataFrame:
        p = self.dir / "sendlog.jsonl"
        rows = []
        if p.exists():
            for line in p.read_text(encoding="utf-8").splitlines()[-limit:]:
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    continue
        return pd.DataFrame(rows, columns=LOG_COLUMNS).iloc[::-1].reset_index(drop=True)

    def sent(self, sub_id: str, key: str) -> bool:
        log = self.send_log(limit=5000)
        return bool(((log["subscription"] == sub_id) & (log["period"] == key) & (log["status"] == "ok")).any())

    def claim(self, sub_id: str, key: str, stale_s: float = 900.0) -> bool:
        """Take the send of ``key`` (a lock file per subscription and period), so two
        schedulers never send it twice; False when taken (or sent) already."""
        if self.sent(sub_id, key):
            return False
        p = self.dir / f".claim-{sub_id}-{key}"
        try:
            fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
            return True
        except FileExistsError:
            if time.time() - p.stat().st_mtime > stale_s:  # a crashed sender's claim
                p.unlink(missing_ok=True)
                return self.claim(sub_id, key, stale_s)
            return False

    def release(self, sub_id: str, key: str) -> None:
        (self.dir / f".claim-{sub_id}-{key}").unlink(missing_ok=True)
