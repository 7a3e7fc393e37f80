"""Documents and labels through the back-office pages and the JSON API, as staff use them."""

import re
from decimal import Decimal
from email import policy
from email.parser import BytesParser

import pytest
from fastapi.testclient import TestClient

from stockyard.core.mail import mail_dir
from stockyard.core.uow import perform
from stockyard.purchasing.services import CreatePurchaseOrder, CreateSupplier, create_purchase_order, create_supplier
from stockyard.sales import orders
from tests.conftest import Api, TenantCtx
from tests.documents.support import decoded, pdf_text
from tests.factories import build_world, receive
from tests.sales.order_fixtures import checkout_order
from tests.sales.shop_setup import build_shop
from tests.test_permission_matrix import sign_in

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    return TestClient(client.app)


def test_print_reprint_and_issue_again_from_the_transfer_page(tenant: TenantCtx, browser: TestClient) -> None:
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    csrf = sign_in(browser, tenant, "warehouse_manager")
    form = {"csrf_token": csrf}
    created = browser.post("/erp/transfers/new", data={
        "csrf_token": csrf, "from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines.0.sku": "SKU-001",
        "lines.0.from_location": "MAIN/A/01", "lines.0.quantity": "4"}, follow_redirects=False)
    transfer_url = created.headers["location"]
    transfer_id = int(transfer_url.rsplit("/", 1)[1])
    page = browser.get(transfer_url)
    assert "Print transfer document" in page.text  # the button on the transfer page

    printed = browser.post("/erp/documents/issue", data={**form, "doc_type": "transfer",
                                                          "subject_id": str(transfer_id)}, follow_redirects=False)
    assert printed.status_code == 303 and printed.headers["location"].endswith(".pdf")
    pdf = browser.get(printed.headers["location"])
    assert pdf.headers["content-type"] == "application/pdf"
    assert "TD-000001" in pdf_text(pdf.content) and "Units: 4" in pdf_text(pdf.content)
    # Printing again gives the same stored file.
    again = browser.post("/erp/documents/issue", data={**form, "doc_type": "transfer", "subject_id": str(transfer_id)},
                         follow_redirects=False)
    assert again.headers["location"] == printed.headers["location"]
    assert browser.get(again.headers["location"]).content == pdf.content
    # "Issue again" makes the next number and lists both.
    browser.post("/erp/documents/issue", data={**form, "doc_type": "transfer", "subject_id": str(transfer_id),
                                               "again": "1"})
    listing = browser.get(f"/erp/documents/for/transfer/{transfer_id}")
    assert "TD-000001" in listing.text and "TD-000002" in listing.text
    assert "Issue transfer document again" in listing.text
    assert "TD-000002" in browser.get("/erp/documents?doc_type=transfer").text
    unknown = browser.post("/erp/documents/issue", data={**form, "doc_type": "invoice", "subject_id": "999999"})
    assert unknown.status_code == 404 and "unknown order 999999" in unknown.text
    assert browser.get("/erp/documents/999999.pdf").status_code == 404


