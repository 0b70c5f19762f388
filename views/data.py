"""Data: upload files, confirm the column mapping, read the validation report, or use the sample."""

from dataclasses import replace

import streamlit as st

from opslab.dataset import load as loader
from opslab.core.problems import OpsLabError
from opslab.core.schema import TABLES
from opslab.present import formatting as fmt
from opslab.report.trust import source_from_files
from ui import data_source, linked_view, workspace
from ui.dataset_list import render_stored_list
from ui.data_report import (current_choices, decision_switches, reconciliation, rows_download,
                            set_aside_switches)
from ui.plain import md_escape
from ui.state import dataset, labeller, set_dataset, tr
from ui.uploader_text import localise_uploader, upload_limit_text
from ui.widgets import problem_report

st.title(tr("data.title"))
st.caption(tr("data.intro"))

with st.container(border=True):
    st.markdown(f"**{tr('data.sample_title')}**")
    st.caption(tr("data.sample_help"))
    left, right = st.columns(2)
    if left.button(tr("app.load_sample"), key="data_load_sample"):
        data_source.load_sample()
        st.session_state["data_flash"] = "data.sample_loaded"
        st.rerun()  # so the sidebar and the link's fingerprint show the new data at once
    if right.button(tr("data.business_sample"), key="data_load_business", help=tr("data.business_sample_help")):
        with st.spinner(tr("data.business_sample_wait")):
            data_source.load_business_sample()
        st.session_state["data_flash"] = "data.sample_loaded"
        st.rerun()
    if st.session_state.get("data_flash") == "data.sample_loaded":
        st.success(tr(st.session_state.pop("data_flash")))

# --- Stored data sets (workspace): list, open, rename, delete, private -----------------------
render_stored_list()
# --- end of stored data sets --------------------------------------------------------------

st.subheader(tr("data.upload_title"))
localise_uploader(tr("data.uploader_button"), tr("data.uploader_limit", size=upload_limit_text()))
uploads = st.file_uploader(
    tr("data.upload_label"), type=["csv", "tsv", "txt", "parquet", "xlsx", "xlsm", "xlsb", "xls", "ods"], accept_multiple_files=True,
    key="data_upload", help=tr("data.upload_help"),
)
NONE = "—"


def sheet_choice(read, key: str) -> None:
    """Sheet (hidden ones marked) and header row of a spreadsheet; a change reruns the page."""
    sheets = [s for s in read.sheets if s["worksheet"]]
    names = [s["name"] for s in sheets]
    hidden = {s["name"] for s in sheets if not s["visible"]}
    left, right = st.columns(2)
    left.selectbox(tr("excel.sheet_label"), names, index=names.index(read.sheet) if read.sheet in names else 0,
                   key=f"data_sheet_{key}",
                   format_func=lambda n: tr("excel.sheet_hidden", sheet=n) if n in hidden else n)
    if read.header_rows:
        rows = list(read.header_rows)
        right.selectbox(tr("excel.header_row_label"), rows,
                        index=rows.index(read.header_row) if read.header_row in rows else 0,
                        key=f"data_header_{key}_{st.session_state.get(f'data_sheet_{key}')}",
                        help=tr("excel.header_row_help"))


def reading(key: str) -> tuple:
    """How the page reads a file (no header, sheet, header row), as its widgets below stand."""
    sheet = st.session_state.get(f"data_sheet_{key}")
    header_row = st.session_state.get(f"data_header_{key}_{sheet}")
    if sheet is not None and sheet == st.session_state.get(f"data_sheetauto_{key}"):
        sheet = None
    return bool(st.session_state.get(f"data_noheader_{key}", False)), sheet, header_row


# Files that are parts of one export (orders, items, payments, customers ...) are joined first.
digests = {up.file_id: data_source.upload_digest(up) for up in uploads or []}
upload_set = tuple(data_source.Upload(up.name, digests[up.file_id], up.getvalue(), *reading(digests[up.file_id][:10]))
                   for up in uploads or [])
