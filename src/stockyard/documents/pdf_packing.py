"""The packing slip (goes in the parcel: what is in it, no prices) and the delivery note (goes with the goods: what
was delivered, with carrier and tracking, to be signed by the receiver). One layout, two titles."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from stockyard.documents.pdf_layout import Document, address_lines


@dataclass(frozen=True)
class ItemLine:
    sku: str
    name: str
    quantity: int
    ordered: int | None = None  # shown when the parcel holds only part of the order line


@dataclass(frozen=True)
class PackingData:
    number: str
    issued_on: date
    order_number: str
    lines: list[ItemLine]
    seller: str = ""
    ship_to: Mapping[str, object] | None = None
    ship_from: str = ""  # the warehouse
    shipping_method: str = ""
    carrier: str = ""
    tracking_numbers: list[str] = field(default_factory=list)
    customer_email: str = ""
    notes: list[str] = field(default_factory=list)


def _render(data: PackingData, title: str, *, signature: bool) -> bytes:
    pdf = Document(f"{title} {data.number}", footer_text=f"{title} {data.number} - order {data.order_number}")
    facts = [(f"{title}", data.number), ("Date", data.issued_on.isoformat()), ("Order", data.order_number)]
    if data.ship_from:
        facts.append(("Ship from", data.ship_from))
    if data.shipping_method:
        facts.append(("Method", data.shipping_method))
    pdf.heading(data.seller, title, facts)
    pdf.address_blocks([("Ship to", [*address_lines(data.ship_to), data.customer_email] if data.ship_to else [])])
    partial = any(line.ordered is not None and line.ordered != line.quantity for line in data.lines)
    if partial:
        columns = [("SKU", 40.0, "L"), ("Description", 106.0, "L"), ("Ordered", 22.0, "R"), ("Qty", 22.0, "R")]
        rows = [(line.sku, line.name, "" if line.ordered is None else str(line.ordered), str(line.quantity))
                for line in data.lines]
    else:
        columns = [("SKU", 40.0, "L"), ("Description", 128.0, "L"), ("Qty", 22.0, "R")]
        rows = [(line.sku, line.name, str(line.quantity)) for line in data.lines]
    pdf.table(columns, rows)
    pdf.paragraph(f"Total items: {sum(line.quantity for line in data.lines)}")
    if data.carrier or data.tracking_numbers:
        pdf.paragraph(f"Carrier: {data.carrier or '-'}; tracking: {', '.join(data.tracking_numbers) or '-'}")
    for note in data.notes:
        pdf.paragraph(note)
    if signature:
        pdf.signature(["Received by (name)", "Date", "Signature"])
    return pdf.render()


def render_packing_slip_pdf(data: PackingData) -> bytes:
    return _render(data, "Packing slip", signature=False)


def render_delivery_note_pdf(data: PackingData) -> bytes:
    return _render(data, "Delivery note", signature=True)
