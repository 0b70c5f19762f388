"""Ops report: the monthly or quarterly report for a chosen period, in Chinese or English,
shown here and downloadable as .docx and self-contained HTML. Settings in the URL (rp_*)."""

import pandas as pd
import streamlit as st

from opslab.planning.campaign_review import period_totals
from opslab.core.i18n import LANGUAGES
from opslab.report.format import value_text
from opslab.planning.targets import period_of
from opslab.workspace.target_store import TargetStore
from ui import report_prep
from ui.models import shared_result
from ui.safe import md
from ui.state import dataset_key, labeller, lang, rules, tr
from ui.url_state import url_choice
from ui.widgets import page_start

ds = page_start("report")
c1, c2, c3 = st.columns([1, 1, 1])
grain = url_choice("segmented_control", tr("report.grain"), ("quarter", "month"), "quarter", "rp_grain", c1,
                   format_func=labeller("report.grain."))
last = period_of(ds.end, grain)
options = []
p = last
while p.end >= ds.start and len(options) < 12:
    options.append(p.code)
    p = p.prev()
default = report_prep.default_period(ds, grain)
default = default if default in options else last.code
period = url_choice("selectbox", tr("report.period"), options, default, "rp_period", c2)
report_lang = url_choice("segmented_control", tr("report.lang"), LANGUAGES, lang(), "rp_lang", c3,
                         format_func=lambda c: {"zh": "中文", "en": "English"}[c])

targets = TargetStore().load(dataset_key())
st.caption(tr("report.targets_used", n=len(targets)))
lc_rules = rules()  # the rules in force on Lifecycle: the report's tiers and churn watch use them
settings = report_prep.settings_of(period, report_lang, targets, lc_rules)


def _build():
    return report_prep.build(ds, period, report_lang, targets, lc_rules, source=report_prep.session_source())


def _progress(build):
    with st.spinner(tr("report.building")):
        return build()


if report_prep.state(ds, settings) == "running":  # prepared since the data set opened: wait for it
    with st.status(tr("report.preparing"), expanded=False) as box:
        rep = shared_result("report", ds, settings, _build)
        box.update(label=tr("report.ready"), state="complete")
else:
    rep = shared_result("report", ds, settings, _build, _progress)
blocks = rep.document()
name = f"opslab_report_{period}_{report_lang}"
d1, d2 = st.columns(2)
d1.download_button(tr("report.download_docx"), data=lambda: rep.file("docx"), file_name=f"{name}.docx",
                   mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   key="rp_docx", icon=":material/download:", on_click="ignore")
d2.download_button(tr("report.download_html"), data=lambda: rep.file("html"), file_name=f"{name}.html",
                   mime="application/octet-stream", key="rp_html", icon=":material/download:",
                   on_click="ignore")
st.divider()
for b in blocks:  # data text (campaign names ...) is never rendered as markdown
    if b.kind == "title":
        st.header(b.text, anchor=False)
    elif b.kind == "meta":
        st.caption(md(b.text))  # a segment's or data set's name is data text
    elif b.kind == "h2":
        st.subheader(b.text, anchor=False)
    elif b.kind == "p":
        st.text(b.text)
    elif b.kind == "bullets":
        st.text("\n".join(f"• {i}" for i in b.items))
    elif b.kind == "table":
        st.dataframe(pd.DataFrame(b.rows, columns=b.columns), hide_index=True, width="stretch",
                     key=f"rp_{b.key}")
    elif b.kind == "chart":
        st.altair_chart(b.chart, width="stretch")

# -- every quarter's campaigns, for the review's context ----------------------------------------
# (everyone's campaigns: not shown for a segment, whose report says spend is not split)
history = period_totals(ds.campaigns, "quarter") if ds.whole else pd.DataFrame()
if len(history):
    with st.expander(tr("report.history"), icon=":material/campaign:"):
        st.caption(tr("report.history_help"))
        code, currency = lang(), getattr(ds, "currency", "") or ""
        kind = {"spend": "gmv", "revenue": "gmv", "roi": "roi", "cac": "cac", "conversion_rate": "paid_conversion"}
        shown = pd.DataFrame({tr("report.col.period"): history.index})
        for col in history.columns:
            shown[tr(f"report.camp.{col}")] = [value_text(kind.get(col, "new_users"), v, code, currency)
                                               for v in history[col]]
        st.dataframe(shown, hide_index=True, width="stretch", key="rp_history")
