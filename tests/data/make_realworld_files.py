"""Generate the real-world-shapes corpus in tests/data/realworld/ (see its README.md).

Files derived from the real CDNOW purchase log (customers 1..400 of ``tests/realdata.py``:
1,395 purchases in 1997-98, dollars, no order ids, one legitimately repeated row) in the
forms operators have, plus small hand-made files for the shapes CDNOW lacks. Every
generator is deterministic: ``python -m tests.data.make_realworld_files`` rewrites the files
byte for byte.

Example
-------
>>> cdnow_rows()[0]
('00001', '19970101', '1', '11.77')
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent / "realworld"
CUSTOMERS = 400  # customers 00001..00400 of CDNOW


def cdnow_rows(limit: int = CUSTOMERS) -> list[tuple[str, str, str, str]]:
    """The raw CDNOW rows of the first ``limit`` customers, as text exactly as in the file."""
    from tests.realdata import cdnow_bytes

    out = []
    for line in cdnow_bytes().decode("ascii").splitlines()[1:]:
        parts = tuple(line.split())
        if len(parts) == 4 and int(parts[0]) <= limit:
            out.append(parts)
    return out


def cdnow_txt() -> bytes:
    """Space-aligned text with YYYYMMDD dates, the original header and layout."""
    from tests.realdata import cdnow_bytes

    lines = cdnow_bytes().decode("ascii").splitlines()
    keep = [lines[0]] + [ln for ln in lines[1:] if ln.split() and int(ln.split()[0]) <= CUSTOMERS]
    return ("\n".join(keep) + "\n").encode("ascii")


def cdnow_gbk() -> bytes:
    """GBK CSV with Chinese headers, 1997/1/5 dates and ￥1,234.50 amounts (quoted: the comma)."""
    rows = ["会员ID,下单日期,购买数量,实付金额"]
    for cid, day, qty, value in cdnow_rows():
        d = dt.datetime.strptime(day, "%Y%m%d")
        rows.append(f'{cid},{d.year}/{d.month}/{d.day},{qty},"￥{float(value):,.2f}"')
    return ("\r\n".join(rows) + "\r\n").encode("gbk")


def cdnow_xlsx() -> bytes:
    """An .xlsx with English headers: ids as text, real dates, numbers, "Sales ($)"."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "orders"
    ws.append(["Customer ID", "Order Date", "Quantity", "Sales ($)"])
    for cid, day, qty, value in cdnow_rows():
        ws.append([cid, dt.datetime.strptime(day, "%Y%m%d"), int(qty), float(value)])
    fixed = dt.datetime(2024, 1, 1)
    wb.properties.created = wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    return _zip_fixed_time(buf.getvalue())


