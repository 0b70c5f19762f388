"""Load benchmark: N people use one OpsLab server at once (see bench/LOAD.md for the method).

Starts one ``streamlit run app.py`` on a free loopback port, opens ``--sessions`` browser
sessions (one Debian chromium, one context per person) that load the app (the sample data loads
automatically) and click through every page in the sidebar, timing each page from the click
until the script has finished (``data-test-script-state="notRunning"``) and the page's h1 is
visible. Samples the server's memory (process + children) every 0.2 s, checks that
``/_stcore/health`` still answers at the end, and writes a section into bench/RESULTS.md.

Bounded: loopback only, one pass per session, a hard ``--budget`` (default 160 s) after which
unfinished sessions are cancelled and counted as errors; the server is always stopped.

Usage: python -m bench.load --sessions 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
# (sidebar link key, url path, h1 key); pages whose link is missing are skipped
PAGES = [("app.nav.lifecycle", "lifecycle", "lifecycle.title"),
         ("app.nav.churn", "churn", "churn.title"),
         ("app.nav.forecast", "forecast", "forecastpage.title"),
         ("app.nav.data", "data", "data.title"),
         ("app.nav.overview", "", "overview.title")]  # the default page lives at "/"
DONE_JS = """([path, title]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (path && !location.pathname.replace(/\\/$/, '').endsWith('/' + path)) return false;
  return [...document.querySelectorAll('h1')].some(h => h.offsetParent !== null && h.innerText.includes(title));
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str, timeout: float = 5) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def start_server(root: Path = ROOT, watch: bool = True) -> tuple[subprocess.Popen, str]:
    """``streamlit run`` on a free loopback port, once healthy. ``watch=False`` turns the file
    watcher off: a reload in the middle of a run (Streamlit drops changed modules from
    ``sys.modules`` while other sessions' threads import them) shows up as KeyErrors that no
    user would see."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(root / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         *([] if watch else ["--server.fileWatcherType", "none"])],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        if _healthy(url, 2):
            return proc, url
        time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("streamlit did not become healthy within 90 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class MemorySampler(threading.Thread):
    """Peak RSS of a process and its children, sampled every ``interval`` seconds; also the CPU
    seconds used by that tree (the server) and by this process's other descendants (the
    browser), to tell which side the time goes to."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = self.first = 0
        self.cpu: dict[str, dict[int, float]] = {"server": {}, "browser": {}}
        self._halt = threading.Event()

    @staticmethod
    def _cpu(p: psutil.Process) -> float:
        t = p.cpu_times()
        return t.user + t.system

    def run(self) -> None:
        try:
            proc, me = psutil.Process(self.pid), psutil.Process()
        except psutil.Error:
            return
        while not self._halt.is_set():
            total = 0
            try:
                tree = [proc, *proc.children(recursive=True)]
            except psutil.Error:
                return
            for p in tree:
                try:
                    total += p.memory_info().rss
                    self.cpu["server"][p.pid] = self._cpu(p)
                except psutil.Error:
                    pass
            server = {p.pid for p in tree}
            for p in me.children(recursive=True):
                if p.pid not in server:
                    try:
                        self.cpu["browser"][p.pid] = self._cpu(p)
                    except psutil.Error:
                        pass
            self.first = self.first or total
            self.peak = max(self.peak, total)
            self._halt.wait(self.interval)

    def cpu_seconds(self, side: str) -> float:
        return sum(self.cpu[side].values())

    def stop(self) -> None:
        self._halt.set()
        self.join(2)


