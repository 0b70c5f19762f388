"""The business-scale sample (reduced size): the headline shape a lead recognises, computed
independently in pandas on the generated files, and its GBK orders file read by the import."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from opslab.synth import business as sb
from opslab.dataset.load import load_files

pytestmark = pytest.mark.slow
N = 20_000


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return dict(sb.business_files(tmp_path_factory.mktemp("data"), n_users=N))


@pytest.fixture(scope="module")
def tables(files):
    users = pd.read_parquet(io.BytesIO(files["users.parquet"]))
    events = pd.read_parquet(io.BytesIO(files["events.parquet"]))
    campaigns = pd.read_parquet(io.BytesIO(files["campaigns.parquet"]))
    orders = pd.read_csv(io.BytesIO(files["订单.csv"]), encoding="gbk")
    return users, events, orders, campaigns


def test_orders_file_is_gbk_with_chinese_headers(files, tables):
    raw = files["订单.csv"]
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really GBK, not UTF-8
    orders = tables[2]
    assert list(orders.columns) == ["订单编号", "用户ID", "下单时间", "实付金额", "订单状态", "渠道"]
    assert set(orders["订单状态"]) <= {"已支付", "已退款"}


def test_headline_shape(tables):
    users, events, orders, campaigns = tables
    assert len(users) == N
    paid = orders[orders["订单状态"] == "已支付"].assign(t=lambda o: pd.to_datetime(o["下单时间"]))
    # paid conversion: new users (signed up in the window) paying within 30 days of signup
    u = users[users["signup_time"] >= "2025-07-01"].set_index("user_id")
    first_pay = paid.groupby("用户ID")["t"].min()
    days = (first_pay.reindex(u.index) - u["signup_time"]).dt.days
    conversion = float(((days >= 0) & (days < 30)).mean())
    assert 0.01 <= conversion <= 0.08, conversion
    # M1: of each month's signups, active (any event) in the next calendar month; pooled
    ev = events.assign(m=events["event_time"].dt.to_period("M"))
    active = set(zip(ev["user_id"], ev["m"]))
    cohort = u["signup_time"].dt.to_period("M")
    done = cohort[cohort < pd.Period("2026-06", "M")]
    m1 = np.mean([(uid, m + 1) in active for uid, m in done.items()])
    assert 0.4 <= m1 <= 0.65, m1
    # campaigns: about 1:3 overall, most profitable, at least one losing money
    roi = campaigns["revenue"].sum() / campaigns["spend"].sum()
    assert 2.5 <= roi <= 4.0, roi
    per = campaigns["revenue"] / campaigns["spend"]
    assert (per < 1).sum() >= 1 and (per > 1).mean() >= 0.8
    # quarterly GMV scales to tens of millions at the preset's size
    q = paid.groupby(paid["t"].dt.to_period("Q"))["实付金额"].sum() * (sb.BUSINESS.n_users / N)
    assert 5e6 <= q.median() and q.max() >= 1e7, q.tolist()


def test_the_import_reads_it_like_an_upload(files, tables):
    ds, loaded, report = load_files(list(files.items()))
    assert ds is not None and ds.currency == "CNY"
    by_name = {f.name: f for f in loaded}
    assert by_name["订单.csv"].table == "orders"
    orders = tables[2]
    paid = orders.loc[orders["订单状态"] == "已支付", "实付金额"].sum()
    got = ds.orders.loc[ds.orders["status"] == "paid", "amount"].sum()
    assert got == pytest.approx(paid)


def test_cached_on_disk(tmp_path):
    first = sb.business_files(tmp_path, n_users=300)
    stamp = (sb.folder(tmp_path, 300) / "events.parquet").stat().st_mtime_ns
    again = sb.business_files(tmp_path, n_users=300)
    assert first == again
    assert (sb.folder(tmp_path, 300) / "events.parquet").stat().st_mtime_ns == stamp


def test_the_import_is_kept_and_reopened_without_parsing(tmp_path, monkeypatch):
    from opslab.metrics import kpi_table as metrics
    from opslab.dataset import load as loader
    first, key = sb.business_dataset(tmp_path, n_users=2_000)
    kept = sb.folder(tmp_path, 2_000) / sb.IMPORTED
    assert (kept / "manifest.json").exists() and len(key) == 64

    def no_parsing(*a, **k):
        raise AssertionError("the kept import should be reopened, not parsed again")

    monkeypatch.setattr(loader, "prepare_files", no_parsing)
    again, key2 = sb.business_dataset(tmp_path, n_users=2_000)
    assert key2 == key and again.fingerprint == first.fingerprint and again.currency == "CNY"
    for name in ("events", "orders", "users", "campaigns"):
        a, b = getattr(first, name), getattr(again, name)
        assert a.shape == b.shape, name
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(metrics.kpis(first, "month"), metrics.kpis(again, "month"))
    # against the file itself: the paid amount of the GBK orders CSV, read by pandas
    orders = pd.read_csv(sb.folder(tmp_path, 2_000) / "订单.csv", encoding="gbk")
    paid = orders.loc[orders["订单状态"] == "已支付", "实付金额"].sum()
    assert again.orders.loc[again.orders["status"] == "paid", "amount"].sum() == pytest.approx(paid)


def test_parquet_times_read_by_the_fast_parser():
    """Arrow writes Parquet times as "... 00:01:57.000000"; the import now reads them as a CSV
    export writes them, so the fast date parser takes the column (it once fell back to a regex
    per row: 42 of the 59 s of the business sample's import)."""
    from opslab.ingest import fastparse
    from opslab.ingest.parquet import parquet_rows
    times = pd.Series(pd.date_range("2025-07-01 00:01:57", periods=60_000, freq="37s"))
    buf = io.BytesIO()
    pd.DataFrame({"t": times, "d": times.dt.normalize()}).to_parquet(buf, index=False)
    rows, problems = parquet_rows(buf.getvalue())
    assert problems == [] and rows.iloc[1, 0] == "2025-07-01 00:01:57" and rows.iloc[1, 1] == "2025-07-01"
    parsed, failed = fastparse.fast_datetimes(rows.iloc[1:, 0].reset_index(drop=True))
    assert not failed.any() and (parsed.to_numpy() == times.to_numpy()).all()
