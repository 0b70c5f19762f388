"""The report as one self-contained HTML page: inline CSS, charts as data: PNG, no scripts.

Printed (or saved as PDF from a browser) it is A4 with page numbers (``@page`` margin boxes)
and a cover page; the contents link to each section. Every piece of text is escaped (campaign
names and other data text come from user files). The same blocks give the same page.
"""

from __future__ import annotations

import base64
from html import escape

from opslab.report.charts import to_png

CSS = """body{font-family:"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif;
max-width:960px;margin:2em auto;padding:0 1em;color:#0f172a;line-height:1.6}
h1{font-size:1.6em;border-bottom:2px solid #2563eb;padding-bottom:.2em}
h2{font-size:1.2em;margin-top:1.6em;color:#1e3a8a}.meta{color:#475569;font-style:italic;margin:.2em 0}
nav.toc ol{list-style:none;padding-left:0}nav.toc a{color:#1e3a8a;text-decoration:none}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #cbd5e1;padding:.25em .6em;text-align:right}
th{background:#f1f5f9}td:first-child,th:first-child{text-align:left}
img{max-width:100%;display:block;margin:.6em auto}
@page{size:A4;margin:18mm 16mm 20mm;@bottom-center{content:counter(page) " / " counter(pages);
font-size:9pt;color:#475569}}
@media print{body{max-width:none;margin:0;padding:0;font-size:10.5pt}
nav.toc{break-after:page}h2{break-after:avoid}table,img{break-inside:avoid}
nav.toc a::after{content:leader(".") target-counter(attr(href),page)}}"""


def render_html(blocks, lang: str = "zh", png=None) -> str:
    """A complete HTML document for ``blocks``."""
    body = []
    title = "OpsLab"
    for b in blocks:
        if b.kind == "title":
            title = b.text
            body.append(f"<h1>{escape(b.text)}</h1>")
        elif b.kind == "meta":
            body.append(f'<p class="meta">{escape(b.text)}</p>')
        elif b.kind == "toc":
            links = "".join(f'<li><a href="#{escape(k)}">{escape(text)}</a></li>' for k, text in b.items)
            body.append(f'<nav class="toc"><h2>{escape(b.text)}</h2><ol>{links}</ol></nav>')
        elif b.kind == "h2":
            body.append(f'<h2 id="{escape(b.key)}">{escape(b.text)}</h2>')
        elif b.kind == "p":
            body.append(f"<p>{escape(b.text)}</p>")
        elif b.kind == "bullets":
            body.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in b.items) + "</ul>")
        elif b.kind == "table":
            head = "".join(f"<th>{escape(c)}</th>" for c in b.columns)
            rows = []
            for i, row in enumerate(b.rows):
                color = b.colors[i] if i < len(b.colors) else None
                cells = [f"<td>{escape(c)}</td>" for c in row]
                if color:
                    cells[-1] = f'<td style="color:{escape(color)};font-weight:600">{escape(row[-1])}</td>'
                rows.append("<tr>" + "".join(cells) + "</tr>")
            body.append(f'<table data-key="{escape(b.key)}"><thead><tr>{head}</tr></thead>'
                        f"<tbody>{''.join(rows)}</tbody></table>")
        elif b.kind == "chart":
            image = (png or (lambda blk: to_png(blk.chart)))(b)
            if image:
                data = base64.b64encode(image).decode("ascii")
                body.append(f'<img alt="{escape(b.key)}" src="data:image/png;base64,{data}">')
    return (f'<!DOCTYPE html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>")
