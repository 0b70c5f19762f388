"""The sample's CSV files filtered to one channel's users with plain pandas and loaded again:
the independent reference a segment's figures are checked against (no OpsLab segment code)."""

from __future__ import annotations

import pandas as pd

import opslab
from opslab.dataset.load import sample_dir

TABLES = ("users", "events", "orders", "campaigns")


def sample_of_channel(channel: str, out):
    """(data set of the channel's users, their ids, the filtered raw tables by name). The files
    are written to ``out``; campaigns (not per user) are kept whole, as are assignments."""
    src = sample_dir()
    raw = {n: pd.read_csv(src / f"{n}.csv", dtype=str, keep_default_na=False)
           for n in (*TABLES, "assignments")}
    ids = set(raw["users"].loc[raw["users"]["channel"] == channel, "user_id"])
    kept = {n: (f[f["user_id"].isin(ids)] if "user_id" in f else f).reset_index(drop=True) for n, f in raw.items()}
    for n in TABLES:
        kept[n].to_csv(out / f"{n}.csv", index=False)
    return opslab.load(*(out / f"{n}.csv" for n in TABLES)).dataset, ids, kept
