"""Protocol-level load benchmark: N sessions on one OpsLab server, no browser (see bench/LOAD.md).

bench/load.py drives real chromium pages; on a 2-core box chromium takes most of the CPU, so its
figures mostly measure the browser. This client speaks Streamlit's own websocket protocol
(protobuf ``BackMsg`` up, ``ForwardMsg`` down) and renders nothing, so the times are the server's:
from sending ``rerun_script`` until the run's ``script_finished``.

Per session: connect to ``/_stcore/stream``, run the default page with ``?lang=zh`` (the app
loads the sample data into the new session), then switch through every page of the app's
``st.navigation`` (taken from the ``navigation`` message) twice: a first pass (each page's first
run in that session) and a second, warm pass (per-session models already fitted). Exceptions
(``exception`` elements in deltas) are counted by page. The server's RSS (process + children) is
sampled every 0.2 s; ``/_stcore/health`` must answer 200 at the end. Bounded: loopback only, a
hard ``--budget`` after which unfinished sessions are cancelled and counted; the server is
always stopped.

Usage: python -m bench.load_ws --sessions 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.load import ROOT, MemorySampler, _healthy, start_server, stop_server

OPEN = "open (sample load)"
DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}
RUN_TIMEOUT = 120.0  # one run longer than this is an error


@dataclass
class RunResult:
    """What one script run sent back: its seconds, element types, metric labels, problems."""

    seconds: float
    elements: dict[str, int] = field(default_factory=dict)
    metric_labels: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    warnings: int = 0
    bytes: int = 0


def _origin(stack_trace) -> str:
    """The innermost frame of the project's own code in a traceback, e.g. `opslab/x.py:12`."""
    frames = [ln.strip() for ln in "\n".join(stack_trace).splitlines() if ln.strip().startswith('File "')]
    own = [f for f in frames if "site-packages" not in f and "/lib/python3" not in f] or frames or ["?"]
    return re.sub(r'^File ".*?/(?=((opslab|ui|views)/|app\.py))', "", own[-1]).replace('", line ', ":").split(",")[0]


class StreamlitClient:
    """A minimal Streamlit websocket client: what the browser's frontend does, minus rendering.

    Handshake (streamlit 1.67, starlette server): open ``ws://host/_stcore/stream`` with
    subprotocol ``streamlit`` (the ``Sec-WebSocket-Protocol`` list also carries the XSRF token
    and a session id to resume, both optional: XSRF only guards the auth cookie, and with no
    ``Origin`` header the origin check passes). The server creates a session on connect and
    waits; the client starts the first run with a ``BackMsg.rerun_script`` ``ClientState``.
    """

    def __init__(self, url: str, query_string: str = "lang=zh", locale: str = "zh-CN",
                 timezone: str = "Asia/Shanghai", tz_offset: int = -480):
        self.ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.page_url = url
        self.query_string = query_string
        self.locale, self.timezone, self.tz_offset = locale, timezone, tz_offset
        self.pages: list[tuple[str, str, bool]] = []  # (label, page_script_hash, is_default)
        self.default_hash = ""
        self.ws = None

    async def connect(self) -> None:
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                           ping_interval=None, open_timeout=60, close_timeout=5)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    def _back_msg(self, page_script_hash: str) -> bytes:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = page_script_hash
        cs.widget_states.SetInParent()  # a fresh visit: no widget values, defaults apply
        ci = cs.context_info
        ci.locale, ci.timezone, ci.timezone_offset = self.locale, self.timezone, self.tz_offset
        ci.url = f"{self.page_url}/?{self.query_string}"
        ci.is_embedded, ci.color_scheme = False, "light"
        return msg.SerializeToString()

    async def run(self, page_script_hash: str = "") -> RunResult:
        """Request a run of one page and read messages until the run chain finishes."""
        t0 = time.perf_counter()
        await self.ws.send(self._back_msg(page_script_hash))
        res = RunResult(0.0)
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), RUN_TIMEOUT)
            res.bytes += len(raw)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                etype = el.WhichOneof("type") or "?"
                res.elements[etype] = res.elements.get(etype, 0) + 1
                if etype == "metric":
                    res.metric_labels.append(el.metric.label)
                elif etype == "exception":
                    if el.exception.is_warning:
                        res.warnings += 1
                    else:
                        res.exceptions.append(f"{el.exception.type}: {el.exception.message[:100]} "
                                              f"(at {_origin(el.exception.stack_trace)})")
            elif kind == "navigation":
                self.pages = [(f"{p.url_pathname or '/'} {p.page_name}", p.page_script_hash, p.is_default)
                              for p in fm.navigation.app_pages]
                self.default_hash = self.default_hash or fm.navigation.page_script_hash
            elif kind == "new_session" and page_script_hash and fm.new_session.page_script_hash != page_script_hash:
                res.exceptions.append(f"ran page {fm.new_session.page_script_hash[:8]} instead of {page_script_hash[:8]}")
            elif kind == "page_info_changed":  # the app rewrote the URL; a browser keeps it
                self.query_string = fm.page_info_changed.query_string
            elif kind == "page_not_found":
                res.exceptions.append(f"page_not_found {fm.page_not_found.page_name!r}")
            elif kind == "session_event" and fm.session_event.HasField("script_compilation_exception"):
                res.exceptions.append("script_compilation_exception")
            elif kind == "script_finished" and fm.script_finished in DONE:
                res.seconds = time.perf_counter() - t0
                return res


