"""Reusable page pieces: KPI cards and the problem report."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from opslab.present import export
from opslab.present import formatting as fmt
from opslab.present import messages
from opslab.core.i18n import catalog
from opslab.core.problems import ERROR, WARNING, Report
from opslab.metrics import catalogue
from ui.data_source import load_sample
from ui.plain import md_escape
from ui import segments, workspace
from ui.state import currency, dataset, dataset_key, lang, pinned_language, tr


def format_kpi(name: str, value: float) -> str:
    """A KPI value in its catalogue unit (money with the data set's currency, rates in %);
    money figures of a data set without amounts are absent, never 0."""
    if catalogue.unit(name) == "money" and not getattr(dataset(), "has_amounts", True):
        return tr("overview.no_amounts")
    if no_buyer_figure(name):
        return tr("overview.no_buyers")
    return fmt.kpi_value(name, value, lang(), currency())


def buyers_known() -> bool:
    """Whether the session's data set identifies its buyers (False: an order report without
    a buyer id; customer figures are then absent, never counted from anonymous orders)."""
    return bool(getattr(dataset(), "buyers_known", True))


def no_buyer_figure(name: str) -> bool:
    """A figure that counts people, on a data set that names no buyer: shown as "no buyer id
    in this data"."""
    return not buyers_known() and name in catalogue.KPIS + tuple(catalogue.ALIASES) and catalogue.needs_buyers(name)


def require_buyers() -> None:
    """On a page that follows customers (tiers, churn, CLV, users): when the data set names no
    buyer, say why the page cannot be shown, and stop."""
    if not buyers_known():
        st.info(tr("app.no_buyers_page"))
        st.stop()


def _help(name: str, **params) -> str:
    """A card's tooltip: the catalogue's 口径 and formula, and where the glossary is."""
    code = lang()
    return (catalogue.definition(name, code, **params) + "\n\n"
            + (catalogue.formula(name, code, **params) or "") + "\n\n" + tr("glossary.see"))


def kpi_grid(cards: pd.DataFrame, history: pd.DataFrame, conversion_days: int, per_row: int = 5) -> None:
    """One st.metric per KPI: value, 环比 as the delta, 同比 underneath, a sparkline of history."""
    names = list(cards.index)
    for start in range(0, len(names), per_row):
        cols = st.columns(per_row)
        for col, name in zip(cols, names[start:start + per_row]):
            row = cards.loc[name]
            pop = row["pop_change"]  # in the catalogue's change style (百分点 for rates)
            spark = history[name].dropna().tail(12).tolist() if name in history else None
            with col:
                st.metric(
                    catalogue.name(name, lang()), format_kpi(name, row["value"]),
                    delta=None if math.isnan(pop) else fmt.kpi_change(pop, name, lang()),
                    delta_description=tr("metrics.pop"),
                    delta_color="normal" if catalogue.up_is_good(name) is not False else "inverse",
                    help=_help(name, days=conversion_days),
                    border=True, chart_data=spark or None, chart_type="area",
                )
                yoy = row["yoy_change"]
                st.caption(tr("overview.yoy_none") if math.isnan(yoy)
                           else tr("overview.yoy_line", change=fmt.kpi_change(yoy, name, lang())))


def format_lead(name: str, value: float) -> str:
    """A lead card's value in the one number style: CAC in money, ROI as 1:x, rates in %."""
    if no_buyer_figure(name):
        return tr("overview.no_buyers")
    return fmt.kpi_value(name, value, lang(), currency())


def lead_grid(cards: pd.DataFrame, per_row: int = 4, whole: bool = True) -> None:
    """The cards leads set targets on (:func:`opslab.metrics.lead_kpis.lead_cards`); a card without a
    basis says why under its "–". ``whole`` False (a segment or a filter): CAC is not given
    and ROI is the users' own GMV on the campaigns' days, each card says so."""
    names = list(cards.index)
    for start in range(0, len(names), per_row):
        cols = st.columns(per_row)
        for col, name in zip(cols, names[start:start + per_row]):
            row = cards.loc[name]
            with col:
                st.metric(catalogue.name(name, lang()), format_lead(name, row["value"]), help=_help(name),
                          border=True)
                base = int(row["base"])
                if no_buyer_figure(name):
                    note = ""
                elif name == "cac" and not whole and base:
                    note = tr("segments.cac_none")
                elif name == "roi" and not whole and base:
                    note = tr("segments.roi_note", n=f"{base:,}")
                elif name in ("cac", "roi"):
                    note = tr("overview.lead.base_campaigns", n=f"{base:,}") if base else tr("overview.lead.no_campaigns")
                elif name == "peak_dau":
                    note = tr("overview.lead.peak_day", day=fmt.date(row["day"])) if base else ""
                else:
                    note = tr("overview.lead.base_users", n=f"{base:,}") if base else \
                        tr("overview.lead.no_base", k=name[1])
                if note:
                    st.caption(note)


#: A Problem's params that are money (numbers in the data set's currency), besides amount_*.
MONEY_PARAMS = ("amount", "gross", "refunds", "net", "moved")


