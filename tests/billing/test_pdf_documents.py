"""Invoice and receipt PDFs carry the order's real content, readable as text."""

import io
from datetime import date, datetime
from decimal import Decimal

import pypdf

from stockyard.documents.pdf_invoice import InvoiceData, render_invoice_pdf
from stockyard.documents.pdf_layout import DocumentLine, address_lines, latin1
from stockyard.documents.pdf_receipt import ReceiptData, render_receipt_pdf

D = Decimal
ADDRESS = {"name": "Zoë Ærøskøbing", "line1": "Rue de l’Église 3", "line2": "", "postcode": "75001", "city": "Paris",
           "country": "FR"}
LINES = [DocumentLine("BRK-100", "Brake disc – ventilated", 2, D("49.90"), D("99.80")),
         DocumentLine("FLT-7", "Fuel filter", 3, D("8.00"), D("24.00"))]


def text_of(data: bytes) -> tuple[str, int]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() for p in reader.pages), len(reader.pages)


def test_receipt_pdf() -> None:
    data = ReceiptData("SO-000123", datetime(2026, 11, 23, 14, 5), "zoe@example.com", LINES, D("123.80"),
                       D("5.90"), D("20.71"), D("129.70"), "EUR", shop_name="Acme Parts", shipping_address=ADDRESS,
                       shipping_method="DHL Parcel", payment_method="Card", payment_state="partially_captured")
    text, pages = text_of(render_receipt_pdf(data))
    assert pages == 1
    for expected in ["Acme Parts", "Order receipt", "SO-000123", "2026-11-23 14:05", "zoe@example.com",
                     "Zoë Ærøskøbing", "Rue de l'Église 3", "75001 Paris", "BRK-100", "Brake disc - ventilated",
                     "49.90 EUR", "99.80 EUR", "FLT-7", "24.00 EUR", "Subtotal 123.80 EUR",
                     "Shipping (DHL Parcel) 5.90 EUR", "Included tax 20.71 EUR", "Total 129.70 EUR",
                     "Payment: Card: partially captured"]:
        assert expected in text, expected


def test_invoice_pdf_with_many_lines_runs_over_pages_and_keeps_the_totals() -> None:
    lines = [DocumentLine(f"SKU-{i:03d}", f"Part number {i} with a long description " * 3, i, D("1.00"), D(i))
             for i in range(1, 80)]
    data = InvoiceData("INV-2026-000042", date(2026, 11, 23), "SO-9", "b2b@example.com", lines, D("3160.00"),
                       D("0.00"), D("600.40"), D("3760.40"), "USD", seller="Acme", prices_include_tax=False,
                       billing_address=ADDRESS)
    text, pages = text_of(render_invoice_pdf(data))
    assert pages >= 2
    assert "SKU-001" in text and "SKU-079" in text and "Tax 600.40 USD" in text and "Total 3,760.40 USD" in text
    assert "Page 2/" in text and "INV-2026-000042" in text
    assert "Part number 1 with a long" in text and "..." in text  # long names are shortened to their column


def test_text_outside_latin1_still_renders() -> None:
    assert latin1("Ωmega “quoted” €5 — ok") == "?mega \"quoted\" EUR5 - ok"
    assert address_lines({"name": "A", "postcode": "1", "city": "B", "country": "DE"}) == ["A", "1 B", "DE"]
    assert address_lines(None) == []
