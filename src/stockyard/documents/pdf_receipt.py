"""The receipt PDF a customer gets for a placed order."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from stockyard.documents.pdf_layout import Document, DocumentLine, address_lines, money


@dataclass(frozen=True)
class ReceiptData:
    order_number: str
    placed_at: datetime
    customer_email: str
    lines: list[DocumentLine]
    subtotal: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    shop_name: str = ""
    prices_include_tax: bool = True
    shipping_address: Mapping[str, object] | None = None
    billing_address: Mapping[str, object] | None = None
    shipping_method: str = ""
    payment_method: str = ""
    payment_state: str = ""


def render_receipt_pdf(data: ReceiptData) -> bytes:
    pdf = Document(f"Receipt for order {data.order_number}", footer_text=f"Order {data.order_number}")
    pdf.heading(data.shop_name, "Order receipt", [
        ("Order number", data.order_number),
        ("Placed", data.placed_at.strftime("%Y-%m-%d %H:%M")),
        ("E-mail", data.customer_email),
    ])
    pdf.address_blocks([("Ship to", address_lines(data.shipping_address)),
                        ("Bill to", address_lines(data.billing_address))])
    pdf.lines_table(data.lines, data.currency)
    shipping_label = f"Shipping ({data.shipping_method})" if data.shipping_method else "Shipping"
    pdf.totals([
        ("Subtotal", money(data.subtotal, data.currency), False),
        (shipping_label, money(data.shipping, data.currency), False),
        ("Included tax" if data.prices_include_tax else "Tax", money(data.tax, data.currency), False),
        ("Total", money(data.total, data.currency), True),
    ])
    if data.payment_method:
        state = f": {data.payment_state.replace('_', ' ')}" if data.payment_state else ""
        pdf.paragraph(f"Payment: {data.payment_method}{state}")
    pdf.paragraph("Thank you for your order. This receipt is not an invoice; the invoice follows when your order "
                  "ships.", size=8)
    return pdf.render()
