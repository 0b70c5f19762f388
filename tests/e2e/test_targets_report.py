"""A lead sets targets for the running quarter (imported from a file), sees 完成度 on the
Targets page, downloads the quarter's report as .docx, opens it with python-docx and finds
the figures the screen showed."""

from __future__ import annotations

import io

import pytest
from docx import Document
from opslab.core.i18n import t

from tests.e2e.conftest import ARTIFACTS, Server, finished_runs, wait_for_new_run, wait_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TARGETS_CSV = ("kpi,period,value,direction\n"
               "m3_payer,2026Q4,0.5,at_least\n"
               "cac,2026Q4,200,at_most\n"
               "roi,2026Q4,1.2,at_least\n").encode("utf-8")


@pytest.fixture(scope="module")
def store_server(tmp_path_factory):
    """The app with its own data directory, so saved targets stay inside the test."""
    data = tmp_path_factory.mktemp("opslab_data")
    srv = Server("app.py", data).start()
    yield srv.url, data
    srv.stop()


def _status_table(pg):
    """The completion table: the screen's table whose header says 时间进度 (the past periods' and
    the proposals' tables sit beside it)."""
    return pg.locator('[data-testid="stTable"]').filter(has=pg.locator("th", has_text="时间进度")).first


#: True when the app is idle and the completion table (header 时间进度) has a row whose first cell
#: is ``name``: read in one pass, so a table being redrawn by a run is never half-read.
ROW_SHOWN = """(name) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  for (const table of document.querySelectorAll('[data-testid="stTable"]')) {
    if (![...table.querySelectorAll('th')].some(th => th.innerText.includes('时间进度'))) continue;
    for (const row of table.querySelectorAll('tr')) {
      const first = row.querySelector('td, th');
      if (first && first.innerText.trim() === name) return true;
    }
  }
  return false;
}"""


def _wait_row(pg, name: str, timeout: int = 180_000) -> None:
    """Wait until the completion table shows ``name``'s row in a finished run, then until the app
    stays idle (the row is then the final run's, not a table a rerun is about to replace)."""
    pg.wait_for_function(ROW_SHOWN, arg=name, timeout=timeout, polling=100)
    wait_idle(pg, timeout, quiet_ms=500)
    pg.wait_for_function(ROW_SHOWN, arg=name, timeout=timeout, polling=100)


def _row(pg, name: str) -> list[str]:
    """The cells of the completion table's row whose first cell is ``name`` ([] if none)."""
    for row in _status_table(pg).locator("tr").all():
        cells = [c.strip() for c in row.locator("td, th").all_inner_texts()]
        if cells and cells[0] == name:
            return cells
    return []


def test_targets_completion_and_report_docx(store_server, page, tmp_path):
    url, data = store_server
    page.goto(f"{url}/targets?lang=zh&tg_grain=quarter&tg_period=2026Q4")
    wait_idle(page, 180_000)
    page.get_by_role("heading", name="目标与完成度").wait_for()
    page.get_by_text("此周期还没有目标").first.wait_for()  # nothing made up

    # type the GMV target into the editor's first row (the grid is a canvas: click, type, Enter)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.dblclick(box["x"] + box["width"] - 60, box["y"] + 35 + 17)
    editor = page.locator("textarea.gdg-input, #portal textarea, #portal input").first  # the grid's cell editor
    editor.wait_for()
    before = finished_runs(page)
    editor.fill("150000")
    page.keyboard.press("Enter")
    wait_for_new_run(page, before, 180_000)  # the edit reached the server and the page re-ran
    _wait_row(page, "GMV")  # saved as typed: its completion row is drawn

    page.get_by_text("导入目标（.xlsx / .csv）").first.click()
    path = tmp_path / "targets.csv"
    path.write_bytes(TARGETS_CSV)
    cac_name = t("catalogue.cac.name", "zh")  # the catalogue's one name, whatever the uploaded file called it
    before = finished_runs(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    # The upload reaches the server a moment later and its run re-runs the page once more; until
    # then the GMV-only table of the typed target is still on screen (reading it then found no CAC
    # row), and while a run fits the forecasts the table is replaced by a spinner (no GMV row).
    wait_for_new_run(page, before, 180_000)
    _wait_row(page, cac_name)
    assert page.locator('[data-testid="stException"]').count() == 0
    header = [h.strip() for h in _status_table(page).locator("thead th").all_inner_texts()]
    gmv_cells, cac_cells = _row(page, "GMV"), _row(page, cac_name)
    assert len(gmv_cells) == len(header) == len(cac_cells), (header, gmv_cells, cac_cells)
    gmv, cac = dict(zip(header, gmv_cells)), dict(zip(header, cac_cells))
    assert gmv["目标"] == "≥ ¥15.0万" and gmv["完成度"].endswith("%") and gmv["时间进度"] == "33.7%"
    assert gmv["状态"].split()[-1] in ("正常", "有风险", "落后")
    assert cac["目标"] == "≤ ¥200.00" and cac["实际（至今）"].startswith("¥")  # the imported at-most target
    assert list((data / "targets").glob("*.json"))  # kept with the data set
    page.screenshot(path=str(ARTIFACTS / "targets_page.png"), full_page=True)

    page.goto(f"{url}/report?lang=zh&rp_period=2026Q4")
    wait_idle(page, 240_000)
    page.get_by_role("heading", name="2026Q4 季度运营报告").wait_for(timeout=240_000)
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="下载 Word (.docx)").click()
    doc = Document(io.BytesIO(open(info.value.path(), "rb").read()))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    text = "\n".join([p.text for p in doc.paragraphs] + cells)
    for figure in (gmv["实际（至今）"], gmv["完成度"], gmv["状态"], cac["实际（至今）"], cac["完成度"]):
        assert figure in cells, figure
    assert "核心业绩完成情况" in text and "下季度计划" in text
