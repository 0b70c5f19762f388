"""Glossary (口径): every metric's definition, formula, grains and caveats, grouped."""

import streamlit as st

from opslab.present import glossary
from opslab.present.i18n import catalog
from ui.state import lang, tr

st.title(tr("glossary.title"))
st.caption(tr("glossary.intro"))

query = st.text_input(tr("glossary.search"), key="gl_search").strip().lower()


def _grains(entry: glossary.GlossaryEntry) -> str:
    if not entry.grains:
        return tr("glossary.no_grain")
    return " · ".join(tr(f"glossary.grain.{g}") for g in entry.grains)


for group, entries in glossary.by_group().items():
    shown = [e for e in entries
             if not query or query in tr(f"glossary.{e.key}.name").lower() or query in e.key]
    if not shown:
        continue
    st.subheader(tr(f"glossary.group.{group}"))
    for e in shown:
        with st.expander(tr(f"glossary.{e.key}.name"), expanded=bool(query)):
            st.write(tr(f"glossary.{e.key}.def"))
            st.caption(tr("glossary.formula"))
            st.code(tr(f"glossary.{e.key}.formula"), language=None, wrap_lines=True)
            st.caption(f"{tr('glossary.grains')}: {_grains(e)}")
            caveat = catalog(lang()).get(f"glossary.{e.key}.caveat")
            if caveat:
                st.info(caveat, icon=":material/info:")
            if e.related:
                st.caption(f"{tr('glossary.related')}: "
                           + " · ".join(tr(f"glossary.{r}.name") for r in e.related))
