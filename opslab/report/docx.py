"""The report as a Word document (python-docx): A4 pages, a contents field, page numbers in
the footer, headings, tables, charts as PNG.

Chinese text gets an East Asian font name on the Normal style, so Word does not fall back to
a font without CJK glyphs. The same blocks give the same file apart from its creation time:
the package's parts are written in a fixed order with fixed zip timestamps.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Mm, Pt, RGBColor

from opslab.report.charts import to_png

EAST_ASIAN_FONT = "Microsoft YaHei"
#: A4, 20 mm margins (ISO 216).
PAGE_MM = (210, 297)
MARGIN_MM = 20
ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def _cell_text(cell, text: str, color: str | None = None, bold: bool = False) -> None:
    cell.text = ""
    run = cell.paragraphs[0].add_run(text)
    run.bold = bold
    run.font.size = Pt(9)
    if color:
        run.font.color.rgb = RGBColor.from_string(color.lstrip("#").upper())


def _field(paragraph, instruction: str, shown: str = "") -> None:
    """A Word field (PAGE, TOC …) with ``shown`` as its current result."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
        run._r.append(el)
    if shown:
        paragraph.add_run(shown)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def _page_setup(doc) -> None:
    for section in doc.sections:
        section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
        section.left_margin = section.right_margin = Mm(MARGIN_MM)
        section.top_margin = section.bottom_margin = Mm(MARGIN_MM)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _field(footer, "PAGE", "1")
    # ask Word to refresh the contents and page fields when the file opens
    settings = doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)


def _stable_zip(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            z = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            z.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(z, src.read(info.filename))
    return out.getvalue()


def render_docx(blocks, png=None, created: dt.datetime | None = None) -> bytes:
    """Bytes of a .docx holding ``blocks`` (from :func:`opslab.report.document.document`)."""
    doc = Document()
    _page_setup(doc)
    props = doc.core_properties
    props.author = props.last_modified_by = "OpsLab"
    props.created = props.modified = (created or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0, tzinfo=None)
    props.revision = 1
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    for b in blocks:
        if b.kind == "title":
            doc.add_heading(b.text, level=0)
            props.title = b.text
        elif b.kind == "meta":
            p = doc.add_paragraph(b.text)
            p.runs[0].italic = True
        elif b.kind == "toc":
            doc.add_heading(b.text, level=1)
            # the field lists headings with page numbers once Word updates it; until then the
            # section titles stand in as its result
            _field(doc.add_paragraph(), 'TOC \\o "1-1" \\h \\z \\u', "\n".join(text for _, text in b.items))
            doc.add_page_break()
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
    return _stable_zip(buf.getvalue())
