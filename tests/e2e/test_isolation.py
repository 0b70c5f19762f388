"""Two people use one server at the same time: each sees only their own upload.

Two browser contexts (separate cookies, separate Streamlit sessions) upload different GBK
files with steps interleaved; each overview shows its own GMV and new users, before and after
the other person's upload, and the sidebar names only its own file.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, new_context, wait_idle

pytestmark = pytest.mark.e2e

# GMV 1,280 + 35 = 1,315; users A001, A002
FILE_A = ("甲的订单.csv", ('用户ID,行为时间,订单金额\r\n'
                        'A001,2024/1/5 10:00,"￥1,280.00"\r\n'
                        'A002,2024年1月6日,\r\n'
                        'A001,2024-01-20 08:30,35\r\n').encode("gbk"))
# GMV 700 + 77 = 777; users B001, B002, B003
FILE_B = ("乙的订单.csv", ('用户ID,行为时间,订单金额\r\n'
                        'B001,2024/2/3 09:00,700\r\n'
                        'B002,2024年2月4日,77\r\n'
                        'B003,2024-02-05 12:00,\r\n').encode("gbk"))


A_FIGURES = ("¥1,315", "2")  # GMV as the overview formats it, new users
B_FIGURES = ("¥777.00", "3")  # amounts under 1,000 keep their fen


def _metric(pg, label: str) -> str:
    card = pg.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return card.locator('[data-testid="stMetricValue"]').inner_text()


def _sidebar(pg) -> str:
    return pg.locator('[data-testid="stSidebar"]').inner_text()


def _open(pg, server) -> None:
    pg.goto(f"{server}/?lang=zh")
    wait_idle(pg)
    pg.get_by_role("heading", name="数据概览").wait_for()


def _upload(pg, tmp_path, file) -> None:
    name, data = file
    pg.get_by_role("link", name="数据导入", exact=True).click()
    wait_idle(pg)
    path = tmp_path / name
    path.write_bytes(data)
    pg.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    wait_idle(pg)
    pg.get_by_text("字段对应").first.wait_for()


def _confirm(pg) -> None:
    pg.get_by_role("button", name="确认对应关系并加载").click()
    wait_idle(pg)
    pg.get_by_text("文件检查完成").first.wait_for()


def _overview(pg) -> tuple[str, str]:
    pg.get_by_role("link", name="数据概览", exact=True).first.click()
    wait_idle(pg)
    pg.get_by_role("heading", name="数据概览").wait_for()
    assert pg.locator('[data-testid="stException"]').count() == 0
    return _metric(pg, "GMV"), _metric(pg, "新增用户")


def _assert_only_own(pg, own, other) -> None:
    text = _sidebar(pg)
    assert own[0] in text, text
    assert other[0] not in text, text


def test_two_people_never_see_each_others_data(server, browser, tmp_path):
    ctx_a = new_context(browser)
    ctx_b = new_context(browser)
    a, b = ctx_a.new_page(), ctx_b.new_page()
    try:
        _open(a, server)
        _open(b, server)
        sample = _metric(a, "GMV")
        assert _metric(b, "GMV") == sample  # both start on the sample data

        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        _upload(a, tmp_path / "a", FILE_A)
        _upload(b, tmp_path / "b", FILE_B)
        _confirm(a)
        # A has loaded, B has not confirmed yet: B still sees the sample, not A's figures
        assert _overview(a) == A_FIGURES
        _assert_only_own(a, FILE_A, FILE_B)
        b_before = _overview(b)
        assert b_before[0] == sample and b_before != A_FIGURES
        assert FILE_A[0] not in _sidebar(b)

        _upload(b, tmp_path / "b", FILE_B)
        _confirm(b)
        assert _overview(b) == B_FIGURES
        _assert_only_own(b, FILE_B, FILE_A)

        # re-check A after B's upload, without reloading: unchanged, nothing of B's
        assert _overview(a) == A_FIGURES
        _assert_only_own(a, FILE_A, FILE_B)
        # and B once more after A navigated again
        assert _overview(b) == B_FIGURES
        _assert_only_own(b, FILE_B, FILE_A)
        for pg in (a, b):
            assert pg.locator('[data-testid="stException"]').count() == 0
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        a.screenshot(path=str(ARTIFACTS / "isolation_a.png"), full_page=True)
        b.screenshot(path=str(ARTIFACTS / "isolation_b.png"), full_page=True)
        raise
    finally:
        ctx_a.close()
        ctx_b.close()
