"""Forecast page timing on the sample data (issue #11: first visit within 3 s), each
measurement in a fresh process, next to the same page at a reference commit in the same run.

Cases (seconds of ``AppTest.run``, Streamlit's own script runner, no browser):

- ``after_app``: the app opens (router + Overview + sample load), then the user opens the
  Forecast page: that page's first run (what the issue measures);
- ``deep_link``: a fresh server process opened directly on the Forecast page (imports,
  sample load and the page in one run);
- ``horizon_change``: a warm rerun after changing the horizon (a new forecast is fitted).

Usage: python -m bench.forecast_page [--ref DIR --ref-label TEXT]   (DIR: an exported tree,
e.g. ``git archive <commit> | tar -x -C DIR``)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

KEYS = ("app_open", "after_app", "deep_link", "horizon_change")
SCRIPT = r"""
import json, sys, time
root, mode = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(root + "/app.py", default_timeout=600)
at.session_state["lang"] = "zh"
out = {}

def timed(name):  # wall seconds, and CPU seconds of this process (all threads)
    w, c = time.perf_counter(), time.process_time()
    at.run()
    out[name], out[name + "_cpu"] = time.perf_counter() - w, time.process_time() - c

if mode == "deep_link":
    at.switch_page("views/forecast.py")
    timed("deep_link")
else:
    timed("app_open")
    time.sleep(float(sys.argv[3]))  # the user reads the Overview for a moment
    at.switch_page("views/forecast.py")
    timed("after_app")
    at.selectbox(key="fc_horizon").set_value(182)
    timed("horizon_change")
out["exception"] = bool(at.exception)
print(json.dumps(out))
"""


def measure(root: Path, mode: str, pause: float = 0.0) -> dict:
    env = dict(os.environ, PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(root), mode, str(pause)], cwd=root,
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(ref: Path | None = None, repeats: int = 3, pause: float = 3.0,
        ref_label: str = "reference") -> list[str]:
    trees = [("this branch", ROOT)] + ([(ref_label, ref)] if ref else [])
    rows = {}
    for name, root in trees:
        runs = [measure(root, "after_app", pause) | measure(root, "deep_link") for _ in range(repeats)]
        rows[name] = {k: sorted(r[k] for r in runs)[len(runs) // 2]
                      for k in KEYS + tuple(k + "_cpu" for k in KEYS)}
        rows[name]["exception"] = any(r["exception"] for r in runs)
    load = os.getloadavg()[0]
    lines = [
        "## Forecast page on the sample (AppTest, medians of "
        f"{repeats} fresh processes; load average {load:.1f} on {os.cpu_count()} cores)",
        "",
        "First visit = the page's first run after the app opened on Overview and the user waited "
        f"{pause:.0f} s; deep link = a fresh process opened on the page (imports + sample + page).",
        "Each cell: wall seconds / CPU seconds of the process (on a machine this oversubscribed",
        "the CPU seconds are the closer estimate of the wall time on an idle core).",
        "",
        "| tree | app open s | forecast first visit s | deep link s | horizon change s | exception |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, r in rows.items():
        cells = " | ".join(f"{r[k]:.2f} / {r[k + '_cpu']:.2f}" for k in KEYS)
        lines.append(f"| {name} | {cells} | {r['exception']} |")
    if ref:
        a, b = rows[ref_label], rows["this branch"]
        lines += ["", f"Reference ÷ this branch: first visit {a['after_app'] / b['after_app']:.2f}×, "
                      f"deep link {a['deep_link'] / b['deep_link']:.2f}×, "
                      f"horizon change {a['horizon_change'] / b['horizon_change']:.2f}×."]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", type=Path, default=None)
    ap.add_argument("--ref-label", default="reference")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from bench.run import write_section
    lines = run(args.ref, args.repeats, ref_label=args.ref_label)
    print("\n".join(lines))
    write_section("forecast_page", lines)


if __name__ == "__main__":
    main()
