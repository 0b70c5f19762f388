"""Take full-page screenshots of every page (for a look by eye): python scripts/screenshots.py OUT_DIR [lang]"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(out: str, lang: str = "zh", pages: str = "overview,lifecycle,churn,forecast,data") -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.headless", "true"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            pg = b.new_page(viewport={"width": 1400, "height": 1000})
            for name in pages.split(","):
                path = "" if name == "overview" else name  # the default page lives at /
                pg.goto(f"http://127.0.0.1:{port}/{path}?lang={lang}")
                pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=180_000)
                pg.wait_for_timeout(8000)
                pg.screenshot(path=f"{out}/{name}_{lang}.png", full_page=True)
            b.close()
    finally:
        proc.terminate()


if __name__ == "__main__":
    main(*sys.argv[1:])
