"""The Data page: upload a GBK file with Chinese headers, confirm the mapping, see the report."""

from __future__ import annotations

import pytest

from tests.app.conftest import open_app

GBK_CSV = ("用户ID,行为时间,订单金额\n"
           "A001,2024/1/5 10:00,¥1,280.00\n"
           "A002,2024年1月6日,\n"
           "A001,2024-01-20 08:30,35\n"
           "A003,not a date,12\n").replace("¥1,280.00", '"¥1,280.00"').encode("gb18030")


@pytest.mark.slow
def test_upload_gbk_chinese_headers_and_load():
    at = open_app("zh", "views/data.py")
    assert not at.exception
    sample_fp = at.session_state["dataset"].fingerprint
    at.file_uploader(key="data_upload").set_value(("导出.csv", GBK_CSV, "text/csv")).run()
    assert not at.exception
    mapped = {s.label.rstrip(" *"): s.value for s in at.selectbox if s.key and s.key.startswith("data_map_")}
    assert mapped["用户 ID"] == "用户ID" and mapped["行为时间"] == "行为时间" and mapped["金额"] == "订单金额"
    at.button(key="data_apply").click().run()
    assert not at.exception
    ds = at.session_state["dataset"]
    assert ds.fingerprint != sample_fp
    assert ds.n_users == 2  # A003's only row has an unreadable date and is set aside
    assert sorted(ds.orders["amount"]) == [35.0, 1280.0]  # events with an amount are the orders
    # The bad date is reported with its column and example row, and the good rows are kept.
    text = " ".join(w.value for w in at.warning) + " ".join(e.value for e in at.error)
    assert "行为时间" in text


def test_binary_file_gets_a_message_not_a_crash():
    at = open_app("en", "views/data.py")
    at.file_uploader(key="data_upload").set_value(("x.csv", bytes(range(256)) * 20, "text/csv")).run()
    assert not at.exception
    assert at.error  # a translated message


@pytest.mark.slow
def test_a_confirmed_mapping_is_reused_for_files_with_the_same_columns():
    at = open_app("en", "views/data.py")
    first = "会员,时间,备注\nm1,2024-01-05,首页\nm2,2024-01-06,详情页\n".encode("utf-8")  # page names
    at.file_uploader(key="data_upload").set_value(("a.csv", first, "text/csv")).run()
    key = next(s.key for s in at.selectbox if s.key and s.key.endswith("_events_event_name"))
    assert at.selectbox(key=key).value == "—"  # 备注 is not a known event-name header
    at.selectbox(key=key).set_value("备注").run()
    at.button(key="data_apply").click().run()
    assert not at.exception
    second = "会员,时间,备注\nm9,2024-02-01,首页\n".encode("utf-8")  # next month's export
    at.file_uploader(key="data_upload").set_value(("b.csv", second, "text/csv")).run()
    key = next(s.key for s in at.selectbox if s.key and s.key.endswith("_events_event_name"))
    assert at.selectbox(key=key).value == "备注"


@pytest.mark.slow
def test_workbook_sheet_and_header_row_choice():
    """A hidden first sheet is listed as hidden and not read; title rows are skipped; the user
    can read the hidden sheet or pick another header row."""
    from tests.data import make_bad_excel as mk
    rows = [mk.row(1, ["2024年1月订单明细"]), mk.row(3, ["用户ID", "下单时间", "实付金额"]),
            mk.row(4, ["u1", "2024-01-05", 10]), mk.row(5, ["u2", "2024-01-06", 20])]
    data = mk.xlsx([mk.sheet("配置", [mk.row(1, ["key", "value"]), mk.row(2, ["a", "1"])], state="hidden"),
                    mk.sheet("订单", rows)])
    at = open_app("zh", "views/data.py")
    at.file_uploader(key="data_upload").set_value(("订单.xlsx", data, "application/octet-stream")).run()
    assert not at.exception
    sheet = next(s for s in at.selectbox if s.key and s.key.startswith("data_sheet_"))
    assert sheet.value == "订单" and sheet.options == ["配置（隐藏）", "订单"]
    header = next(s for s in at.selectbox if s.key and s.key.startswith("data_header_"))
    assert header.value == 3 and header.options[:2] == ["1", "3"]
    mapped = {s.label.rstrip(" *"): s.value for s in at.selectbox if s.key and s.key.startswith("data_map_")}
    assert "用户ID" in mapped.values() and "实付金额" in mapped.values()
    header.set_value(4).run()  # the user says the header is row 4: u1's row becomes the names
    assert not at.exception
    cols = next(s for s in at.selectbox if s.key and s.key.startswith("data_map_")).options
    assert "u1" in cols and "用户ID" not in cols
    next(s for s in at.selectbox if s.key and s.key.startswith("data_sheet_")).set_value("配置").run()
    assert not at.exception
    cols = next(s for s in at.selectbox if s.key and s.key.startswith("data_map_")).options
    assert "key" in cols and "value" in cols