def _zip_fixed_time(data: bytes) -> bytes:
    """Rewrite a zip with fixed member times so the bytes do not depend on the clock."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", body)
            dst.writestr(fixed, body)
    return out.getvalue()


def cdnow_noheader() -> bytes:
    """The same log as CSV without a header row."""
    return ("\n".join(",".join(r) for r in cdnow_rows()) + "\n").encode("ascii")


def unit_price_qty() -> bytes:
    """Orders with a unit price and a quantity but no amount column."""
    rng = random.Random(7)
    rows = ["会员ID,下单时间,商品单价,购买数量"]
    for i in range(40):
        price = rng.choice(["9.90", "19.90", "128.00", "1,280.00", "0.50"])
        rows.append(f'M{i % 13:03d},2024-03-{1 + i % 28:02d} 1{i % 10}:00:00,"{price}",{1 + i % 4}')
    return ("\n".join(rows) + "\n").encode("utf-8")


def campaigns_zh() -> bytes:
    """A campaigns file with the common Chinese headers and no campaign id."""
    return ("活动名称,活动开始,活动结束,投入,参与用户数,新增注册,订单数,收入\n"
            "春节红包,2024-02-01,2024-02-15,\"50,000\",12000,800,950,\"180,000\"\n"
            "38 女王节,2024-03-01,2024-03-08,30000,8000,450,600,95000\n"
            "618 大促,2024-06-01,2024-06-18,120000,40000,2600,5200,880000\n"
            "双 11,2024-11-01,2024-11-11,200000,65000,4100,9800,1500000\n").encode("utf-8")


def double_export_events() -> bytes:
    """Events with times to the second, 10 rows exported twice (a double export)."""
    rows = ["user_id,event_time,event_name"]
    base = [f"U{i % 7},2024-05-{1 + i % 20:02d} 0{i % 9}:{i % 60:02d}:{(7 * i) % 60:02d},{('view', 'click', 'pay')[i % 3]}"
            for i in range(50)]
    rows += base + base[:10]
    return ("\n".join(rows) + "\n").encode("utf-8")


def placeholder_orders() -> bytes:
    """30 real orders in 2023-24, plus 3 with 1970-01-01 and 1 with 1900-01-01 (system fillers)."""
    rows = ["user_id,order_time,amount"]
    for i in range(30):
        rows.append(f"C{i % 9},2023-{1 + i % 12:02d}-{1 + i % 27:02d},{10 + i}.50")
    rows += ["C1,1970-01-01,99.00", "C2,1970-01-01 00:00:00,45.00", "C3,1970-01-01,5.00",
             "C4,1900-01-01,7.00"]
    return ("\n".join(rows) + "\n").encode("utf-8")


def day_first_orders() -> bytes:
    """Orders with d/m/yyyy dates; 13/01/2024 proves day-first."""
    return ("user_id,order_time,amount\nA,13/01/2024,10\nB,02/03/2024,20\nC,05/04/2024,30\n").encode()


def ambiguous_events() -> bytes:
    """Events whose dates alone cannot tell day/month order (all parts <= 12)."""
    return ("user_id,event_time\nA,02/03/2024\nB,05/04/2024\nC,01/02/2024\n").encode()


def zoned_events() -> bytes:
    """One instant written in two zones, and a local time without a zone."""
    return ("user_id,event_time\nA,2024-01-05T23:30:00Z\nB,2024-01-06T07:30:00+08:00\n"
            "C,2024-01-06 09:00:00\n").encode()


def clock_times() -> bytes:
    """12-hour clock times in English and Chinese, and month names."""
    return ("用户ID,时间,金额\nA,2024-01-05 3:04:05 PM,10\nB,2024/1/5 下午 3:04:05,20\n"
            "C,2024-01-05 12:30:00 AM,30\nD,\"Jan 5, 2024 15:04:05\",40\nE,2024年1月5日 上午 9:15,50\n").encode("utf-8")


def excel_sep_line() -> bytes:
    """Excel's "sep=;" first line, then a semicolon-separated table."""
    return "sep=;\r\nuser_id;order_time;amount\r\nA;2024-01-05;12.50\r\nB;2024-01-06;7.00\r\n".encode()


def stray_quote() -> bytes:
    """500 rows; row 4 opens a quote in a remark and row 500 closes it."""
    rows = ["user_id,event_time,remark"]
    for i in range(1, 502):
        remark = '"opens a quote' if i == 3 else ('closes it"' if i == 499 else "ok")
        rows.append(f"U{i},2024-01-{1 + i % 28:02d},{remark}")
    return ("\n".join(rows) + "\n").encode()


def scientific_ids() -> bytes:
    """Ids Excel turned into 1.23457E+11: different people become one id."""
    return ("user_id,event_time\n1.23457E+11,2024-01-05\n1.23457E+11,2024-01-06\n123456789012,2024-01-07\n"
            "55,2024-01-08\n55.0,2024-01-09\n").encode()


def dollar_revenue() -> bytes:
    """English headers, revenue with $ signs, negative in parentheses is a refund."""
    return ("customer,order_date,order_id,revenue,status\nc1,2024-01-05,o1,\"$1,234.50\",paid\n"
            "c2,2024-01-06,o2,$99.99,paid\nc1,2024-01-07,o3,($20.00),refunded\n"
            "c2,2024-01-06,o2,$99.99,paid\n").encode()


def no_amount_orders() -> bytes:
    """An orders export whose money column has a header no list knows."""
    return ("uid,date,total_paid\nu1,2024-01-05,12.50\nu2,2024-01-06,7.25\nu1,2024-01-07,3.10\n").encode()


CORPUS = {
    "cdnow_400.txt": cdnow_txt,
    "cdnow_400_gbk.csv": cdnow_gbk,
    "cdnow_400_english.xlsx": cdnow_xlsx,
    "cdnow_400_noheader.csv": cdnow_noheader,
    "unit_price_qty.csv": unit_price_qty,
    "campaigns_zh.csv": campaigns_zh,
    "double_export_events.csv": double_export_events,
    "placeholder_orders.csv": placeholder_orders,
    "day_first_orders.csv": day_first_orders,
    "ambiguous_events.csv": ambiguous_events,
    "zoned_events.csv": zoned_events,
    "clock_times.csv": clock_times,
    "excel_sep_line.csv": excel_sep_line,
    "stray_quote.csv": stray_quote,
    "scientific_ids.csv": scientific_ids,
    "dollar_revenue.csv": dollar_revenue,
    "no_amount_orders.csv": no_amount_orders,
}


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for name, make in CORPUS.items():
        (HERE / name).write_bytes(make())


if __name__ == "__main__":
    main()
