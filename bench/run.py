"""`make bench`: load + aggregation at 100k / 1M / 10M events, OpsLab (DuckDB) next to a plain
pandas implementation of the same aggregation, each case in its own process; results go to
bench/RESULTS.md.

Usage: python -m bench.run [--sizes 100000,1000000,10000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from bench import forecast_page

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "RESULTS.md"


def ensure_data(n_events: int | None = None, users: int | None = None, months: int = 15) -> Path:
    """Synth CSVs, generated once and kept under bench/data/ (git-ignored)."""
    name = f"events_{n_events}" if n_events else f"users_{users}_m{months}"
    folder = DATA / name
    if not (folder / "events.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        size = ["--events", str(n_events)] if n_events else ["--users", str(users)]
        subprocess.run([sys.executable, "-m", "opslab.synth", *size, "--months", str(months), "--out", str(folder)],
                       check=True, cwd=ROOT)
    return folder


def run_case(case: str, folder: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.cases", case, str(folder)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _row(size, case, r, other=None):
    s = r["seconds"]
    total = sum(s.values())
    agg = s.get("aggregate", 0) + s.get("prepare", 0)
    ratio = ""
    if other is not None:
        o = other["seconds"]
        ratio = f"{(o['aggregate']) / agg:.2f}× / {sum(o.values()) / total:.2f}×"
    return (f"| {size:,} | {r['users']:,} | {case} | {s['load']:.2f} | {agg:.2f} | {total:.2f} | "
            f"{r['peak_rss_mib']:.0f} | {ratio} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000,10000000")
    ap.add_argument("--only", default="upload_overview,overview,features,ingest,churn_real,forecast_page,funnels,report_screen",
                    help="comma-separated: overview, features, ingest, churn_real, forecast_page, funnels, "
                         "upload_overview, report_screen")
    ap.add_argument("--ingest-orders", default="1000000,5000000", help="orders CSV sizes for the ingest benchmark")
    ap.add_argument("--ingest-events", default="10000000", help="events CSV sizes for the ingest benchmark")
    ap.add_argument("--ingest-appended", type=int, default=3,
                    help="ingest: also the largest events file appended this many times (renamed ids, and verbatim); 0: not")
    ap.add_argument("--ingest-repeat", type=int, default=1,
                    help="ingest: runs per case (alternating); each row shows the median run")
    ap.add_argument("--upload-orders", default="5000000",
                    help="upload_overview: orders CSV sizes (CDNOW replicated) for upload → Overview vs the reference")
    ap.add_argument("--upload-repeat", type=int, default=3, help="upload_overview: runs per case (alternating)")
    ap.add_argument("--ref", default=None, help="forecast_page: a reference tree to compare with")
    ap.add_argument("--feature-users", type=int, default=1_000_000)
    args = ap.parse_args()
    if "upload_overview" in args.only:
        from bench import upload_overview
        write_section("upload_overview", upload_overview.run(
            [int(x) for x in args.upload_orders.split(",") if x], repeat=args.upload_repeat))
    if "overview" in args.only.replace("upload_overview", ""):
        overview([int(x) for x in args.sizes.split(",")])
    if "features" in args.only:
        features(args.feature_users)
    if "ingest" in args.only:
        from bench import ingest
        sizes = [int(x) for x in args.ingest_orders.split(",") if x]
        events = [int(x) for x in args.ingest_events.split(",") if x]
        write_section("ingest", ingest.run(sizes, events, repeat=args.ingest_repeat, appended=args.ingest_appended))
    if "churn_real" in args.only:
        churn_real()
    if "forecast_page" in args.only:
        write_section("forecast_page", forecast_page.run(Path(args.ref) if args.ref else None))
    if "funnels" in args.only:
        from bench import funnels
        write_section("funnels", funnels.main())
    if "report_screen" in args.only:
        from bench import report_screen
        report_screen.main()


def churn_real() -> None:
    """Churn ROC AUC on the real CDNOW log at past cutoffs with the outcome known."""
    r = run_case("churn_real", ROOT)
    lines = [
        "## Churn on real data (CDNOW, past cutoffs, outcome known)",
        "",
        f"CDNOW master log: {r['orders']:,} purchases of {r['users']:,} customers, 1997-01 to 1998-06 (Fader & Hardie,",
        "shipped in the Lifetimes package, MIT licence). At each cutoff every customer with a purchase by then is",
        "scored; the truth is \"no purchase within the horizon after the cutoff\". ROC AUC by sklearn.",
        "`opslab` = `churn_risk(ds, as_of, horizon_days)` (chooses among recency, BG/NBD P(none) and expected activity, logistic, boosting on its own",
        "time split, data up to the cutoff only); `recency` = days since the last purchase; `logistic` = a plain",
        "sklearn logistic regression on lifetime features (pandas), trained at cutoff − horizon (bench/realdata_churn.py).",
        "",
        "| cutoff | horizon | customers | base rate | opslab | recency | logistic | opslab − recency | opslab − logistic | chosen |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for x in r["rows"]:
        lines.append(f"| {x['as_of']} | {x['horizon']} | {x['customers']:,} | {x['base_rate']:.1%} | "
                     f"{x['auc_opslab']:.3f} | {x['auc_recency']:.3f} | {x['auc_logistic']:.3f} | "
                     f"{x['auc_opslab'] - x['auc_recency']:+.3f} | {x['auc_opslab'] - x['auc_logistic']:+.3f} | "
                     f"{x['chosen']} |")
    lines.append("")
    lines.append(f"Total time for the {len(r['rows'])} cutoffs (all three methods): {r['seconds']['total']:.1f} s.")
    sm = r["sample"]
    lines += ["", "Churn page work on the sample (3,000 users; `churn_risk` with tiers and CLV, engine built):",
              f"first visit {sm['first']:.2f} s; another horizon {sm['new_horizon']:.2f} s (features cached per "
              f"cutoff); the same settings again {sm['same_again']:.3f} s; a threshold change (readout only) "
              f"{sm['threshold']:.3f} s."]
    print("\n".join(lines), flush=True)
    write_section("churn_real", lines)


def _secs(r: dict) -> str:
    return ", ".join(f"{k} {v:.2f} s" for k, v in r["seconds"].items())


def features(n_users: int) -> None:
    """Segmentation (vs pandas), churn training, CLV on n_users over 3 months; forecasting on
    two years of daily data."""
    big = ensure_data(users=n_users, months=3)
    two_years = ensure_data(users=20_000, months=24)
    ops = run_case("lifecycle_opslab", big)
    pdr = run_case("lifecycle_pandas", big)
    churn = run_case("churn", big)
    clv = run_case("clv", big)
    fc = run_case("forecast", two_years)
    lines = [
        f"Data: synth, {ops['users']:,} users and {ops['events']:,} events over 3 months (segmentation,",
        f"churn, CLV); {fc['users']:,} users over 24 months ({fc['days_gmv']} daily points) for forecasting.",
        "",
        "| task | implementation | time | peak RSS MiB | notes |",
        "|---|---|---|---:|---|",
        f"| 8-tier segmentation | opslab (DuckDB features + numpy rules) | {_secs(ops)} | {ops['peak_rss_mib']:.0f} | "
        f"a rules change reuses cached features |",
        f"| 8-tier segmentation | pandas reference (bench/reference_lifecycle.py) | {_secs(pdr)} | "
        f"{pdr['peak_rss_mib']:.0f} | pandas÷opslab: {pdr['seconds']['segment'] / ops['seconds']['segment']:.1f}× "
        f"first run, {pdr['seconds']['rules_change'] / ops['seconds']['rules_change']:.0f}× rules change |",
        f"| churn model (features at 8 cutoffs, 4 candidates, importance, refit, scoring) | opslab | {_secs(churn)} | "
        f"{churn['peak_rss_mib']:.0f} | chosen {churn['chosen']}; {churn['train_rows']:,} training rows; "
        f"{churn['scored']:,} users scored; fit CPU {churn['fit_cpu_seconds']} s; validation ROC AUC {churn['auc']}; "
        f"phases {churn['phases']} |",
        f"| CLV (BG/NBD + Gamma-Gamma, BLAS 1 thread) | opslab | {_secs(clv)} | {clv['peak_rss_mib']:.0f} | "
        f"{clv['users']:,} customers; per-customer summary (DuckDB) ÷ plain pandas groupby = "
        f"{clv['seconds']['summary'] / clv['seconds']['pandas_groupby']:.2f}× |",
        f"| forecast GMV, one daily fit: 3-fold backtest of 7 candidates + calibration + 366-day paths "
        f"(CPU {fc['seconds']['fit_gmv_cpu']:.2f} s) | opslab | {fc['seconds']['fit_gmv']:.2f} s | "
        f"{fc['peak_rss_mib']:.0f} | chosen {fc['model_gmv']}; backtest MASE {fc['mase_gmv']} |",
        f"| forecast DAU, same (CPU {fc['seconds']['fit_dau_cpu']:.2f} s) | opslab | {fc['seconds']['fit_dau']:.2f} s | | chosen {fc['model_dau']}; "
        f"backtest MASE {fc['mase_dau']} |",
    ]
    print("\n".join(lines), flush=True)
    write_section("features", ["## Feature workloads", "", *lines])


def overview(sizes: list[int]) -> None:
    lines = [
        "## Load + overview aggregation (events + orders CSV → DAU/WAU/MAU, monthly KPIs, month cohorts)",
        "",
        "`opslab` = io.read_table + mapping + validation + Dataset + DuckDB queries (the app's path);",
        "`pandas` = pd.read_csv(parse_dates) + a straightforward pandas aggregation (bench/reference.py).",
        "Aggregate = DuckDB prepare + queries for opslab. Ratio = pandas time / opslab time (aggregate / total).",
        "",
        "| events | users | case | load s | aggregate s | total s | peak RSS MiB | pandas÷opslab |",
        "|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for n in sizes:
        folder = ensure_data(n)
        ops = run_case("opslab", folder)
        pdr = run_case("pandas", folder)
        lines.append(_row(ops["events"], "opslab", ops, pdr))
        lines.append(_row(pdr["events"], "pandas", pdr))
        print("\n".join(lines[-2:]), flush=True)
    write_section("overview", lines)


def write_section(name: str, lines: list[str]) -> None:
    """Replace this benchmark's section in RESULTS.md, keeping the others."""
    header = (f"# Benchmark results\n\nMachine: {os.cpu_count()} cores, "
              f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
              f"Python {sys.version.split()[0]}. Regenerate with `make bench`.\n")
    sections = {}
    if RESULTS.exists():
        text = RESULTS.read_text(encoding="utf-8")
        for block in text.split("<!-- section:")[1:]:
            key, _, body = block.partition("-->")
            sections[key.strip()] = body.split("<!-- end -->")[0].strip("\n")
    sections[name] = f"_Measured {date.today()}_\n\n" + "\n".join(lines)
    body = "\n\n".join(f"<!-- section: {k} -->\n{v}\n<!-- end -->" for k, v in sorted(sections.items()))
    RESULTS.write_text(header + "\n" + body + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
