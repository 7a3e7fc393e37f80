"""The purchase order PDF sent to a supplier."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from stockyard.documents.pdf_layout import Document, DocumentLine, money


@dataclass(frozen=True)
class PurchaseOrderData:
    number: str
    issued_on: date
    expected_on: date
    supplier: str
    currency: str
    lines: list[DocumentLine]
    buyer: str = ""
    supplier_lines: list[str] = field(default_factory=list)  # the supplier's address or contact
    deliver_to: list[str] = field(default_factory=list)  # the warehouse's name and address
    note: str = ""

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))


def render_purchase_order_pdf(data: PurchaseOrderData) -> bytes:
    pdf = Document(f"Purchase order {data.number}", footer_text=f"Purchase order {data.number}")
    pdf.heading(data.buyer, "Purchase order", [
        ("Order number", data.number), ("Order date", data.issued_on.isoformat()),
        ("Delivery by", data.expected_on.isoformat()), ("Currency", data.currency)])
    pdf.address_blocks([("Supplier", [data.supplier, *data.supplier_lines]), ("Deliver to", data.deliver_to)])
    pdf.lines_table(data.lines, data.currency)
    pdf.totals([("Units", str(sum(line.quantity for line in data.lines)), False),
                ("Total", money(data.total, data.currency), True)])
    if data.note:
        pdf.paragraph(f"Note: {data.note}")
    pdf.paragraph(f"Please quote {data.number} on your delivery note and invoice.", size=8)
    return pdf.render()
