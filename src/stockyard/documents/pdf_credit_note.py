"""The credit note PDF: what is credited back against an invoice (returned goods, refunded shipping)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from stockyard.billing.tax_domain import TaxLine
from stockyard.documents.pdf_layout import Document, DocumentLine, address_lines, money
from stockyard.documents.pdf_tax_summary import tax_summary


@dataclass(frozen=True)
class CreditNoteData:
    number: str
    issued_on: date
    invoice_number: str
    order_number: str
    customer_email: str
    lines: list[DocumentLine]
    subtotal: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    seller: str = ""
    return_number: str = ""
    prices_include_tax: bool = True
    billing_address: Mapping[str, object] | None = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    # The tax per rate (name, taxable base, tax), printed as a summary under the totals.
    tax_lines: list[TaxLine] = field(default_factory=list)


def render_credit_note_pdf(data: CreditNoteData) -> bytes:
    pdf = Document(f"Credit note {data.number}", footer_text=f"Credit note {data.number}")
    facts = [("Credit note", data.number), ("Date", data.issued_on.isoformat()),
             ("Invoice", data.invoice_number or "-"), ("Order", data.order_number)]
    if data.return_number:
        facts.append(("Return", data.return_number))
    pdf.heading(data.seller, "Credit note", facts)
    pdf.address_blocks([("Credit to", [*address_lines(data.billing_address), data.customer_email])])
    pdf.lines_table(data.lines, data.currency)
    pdf.totals([
        ("Subtotal", money(data.subtotal, data.currency), False),
        ("Shipping", money(data.shipping, data.currency), False),
        ("Included tax" if data.prices_include_tax else "Tax", money(data.tax, data.currency), False),
        ("Total credited", money(data.total, data.currency), True),
    ])
    tax_summary(pdf, data.tax_lines, data.currency)
    if data.reason:
        pdf.paragraph(f"Reason: {data.reason}")
    for note in data.notes:
        pdf.paragraph(note)
    return pdf.render()
