"""Import the heavy analysis modules in the background once per server process.

statsmodels, scipy.optimize and the forecasting code take seconds to import on a loaded
machine, and the first page that needs them (Forecast, Churn) paid for it on its first
visit. The router starts this thread once its first page has been drawn (so the opening page
does not share the CPU with it); by the time someone opens those pages the modules are
usually loaded. Importing is idempotent and thread-safe (per-module import
locks), so a page that needs a module earlier simply waits for it.
"""

from __future__ import annotations

import importlib
import threading
import time

import streamlit as st

MODULES = ("opslab.models.forecast", "opslab.models.campaign_planner", "opslab.planning.forecast_readout",
           "opslab.present.charts.forecast", "opslab.models.churn", "opslab.models.clv")


def _import_all(delay: float) -> None:
    time.sleep(delay)  # let the first page finish: imports hold the GIL while they run
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the page importing it will show the real error
            pass


@st.cache_resource(show_spinner=False)
def start(delay: float = 0.5) -> threading.Thread:
    """Start the import thread (once per server process, after ``delay`` seconds) and return it."""
    thread = threading.Thread(target=_import_all, args=(delay,), name="opslab-warmup", daemon=True)
    thread.start()
    return thread
