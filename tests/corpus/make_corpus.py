"""Build the trimmed corpus of real public exports in ``tests/corpus/`` from their full originals.

The originals are not committed (too large); each data set's source (repository, path and commit,
or package and version) is in ``tests/corpus/README.md``. Run one data set at a time::

    python tests/corpus/make_corpus.py online_retail /path/to/online_retail.parquet
    python tests/corpus/make_corpus.py olist /path/to/folder/with/the/olist/csvs
    python tests/corpus/make_corpus.py taobao_userbehavior /path/to/UserBehavior.csv
    python tests/corpus/make_corpus.py taobao_cn_price /path/to/UserBehavior.csv
    python tests/corpus/make_corpus.py tmall_order_report /path/to/tmall_order_report.csv
    python tests/corpus/make_corpus.py rees46_sessions /path/to/2019-Oct.csv
    python tests/corpus/make_corpus.py olist_prejoined /path/to/olist_classified_public_dataset.csv
    python tests/corpus/make_corpus.py grocery_elog /path/to/groceryElog.rda   # needs pyreadr
    python tests/corpus/make_corpus.py taobao_gbk_orders /path/to/1月.csv
    python tests/corpus/make_corpus.py olist_statuses /path/to/folder/with/the/olist/csvs

Rules kept by every builder here:

* **Rows are removed, never edited.** For a text source each kept row is copied byte for byte
  (same header or lack of it, encoding, delimiter, quoting and line ending). Two exceptions, whose
  only sources reachable here are typed (not text): Online Retail (a parquet conversion of the UCI
  workbook), written in the layout of the widespread CSV copy (:func:`online_retail_line`), and
  the BTYDplus grocery log (an R data file), written as plain ``cust,date`` CSV. Their values are
  not changed.
* **Whole customers, not random rows.** A data set is trimmed by keeping every row of a chosen set
  of customers (in every file of a multi-file export, cancellations included), chosen by a
  deterministic hash of the customer id, so re-running gives the same bytes.
* The time span is kept whole (every month of the original stays represented).
"""

from __future__ import annotations

import csv
import io
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def keep_id(value: str, per_mille: int) -> bool:
    """Deterministic choice of an id: CRC-32 of its text, kept when ``crc % 1000 < per_mille``.

    >>> keep_id("17850", 1000), keep_id("17850", 0)
    (True, False)
    """
    return zlib.crc32(value.encode("utf-8")) % 1000 < per_mille


# --- a. UCI Online Retail ---------------------------------------------------------------------

#: Customers kept whatever the hash says: they carry the file's two largest sales, each
#: cancelled within minutes (80,995 x PAPER CRAFT, LITTLE BIRDIE by 16446 on 2011-12-09;
#: 74,215 x MEDIUM CERAMIC TOP STORAGE JAR by 12346 on 2011-01-18).
ONLINE_RETAIL_FORCED = ("16446", "12346")
ONLINE_RETAIL_PER_MILLE = 60


def _price_text(value: float) -> str:
    """A unit price as the CSV copy writes it: shortest repr, no trailing ``.0``.

    >>> _price_text(2.55), _price_text(18.0), _price_text(0.001), _price_text(-11062.06)
    ('2.55', '18', '0.001', '-11062.06')
    """
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def online_retail_line(row) -> list[str]:
    """One row of the parquet as the fields of the common CSV copy (``12/1/2010 8:26`` dates).

    >>> import pandas as pd
    >>> online_retail_line(dict(InvoiceNo="536365", StockCode="71053", Description="WHITE METAL LANTERN",
    ...     Quantity=6, InvoiceDate=pd.Timestamp("2010-12-01 08:26"), UnitPrice=3.39,
    ...     CustomerID=17850.0, Country="United Kingdom"))
    ['536365', '71053', 'WHITE METAL LANTERN', '6', '12/1/2010 8:26', '3.39', '17850', 'United Kingdom']
    """
    t = row["InvoiceDate"]
    customer = row["CustomerID"]
    customer_text = "" if customer != customer or customer is None else str(int(customer))
    return [row["InvoiceNo"], row["StockCode"], row["Description"], str(int(row["Quantity"])),
            f"{t.month}/{t.day}/{t.year} {t.hour}:{t.minute:02d}", _price_text(row["UnitPrice"]),
            customer_text, row["Country"]]


