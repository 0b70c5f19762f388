"""Data-derived text (event names, variant labels, column names) inside markdown-rendered
elements (messages, captions, metric and widget labels) must stay literal text."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=/])")


def md(text) -> str:
    """Backslash-escape every markdown-significant character (CommonMark allows it for all ASCII
    punctuation), so ``**x**``, ``[a](b)``, ``$x$`` or ``:red[x]`` show as typed.

    >>> print(md("**a** [b](c) :red[d] $e$"))
    \\*\\*a\\*\\* \\[b\\]\\(c\\) \\:red\\[d\\] \\$e\\$
    """
    return _SPECIAL.sub(r"\\\1", str(text))
