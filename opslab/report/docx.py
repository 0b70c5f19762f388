"""The report as a Word document (python-docx): headings, tables, charts as PNG.

Chinese text gets an East Asian font name on the Normal style, so Word does not fall back to
a font without CJK glyphs.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor

from opslab.report.charts import to_png

EAST_ASIAN_FONT = "Microsoft YaHei"


def _cell_text(cell, text: str, color: str | None = None, bold: bool = False) -> None:
    cell.text = ""
    run = cell.paragraphs[0].add_run(text)
    run.bold = bold
    run.font.size = Pt(9)
    if color:
        run.font.color.rgb = RGBColor.from_string(color.lstrip("#").upper())


def render_docx(blocks, png=None) -> bytes:
    """Bytes of a .docx holding ``blocks`` (from :func:`opslab.report.document.document`)."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    for b in blocks:
        if b.kind == "title":
            doc.add_heading(b.text, level=0)
        elif b.kind == "meta":
            p = doc.add_paragraph(b.text)
            p.runs[0].italic = True
        elif b.kind == "h2":
            doc.add_heading(b.text, level=1)
        elif b.kind == "p":
            doc.add_paragraph(b.text)
        elif b.kind == "bullets":
            for item in b.items:
                doc.add_paragraph(item, style="List Bullet")
        elif b.kind == "table":
            table = doc.add_table(rows=1, cols=len(b.columns))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, b.columns):
                _cell_text(cell, text, bold=True)
            for i, row in enumerate(b.rows):
                cells = table.add_row().cells
                color = b.colors[i] if i < len(b.colors) else None
                for j, (cell, text) in enumerate(zip(cells, row)):
                    _cell_text(cell, text, color if j == len(row) - 1 else None)
            doc.add_paragraph()
        elif b.kind == "chart":
            image = (png or (lambda blk: to_png(blk.chart)))(b)
            if image:
                doc.add_picture(io.BytesIO(image), width=Inches(6.0))
                doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
