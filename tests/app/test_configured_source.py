"""Every page works on a Parquet folder named in secrets.toml (``[opslab] source``), read in
place by the embedded DuckDB engine, and shows the same overview figures as the sample."""

from __future__ import annotations

import pytest

from opslab.dataset.sources import SourceDataset
from tests.app.conftest import open_app
from tests.spark_support import write_sample_folder

PAGES = ("views/overview.py", "views/lifecycle.py", "views/churn.py", "views/forecast.py", "views/data.py",
         "views/funnels.py", "views/paths.py", "views/experiments.py")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_sample_folder(tmp_path_factory.mktemp("configured"))


@pytest.mark.slow
def test_every_page_on_a_configured_parquet_source(folder):
    at = open_app("en", secrets={"source": str(folder), "currency": "CNY"}, timeout=900)
    assert isinstance(at.session_state["dataset"], SourceDataset)
    assert at.session_state["dataset"].currency == "CNY"  # named in [opslab]: the sample's yuan
    assert any("configured source" in c.value for c in at.sidebar.caption)
    overview = [(m.label, m.value) for m in at.metric]
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
    plain = open_app("en", timeout=900)
    assert not isinstance(plain.session_state["dataset"], SourceDataset)
    assert [(m.label, m.value) for m in plain.metric] == overview  # the same data, the same figures


@pytest.mark.slow
def test_a_configured_source_without_a_currency_says_none_was_stated(folder):
    at = open_app("en", secrets={"source": str(folder)}, timeout=900)
    assert not at.session_state["dataset"].currency  # nothing in [opslab] names it: none assumed
    gmv = next(m.value for m in at.metric if m.label == "GMV")
    assert not any(sign in gmv for sign in "¥$€£")
    assert any("amounts in not stated" in c.value for c in at.sidebar.caption)
