"""Benchmark of the Report screen on the sample: the cold build of the default quarter's
report (forecasts with their backtests: what the background preparation does when a data set
opens), the screen's work once it is prepared (the layout), and the downloads (.docx, HTML:
charts rendered once, then shared). Wall and CPU seconds.

Usage: python -m bench.report_screen   (appends a section to RESULTS.md)
"""

from __future__ import annotations

import os
import time
from datetime import date

from bench.run import RESULTS
from opslab.dataset.load import load_sample
from opslab.report import quarterly_report


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ds = load_sample()
    rep, b_w, b_c = _timed(lambda: quarterly_report(ds, "2026Q3"))
    _, d_w, d_c = _timed(rep.document)
    docx, x_w, x_c = _timed(rep.to_docx)
    html, h_w, h_c = _timed(rep.to_html)
    rep.file("docx")
    docx2, x2_w, _ = _timed(lambda: rep.file("docx"))
    load = os.getloadavg()[0]
    section = f"""<!-- section: report_screen -->
_Measured {date.today().isoformat()} on {os.cpu_count()} cores (shared with other work; load average {load:.1f})_

## The Report screen on the sample (quarter 2026Q3, default forecast settings)

The build runs in the background when a data set opens (`ui/report_prep.py`); the screen then
only lays the report out. `tests/app/test_report_prepared.py` times the screen's whole run in
AppTest once prepared (1.0 s measured on the shared machine, load average 13).

| step | wall s | CPU s |
|---|---:|---:|
| build (background, once per data set and settings) | {b_w:.2f} | {b_c:.2f} |
| layout: every block of the screen | {d_w:.2f} | {d_c:.2f} |
| .docx, first ({len(docx) / 1024:.0f} KiB; renders the charts) | {x_w:.2f} | {x_c:.2f} |
| .html ({len(html) / 1024:.0f} KiB; charts shared) | {h_w:.2f} | {h_c:.2f} |
| the screen's download once prepared (`rep.file("docx")`, {len(docx2) / 1024:.0f} KiB) | {x2_w:.2f} | |
<!-- end -->
"""
    text = RESULTS.read_text(encoding="utf-8")
    start = text.find("<!-- section: report_screen -->")
    if start >= 0:
        end = text.index("<!-- end -->", start) + len("<!-- end -->\n")
        text = text[:start] + section + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")
    print(section)


if __name__ == "__main__":
    main()