def test_parquet_upload_loads():
    import io

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    frame = pd.DataFrame({"用户ID": ["p1", "p2", "p1"], "下单时间": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-07"]),
                          "实付金额": [10.0, 20.5, 3.0]})
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buf)
    at = open_app("en", "views/data.py")
    at.file_uploader(key="data_upload").set_value(("orders.parquet", buf.getvalue(), "application/octet-stream")).run()
    assert not at.exception
    at.button(key="data_apply").click().run()
    assert not at.exception
    ds = at.session_state["dataset"]
    assert ds.n_users == 2 and ds.orders["amount"].sum() == frame["实付金额"].sum()


def test_row_counts_and_amounts_equal_the_engine():
    """The reconciliation table (rows in = kept + rejected + set aside, with amounts) equals
    opslab.load on the same bytes, and both equal a count made here from the file itself."""
    import io

    import pandas as pd

    import opslab
    from opslab.present import formatting as fmt
    from opslab.core.i18n import t
    at = open_app("en", "views/data.py")
    at.file_uploader(key="data_upload").set_value(("导出.csv", GBK_CSV, "text/csv")).run()
    at.button(key="data_apply").click().run()
    assert not at.exception
    loaded = opslab.load(("导出.csv", GBK_CSV))
    rec = loaded.files[0].result.reconciliation()
    currency = loaded.dataset.currency
    shown = next(d.value for d in at.dataframe if t("validate.col.part", "en") in d.value.columns)
    assert shown[t("validate.col.part", "en")].tolist() == [t(f"data.part.{p}", "en") for p in rec.index]
    assert shown[t("data.col.rows", "en")].tolist() == [fmt.count(n, "en") for n in rec["rows"]]
    assert shown[t("data.col.amount", "en")].tolist() == [fmt.money(v, "en", exact=True, currency=currency)
                                                          for v in rec["amount"]]
    raw = pd.read_csv(io.BytesIO(GBK_CSV), encoding="gb18030", dtype=str)
    amounts = pd.to_numeric(raw["订单金额"].str.replace(r"[¥,]", "", regex=True))
    bad = ~raw["行为时间"].str.contains("2024")  # "not a date"
    assert rec.loc["input", ["rows", "amount"]].tolist() == [len(raw), amounts.sum()]
    assert rec.loc["rejected", ["rows", "amount"]].tolist() == [int(bad.sum()), amounts[bad].sum()]
    assert rec.loc["kept", ["rows", "amount"]].tolist() == [int((~bad).sum()), amounts[~bad].sum()]


def test_cdnow_text_export_loads_in_dollars_with_every_row_accounted_for():
    """The real CDNOW log shape (space-aligned, YYYYMMDD, dollar_value): orders in USD, the
    repeated purchase kept, and one click drops it, re-checking the upload."""
    from pathlib import Path

    import pandas as pd

    from ui.data_report import translated_rows

    data = (Path(__file__).resolve().parents[1] / "data" / "realworld" / "cdnow_400.txt").read_bytes()
    at = open_app("en", "views/data.py")
    at.file_uploader(key="data_upload").set_value(("cdnow.txt", data, "text/plain")).run()
    assert not at.exception
    table_key = next(s.key for s in at.selectbox if s.key and s.key.startswith("data_table_"))
    assert at.selectbox(key=table_key).value == "orders"
    assert at.selectbox(key="data_currency").value == "auto"  # decided: USD, shown in the label
    assert "USD" in " ".join(at.selectbox(key="data_currency").options)
    at.button(key="data_apply").click().run()
    assert not at.exception
    ds = at.session_state["dataset"]
    assert ds.currency == "USD" and len(ds.orders) == 1395
    assert round(ds.orders["amount"].sum(), 2) == 49_999.08
    frames = [d.value for d in at.dataframe]
    rec = next(f for f in frames if "Rows" in f.columns and "Amount" in f.columns)
    assert rec["Rows"].tolist() == ["1,395", "1,395", "0", "0"]
    assert rec["Amount"].tolist()[:2] == ["$49,999.08", "$49,999.08"]
    switch = next(b for b in at.button if b.key and b.key.startswith("data_switch_duplicates_"))
    switch.click().run()
    assert not at.exception
    ds = at.session_state["dataset"]
    assert len(ds.orders) == 1394 and round(ds.orders["amount"].sum(), 2) == round(49_999.08 - 12.99, 2)
    # the set-aside rows download in the reader's language, reasons translated (outside a
    # script run the language is the default, Chinese)
    dropped = at.session_state["data_last_files"][0].result.dropped
    out = translated_rows(dropped)
    assert isinstance(out, pd.DataFrame) and list(out.columns[:2]) == ["行号", "原因"]
    assert out["原因"].tolist() == ["与前面某行完全相同"] and out["行号"].tolist() == [dropped["row"].iloc[0]]
    # the currency is the user's to change: one switch, the data set follows
    at.selectbox(key="data_currency").set_value("EUR").run()
    assert not at.exception and at.session_state["dataset"].currency == "EUR"


