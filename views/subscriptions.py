"""Subscriptions: daily digest, weekly (Monday), month-end and quarter-end report to a 飞书 /
钉钉 / 企业微信 robot or e-mail; KPIs, segments and language; the send log. Secrets typed
here go to the server's secrets file and are never shown again (a masked hint only)."""

import os
import sys

import streamlit as st

from opslab.metrics import catalogue
from opslab.report.alerts import DIMENSIONS
from opslab.workspace.delivery import deliver, digest, load_stored, report_message
from opslab.workspace.subscriptions import CADENCES, CHANNELS, Subscription, new_id
from ui import scheduler
from ui.state import dataset, labeller, lang, tr
from ui.workspace import viewer

st.title(tr("subscriptions.title"))
st.caption(tr("subscriptions.intro"))
store = scheduler.subscription_store()
source = st.session_state.get("dataset_source") or {}
ds = dataset()
running = scheduler.start() is not None
st.caption(tr("subscriptions.scheduler.on" if running else "subscriptions.scheduler.off",
              tz=os.environ.get("OPSLAB_TZ", "Asia/Shanghai")))
with st.expander(tr("subscriptions.cron"), icon=":material/schedule:"):
    st.code(f"* * * * * cd {os.getcwd()} && OPSLAB_DATA_DIR={scheduler.data_dir()} "
            f"{sys.executable} -m opslab subscriptions", language="bash")

base_url = scheduler.app_url() or scheduler.page_base_url()
st.caption(tr("subscriptions.link_base", url=base_url) if base_url else tr("subscriptions.link_none"))

KPIS = ("gmv", "paying_users", "new_users", "dau", "orders")
SECRET_INPUTS = ("sub_url", "sub_sign", "sub_password")
if st.session_state.pop("sub_clear", False):  # a saved form's secrets leave the page with it
    for key in SECRET_INPUTS:
        st.session_state.pop(key, None)
saved = st.session_state.pop("sub_saved", None)
if saved:
    st.success(tr("subscriptions.saved", name=saved))
with st.form("sub_new", clear_on_submit=True):
    st.subheader(tr("subscriptions.new"), anchor=False)
    name = st.text_input(tr("subscriptions.name"), max_chars=60)
    c1, c2, c3 = st.columns(3)
    cadence = c1.selectbox(tr("subscriptions.cadence"), CADENCES, format_func=labeller("subscriptions.cadence."))
    hour = c2.number_input(tr("subscriptions.hour"), 0, 23, 9)
    language = c3.selectbox(tr("subscriptions.lang"), ("zh", "en"), format_func=lambda c: {"zh": "中文", "en": "English"}[c])
    channel = st.selectbox(tr("subscriptions.channel"), CHANNELS, format_func=labeller("subscriptions.channel."))
    url = st.text_input(tr("subscriptions.webhook"), type="password", help=tr("subscriptions.webhook_help"),
                        key="sub_url")
    sign = st.text_input(tr("subscriptions.sign_secret"), type="password", key="sub_sign")
    e1, e2, e3 = st.columns(3)
    to = e1.text_input(tr("subscriptions.email_to"))
    host = e2.text_input(tr("subscriptions.smtp_host"))
    port = e3.number_input(tr("subscriptions.smtp_port"), 1, 65535, 587)
    e4, e5, e6 = st.columns(3)
    user = e4.text_input(tr("subscriptions.smtp_user"))
    password = e5.text_input(tr("subscriptions.smtp_password"), type="password", key="sub_password")
    tls = e6.selectbox("TLS", ("starttls", "ssl", "none"))
    offered = KPIS if ds is None or ds.buyers_known else tuple(k for k in KPIS if not catalogue.needs_buyers(k))
    kpis = st.multiselect(tr("subscriptions.kpis"), offered, default=list(offered[:4]),
                          format_func=lambda k: catalogue.name(k, lang()))
    if offered != KPIS:  # no buyer id: customer figures cannot be sent, and the page says why
        st.caption(tr("subscriptions.no_buyers"))
    segments = {}
    if ds is not None:
        for dim, (table, col) in DIMENSIONS.items():
            frame = ds.orders if table == "orders" else ds.users
            if col in frame.columns:
                values = sorted(map(str, frame[col].dropna().unique()))[:200]
                picked = st.multiselect(tr(f"report.dim.{dim}"), values, key=f"sub_seg_{dim}")
                if picked:
                    segments[dim] = picked
    if st.form_submit_button(tr("subscriptions.save"), type="primary"):
        secret = ({"to": to, "host": host, "port": int(port), "user": user, "password": password, "tls": tls,
                   "sender": user or to} if channel == "email" else {"url": url, "secret": sign})
        missing = (not to or not host) if channel == "email" else not url.startswith(("https://", "http://"))
        if missing or not name.strip():
            st.error(tr("subscriptions.missing"))
        else:
            sub = Subscription(id=new_id(), name=name.strip(), cadence=cadence, hour=int(hour), channel=channel,
                               dataset_id=source.get("id", ""), owner=viewer(), kpis=tuple(kpis),
                               segments=segments, lang=language, app_url=base_url or "")
            store.save(sub, secret)
            st.session_state["sub_clear"], st.session_state["sub_saved"] = True, sub.name
            st.rerun()

subs = store.list()
st.subheader(tr("subscriptions.list"), anchor=False)
if not subs:
    st.info(tr("subscriptions.none"))
for sub in subs:
    shown = store.public(sub)  # secrets masked: the page never receives them
    with st.container(border=True):
        st.text(tr("subscriptions.row", name=sub.name, cadence=tr(f"subscriptions.cadence.{sub.cadence}"),
                   hour=sub.hour, channel=tr(f"subscriptions.channel.{sub.channel}"),
                   destination=shown["destination"] or "–", kpis=", ".join(catalogue.name(k, lang()) for k in sub.kpis),
                   dataset=sub.dataset_id[:12] or tr("subscriptions.sample")))
        b1, b2 = st.columns(2)
        if b1.button(tr("subscriptions.send_now"), key=f"sub_send_{sub.id}", icon=":material/send:"):
            with st.spinner(tr("subscriptions.sending")):
                data = load_stored(sub.dataset_id, sub.owner)
                if sub.cadence in ("daily", "weekly"):
                    text, period = digest(data, sub, scheduler.app_url())
                    html = None
                else:
                    text, html, period = report_message(data, sub, scheduler.app_url())
                ok = deliver(store, sub, text, f"manual:{period}", html, retries=1)
            (st.success if ok else st.error)(tr("subscriptions.sent" if ok else "subscriptions.failed"))
        if b2.button(tr("subscriptions.delete"), key=f"sub_del_{sub.id}", icon=":material/delete:"):
            store.delete(sub.id)
            st.rerun()

st.subheader(tr("subscriptions.log"), anchor=False)
log = store.send_log()
if len(log):
    log = log.assign(status=[tr(f"subscriptions.status.{s}") for s in log["status"]])
    st.dataframe(log.rename(columns=lambda c: tr(f"subscriptions.log.{c}")), hide_index=True, width="stretch",
                 key="sub_log")
else:
    st.caption(tr("subscriptions.log_empty"))
