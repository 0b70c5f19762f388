"""The hosted team workspace in a real browser.

- upload -> refresh (F5) -> still on the uploaded data set;
- a second signed-in browser opens the first one's link -> same GMV and the same settings,
  while a browser without the sign-in cookie gets only the sign-in form;
- ten wrong passwords -> refused with a wait (HTTP 429);
- a crafted ``fp`` link and a markdown file name -> shown as plain text, no link rendered;
- the server killed during an upload -> restarts with the list of data sets intact.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from opslab.workspace.store import Store
from tests.e2e.conftest import ARTIFACTS, Server, finished_runs, new_context, wait_for_new_run, wait_idle

pytestmark = pytest.mark.e2e

PASSWORD = "team-2026"
# GMV 1,280 + 35 = 1,315; users A001, A002
FILE_A = ("甲的订单.csv", ('用户ID,行为时间,订单金额\r\n'
                        'A001,2024/1/5 10:00,"￥1,280.00"\r\n'
                        'A002,2024年1月6日,\r\n'
                        'A001,2024-01-20 08:30,35\r\n').encode("gbk"))
EVIL = "[点我登录](https://evil.example/login) **粗体** <b>x</b>"
FILE_EVIL = (f"{EVIL}.csv", FILE_A[1])


@pytest.fixture
def open_server():
    server = Server("app.py", Path(tempfile.mkdtemp(prefix="opslab-e2e-ws-"))).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def guarded_server():
    server = Server("serve.py", Path(tempfile.mkdtemp(prefix="opslab-e2e-guard-")), PASSWORD).start()
    yield server
    server.stop()


def _metric(pg, label: str) -> str:
    card = pg.locator('[data-testid="stMetric"]').filter(has_text=label).first
    card.wait_for()
    return card.locator('[data-testid="stMetricValue"]').inner_text()


def _sidebar(pg) -> str:
    return pg.locator('[data-testid="stSidebar"]').inner_text()


def _upload_and_apply(pg, tmp_path, file) -> None:
    pg.get_by_role("link", name="数据导入", exact=True).click()
    wait_idle(pg)
    pg.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        {"name": file[0], "mimeType": "text/csv", "buffer": file[1]})  # any name, even with a slash
    wait_idle(pg)
    pg.get_by_text("字段对应").first.wait_for()
    pg.get_by_role("button", name="确认对应关系并加载").click()
    wait_idle(pg)
    pg.get_by_text("文件检查完成").first.wait_for()
    # Stored (written and fsynced) and the page rerun: the link now names the data set.
    pg.wait_for_function("() => /[?&]ds=[A-Za-z0-9_-]{32}/.test(location.search)", timeout=90_000)
    wait_idle(pg)


def _sign_in(pg, server, path="/?lang=zh", password=PASSWORD, name="li"):
    pg.goto(f"{server.url}{path}")
    pg.locator("#password").wait_for()
    pg.fill("#name", name)
    pg.fill("#password", password)
    pg.get_by_role("button", name="登录").click()


def _shot(pg, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_upload_then_refresh_stays_on_the_stored_data_set(open_server, browser, tmp_path):
    ctx = new_context(browser)
    pg = ctx.new_page()
    try:
        pg.goto(f"{open_server.url}/?lang=zh")
        wait_idle(pg)
        sample_gmv = _metric(pg, "GMV")
        _upload_and_apply(pg, tmp_path, FILE_A)
        assert re.search(r"[?&]ds=[A-Za-z0-9_-]{32}", pg.url), pg.url
        pg.reload()  # F5
        wait_idle(pg)
        pg.get_by_role("heading", name="数据导入").wait_for()
        assert FILE_A[0] in _sidebar(pg)
        pg.get_by_role("link", name="数据概览", exact=True).first.click()
        wait_idle(pg)
        assert _metric(pg, "GMV") == "¥1,315" != sample_gmv
        assert "同一台服务器" in _sidebar(pg)  # no sign-in: links work only on this server
        assert [m.name for m in Store(open_server.data_dir).list()] == [FILE_A[0]]
    except Exception:
        _shot(pg, "ws_refresh")
        raise
    finally:
        ctx.close()


def test_crafted_fp_link_and_markdown_file_name_show_as_plain_text(open_server, browser, tmp_path):
    ctx = new_context(browser)
    pg = ctx.new_page()
    try:
        pg.goto(f"{open_server.url}/?lang=zh&fp=%5BSign+in+again%5D(https%3A%2F%2Fevil.example%2Flogin)"
                "+!%5Bx%5D(https%3A%2F%2Fevil.example%2Fx.png)")
        wait_idle(pg)
        _metric(pg, "GMV")
        assert pg.locator('a[href*="evil.example"], img[src*="evil.example"]').count() == 0
        assert "Sign in again" not in pg.locator('[data-testid="stApp"]').inner_text()
        assert "fp=" not in pg.url
        _upload_and_apply(pg, tmp_path, FILE_EVIL)
        app_text = pg.locator('[data-testid="stApp"]').inner_text().replace("\u200b", "")
        assert EVIL in app_text  # brackets, asterisks and tags shown exactly as typed
        links = pg.locator('a[href*="evil.example"]')
        where = [links.nth(i).evaluate("e => { let p = e; while (p && !p.dataset.testid) p = p.parentElement;"
                                       " return (p ? p.dataset.testid : '?') + ' ' + e.closest('[data-testid]').outerHTML.slice(0, 300) }")
                 for i in range(links.count())]
        assert links.count() == 0, where
        assert pg.locator('[data-testid="stApp"] b', has_text="x").count() == 0
        assert EVIL in _sidebar(pg)
    except Exception:
        _shot(pg, "ws_plain_text")
        raise
    finally:
        ctx.close()


def test_signed_in_teammate_opens_the_link_with_same_data_and_settings(guarded_server, browser, tmp_path):
    lead, mate, stranger = new_context(browser), new_context(browser), new_context(browser)
    a, b, c = lead.new_page(), mate.new_page(), stranger.new_page()
    try:
        _sign_in(a, guarded_server, name="lead")
        wait_idle(a)
        a.get_by_role("heading", name="数据概览").wait_for()
        _upload_and_apply(a, tmp_path, FILE_A)
        a.get_by_role("link", name="数据概览", exact=True).first.click()
        wait_idle(a)
        assert _metric(a, "GMV") == "¥1,315"
        a.get_by_role("radio", name="周").or_(a.get_by_role("button", name="周")).first.click()  # weekly grain
        a.wait_for_url(re.compile(r"[?&]ov_grain=week"))  # the rerun writes the setting into the link
        wait_idle(a)
        gmv = _metric(a, "GMV")
        link = a.url
        assert re.search(r"[?&]ds=[A-Za-z0-9_-]{32}", link)

        c.goto(link)  # no cookie: only the sign-in form, nothing of the app or the data
        c.locator("#password").wait_for()
        assert "/signin" in c.url and "1,315" not in c.content()

        path = link[len(guarded_server.url):]
        _sign_in(b, guarded_server, path=path, name="mate")
        wait_idle(b)
        b.get_by_role("heading", name="数据概览").wait_for()
        assert "ov_grain=week" in b.url and "ds=" in b.url
        assert _metric(b, "GMV") == gmv
        assert _metric(b, "新增用户") == _metric(a, "新增用户")
        assert FILE_A[0] in _sidebar(b)
        pressed = b.locator('[data-testid="stButtonGroup"] [aria-checked="true"], '
                            '[data-testid="stButtonGroup"] [aria-pressed="true"]')
        expect(pressed.filter(has_text="周")).to_have_count(1)  # waits out a redraw of the widgets
        assert b.locator('[data-testid="stException"]').count() == 0
        with mate.expect_page() as opened:  # a link button opens a tab: /signout drops the cookie
            b.get_by_role("link", name="退出登录", exact=True).click()
        out = opened.value
        out.locator("#password").wait_for()
        # The old tab's session is signed out too (the cookie is revoked, not just deleted):
        # its next run shows the sign-in screen and nothing of the data.
        b.get_by_role("link", name="用户分层", exact=True).click()
        wait_idle(b)
        b.get_by_role("heading", name="登录 OpsLab").wait_for()
        assert b.locator('[data-testid="stMetric"]').count() == 0
        b.goto(link)
        b.locator("#password").wait_for()
        assert "/signin" in b.url
    except Exception:
        for pg, n in ((a, "ws_link_lead"), (b, "ws_link_mate"), (c, "ws_link_stranger")):
            _shot(pg, n)
        raise
    finally:
        for ctx in (lead, mate, stranger):
            ctx.close()


@pytest.fixture
def fresh_guarded_server():
    """Its own server: the lockouts this test provokes must not slow other tests down."""
    server = Server("serve.py", Path(tempfile.mkdtemp(prefix="opslab-e2e-guard-")), PASSWORD).start()
    yield server
    server.stop()


def test_ten_wrong_passwords_are_slowed_down(fresh_guarded_server, browser):
    guarded_server = fresh_guarded_server
    ctx = new_context(browser)
    pg = ctx.new_page()
    try:
        statuses = []
        pg.on("response", lambda r: statuses.append(r.status) if "/signin" in r.url and
              r.request.method == "POST" else None)
        for i in range(10):
            _sign_in(pg, guarded_server, password=f"guess-{i}")
            pg.locator("#password").wait_for()
        # Five free tries per address + account, then each failure locks the pair out for longer (1, 2, 4 ... s):
        # attempts inside a lockout are refused (429) before the password is even checked.
        assert statuses[:3] == [401, 401, 401] and 429 in statuses and len(statuses) == 10, statuses
        assert statuses.count(401) < 10  # some guesses were never even checked
        assert "密码错误次数过多" in pg.content()
        assert pg.locator('[data-testid="stApp"]').count() == 0  # still nothing of the app
    finally:
        ctx.close()


def test_server_killed_during_upload_restarts_with_the_list_intact(open_server, browser, tmp_path):
    ctx = new_context(browser)
    pg = ctx.new_page()
    try:
        pg.goto(f"{open_server.url}/?lang=zh")
        wait_idle(pg)
        _upload_and_apply(pg, tmp_path, FILE_A)
        before = [(m.id, m.name, m.n_rows) for m in Store(open_server.data_dir).list()]
        assert len(before) == 1
        # A second, larger upload; the server dies while it is being checked and stored.
        rows = "".join(f"B{i:05d},2024-02-{1 + i % 28:02d} 10:00,{i % 97}\r\n" for i in range(60_000))
        big = ("乙的大文件.csv", ("用户ID,行为时间,订单金额\r\n" + rows).encode("gbk"))
        pg.get_by_role("link", name="数据导入", exact=True).click()
        wait_idle(pg)
        path = tmp_path / big[0]
        path.write_bytes(big[1])
        runs = finished_runs(pg)
        pg.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
        wait_for_new_run(pg, runs, 120_000)  # the file is read and its mapping shown
        runs = finished_runs(pg)
        pg.get_by_role("button", name="确认对应关系并加载").click()
        sets = open_server.data_dir / "sets"
        deadline = time.monotonic() + 120
        while True:  # until storing has begun: the set is written under .incoming-…, then renamed
            names = [p.name for p in sets.iterdir()]
            if any(n.startswith(".incoming-") for n in names):
                break
            assert len([n for n in names if not n.startswith(".")]) == len(before), \
                "the second data set was stored before the test saw it being written"
            assert time.monotonic() < deadline, ("the second data set was never being stored",
                                                 finished_runs(pg) - runs)
            time.sleep(0.002)
        open_server.kill()  # mid-write: the new set is half on disk
        open_server.start()  # same data directory
        after = [(m.id, m.name, m.n_rows) for m in Store(open_server.data_dir).list()]
        assert after == before  # the half-written set is not listed; the old one is intact
        leftovers = [p.name for p in (open_server.data_dir / "sets").iterdir() if p.name.startswith(".")]
        assert leftovers == []
        pg.goto(f"{open_server.url}/data?lang=zh")
        wait_idle(pg)
        table = pg.locator('[data-testid="stDataFrame"]').first
        table.wait_for()
        assert pg.locator('[data-testid="stException"]').count() == 0
    except Exception:
        _shot(pg, "ws_kill")
        raise
    finally:
        ctx.close()


def test_english_export_with_excel_illegal_characters_downloads_and_opens(open_server, browser):
    import csv
    import io

    from openpyxl import load_workbook
    ctx = new_context(browser)  # a Chinese browser, an English session: the export must be English
    pg = ctx.new_page()
    ids = ["u\x0cff", "u\uffffmax", "plain"]
    rows = ["user_id,event_time,event_name"]
    for uid in ids:
        rows += [f"{uid},2024-03-01 10:00,visit", f"{uid},2024-03-05 11:00,view"]
    rows.append("other,2024-03-10 09:00,visit")
    data = ("\n".join(rows) + "\n").encode("utf-8")
    try:
        pg.goto(f"{open_server.url}/?lang=en")
        wait_idle(pg)
        pg.get_by_role("link", name="Data", exact=True).click()
        wait_idle(pg)
        pg.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            {"name": "events.csv", "mimeType": "text/csv", "buffer": data})
        wait_idle(pg)
        pg.get_by_role("button", name="Confirm mapping and load").click()
        wait_idle(pg)
        pg.get_by_text("Files checked").first.wait_for()
        pg.get_by_role("link", name="Lifecycle", exact=True).click()
        wait_idle(pg)
        pg.get_by_role("heading", name="User lifecycle").wait_for(timeout=120_000)  # first visit computes tiers
        with pg.expect_download() as info:
            pg.get_by_role("button", name="Download Excel").click()
        ws = load_workbook(io.BytesIO(open(info.value.path(), "rb").read())).active
        values = [[c.value for c in row] for row in ws.iter_rows()]
        header = values[0]
        assert not any("\u4e00" <= ch <= "\u9fff" for cell in header for ch in str(cell)), header  # English
        got = sorted(r[0] for r in values[1:])
        assert got == sorted(["u\ufffdff", "u\ufffdmax", "plain"])
        with pg.expect_download() as info:
            pg.get_by_role("button", name="Download CSV").click()
        text = open(info.value.path(), "rb").read().decode("utf-8-sig")
        body = list(csv.reader(io.StringIO(text, newline="")))
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in "".join(body[0]))
        assert sorted(r[0] for r in body[1:]) == sorted(ids)  # CSV keeps every character
        log = (open_server.data_dir / "audit.log").read_text()
        assert log.count('"event": "download"') == 2
    except Exception:
        _shot(pg, "ws_export")
        raise
    finally:
        ctx.close()


def test_link_settings_survive_an_upload_in_the_browser(open_server, browser, tmp_path):
    ctx = new_context(browser)
    pg = ctx.new_page()
    try:
        pg.goto(f"{open_server.url}/?lang=zh&ov_grain=week")  # a link made on another server's data
        wait_idle(pg)
        _metric(pg, "GMV")
        _upload_and_apply(pg, tmp_path, FILE_A)  # the teammate uploads the same file here
        pg.get_by_role("link", name="数据概览", exact=True).first.click()
        wait_idle(pg)
        _metric(pg, "GMV")
        assert "ov_grain=week" in pg.url, pg.url  # the link's weekly grain was not reset
    except Exception:
        _shot(pg, "ws_link_settings")
        raise
    finally:
        ctx.close()
