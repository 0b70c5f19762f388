"""The business-scale sample (opslab.synth.business, 200,000 users): how long a server process
waits for it, each step in a fresh process, wall and CPU seconds (CPU time is what a shared
machine's load does not inflate), with the load average at the time.

Steps: ``generate`` (synth + Parquet + GBK CSV, once per data dir), ``first`` (the upload's
import, its validated tables kept under ``imported/``), ``reopen`` (a later process: the kept
tables read back into a Dataset), and with ``--ref DIR`` the old import (``load_files`` on the
same files) in an exported tree of an earlier commit, in the same run.

Usage: python -m bench.business_sample [--data DIR] [--ref DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = r"""
import json, os, sys, time
step, data = sys.argv[1], sys.argv[2]
from opslab.synth import business as sb
t, c = time.time(), time.process_time()
if step == "generate":
    sb.business_files(data)
elif step == "old_import":
    from opslab.dataset.load import load_files
    ds = load_files(sb.business_files(data))[0]
else:
    ds, _ = sb.business_dataset(data)
out = {"step": step, "wall": time.time() - t, "cpu": time.process_time() - c, "load": os.getloadavg()[0]}
print(json.dumps(out))
"""


def _run(root: Path, step: str, data: str) -> dict:
    res = subprocess.run([sys.executable, "-c", SCRIPT, step, data], cwd=root, capture_output=True, text=True,
                         env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def run(data: str | None = None, ref: Path | None = None) -> list[str]:
    data = data or tempfile.mkdtemp(prefix="opslab-bench-")
    rows = [_run(ROOT, "generate", data)]
    if ref is not None:
        rows.append(_run(ref, "old_import", data))
    kept = next(Path(data).glob("samples/business_v*/imported"), None)
    if kept is not None:
        shutil.rmtree(kept)
    rows += [_run(ROOT, "first", data), _run(ROOT, "reopen", data), _run(ROOT, "reopen", data)]
    lines = ["| step | wall s | CPU s | load avg |", "|---|---|---|---|"]
    lines += [f"| {r['step']} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['load']:.1f} |" for r in rows]
    return lines


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--data")
    p.add_argument("--ref")
    a = p.parse_args()
    print("\n".join(run(a.data, Path(a.ref) if a.ref else None)))
