"""Stored data sets: what is stored reopens with the same figures; writes are atomic (a process
killed mid-save leaves the list intact); rename, delete, privacy, quota and retention."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from opslab.dataset.dataset import Dataset
from opslab.core.problems import OpsLabError
from opslab.core.keys import is_dataset_id
from opslab.workspace.store import Store
from tests.realdata import cdnow_truth

ROOT = Path(__file__).resolve().parents[3]


def _events(n=3, user="a"):
    return pd.DataFrame({"user_id": [f"{user}{i}" for i in range(n)],
                         "event_time": pd.date_range("2024-01-01", periods=n, freq="D")})


@pytest.mark.slow
def test_real_purchase_log_reopens_with_the_raw_files_figures(tmp_path):
    truth = cdnow_truth()  # the raw CDNOW log as plain pandas reads it
    orders = pd.DataFrame({"user_id": truth["customer_id"], "order_time": truth["date"],
                           "amount": truth["dollar_value"], "status": "paid"})
    before = Dataset.from_tables(orders=orders)
    store = Store(tmp_path)
    m = store.save({"orders": orders}, name="CDNOW_master.txt", uploader="li", content_key="0" * 64,
                   start=before.start, end=before.end)
    after = Dataset.from_tables(**Store(tmp_path).load(m.id, "wang"))  # another process, another viewer
    assert m.n_rows == len(truth) == 69_659  # the 255 identical rows are kept
    assert (m.start, m.end) == ("1997-01-01", "1998-06-30")
    assert after.orders["amount"].sum() == pytest.approx(truth["dollar_value"].sum(), rel=1e-12)
    assert after.n_users == truth["customer_id"].nunique() == 23_570
    pd.testing.assert_frame_equal(after.orders, before.orders)
    pd.testing.assert_frame_equal(after.users, before.users)


def test_list_rename_private_delete(tmp_path):
    store = Store(tmp_path)
    a = store.save({"events": _events()}, name="a.csv", uploader="li", content_key="1" * 64, start="2024-01-01",
                   end="2024-01-03")
    b = store.save({"events": _events(user="b")}, name="[click](http://evil) b.csv", uploader="wang",
                   content_key="2" * 64, private=True)
    assert is_dataset_id(a.id) and a.id != b.id
    assert [m.id for m in store.list("li")] == [a.id]  # wang's private set is invisible to li
    assert {m.id for m in store.list("wang")} == {a.id, b.id}
    with pytest.raises(OpsLabError) as err:
        store.load(b.id, "li")
    assert err.value.code == "workspace.not_found"  # indistinguishable from a missing set
    store.rename(a.id, "March orders\n<b>x</b>", "wang")
    assert store.get(a.id).name == "March orders <b>x</b>"  # one line; shown as plain text
    with pytest.raises(OpsLabError):
        store.set_private(a.id, True, "wang")  # only the uploader makes a set private
    store.set_private(a.id, True, "li")
    assert store.list("wang") == [store.get(b.id, "wang")]
    store.delete(a.id, "li")
    assert [m.id for m in store.list("li")] == []
    assert not any(p.name.startswith(".trash-") for p in (tmp_path / "sets").iterdir())
    # A fresh Store on the same directory (a restart) sees the same list.
    assert [m.id for m in Store(tmp_path).list("wang")] == [b.id]


def test_ids_are_validated_before_touching_the_disk(tmp_path):
    store = Store(tmp_path)
    for bad in ("../../etc", "", "a" * 31, "a" * 33, "sets", None):
        with pytest.raises(OpsLabError):
            store.get(bad)


def test_quota_refuses_and_leaves_nothing_behind(tmp_path):
    big = pd.DataFrame({"user_id": [f"u{i}" for i in range(20_000)],
                        "event_time": pd.date_range("2024-01-01", periods=20_000, freq="min")})
    store = Store(tmp_path, quota_bytes=50_000)
    with pytest.raises(OpsLabError) as err:
        store.save({"events": big}, name="big", uploader="li", content_key="3" * 64)
    assert err.value.code == "workspace.quota_exceeded"
    assert list((tmp_path / "sets").iterdir()) == []
    small = store.save({"events": _events()}, name="small", uploader="li", content_key="4" * 64)
    assert [m.id for m in store.list()] == [small.id]


def test_retention_deletes_sets_nobody_opened(tmp_path):
    now = [1_000_000.0]
    store = Store(tmp_path, retention_days=30, clock=lambda: now[0])
    old = store.save({"events": _events()}, name="old", uploader="li", content_key="5" * 64)
    used = store.save({"events": _events()}, name="used", uploader="li", content_key="6" * 64)
    os.utime(tmp_path / "sets" / old.id / ".used", (now[0], now[0]))
    os.utime(tmp_path / "sets" / used.id / ".used", (now[0], now[0]))
    now[0] += 20 * 86400
    store.load(used.id)  # opened on day 20
    now[0] += 15 * 86400  # day 35: old unopened for 35 days, used for 15
    assert store.prune() == [old.id]
    assert [m.id for m in store.list()] == [used.id]


SAVER = textwrap.dedent("""
    import sys, time, pandas as pd, pyarrow.parquet as pq
    from opslab.workspace.store import Store
    real = pq.write_table
    def slow(table, path, **kw):
        real(table, path, **kw)
        print("WROTE", flush=True)
        time.sleep(60)  # killed here: the table is on disk, the manifest is not
    pq.write_table = slow
    ev = pd.DataFrame({"user_id": ["a", "b"], "event_time": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    Store(sys.argv[1]).save({"events": ev}, name="half", uploader="li", content_key="7" * 64)
""")


@pytest.mark.slow
def test_a_process_killed_mid_save_leaves_the_list_intact(tmp_path):
    store = Store(tmp_path)
    kept = store.save({"events": _events()}, name="kept", uploader="li", content_key="8" * 64)
    proc = subprocess.Popen([sys.executable, "-c", SAVER, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "WROTE"
        incoming = [p for p in (tmp_path / "sets").iterdir() if p.name.startswith(".incoming-")]
        assert incoming  # half a data set is on disk ...
        assert [m.id for m in store.list()] == [kept.id]  # ... and not listed
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    restarted = Store(tmp_path)  # a restart removes the leftovers of the dead process
    assert [m.id for m in restarted.list()] == [kept.id]
    assert not any(p.name.startswith(".incoming-") for p in (tmp_path / "sets").iterdir())
    assert restarted.load(kept.id)["events"].shape == (3, 2)


def test_a_torn_manifest_is_never_listed(tmp_path):
    store = Store(tmp_path)
    m = store.save({"events": _events()}, name="x", uploader="li", content_key="9" * 64)
    (tmp_path / "sets" / m.id / "manifest.json").write_text('{"id": "', encoding="utf-8")
    assert store.list() == []
    time.sleep(0)  # nothing else to wait for: the list is a directory scan
