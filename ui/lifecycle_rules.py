"""The lifecycle rules in force for this session: what the Lifecycle page's rule widgets hold
(``lc_<field>`` in the session), else what the link carries (``lc_<field>`` in the URL),
else the defaults. Other pages read the rules here instead of assuming the defaults."""

from __future__ import annotations

from dataclasses import fields

import streamlit as st

from opslab.lifecycle import LifecycleRules


def rules_in_force() -> LifecycleRules:
    """:class:`LifecycleRules` from the session, then the URL, then the defaults."""
    defaults = LifecycleRules()
    values = {}
    for f in fields(LifecycleRules):
        default = getattr(defaults, f.name)
        raw = st.session_state.get(f"lc_{f.name}", st.query_params.get(f"lc_{f.name}"))
        try:
            values[f.name] = type(default)(float(raw)) if raw is not None else default
        except (TypeError, ValueError):
            values[f.name] = default
    try:
        return LifecycleRules(**values)
    except ValueError:  # a hand-edited link with impossible values
        return defaults
