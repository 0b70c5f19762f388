"""Bad files uploaded in a real browser: no traceback on screen, and a Chinese explanation.

The expected messages are the zh catalog strings filled with the params the pipeline reports
for the same bytes, so a missing key or an untranslated code shows up as a failure here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from opslab.core.i18n import t
from opslab.dataset.load import load_files
from tests.e2e.conftest import ARTIFACTS, wait_idle

pytestmark = pytest.mark.e2e

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
# file -> the problem codes whose message must be on screen
READ_ERRORS = {"empty.csv": "io.empty_file", "binary.csv": "io.binary_file",
               "header_only.csv": "io.no_data_rows", "html_disguised.xls": "io.xls_unsupported"}
VALIDATED = {"dates_1900_2100.csv": "validate.date_too_early",
             "formula_strings.csv": None, "missing_ids.csv": "validate.missing_id"}


def _message(name: str, code: str) -> str:
    """The zh text the Data page shows for ``code`` on this file (params from the pipeline)."""
    _, files, _ = load_files([(name, (BAD / name).read_bytes())])
    f = files[0]
    problems = list(f.read.report) + (list(f.result.report) if f.result is not None else [])
    (p,) = [p for p in problems if p.code == code]
    text = t(code, "zh", **{"column": p.column or "", "count": f"{p.count:,}", **p.params})
    assert "{" not in text
    return text


def _no_exception(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0


def _to_data_page(pg, server) -> None:
    pg.goto(f"{server}/?lang=zh")
    wait_idle(pg)
    pg.get_by_role("link", name="数据导入", exact=True).click()
    wait_idle(pg)
    pg.get_by_role("heading", name="数据导入").first.wait_for()


def _upload(pg, tmp_path, names) -> None:
    paths = []
    for name in names:
        dst = tmp_path / name
        shutil.copyfile(BAD / name, dst)
        paths.append(str(dst))
    pg.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(paths)
    wait_idle(pg)


def _shot(pg, name) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_bad_files_show_translated_messages(server, page, tmp_path):
    try:
        _to_data_page(page, server)
        _upload(page, tmp_path, list(READ_ERRORS) + list(VALIDATED))
        _no_exception(page)
        for name, code in READ_ERRORS.items():
            page.get_by_text(_message(name, code)).first.wait_for(timeout=15_000)
        page.get_by_role("button", name="确认对应关系并加载").click()
        wait_idle(page)
        page.get_by_text("文件检查完成").first.wait_for()
        _no_exception(page)
        for name, code in VALIDATED.items():
            if code:
                page.get_by_text(_message(name, code)).first.wait_for(timeout=15_000)
        # 5 rows in, 2 kept, 2 out of range, 1 placeholder date set aside (as the unit tests count)
        page.get_by_text(t("data.kept", "zh", total="5", kept="2", rejected="2", dropped="1")).first.wait_for()
        # formula payloads are shown as text, and the formula file loaded cleanly
        page.get_by_text(t("data.kept", "zh", total="12", kept="12", rejected="0", dropped="0")).first.wait_for()
        _no_exception(page)
        # the uploaded (good) rows are now the session's data
        page.get_by_role("link", name="数据概览", exact=True).first.click()
        wait_idle(page)
        _no_exception(page)
    except Exception:
        _shot(page, "bad_upload.png")
        raise


def test_one_column_file_shows_a_message(server, page, tmp_path):
    _to_data_page(page, server)
    _upload(page, tmp_path, ["one_column.csv"])
    _no_exception(page)
    page.get_by_text(_message("one_column.csv", "io.single_column")).first.wait_for(timeout=15_000)


def test_rejected_and_set_aside_rows_download_in_the_readers_language(server, page, tmp_path):
    """The two downloads under a file's check: every rejected / set-aside row with its
    spreadsheet row and its reason in Chinese. (The upload repeats one the first test of this
    file made on the same server: the page must not lose its downloads to that.)"""
    import csv
    import io

    _, files, _ = load_files([("dates_1900_2100.csv", (BAD / "dates_1900_2100.csv").read_bytes())])
    res = files[0].result
    _to_data_page(page, server)
    _upload(page, tmp_path, ["dates_1900_2100.csv"])
    page.get_by_role("button", name="确认对应关系并加载").click()
    wait_idle(page)
    page.get_by_text("文件检查完成").first.wait_for()
    for kind, frame in (("rejected", res.rejected), ("dropped", res.dropped)):
        assert len(frame)
        with page.expect_download() as info:
            page.get_by_role("button", name=t(f"data.download_{kind}", "zh", n=f"{len(frame):,}")).click()
        rows = list(csv.reader(io.StringIO(open(info.value.path(), "rb").read().decode("utf-8-sig"), newline="")))
        assert rows[0][:2] == ["行号", "原因"]
        assert [int(r[0]) for r in rows[1:]] == frame["row"].tolist()
        want = [t("validate.reason." + str(c).split(".", 1)[-1].removesuffix("_kept"), "zh") for c in frame["reason"]]
        assert [r[1] for r in rows[1:]] == want and all("validate." not in w for w in want)
    _no_exception(page)
