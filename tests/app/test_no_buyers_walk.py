"""Every screen, walked on an export without buyer ids and on the sample (issue 21).

The Tmall order report (tests/corpus/tmall_order_report) names no buyer: every screen opens
without an exception, no figure that counts people (the catalogue's NEEDS_BUYERS figures and the
driver tree's user flows) is shown as a number (a 0 or a count of anonymous orders would be a
fake), and the screen says why in the user's language. On the sample, which names its buyers,
the same screens show those figures as numbers and never the no-buyer reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import opslab
from opslab.core.i18n import t
from opslab.metrics import breakdowns as bd
from opslab.metrics import catalogue
from opslab.planning.targets import TARGET_KPIS, Target
from opslab.present import formatting as fmt
from opslab.report.format import value_text
from opslab.workspace.target_store import TargetStore
from tests.app.conftest import ROOT, open_app
from tests.corpus import truths as tr

#: Every screen of the router, as app.py lists them (a new screen is walked without editing this test).
PAGES = re.findall(r'st\.Page\("views/(\w+)\.py"', (ROOT / "app.py").read_text(encoding="utf-8"))
#: A number as a screen writes one: 0, 18,955, ¥1.9M, ¥5.1万, 45.4%, +3.0%, 1:0.90.
NUMBER = re.compile(r"^[-+−]?\s*(1:)?[¥$€£]?\s*\d[\d,.]*\s*(%|万|亿|[KMB])?$")
#: Screens whose whole content follows customers: each says so and shows nothing else.
CUSTOMER_PAGES = {"lifecycle", "churn", "users", "funnels", "paths", "experiments", "segments"}
#: The reason each screen with figures gives (beside the sidebar's "no buyer id").
REASONS = {"overview": ["overview.no_buyers_help"], "targets": ["targets.no_buyers"],
           "forecast": ["forecastpage.no_buyers_drivers", "forecastpage.lc.no_buyers"],
           "subscriptions": ["subscriptions.no_buyers"],
           **{p: ["app.no_buyers_page"] for p in CUSTOMER_PAGES}}
NO_BUYER_KEYS = ("overview.no_buyers_help", "targets.no_buyers", "forecastpage.no_buyers_drivers",
                 "forecastpage.lc.no_buyers", "app.no_buyers_page", "breakdowns.no_buyers",
                 "subscriptions.no_buyers")


def people_labels(lang: str) -> set[str]:
    """The names under which a screen shows a figure that counts people."""
    names = {catalogue.name(k, lang) for k in catalogue.NEEDS_BUYERS if k in catalogue.KPIS}
    flows = {t(f"whatif.driver.{d}", lang) for d in ("retained", "new", "recovered")}
    return names | flows


def said(key: str, lang: str, shown: list[str]) -> bool:
    """Whether a message of ``key`` is among ``shown`` (its text up to its first placeholder)."""
    head = t(key, lang, kpis="\x00").split("\x00")[0]
    return any(s.startswith(head) for s in shown)


def texts(at) -> list[str]:
    """Every message and caption the run drew (main area and sidebar)."""
    out = []
    for kind in ("info", "warning", "error", "success", "caption", "markdown", "text"):
        out += [str(e.value) for e in getattr(at, kind)]
    return out


def shown_numbers_for_people(at, lang: str) -> list[tuple[str, str]]:
    """(label, value) of every figure counting people that the run shows as a number: metric
    cards, and table rows whose first cell or a column header names such a figure."""
    people, found = people_labels(lang), []
    for m in at.metric:
        if m.label in people and NUMBER.match(str(m.value).strip()):
            found.append((m.label, m.value))
    frames = [d.value for d in at.dataframe] + [d.value for d in at.table]
    for frame in frames:
        frame = frame.data if hasattr(frame, "data") else frame  # a Styler: its frame
        if not isinstance(frame, pd.DataFrame) or frame.empty:
            continue
        cells = frame.map(lambda v: str(v).strip())
        for _, row in cells.iterrows():
            hit = next((c for c in row if c.lstrip("　") in people), None)
            if hit is not None:
                found += [(hit, c) for c in row if c != hit and NUMBER.match(c)]
        for col in cells.columns:
            if str(col) in people:
                found += [(str(col), c) for c in cells[col] if NUMBER.match(c)]
    return found


@pytest.fixture(scope="module")
def tmall():
    truth = tr.tmall_order_report_truth()
    ds = opslab.load(*[str(p) for p in truth.files.values()]).dataset
    assert ds is not None and not ds.buyers_known
    path = next(iter(truth.files.values()))
    source = {"kind": "upload", "key": hashlib.sha256(path.read_bytes()).hexdigest(), "files": [path.name]}
    return truth, ds, source


def _open(ds, source, page: str, lang: str, query: dict | None = None):
    at = open_app(lang, dataset=ds, timeout=300, run=False, query=query)
    if source:
        at.session_state["dataset_source"] = source
    at.run()
    if page != "overview":
        at.switch_page(f"views/{page}.py").run()
    return at


def test_the_walk_covers_every_screen():
    assert {"overview", "lifecycle", "churn", "forecast", "targets", "report", "data"} <= set(PAGES)
    assert set(PAGES) == {p.stem for p in (ROOT / "views").glob("*.py")} - {"not_found"}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_every_screen_without_buyer_ids_opens_says_why_and_shows_no_count_of_people(
        tmall, page, lang, tmp_path, monkeypatch):
    _, ds, source = tmall
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))  # targets kept with the upload: not the user's
    at = _open(ds, source, page, lang)
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    # the sidebar, on every screen: the orders, and no count of anonymous "users"
    counts = {"orders": fmt.count(ds.n_orders, lang), "events": fmt.count(ds.n_events, lang)}
    assert t("app.data_summary_no_buyers", lang, **counts) in shown
    assert t("app.data_summary", lang, users=fmt.count(ds.n_users, lang), **counts) not in shown
    for key in REASONS.get(page, []):
        assert said(key, lang, shown), (page, key)
    assert shown_numbers_for_people(at, lang) == [], page
    if page in CUSTOMER_PAGES:  # nothing drawn from anonymous orders
        assert not at.dataframe and not at.metric


def test_targets_without_buyer_ids_offer_gmv_and_campaign_figures_and_keep_the_others(tmall, tmp_path, monkeypatch):
    """The editor offers only what can be tracked; a customer target saved earlier (e.g. imported)
    is kept, said to be untracked, and never deleted by the page."""
    _, ds, source = tmall
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    kept = [Target("paying_users", "2020Q1", 5000.0), Target("gmv", "2020Q1", 5e6), Target("new_users", "2020-02", 900.0)]
    TargetStore().update(source["key"], [], kept, 0)
    at = _open(ds, source, "targets", "en", query={"tg_grain": "quarter", "tg_period": "2020Q1"})
    assert not at.exception, [e.value for e in at.exception]
    editor = at.dataframe[0].value
    assert list(editor["kpi"]) == [k for k in TARGET_KPIS if k in ("gmv", "cac", "roi", "participants")]
    assert float(editor.set_index("kpi").loc["gmv", "value"]) == 5e6
    reason = [i.value for i in at.info if i.value.startswith("This export has no buyer ids")]
    assert len(reason) == 1 and catalogue.name("paying_users", "en") in reason[0]
    assert t("targets.held_no_buyers", "en", kpis=catalogue.name("paying_users", "en")) in texts(at)
    status = at.table[0].value
    status = status.data if hasattr(status, "data") else status
    assert list(status[t("targets.col.kpi", "en")]) == ["GMV"]
    # GMV's actual to date is the report's net GMV of 2020 (plain pandas: tests/corpus/truths.py)
    truth = tr.tmall_order_report_truth()
    assert status[t("targets.col.actual", "en")].iloc[0] == value_text("gmv", truth.monthly["net"].sum(), "en", "CNY")
    saved = json.loads(next(Path(tmp_path, "targets").glob("*.json")).read_text(encoding="utf-8"))
    assert "paying_users" in json.dumps(saved)  # still saved after the page ran
    # a month whose only target counts people: said to be kept, not "no targets yet", no table
    at = _open(ds, source, "targets", "en", query={"tg_grain": "month", "tg_period": "2020-02"})
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert t("targets.held_no_buyers", "en", kpis=catalogue.name("new_users", "en")) in shown
    assert t("targets.none", "en") not in shown and not at.table
    saved = json.loads(next(Path(tmp_path, "targets").glob("*.json")).read_text(encoding="utf-8"))
    assert {"paying_users", "new_users", "gmv"} <= set(re.findall(r'"kpi": "(\w+)"', json.dumps(saved)))


def test_a_split_without_buyer_ids_shows_orders_and_gmv_per_group(tmall, tmp_path, monkeypatch):
    _, ds, source = tmall
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    at = _open(ds, source, "overview", "en")
    dims = bd.dimensions(ds)
    assert dims and "tier" not in dims  # tiers follow customers: not offered
    assert t("breakdowns.tier", "en") not in at.selectbox(key="ov_split").options
    at.selectbox(key="ov_split").set_value(dims[0]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="ov_split_kpi").options == [catalogue.name(k, "en") for k in ("orders", "gmv")]
    assert t("breakdowns.no_buyers", "en") in texts(at)
    table = at.dataframe[-1].value
    assert list(table.columns) == [catalogue.name(k, "en") for k in ("orders", "gmv")]
    assert shown_numbers_for_people(at, "en") == []


@pytest.mark.parametrize("page", PAGES)
def test_every_screen_on_the_sample_shows_people_and_no_no_buyer_reason(page, tmp_path, monkeypatch):
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    at = open_app("en", None if page == "overview" else f"views/{page}.py", timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    for key in NO_BUYER_KEYS:
        assert t(key, "en") not in shown, key
    assert not any("no buyer id" in s for s in shown)
    if page == "overview":  # the customer cards are numbers here
        cards = {m.label: m.value for m in at.metric}
        for key in ("paying_users", "new_users", "arppu"):
            assert NUMBER.match(cards[catalogue.name(key, "en")]), key
