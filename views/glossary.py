"""Glossary (口径): generated from the metric catalogue (opslab/metrics/catalogue.py): every figure's
name, definition, formula, unit, change style, SQL definition, grains and caveats, grouped."""

import streamlit as st

from opslab.present import glossary
from opslab.core.i18n import catalog
from opslab.metrics import catalogue
from ui.state import lang, tr

st.title(tr("glossary.title"))
st.caption(tr("glossary.intro"))

query = st.text_input(tr("glossary.search"), key="gl_search").strip().lower()


def _grains(entry: catalogue.Metric) -> str:
    if not entry.grains:
        return tr("glossary.no_grain")
    return " · ".join(tr(f"glossary.grain.{g}") for g in entry.grains)


def _facts(entry: catalogue.Metric) -> str:
    """Unit · how a change is written · which direction is good."""
    parts = [tr(f"catalogue.unit.{entry.unit}"), tr(f"catalogue.change.{entry.change}")]
    if entry.up_is_good is not None:
        parts.append(tr("catalogue.up.good" if entry.up_is_good else "catalogue.up.bad"))
    return " · ".join(parts)


def _definition(entry: catalogue.Metric) -> str:
    """The formula in words, then where its one definition lives (a named SQL block)."""
    text = catalogue.formula(entry.key, code)
    if entry.sql:
        text += f"\n-- {tr('catalogue.sql')}: opslab/{entry.sql_file} · {entry.sql} · {entry.expr}"
    elif entry.python:
        text += f"\n-- {tr('catalogue.sql')}: {entry.python} · {entry.expr}"
    return text


code = lang()
for group, entries in catalogue.by_group().items():
    shown = [e for e in entries
             if not query or query in catalogue.name(e.key, code).lower() or query in e.key]
    if not shown:
        continue
    st.subheader(tr(f"glossary.group.{group}"))
    for e in shown:
        with st.expander(catalogue.name(e.key, code), expanded=bool(query)):
            st.write(catalogue.definition(e.key, code))
            st.caption(tr("glossary.formula"))
            st.code(_definition(e), language=None, wrap_lines=True)
            if e.is_kpi:
                st.caption(_facts(e))
            st.caption(f"{tr('glossary.grains')}: {_grains(e)}")
            caveat = catalogue.caveat(e.key, code)
            if caveat:
                st.info(caveat, icon=":material/info:")
            if e.related:
                st.caption(f"{tr('glossary.related')}: "
                           + " · ".join(catalogue.name(r, code) for r in e.related))
