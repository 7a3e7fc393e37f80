"""The invoice PDF, from an issued invoice's snapshot."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from stockyard.billing.tax_domain import TaxLine
from stockyard.documents.pdf_layout import Document, DocumentLine, address_lines, money
from stockyard.documents.pdf_tax_summary import tax_summary


@dataclass(frozen=True)
class InvoiceData:
    number: str
    issued_on: date
    order_number: str
    customer_email: str
    lines: list[DocumentLine]
    subtotal: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    seller: str = ""
    prices_include_tax: bool = True
    billing_address: Mapping[str, object] | None = None
    shipping_address: Mapping[str, object] | None = None
    payment_method: str = ""
    payment_state: str = ""
    notes: list[str] = field(default_factory=list)
    # The tax per rate (name, taxable base, tax), printed as a summary under the totals.
    tax_lines: list[TaxLine] = field(default_factory=list)


def render_invoice_pdf(data: InvoiceData) -> bytes:
    pdf = Document(f"Invoice {data.number}", footer_text=f"Invoice {data.number}")
    pdf.heading(data.seller, "Invoice", [
        ("Invoice number", data.number),
        ("Invoice date", data.issued_on.isoformat()),
        ("Order", data.order_number),
        ("Currency", data.currency),
    ])
    billing = address_lines(data.billing_address or data.shipping_address)
    pdf.address_blocks([("Bill to", [*billing, data.customer_email]),
                        ("Ship to", address_lines(data.shipping_address))])
    pdf.lines_table(data.lines, data.currency)
    tax_label = "Included tax" if data.prices_include_tax else "Tax"
    pdf.totals([
        ("Subtotal", money(data.subtotal, data.currency), False),
        ("Shipping", money(data.shipping, data.currency), False),
        (tax_label, money(data.tax, data.currency), False),
        ("Total", money(data.total, data.currency), True),
    ])
    tax_summary(pdf, data.tax_lines, data.currency)
    if data.payment_method:
        state = f" ({data.payment_state.replace('_', ' ')})" if data.payment_state else ""
        pdf.paragraph(f"Payment: {data.payment_method}{state}")
    for note in data.notes:
        pdf.paragraph(note)
    return pdf.render()
