"""Data page: the files of a linked export (orders, items, payments, refunds, customers) joined
into one data set: which file was recognised as what, the keys of the join, and what could
not be joined. The join itself is :mod:`opslab.ingest.linked`; this is its cached call and
its display.

Every cached function takes the files as :class:`~ui.data_source.Upload` (``st.cache_data`` is
shared by all sessions and keys them on their full digests)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from opslab.present import formatting as fmt
from opslab.dataset import load as loader
from opslab.ingest.choices import Choices
from opslab.ingest.link_files import join_files
from ui.data_source import CACHE, Upload, inspect_cached
from ui.state import lang, tr
from ui.widgets import problem_report

@st.cache_data(**CACHE)
def joined(uploads: tuple[Upload, ...]):
    """The inspected files with the members of a linked export replaced by the joined tables,
    and the :class:`~opslab.ingest.linked.Link` (None when the files are not one)."""
    return join_files([inspect_cached(u) for u in uploads])


@st.cache_data(**CACHE)
def apply_joined(uploads: tuple[Upload, ...], name: str, mapping: tuple, choices: tuple) -> loader.LoadedFile:
    """One joined table, validated with its mapping and the upload's choices."""
    files, _ = joined(uploads)
    f = next(f for f in files if f.name == name)
    return loader.apply_mapping(f, f.table, dict(mapping), choices=Choices.from_tuple(choices) if choices else None)


def render_link(lk, currency: str | None = None) -> None:
    """The linked files: role, columns used, rows joined and not joined (with amounts), the join
    and every problem of the join with its example rows."""
    with st.container(border=True):
        st.markdown(f"**{tr('linked.title')}**")
        st.caption(tr("linked.help"))
        rows = []
        for p in lk.parts:
            amount = "" if pd.isna(p.amount) else fmt.money(p.amount, lang(), exact=True, currency=currency)
            rows.append({tr("linked.col.file"): p.name, tr("linked.col.role"): tr(f"linked.role.{p.role}"),
                         tr("linked.col.keys"): ", ".join(dict.fromkeys(p.columns.values())),
                         tr("linked.col.rows"): f"{p.rows:,}", tr("linked.col.joined"): f"{p.joined:,}",
                         tr("linked.col.unjoined"): f"{p.unjoined:,}", tr("linked.col.repeats"): f"{p.repeats:,}",
                         tr("linked.col.amount"): amount})
        st.dataframe(pd.DataFrame(rows), hide_index=True)  # names and headers: data, never markdown
        keys = {k: next((p.columns[k] for p in lk.parts if k in p.columns), tr("linked.none"))
                for k in ("order_id", "customer_id", "person_id")}
        if keys["person_id"] == tr("linked.none"):
            keys["person_id"] = keys["customer_id"]
        st.text(tr("linked.join", **keys))
        problem_report(lk.problems, currency)