@dataclass
class Tally:
    """Results shared by all sessions (one event loop, so no locking)."""

    timings: dict[tuple[int, str], list[float]] = field(default_factory=dict)  # (pass, page)
    errors: dict[str, int] = field(default_factory=dict)  # page -> exception count
    notes: list[str] = field(default_factory=list)
    problems: dict[str, int] = field(default_factory=dict)  # "page (pass): exception" -> count
    check: dict = field(default_factory=dict)
    finished: int = 0

    def add(self, pas: int, page: str, res: RunResult) -> None:
        self.timings.setdefault((pas, page), []).append(res.seconds)
        if res.exceptions:
            self.errors[page] = self.errors.get(page, 0) + len(res.exceptions)
            for e in res.exceptions:
                key = f"{page} (pass {pas}): {e}"
                self.problems[key] = self.problems.get(key, 0) + 1


async def session(url: str, idx: int, stagger: float, passes: int, tally: Tally, query: str = "lang=zh") -> None:
    await asyncio.sleep(idx * stagger)
    client = StreamlitClient(url, query_string=query)
    where = "connect"
    try:
        await client.connect()
        where = OPEN
        res = await client.run("")
        tally.add(0, OPEN, res)
        if idx == 0:
            tally.check["open_metrics"] = res.metric_labels
            tally.check["open_elements"] = sum(res.elements.values())
            tally.check["pages"] = [p for p, _, _ in client.pages]
        if not client.pages:
            raise RuntimeError("no navigation message: page list unknown")
        for pas in range(1, passes + 1):
            for page, page_hash, is_default in client.pages:
                where = f"{page} (pass {pas})"
                res = await client.run(page_hash)
                tally.add(pas, page, res)
                if idx == 0:
                    tally.check.setdefault("elements", {})[(pas, page)] = sum(res.elements.values())
                    if is_default:
                        tally.check.setdefault("overview_metrics", {})[pas] = res.metric_labels
        tally.finished += 1
    except asyncio.CancelledError:
        tally.notes.append(f"session {idx}: cut off by the time budget at {where}")
        tally.errors["(cut off)"] = tally.errors.get("(cut off)", 0) + 1
        raise
    except Exception as exc:  # noqa: BLE001 - a benchmark records failures, it does not stop
        tally.notes.append(f"session {idx}: {type(exc).__name__} at {where}: {str(exc)[:120]}")
        tally.errors["(failed)"] = tally.errors.get("(failed)", 0) + 1
    finally:
        await client.close()


async def drive(url, sessions: int, stagger: float, passes: int, budget: float,
                query: str = "lang=zh") -> tuple[Tally, float]:
    """``url`` may be a list of servers: session i goes to server i mod n, as a sticky proxy
    pins each browser to one process."""
    urls = url if isinstance(url, list) else [url]
    tally = Tally()
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(session(urls[i % len(urls)], i, stagger, passes, tally, query))
             for i in range(sessions)]
    _, pending = await asyncio.wait(tasks, timeout=budget)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return tally, time.perf_counter() - t0


