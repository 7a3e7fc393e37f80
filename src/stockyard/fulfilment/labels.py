"""Shipping labels: a 100 × 150 mm PDF (the common 4 × 6 inch thermal label) with sender, recipient, weight,
carrier and method, and the tracking number as text and as a Code 128 barcode.

fpdf2 draws Code 39 and Interleaved 2 of 5 itself but not Code 128, so python-barcode encodes the symbol (its
bar/space modules, start and stop codes and checksum) and the bars are drawn here as vector rectangles.
The label uses the PDF core font (Latin-1): other characters are shown without accents or as "?".
"""

import unicodedata
from dataclasses import dataclass, field

import barcode
from fpdf import FPDF

WIDTH_MM = 100.0
HEIGHT_MM = 150.0
MARGIN_MM = 5.0
QUIET_MODULES = 10
# Letters that Unicode does not decompose into a base letter and an accent.
_PLAIN_LETTERS = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Œ": "OE",
                                "œ": "oe", "Ŧ": "T", "ŧ": "t"})


@dataclass(frozen=True)
class LabelParty:
    name: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelData:
    tracking_number: str
    carrier_name: str
    method_name: str
    sender: LabelParty
    recipient: LabelParty
    weight_g: int
    reference: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def latin1(text: str) -> str:
    """What the core PDF fonts can show: accents stripped where that makes Latin-1, else "?"."""
    out = []
    for char in text.translate(_PLAIN_LETTERS):
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            plain = "".join(c for c in plain if not unicodedata.combining(c))
            out.append(plain or "?")
    return "".join(out)


def code128_modules(text: str) -> str:
    """The symbol as a string of '1' (bar) and '0' (space) modules, start, checksum and stop codes included."""
    return str(barcode.get("code128", text).build()[0])


def draw_code128(pdf: FPDF, text: str, x: float, y: float, width: float, height: float) -> None:
    """Bars of one module width each run of '1's, scaled to fit `width` with quiet zones on both sides."""
    modules = code128_modules(text)
    module = width / (len(modules) + 2 * QUIET_MODULES)
    left = x + QUIET_MODULES * module
    pdf.set_fill_color(0, 0, 0)
    run_start = None
    for index, bit in enumerate(modules + "0"):
        if bit == "1" and run_start is None:
            run_start = index
        elif bit == "0" and run_start is not None:
            pdf.rect(left + run_start * module, y, (index - run_start) * module, height, style="F")
            run_start = None


def _block(pdf: FPDF, title: str, party: LabelParty, size: float) -> None:
    pdf.set_font("Helvetica", "B", 7)
    pdf.cell(0, 4, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", size)
    pdf.multi_cell(0, size * 0.45, latin1(party.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", size)
    for line in party.lines:
        if line.strip():
            pdf.multi_cell(0, size * 0.45, latin1(line), new_x="LMARGIN", new_y="NEXT")


def render_label(data: LabelData) -> bytes:
    pdf = FPDF(unit="mm", format=(WIDTH_MM, HEIGHT_MM))
    pdf.set_title(f"Shipping label {data.tracking_number}")
    pdf.set_creator("Stockyard")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    inner = WIDTH_MM - 2 * MARGIN_MM
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(inner * 0.6, 8, latin1(data.carrier_name))
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(inner * 0.4, 8, latin1(data.method_name), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.line(MARGIN_MM, pdf.get_y() + 1, WIDTH_MM - MARGIN_MM, pdf.get_y() + 1)
    pdf.ln(3)
    _block(pdf, "FROM", data.sender, 8)
    pdf.ln(2)
    pdf.line(MARGIN_MM, pdf.get_y(), WIDTH_MM - MARGIN_MM, pdf.get_y())
    pdf.ln(2)
    _block(pdf, "TO", data.recipient, 12)
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 9)
    weight = f"Weight: {data.weight_g / 1000:.2f} kg"
    pdf.cell(inner / 2, 5, weight)
    pdf.cell(inner / 2, 5, latin1(f"Ref: {data.reference}") if data.reference else "", align="R",
             new_x="LMARGIN", new_y="NEXT")
    for note in data.notes:
        pdf.cell(0, 4, latin1(note), new_x="LMARGIN", new_y="NEXT")
    top = max(pdf.get_y() + 4, HEIGHT_MM - MARGIN_MM - 40)
    pdf.line(MARGIN_MM, top - 2, WIDTH_MM - MARGIN_MM, top - 2)
    draw_code128(pdf, data.tracking_number, MARGIN_MM, top + 2, inner, 24)
    pdf.set_xy(MARGIN_MM, top + 28)
    pdf.set_font("Courier", "B", 12)
    pdf.cell(inner, 6, data.tracking_number, align="C")
    return bytes(pdf.output())
