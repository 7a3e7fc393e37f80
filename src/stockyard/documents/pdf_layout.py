"""The shared layout of our A4 business documents (fpdf2): heading, address blocks, a table of lines, totals.

Text is set in the PDF core font Helvetica, which covers Latin-1; other characters are transliterated where
possible (é stays, "–" becomes "-") and replaced by "?" otherwise, so a document always renders.
"""

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from stockyard.core.money import round_money

_REPLACEMENTS = {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "€": "EUR", "•": "*",
                 "\u00a0": " "}
LINE_HEIGHT = 6
# Column widths of the lines table (mm): SKU, description, quantity, unit price, total; 190 mm between margins.
COLUMNS = (34, 84, 16, 28, 28)


@dataclass(frozen=True)
class DocumentLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal


def latin1(text: object) -> str:
    value = "".join(_REPLACEMENTS.get(ch, ch) for ch in str(text))
    out = []
    for ch in value:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(plain or "?")
    return "".join(out)


def money(amount: Decimal, currency: str) -> str:
    return f"{round_money(amount):,.2f} {currency}"


def address_lines(address: Mapping[str, object] | None) -> list[str]:
    """An address as printed: name, street lines, postcode and city, region, country."""
    if not address:
        return []

    def part(key: str) -> str:
        return str(address.get(key) or "").strip()

    city = " ".join(p for p in (part("postcode"), part("city")) if p)
    lines = [part("name"), part("company"), part("line1"), part("line2"), city, part("region"), part("country")]
    return [line for line in lines if line]


class Document(FPDF):
    def __init__(self, title: str, footer_text: str = "") -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_margins(10, 12, 10)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(latin1(title))
        self.set_creator("Stockyard")
        self.add_page()

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(110)
        page = f"Page {self.page_no()}/{{nb}}"
        text = f"{self.footer_text}    {page}" if self.footer_text else page
        self.cell(0, 5, latin1(text), align="C")
        self.set_text_color(0)

    def heading(self, seller: str, title: str, facts: Sequence[tuple[str, str]]) -> None:
        """The seller's name, the document's title and its key facts (number, dates, ...) on the right."""
        top = self.get_y()
        self.set_font("Helvetica", "B", 15)
        self.cell(110, 8, latin1(seller or "Stockyard"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "B", 20)
        self.cell(110, 11, latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        left_bottom = self.get_y()
        self.set_y(top)
        for label, value in facts:
            self.set_x(120)
            self.set_font("Helvetica", "", 9)
            self.cell(32, 5.5, latin1(label))
            self.set_font("Helvetica", "B", 9)
            self.cell(48, 5.5, latin1(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(max(left_bottom, self.get_y()) + 6)

    def address_blocks(self, blocks: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Side by side: a bold label over each block's lines."""
        blocks = [(label, lines) for label, lines in blocks if lines]
        if not blocks:
            return
        width = 190 / len(blocks)
        top = self.get_y()
        bottom = top
        for i, (label, lines) in enumerate(blocks):
            self.set_xy(10 + i * width, top)
            self.set_font("Helvetica", "B", 9)
            self.cell(width, 5, latin1(label), new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_font("Helvetica", "", 10)
            for line in lines:
                self.cell(width - 4, 5, latin1(line)[:60], new_x=XPos.LEFT, new_y=YPos.NEXT)
            bottom = max(bottom, self.get_y())
        self.set_xy(10, bottom + 6)

    def _fit(self, text: str, width: float) -> str:
        text = latin1(text)
        if self.get_string_width(text) <= width - 2:
            return text
        while text and self.get_string_width(text + "...") > width - 2:
            text = text[:-1]
        return text + "..."

    def lines_table(self, lines: Sequence[DocumentLine], currency: str) -> None:
        def header() -> None:
            self.set_font("Helvetica", "B", 9)
            self.set_fill_color(235, 235, 235)
            for (title, align), width in zip((("SKU", "L"), ("Description", "L"), ("Qty", "R"),
                                              ("Unit price", "R"), ("Total", "R")), COLUMNS, strict=True):
                self.cell(width, 7, title, border="B", align=align, fill=True)
            self.ln(7)
            self.set_font("Helvetica", "", 9)

        header()
        for line in lines:
            if self.will_page_break(LINE_HEIGHT):
                self.add_page()
                header()
            cells = ((line.sku, "L"), (line.name, "L"), (str(line.quantity), "R"),
                     (money(line.unit_price, currency), "R"), (money(line.total, currency), "R"))
            for (text, align), width in zip(cells, COLUMNS, strict=True):
                self.cell(width, LINE_HEIGHT, self._fit(text, width), border="B", align=align)
            self.ln(LINE_HEIGHT)
        self.ln(3)

    def table(self, columns: Sequence[tuple[str, float, str]], rows: Sequence[Sequence[str]],
              row_height: float = LINE_HEIGHT) -> None:
        """A table of (title, width in mm, align L/R/C) columns; the header repeats on every page."""
        def header() -> None:
            self.set_font("Helvetica", "B", 9)
            self.set_fill_color(235, 235, 235)
            for title, width, align in columns:
                self.cell(width, 7, latin1(title), border="B", align=align, fill=True)
            self.ln(7)
            self.set_font("Helvetica", "", 9)

        header()
        for row in rows:
            if self.will_page_break(row_height):
                self.add_page()
                header()
            for text, (_, width, align) in zip(row, columns, strict=True):
                self.cell(width, row_height, self._fit(text, width), border="B", align=align)
            self.ln(row_height)
        self.ln(3)

    def signature(self, labels: Sequence[str]) -> None:
        """Lines to sign on, side by side (delivery note, transfer document, count sheet)."""
        if self.will_page_break(22):
            self.add_page()
        self.ln(12)
        width = 190 / len(labels)
        y = self.get_y()
        for i, label in enumerate(labels):
            x = 10 + i * width
            self.line(x, y, x + width - 8, y)
            self.set_xy(x, y + 1)
            self.set_font("Helvetica", "", 8)
            self.cell(width - 8, 4, latin1(label))
        self.set_xy(10, y + 8)

    def totals(self, rows: Sequence[tuple[str, str, bool]]) -> None:
        """Right-aligned label/amount rows; the bold ones are grand totals."""
        for label, amount, bold in rows:
            if self.will_page_break(LINE_HEIGHT):
                self.add_page()
            self.set_x(110)
            self.set_font("Helvetica", "B" if bold else "", 11 if bold else 9)
            self.cell(52, LINE_HEIGHT + (1 if bold else 0), latin1(label), border="T" if bold else 0)
            self.cell(38, LINE_HEIGHT + (1 if bold else 0), latin1(amount), border="T" if bold else 0, align="R",
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(4)

    def paragraph(self, text: str, size: int = 9) -> None:
        self.set_font("Helvetica", "", size)
        self.multi_cell(0, 5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def render(self) -> bytes:
        return bytes(self.output())