joined_files, link = linked_view.joined(upload_set) if upload_set else ([], None)
if link is not None and not st.checkbox(tr("linked.use"), value=True, key="data_link_use", help=tr("linked.use_help")):
    joined_files, link = [data_source.inspect_cached(u) for u in upload_set], None  # each file on its own
members = set(link.names) if link is not None else set()
confirmed, mapped_files, joined_entries = [], [], []
for f in joined_files:
    if link is not None and f.name not in {u.name for u in upload_set}:
        joined_entries.append((f.name, f.mapping))
        mapped_files.append(f)
for up in uploads or []:
    data, digest = up.getvalue(), digests[up.file_id]
    key = digest[:10]
    if up.name in members:
        continue  # shown with the linked files below
    with st.expander(f":material/description: {tr('data.file')} {len(confirmed) + 1}", expanded=True):
        st.text(up.name)  # a file name: plain text, never markdown
        no_header = st.checkbox(tr("data.no_header"), key=f"data_noheader_{key}")
        # A spreadsheet's sheet and header row: the widgets below keep the choice; read it first.
        _, sheet, header_row = reading(key)  # the sheet read by default: None (read it the default way)
        f = data_source.inspect_cached(data_source.Upload(up.name, digest, data, no_header, sheet, header_row))
        read = f.read
        if read.sheets:
            if sheet is None:
                st.session_state[f"data_sheetauto_{key}"] = read.sheet
            sheet_choice(read, key)
        if read.df is None:
            problem_report(read.report)
            continue
        st.caption(tr("data.read_info", rows=fmt.integer(read.n_rows), cols=len(read.df.columns),
                      encoding=read.encoding or ("Excel" if read.sheets else "Parquet"), delimiter=repr(read.delimiter or "")))
        problem_report(read.report)
        # A file with the same headers as one confirmed before opens with that mapping ("map once").
        remembered = st.session_state.setdefault("data_mappings", {}).get(tuple(map(str, read.df.columns)))
        tables = list(TABLES)
        first = remembered[0] if remembered else f.table
        table = st.selectbox(tr("data.table"), tables, index=tables.index(first), key=f"data_table_{key}",
                             format_func=labeller("data.table."))
        if remembered and table == remembered[0]:
            f = replace(f, table=table, mapping=remembered[1])
            st.caption(tr("data.mapping_remembered"))
        elif table != f.table:
            f = loader.remap(f, table)
        spec = TABLES[table]
        columns = [NONE] + [str(c) for c in read.df.columns]
        st.markdown(f"**{tr('data.mapping')}** · {tr('data.mapping_help')}")
        mapping = {}
        grid = st.columns(4)
        for i, field in enumerate(spec.columns):
            suggested = f.mapping_dict.get(field) or NONE
            label = tr(f"data.field.{field}") + (" *" if field in spec.required else "")
            choice = grid[i % 4].selectbox(label, columns, index=columns.index(suggested) if suggested in columns else 0,
                                           key=f"data_map_{key}_{table}_{field}")
            mapping[field] = None if choice == NONE else choice
        problem_report(loader.mapping_hints(f, table, mapping))  # before loading, not after
        st.dataframe(read.df.head(5), hide_index=True)
        confirmed.append((data_source.Upload(up.name, digest, data, no_header, sheet, header_row), table, mapping,
                          tuple(map(str, read.df.columns))))
        mapped_files.append(replace(f, table=table, mapping=tuple(mapping.items())))

