"""Text from a file, a column header or a URL, made safe for places Streamlit renders as
markdown (labels, captions, messages): every markdown and HTML character is backslash-escaped,
so a name such as ``[sign in](https://evil)`` or ``<img src=x>`` shows exactly as typed.

Escaping alone is not enough: Streamlit's markdown (GitHub flavour) turns any ``https://...``,
``www.`` or ``name@host`` in plain text into a link *after* unescaping. A zero-width space
(U+200B, invisible) after ``://`` and ``www`` and before ``@`` keeps such text from becoming a
link; the text reads the same.

>>> md_escape("[a](http://x) *b* <img> :red[c]")
'\\\\[a\\\\]\\\\(http\\\\:\\u200b//x\\\\) \\\\*b\\\\* \\\\<img\\\\> \\\\:red\\\\[c\\\\]'
>>> "\\u200b" in md_escape("www.evil.example"), "\\u200b" in md_escape("li@evil.example")
(True, True)
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=\"'^%])")
_AUTOLINK = re.compile(r"(://)|(www)|(@)", re.IGNORECASE)


def md_escape(text) -> str:
    """``text`` as one line with every markdown/HTML-significant character escaped and no
    automatic links."""
    one_line = " ".join(str(text).split())
    unlinked = _AUTOLINK.sub(lambda m: (f":{ZWSP}//" if m.group(1) else f"{m.group(2)}{ZWSP}" if m.group(2)
                                        else f"{ZWSP}@"), one_line)
    return _SPECIAL.sub(r"\\\1", unlinked)
