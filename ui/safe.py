"""Data-derived text (event names, variant labels, column names) inside markdown-rendered
elements (messages, captions, metric and widget labels) must stay literal text."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=/])")
#: GFM turns ``http://x``, ``www.x`` and ``a@b.c`` into links *after* escapes are resolved
#: (mdast-util-gfm-autolink-literal runs on the text), so escaping cannot stop it: an invisible
#: WORD JOINER (U+2060) after ``://``, after ``www`` and after ``@`` breaks each pattern.
WJ = "\u2060"
_AUTOLINK = re.compile(r"(?<=://)|(?i:(?<=\bwww)(?=\.))|(?<=@)")


def md(text) -> str:
    """Backslash-escape every markdown-significant character (CommonMark allows it for all ASCII
    punctuation), so ``**x**``, ``[a](b)``, ``$x$`` or ``:red[x]`` show as typed, and break the
    autolink patterns (``https://``, ``www.``, ``a@b``) so no data text becomes a live link.

    >>> print(md("**a** [b](c) :red[d] $e$"))
    \\*\\*a\\*\\* \\[b\\]\\(c\\) \\:red\\[d\\] \\$e\\$
    """
    return _SPECIAL.sub(r"\\\1", _AUTOLINK.sub(WJ, str(text)))


def unlinked(text) -> str:
    """``text`` with the autolink patterns broken (for plain-text elements that still linkify)."""
    return _AUTOLINK.sub(WJ, str(text))
