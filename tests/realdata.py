"""Real public purchase logs that ship inside packages on the package index.

CDNOW master (``CDNOW_master.txt``): every purchase of the 23,570 customers who first bought
at the online retailer CDNOW in the first quarter of 1997, up to the end of June 1998
(69,659 rows: customer id, date as YYYYMMDD, number of CDs, dollar value; no order ids, so
identical rows are separate purchases). Collected by Fader & Hardie ("Forecasting repeat sales
at CDNOW", 2001) and distributed inside the ``Lifetimes`` package (MIT licence,
github.com/CamDavidsonPilon/lifetimes, ``lifetimes/datasets/``), pinned in
requirements-dev.txt. The package is located without importing it (its code predates the
pandas we use); only the data file is read.

``cdnow_truth()`` parses the file with nothing but pandas, independently of OpsLab, so
tests can compare OpsLab's figures with a plain computation over the raw file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd


def cdnow_path(name: str = "CDNOW_master.txt") -> Path:
    """Path of a data file shipped in the Lifetimes package's ``datasets`` folder."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the Lifetimes package (requirements-dev.txt) is not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing from the Lifetimes package")
    return path


def cdnow_bytes(name: str = "CDNOW_master.txt") -> bytes:
    return cdnow_path(name).read_bytes()


def cdnow_truth(name: str = "CDNOW_master.txt") -> pd.DataFrame:
    """The raw log as plain pandas reads it: customer_id (str), date, number_of_cds, dollar_value."""
    frame = pd.read_csv(cdnow_path(name), sep=r"\s+", dtype={"customer_id": str, "date": str})
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame
