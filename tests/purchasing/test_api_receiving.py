"""The issue-5 purchasing API in-process (both backends), as a native app or the mobile pages use it: supplier
terms, a shipping notice received as announced, a blind receipt, putaway suggestion then putaway, replenishment
suggestions turned into draft orders; bad input answers 4xx naming the field and changes nothing."""

from stockyard.core.uow import perform
from stockyard.inventory import min_stock, warehouses
from tests.conftest import Api, TenantCtx
from tests.factories import build_world, receive
from tests.inventory.support import level, tenant_rows
from tests.purchasing.support import in_days, sent, supplier

PUR = "/api/v1/purchasing"


def test_notice_receipt_putaway_and_replenishment_through_the_api(tenant: TenantCtx, api: Api) -> None:
    world = build_world(tenant)
    perform(tenant.engine, tenant.actor, warehouses.create_location, warehouses.CreateLocation(
        warehouse="MAIN", code="DOCK", kind="bin", type="receiving"))
    supplier_id = supplier(tenant)
    terms = api.put(f"{PUR}/suppliers/{supplier_id}", {"name": "Bosch", "currency": "EUR", "lead_time_days": 3,
                                                      "over_receipt_tolerance_pct": "10"})
    assert terms.status_code == 200 and terms.json()["over_receipt_tolerance_pct"] == "10.00"
    sku = api.put(f"{PUR}/suppliers/{supplier_id}/skus", {"sku": "SKU-002", "unit_cost": "4.50", "pack_size": 5,
                                                         "min_order_qty": 10, "preferred": True})
    assert sku.json()["skus"] == [{"sku_id": sku.json()["skus"][0]["sku_id"], "sku": "SKU-002", "supplier_code": "",
                                   "unit_cost": "4.5000", "pack_size": 5, "min_order_qty": 10, "preferred": True}]

    order = sent(tenant, {"SKU-001": 10})
    asn = api.post(f"{PUR}/purchase-orders/{order.id}/asns", {"expected_on": in_days(2).isoformat(),
                                                               "carrier": "UPS", "tracking": "1Z999"})
    assert asn.status_code == 201, asn.text
    received = api.post(f"{PUR}/asns/{asn.json()['id']}/receive", {})
    assert received.status_code == 200 and received.json()["state"] == "received"
    assert received.json()["number"] == "GR-000001" and level(tenant, "SKU-001", "MAIN/DOCK") == (10, 0)

    blind = api.post(f"{PUR}/receipts/blind", {"warehouse": "MAIN", "supplier": "BOSCH",
                                               "lines": [{"sku": "SKU-002", "quantity": 2}]})
    assert blind.status_code == 201 and blind.json()["state"] == "blind"

    receive(tenant, "SKU-001", "MAIN/A/02", 1)
    hint = api.get(f"{PUR}/putaway-suggestions", params={"warehouse_id": world.main, "sku_id": sku_id(api, order.id),
                                                         "quantity": 10})
    assert hint.status_code == 200 and hint.json()["items"][0]["path"] == "MAIN/A/02"
    waiting = api.get(f"{PUR}/putaway/awaiting").json()["items"]
    assert [(w["sku"], w["location"], w["quantity"], w["suggested_location"]) for w in waiting] == [
        ("SKU-001", "MAIN/DOCK", 10, "MAIN/A/02"), ("SKU-002", "MAIN/DOCK", 2, "MAIN/A/01")]
    moved = api.post(f"{PUR}/putaway", {"sku": "SKU-001", "quantity": 10, "from_location": "MAIN/DOCK"})
    assert moved.status_code == 200 and moved.json()["to_location"] == "MAIN/A/02"
    assert level(tenant, "SKU-001", "MAIN/A/02") == (11, 0)
    # a category rule sends SKU-002 (category Parts) to zone A; a capacity of 1 leaves A/01 no room for 2
    rule = api.put(f"{PUR}/putaway-rules", {"warehouse": "MAIN", "category_id": parts_category(tenant),
                                            "location": "MAIN/A"})
    assert rule.status_code == 200
    assert [r["location"] for r in api.get(f"{PUR}/putaway-rules").json()["items"]] == ["MAIN/A"]
    assert api.put(f"{PUR}/location-capacities", {"location": "MAIN/A/01", "capacity": 1}).status_code == 200
    waiting = api.get(f"{PUR}/putaway/awaiting").json()["items"]
    assert [(w["sku"], w["suggested_location"]) for w in waiting] == [("SKU-002", "MAIN/A/02")]
    assert api.client.delete(f"{PUR}/putaway-rules/{rule.json()['id']}", headers=api.headers).status_code == 204
    assert api.get(f"{PUR}/putaway-rules").json()["items"] == []

    perform(tenant.engine, tenant.actor, min_stock.set_min_stock_rule, sku="SKU-002", warehouse="MAIN", minimum=6)
    suggestions = api.get(f"{PUR}/replenishment").json()["items"]
    assert [(s["sku"], s["warehouse"], s["need"], s["quantity"], s["supplier"]) for s in suggestions] == [
        ("SKU-002", "MAIN", 4, 10, "BOSCH")]
    drafts = api.post(f"{PUR}/replenishment/orders", {"items": [
        {"sku": "SKU-002", "warehouse": "MAIN", "quantity": 10}]})
    assert drafts.status_code == 201
    assert [(o["state"], o["supplier_code"], o["lines"][0]["quantity"], o["lines"][0]["unit_cost"])
            for o in drafts.json()["items"]] == [("draft", "BOSCH", 10, "4.5000")]