async def _session(browser, url: str, idx: int, stagger: float, timings: dict, errors: list) -> None:
    from opslab.core.i18n import t

    await asyncio.sleep(idx * stagger)
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = await ctx.new_page()
    current = "open"
    try:
        t0 = time.perf_counter()
        await page.goto(f"{url}/?lang=zh", timeout=90_000)
        await page.wait_for_function(DONE_JS, arg=["", t("overview.title", "zh")], timeout=90_000)
        timings.setdefault("open (sample load)", []).append(time.perf_counter() - t0)
        for nav, path, title in PAGES:
            current = path
            link = page.get_by_role("link", name=t(nav, "zh"), exact=True)
            if await link.count() == 0:
                continue
            t0 = time.perf_counter()
            await link.first.click()
            await page.wait_for_function(DONE_JS, arg=[path, t(title, "zh")], timeout=90_000)
            timings.setdefault(path or "overview", []).append(time.perf_counter() - t0)
            if await page.locator('[data-testid="stException"]').count():
                errors.append(f"session {idx}: exception shown on {path}")
    except asyncio.CancelledError:
        errors.append(f"session {idx}: cut off by the time budget on {current}")
        raise
    except Exception as exc:  # noqa: BLE001 - a benchmark records failures, it does not stop
        errors.append(f"session {idx}: {type(exc).__name__} on {current}: {str(exc).splitlines()[0][:120]}")
    finally:
        await ctx.close()


async def drive(url: str, sessions: int, stagger: float, budget: float) -> tuple[dict, list, float]:
    from playwright.async_api import async_playwright

    timings: dict[str, list[float]] = {}
    errors: list[str] = []
    t0 = time.perf_counter()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            tasks = [asyncio.create_task(_session(browser, url, i, stagger, timings, errors))
                     for i in range(sessions)]
            _, pending = await asyncio.wait(tasks, timeout=budget)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        finally:
            await browser.close()
    return timings, errors, time.perf_counter() - t0


def _q(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summarise(timings: dict, errors: list, wall: float, sessions: int, peak: int, first: int,
              healthy: bool, cpu: tuple[float, float] = (float("nan"), float("nan"))) -> list[str]:
    pages = [p for p in ["open (sample load)"] + [p or "overview" for _, p, _ in PAGES] if p in timings]
    all_clicks = [v for p in pages if p != "open (sample load)" for v in timings[p]]
    lines = [
        f"## Load: {sessions} concurrent browser sessions on one server",
        "",
        "Method in bench/LOAD.md. One `streamlit run app.py` on loopback, one headless chromium, "
        f"{sessions} contexts started 0.2 s apart; each opens the app (sample data) and clicks "
        "through every sidebar page once. Seconds from click until the run finished and the h1 showed.",
        "",
        "| page | runs | p50 s | p95 s | max s |",
        "|---|---:|---:|---:|---:|",
    ]
    for p in pages:
        v = timings[p]
        lines.append(f"| {p} | {len(v)} | {_q(v, 50):.2f} | {_q(v, 95):.2f} | {max(v):.2f} |")
    if all_clicks:
        lines.append(f"| **all page clicks** | {len(all_clicks)} | {_q(all_clicks, 50):.2f} | "
                     f"{_q(all_clicks, 95):.2f} | {max(all_clicks):.2f} |")
    lines += [
        "",
        f"Wall time {wall:.0f} s; errors {len(errors)}; server memory (process + children) "
        f"{first / 2**20:.0f} MiB at start, peak {peak / 2**20:.0f} MiB "
        f"(~{(peak - first) / 2**20 / max(sessions, 1):.0f} MiB per session); CPU seconds used: "
        f"server {cpu[0]:.0f}, browser {cpu[1]:.0f} (2 cores = {2 * wall:.0f} available); "
        f"`/_stcore/health` afterwards: {'200 OK' if healthy else 'NOT answering'}.",
    ]
    lines += [f"- {e}" for e in errors[:10]]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--stagger", type=float, default=0.2, help="seconds between session starts")
    ap.add_argument("--budget", type=float, default=160, help="hard limit for the sessions, seconds")
    ap.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    args = ap.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    proc, url = start_server()
    sampler = MemorySampler(proc.pid)
    sampler.start()
    try:
        time.sleep(0.5)
        timings, errors, wall = asyncio.run(drive(url, args.sessions, args.stagger, args.budget))
        healthy = _healthy(url)
    finally:
        sampler.stop()
        stop_server(proc)
    cpu = (sampler.cpu_seconds("server"), sampler.cpu_seconds("browser"))
    lines = summarise(timings, errors, wall, args.sessions, sampler.peak, sampler.first, healthy, cpu)
    print("\n".join(lines))
    if not args.no_write:
        from bench.run import write_section

        write_section("load", lines)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