if confirmed or joined_entries:
    decisions = loader.decide_upload(mapped_files, current_choices())
    if link is not None:
        linked_view.render_link(link, decisions.choices.currency)
    st.subheader(tr("data.decisions_title"))
    st.caption(tr("data.decisions_help"))
    money_mapped = any(f.mapping_dict.get(k) for f in mapped_files for k in ("amount", "unit_price", "spend", "revenue"))
    ready = decision_switches(decisions, needs_currency=money_mapped)
    private = st.checkbox(
        tr("workspace.private"), key="data_private", disabled=not workspace.auth.identities_verified(),
        help=tr("workspace.private_help") if workspace.auth.identities_verified() else tr("workspace.private_unavailable"))
    clicked = st.button(tr("data.apply"), key="data_apply", type="primary", disabled=not ready,
                        help=None if ready else tr("data.choice.currency_first"))
    if ready and (clicked or st.session_state.pop("data_reapply", False)):
        files = []
        choices = decisions.choices
        with st.status(tr("data.applying"), expanded=True) as status:
            for upload, table, mapping, headers in confirmed:
                st.write(tr("data.checking", name=md_escape(upload.name)))
                files.append(data_source.apply_mapping_cached(upload, table, tuple(mapping.items()),
                                                              choices=choices.as_tuple()))
                st.session_state["data_mappings"][headers] = (table, tuple(mapping.items()))
            for name, mapping in joined_entries:
                st.write(tr("data.checking", name=md_escape(name)))
                files.append(linked_view.apply_joined(upload_set, name, mapping, choices.as_tuple()))
            ds, report = data_source.shared_dataset(files, choices.currency)
            status.update(label=tr("data.applied"), state="complete" if ds is not None else "error")
        st.session_state["data_last_files"] = files
        st.session_state["data_last_link"] = link
        st.session_state["data_last_report"] = report
        st.session_state["data_last_currency"] = choices.currency
        if ds is not None:
            key = data_source.files_key(files, choices.currency)
            ds = data_source.on_configured_engine(ds, key)  # Spark when [opslab] engine says so
            st.session_state["data_store_problem"] = None
            report_source = source_from_files([f for f in files if f.usable], decisions.notes(), choices.tz)
            try:  # stored on the server: it survives a refresh and opens from a teammate's link
                options = {u.digest: {"no_header": u.no_header, "sheet": u.sheet, "header_row": u.header_row,
                                      "choices": list(choices.as_tuple())}
                           for u, _, _, _ in confirmed}
                workspace.save_upload(files, ds, key, private=private, options=options)
            except (OpsLabError, OSError) as err:  # over quota, disk full: analysed, not stored
                set_dataset(ds, {"kind": "upload", "key": key, "files": [f.name for f in files if f.usable]})
                st.session_state["data_store_problem"] = (
                    err.problem if isinstance(err, OpsLabError) else OpsLabError("workspace.store_failed").problem)
            st.session_state["dataset_source"]["report"] = report_source  # the report's data-quality section
            st.session_state["data_flash"] = "data.applied"
            st.rerun()  # the report below survives in session state; the sidebar and link update now

files = st.session_state.get("data_last_files", [])
if files:
    st.subheader(tr("data.report_title"))
    if st.session_state.get("data_flash") == "data.applied":
        st.success(tr(st.session_state.pop("data_flash")))
    problem_report(st.session_state.get("data_last_report") or [])
    if st.session_state.get("data_store_problem") is not None:
        problem_report([st.session_state["data_store_problem"]])
    currency = st.session_state.get("data_last_currency") or ""
    if st.session_state.get("data_last_link") is not None:
        linked_view.render_link(st.session_state["data_last_link"], currency)
    for f in files:
        res = f.result
        with st.container(border=True):
            st.text(f"{f.name} → {tr(f'data.table.{f.table}')}")
            if res is None:
                problem_report(f.read.report)
                continue
            reconciliation(res, currency, f.read)
            if len(res.report) == 0:
                st.success(tr("data.clean"))
            problem_report(res.report)
            set_aside_switches(res, currency, f.digest[:10])
            rows_download(res.rejected, "rejected", f.name, f.digest[:10])
            rows_download(res.dropped, "dropped", f.name, f.digest[:10])
    if dataset() is not None and st.session_state.get("dataset_source", {}).get("kind") in ("upload", "stored"):
        st.page_link("views/overview.py", label=tr("data.see_overview"), icon=":material/monitoring:")
