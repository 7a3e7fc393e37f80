"""The pick list: lines in the order they are given (the caller sorts them in walking order of the location tree),
each with the location, the SKU, the quantity and a box to tick."""

from dataclasses import dataclass, field
from datetime import date

from stockyard.documents.pdf_layout import Document


@dataclass(frozen=True)
class PickLine:
    location: str
    sku: str
    name: str
    quantity: int
    order_number: str = ""  # for a wave that picks several orders at once
    lot: str = ""


@dataclass(frozen=True)
class PickListData:
    number: str
    issued_on: date
    warehouse: str
    reference: str  # the order number or the wave's name
    lines: list[PickLine]
    seller: str = ""
    picker: str = ""
    notes: list[str] = field(default_factory=list)


def render_pick_list_pdf(data: PickListData) -> bytes:
    pdf = Document(f"Pick list {data.number}", footer_text=f"Pick list {data.number} - {data.reference}")
    facts = [("Pick list", data.number), ("Date", data.issued_on.isoformat()), ("Warehouse", data.warehouse),
             ("For", data.reference)]
    if data.picker:
        facts.append(("Picker", data.picker))
    pdf.heading(data.seller, "Pick list", facts)
    with_orders = any(line.order_number for line in data.lines)
    columns = [("Location", 34.0, "L"), ("SKU", 34.0, "L"), ("Description", 66.0 if with_orders else 96.0, "L")]
    if with_orders:
        columns.append(("Order", 30.0, "L"))
    columns += [("Qty", 14.0, "R"), ("Picked", 12.0, "C")]
    rows = []
    for line in data.lines:
        name = f"{line.name} (lot {line.lot})" if line.lot else line.name
        row = [line.location, line.sku, name] + ([line.order_number] if with_orders else [])
        rows.append((*row, str(line.quantity), "[  ]"))
    pdf.table(columns, rows, row_height=7)
    pdf.paragraph(f"Lines: {len(data.lines)}    Units: {sum(line.quantity for line in data.lines)}")
    for note in data.notes:
        pdf.paragraph(note)
    return pdf.render()
