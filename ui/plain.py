"""Text from a file, a column header or a URL, made safe for places Streamlit renders as
markdown (labels, captions, messages): every markdown and HTML character is backslash-escaped,
so a name such as ``[sign in](https://evil)`` or ``<img src=x>`` shows exactly as typed.

>>> md_escape("[a](http://x) *b* <img> :red[c]")
'\\\\[a\\\\]\\\\(http\\\\://x\\\\) \\\\*b\\\\* \\\\<img\\\\> \\\\:red\\\\[c\\\\]'
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=\"'^@%])")


def md_escape(text) -> str:
    """``text`` as one line with every markdown/HTML-significant character escaped."""
    one_line = " ".join(str(text).split())
    return _SPECIAL.sub(r"\\\1", one_line)
