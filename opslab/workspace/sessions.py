"""Which signed-in user owns which Streamlit session, so a session id alone is worth nothing.

Streamlit lets a browser resume an existing session by presenting its id (the third entry of
the websocket's ``Sec-WebSocket-Protocol``) and accepts uploads at
``/_stcore/upload_file/<session id>/...``. The id is not a secret: it appears in every upload
URL and so in proxy logs. The app's gate (``ui/auth.py``) records the owner of each session at
every script run; the HTTP guard (``ui/server_auth.py``) then lets a request name a session only
when the request's own sign-in cookie names that session's owner.

>>> owners = SessionOwners(max_sessions=2)
>>> owners.claim("s1", "li"), owners.claim("s1", "wang"), owners.owner("s1")
(True, False, 'li')
>>> owners.may_use("s1", "li"), owners.may_use("s1", "wang"), owners.may_use("nobody-knows", "li")
(True, False, False)
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class SessionOwners:
    """Session id -> owner, first claim wins; bounded (the least recently used is forgotten,
    after which the id is simply unknown and resuming it starts a fresh session)."""

    def __init__(self, max_sessions: int = 100_000):
        self.max_sessions = max_sessions
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, session_id: str, user: str) -> bool:
        """Record ``user`` as the owner unless someone else owns the session; True if ``user`` owns it now."""
        with self._lock:
            current = self._owners.get(session_id)
            if current is not None and current != user:
                return False
            self._owners[session_id] = user
            self._owners.move_to_end(session_id)
            while len(self._owners) > self.max_sessions:
                self._owners.popitem(last=False)
            return True

    def owner(self, session_id: str) -> str | None:
        with self._lock:
            return self._owners.get(session_id)

    def may_use(self, session_id: str, user: str | None) -> bool:
        """True only for the recorded owner (an unknown id is nobody's to resume)."""
        return user is not None and self.owner(session_id) == user

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._owners.pop(session_id, None)


def owner_key(payload: dict | None, user: str | None) -> str | None:
    """Who owns a session: one sign-in (the user plus the sign-in token's nonce) with our own
    cookies, so even with one shared password a teammate typing the same name cannot resume
    it; the user alone with OIDC (the identity provider verified it).

    >>> owner_key({"user": "li", "nonce": "ab12"}, "li"), owner_key(None, "li@x.com"), owner_key(None, None)
    ('li#ab12', 'li@x.com', None)
    """
    if payload is not None:
        return f"{payload['user']}#{payload.get('nonce', '')}"
    return user


#: One per server process: the gate and the guard run in the same process.
OWNERS = SessionOwners()
