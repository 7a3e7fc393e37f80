"""Staff order pages (/admin/orders) and the order JSON API, through signed-in sessions and API keys: the list
with its filters and status counts, one order with its timeline, allocations, payments, shipments and documents,
the actions as forms (CSRF, redirect, flash, field errors with a 4xx), phone orders, a read-only user who sees
everything but no action and is refused on a forged post, and another tenant's order number that is not found."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from stockyard.core.clock import utcnow
from stockyard.sales.models import Order
from tests.conftest import TenantCtx, new_tenant
from tests.factories import receive
from tests.sales.order_fixtures import checkout_order, detail, phone_order
from tests.sales.shop_setup import SHIPPING_PRICE, Shop, build_shop
from tests.web.test_pages import Staff, field_error, new_client, sign_in  # noqa: F401  (fixtures)

ACTION_FORM = re.compile(r'<form method="post" action="/admin/orders/[^"]+/([a-z-]+)"')


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


def order_numbers(html: str) -> list[str]:
    return re.findall(r'<td><a href="/admin/orders/(SO-\d+)">', html)


def chip_count(html: str, label: str) -> int | None:
    found = re.search(rf'>{re.escape(label)} <span class="count">(\d+)</span>', html)
    return int(found[1]) if found else None


def orders_in_tenant(ctx: TenantCtx) -> int:
    with ctx.uow() as uow:
        return uow.conn.execute(select(func.count()).select_from(Order.__table__).where(
            Order.__table__.c.tenant_id == uow.tenant_id)).scalar_one()


def test_the_list_filters_by_status_channel_warehouse_age_and_text(shop: Shop, sign_in) -> None:  # noqa: ANN001, F811
    receive(shop.ctx, "SKU-002", "NORTH/B/01", 2)
    split = checkout_order(shop, {"SKU-002": 5}, email="split@example.com")  # MAIN 3 + NORTH 2
    paid = checkout_order(shop, {"SKU-001": 1}, email="anna@example.com")
    phone = phone_order(shop, {"SKU-001": 1})
    with shop.ctx.uow() as uow:  # the phone order was taken ten days ago
        uow.conn.execute(update(Order.__table__).where(Order.__table__.c.id == phone.order_id).values(
            placed_at=utcnow() - timedelta(days=10)))
    owner: Staff = sign_in("owner")
    page = owner.get("/admin/orders")
    assert page.status_code == 200
    assert order_numbers(page.text) == [paid.number, split.number, phone.number]  # newest first
    assert chip_count(page.text, "All") == 3 and chip_count(page.text, "allocated") == 2
    assert chip_count(page.text, "awaiting payment") == 1
    assert order_numbers(owner.get("/admin/orders", status="awaiting_payment").text) == [phone.number]
    assert order_numbers(owner.get("/admin/orders", warehouse_id=str(shop.world.north)).text) == [split.number]
    by_channel = owner.get("/admin/orders", channel_id=str(shop.channel_id), q="ANNA@")
    assert order_numbers(by_channel.text) == [paid.number]
    old = owner.get("/admin/orders", older_than_days="7")
    assert order_numbers(old.text) == [phone.number] and chip_count(old.text, "All") == 1
    assert order_numbers(owner.get("/admin/orders", q=split.number).text) == [split.number]
    assert order_numbers(owner.get("/admin/orders", sort="-total").text)[0] == split.number
    one_per_page = owner.get("/admin/orders", per_page="1", page="2")
    assert order_numbers(one_per_page.text) == [split.number] and "page 2 of 3" in one_per_page.text
    bad = owner.get("/admin/orders", status="lost", older_than_days="-1")
    assert bad.status_code == 422
    assert field_error(bad.text, "status") and field_error(bad.text, "older_than_days")


def test_the_detail_page_and_the_actions_as_forms(shop: Shop, sign_in) -> None:  # noqa: ANN001, F811
    placed = checkout_order(shop, {"SKU-001": 2})
    owner: Staff = sign_in("owner")
    url = f"/admin/orders/{placed.number}"
    page = owner.get(url).text
    assert "buyer@example.com" in page and "Erika Mustermann" in page and "warehouse priority" in page
    assert "order placed by buyer@example.com" in page and "Card" in page
    assert f"/api/v1/orders/{placed.number}/receipt.pdf" in page
    assert set(ACTION_FORM.findall(page)) == {"hold", "cancel", "reallocate", "ship", "lines"}
    refused = owner.post(f"{url}/hold", {"reason": ""})
    assert refused.status_code == 422 and field_error(refused.text, "reason") == "say why the order is held"
    held = owner.follow(owner.post(f"{url}/hold", {"reason": "customer will call"}))
    assert "Order put on hold" in held.text and "held: customer will call" in held.text
    assert set(ACTION_FORM.findall(held.text)) == {"release", "cancel"}
    assert "Hold released" in owner.follow(owner.post(f"{url}/release", {})).text
    shipped = owner.follow(owner.post(f"{url}/ship", {"warehouse_id": str(shop.world.main)}))
    assert "Shipped in 1 parcel(s)" in shipped.text
    order = detail(shop, placed.number)
    assert order.status == "shipped"
    shipment = order.shipments[0]
    assert shipment.tracking_number in shipped.text and f"/api/v1/shipments/{shipment.id}/label" in shipped.text
    receipt = owner.get(f"/api/v1/orders/{placed.number}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    assert owner.post(f"{url}/ship", {}).status_code == 409  # nothing left to ship
    owner.follow(owner.post(f"{url}/deliver", {}))
    invoiced = owner.follow(owner.post(f"{url}/invoice", {}))
    assert "Invoice issued" in invoiced.text
    invoice = detail(shop, placed.number).invoices[0]
    assert invoice.pdf_url in invoiced.text and owner.get(invoice.pdf_url).content.startswith(b"%PDF")
    closed = owner.follow(owner.post(f"{url}/close", {}))
    assert "Order closed" in closed.text and ACTION_FORM.findall(closed.text) == []


def test_edit_lines_mark_paid_and_cancel_through_the_forms(shop: Shop, sign_in) -> None:  # noqa: ANN001, F811
    placed = phone_order(shop, {"SKU-001": 2, "SKU-002": 1})
    owner: Staff = sign_in("owner")
    url = f"/admin/orders/{placed.number}"
    lines = {line.sku_code: line.id for line in detail(shop, placed.number).lines}
    page = owner.follow(owner.post(f"{url}/lines", {f"qty.{lines['SKU-001']}": "3", f"qty.{lines['SKU-002']}": "0"}))
    assert "Lines changed" in page.text
    order = detail(shop, placed.number)
    assert [(line.sku_code, line.quantity) for line in order.lines] == [("SKU-001", 3)]
    assert order.grand_total == 30 + SHIPPING_PRICE
    bad = owner.post(f"{url}/lines", {f"qty.{lines['SKU-001']}": "lots"})
    assert bad.status_code == 422
    no_ref = owner.post(f"{url}/mark-paid", {"reference": ""})
    assert no_ref.status_code == 422 and field_error(no_ref.text, "reference")
    paid = owner.follow(owner.post(f"{url}/mark-paid", {"reference": "TRANSFER-77"}))
    assert "the order is allocated" in paid.text and "TRANSFER-77" in paid.text
    cancelled = owner.follow(owner.post(f"{url}/cancel", {"reason": "changed their mind"}))
    assert "Order cancelled" in cancelled.text and detail(shop, placed.number).status == "cancelled"
    again = owner.post(f"{url}/cancel", {"reason": "twice"})
    assert again.status_code == 409 and "cannot cancel an order that is cancelled" in again.text


def test_a_phone_order_through_the_form(shop: Shop, sign_in) -> None:  # noqa: ANN001, F811
    owner: Staff = sign_in("owner")
    form_page = owner.get("/admin/orders/new")
    assert form_page.status_code == 200 and "Bank transfer" in form_page.text and "Card" not in form_page.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form_page.text)[1]
    form = {"channel_id": str(shop.channel_id), "email": "caller@example.com", "customer_name": "Carla Caller",
            "shipping_address.name": "Carla Caller", "shipping_address.line1": "Hafenstraße 1",
            "shipping_address.city": "Hamburg", "shipping_address.postcode": "20095",
            "shipping_address.country": "DE", "lines.0.sku": "SKU-001", "lines.0.quantity": "2",
            "lines.1.sku": "SKU-003", "lines.1.quantity": "1", "payment_method_id": str(shop.bank_method_id),
            "idempotency_key": key}
    quoted = owner.post("/admin/orders/new", {**form, "step": "quote"})
    assert quoted.status_code == 200 and "DHL Standard" in quoted.text and "4.90 EUR" in quoted.text
    assert orders_in_tenant(shop.ctx) == 0
    unknown = owner.post("/admin/orders/new", {**form, "lines.1.sku": "NOPE", "step": "place",
                                               "shipping_method_id": str(shop.method_id)})
    assert unknown.status_code == 404 and field_error(unknown.text, "lines.1.sku") == "unknown SKU NOPE"
    no_method = owner.post("/admin/orders/new", {**form, "step": "place"})
    assert no_method.status_code == 422 and field_error(no_method.text, "shipping_method_id")
    placed = owner.post("/admin/orders/new", {**form, "step": "place", "shipping_method_id": str(shop.method_id)})
    assert placed.status_code == 303
    page = owner.follow(placed)
    assert "placed; waiting for the payment; 1 unit(s) backordered" in page.text
    assert "order taken by owner user for caller@example.com" in page.text
    # The same form sent again (a double click) places nothing more.
    again = owner.post("/admin/orders/new", {**form, "step": "place", "shipping_method_id": str(shop.method_id)})
    assert again.headers["location"] == placed.headers["location"] and orders_in_tenant(shop.ctx) == 1


def test_read_only_sees_lists_and_details_but_no_actions(shop: Shop, sign_in) -> None:  # noqa: ANN001, F811
    placed = checkout_order(shop, {"SKU-001": 1})
    viewer: Staff = sign_in("read_only")
    listing = viewer.get("/admin/orders")
    assert listing.status_code == 200 and order_numbers(listing.text) == [placed.number]
    assert "New phone order" not in listing.text and ">Orders<" in listing.text
    page = viewer.get(f"/admin/orders/{placed.number}")
    assert page.status_code == 200 and "buyer@example.com" in page.text
    assert ACTION_FORM.findall(page.text) == [] and 'name="qty.' not in page.text
    assert viewer.get("/admin/orders/new").status_code == 403
    before = detail(shop, placed.number)
    for action, form in [("hold", {"reason": "x"}), ("cancel", {"reason": "x"}), ("ship", {}), ("reallocate", {}),
                         ("lines", {f"qty.{before.lines[0].id}": "0"})]:
        refused = viewer.post(f"/admin/orders/{placed.number}/{action}", form)
        assert refused.status_code == 403, action
    forged_order = viewer.post("/admin/orders/new", {"channel_id": str(shop.channel_id), "step": "place"})
    assert forged_order.status_code == 403
    after = detail(shop, placed.number)
    assert (after.status, len(after.timeline), after.lines, after.allocations) == (
        before.status, len(before.timeline), before.lines, before.allocations)
    assert orders_in_tenant(shop.ctx) == 1


def test_another_tenants_order_is_not_found(shop: Shop, sign_in, client) -> None:  # noqa: ANN001, F811
    other = new_tenant(shop.ctx.engine)
    theirs = build_shop(other)
    checkout_order(theirs, {"SKU-001": 1})
    second = checkout_order(theirs, {"SKU-001": 1})  # SO-000002 exists only in the other tenant
    owner: Staff = sign_in("owner")
    assert owner.get(f"/admin/orders/{second.number}").status_code == 404
    assert owner.post(f"/admin/orders/{second.number}/hold", {"reason": "x"}).status_code == 404
    assert owner.get("/admin/orders").text.count("/admin/orders/SO-") == 0
    _, key = shop.ctx.user("owner")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(f"/api/v1/orders/{second.number}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/orders/{second.number}/cancel", headers=headers).status_code == 404
    assert client.get("/api/v1/orders", headers=headers).json()["total"] == 0
    assert detail(theirs, second.number).status == "allocated"


def test_the_order_api(shop: Shop, client) -> None:  # noqa: ANN001
    _, key = shop.ctx.user("owner")
    owner = {"Authorization": f"Bearer {key}"}
    created = client.post("/api/v1/orders", headers=owner, json={
        "channel_id": shop.channel_id, "email": "api@example.com", "shipping_address": shop.address().model_dump(),
        "lines": [{"sku": "SKU-002", "quantity": 4}], "shipping_method_id": shop.method_id,
        "payment_method_id": shop.bank_method_id, "idempotency_key": "api-order-0001"})
    assert created.status_code == 201, created.text
    body = created.json()
    number = body["number"]
    assert body["status"] == "awaiting_payment" and body["backordered"] == 1 and body["source"] == "staff"
    assert body["lines"][0]["allocated"] == 3 and "mark_paid" in body["actions"]
    listing = client.get("/api/v1/orders", headers=owner, params={"status": "awaiting_payment"}).json()
    assert [o["number"] for o in listing["items"]] == [number] and listing["counts"] == {"awaiting_payment": 1}
    assert client.get("/api/v1/orders", headers=owner, params={"sort": "sideways"}).status_code == 422
    held = client.post(f"/api/v1/orders/{number}/hold", headers=owner, json={"reason": "check address"})
    assert held.status_code == 200 and held.json()["status"] == "on_hold"
    assert client.post(f"/api/v1/orders/{number}/mark-paid", headers=owner,
                       json={"reference": "R1"}).status_code == 409  # not while held
    assert client.post(f"/api/v1/orders/{number}/release", headers=owner).json()["status"] == "awaiting_payment"
    paid = client.post(f"/api/v1/orders/{number}/mark-paid", headers=owner, json={"reference": "R1"}).json()
    assert paid["status"] == "partially_allocated" and paid["payments"][0]["state"] == "captured"
    line_id = paid["lines"][0]["id"]
    edited = client.post(f"/api/v1/orders/{number}/lines", headers=owner,
                         json={"changes": [{"line_id": line_id, "quantity": 3}]})
    assert edited.status_code == 200 and edited.json()["status"] == "allocated"
    shipped = client.post(f"/api/v1/orders/{number}/ship", headers=owner, json={}).json()
    assert shipped["status"] == "shipped" and shipped["shipments"][0]["tracking_number"]
    assert client.post(f"/api/v1/orders/{number}/close", headers=owner).status_code == 409
    _, viewer_key = shop.ctx.user("read_only")
    viewer = {"Authorization": f"Bearer {viewer_key}"}
    assert client.get(f"/api/v1/orders/{number}", headers=viewer).status_code == 200
    assert client.post(f"/api/v1/orders/{number}/deliver", headers=viewer).status_code == 403
    assert client.get(f"/api/v1/orders/{number}", headers=owner).json()["status"] == "shipped"
