"""OpsLab: the router. Shared sidebar (language, data status) and navigation over pages/."""

import streamlit as st

from ui import state
from ui.data_source import ensure_default_data
from ui.sidebar import render_sidebar

st.set_page_config(page_title="OpsLab", page_icon="📊", layout="wide")

state.init_language()
ensure_default_data()

pages = [
    st.Page("pages/overview.py", title=state.tr("app.nav.overview"), icon="📈", url_path="overview", default=True),
    st.Page("pages/lifecycle.py", title=state.tr("app.nav.lifecycle"), icon="🧭", url_path="lifecycle"),
    st.Page("pages/data.py", title=state.tr("app.nav.data"), icon="📂", url_path="data"),
]
navigation = st.navigation(pages)
render_sidebar()
navigation.run()
