"""One piece of the report's layout: the screen, the .docx and the HTML all draw these."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Block:
    """kind: title, meta, toc, h2, p, bullets, table or chart."""

    kind: str
    text: str = ""
    columns: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    colors: list = field(default_factory=list)   # per row: colour of the last cell or None
    items: list = field(default_factory=list)
    chart: object = None
    key: str = ""                                 # a stable name (tests, the screen, anchors)
