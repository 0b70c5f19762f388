"""Streamlit glue shared by the pages: session state, translation, reusable widgets.

Everything here is thin; analyses live in :mod:`opslab`.
"""
