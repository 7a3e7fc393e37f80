"""The document PDFs, rendered from plain data, carry the right lines and totals (read back by text extraction)."""

from datetime import date
from decimal import Decimal

from stockyard.documents.pdf_count_sheet import CountItem, CountSheetData, render_count_sheet_pdf
from stockyard.documents.pdf_credit_note import CreditNoteData, render_credit_note_pdf
from stockyard.documents.pdf_goods_receipt import GoodsReceiptData, ReceivedLine, render_goods_receipt_pdf
from stockyard.documents.pdf_layout import DocumentLine
from stockyard.documents.pdf_packing import ItemLine, PackingData, render_delivery_note_pdf, render_packing_slip_pdf
from stockyard.documents.pdf_pick_list import PickLine, PickListData, render_pick_list_pdf
from stockyard.documents.pdf_purchase_order import PurchaseOrderData, render_purchase_order_pdf
from stockyard.documents.pdf_transfer import TransferData, TransferItem, render_transfer_pdf
from tests.documents.support import pdf_pages, pdf_text

D = Decimal
DAY = date(2026, 12, 4)
ADDRESS = {"name": "Zoë Ærøskøbing", "line1": "Hafenstraße 1", "postcode": "20095", "city": "Hamburg",
           "country": "DE"}


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_credit_note() -> None:
    text = pdf_text(render_credit_note_pdf(CreditNoteData(
        "CN-000007", DAY, "INV-2026-000042", "SO-000012", "zoe@example.com",
        [DocumentLine("BRK-100", "Brake disc", 2, D("49.90"), D("99.80"))], D("99.80"), D("4.90"), D("16.72"),
        D("104.70"), "EUR", seller="Acme Parts", return_number="RMA-000003", billing_address=ADDRESS,
        reason="arrived damaged")))
    for expected in ("Acme Parts", "Credit note", "CN-000007", "INV-2026-000042", "SO-000012", "RMA-000003",
                     "Zoë Ærøskøbing", "BRK-100 Brake disc 2 49.90 EUR 99.80 EUR", "Subtotal 99.80 EUR",
                     "Shipping 4.90 EUR", "Included tax 16.72 EUR", "Total credited 104.70 EUR",
                     "Reason: arrived damaged"):
        assert expected in text, expected


def test_packing_slip_and_delivery_note() -> None:
    data = PackingData("PS-000001", DAY, "SO-000012", [ItemLine("BRK-100", "Brake disc", 2, 3),
                                                       ItemLine("FLT-7", "Fuel filter", 1, 1)],
                       seller="Acme Parts", ship_to=ADDRESS, ship_from="MAIN", shipping_method="DHL Standard",
                       carrier="DHL", tracking_numbers=["JJD000123"])
    slip = pdf_text(render_packing_slip_pdf(data))
    for expected in ("Packing slip", "PS-000001", "SO-000012", "Hafenstraße 1", "20095 Hamburg", "MAIN",
                     "BRK-100 Brake disc 3 2", "FLT-7 Fuel filter 1 1", "Total items: 3", "JJD000123"):
        assert expected in slip, expected
    assert "EUR" not in slip and "Signature" not in slip
    note = pdf_text(render_delivery_note_pdf(data))
    assert "Delivery note" in note and "Received by (name)" in note and "Signature" in note


def test_pick_list_keeps_the_walking_order_and_runs_over_pages() -> None:
    picks = [PickLine(f"MAIN/A/{i:02d}", f"SKU-{i:03d}", f"Part {i}", i % 4 + 1, order_number=f"SO-{i % 3}")
             for i in range(1, 61)]
    pdf = render_pick_list_pdf(PickListData("PL-000002", DAY, "MAIN", "Wave 7", picks, picker="Kim"))
    text = pdf_text(pdf)
    assert pdf_pages(pdf) >= 2
    locations = [line.split()[0] for line in lines_of(text) if line.startswith("MAIN/A/")]
    assert locations == [f"MAIN/A/{i:02d}" for i in range(1, 61)]
    assert "MAIN/A/01 SKU-001 Part 1 SO-1 2 [  ]" in text
    assert f"Lines: 60    Units: {sum(p.quantity for p in picks)}" in text and "Picker Kim" in text


def test_goods_receipt_totals() -> None:
    text = pdf_text(render_goods_receipt_pdf(GoodsReceiptData(
        "GR-000004", DAY, "Bosch Parts (BOSCH)", "MAIN Main", "EUR",
        [ReceivedLine("BRK-100", "Brake disc", 10, 8, D("21.5"), "MAIN/R/01"),
         ReceivedLine("FLT-7", "Fuel filter", 5, 5, D("3.10"))], purchase_order="PO-000009")))
    for expected in ("Goods receipt", "GR-000004", "PO-000009", "Bosch Parts (BOSCH)",
                     "BRK-100 Brake disc MAIN/R/01 10 8 21.50 EUR 172.00 EUR",
                     "FLT-7 Fuel filter 5 5 3.10 EUR 15.50 EUR",
                     "Units received 13", "Value received 187.50 EUR"):
        assert expected in text, expected


def test_purchase_order_totals() -> None:
    text = pdf_text(render_purchase_order_pdf(PurchaseOrderData(
        "PO-000009", DAY, date(2026, 12, 18), "Bosch Parts (BOSCH)", "EUR",
        [DocumentLine("BRK-100", "Brake disc", 12, D("21.50"), D("258.00")),
         DocumentLine("FLT-7", "Fuel filter", 40, D("3.10"), D("124.00"))], buyer="Acme Parts",
        deliver_to=["Main", "Hafenstraße 1", "20095 DE"], note="Call before delivery")))
    for expected in ("Purchase order", "PO-000009", "2026-12-18", "Bosch Parts (BOSCH)", "Deliver to",
                     "BRK-100 Brake disc 12 21.50 EUR 258.00 EUR", "Units 52", "Total 382.00 EUR",
                     "Note: Call before delivery"):
        assert expected in text, expected


def test_transfer_document_and_count_sheet() -> None:
    transfer = pdf_text(render_transfer_pdf(TransferData(
        "TD-000001", DAY, "Transfer 5", "MAIN Main", "NORTH North",
        [TransferItem("SKU-001", "Part 1", 7, "MAIN/A/01", 2, "L-9")], state="partially_received")))
    for expected in ("Transfer document", "TD-000001", "MAIN Main", "NORTH North",
                     "MAIN/A/01 SKU-001 Part 1 (lot L-9) 7 2", "Units: 7", "partially received"):
        assert expected in transfer, expected
    items = [CountItem("MAIN/A/01", "SKU-001", "Part 1", 20, None), CountItem("MAIN/A/02", "SKU-002", "Part 2", 5, 4)]
    sheet = pdf_text(render_count_sheet_pdf(CountSheetData("CS-000003", DAY, "Count 9", "MAIN Main", items)))
    assert "MAIN/A/01 SKU-001 Part 1 20 ______" in sheet and "MAIN/A/02 SKU-002 Part 2 5 4" in sheet
    blind = pdf_text(render_count_sheet_pdf(CountSheetData("CS-000004", DAY, "Count 9", "MAIN Main", items,
                                                           blind=True)))
    assert "MAIN/A/01 SKU-001 Part 1 ______" in blind and "System" not in blind
