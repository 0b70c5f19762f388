"""A person uploads users with spreadsheet-formula ids, opens the lifecycle page and downloads a
tier's list as CSV and .xlsx: every row is there, Chinese survives, and no cell is a formula."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import wait_idle

pytestmark = pytest.mark.e2e

HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "+SUM(A1:A9)", "@cmd", "-2+3", "张三"]
DANGER = ("=", "+", "-", "@", "\t", "\r")


def _events() -> bytes:
    rows = ["用户ID,行为时间,行为"]
    for uid in HOSTILE:  # active on two days: the "new" tier
        quoted = '"' + uid.replace('"', '""') + '"'
        rows += [f"{quoted},2024-03-01 10:00,访问", f"{quoted},2024-03-05 11:00,浏览"]
    rows.append("silent,2024-03-02 09:00,访问")  # only the signup day: "silent new"
    rows.append("other,2024-03-10 09:00,访问")   # data end (as of 2024-03-10)
    return ("\n".join(rows) + "\n").encode("utf-8")


def _upload(page, server, tmp_path):
    page.goto(f"{server}/?lang=zh")
    wait_idle(page)
    page.get_by_role("link", name="数据导入", exact=True).click()
    wait_idle(page)
    path = tmp_path / "events.csv"
    path.write_bytes(_events())
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    wait_idle(page)
    page.get_by_role("button", name="确认对应关系并加载").click()
    wait_idle(page)
    page.get_by_text("文件检查完成").first.wait_for()
    page.get_by_role("link", name="用户分层", exact=True).click()
    wait_idle(page)
    page.get_by_role("heading", name="用户分层与生命周期").wait_for()


def test_tier_export_csv_and_xlsx_are_complete_and_safe(server, page, tmp_path):
    _upload(page, server, tmp_path)
    assert page.locator('[data-testid="stException"]').count() == 0

    with page.expect_download() as info:
        page.get_by_role("button", name="下载 CSV").click()
    data = open(info.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")  # utf-8-sig: Excel shows the Chinese
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert "用户ID" in header and "分层" in header and "近 14 天活跃天数" in header  # headers in Chinese
    ids = [r[header.index("用户ID")] for r in body]
    assert sorted(i.lstrip("'") for i in ids) == sorted(HOSTILE)  # the whole "new" tier, nothing else
    assert {r[header.index("分层")] for r in body} == {"新用户"}
    assert not any(cell.startswith(DANGER) for r in rows for cell in r)
    assert "'=HYPERLINK(\"http://evil.example\",\"点我\")" in ids

    with page.expect_download() as info:
        page.get_by_role("button", name="下载 Excel").click()
    ws = load_workbook(io.BytesIO(open(info.value.path(), "rb").read())).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert ws.max_row == len(HOSTILE) + 1
    assert all(c.data_type != "f" for c in cells)
    assert not any(isinstance(c.value, str) and c.value.startswith(DANGER) for c in cells)
