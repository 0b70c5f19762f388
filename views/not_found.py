"""The page an unknown address opens: a translated sentence and the way back (see
ui/not_found.py). Nothing from the address is shown."""

import streamlit as st

from ui.state import tr

st.title(tr("app.not_found.title"), anchor=False)
st.info(tr("app.not_found.body"), icon=":material/link_off:")
st.page_link("views/overview.py", label=tr("app.not_found.back"), icon=":material/monitoring:")
