"""Shareable links: settings live in the URL, and the URL names the data set by its stored,
unguessable id (``?ds=``, see ``ui/workspace.py``). Nothing read from the URL is ever echoed
into the page; a link that cannot be opened is reported with a fixed sentence."""

from __future__ import annotations

from ui.workspace import restore_from_url, sync_link

__all__ = ["restore_from_url", "sync_link"]
