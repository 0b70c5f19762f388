"""Data page pieces: the upload's decisions with their switches, per-file reconciliation, and
downloads of set-aside rows in the reader's language."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from opslab.present import export
from opslab.present import formatting as fmt
from opslab.ingest.choices import CURRENCIES, LINE_ACTIONS, REFUND_ACTIONS, ROW_ACTIONS, Choices
from opslab.ingest.validate import PARTS
from ui.state import lang, tr
from ui.widgets import problem_report, reason_label

AUTO = "auto"
ZONES = (AUTO, "UTC", "+08:00", "Asia/Shanghai", "Asia/Tokyo", "Europe/London", "Europe/Paris",
         "America/New_York", "America/Los_Angeles", "America/Sao_Paulo")
CHOICE_KEYS = {"day_first": "data_day_first", "tz": "data_tz", "duplicates": "data_duplicates",
               "placeholders": "data_placeholders", "currency": "data_currency", "lines": "data_lines",
               "refunds": "data_refunds", "rows": "data_rows"}


def current_choices() -> Choices:
    """The upload's choices as the switches stand (``auto`` = decide from the data)."""
    ss = st.session_state
    day_first = {"day_first": True, "month_first": False}.get(ss.get(CHOICE_KEYS["day_first"], AUTO))
    tz = ss.get(CHOICE_KEYS["tz"], AUTO)
    currency = ss.get(CHOICE_KEYS["currency"], AUTO)
    return Choices(day_first=day_first, tz=None if tz == AUTO else tz,
                   duplicates=ss.get(CHOICE_KEYS["duplicates"], AUTO),
                   placeholders=ss.get(CHOICE_KEYS["placeholders"], "drop"),
                   currency=None if currency == AUTO else currency,
                   lines=ss.get(CHOICE_KEYS["lines"], AUTO), refunds=ss.get(CHOICE_KEYS["refunds"], "net"),
                   rows=ss.get(CHOICE_KEYS["rows"], AUTO))


def decision_switches(decisions, needs_currency: bool = True) -> bool:
    """The switches, each with what was decided automatically, then the decision notes.

    When the files hold amounts and nothing in them names the currency, the currency is a
    required choice (no default, the likeliest first); returns False until it is made. When an
    events file has no event name, what its rows are (activity or purchases) comes first, with
    its evidence and the orders each reading gives."""
    c = decisions.choices
    auto = tr("data.choice.auto")
    order = tr("decide.order." + ("day_first" if c.day_first else "month_first"))
    labels = {  # computed now: Streamlit may call format_func outside this run
        "day_first": {AUTO: f"{auto}: {order}", "day_first": tr("decide.order.day_first"),
                      "month_first": tr("decide.order.month_first")},
        "tz": {AUTO: f"{auto}: {c.tz or tr('data.choice.tz_wall')}", **{z: z for z in ZONES[1:]}},
        "duplicates": {v: tr(f"data.choice.duplicates.{v}") for v in ("auto", "keep", "drop")},
        "placeholders": {v: tr(f"data.choice.placeholders.{v}") for v in ("drop", "keep")},
        "currency": {AUTO: f"{auto}: {c.currency or tr('data.choice.currency_none')}",
                     **{v: _currency_label(v) for v in (*decisions.currency_options, *CURRENCIES)}},
        "lines": {v: tr(f"data.choice.lines.{v}") for v in LINE_ACTIONS},
        "refunds": {v: tr(f"data.choice.refunds.{v}") for v in REFUND_ACTIONS},
        "rows": {AUTO: f"{auto}: {tr('data.choice.rows.' + (decisions.rows or {}).get('auto', 'activity'))}",
                 **{v: tr(f"data.choice.rows.{v}") for v in ROW_ACTIONS[1:]}},
    }
    notes = decisions.notes()
    if decisions.rows:  # prominent: the figures of the whole upload turn on it
        st.selectbox(tr("data.choice.rows"), tuple(labels["rows"]), key=CHOICE_KEYS["rows"],
                     format_func=labels["rows"].get, on_change=_reapply_if_loaded)
        problem_report([p for p in notes if p.code.startswith("decide.rows.")])
        notes = [p for p in notes if not p.code.startswith("decide.rows.")]
    ask = needs_currency and c.currency is None  # nothing names it: the user must say
    grid = st.columns(3)
    for i, name in enumerate(("day_first", "tz", "currency", "duplicates", "placeholders", "lines", "refunds")):
        if name == "currency" and ask:
            options = tuple(dict.fromkeys(decisions.currency_options))  # most likely first, no default
            grid[i % 3].selectbox(tr("data.choice.currency_required"), options, index=None,
                                  key=CHOICE_KEYS[name] + "_required", format_func=labels[name].get,
                                  placeholder=tr("data.choice.currency_placeholder"), on_change=_currency_chosen)
            continue
        grid[i % 3].selectbox(tr(f"data.choice.{name}"), tuple(labels[name]), key=CHOICE_KEYS[name],
                      format_func=labels[name].get, on_change=_reapply_if_loaded)
    problem_report(notes)
    return not ask


def _currency_label(code: str) -> str:
    sym = fmt.symbol(code).strip()
    return f"{code} {sym}" if sym and sym != code else code


def _currency_chosen() -> None:
    """The required currency choice made: it becomes the currency switch's value."""
    chosen = st.session_state.get(CHOICE_KEYS["currency"] + "_required")
    if chosen:
        st.session_state[CHOICE_KEYS["currency"]] = chosen
        _reapply_if_loaded()


def _reapply_if_loaded() -> None:
    """After a load, changing a switch checks the files again at once (one click)."""
    if st.session_state.get("data_last_files"):
        st.session_state["data_reapply"] = True


