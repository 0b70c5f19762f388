"""Load test during an attack (issue 28, "Done when"): while one user uploads a hostile file to
the running app on loopback, a second user's page keeps loading within a second of its time
without the attack. Real Streamlit server, real Chromium, attack files generated in tmp.

The size of the single-line CSV is ``OPSLAB_ATTACK_MB`` (default 960: the review's ~1 GB, under the 1024 MB upload limit)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Server, new_context, wait_idle
from tests.test_hostile_inputs import _single_line, _targets_bomb

#: ``timed``: page times are compared with a budget, so ``make test`` runs this file alone after
#: the parallel run (beside a Spark JVM on two cores the baseline itself swings by seconds).
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timed]
BUDGET_S = 1.0
ATTACK_MB = int(os.environ.get("OPSLAB_ATTACK_MB", "960"))  # under maxUploadSize (1024 MB)


@pytest.fixture
def app_server():
    srv = Server("app.py", Path(tempfile.mkdtemp(prefix="opslab-e2e-attack-"))).start()
    yield srv
    srv.stop()


def _page_time(pg, url) -> float:
    """Seconds from navigation to the page drawn and its script run finished."""
    t0 = time.perf_counter()
    pg.goto(url)
    pg.locator('[data-testid="stHeading"]').first.wait_for(timeout=120_000)
    wait_idle(pg, timeout=120_000)
    return time.perf_counter() - t0 - 0.3  # wait_idle's own settle pause


def _attack(browser, app_server, path: Path, done_text: str, page_for_import):
    """User A opens the import, user B measures a page (the Glossary: a light page, so the time
    is the server's responsiveness, not the page's own work) before and during A's upload."""
    b_ctx, a_ctx = new_context(browser), new_context(browser)
    try:
        a = a_ctx.new_page()
        page_for_import(a)  # A's own page runs are done before the baseline
        b = b_ctx.new_page()
        url = f"{app_server.url}/glossary?lang=zh"
        _page_time(b, url)  # first visit
        baseline = sorted(_page_time(b, url) for _ in range(5))[2]  # the median of five
        a.locator('input[type="file"]').first.set_input_files(str(path))
        during, t_end = [], time.monotonic() + 240
        while time.monotonic() < t_end and len(during) < 40:
            during.append(_page_time(b, url))
            if a.get_by_text(done_text).count() and len(during) >= 3:
                break
        assert a.get_by_text(done_text).count(), "the attack file was never refused"
        # Medians: on a shared test machine single page times swing by seconds either way.
        assert sorted(during)[len(during) // 2] <= baseline + BUDGET_S, (baseline, during)
        return baseline, during
    finally:
        a_ctx.close()
        b_ctx.close()


def test_a_1gb_single_line_upload_leaves_another_users_page_within_budget(browser, app_server, tmp_path):
    path = tmp_path / "one-line.csv"
    block = _single_line(64 * 2**20)
    with open(path, "wb") as fh:
        for _ in range(max(1, ATTACK_MB // 64)):
            fh.write(block)

    def data_page(pg):
        pg.goto(f"{app_server.url}/?lang=zh")
        wait_idle(pg)
        pg.get_by_role("link", name="数据导入", exact=True).click()
        wait_idle(pg)

    baseline, during = _attack(browser, app_server, path, "不像是导出的表格", data_page)
    print(f"single line {ATTACK_MB} MB: baseline {baseline:.2f} s, during {[round(x, 2) for x in during]}")


def test_a_targets_import_bomb_leaves_another_users_page_within_budget(browser, app_server, tmp_path):
    path = tmp_path / "targets.xlsx"
    path.write_bytes(_targets_bomb(3_000_000))

    def targets_page(pg):
        pg.goto(f"{app_server.url}/targets?lang=zh")
        wait_idle(pg)
        pg.get_by_text("导入目标（.xlsx / .csv）").first.click()
        wait_idle(pg)

    baseline, during = _attack(browser, app_server, path, "空行也计算在内", targets_page)
    print(f"targets bomb {path.stat().st_size / 2**20:.1f} MB: baseline {baseline:.2f} s, "
          f"during {[round(x, 2) for x in during]}")
