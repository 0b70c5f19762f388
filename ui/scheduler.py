"""The subscriptions' scheduler, running with the hosted app: one background thread per
server process wakes every minute and sends what is due (:func:`opslab.workspace.delivery.run_pending`).
The send log and a claim file per subscription and period keep two processes (or this thread
and a cron job running ``python -m opslab subscriptions``) from sending a period twice.

``OPSLAB_APP_URL`` is the address the messages link back to; ``OPSLAB_TZ`` the team's time
zone (default Asia/Shanghai); ``OPSLAB_SCHEDULER=off`` leaves sending to cron.
"""

from __future__ import annotations

import os
import threading
import urllib.parse

import streamlit as st

from opslab.workspace.delivery import load_stored, run_pending
from opslab.workspace.subscriptions import SubscriptionStore
from opslab.workspace.target_store import data_dir

INTERVAL_S = 60.0


def app_url() -> str | None:
    return os.environ.get("OPSLAB_APP_URL") or None


def page_base_url() -> str | None:
    """The app's address as this browser reached it (``st.context.url`` without the page's
    own path): where a subscription set up here links back to when ``OPSLAB_APP_URL`` is unset."""
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001 - no browser request (bare runs): no address known
        return None
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    path = parts.path.rstrip("/")
    if path.endswith("/subscriptions") or path == "subscriptions":
        path = path[: -len("subscriptions")].rstrip("/")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def subscription_store() -> SubscriptionStore:
    return SubscriptionStore(data_dir())


def _loop(stop: threading.Event) -> None:
    while not stop.wait(INTERVAL_S):
        try:
            run_pending(subscription_store(), load_stored, app_url(), tz=os.environ.get("OPSLAB_TZ", "Asia/Shanghai"))
        except Exception:  # noqa: BLE001 - the next minute tries again; failures are in the send log
            pass


@st.cache_resource(show_spinner=False)
def start() -> threading.Event | None:
    """Start the scheduler thread once per server process; its stop event (None when off)."""
    if os.environ.get("OPSLAB_SCHEDULER", "on").lower() == "off":
        return None
    stop = threading.Event()
    threading.Thread(target=_loop, args=(stop,), name="opslab-scheduler", daemon=True).start()
    return stop
