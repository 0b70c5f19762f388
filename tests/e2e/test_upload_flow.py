"""A person opens OpsLab, sees the sample overview, uploads a GBK CSV with Chinese headers,
confirms the mapping and sees the overview figures change to theirs."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_idle

pytestmark = pytest.mark.e2e

GBK_CSV = ('用户ID,行为时间,订单金额\r\n'
           'A001,2024/1/5 10:00,"￥1,280.00"\r\n'
           'A002,2024年1月6日,\r\n'
           'A001,2024-01-20 08:30,35\r\n').encode("gbk")


def _metric(pg, label: str) -> str:
    card = pg.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return card.locator('[data-testid="stMetricValue"]').inner_text()


def test_upload_gbk_and_see_overview_change(server, page, tmp_path):
    page.goto(f"{server}/?lang=zh")
    wait_idle(page)
    page.get_by_role("heading", name="数据概览").wait_for()
    sample_gmv = _metric(page, "GMV")
    assert sample_gmv.startswith("¥")
    assert page.locator('[data-testid="stException"]').count() == 0

    page.get_by_role("link", name="数据导入").click()
    wait_idle(page)
    path = tmp_path / "订单导出.csv"
    path.write_bytes(GBK_CSV)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    wait_idle(page)
    page.get_by_text("字段对应").first.wait_for()
    page.get_by_role("button", name="确认对应关系并加载").click()
    wait_idle(page)
    page.get_by_text("文件检查完成").first.wait_for()

    page.get_by_role("link", name="数据概览").first.click()
    wait_idle(page)
    assert _metric(page, "GMV") == "¥1,315"  # 1,280 + 35, the two paid amounts in the file
    assert _metric(page, "新增用户") == "2"
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
