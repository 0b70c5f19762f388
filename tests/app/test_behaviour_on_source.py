"""The Funnels, Paths and Experiments screens on a Parquet folder named in secrets.toml
(``[opslab] source``): they render with no exception and no error, and show the sample's
figures, though the source's events never come into Python."""

from __future__ import annotations

import pytest

from opslab.dataset.load import sample_dir
from opslab.dataset.sources import SourceDataset
from tests.app.conftest import open_app
from tests.spark_support import write_sample_folder

PAGES = ("views/funnels.py", "views/paths.py", "views/experiments.py")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_sample_folder(tmp_path_factory.mktemp("behaviour_source"), rows_per_file=40_000)


def _shown(at) -> dict:
    assert not at.exception, at.exception
    return {"metrics": [(m.label, m.value) for m in at.metric], "errors": [e.value for e in at.error],
            "success": [s.value for s in at.success], "warnings": [w.value for w in at.warning],
            "tables": [len(d.value) for d in at.dataframe]}


def _screens(secrets: dict | None) -> dict:
    at = open_app("en", secrets=secrets, timeout=900)
    assert isinstance(at.session_state["dataset"], SourceDataset) == bool(secrets)
    shown = {}
    for page in PAGES:
        at.switch_page(page).run()
        if page == "views/experiments.py" and secrets:
            # a source is not the sample, so its assignment is uploaded (the sample's file)
            assert not at.exception, at.exception
            at.file_uploader(key="ab_upload").upload(
                "assignments.csv", (sample_dir() / "assignments.csv").read_bytes(), "text/csv").run()
        shown[page] = _shown(at)
    return shown


@pytest.mark.slow
def test_behaviour_screens_on_a_configured_parquet_source(folder):
    on_source = _screens({"source": str(folder)})
    on_sample = _screens(None)
    for page in PAGES:
        got, want = on_source[page], on_sample[page]
        assert got["errors"] == [], (page, got["errors"])
        assert len(got["metrics"]) >= 1, page
        assert got["metrics"] == want["metrics"], page  # the same headline figures
        assert got["warnings"] == want["warnings"], page
        assert got["success"] == want["success"], page
    assert any("beats control" in s for s in on_source["views/experiments.py"]["success"])
    assert on_source["views/funnels.py"]["tables"] == on_sample["views/funnels.py"]["tables"]