def build_online_retail(source: Path, out_dir: Path) -> Path:
    """Every line of a hash-chosen 6 % of customers, and of 6 % of the invoices without one."""
    import pandas as pd

    full = pd.read_parquet(source)
    if len(full) != 541_909:
        raise SystemExit(f"{source}: {len(full)} rows, the UCI file has 541,909")
    has_customer = full["CustomerID"].notna()
    customer = full["CustomerID"].map(lambda v: "" if v != v else str(int(v)))
    keep = has_customer & (customer.map(lambda c: keep_id(c, ONLINE_RETAIL_PER_MILLE))
                           | customer.isin(ONLINE_RETAIL_FORCED))
    keep |= ~has_customer & full["InvoiceNo"].map(lambda i: keep_id(i, ONLINE_RETAIL_PER_MILLE))
    kept = full[keep]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(full.columns))
    for row in kept.to_dict("records"):
        writer.writerow(online_retail_line(row))
    out = out_dir / "online_retail" / "online_retail.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buf.getvalue().encode("latin-1"))  # as the Kaggle copy: £ is byte A3
    return out


# --- text sources: copy whole rows byte for byte ------------------------------------------------

def _lines(path: Path) -> list[bytes]:
    """The file's lines with their own line endings (no field of these files spans lines)."""
    return path.read_bytes().splitlines(keepends=True)


def _check_no_multiline(path: Path, lines: list[bytes], encoding: str) -> None:
    rows = sum(1 for _ in csv.reader(io.StringIO(b"".join(lines).decode(encoding))))
    if rows != len(lines):
        raise SystemExit(f"{path}: {rows} CSV rows in {len(lines)} lines: a field spans lines")


def copy_rows(source: Path, out: Path, keep, *, has_header: bool, encoding: str,
              drop_unterminated: bool = False) -> int:
    """Copy the header (if any) and every line whose parsed fields ``keep(fields)`` accepts."""
    lines = _lines(source)
    if drop_unterminated and lines and not lines[-1].endswith(b"\n"):
        lines = lines[:-1]  # a copy cut mid-row: its last, unterminated line is not a whole row
    _check_no_multiline(source, lines, encoding)
    head, body = (lines[:1], lines[1:]) if has_header else ([], lines)
    kept = [line for line in body if keep(next(csv.reader([line.decode(encoding)])))]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"".join(head + kept))
    return len(kept)


# --- b. Olist (four linked files) ---------------------------------------------------------------

OLIST_FILES = ("olist_orders_dataset.csv", "olist_order_items_dataset.csv",
               "olist_order_payments_dataset.csv", "olist_customers_dataset.csv")


def build_olist(source: Path, out_dir: Path) -> Path:
    """The four files of the upstream sample kept whole (4,000 orders, 1.9 MB: no trimming needed).

    Checked: every order's customer is in the customers file, every item and payment has its
    order; no row is dropped or edited.
    """
    target = out_dir / "olist"
    for name in OLIST_FILES:
        copy_rows(source / name, target / name, lambda fields: True, has_header=True, encoding="utf-8")
    return target


OLIST_STATUSES_PER_MILLE = 500


def build_olist_statuses(source: Path, out_dir: Path) -> Path:
    """Every row, in all four files, of the people (``customer_unique_id``) whose id hashes under
    50 %: their orders, the items and payments of those orders, and their customer rows."""
    people = {}
    for line in _lines(source / "olist_customers_dataset.csv")[1:]:
        customer_id, person = next(csv.reader([line.decode("utf-8")]))[:2]
        people[customer_id] = person
    kept_customers = {c for c, person in people.items() if keep_id(person, OLIST_STATUSES_PER_MILLE)}
    kept_orders = set()
    for line in _lines(source / "olist_orders_dataset.csv")[1:]:
        order_id, customer_id = next(csv.reader([line.decode("utf-8")]))[:2]
        if customer_id in kept_customers:
            kept_orders.add(order_id)
    target = out_dir / "olist_statuses"
    keys = {"olist_orders_dataset.csv": lambda f: f[0] in kept_orders,
            "olist_order_items_dataset.csv": lambda f: f[0] in kept_orders,
            "olist_order_payments_dataset.csv": lambda f: f[0] in kept_orders,
            "olist_customers_dataset.csv": lambda f: f[0] in kept_customers}
    for name, keep in keys.items():
        copy_rows(source / name, target / name, keep, has_header=True, encoding="utf-8")
    return target


# --- c. Taobao UserBehavior (headerless) ---------------------------------------------------------

