"""The goods receipt: what arrived from a supplier against a purchase order (or blind), at unit cost."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from stockyard.documents.pdf_layout import Document, money


@dataclass(frozen=True)
class ReceivedLine:
    sku: str
    name: str
    ordered: int
    received: int
    unit_cost: Decimal
    location: str = ""

    @property
    def total(self) -> Decimal:
        return self.unit_cost * self.received


@dataclass(frozen=True)
class GoodsReceiptData:
    number: str
    issued_on: date
    supplier: str
    warehouse: str
    currency: str
    lines: list[ReceivedLine]
    purchase_order: str = ""  # empty for a blind receipt
    seller: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))


def render_goods_receipt_pdf(data: GoodsReceiptData) -> bytes:
    pdf = Document(f"Goods receipt {data.number}", footer_text=f"Goods receipt {data.number}")
    pdf.heading(data.seller, "Goods receipt", [
        ("Receipt", data.number), ("Date", data.issued_on.isoformat()),
        ("Purchase order", data.purchase_order or "blind receipt"), ("Supplier", data.supplier),
        ("Warehouse", data.warehouse)])
    columns = [("SKU", 30.0, "L"), ("Description", 60.0, "L"), ("Location", 24.0, "L"), ("Ordered", 16.0, "R"),
               ("Received", 16.0, "R"), ("Unit cost", 22.0, "R"), ("Value", 22.0, "R")]
    pdf.table(columns, [(line.sku, line.name, line.location, str(line.ordered), str(line.received),
                         money(line.unit_cost, data.currency), money(line.total, data.currency))
                        for line in data.lines])
    pdf.totals([("Units received", str(sum(line.received for line in data.lines)), False),
                ("Value received", money(data.total, data.currency), True)])
    for note in data.notes:
        pdf.paragraph(note)
    pdf.signature(["Received by", "Date", "Signature"])
    return pdf.render()
