"""OpsLab: the router. Access gate, shared sidebar (language, data status), navigation."""

import streamlit as st

from ui import auth, state, warmup
from ui.data_source import ensure_default_data
from ui.sharing import sync_fingerprint
from ui.sidebar import render_sidebar

st.set_page_config(page_title="OpsLab", page_icon=":material/monitoring:", layout="wide")

state.init_language()
auth.gate()
ensure_default_data()

pages = [
    st.Page("views/overview.py", title=state.tr("app.nav.overview"), icon=":material/monitoring:",
            url_path="overview", default=True),
    st.Page("views/lifecycle.py", title=state.tr("app.nav.lifecycle"), icon=":material/groups:",
            url_path="lifecycle"),
    st.Page("views/churn.py", title=state.tr("app.nav.churn"), icon=":material/warning:", url_path="churn"),
    st.Page("views/forecast.py", title=state.tr("app.nav.forecast"), icon=":material/target:",
            url_path="forecast"),
    st.Page("views/data.py", title=state.tr("app.nav.data"), icon=":material/upload_file:", url_path="data"),
]
navigation = st.navigation(pages)
with st.sidebar:
    render_sidebar()
    auth.sign_out_button()
sync_fingerprint(state.dataset())
navigation.run()
warmup.start()  # after the first page is drawn: heavy imports load in the background