def test_nothing_usable_says_why_with_numbers():
    at = open_app("en", "views/data.py")
    csv = "customer_id,date,dollar_value\n" + "".join(f"{i},1850-01-0{1 + i % 9},1.5\n" for i in range(30))
    at.file_uploader(key="data_upload").set_value(("old.csv", csv.encode(), "text/csv")).run()
    at.button(key="data_apply").click().run()
    assert not at.exception
    first_error = at.error[0].value
    assert "30" in first_error and "before 1900" in first_error


@pytest.mark.slow
def test_business_sample_button_imports_once_then_reopens_the_kept_tables(tmp_path, monkeypatch):
    """The Data page's business-sample button (the preset shrunk to 400 users): the first click
    imports and keeps the tables; a new server process (a fresh shared slot) reopens them."""
    from dataclasses import replace

    import pandas as pd
    import pytest

    from opslab.synth import business as sb
    from opslab.dataset import load as loader
    from ui import models

    monkeypatch.setattr(sb, "BUSINESS", replace(sb.BUSINESS, n_users=400))
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(tmp_path))
    at = open_app("zh", page="views/data.py")
    at.button(key="data_load_business").click().run()
    assert not at.exception, [e.message for e in at.exception]
    ds = at.session_state["dataset"]
    assert at.session_state["dataset_source"]["preset"] == "business" and ds.n_users > 0
    assert (sb.folder(tmp_path) / sb.IMPORTED / "manifest.json").exists()
    orders = pd.read_csv(sb.folder(tmp_path) / "订单.csv", encoding="gbk")
    paid = orders.loc[orders["订单状态"] == "已支付", "实付金额"].sum()
    assert ds.orders.loc[ds.orders["status"] == "paid", "amount"].sum() == pytest.approx(paid)

    monkeypatch.setattr(loader, "prepare_files", lambda *a, **k: pytest.fail("the kept import is reopened"))
    monkeypatch.setattr(models, "_slot", lambda kind, key, settings: {"lock": __import__("threading").Lock()})
    again = open_app("zh", page="views/data.py")
    again.button(key="data_load_business").click().run()
    assert not again.exception, [e.message for e in again.exception]
    assert again.session_state["dataset"].fingerprint == ds.fingerprint


def test_a_big_set_of_rejected_rows_is_written_on_request(monkeypatch):
    """Above ``EAGER_ROWS`` the page offers "prepare" first (a file exported twice sets aside
    millions of rows); one click writes the CSV once and the download takes its place."""
    import csv
    import io
    from pathlib import Path

    from ui import data_report

    monkeypatch.setattr(data_report, "EAGER_ROWS", 1)  # the file below rejects 2 rows
    data = (Path(__file__).resolve().parents[1] / "data" / "bad" / "dates_1900_2100.csv").read_bytes()
    at = open_app("en", "views/data.py")
    at.file_uploader(key="data_upload").set_value(("dates.csv", data, "text/csv")).run()
    at.button(key="data_apply").click().run()
    assert not at.exception
    prepare = [b for b in at.button if b.key and b.key.startswith("data_rejected_prepare_")]
    assert len(prepare) == 1 and prepare[0].label == "Prepare the CSV of the 2 rejected rows"
    assert not [d for d in at.get("download_button") if d.proto.label.startswith("Download the 2 rejected")]
    prepare[0].click().run()
    assert not at.exception
    assert not [b for b in at.button if b.key and b.key.startswith("data_rejected_prepare_")]
    f = at.session_state["data_last_files"][0]
    ready = at.session_state[f"data_rejected_csv_{f.digest[:10]}"]
    rows = list(csv.reader(io.StringIO(ready[1].decode("utf-8-sig"), newline="")))
    rejected = f.result.rejected
    assert [int(r[0]) for r in rows[1:]] == rejected["row"].tolist() and len(rows) == 3
