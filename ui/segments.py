"""The session's saved segments and the one segment every screen is limited to.

Segments are saved from the Overview's filter (rules: "channel is 抖音 or 微信") or from a
funnel's drop-offs (a fixed list of users) and kept in the session (``segments``: name ->
:class:`opslab.metrics.segments.Segment`). The sidebar's picker chooses one (``seg`` in the
link); :func:`ui.widgets.page_start` then hands every analysis screen the data set of the
segment's users only (:func:`opslab.metrics.segments.apply`) and says so at the top of the page.
"""

from __future__ import annotations

import streamlit as st

from opslab.core.problems import OpsLabError
from opslab.metrics import segments as sg
from opslab.present import formatting as fmt
from ui.safe import md
from ui.state import lang, tr, translator
from ui.url_state import url_choice

STORE = "segments"   # session: name -> Segment
ACTIVE = "seg"       # the chosen segment's name ("" = all users), also in the link


def saved() -> dict[str, sg.Segment]:
    """The session's segments by name (a plain list of ids, as older sessions kept, is read as
    a fixed-list segment)."""
    store = st.session_state.setdefault(STORE, {})
    for name, value in list(store.items()):
        if not isinstance(value, sg.Segment):
            store[name] = sg.as_segment(value, name)
    return store


FLASH = "seg_saved_note"


def save(segment: sg.Segment, note: str | None = None) -> None:
    """Keep ``segment`` (a segment of the same name is replaced) and run the page again, so the
    sidebar offers it at once; ``note`` (what was saved) is shown at the top of the page."""
    saved()[segment.name] = segment
    if note:
        st.session_state[FLASH] = note
    st.rerun()


def picker() -> None:
    """The sidebar's segment choice: all users, or one saved segment."""
    segments = saved()
    if not segments:
        return
    t = translator()
    url_choice("selectbox", tr("segments.picker"), ["", *segments], "", ACTIVE,
               format_func=lambda n: t("segments.everyone") if n == "" else n, help=tr("segments.picker_help"))


def active() -> sg.Segment | None:
    """The segment the screens are limited to (None: all users)."""
    name = st.session_state.get(ACTIVE) or ""
    return saved().get(name) if name else None


def scoped(ds):
    """``ds`` limited to the active segment, with a line saying so; ``ds`` itself when no
    segment is chosen. A segment that cannot be applied (none of its users in this data, a
    warehouse source) is said and the page stops: never the whole data shown under its name."""
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH), icon=":material/group_add:")
    seg = active()
    if seg is None:
        wanted = st.query_params.get(ACTIVE) or st.session_state.get(ACTIVE) or ""
        if wanted and wanted not in saved():  # a link from another session: said, not ignored
            st.warning(tr("segments.not_here", name=md(wanted)))
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
