"""The purchasing pages over HTTP (no browser): replenishment's one button makes the draft orders, a purchase order
is sent and received from its page, a blind receipt from its form, bad input is shown next to the field, the stock
pages show inbound; a reader sees the pages but gets no buttons and is refused a post."""

import re
from decimal import Decimal

from fastapi.testclient import TestClient

from stockyard.core.uow import perform
from stockyard.inventory import min_stock
from stockyard.purchasing import suppliers
from tests.conftest import TenantCtx
from tests.factories import build_world, receive
from tests.purchasing.support import sent, supplier
from tests.test_permission_matrix import sign_in


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]  # type: ignore[index]


def test_replenishment_page_creates_draft_orders_and_an_order_is_received_from_its_page(
        tenant: TenantCtx, client: TestClient) -> None:
    build_world(tenant)
    supplier(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 3)
    perform(tenant.engine, tenant.actor, min_stock.set_min_stock_rule, sku="SKU-001", warehouse="MAIN", minimum=10)
    perform(tenant.engine, tenant.actor, suppliers.set_supplier_sku, "BOSCH", suppliers.SetSupplierSku(
        sku="SKU-001", unit_cost=Decimal("2.40"), pack_size=6, preferred=True))
    sign_in(client, tenant, "owner")
    page = client.get("/erp/purchasing/replenishment")
    assert page.status_code == 200 and 'data-sku="SKU-001"' in page.text
    key = re.search(r'name="pick" value="([0-9.]+)"', page.text)[1]  # type: ignore[index]
    assert f'name="qty.{key}" type="number" min="1" value="12"' in page.text  # need 7 → two packs of 6
    done = client.post("/erp/purchasing/replenishment", data={"csrf_token": _token(page.text), "pick": key,
                                                              f"qty.{key}": "12"}, follow_redirects=False)
    assert done.status_code == 303
    orders = client.get(done.headers["location"])
    assert "PO-000001" in orders.text and "draft" in orders.text
    url = re.search(r'href="(/erp/purchasing/orders/\d+)">PO-000001', orders.text)[1]  # type: ignore[index]
    detail = client.get(url)
    send = client.post(f"{url}/send", data={"csrf_token": _token(detail.text)},
                       follow_redirects=False)
    assert send.status_code == 303
    detail = client.get(url)
    stock = client.get("/erp/stock?q=SKU-001")
    assert re.search(r'class="num inbound">12 <span', stock.text)
    line = re.search(r'name="qty\.(\d+)"', detail.text)[1]  # type: ignore[index]
    bad = client.post(f"{url}/receive", data={
        "csrf_token": _token(detail.text), f"qty.{line}": "5", "location": "NORTH/B/01"})
    assert bad.status_code == 422 and "not in the chosen warehouse" in bad.text
    ok = client.post(f"{url}/receive", data={
        "csrf_token": _token(detail.text), f"qty.{line}": "5", "location": "MAIN/A/01"}, follow_redirects=True)
    assert "Received as GR-000001" in ok.text and "partially received" in ok.text
    assert 'id="inbound-total">7<' in client.get("/erp/stock/SKU-001").text


def test_blind_receipt_form_and_supplier_pages(tenant: TenantCtx, client: TestClient) -> None:
    build_world(tenant)
    supplier_url = f"/erp/purchasing/suppliers/{supplier(tenant)}"
    sign_in(client, tenant, "owner")
    form = client.get("/erp/purchasing/receipts/blind")
    bad = client.post("/erp/purchasing/receipts/blind", data={
        "csrf_token": _token(form.text), "warehouse": "MAIN", "location": "MAIN/A/01", "lines.1.sku": "NOPE",
        "lines.1.quantity": "2"})
    assert bad.status_code == 404 and 'id="lines.1.sku-error"' in bad.text
    ok = client.post("/erp/purchasing/receipts/blind", data={
        "csrf_token": _token(form.text), "warehouse": "MAIN", "location": "MAIN/A/01", "supplier": "BOSCH",
        "lines.0.sku": "SKU-002", "lines.0.quantity": "2", "lines.0.unit_cost": "1.5"}, follow_redirects=True)
    assert "Received as GR-000001" in ok.text and 'data-number="GR-000001"' in ok.text
    page = client.get(supplier_url)
    saved = client.post(f"{supplier_url}/skus", data={
        "csrf_token": _token(page.text), "sku": "SKU-001", "unit_cost": "3.10", "pack_size": "10",
        "preferred": "1"}, follow_redirects=True)
    assert 'data-sku="SKU-001"' in saved.text and "preferred" in saved.text
    edit = client.get(f"{supplier_url}/edit")
    client.post(f"{supplier_url}/edit", data={
        "csrf_token": _token(edit.text), "name": "Bosch", "currency": "EUR", "lead_time_days": "5",
        "over_receipt_tolerance_pct": "5", "active": "1"})
    assert 'id="tolerance">5.0%' in client.get(supplier_url).text


def test_a_reader_sees_orders_without_buttons_and_is_refused(tenant: TenantCtx, client: TestClient) -> None:
    build_world(tenant)
    supplier(tenant)
    order = sent(tenant, {"SKU-001": 4})
    sign_in(client, tenant, "read_only")
    page = client.get(f"/erp/purchasing/orders/{order.id}")
    assert page.status_code == 200 and order.number in page.text and "Receive now" not in page.text
    refused = client.post(f"/erp/purchasing/orders/{order.id}/close", data={"csrf_token": _token(page.text)})
    assert refused.status_code == 403


def test_putaway_page_moves_received_stock_to_the_suggested_bin(tenant: TenantCtx, client: TestClient) -> None:
    from stockyard.inventory import warehouses
    from stockyard.purchasing import receiving
    from tests.inventory.support import level

    build_world(tenant)
    perform(tenant.engine, tenant.actor, warehouses.create_location, warehouses.CreateLocation(
        warehouse="MAIN", code="R", kind="bin", type="receiving"))
    receive(tenant, "SKU-001", "MAIN/A/02", 1)
    perform(tenant.engine, tenant.actor, receiving.receive_blind, receiving.BlindReceipt(
        warehouse="MAIN", lines=[receiving.BlindLine(sku="SKU-001", quantity=6)]))
    sign_in(client, tenant, "owner")
    page = client.get("/erp/purchasing/putaway")
    assert re.search(r'data-sku="SKU-001">.*?MAIN/R.*?class="path suggestion">MAIN/A/02<', page.text, re.S)
    bad = client.post("/erp/purchasing/putaway", data={
        "csrf_token": _token(page.text), "sku": "SKU-001", "from_location": "MAIN/R", "quantity": "6",
        "to_location": "NORTH/B/01"})
    assert bad.status_code == 422 and "not in the chosen warehouse" in bad.text
    done = client.post("/erp/purchasing/putaway", data={
        "csrf_token": _token(page.text), "sku": "SKU-001", "from_location": "MAIN/R", "quantity": "6",
        "to_location": "MAIN/A/02"}, follow_redirects=True)
    assert "Put away 6 × SKU-001 into MAIN/A/02" in done.text and "Nothing waits in a receiving location" in done.text
    assert level(tenant, "SKU-001", "MAIN/A/02") == (7, 0) and level(tenant, "SKU-001", "MAIN/R") == (0, 0)
