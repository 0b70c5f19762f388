"""Load test during an attack (issue 28, "Done when"): while one user uploads a hostile file to
the hosted app (``serve.py``) on loopback, a second user's moves between pages stay within a
second of their time without the attack. Real Streamlit server, real Chromium, attack files
generated in tmp.

The size of the single-line CSV is ``OPSLAB_ATTACK_MB`` (default 960: the review's ~1 GB, under the 1024 MB upload limit)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Server, new_context, wait_idle
from tests.test_hostile_inputs import _single_line, _targets_bomb

#: ``timed``: page times are compared with a budget, so ``make test`` runs this file alone after
#: the parallel run (beside a Spark JVM on two cores the baseline itself swings by seconds).
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timed]
BUDGET_S = 1.0
ATTACK_MB = int(os.environ.get("OPSLAB_ATTACK_MB", "960"))  # under maxUploadSize (1024 MB)


@pytest.fixture
def app_server():
    srv = Server("serve.py", Path(tempfile.mkdtemp(prefix="opslab-e2e-attack-")))
    # The sample's report is otherwise built in the background (~8 CPU s, ui/report_prep.py) when
    # user A opens the app, during the baseline or during the attack by chance: the comparison
    # would measure that build, not the attack.
    srv.env["OPSLAB_REPORT_PREP"] = "off"
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def attacker_browser(browser, tmp_path):
    """User A's own browser, at the lowest CPU priority. A's browser runs on A's machine; here it
    shares two cores with the server and B's browser, and reading and sending 1 GB costs it ~4
    CPU s: at normal priority the test measured our machine's CPU, not the server's
    responsiveness. The server and B's browser keep normal priority."""
    wrapper = tmp_path / "nice-chromium"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n 19 {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    b = browser.browser_type.launch(executable_path=str(wrapper), args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


#: User B moves between two light pages (the metric glossary and the subscriptions list) from the
#: navigation: each move is one script run on the server, and little work for B's own browser, so
#: the time is the server's responsiveness (a full page load is mostly the browser's own work,
#: which on this machine competes with the server for the same two cores).
B_PAGES = ("指标口径", "订阅推送")


def _move_time(pg, i: int) -> float:
    """Seconds from a click in the navigation to the new page drawn (its title replaced the old
    one) and its script run finished. (A light page's run can start and finish within one frame,
    leaving no trace in the run state for the run counter to see.)"""
    old = pg.locator('[data-testid="stHeading"]').first.inner_text()
    t0 = time.perf_counter()
    pg.get_by_role("link", name=B_PAGES[i % 2], exact=True).click()
    pg.wait_for_function(
        """(old) => {
             const h = document.querySelector('[data-testid="stHeading"]');
             const app = document.querySelector('[data-testid="stApp"]');
             return h && h.innerText !== old && app.getAttribute('data-test-script-state') === 'notRunning';
           }""", arg=old, timeout=120_000)
    return time.perf_counter() - t0


def _attack(browser, attacker_browser, app_server, path: Path, done_text: str, page_for_import):
    """User A opens the import; user B's page moves are timed before and during A's upload."""
    b_ctx, a_ctx = new_context(browser), new_context(attacker_browser)
    try:
        a = a_ctx.new_page()
        page_for_import(a)  # A's own page runs are done before the baseline
        b = b_ctx.new_page()
        b.goto(f"{app_server.url}/glossary?lang=zh")
        wait_idle(b)
        moves = iter(range(1, 10_000))  # B is on the glossary: the first move is away from it
        baseline = statistics.median(_move_time(b, next(moves)) for _ in range(6))
        a.locator('input[type="file"]').first.set_input_files(str(path))
        during, t_end = [], time.monotonic() + 240
        while time.monotonic() < t_end and len(during) < 60:
            during.append(_move_time(b, next(moves)))
            if a.get_by_text(done_text).count() and len(during) >= 3:
                break
        assert a.get_by_text(done_text).count(), "the attack file was never refused"
        # The typical move within the budget, and no move held up for long: before the upload's
        # bytes were shared, each rerun of A's page copied them under the GIL and B's moves
        # spiked to 2-3 s between typical ones. The single worst move gets twice the budget (a
        # scheduler hiccup on a shared machine).
        assert statistics.median(during) <= baseline + BUDGET_S, (baseline, during)
        assert max(during) <= baseline + 2 * BUDGET_S, (baseline, during)
        return baseline, during
    finally:
        a_ctx.close()
        b_ctx.close()


def test_a_1gb_single_line_upload_leaves_another_users_page_within_budget(browser, attacker_browser, app_server,
                                                                          tmp_path):
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

    baseline, during = _attack(browser, attacker_browser, app_server, path, "不像是导出的表格", data_page)
    print(f"single line {ATTACK_MB} MB: baseline {baseline:.2f} s, during {[round(x, 2) for x in during]}")


def test_a_targets_import_bomb_leaves_another_users_page_within_budget(browser, attacker_browser, app_server,
                                                                       tmp_path):
    path = tmp_path / "targets.xlsx"
    path.write_bytes(_targets_bomb(3_000_000))

    def targets_page(pg):
        pg.goto(f"{app_server.url}/targets?lang=zh")
        wait_idle(pg)
        pg.get_by_text("导入目标（.xlsx / .csv）").first.click()
        wait_idle(pg)

    baseline, during = _attack(browser, attacker_browser, app_server, path, "空行也计算在内", targets_page)
    print(f"targets bomb {path.stat().st_size / 2**20:.1f} MB: baseline {baseline:.2f} s, "
          f"during {[round(x, 2) for x in during]}")