def problem_params(p, money_in: str | None = None) -> dict:
    """A Problem's params ready for its text: amounts in the data set's currency, codes
    (date order, table, rejection reasons) translated."""
    params = {"column": p.column or "", "count": f"{p.count:,}", **p.params}  # a Problem's own params win
    for key in [k for k in params if k in MONEY_PARAMS or k.startswith("amount")]:  # amount_payments, ...
        if isinstance(params[key], (int, float)):
            params[key] = fmt.money(params[key], lang(), exact=True, currency=money_in or currency())
    if params.get("order") in ("day_first", "month_first"):
        params["order"] = tr(f"decide.order.{params['order']}")
    if params.get("table") in ("events", "orders", "users", "campaigns"):
        params["table"] = tr(f"data.table.{params['table']}")
    if "reason_codes" in params:
        params["reasons"] = tr("data.reason_sep").join(
            f"{reason_label(code)} ({k:,})" for code, k in params.pop("reason_codes"))
    return messages.numbers(p.code, params, lang(), money_in or currency())


def reason_label(code: str) -> str:
    """``validate.bad_date`` -> "unreadable date" in the reader's language."""
    return tr("validate.reason." + str(code).split(".", 1)[-1].removesuffix("_kept"))


def problem_report(report, money_in: str | None = None) -> None:
    """Each problem as a message naming the column, the count and up to five example rows
    (amounts in ``money_in``, default the data set's currency)."""
    for p in report:
        params = {k: md_escape(v) if isinstance(v, str) else v for k, v in problem_params(p, money_in).items()}
        text = tr(p.code, **params)
        if p.column and "{column}" not in _raw(p.code):
            text = f"**{md_escape(p.column)}** · {text}"
        if p.count and "{count}" not in _raw(p.code):
            text += f" ({p.count:,})"
        box = st.error if p.severity == ERROR else st.warning if p.severity == WARNING else st.info
        box(text)
        if p.examples:
            ex = pd.DataFrame(list(p.examples), columns=[tr("data.example_row"), tr("data.example_value")])
            ex[tr("data.example_value")] = ex[tr("data.example_value")].astype(str)
            st.dataframe(fmt.table(ex, lang=lang()), hide_index=True, width="content")


def _raw(code: str) -> str:
    return catalog(lang()).get(code, "")


def empty_state() -> None:
    """What a page shows before any data is loaded: a way forward, not a blank screen."""
    st.info(tr("app.no_data"))
    if st.button(tr("app.load_sample"), key="empty_load_sample", type="primary"):
        load_sample()
        st.rerun()
    st.page_link("views/data.py", label=tr("app.go_data"), icon=":material/upload_file:")


def sample_banner() -> None:
    """On the built-in sample, say so and point to the Data page, so nobody mistakes the
    fictional figures for their own."""
    if st.session_state.get("dataset_source", {}).get("kind", "sample") != "sample":
        return
    with st.container(border=True, key="sample_banner"):
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"**{tr('app.sample_banner')}**")
        right.page_link("views/data.py", label=tr("app.sample_banner_button"), icon=":material/upload_file:")


def page_start(namespace: str, scoped: bool = True):
    """Title and one-line intro of an analysis page, the sample banner; the session's Dataset
    limited to the segment chosen in the sidebar (:func:`ui.segments.scoped`, said at the top;
    ``scoped=False``: all users, for the page that compares segments with everyone), or the
    empty state and a stop when there is nothing to analyse."""
    st.title(tr(f"{namespace}.title"))
    st.caption(tr(f"{namespace}.intro"))
    ds = dataset()
    if ds is None or ds.n_users == 0:
        empty_state()
        st.stop()
    sample_banner()
    if not scoped:
        segments.flash()
        return ds
    return segments.scoped(ds)


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 1_000_000  # Excel's sheet limit is 1,048,576 rows


def export_buttons(make_frame, name: str, key: str, n_rows: int, csv_label: str, xlsx_label: str) -> None:
    """CSV (utf-8-sig) and .xlsx downloads, both formula-safe, built only when clicked.

    The frame is built at click time in the language the reader had when the buttons were
    drawn (``pinned_language``; the deferred callback cannot rely on the session's state), and
    each download is written to the audit log. The CSV goes out as
    ``application/octet-stream``: a deferred ``text/csv`` download is shown inline by Chromium
    instead of being saved.
    """
    code, who, client, data_id = lang(), workspace.viewer(), workspace.client(), dataset_key()
    log = workspace.AuditLog(workspace.config().data_dir / "audit.log")

    def build(writer, ext):
        def make():
            with pinned_language(code):  # rounded as the screen shows it; yes/no, not True/False
                data = writer(fmt.for_export(make_frame(), tr("app.yes"), tr("app.no")))
            log.record("download", user=who, client=client, dataset=data_id, file=f"{name}.{ext}")
            return data
        return make

    left, right = st.columns(2)
    left.download_button(csv_label, data=build(export.to_csv_bytes, "csv"), file_name=f"{name}.csv",
                         mime="application/octet-stream", key=f"{key}_csv", icon=":material/download:",
                         disabled=n_rows == 0, on_click="ignore")
    right.download_button(xlsx_label, data=build(export.to_xlsx_bytes, "xlsx"), file_name=f"{name}.xlsx",
                          mime=XLSX_MIME, key=f"{key}_xlsx", icon=":material/download:",
                          disabled=n_rows == 0 or n_rows > XLSX_MAX_ROWS, on_click="ignore")
