"""Barcode labels as a PDF (fpdf2): every bar and QR module is a vector rectangle, so the print is sharp at any
printer resolution. Text uses the core font Helvetica (Latin-1; other characters are transliterated)."""

from fpdf import FPDF

from stockyard.core.errors import ValidationFailed
from stockyard.documents.barcodes import Symbology, linear_modules, qr_matrix
from stockyard.documents.labels_layout import LabelItem, Layout, expand
from stockyard.documents.pdf_layout import latin1

QUIET = 10  # quiet zone on each side of a linear symbol, in modules


def _fit(pdf: FPDF, text: str, width: float) -> str:
    text = latin1(text)
    while text and pdf.get_string_width(text) > width:
        text = text[:-1]
    return text


def _bars(pdf: FPDF, modules: str, x: float, y: float, width: float, height: float) -> None:
    module = width / (len(modules) + 2 * QUIET)
    left = x + QUIET * module
    start = None
    for index, bit in enumerate(modules + "0"):
        if bit == "1" and start is None:
            start = index
        elif bit == "0" and start is not None:
            pdf.rect(left + start * module, y, (index - start) * module, height, style="F")
            start = None


def _qr(pdf: FPDF, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    module = size / len(matrix)
    for r, row in enumerate(matrix):
        start = None
        for c, dark in enumerate([*row, False]):
            if dark and start is None:
                start = c
            elif not dark and start is not None:
                pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")
                start = None


def draw_label(pdf: FPDF, item: LabelItem, x: float, y: float, w: float, h: float) -> None:
    """One label in the box (x, y, w, h), in mm."""
    pad = max(1.5, min(w, h) * 0.06)
    inner_w, inner_h = w - 2 * pad, h - 2 * pad
    title_size = max(6.0, min(14.0, h * 0.22))
    pdf.set_fill_color(0, 0, 0)
    pdf.set_text_color(0)
    if item.symbology is Symbology.QR and h > w * 1.2:  # portrait: the symbol on top, the text under it
        side = min(inner_w, inner_h * 0.65)
        _qr(pdf, qr_matrix(item.value), x + (w - side) / 2, y + pad * 2, side)
        pdf.set_xy(x + pad, y + pad * 3 + side)
        pdf.set_font("Helvetica", "B", title_size * 0.9)
        for line in (item.title, item.value, item.subtitle):
            if line:
                pdf.set_x(x + pad)
                pdf.cell(inner_w, title_size * 0.5, _fit(pdf, line, inner_w), align="C", new_x="LEFT", new_y="NEXT")
                pdf.set_font("Helvetica", "", title_size * 0.7)
        return
    if item.symbology is Symbology.QR:
        side = min(inner_h, inner_w * 0.5)
        # The quiet zone of four modules is the label's own margin plus this gap.
        _qr(pdf, qr_matrix(item.value), x + pad, y + (h - side) / 2, side)
        text_x, text_w = x + pad * 2 + side, inner_w - side - pad
        pdf.set_xy(text_x, y + pad)
        pdf.set_font("Helvetica", "B", title_size * 0.8)
        for line in (item.title, item.value, item.subtitle):
            if line:
                pdf.set_x(text_x)
                pdf.cell(text_w, title_size * 0.45, _fit(pdf, line, text_w), new_x="LEFT", new_y="NEXT")
                pdf.set_font("Helvetica", "", title_size * 0.65)
        return
    top = y + pad
    if item.title:
        pdf.set_font("Helvetica", "B", title_size)
        pdf.set_xy(x + pad, top)
        pdf.cell(inner_w, title_size * 0.42, _fit(pdf, item.title, inner_w))
        top += title_size * 0.42 + 0.5
    if item.subtitle:
        pdf.set_font("Helvetica", "", title_size * 0.7)
        pdf.set_xy(x + pad, top)
        pdf.cell(inner_w, title_size * 0.32, _fit(pdf, item.subtitle, inner_w))
        top += title_size * 0.32 + 0.5
    text_h = title_size * 0.38
    bar_h = y + h - pad - text_h - 0.5 - top
    if bar_h < 4:
        raise ValidationFailed("the label is too small for its text and barcode: choose a larger layout",
                               field="layout")
    _bars(pdf, linear_modules(item.symbology, item.value), x + pad, top, inner_w, bar_h)
    pdf.set_font("Courier", "B", title_size * 0.8)
    pdf.set_xy(x + pad, top + bar_h + 0.5)
    pdf.cell(inner_w, text_h, _fit(pdf, item.value, inner_w), align="C")


def render_labels_pdf(items: list[LabelItem], layout: Layout, skip: int = 0) -> bytes:
    """The labels (each `quantity` times) on pages of `layout`; a sheet starts at position `skip` + 1."""
    labels = expand(items)
    if not 0 <= skip < layout.per_page:
        raise ValidationFailed(f"must be from 0 to {layout.per_page - 1}", field="skip")
    pdf = FPDF(unit="mm", format=(layout.page_w, layout.page_h))
    pdf.set_creator("Stockyard")
    pdf.set_title("Labels")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    position = skip if layout.is_sheet else 0
    for item in labels:
        if pdf.page == 0 or position % layout.per_page == 0:
            pdf.add_page()
        slot = position % layout.per_page
        col, row = slot % layout.cols, slot // layout.cols
        draw_label(pdf, item, layout.left + col * layout.label_w, layout.top + row * layout.label_h,
                   layout.label_w, layout.label_h)
        position += 1
    return bytes(pdf.output())
