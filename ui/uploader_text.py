"""The file uploader's own words in the reader's language.

Streamlit draws the uploader's button ("Upload") and its limit line ("200MB per file • CSV")
in English whatever the page's language, and offers no parameter for them. This CSS hides
those texts and shows catalog texts in their place (``data.uploader_button`` and
``data.uploader_limit``). The texts come from the catalog, never from data, and are still
escaped for a CSS string.
"""

from __future__ import annotations

import streamlit as st


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: backslashes, quotes, newlines and ``<`` (which could
    close the style element) escaped as CSS hex escapes.

    >>> css_string('a"b<c')
    '"a\\\\22 b\\\\3C c"'
    """
    out = []
    for ch in str(text):
        out.append(f"\\{ord(ch):X} " if ch in '\\"<>\n\r' or ord(ch) < 32 else ch)
    return '"' + "".join(out) + '"'


def uploader_css(button: str, limit: str) -> str:
    """The style element that replaces the uploader's button text and limit line."""
    return (
        "<style>"
        '[data-testid="stFileUploaderDropzoneInstructions"] * {font-size: 0 !important;}'
        '[data-testid="stFileUploaderDropzoneInstructions"] > div::after '
        f"{{content: {css_string(limit)}; font-size: 0.875rem; opacity: 0.7;}}"
        '[data-testid="stFileUploaderDropzone"] button, [data-testid="stFileUploaderDropzone"] button * '
        "{font-size: 0 !important;}"
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stIconMaterial"] {font-size: 1.125rem !important;}'
        '[data-testid="stFileUploaderDropzone"] button::after '
        f"{{content: {css_string(button)}; font-size: 0.875rem;}}"
        "</style>"
    )


def localise_uploader(button: str, limit: str) -> None:
    """Apply :func:`uploader_css` on this page (before or after the uploader)."""
    st.html(uploader_css(button, limit))


def upload_limit_text() -> str:
    """The server's upload limit as people write it: "1 GB", "200 MB"."""
    mb = int(st.get_option("server.maxUploadSize"))
    return f"{mb // 1024:,} GB" if mb >= 1024 and mb % 1024 == 0 else f"{mb:,} MB"
