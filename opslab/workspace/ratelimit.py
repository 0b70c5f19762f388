"""Wrong passwords, limited so that attackers slow down but the real user is never locked out.

Three limits, each with a few free failures and then an exponential backoff (``base * 2**k``
seconds, capped):

- per **pair** (client address + account): guessing one account from one address;
- per **address** (all accounts): spraying many accounts from one address (more free tries);
- per **account** (all addresses): guessing one account from many addresses. This one only
  applies to attempts *without* proof of an earlier sign-in: a browser that once signed in to
  the account holds a signed "known device" cookie (``ui/server_auth.py``) and passes. So an
  attacker with 31 addresses can slow strangers down on an account but cannot lock its owner
  out, and the owner's own address is not slowed by what other addresses do.

There is no server-wide lockout any more: it let anyone lock everyone out (issue 28, finding 5).
A limited attempt is refused *before* the password is hashed, so guessing also stops costing CPU.

>>> t = [0.0]
>>> lim = SignInLimiter(free=2, base=1.0, clock=lambda: t[0])
>>> [lim.failure("1.2.3.4", "li") for _ in range(5)]
[0.0, 0.0, 1.0, 2.0, 4.0]
>>> lim.wait("1.2.3.4", "li") > 0, lim.wait("5.6.7.8", "li"), lim.wait("1.2.3.4", "wang")
(True, 0.0, 0.0)
>>> t[0] += 5; lim.wait("1.2.3.4", "li")
0.0
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class _Entry:
    failures: int = 0
    until: float = 0.0
    seen: float = 0.0


class SignInLimiter:
    """Per pair, per address and per account backoff for failed sign-ins (thread-safe, one per
    server process; nginx's ``limit_req`` limits across processes).

    Parameters
    ----------
    free : int
        Failures a (client, account) pair may make before its backoff starts.
    client_free : int
        Failures one client address may make over all accounts before its own backoff.
    account_free : int
        Failures one account may receive from all addresses before attempts without a known
        device cookie are slowed.
    base, cap : float
        First and largest backoff, seconds.
    window : float
        Seconds after which failures are forgotten.
    max_entries : int
        Entries remembered at most per kind (the oldest are forgotten first).
    """

    def __init__(self, free: int = 5, client_free: int = 30, account_free: int = 10, base: float = 1.0,
                 cap: float = 300.0, window: float = 900.0, max_entries: int = 10_000, clock=time.monotonic,
                 global_free: int | None = None):
        del global_free  # accepted for old callers: the server-wide lockout is gone (see above)
        self.free, self.client_free, self.account_free = free, client_free, account_free
        self.base, self.cap, self.window, self.max_entries, self.clock = base, cap, window, max_entries, clock
        self._kinds: dict[str, dict] = {"pair": {}, "client": {}, "account": {}}
        self._lock = threading.Lock()

    def _keys(self, client: str, account: str) -> dict[str, object]:
        return {"pair": (client, account), "client": client, "account": account}

    def wait(self, client: str, account: str = "", known_device: bool = False) -> float:
        """Seconds this attempt must wait (0 when it may be checked now)."""
        with self._lock:
            now = self.clock()
            keys = self._keys(client, account)
            waits = [0.0]
            for kind, key in keys.items():
                if kind == "account" and known_device:
                    continue
                e = self._kinds[kind].get(key)
                if e is not None:
                    waits.append(max(0.0, e.until - now))
            return max(waits)

    def failure(self, client: str, account: str = "", known_device: bool = False) -> float:
        """Record a wrong password; the backoff (seconds) this client now faces for the account."""
        with self._lock:
            now = self.clock()
            frees = {"pair": self.free, "client": self.client_free, "account": self.account_free}
            delays = []
            for kind, key in self._keys(client, account).items():
                table = self._kinds[kind]
                self._forget(table, now)
                e = table.setdefault(key, _Entry())
                e.failures += 1
                e.seen = now
                delay = self._delay(e.failures - frees[kind] - 1)
                e.until = max(e.until, now + delay)
                if not (kind == "account" and known_device):
                    delays.append(max(0.0, e.until - now))
            return max(delays)

    def success(self, client: str, account: str = "") -> None:
        """A right password: the pair starts afresh (the address and the account keep their
        counts, so one right password cannot reset an attacker's budget)."""
        with self._lock:
            self._kinds["pair"].pop((client, account), None)

    def _delay(self, over: int) -> float:
        return 0.0 if over < 0 else min(self.cap, self.base * 2.0 ** min(over, 30))

    def _forget(self, table: dict, now: float) -> None:
        if len(table) >= self.max_entries:
            stale = sorted(table.items(), key=lambda kv: kv[1].seen)[: len(table) // 10 + 1]
            for key, _ in stale:
                del table[key]
        for key in [k for k, e in table.items() if e.seen < now - self.window and e.until < now]:
            del table[key]
