"""The data set's saved segments and the one segment every screen is limited to.

Segments are saved from the Overview's filter (rules: "channel is 抖音 or 微信") or from a
funnel's drop-offs (a fixed list of users) and stored with the data set
(:class:`opslab.workspace.segment_store.SegmentStore`, under the data set's key), so a stored
data set opened later, or by a teammate from a link, lists them. A session whose data has no
key (none in practice) keeps them in the session only. The sidebar's picker chooses one (``seg``
in the link, so a shared link opens the same segment on every screen); :func:`ui.widgets.page_start`
then hands every analysis screen the data set of the segment's users only
(:func:`opslab.metrics.segments.apply`) and says so at the top of the page. A link naming a
segment the data set does not hold is said in a fixed sentence: the value is never echoed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from opslab.behaviour import people
from opslab.core.keys import is_content_key, is_dataset_id
from opslab.core.problems import OpsLabError
from opslab.metrics import segments as sg
from opslab.present import formatting as fmt
from opslab.workspace.segment_store import SegmentStore
from ui import workspace
from ui.safe import md
from ui.state import dataset_key, lang, tr, translator
from ui.url_state import url_choice

STORE = "segments"   # session: name -> Segment (only when the data set has no key)
ACTIVE = "seg"       # the chosen segment's name ("" = all users), also in the link
FLASH = "seg_saved_note"
UNKNOWN = "seg_link_unknown"  # the link named a segment this data set does not hold


def _key() -> str | None:
    key = dataset_key()
    return key if is_dataset_id(key) or is_content_key(key) else None


def stored() -> bool:
    """Whether this data set's segments are stored with it (else: this session only)."""
    return _key() is not None


def saved() -> dict[str, sg.Segment]:
    """The data set's segments by name, oldest first."""
    key = _key()
    if key is not None:
        return SegmentStore(workspace.config().data_dir).load(key)
    store = st.session_state.setdefault(STORE, {})
    for name, value in list(store.items()):  # a plain list of ids, as older sessions kept
        if not isinstance(value, sg.Segment):
            store[name] = sg.as_segment(value, name)
    return store


def save(segment: sg.Segment, note: str | None = None) -> None:
    """Store ``segment`` with the data set (a segment of the same name is replaced) and run
    the page again, so the sidebar offers it at once; ``note`` (what was saved) is shown at
    the top of the page. A name that cannot be stored is said, and nothing is saved."""
    key = _key()
    try:
        if key is None:
            st.session_state.setdefault(STORE, {})[segment.name] = segment
        else:
            SegmentStore(workspace.config().data_dir).save(key, segment, by=workspace.viewer() or "")
            workspace.audit("segment_save", dataset=key, kind=segment.kind)
    except OpsLabError as err:
        st.warning(tr(err.code, **{k: md(v) for k, v in err.params.items()}))
        return
    if note:
        st.session_state[FLASH] = note
    st.rerun()


def delete(name: str) -> bool:
    """Remove the segment ``name`` (and stop showing it on every screen); whether it existed."""
    key = _key()
    if key is None:
        gone = st.session_state.setdefault(STORE, {}).pop(name, None) is not None
    else:
        gone = SegmentStore(workspace.config().data_dir).delete(key, name)
        workspace.audit("segment_delete", dataset=key)
    if st.session_state.get(ACTIVE) == name:
        st.session_state[ACTIVE] = ""
    return gone


def picker() -> None:
    """The sidebar's segment choice: all users, or one saved segment."""
    segments = saved()
    wanted = st.query_params.get(ACTIVE)
    if wanted and wanted not in segments:  # said once by the page (never echoed), then dropped
        st.session_state[UNKNOWN] = True
    if not segments:
        return
    t = translator()
    url_choice("selectbox", tr("segments.picker"), ["", *segments], "", ACTIVE,
               format_func=lambda n: t("segments.everyone") if n == "" else n, help=tr("segments.picker_help"))


def active() -> sg.Segment | None:
    """The segment the screens are limited to (None: all users)."""
    name = st.session_state.get(ACTIVE) or ""
    return saved().get(name) if name else None


def flash() -> None:
    """The note a save left for the page it reran, and that the link named a segment this data
    set does not hold (each said once)."""
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH), icon=":material/group_add:")
    if st.session_state.pop(UNKNOWN, False):
        st.warning(tr("segments.not_here"), icon=":material/link_off:")


def scoped(ds):
    """``ds`` limited to the active segment, with a line saying so; ``ds`` itself when no
    segment is chosen. A segment that cannot be applied (none of its users in this data, a
    warehouse source) is said and the page stops: never the whole data shown under its name."""
    flash()
    seg = active()
    if seg is None:
        return ds
    try:
        shown = sg.apply(ds, seg)
    except OpsLabError as err:
        st.warning(tr(err.code, **{k: md(v) for k, v in err.params.items()}))
        st.stop()
    banner(shown)
    return shown


def banner(ds) -> None:
    """The segment a page shows, its size, and what is not split by segment."""
    scope = sg.scope_of(ds)
    if scope is None:
        return
    code = lang()
    text = tr("segments.banner", name=md(scope.name), n=fmt.count(scope.users, code),
              total=fmt.count(scope.total, code), share=fmt.pct(scope.users / scope.total if scope.total else 0))
    if scope.missing:
        text += " " + tr("segments.missing", n=fmt.count(scope.missing, code))
    st.info(text, icon=":material/group:")


#: The members export's columns and their headers (the user lookup's words).
EXPORT_COLUMNS = {"user_id": "segpage.export.user_id", "signup_day": "users.signup",
                  "first_active": "users.first_active", "last_active": "users.last_active",
                  "active_days": "users.active_days", "events": "users.events", "orders": "users.orders",
                  "gmv": "users.gmv", "tier": "users.tier"}


def members_frame(ds, uids, rules, t) -> pd.DataFrame:
    """A segment's members for a spreadsheet: id, attributes, signup, first and last active
    day, active days, events, paid orders and GMV to date (headed with the currency), tier, headers
    and tiers in the language of ``t`` (:func:`ui.state.translator`)."""
    table = people.user_table(ds, uids, ds.end, rules).drop(columns=["uid"])
    table["tier"] = table["tier"].map(lambda x: t(f"lifecycle.tier.{x}") if isinstance(x, str) else "")
    for col in ("signup_day", "first_active", "last_active"):
        table[col] = table[col].dt.date
    return table.rename(columns={c: t(k) for c, k in EXPORT_COLUMNS.items()})