def parts_category(ctx: TenantCtx) -> int:
    from sqlalchemy import select

    from stockyard.catalog.models import Category

    with ctx.uow() as uow:
        return uow.execute(select(Category.id).where(Category.name == "Parts")).scalar_one()


def sku_id(api: Api, order_id: int) -> int:
    return api.get(f"{PUR}/purchase-orders/{order_id}").json()["lines"][0]["sku_id"]


def test_bad_receiving_input_names_the_field_and_changes_nothing(tenant: TenantCtx, api: Api) -> None:
    build_world(tenant)
    supplier(tenant)
    order = sent(tenant, {"SKU-001": 4})
    before = tenant_rows(tenant)
    over = api.post(f"{PUR}/purchase-orders/{order.id}/receive", {"location": "MAIN/A/01", "lines": [
        {"sku": "SKU-001", "quantity": 5}]})
    assert over.status_code == 422 and over.json()["error"]["field"] == "lines[0].quantity"
    assert "supplier allows no over-receipt" in over.json()["error"]["message"]
    unknown = api.post(f"{PUR}/receipts/blind", {"warehouse": "MAIN", "location": "MAIN/A/01",
                                                 "lines": [{"sku": "NOPE", "quantity": 1}]})
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "lines[0].sku"
    no_dock = api.post(f"{PUR}/receipts/blind", {"warehouse": "MAIN", "lines": [{"sku": "SKU-001", "quantity": 1}]})
    assert no_dock.status_code == 422 and no_dock.json()["error"]["field"] == "location"
    both = api.post(f"{PUR}/purchase-orders/{order.id}/receive", {"location": "MAIN/A/01", "lines": [
        {"sku": "SKU-001", "line_id": 1, "quantity": 1}]})
    assert both.status_code == 422
    full = api.post(f"{PUR}/putaway", {"sku": "SKU-001", "quantity": 1, "from_location": "MAIN/A/01"})
    assert full.status_code == 409, full.text  # nothing there to put away
    late = api.post(f"{PUR}/purchase-orders/{order.id}/asns", {"expected_on": "2020-01-01"})
    assert late.status_code == 422 and late.json()["error"]["field"] == "expected_on"
    assert tenant_rows(tenant) == before
