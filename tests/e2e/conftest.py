"""Browser tests: a real `streamlit run` on a free loopback port, driven by Playwright in
Debian's chromium. With CI=true a missing browser is a failure, never a skip."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from opslab.workspace.passwords import hash_password

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run`` of app.py or serve.py with its own data directory; restartable. The one
    way every browser test starts the app."""

    def __init__(self, script: str, data_dir: Path, password: str | None = None):
        self.script, self.data_dir = script, data_dir
        self.env = {**os.environ, "OPSLAB_DATA_DIR": str(data_dir)}
        self.env.pop("OPSLAB_PASSWORD_HASH", None)
        if password:
            self.env["OPSLAB_PASSWORD_HASH"] = hash_password(password, iterations=1000)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self) -> "Server":
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        log = open(ARTIFACTS / f"server-{self.port}.log", "a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / self.script), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        pytest.fail("streamlit did not become healthy within 90 s")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()



@pytest.fixture(scope="session")
def server():
    """The app on the sample data, with a data directory of its own, for the whole session."""
    srv = Server("app.py", Path(tempfile.mkdtemp(prefix="opslab-e2e-"))).start()
    yield srv.url
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


#: Counts the app's finished script runs and notes when the run state last changed, so tests
#: wait for a condition ("a new run finished", "no run for a while") instead of sleeping.
RUN_WATCH = """
(() => {
  window.__opslabRuns = 0;
  window.__opslabLastChange = performance.now();
  let last = null;
  const seen = (now) => {
    if (now && now !== last) {
      window.__opslabLastChange = performance.now();
      if (now === 'notRunning' && last !== null) window.__opslabRuns += 1;
      last = now;
    }
  };
  // Watches the whole document from its start, so no run can finish before the watch begins.
  // Each record's oldValue is the state before that change: a short run that started and
  // finished between two callbacks (a light page) is counted too.
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes' && r.attributeName === 'data-test-script-state') seen(r.oldValue);
    }
    const app = document.querySelector('[data-testid="stApp"]');
    seen(app && app.getAttribute('data-test-script-state'));
  }).observe(document, {subtree: true, childList: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
})();
"""


def new_context(browser, height: int = 1000):
    """A fresh browser (own cookies and storage) on a Chinese desktop: the one way every
    browser test opens pages. ``height`` is the viewport's, for full-screen shots."""
    context = browser.new_context(viewport={"width": 1400, "height": height}, locale="zh-CN")
    context.add_init_script(RUN_WATCH)
    return context


@pytest.fixture
def page(browser, request):
    context = new_context(browser)
    pg = context.new_page()
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def wait_idle(pg, timeout: int = 60_000, quiet_ms: int = 300) -> None:
    """Wait until the script has finished its run and no new run has started for ``quiet_ms``
    (a click's rerun reaches the server a moment after the click). A page just opened has
    finished at least its first run (on a loaded machine the first run can start seconds
    after the page)."""
    pg.wait_for_function(
        """(quiet) => {
             const app = document.querySelector('[data-testid="stApp"]');
             return app && app.getAttribute('data-test-script-state') === 'notRunning'
                    && (window.__opslabRuns || 0) >= 1
                    && performance.now() - (window.__opslabLastChange || 0) >= quiet;
           }""", arg=quiet_ms, timeout=timeout, polling=50)


def finished_runs(pg) -> int:
    """How many script runs the page has seen finish (see RUN_WATCH)."""
    return pg.evaluate("window.__opslabRuns || 0")


def wait_for_new_run(pg, before: int, timeout: int = 60_000) -> None:
    """Wait until a script run that started after ``finished_runs`` returned ``before`` is over."""
    pg.wait_for_function("(n) => (window.__opslabRuns || 0) > n", arg=before, timeout=timeout, polling=50)
    wait_idle(pg, timeout)
