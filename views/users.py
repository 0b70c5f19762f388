"""User lookup (用户细查): one user's story — attributes, activity, value, tier month by month,
and their events and orders on one timeline (paged, filterable by event)."""

import pandas as pd
import streamlit as st

import opslab
from opslab.core.problems import OpsLabError
from opslab.lifecycle.tiers import TIERS
from opslab.present import formatting as fmt
from ui.safe import md
from ui.state import lang, tr
from ui.widgets import page_start, require_buyers

ds = page_start("users")
require_buyers()  # customers to follow: without a buyer id, say why and stop
code = lang()
cur = ds.currency
PER_PAGE = 50

user_id = st.text_input(tr("users.search"), key="us_id", help=tr("users.search_help"),
                        bind="query-params").strip()
if not user_id:
    st.info(tr("users.enter"))
    st.stop()

try:
    profile = opslab.user_profile(ds, user_id)
except OpsLabError as err:
    st.warning(tr(err.code, **{k: md(v) for k, v in err.params.items()}))
    st.stop()

s = profile.summary.iloc[0]
tier_label = {t: tr(f"lifecycle.tier.{t}") for t in TIERS}
st.subheader(tr("users.user", user_id=md(user_id)))
a, b, c, d = st.columns(4)
a.metric(tr("users.tier_now"), tier_label.get(s["tier"], tr("users.none")), border=True)
b.metric(tr("users.active_days"), fmt.count(s["active_days"], code), border=True)
c.metric(tr("users.orders"), fmt.count(s["orders"], code), border=True)
d.metric(tr("users.gmv"), fmt.money(s["gmv"], code, exact=True, currency=cur),
         border=True)

attrs = [c for c in profile.summary.columns
         if c not in ("uid", "user_id", "tier", "active_days", "events", "orders", "gmv",
                      "signup_day", "first_active", "last_active")]
rows = [(tr("users.signup"), fmt.date(s["signup_day"]) if pd.notna(s["signup_day"]) else tr("users.none")),
        (tr("users.first_active"), fmt.date(s["first_active"]) if pd.notna(s["first_active"]) else tr("users.none")),
        (tr("users.last_active"), fmt.date(s["last_active"]) if pd.notna(s["last_active"]) else tr("users.none")),
        (tr("users.events"), fmt.count(s["events"], code))]
rows += [(md(col), str(s[col]) if pd.notna(s[col]) else tr("users.none")) for col in attrs]
st.dataframe(pd.DataFrame(rows, columns=[tr("users.field"), tr("users.value")]), hide_index=True, width="stretch")

st.subheader(tr("users.tiers_title"))
tiers = profile.tiers
st.dataframe(pd.DataFrame({tr("users.as_of"): tiers["as_of"].map(fmt.date),
                           tr("users.tier"): tiers["tier"].map(lambda t: tier_label.get(t, t))}),
             hide_index=True, width="stretch")

st.subheader(tr("users.timeline_title"))
counts = profile.event_counts
names = counts["name"].tolist()
f1, f2, f3 = st.columns([3, 1, 1])
chosen = f1.multiselect(tr("users.filter_events"), names, key="us_events",
                        format_func=lambda n: f"{n} ({fmt.integer(profile.event_count(n))})")
with_orders = f2.toggle(tr("users.with_orders"), value=True, key="us_orders")
total = profile.timeline_size(chosen or None, with_orders)  # every order, refunded ones too
pages = max(1, -(-total // PER_PAGE))
page = f3.number_input(tr("users.page", pages=pages), min_value=1, max_value=pages, value=1, key="us_page")
tl = profile.timeline(page=int(page) - 1, per_page=PER_PAGE, events=chosen or None, orders=with_orders)
kind = {"event": tr("users.kind.event"), "order": tr("users.kind.order")}
status = {"paid": tr("users.status.paid"), "refunded": tr("users.status.refunded")}
shown = pd.DataFrame({
    tr("users.time"): tl["t"].map(fmt.timestamp),
    tr("users.kind"): tl["kind"].map(kind),
    tr("users.event"): tl["name"].fillna(""),
    fmt.money_title(tr("users.amount"), cur): tl["amount"],
    tr("users.status"): tl["status"].map(lambda v: status.get(v, "") if isinstance(v, str) else ""),
})
st.dataframe(fmt.table(shown, {fmt.money_title(tr("users.amount"), cur): "money"}, code, cur),
             hide_index=True, width="stretch")
st.caption(tr("users.page_caption", page=int(page), pages=pages, n=fmt.integer(total)))
