"""The signed mandate drawn with reportlab, for servers without wkhtmltopdf (no Odoo import)."""
import io
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table


def render_mandate_pdf(title, rows, paragraphs):
    """PDF bytes: a title, a two-column table of (label, value) rows, then the paragraphs."""
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, title=title)
    story = [Paragraph(escape(title), styles["Title"]), Spacer(1, 6 * mm)]
    story.append(Table(
        [[Paragraph(escape(label), styles["Normal"]), Paragraph(f"<b>{escape(value)}</b>", styles["Normal"])]
         for label, value in rows],
        colWidths=[60 * mm, 110 * mm],
    ))
    story.append(Spacer(1, 6 * mm))
    story.extend(Paragraph(escape(text), styles["Normal"]) for text in paragraphs if text)
    document.build(story)
    return buffer.getvalue()
