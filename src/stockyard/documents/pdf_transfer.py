"""The transfer document that travels with goods moved between two warehouses."""

from dataclasses import dataclass, field
from datetime import date

from stockyard.documents.pdf_layout import Document


@dataclass(frozen=True)
class TransferItem:
    sku: str
    name: str
    quantity: int
    from_location: str = ""
    received: int = 0
    lot: str = ""


@dataclass(frozen=True)
class TransferData:
    number: str
    issued_on: date
    reference: str  # the transfer's own id, e.g. "Transfer 12"
    from_warehouse: str
    to_warehouse: str
    lines: list[TransferItem]
    state: str = ""
    seller: str = ""
    dispatched_by: str = ""
    notes: list[str] = field(default_factory=list)


def render_transfer_pdf(data: TransferData) -> bytes:
    pdf = Document(f"Transfer document {data.number}", footer_text=f"Transfer document {data.number}")
    facts = [("Document", data.number), ("Date", data.issued_on.isoformat()), ("Transfer", data.reference),
             ("From", data.from_warehouse), ("To", data.to_warehouse)]
    if data.state:
        facts.append(("State", data.state.replace("_", " ")))
    pdf.heading(data.seller, "Transfer document", facts)
    columns = [("From location", 34.0, "L"), ("SKU", 34.0, "L"), ("Description", 82.0, "L"), ("Qty", 20.0, "R"),
               ("Received", 20.0, "R")]
    pdf.table(columns, [(line.from_location, line.sku, f"{line.name} (lot {line.lot})" if line.lot else line.name,
                         str(line.quantity), str(line.received)) for line in data.lines])
    pdf.paragraph(f"Lines: {len(data.lines)}    Units: {sum(line.quantity for line in data.lines)}")
    if data.dispatched_by:
        pdf.paragraph(f"Dispatched by: {data.dispatched_by}")
    for note in data.notes:
        pdf.paragraph(note)
    pdf.signature(["Dispatched by", "Received by", "Date"])
    return pdf.render()
