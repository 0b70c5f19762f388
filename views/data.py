"""Data: upload files, confirm the column mapping, read the validation report, or use the sample."""

from dataclasses import replace

import streamlit as st

from opslab import export
from opslab.ingest import load as loader
from opslab.schema import TABLES
from ui import data_source
from ui.state import dataset, labeller, set_dataset, tr
from ui.widgets import problem_report

st.title(tr("data.title"))
st.caption(tr("data.intro"))

with st.container(border=True):
    st.markdown(f"**{tr('data.sample_title')}**")
    st.caption(tr("data.sample_help"))
    if st.button(tr("app.load_sample"), key="data_load_sample"):
        data_source.load_sample()
        st.session_state["data_flash"] = "data.sample_loaded"
        st.rerun()  # so the sidebar and the link's fingerprint show the new data at once
    if st.session_state.get("data_flash") == "data.sample_loaded":
        st.success(tr(st.session_state.pop("data_flash")))

st.subheader(tr("data.upload_title"))
uploads = st.file_uploader(
    tr("data.upload_label"), type=["csv", "tsv", "txt", "xlsx", "xls"], accept_multiple_files=True,
    key="data_upload", help=tr("data.upload_help"),
)
NONE = "—"
confirmed = []
for up in uploads or []:
    data = up.getvalue()
    key = loader.digest(data)[:10]
    with st.expander(f":material/description: {up.name}", expanded=True):
        no_header = st.checkbox(tr("data.no_header"), key=f"data_noheader_{key}")
        f = data_source.inspect_file(up.name, data, no_header)
        read = f.read
        if read.df is None:
            problem_report(read.report)
            continue
        st.caption(tr("data.read_info", rows=f"{read.n_rows:,}", cols=len(read.df.columns),
                      encoding=read.encoding or "xlsx", delimiter=repr(read.delimiter or "")))
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
        st.dataframe(read.df.head(5), hide_index=True)
        confirmed.append((up.name, data, table, mapping, no_header, tuple(map(str, read.df.columns))))

if confirmed and st.button(tr("data.apply"), key="data_apply", type="primary"):
    files = []
    with st.status(tr("data.applying"), expanded=True) as status:
        for name, data, table, mapping, no_header, headers in confirmed:
            st.write(tr("data.checking", name=name))
            files.append(data_source.apply_mapping(name, data, table, tuple(mapping.items()), no_header))
            st.session_state["data_mappings"][headers] = (table, tuple(mapping.items()))
        ds, report = data_source.build_dataset(files)
        status.update(label=tr("data.applied"), state="complete" if ds is not None else "error")
    st.session_state["data_last_files"] = files
    st.session_state["data_last_report"] = report
    if ds is not None:
        set_dataset(data_source.on_configured_engine(ds), {"kind": "upload", "files": [f.name for f in files if f.usable]})
        st.session_state["data_flash"] = "data.applied"
        st.rerun()  # the report below survives in session state; the sidebar and link update now

files = st.session_state.get("data_last_files", [])
if files:
    st.subheader(tr("data.report_title"))
    if st.session_state.get("data_flash") == "data.applied":
        st.success(tr(st.session_state.pop("data_flash")))
    problem_report(st.session_state.get("data_last_report") or [])
    for f in files:
        res = f.result
        with st.container(border=True):
            st.markdown(f"**{f.name}** → {tr(f'data.table.{f.table}')}")
            if res is None:
                problem_report(f.read.report)
                continue
            st.caption(tr("data.kept", kept=f"{res.n_clean:,}", total=f"{res.n_input:,}",
                          rejected=f"{len(res.rejected):,}"))
            if len(res.report) == 0:
                st.success(tr("data.clean"))
            problem_report(res.report)
            if len(res.rejected):
                st.download_button(tr("data.download_rejected"), export.to_csv_bytes(res.rejected),
                                   file_name=f"rejected_{f.name.rsplit('.', 1)[0]}.csv", mime="text/csv",
                                   key=f"data_rejected_{f.digest[:10]}")
    if dataset() is not None and st.session_state.get("dataset_source", {}).get("kind") == "upload":
        st.page_link("views/overview.py", label=tr("data.see_overview"), icon=":material/monitoring:")
