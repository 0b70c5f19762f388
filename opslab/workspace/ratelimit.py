"""Wrong passwords, limited per client and for the whole server, with exponential backoff.

A client (an IP address as the proxy reports it) gets ``free`` attempts; after that each
further failure locks it out for ``base * 2**k`` seconds (capped). Independently, when more than
``global_free`` failures arrive within ``window`` seconds from anywhere, every attempt waits a
server-wide backoff too, so many parallel sessions or addresses gain nothing. A locked-out
attempt is refused *before* the password is hashed, so guessing also stops costing CPU.

>>> t = [0.0]
>>> lim = SignInLimiter(free=2, base=1.0, clock=lambda: t[0])
>>> [lim.failure("1.2.3.4") for _ in range(5)]
[0.0, 0.0, 1.0, 2.0, 4.0]
>>> lim.wait("1.2.3.4") > 0, lim.wait("5.6.7.8")
(True, 0.0)
>>> t[0] += 5; lim.wait("1.2.3.4")
0.0
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass
class _Client:
    failures: int = 0
    until: float = 0.0
    seen: float = 0.0


class SignInLimiter:
    """Per-client and global backoff for failed sign-ins (thread-safe, one per server process).

    Parameters
    ----------
    free : int
        Failures a client may make before backoff starts.
    global_free : int
        Failures per ``window`` from all clients together before a global backoff starts.
    base, cap : float
        First and largest backoff, seconds.
    window : float
        Seconds after which a client's failures are forgotten.
    max_clients : int
        Clients remembered at most (the oldest are forgotten first).
    """

    def __init__(self, free: int = 3, global_free: int = 30, base: float = 1.0, cap: float = 300.0,
                 window: float = 900.0, max_clients: int = 10_000, clock=time.monotonic):
        self.free, self.global_free, self.base, self.cap = free, global_free, base, cap
        self.window, self.max_clients, self.clock = window, max_clients, clock
        self._clients: dict[str, _Client] = {}
        self._recent: deque[float] = deque()
        self._global_until = 0.0
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds this client must wait before its next attempt (0 when it may try now)."""
        with self._lock:
            now = self.clock()
            c = self._clients.get(client)
            mine = max(0.0, c.until - now) if c else 0.0
            return max(mine, max(0.0, self._global_until - now))

    def failure(self, client: str) -> float:
        """Record a wrong password; the backoff (seconds) the client now faces."""
        with self._lock:
            now = self.clock()
            self._forget(now)
            c = self._clients.setdefault(client, _Client())
            c.failures += 1
            c.seen = now
            delay = self._delay(c.failures - self.free - 1)
            c.until = max(c.until, now + delay)
            self._recent.append(now)
            excess = len(self._recent) - self.global_free
            if excess > 0:
                self._global_until = max(self._global_until, now + self._delay(excess - 1))
            return max(delay, max(0.0, self._global_until - now))

    def success(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def _delay(self, over: int) -> float:
        return 0.0 if over < 0 else min(self.cap, self.base * 2.0 ** min(over, 30))

    def _forget(self, now: float) -> None:
        while self._recent and self._recent[0] < now - self.window:
            self._recent.popleft()
        if len(self._clients) >= self.max_clients:
            stale = sorted(self._clients.items(), key=lambda kv: kv[1].seen)[: len(self._clients) // 10 + 1]
            for key, _ in stale:
                del self._clients[key]
        for key in [k for k, c in self._clients.items() if c.seen < now - self.window and c.until < now]:
            del self._clients[key]
