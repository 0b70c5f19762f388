"""Saved segments stored with the data set: saved, read back by a new store (another process,
a teammate), replaced by name, deleted, and gone with their data set; hostile names stored as
one plain line; keys that could leave the folder refused; concurrent saves all kept."""

from __future__ import annotations

import json
import threading

import pandas as pd
import pytest

from opslab.core.keys import new_dataset_id
from opslab.core.problems import OpsLabError
from opslab.metrics.segments import Segment
from opslab.workspace.segment_store import MAX_NAME, SegmentStore
from opslab.workspace.store import Store

KEY = "c" * 64


def test_round_trip_reopen_replace_delete(tmp_path):
    SegmentStore(tmp_path).save(KEY, Segment("抖音 京", rules={"channel": ["抖音"], "city": ["京"]}), by="li")
    SegmentStore(tmp_path).save(KEY, Segment("drop-offs", users=["u1", "08830", "u1"]))
    again = SegmentStore(tmp_path).load(KEY)  # a new store: what another session reads
    assert list(again) == ["抖音 京", "drop-offs"]
    assert again["抖音 京"] == Segment("抖音 京", rules={"city": ["京"], "channel": ["抖音"]})
    assert again["drop-offs"].users == ("u1", "08830")  # ids stay text: the leading zero kept
    rows = json.loads((tmp_path / "segments" / f"{KEY}.json").read_text(encoding="utf-8"))
    assert rows["version"] == 2 and rows["segments"][0]["saved_by"] == "li"
    # the same name replaces; another data set sees none
    SegmentStore(tmp_path).save(KEY, Segment("drop-offs", users=["u9"]))
    assert SegmentStore(tmp_path).load(KEY)["drop-offs"].users == ("u9",)
    assert SegmentStore(tmp_path).load("d" * 64) == {}
    assert SegmentStore(tmp_path).delete(KEY, "抖音 京") is True
    assert SegmentStore(tmp_path).delete(KEY, "抖音 京") is False
    assert list(SegmentStore(tmp_path).load(KEY)) == ["drop-offs"]


def test_a_stored_data_sets_segments_go_with_it(tmp_path):
    store = Store(tmp_path)
    ev = pd.DataFrame({"user_id": ["a"], "event_time": pd.to_datetime(["2024-01-02"])})
    m = store.save({"events": ev}, name="t.csv", uploader="li", content_key="0" * 64)
    SegmentStore(tmp_path).save(m.id, Segment("a", users=["a"]))
    assert list(SegmentStore(tmp_path).load(m.id)) == ["a"]
    store.delete(m.id, "li")
    assert SegmentStore(tmp_path).load(m.id) == {}


@pytest.mark.parametrize("name", ["**bold** [x](https://evil.example)", "<script>alert(1)</script>",
                                  "a\nb\x00c\u202e", "=HYPERLINK(\"http://e\")", "名" * 200])
def test_hostile_names_are_stored_as_one_plain_line(tmp_path, name):
    SegmentStore(tmp_path).save(KEY, Segment(name, users=["u1"]))
    (stored,) = SegmentStore(tmp_path).load(KEY)
    assert stored.isprintable() and "\n" not in stored and 0 < len(stored) <= MAX_NAME
    assert stored == "".join(c if c.isprintable() else " " for c in name).strip()[:MAX_NAME].strip()


def test_bad_keys_and_names_are_refused(tmp_path):
    for key in ("../../etc/passwd", "c" * 63, new_dataset_id() + "/x", ""):
        with pytest.raises(OpsLabError) as err:
            SegmentStore(tmp_path).save(key, Segment("a", users=["u1"]))
        assert err.value.code == "segments.bad_key"
    with pytest.raises(OpsLabError) as err:
        SegmentStore(tmp_path).save(KEY, Segment(" \n\t", users=["u1"]))
    assert err.value.code == "segments.bad_name"
    assert not (tmp_path / "segments" / f"{KEY}.json").exists()


def test_concurrent_saves_keep_every_segment(tmp_path):
    errors = []

    def save(i):
        try:
            SegmentStore(tmp_path).save(KEY, Segment(f"s{i}", users=[f"u{i}"]))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=save, args=(i,)) for i in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert sorted(SegmentStore(tmp_path).load(KEY)) == sorted(f"s{i}" for i in range(12))
    assert not [p for p in (tmp_path / "segments").iterdir() if p.name.startswith(".")]  # no temp left
