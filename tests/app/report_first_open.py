"""Run alone in a fresh process (tests/app/test_report_prepared.py starts it): open the app on
the sample as a new tab does, then the Report screen at once, and print the Report screen's
run as JSON: wall seconds and the process's CPU seconds (every thread: the background
preparation the screen waits for, and the screen's own run), so a busy shared machine can be
told apart from a slow screen."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.app.conftest import open_app  # noqa: E402


def main() -> None:
    at = open_app("zh", timeout=600)  # the Overview: the data set opens, the report's preparation starts
    wall, cpu = time.perf_counter(), time.process_time()
    at.switch_page("views/report.py")
    at.run()
    out = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
           "exception": bool(at.exception), "headers": [h.value for h in at.header]}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