def build_taobao_userbehavior(source: Path, out_dir: Path) -> Path:
    """The upstream copy (4,320 rows: the first users of the original file) kept whole."""
    out = out_dir / "taobao_userbehavior" / "UserBehavior.csv"
    copy_rows(source, out, lambda fields: True, has_header=False, encoding="utf-8")
    return out


# --- f'. Taobao behaviour with Chinese headers and a price (售价) -------------------------------

TAOBAO_CN_PER_MILLE = 500


def build_taobao_cn_price(source: Path, out_dir: Path) -> Path:
    """Every row of a hash-chosen 50 % of the users (user id is the first column)."""
    out = out_dir / "taobao_cn_price" / "user_behavior_cn.csv"
    copy_rows(source, out, lambda fields: keep_id(fields[0], TAOBAO_CN_PER_MILLE),
              has_header=True, encoding="utf-8")
    return out


# --- f. Tmall order report (Chinese headers, refunds as a column) -------------------------------

def build_tmall_order_report(source: Path, out_dir: Path) -> Path:
    """The whole report (28,010 orders, 1.9 MB): no trimming needed; CRLF and the headers'
    trailing spaces kept."""
    out = out_dir / "tmall_order_report" / "tmall_order_report.csv"
    copy_rows(source, out, lambda fields: True, has_header=True, encoding="utf-8")
    return out


# --- h. REES46 multi-category store events (sessions) ----------------------------------------

def build_rees46_sessions(source: Path, out_dir: Path) -> Path:
    """Every complete row of the upstream head of ``2019-Oct.csv`` (its last line is cut mid-row
    and is left out)."""
    out = out_dir / "rees46_sessions" / "2019-Oct-head.csv"
    copy_rows(source, out, lambda fields: True, has_header=True, encoding="utf-8", drop_unterminated=True)
    return out


# --- d. Olist's own pre-joined table -------------------------------------------------------------

def build_olist_prejoined(source: Path, out_dir: Path) -> Path:
    """Olist's classified public data set, one pre-joined row per order, kept whole (1.3 MB)."""
    out = out_dir / "olist_prejoined" / "olist_classified_public_dataset.csv"
    copy_rows(source, out, lambda fields: True, has_header=True, encoding="utf-8")
    return out


# --- g. BTYDplus grocery purchase log (R data file) -----------------------------------------------

def build_grocery_elog(source: Path, out_dir: Path) -> Path:
    """``groceryElog`` of the R package BTYDplus as ``cust,date`` (10,483 rows, all kept).

    The .rda holds a factor (customer) and a Date column; they are written as their labels and
    ISO dates, in the R file's row order. Needs ``pyreadr`` (only to rebuild; not a test need).
    """
    import pyreadr  # rebuilding only: the tests read the committed CSV

    frame = pyreadr.read_r(str(source))["groceryElog"]
    if len(frame) != 10_483:
        raise SystemExit(f"{source}: {len(frame)} rows, BTYDplus documents 10,483")
    out = out_dir / "grocery_elog" / "grocery_elog.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = ["cust,date"] + [f"{c},{d}" for c, d in zip(frame["cust"].astype(str), frame["date"].astype(str))]
    out.write_bytes(("\n".join(lines) + "\n").encode("ascii"))
    return out


# --- f. a GBK Taobao order export -------------------------------------------------------------------

def build_taobao_gbk_orders(source: Path, out_dir: Path) -> Path:
    """The 50 paid orders of a Taobao book shop's export, GBK, kept whole under their own name."""
    out = out_dir / "taobao_gbk_orders" / "1月.csv"
    copy_rows(source, out, lambda fields: True, has_header=True, encoding="gbk")
    return out


BUILDERS = {
    "online_retail": build_online_retail,
    "olist": build_olist,
    "taobao_userbehavior": build_taobao_userbehavior,
    "taobao_cn_price": build_taobao_cn_price,
    "tmall_order_report": build_tmall_order_report,
    "rees46_sessions": build_rees46_sessions,
    "olist_prejoined": build_olist_prejoined,
    "grocery_elog": build_grocery_elog,
    "taobao_gbk_orders": build_taobao_gbk_orders,
    "olist_statuses": build_olist_statuses,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in BUILDERS:
        print(__doc__)
        print("data sets:", ", ".join(BUILDERS))
        return 2
    out = BUILDERS[argv[0]](Path(argv[1]), HERE)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