def test_invoice_printed_from_the_order_and_e_mailed_with_the_pdf(tenant: TenantCtx, browser: TestClient) -> None:
    shop = build_shop(tenant)
    placed = checkout_order(shop, {"SKU-001": 2}, email="jana@example.com")
    for service in (orders.ship_order, orders.mark_delivered, orders.invoice_order):
        perform(tenant.engine, tenant.actor, service, placed.order_id)
    csrf = sign_in(browser, tenant, "owner")
    order_page = browser.get(f"/admin/orders/{placed.number}")
    assert "Print invoice" in order_page.text and "Print packing slip" in order_page.text
    printed = browser.post("/erp/documents/issue", data={"csrf_token": csrf, "doc_type": "invoice",
                                                          "subject_id": str(placed.order_id)}, follow_redirects=False)
    document_id = int(re.search(r"/erp/documents/(\d+)\.pdf", printed.headers["location"])[1])
    stored = browser.get(printed.headers["location"]).content
    assert "Total 24.90 EUR" in pdf_text(stored)

    before = set(mail_dir(browser.app.state.settings).glob("*.eml"))
    sent = browser.post(f"/erp/documents/{document_id}/email", data={"csrf_token": csrf}, follow_redirects=True)
    assert "sent to jana@example.com" in sent.text
    new = set(mail_dir(browser.app.state.settings).glob("*.eml")) - before
    messages = [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in new]
    mail = next(m for m in messages if m["To"] == "jana@example.com")
    attachment = next(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename().startswith("invoice-INV-") and attachment.get_content() == stored


def test_label_print_page_gives_decodable_pdf_and_zpl(tenant: TenantCtx, browser: TestClient) -> None:
    build_world(tenant, skus=3)
    csrf = sign_in(browser, tenant, "warehouse_operator")
    page = browser.get("/erp/labels?q=SKU-00")
    assert page.status_code == 200 and "SKU-002" in page.text and "A4 sheet, 3 × 8" in page.text
    pdf = browser.post("/erp/labels/print", data={"csrf_token": csrf, "what": "skus", "skus": ["SKU-001", "SKU-003"],
                                                  "symbology": "code128", "layout": "a4-3x8", "quantity": "2"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert sorted(text for _, text in decoded(pdf.content)[0]) == ["SKU-001", "SKU-001", "SKU-003", "SKU-003"]
    zpl = browser.post("/erp/labels/print", data={"csrf_token": csrf, "what": "locations", "warehouse_id": "",
                                                  "format": "zpl", "layout": "57x32"})
    assert zpl.status_code == 422 and "choose a warehouse" in zpl.text  # the form again, with the reason
    locations = browser.get("/erp/labels?what=locations")
    warehouse_id = re.search(r'<option value="(\d+)">MAIN', locations.text)[1]
    zpl = browser.post("/erp/labels/print", data={"csrf_token": csrf, "what": "locations", "warehouse_id": warehouse_id,
                                                  "under": "MAIN/A", "format": "zpl", "symbology": "qr",
                                                  "layout": "57x32"})
    assert zpl.headers["content-type"].startswith("text/plain")
    assert re.findall(r"\^FDMA,([^^]+)\^FS", zpl.text) == ["MAIN/A", "MAIN/A/01", "MAIN/A/02"]
    bad = browser.post("/erp/labels/print", data={"csrf_token": csrf, "what": "values", "values": "4006381333932",
                                                  "symbology": "ean13"})
    assert bad.status_code == 422 and "check digit is 2, it should be 1" in bad.text


def test_documents_and_labels_api(tenant: TenantCtx, api: Api) -> None:
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    count_id = api.post("/api/v1/inventory/counts", {"warehouse": "MAIN", "locations": ["MAIN/A/01"]}).json()["id"]
    issued = api.post("/api/v1/documents", {"doc_type": "count_sheet", "subject_id": count_id})
    assert issued.status_code == 201 and issued.json()["number"] == "CS-000001"
    doc = issued.json()
    assert api.get(f"/api/v1/documents/{doc['id']}").json()["title"] == "Count sheet CS-000001"
    pdf = api.get(doc["api_url"])
    assert "SKU-001" in pdf_text(pdf.content) and "MAIN/A/01" in pdf_text(pdf.content)
    listed = api.get(f"/api/v1/documents/for/count/{count_id}").json()
    assert [d["number"] for d in listed["items"]] == ["CS-000001"] and listed["printable"] == ["count_sheet"]
    refused = api.post("/api/v1/documents", {"doc_type": "invoice", "subject_id": count_id, "again": True})
    assert refused.status_code == 409

    labels = api.post("/api/v1/labels", {"what": "values", "values": ["4006381333931"], "symbology": "ean13",
                                         "layout": "57x32", "quantity": 2})
    assert labels.status_code == 200 and labels.headers["x-label-count"] == "2"
    assert decoded(labels.content) == [[("EAN13", "4006381333931")]] * 2
    bad = api.post("/api/v1/labels", {"what": "values", "values": ["4006381333932"], "symbology": "ean13"})
    assert bad.status_code == 422 and "check digit" in bad.text
    zpl = api.post("/api/v1/labels", {"what": "skus", "skus": ["SKU-001"], "format": "zpl", "layout": "100x150"})
    assert "^BCN" in zpl.text and "^FDSKU-001^FS" in zpl.text
    assert {lay["key"] for lay in api.get("/api/v1/labels/layouts").json()["items"]} == {
        "a4-3x8", "a4-3x7", "57x32", "100x150"}


def test_purchase_order_page_prints_the_order(tenant: TenantCtx, browser: TestClient) -> None:
    build_world(tenant)
    e, a = tenant.engine, tenant.actor
    perform(e, a, create_supplier, CreateSupplier(code="BOSCH", name="Bosch Parts", currency="EUR"))
    po = perform(e, a, create_purchase_order, CreatePurchaseOrder(
        supplier="BOSCH", warehouse="MAIN", lines=[{"sku": "SKU-001", "quantity": 3, "unit_cost": Decimal("2.50")}]))
    csrf = sign_in(browser, tenant, "warehouse_manager")
    assert "Print purchase order" in browser.get(f"/erp/purchasing/orders/{po.id}").text
    printed = browser.post("/erp/documents/issue", data={"csrf_token": csrf, "doc_type": "purchase_order",
                                                          "subject_id": str(po.id)})
    assert printed.headers["content-type"] == "application/pdf" and "Total 7.50 EUR" in pdf_text(printed.content)
    receipt = browser.post("/erp/documents/issue", data={"csrf_token": csrf, "doc_type": "goods_receipt",
                                                          "subject_id": str(po.id)})
    assert receipt.status_code == 200 and f"nothing has been received against {po.number} yet" in receipt.text