def _set_choice(name: str, value: str) -> None:
    st.session_state[CHOICE_KEYS[name]] = value
    st.session_state["data_reapply"] = True


def reconciliation(res, currency: str, read=None) -> None:
    """rows in = kept + rejected + dropped, each with its amount, as a small table; and, when
    the file's lines are not its rows (quoted cells spanning lines), how the lines add up."""
    table = res.reconciliation()
    show = pd.DataFrame({
        tr("validate.col.part"): [tr(f"data.part.{p}") for p in PARTS],
        tr("data.col.rows"): [f"{int(n):,}" for n in table["rows"]],
    })
    if res.amount_field is not None:
        show[tr("data.col.amount")] = [fmt.money(v, lang(), exact=True, currency=currency) for v in table["amount"]]
    if res.money_parts:  # orders: the sales, the refunds and what is left of them
        for name in ("gross", "refunds", "net"):
            show[tr(f"data.col.{name}")] = [fmt.money(v, lang(), exact=True, currency=currency)
                                            for v in table[name]]
    st.dataframe(show, hide_index=True, width="content")
    st.caption(tr("data.kept", kept=f"{res.n_clean:,}", total=f"{res.n_input:,}",
                  rejected=f"{res.n_rejected:,}", dropped=f"{res.n_dropped:,}"))
    lines = res.set_aside.get("lines")
    if lines and lines["rule"] == "sum":
        st.caption(tr("data.lines_summed", lines=f"{res.n_clean:,}", orders=f"{len(res.clean):,}"))
    note = lines_note(read, res.n_input)
    if note:
        st.caption(note)


def lines_note(read, n_rows: int) -> str | None:
    """'500 lines in the file = 1 header + 3 rows, 2 of which span 496 more lines ...', when
    the file's physical lines differ from its rows plus header."""
    if read is None or getattr(read, "n_lines", None) is None:
        return None
    header = 1 if read.has_header else 0
    if read.n_lines == n_rows + header:
        return None
    other = read.n_lines - header - n_rows - read.n_spanned_lines  # blank lines, Excel's sep= line
    return tr("data.lines", lines=f"{read.n_lines:,}", header=header, rows=f"{n_rows:,}",
              spanning=f"{read.n_spanning:,}", extra=f"{read.n_spanned_lines:,}", other=f"{max(other, 0):,}")


def set_aside_switches(res, currency: str, key: str) -> None:
    """One click flips a choice that set rows aside or kept them (re-applies the upload)."""
    for name, info in res.set_aside.items():
        if name == "lines":  # order lines: summed or read as the same order again
            other = "first" if info["rule"] == "sum" else "sum"
            st.caption(tr(f"data.set_aside.lines.{info['rule']}", n=f"{info['n']:,}",
                          orders=f"{info['n_orders']:,}", rows=f"{info['n_rows']:,}",
                          amount=fmt.money(info["amount"], lang(), exact=True, currency=currency)))
            st.button(tr(f"data.switch.lines.{other}"), key=f"data_switch_lines_{key}", on_click=_set_choice,
                      args=("lines", other))
            continue
        choice = "placeholders" if name == "placeholders" else "duplicates"
        amount = fmt.money(info["amount"], lang(), exact=True, currency=currency)
        state = "dropped" if info["dropped"] else "kept"
        label_key = f"data.switch.{name}.{'keep' if info['dropped'] else 'drop'}"
        st.caption(tr(f"data.set_aside.{name}.{state}", n=f"{info['n']:,}", amount=amount))
        st.button(tr(label_key), key=f"data_switch_{name}_{key}", on_click=_set_choice,
                  args=(choice, "keep" if info["dropped"] else "drop"))


def translated_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rejected or dropped rows with the row number and reason columns in the reader's language
    (each reason translated once, not once per row: a file exported twice sets aside millions)."""
    out = frame.copy(deep=False)
    reasons = pd.Series(frame["reason"], dtype="category")
    out["reason"] = reasons.cat.rename_categories({c: reason_label(c) for c in reasons.cat.categories})
    cols = ["row", "reason"] + [c for c in out.columns if c not in ("row", "reason")]
    return out[cols].rename(columns={"row": tr("validate.col.row"), "reason": tr("validate.col.reason")})


#: Up to this many rows the CSV is written with the page; above, on a first click (a file
#: exported twice sets aside millions of rows, a CSV of hundreds of MB).
EAGER_ROWS = 100_000


def rows_download(frame: pd.DataFrame, kind: str, file_name: str, key: str) -> None:
    """The rows as a CSV in the reader's language. A big set is written only after a first
    click ("prepare"), once: kept with these very rows for the session's later page runs."""
    if not len(frame):
        return
    n = f"{len(frame):,}"
    ready_key = f"data_{kind}_csv_{key}"
    if len(frame) <= EAGER_ROWS:
        data = export.to_csv_bytes(translated_rows(frame))
    else:
        ready = st.session_state.get(ready_key)
        if ready is None or ready[0] is not frame:  # not asked for, or the rows changed since
            st.button(tr(f"data.prepare_{kind}", n=n), key=f"data_{kind}_prepare_{key}",
                      on_click=_prepare, args=(ready_key, frame))
            return
        data = ready[1]
    st.download_button(tr(f"data.download_{kind}", n=n), data,
                       file_name=f"{kind}_{file_name.rsplit('.', 1)[0]}.csv", mime="text/csv",
                       key=f"data_{kind}_{key}")


def _prepare(ready_key: str, frame: pd.DataFrame) -> None:
    st.session_state[ready_key] = (frame, export.to_csv_bytes(translated_rows(frame)))
