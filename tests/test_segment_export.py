"""A segment's members exported: one row per member with id, attributes, activity, paid orders
and amount (equal to pandas over the raw tables), tier; ids stay text (a leading zero kept in
the CSV and the .xlsx) and a cell that would be a formula is neutralised."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from opslab.core.i18n import t as translate
from opslab.dataset.dataset import Dataset
from opslab.lifecycle.fit import rules_in_force
from opslab.lifecycle.tiers import TIERS
from opslab.metrics.segments import Segment, member_uids
from opslab.present import export, formatting as fmt
from tests.random_logs import random_activity
from ui.segments import members_frame


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_members_export_equals_pandas_and_is_spreadsheet_safe(lang):
    events, orders = random_activity(n_users=80, days=60, seed=31)
    ids = {f"u{i}": f"0{8800 + i}" for i in range(80)}  # ids with a leading zero
    events["user_id"], orders["user_id"] = events["user_id"].map(ids), orders["user_id"].map(ids)
    rng = np.random.default_rng(2)
    users = pd.DataFrame({"user_id": list(ids.values()), "city": rng.choice(["=HYPERLINK(\"http://e\")", "京"], 80)})
    ds = Dataset.from_tables(events=events, orders=orders, users=users, currency="CNY")
    seg = Segment("formula city", rules={"city": ["=HYPERLINK(\"http://e\")"]})
    uids = member_uids(ds, seg)
    t = lambda key, **kw: translate(key, lang, **{"cur": "¥", **kw})  # noqa: E731 - the app's translator
    frame = members_frame(ds, uids, rules_in_force(ds), t)
    want = users[users["city"].str.startswith("=")]
    assert sorted(frame[t("segpage.export.user_id")]) == sorted(want["user_id"])
    paid = orders[(orders["status"] == "paid") & orders["user_id"].isin(want["user_id"])]
    by_user = frame.set_index(t("segpage.export.user_id"))
    assert by_user[t("users.orders")].sum() == len(paid)
    assert by_user[t("users.gmv")].sum() == pytest.approx(paid["amount"].sum())
    assert "¥" in t("users.gmv")  # the amount's header carries the currency
    tiers = {translate(f"lifecycle.tier.{x}", lang) for x in TIERS}
    assert set(by_user[t("users.tier")]) <= tiers | {""}

    shown = fmt.for_export(frame, "yes", "no")
    csv = pd.read_csv(io.BytesIO(export.to_csv_bytes(shown)), dtype=str, encoding="utf-8-sig")
    assert sorted(csv[t("segpage.export.user_id")]) == sorted(want["user_id"])  # 08830 stays 08830
    assert (csv["city"] == "'=HYPERLINK(\"http://e\")").all()  # never a live formula
    sheet = load_workbook(io.BytesIO(export.to_xlsx_bytes(shown))).active
    header = [c.value for c in sheet[1]]
    cells = [row[header.index(t("segpage.export.user_id"))] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(cells) == sorted(want["user_id"]) and all(isinstance(c, str) for c in cells)
