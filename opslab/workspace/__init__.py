"""The hosted team workspace: stored data sets, their keys, sign-in tokens, rate limits, audit.

Pure Python (no Streamlit); ``ui/workspace.py`` and ``ui/auth.py`` are the Streamlit glue and
``serve.py`` the ASGI entry point that guards every HTTP route.
"""
