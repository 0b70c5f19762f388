"""Every page works on a Parquet folder named in secrets.toml (``[opslab] source``), read in
place by the embedded DuckDB engine, and shows the same overview figures as the sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from opslab.ingest.load import load_sample
from opslab.sources import SourceDataset, write_parquet_layout

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("views/overview.py", "views/lifecycle.py", "views/churn.py", "views/forecast.py", "views/data.py")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    ds = load_sample()
    root = tmp_path_factory.mktemp("configured")
    write_parquet_layout({"events": ds.events, "orders": ds.orders, "users": ds.users,
                          "campaigns": ds.campaigns}, root)
    return root


def _open(secrets: dict | None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    at.session_state["lang"] = "en"
    if secrets:
        at.secrets["opslab"] = secrets
    at.run()
    return at


@pytest.mark.slow
def test_every_page_on_a_configured_parquet_source(folder):
    at = _open({"source": str(folder)})
    assert isinstance(at.session_state["dataset"], SourceDataset)
    assert any("configured source" in c.value for c in at.sidebar.caption)
    overview = [(m.label, m.value) for m in at.metric]
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
    plain = _open(None)
    assert not isinstance(plain.session_state["dataset"], SourceDataset)
    assert [(m.label, m.value) for m in plain.metric] == overview  # the same data, the same figures
