"""The count sheet: the lines of a stock count to be counted on paper, in location order. A blind sheet leaves out
the system quantity, so the counter writes down what is there rather than what should be."""

from dataclasses import dataclass, field
from datetime import date

from stockyard.documents.pdf_layout import Document


@dataclass(frozen=True)
class CountItem:
    location: str
    sku: str
    name: str = ""
    expected: int | None = None
    counted: int | None = None
    lot: str = ""


@dataclass(frozen=True)
class CountSheetData:
    number: str
    issued_on: date
    reference: str  # e.g. "Count 7"
    warehouse: str
    lines: list[CountItem]
    blind: bool = False
    seller: str = ""
    notes: list[str] = field(default_factory=list)


def render_count_sheet_pdf(data: CountSheetData) -> bytes:
    pdf = Document(f"Count sheet {data.number}", footer_text=f"Count sheet {data.number} - {data.reference}")
    pdf.heading(data.seller, "Count sheet", [("Sheet", data.number), ("Date", data.issued_on.isoformat()),
                                             ("Count", data.reference), ("Warehouse", data.warehouse)])
    columns = [("Location", 36.0, "L"), ("SKU", 36.0, "L"), ("Description", 78.0 if not data.blind else 98.0, "L")]
    if not data.blind:
        columns.append(("System", 20.0, "R"))
    columns.append(("Counted", 20.0, "R"))
    rows = []
    for line in data.lines:
        name = f"{line.name} (lot {line.lot})" if line.lot else line.name
        counted = "" if line.counted is None else str(line.counted)
        row = [line.location, line.sku, name]
        if not data.blind:
            row.append("" if line.expected is None else str(line.expected))
        rows.append((*row, counted or "______"))
    pdf.table(columns, rows, row_height=8)
    pdf.paragraph(f"Lines: {len(data.lines)}")
    for note in data.notes:
        pdf.paragraph(note)
    pdf.signature(["Counted by", "Checked by", "Date"])
    return pdf.render()
