"""OpsLab: the router. Access gate, shared sidebar (language, data status), navigation."""

import streamlit as st

from ui import auth, not_found, report_prep, scheduler, state, upload_copies, warmup
from ui.url_state import drop_implausible_params, remember_link
from ui.data_source import ensure_default_data
from ui.sharing import restore_from_url, sync_link
from ui.sidebar import render_sidebar

st.set_page_config(page_title="OpsLab", page_icon=":material/monitoring:", layout="wide")
upload_copies.install()  # a rerun copies no upload's bytes (ui/upload_copies.py)

drop_implausible_params()  # before any widget bound to the URL parses a crafted value
state.init_language()
auth.gate()
remember_link()  # the link's settings survive page switches and uploads
restore_from_url()  # a link or a refresh (F5) naming a stored data set reopens it
ensure_default_data()

HOME = "overview"  # the default page's address: its Page reports url_path "", yet reserves it
pages = [
    st.Page("views/overview.py", title=state.tr("app.nav.overview"), icon=":material/monitoring:",
            url_path=HOME, default=True),
    st.Page("views/lifecycle.py", title=state.tr("app.nav.lifecycle"), icon=":material/groups:",
            url_path="lifecycle"),
    st.Page("views/churn.py", title=state.tr("app.nav.churn"), icon=":material/warning:", url_path="churn"),
    st.Page("views/forecast.py", title=state.tr("app.nav.forecast"), icon=":material/target:",
            url_path="forecast"),
    st.Page("views/funnels.py", title=state.tr("funnels.nav"), icon=":material/filter_alt:", url_path="funnels"),
    st.Page("views/paths.py", title=state.tr("paths.nav"), icon=":material/route:", url_path="paths"),
    st.Page("views/users.py", title=state.tr("users.nav"), icon=":material/person_search:", url_path="users"),
    st.Page("views/segments.py", title=state.tr("segpage.nav"), icon=":material/group:", url_path="segments"),
    st.Page("views/experiments.py", title=state.tr("experiments.nav"), icon=":material/science:",
            url_path="experiments"),
    st.Page("views/targets.py", title=state.tr("targets.title"), icon=":material/flag:",
            url_path="targets"),
    st.Page("views/report.py", title=state.tr("report.title"), icon=":material/description:",
            url_path="report"),
    st.Page("views/subscriptions.py", title=state.tr("subscriptions.nav"), icon=":material/forward_to_inbox:",
            url_path="subscriptions"),
    st.Page("views/data.py", title=state.tr("app.nav.data"), icon=":material/upload_file:", url_path="data"),
    st.Page("views/glossary.py", title=state.tr("app.nav.glossary"), icon=":material/menu_book:",
            url_path="glossary"),
]
# An unknown address (mistyped or old link) opens our translated page instead of Streamlit's
# English "Page not found" dialog (ui/not_found.py).
for address in not_found.unknown_addresses({p.url_path for p in pages} | {HOME}):
    pages.append(st.Page(not_found.PAGE, title=state.tr("app.nav.not_found"), icon=":material/link_off:",
                         url_path=address, visibility="hidden"))
navigation = st.navigation(pages, expanded=True)  # every screen listed: no "View more" hiding Data and the rest
with st.sidebar:
    render_sidebar()
    auth.sign_out_button()
sync_link()
navigation.run()
warmup.start()  # after the first page is drawn: heavy imports load in the background
report_prep.start()  # the Report screen's default report, built while the user looks elsewhere
scheduler.start()  # subscriptions are sent from the server process (OPSLAB_SCHEDULER=off: cron)
