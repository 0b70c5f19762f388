"""Targets entered in the app are the targets the command-line report and a notebook read.

The app's path is replayed step by step with the functions its screens call: the Data page
(inspect, decide, apply the mapping, build, key, store), then the Targets screen
(``TargetStore().save(dataset_key(), ...)``, the key being the stored data set's id).
"""

from __future__ import annotations

import opslab
from opslab import __main__ as cli
from opslab.dataset import load as loader
from opslab.planning.targets import Target
from opslab.workspace.store import Store
from opslab.workspace.target_store import TargetStore, dataset_key_of
from ui import data_source

ORDERS = ("order_id,user_id,order_time,amount\n"
          + "".join(f"o{i},u{i % 7},2024-0{1 + i % 3}-{10 + i % 15} 10:00:00,${20 + i}.50\n" for i in range(40)))
USERS = "user_id,signup_time,channel\n" + "".join(f"u{i},2023-12-0{1 + i},抖音\n" for i in range(7))
TARGETS = [Target("gmv", "2024Q1", 2500.0), Target("cac", "2024Q1", 30.0, "at_most")]


def _store_as_the_data_page_does(root, named: list[tuple[str, bytes]]) -> str:
    files = [loader.inspect_file(name, data) for name, data in named]
    choices = loader.decide_upload(files).choices
    files = [loader.apply_mapping(f, f.table, f.mapping_dict, choices=choices) for f in files]
    ds, _ = loader.build_dataset(files, choices.currency)
    assert ds is not None and ds.currency == "USD"  # the $ signs decided it
    key = data_source.files_key(files, choices.currency)
    tables = {f.table: f.result.clean for f in files}
    return Store(root).save(tables, name="orders.csv + users.csv", uploader="", content_key=key).id


def _write(folder, named):
    folder.mkdir()
    for name, data in named:
        (folder / name).write_bytes(data)
    return folder


def test_targets_saved_on_the_targets_screen_are_found_by_the_cli_and_the_notebook(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(data_dir))
    named = [("orders.csv", ORDERS.encode()), ("users.csv", USERS.encode())]
    dataset_id = _store_as_the_data_page_does(data_dir, named)
    TargetStore().save(dataset_id, TARGETS)  # the Targets screen, with dataset_key() = the stored id
    assert (data_dir / "targets" / f"{dataset_id}.json").exists()

    loaded = cli.load_data([str(_write(tmp_path / "exports", named))])
    assert loaded.dataset is not None and len(loaded.dataset.orders) == 40
    assert dataset_key_of(loader.files_key(list(loaded.files), loaded.dataset.currency)) == dataset_id
    assert cli.report_targets(loaded) == TARGETS
    assert opslab.saved_targets(opslab.load(*[tmp_path / "exports" / n for n, _ in named])) == TARGETS


def test_other_files_do_not_find_those_targets(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("OPSLAB_DATA_DIR", str(data_dir))
    named = [("orders.csv", ORDERS.encode()), ("users.csv", USERS.encode())]
    TargetStore().save(_store_as_the_data_page_does(data_dir, named), TARGETS)
    other = [("orders.csv", (ORDERS + "o99,u1,2024-03-30 10:00:00,$5.00\n").encode()), named[1]]
    loaded = cli.load_data([str(_write(tmp_path / "other", other))])
    assert len(loaded.dataset.orders) == 41
    assert cli.report_targets(loaded) == []


def test_without_a_stored_data_set_the_key_is_the_content_key(tmp_path):
    key = "c" * 64
    assert dataset_key_of(key, tmp_path) == key  # no sets/ folder: nothing stored
    Store(tmp_path)  # an empty store
    assert dataset_key_of(key, tmp_path) == key
