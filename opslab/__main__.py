"""Command line: ``python -m opslab report ...`` writes the ops report for a data set and
period, posts a digest to the configured group robots, and can alert on yesterday's anomalies.

    python -m opslab report --data exports/ --period 2026Q3 --lang zh --out report.docx
    python -m opslab report --data orders.csv users.csv --period 2026-10 --out r.html --alert
    python -m opslab report --data retail.csv --currency GBP --tz Europe/London --period 2011Q3

Before writing, it prints what the load decided (currency and its evidence, time zone, date
order, duplicates) and every file's reconciliation (rows and amounts in / kept / rejected / set
aside), in ``--lang``. ``--currency``, ``--tz``, ``--refunds``, ``--duplicates``, ``--lines``
and ``--rows`` take the choices the Data page offers.

Targets: ``--targets file.xlsx|.csv``, else those saved in the app for the same data: the
files are loaded as a notebook loads them (:func:`opslab.dataset.load.load`, the Data page's
detection and mapping) and their targets found where the Targets screen saved them, under the
id of the stored data set made from the same files (:mod:`opslab.workspace.target_store`).
Suitable for cron: exit code 0 on success, 2 on unusable data, 3 when a webhook failed.

    python -m opslab subscriptions          # send the subscriptions due now (cron, every minute)

sends what the Subscriptions screen set up (:func:`opslab.workspace.delivery.run_pending`); exit code 3
when a send failed (the send log says why).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from opslab.core.i18n import t
from opslab.core.problems import ERROR
from opslab.dataset.load import LoadResult, load
from opslab.ingest.choices import DUPLICATE_ACTIONS, LINE_ACTIONS, REFUND_ACTIONS, ROW_ACTIONS
from opslab.planning.targets import read_targets
from opslab.present.load_summary import summary_lines
from opslab.report import quarterly_report
from opslab.report.push import alert_text, anomalies, digest_text, read_webhooks, send
from opslab.report.trust import source_from_load
from opslab.workspace.delivery import load_stored, run_pending
from opslab.workspace.subscriptions import SubscriptionStore
from opslab.workspace.target_store import data_dir, saved_targets

DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")


def _files(paths: list[str]) -> list[tuple[str, bytes]]:
    out = []
    for p in map(Path, paths):
        found = sorted(f for f in p.iterdir() if f.suffix.lower() in DATA_SUFFIXES) if p.is_dir() else [p]
        out += [(f.name, f.read_bytes()) for f in found]
    return out


def load_data(paths: list[str], **choices) -> LoadResult:
    """The files or folders of ``--data``, loaded as a notebook loads them (``choices``: the
    upload's rules as :func:`opslab.load` takes them, e.g. ``currency``, ``tz``,
    ``refunds="gross"``, ``lines="sum"``; ``None`` = decided from the data)."""
    return load(*_files(paths), **{k: v for k, v in choices.items() if v is not None})


def report_targets(loaded: LoadResult, targets_file: str | None = None) -> list:
    """``--targets`` when given, else the targets saved in the app for the same data."""
    if targets_file:
        return read_targets(Path(targets_file).read_bytes(), targets_file)
    return saved_targets(loaded)


def report_command(args) -> int:
    loaded = load_data(args.data, currency=args.currency, tz=args.tz, refunds=args.refunds,
                       duplicates=args.duplicates, lines=args.lines, rows=args.rows)
    print("\n".join(summary_lines(loaded, args.lang)))
    ds = loaded.dataset
    if ds is None:
        errors = [p.code for p in loaded.report if p.severity == ERROR]
        print(t("cli.no_data", args.lang, codes=", ".join(dict.fromkeys(errors))), file=sys.stderr)
        return 2
    if not ds.currency:
        print(t("cli.currency_not_stated", args.lang))
    targets = report_targets(loaded, args.targets)
    rep = quarterly_report(ds, args.period, targets=targets, lang=args.lang,
                           source=source_from_load(loaded, name=", ".join(f.name for f in loaded.files)))
    out = Path(args.out)
    if out.suffix.lower() in (".html", ".htm"):
        out.write_text(rep.to_html(), encoding="utf-8")
    else:
        out.write_bytes(rep.to_docx())
    print(t("cli.wrote", args.lang, path=out))
    hooks, app_url = read_webhooks(args.secrets)
    status = 0
    if hooks and not args.no_push:
        for platform, result in send(hooks, digest_text(rep, args.url or app_url)).items():
            print(f"{platform}: {result}")
            status = status or (0 if result == "ok" else 3)
    if args.alert:
        found = anomalies(ds)
        text = alert_text(found, ds.end, args.lang, rep.currency)
        print(text)
        if found and hooks and not args.no_push:
            for platform, result in send(hooks, text).items():
                status = status or (0 if result == "ok" else 3)
    return status


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not (len(code) == 3 and code.isalpha()):
        raise argparse.ArgumentTypeError(f"not an ISO 4217 currency code: {value!r}")
    return code


def subscriptions_command(args) -> int:
    done = run_pending(SubscriptionStore(data_dir()), load_stored, args.url or os.environ.get("OPSLAB_APP_URL"),
                       tz=os.environ.get("OPSLAB_TZ", "Asia/Shanghai"))
    for sub_id, period, ok in done:
        print(f"{sub_id} {period}: {'ok' if ok else 'failed'}")
    return 0 if all(ok for *_, ok in done) else 3


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opslab")
    sub = parser.add_subparsers(dest="command", required=True)
    rp = sub.add_parser("report", help="write the ops report (and push a digest)")
    rp.add_argument("--data", nargs="+", required=True, help="a folder of exports or files")
    rp.add_argument("--period", required=True, help="2026Q3, 2026-07 or 2026")
    rp.add_argument("--lang", default="zh", choices=("zh", "en"))
    rp.add_argument("--out", default="report.docx", help=".docx or .html")
    rp.add_argument("--targets", help="targets file (.xlsx or .csv)")
    rp.add_argument("--currency", type=_currency,
                    help="ISO code of the amounts (GBP, BRL, CNY ...) when the data do not say")
    rp.add_argument("--tz", help="time zone the days are counted in (Asia/Shanghai, UTC, +08:00 ...); "
                                 "default: suggested from the data")
    rp.add_argument("--secrets", default=".streamlit/secrets.toml")
    rp.add_argument("--url", help="link back to the app in the digest")
    rp.add_argument("--alert", action="store_true",
                    help="flag yesterday's DAU, GMV, paid conversion outside the forecast interval")
    rp.add_argument("--no-push", action="store_true", help="do not post to webhooks")
    rp.add_argument("--refunds", default="net", choices=REFUND_ACTIONS,
                    help="net: GMV = sales - refunds and cancellations (default); gross: every sale")
    rp.add_argument("--duplicates", default="auto", choices=DUPLICATE_ACTIONS,
                    help="rows identical in every column: auto (default), keep or drop")
    rp.add_argument("--lines", default="auto", choices=LINE_ACTIONS,
                    help="repeated order numbers: auto (default), sum (order lines), first (same order "
                         "again), rows (each row an order)")
    rp.add_argument("--rows", default="auto", choices=ROW_ACTIONS,
                    help="rows of an events file with only a user and a time: auto (default, from the "
                         "headers and file name), activity (visits, logins) or purchases (each a paid order)")
    sp = sub.add_parser("subscriptions", help="send the subscriptions due now")
    sp.add_argument("--url", help="the app's address for the links back")
    args = parser.parse_args(argv)
    return report_command(args) if args.command == "report" else subscriptions_command(args)


if __name__ == "__main__":
    sys.exit(main())