APP_PARTS = ["app.py", "opslab", "ui", "views", "sample_data", ".streamlit"]


def snapshot() -> Path:
    """Copy the app (code, sample data, .streamlit) to a temporary folder, so edits to the tree
    during a run cannot mix two versions of the code in one server."""
    dest = Path(tempfile.mkdtemp(prefix="opslab-load-ws-"))
    for part in APP_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / part)
    return dest


def stored_sample(data_dir: Path) -> str:
    """Store the sample data set in ``data_dir`` as an upload would be stored; its id."""
    from opslab.dataset import load as loader
    from opslab.workspace.store import Store

    ds, files, _ = loader.load_files(loader.sample_bytes())
    usable = [f for f in files if f.usable]
    tables: dict = {}
    for f in usable:
        tables.setdefault(f.table, []).append(f.result.clean)
    import pandas as pd
    tables = {t: pd.concat(p, ignore_index=True) for t, p in tables.items()}
    m = Store(data_dir).save(tables, name="sample (stored)", uploader="bench", start=ds.start, end=ds.end,
                             content_key=loader.files_key(usable, ds.currency))  # the app's key
    return m.id


def _q(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _cell(values: list[float]) -> str:
    if not values:
        return "– | – | –"
    return f"{_q(values, 50):.2f} | {_q(values, 95):.2f} | {max(values):.2f}"


def gmv_check(tally: Tally) -> bool:
    """Session 0's default page (the overview) sent a KPI metric labelled GMV on open and in
    every pass, so the page truly ran on data."""
    overview = tally.check.get("overview_metrics", {})
    return "GMV" in tally.check.get("open_metrics", []) and bool(overview) and all(
        "GMV" in labels for labels in overview.values())


def summarise(tally: Tally, wall: float, sessions: int, stagger: float, passes: int, peak: int,
              first: int, cpu: float, healthy: bool, client_cpu: float = float("nan")) -> list[str]:
    pages = list(dict.fromkeys(p for (pas, p) in tally.timings if pas > 0))
    gmv = gmv_check(tally)
    elements = ", ".join(f"{p.split()[0]} {n}" for (pas, p), n in tally.check.get("elements", {}).items()
                         if pas == 1)
    lines = [
        f"## Load (protocol client): {sessions} concurrent sessions on one server, no browser",
        "",
        ("Method in bench/LOAD.md (bench/load_ws.py). One `streamlit run app.py` on loopback; "
        f"{sessions} websocket clients started {stagger} s apart, each opens `?lang=zh` (sample data "
        f"loads) then runs every page of the navigation {passes}× (pass 1 = first visit, pass 2 = "
        "warm). Seconds from sending `rerun_script` to the run's `script_finished`."),
        "",
        "| page | runs | pass 1 p50 | p95 | max | pass 2 p50 | p95 | max | exceptions |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    opened = tally.timings.get((0, OPEN), [])
    lines.append(f"| {OPEN} | {len(opened)} | {_cell(opened)} | | | | {tally.errors.get(OPEN, 0)} |")
    for p in pages:
        v1, v2 = tally.timings.get((1, p), []), tally.timings.get((2, p), [])
        lines.append(f"| {p} | {len(v1)}+{len(v2)} | {_cell(v1)} | {_cell(v2)} | {tally.errors.get(p, 0)} |")
    all1 = [x for p in pages for x in tally.timings.get((1, p), [])]
    all2 = [x for p in pages for x in tally.timings.get((2, p), [])]
    lines.append(f"| **all page runs** | {len(all1)}+{len(all2)} | {_cell(all1)} | {_cell(all2)} | "
                 f"{sum(v for k, v in tally.errors.items() if k != OPEN)} |")
    n_err = sum(tally.errors.values())
    lines += [
        "",
        (f"Overall (both passes) p50 {_q(all1 + all2, 50):.2f} s, p95 {_q(all1 + all2, 95):.2f} s. "
        f"Wall time {wall:.0f} s; sessions finished {tally.finished}/{sessions}; errors {n_err}; "
        f"server memory (process + children) {first / 2**20:.0f} MiB at start, peak "
        f"{peak / 2**20:.0f} MiB; CPU seconds: server {cpu:.0f}, this client {client_cpu:.0f} "
        f"({os.cpu_count()} cores × {wall:.0f} s = {os.cpu_count() * wall:.0f} available); "
        f"`/_stcore/health` afterwards: {'200 OK' if healthy else 'NOT answering'}. "
        f"Check: session 0's overview sent a metric labelled \"GMV\": {'yes' if gmv else 'NO'} "
        f"({tally.check.get('open_elements', 0)} elements on open; pass 1 elements per page: {elements})."),
    ]
    lines += [f"- {n}× {e}" for e, n in sorted(tally.problems.items(), key=lambda kv: -kv[1])[:8]]
    lines += [f"- {e}" for e in tally.notes[:8]]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--stagger", type=float, default=0.2, help="seconds between session starts")
    ap.add_argument("--passes", type=int, default=2, help="passes through all pages per session")
    ap.add_argument("--budget", type=float, default=170, help="hard limit for the sessions, seconds")
    ap.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md alone")
    ap.add_argument("--live-tree", action="store_true", help="serve /work/main itself, not a snapshot")
    ap.add_argument("--processes", type=int, default=1,
                    help="server processes sharing one data directory; sessions pinned round-robin")
    ap.add_argument("--stored", action="store_true",
                    help="every session opens a stored data set by its link (?ds=<id>) instead of the sample")
    args = ap.parse_args(argv)
    root = ROOT if args.live_tree else snapshot()
    query = "lang=zh"
    if args.stored:
        data_dir = Path(tempfile.mkdtemp(prefix="opslab-load-ws-data-"))
        os.environ["OPSLAB_DATA_DIR"] = str(data_dir)  # the server inherits it
        query = f"lang=zh&ds={stored_sample(data_dir)}"
    servers = []
    try:
        for _ in range(args.processes):
            servers.append(start_server(root, watch=False))
    except RuntimeError:
        for proc, _ in servers:
            stop_server(proc)
        if root != ROOT:
            shutil.rmtree(root, ignore_errors=True)
        raise
    samplers = [MemorySampler(proc.pid) for proc, _ in servers]
    for sampler in samplers:
        sampler.start()
    urls = [url for _, url in servers]
    try:
        time.sleep(0.5)
        cpu0 = time.process_time()
        tally, wall = asyncio.run(drive(urls, args.sessions, args.stagger, args.passes, args.budget, query))
        client_cpu = time.process_time() - cpu0
        healthy = all(_healthy(url) for url in urls)
    finally:
        for sampler in samplers:
            sampler.stop()
        for proc, _ in servers:
            stop_server(proc)
        if root != ROOT:
            shutil.rmtree(root, ignore_errors=True)
    # Peaks of the processes added: an upper bound of the peak of their sum.
    lines = summarise(tally, wall, args.sessions, args.stagger, args.passes, sum(x.peak for x in samplers),
                      sum(x.first for x in samplers), sum(x.cpu_seconds("server") for x in samplers),
                      healthy, client_cpu)
    if args.processes > 1:
        lines[0] = lines[0].replace("on one server", f"on {args.processes} server processes")
        lines[2] = lines[2].replace("One `streamlit run app.py` on loopback;",
                                    f"{args.processes} `streamlit run app.py` processes on loopback sharing one data "
                                    "directory, session i pinned to process i mod n (as the proxy's sticky upstream "
                                    "does); memory is the sum of the processes' peaks;")
    if args.stored:
        lines[0] += " (stored data set opened by link)"
        lines[2] = lines[2].replace("opens `?lang=zh` (sample data loads)",
                                    "opens `?lang=zh&ds=<id>` (the sample stored as an uploaded data set, opened by its link)")
    print("\n".join(lines))
    if not args.no_write:
        from bench.run import write_section

        name = ("load_protocol_stored" if args.stored else "load_protocol") + (
            f"_{args.processes}p" if args.processes > 1 else "")
        write_section(name, lines)
    ok = healthy and not tally.errors and gmv_check(tally)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
