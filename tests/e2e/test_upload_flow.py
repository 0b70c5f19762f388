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

    page.get_by_role("link", name="数据导入", exact=True).click()
    wait_idle(page)
    path = tmp_path / "订单导出.csv"
    path.write_bytes(GBK_CSV)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    wait_idle(page)
    page.get_by_text("字段对应").first.wait_for()
    page.get_by_role("button", name="确认对应关系并加载").click()
    wait_idle(page)
    page.get_by_text("文件检查完成").first.wait_for()

    page.get_by_role("link", name="数据概览", exact=True).first.click()
    wait_idle(page)
    assert _metric(page, "GMV") == "¥1,315"  # 1,280 + 35, the two paid amounts in the file
    assert _metric(page, "新增用户") == "2"
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)


def test_upload_cdnow_text_and_see_gmv_in_dollars(server, page, tmp_path):
    """The real CDNOW log as operators have it (space-aligned text, YYYYMMDD, dollar_value):
    every row kept and the Overview's GMV in dollars, equal to a plain sum over the file."""
    from opslab.present import formatting as fmt
    from tests.realdata import cdnow_bytes, cdnow_truth

    truth = cdnow_truth()
    june = truth[truth["date"].dt.to_period("M") == "1998-06"]["dollar_value"].sum()
    page.goto(f"{server}/?lang=en")
    wait_idle(page)
    page.get_by_role("link", name="Data", exact=True).first.click()
    wait_idle(page)
    path = tmp_path / "CDNOW_master.txt"
    path.write_bytes(cdnow_bytes())
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    wait_idle(page)
    page.get_by_text("Column mapping").first.wait_for()
    page.get_by_role("button", name="Confirm mapping and load").click()
    wait_idle(page)
    page.get_by_text("69,659 of 69,659 rows kept").first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0

    page.get_by_role("link", name="Overview", exact=True).first.click()
    wait_idle(page)
    gmv = _metric(page, "GMV")
    assert gmv.startswith("$") and gmv == fmt.money(june, "en", currency="USD")
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "overview_cdnow.png"), full_page=True)
