"""The Report screen's report, prepared in the background as soon as a data set is open.

Building a quarter's report fits the next period's forecasts (most of its cost: ~8 CPU s on
the sample) and renders its charts for the downloads. The router calls :func:`start` after
every page is drawn; for the session's data set it starts one thread that builds the report
the Report screen shows by default (the last complete quarter, the session's language, the
saved targets and the rules in force) into the same shared result the screen reads, and then
warms the charts' PNG for the .docx / HTML (after the report is stored: the screen does not
wait for its downloads). The screen then finds it ready, or waits for the thread
with a progress indicator instead of starting a second build.
"""

from __future__ import annotations

import dataclasses
import os
import threading

import streamlit as st

from opslab.report import quarterly_report
from opslab.report.trust import ReportSource
from opslab.planning.targets import period_of
from opslab.workspace.target_store import TargetStore
from ui.models import _slot, key_of, shared_by_key
from ui.state import dataset, dataset_key, lang, rules_seen

_started: dict = {}
_lock = threading.Lock()


def default_period(ds, grain: str = "quarter") -> str:
    """The period the screen opens on: the last complete one (the running one if none)."""
    last = period_of(ds.end, grain)
    return last.prev().code if last.end > ds.end and last.prev().end >= ds.start else last.code


def settings_of(period: str, report_lang: str, targets, lc_rules) -> str:
    """The key of a report's inputs (the screen and the background build use the same)."""
    return (f"{period}:{report_lang}:{sorted((t.kpi, t.period, t.value, t.direction) for t in targets)}"
            f":{lc_rules!r}")


def session_source() -> ReportSource:
    """What the session knows of its data set for the report's cover and appendix: its id (or
    content key), name and files (the load's reconciliation is on the Data page)."""
    src = st.session_state.get("dataset_source") or {}
    ident = src.get("id") or src.get("key")
    loaded = src.get("report")  # the files' reconciliation, hashes and decisions, when this session loaded them
    if isinstance(loaded, ReportSource):
        return dataclasses.replace(loaded, dataset_id=ident, name=src.get("name"))
    files = tuple((str(f), "", "–") for f in src.get("files", ()))
    return ReportSource(dataset_id=ident, name=src.get("name"), files=files)


def build(ds, period, report_lang, targets, lc_rules, warm_files: bool = False, source=None):
    rep = quarterly_report(ds, period, targets=targets, lang=report_lang, rules=lc_rules, source=source)
    if warm_files:  # the downloads, ready when asked for
        rep.file("docx")
        rep.file("html")
    return rep


def state(ds, settings: str) -> str:
    """"ready", "running" (a background build holds it) or "cold"."""
    slot = _slot("report", key_of(ds), settings)
    if "value" in slot:
        return "ready"
    t = _started.get((key_of(ds), settings))
    return "running" if t is not None and t.is_alive() else "cold"


def start() -> threading.Thread | None:
    """Start preparing the session's default report (once per data set and settings);
    ``OPSLAB_REPORT_PREP=off`` leaves it to the Report screen."""
    if os.environ.get("OPSLAB_REPORT_PREP", "on").lower() == "off":
        return None
    ds = dataset()
    if ds is None or ds.n_users == 0 or not dataset_key():
        return None
    period, report_lang = default_period(ds), lang()
    targets, lc_rules, source = TargetStore().load(dataset_key()), rules_seen(), session_source()
    settings = settings_of(period, report_lang, targets, lc_rules)
    key = (key_of(ds), settings)
    with _lock:
        if key in _started or "value" in _slot("report", key[0], settings):
            return _started.get(key)

        def run():
            try:  # the report first, for the screen waiting on it; then its downloads (the charts' PNG)
                rep = shared_by_key("report", key[0], settings,
                                    lambda: build(ds, period, report_lang, targets, lc_rules, False, source))
                rep.file("docx")
                rep.file("html")
            except Exception:  # noqa: BLE001 - the screen builds it again and shows the error
                _started.pop(key, None)
        thread = threading.Thread(target=run, name="opslab-report-prep", daemon=True)
        _started[key] = thread
        thread.start()
    return thread
