"""The purchasing JSON API in-process (both backends): a supplier, a purchase order created, sent, received in two
deliveries and listed; bad input answers 4xx with the field at fault and changes nothing."""

from fastapi.testclient import TestClient

from tests.conftest import Api, TenantCtx
from tests.factories import build_world
from tests.inventory.support import level, tenant_rows
from tests.purchasing.support import in_days

PUR = "/api/v1/purchasing"


def test_a_purchase_order_from_draft_to_received(tenant: TenantCtx, api: Api) -> None:
    build_world(tenant)
    created = api.post(f"{PUR}/suppliers", {"code": "mann", "name": "Mann Filter", "currency": "eur",
                                            "lead_time_days": 5})
    assert created.status_code == 201 and created.json()["code"] == "MANN"
    order = api.post(f"{PUR}/purchase-orders", {"supplier": "MANN", "warehouse": "MAIN", "lines": [
        {"sku": "SKU-001", "quantity": 8, "unit_cost": "1.20"}, {"sku": "SKU-002", "quantity": 2, "unit_cost": "9"}]})
    assert order.status_code == 201, order.text
    body = order.json()
    assert body["number"] == "PO-000001" and body["state"] == "draft" and body["total"] == "27.60"
    assert body["expected_on"] == in_days(5).isoformat()
    po = body["id"]
    assert api.post(f"{PUR}/purchase-orders/{po}/send").json()["state"] == "sent"
    first, second = (line["id"] for line in body["lines"])
    partly = api.post(f"{PUR}/purchase-orders/{po}/receive", {"location": "MAIN/A/01",
                                                            "lines": [{"line_id": first, "quantity": 8}]})
    assert partly.status_code == 200 and partly.json()["state"] == "partially_received"
    assert len(partly.json()["move_ids"]) == 1
    listed = api.get(f"{PUR}/purchase-orders", params={"state": "open"}).json()
    assert [(o["number"], o["units_ordered"], o["units_received"]) for o in listed["items"]] == [
        ("PO-000001", 10, 8)]
    done = api.post(f"{PUR}/purchase-orders/{po}/receive", {"location": "MAIN/A/02",
                                                          "lines": [{"line_id": second, "quantity": 2}]})
    assert done.json()["state"] == "received"
    assert api.get(f"{PUR}/purchase-orders", params={"state": "open"}).json()["items"] == []
    assert level(tenant, "SKU-001", "MAIN/A/01") == (8, 0) and level(tenant, "SKU-002", "MAIN/A/02") == (2, 0)


def test_bad_input_is_a_clear_4xx_and_changes_nothing(tenant: TenantCtx, api: Api) -> None:
    build_world(tenant)
    api.post(f"{PUR}/suppliers", {"code": "MANN", "name": "Mann Filter", "currency": "EUR"})
    po = api.post(f"{PUR}/purchase-orders", {"supplier": "MANN", "warehouse": "MAIN", "lines": [
        {"sku": "SKU-001", "quantity": 3, "unit_cost": "1"}]}).json()
    api.post(f"{PUR}/purchase-orders/{po['id']}/send")
    line = po["lines"][0]["id"]
    before = tenant_rows(tenant)
    over = api.post(f"{PUR}/purchase-orders/{po['id']}/receive", {"location": "MAIN/A/01",
                                                                "lines": [{"line_id": line, "quantity": 4}]})
    assert over.status_code == 422 and over.json()["error"]["field"] == "lines[0].quantity"
    assert "over-receipt" in over.json()["error"]["message"]
    assert api.post(f"{PUR}/purchase-orders/{po['id']}/cancel", {}).status_code == 200
    assert api.post(f"{PUR}/purchase-orders/{po['id']}/send").status_code == 409
    assert api.post(f"{PUR}/suppliers", {"code": "MANN", "name": "Again", "currency": "EUR"}).status_code == 409
    assert api.post(f"{PUR}/purchase-orders", {"supplier": "MANN", "warehouse": "MAIN", "lines": [
        {"sku": "SKU-001", "quantity": 0, "unit_cost": "1"}]}).status_code == 422
    assert api.get(f"{PUR}/purchase-orders/999999").status_code == 404
    after = tenant_rows(tenant)  # only the cancellation (and its event) changed anything
    assert after["stock_moves"] == before["stock_moves"] and after["purchase_order_lines"] == before[
        "purchase_order_lines"]


def test_a_reader_may_look_but_not_order(tenant: TenantCtx, client: TestClient) -> None:
    build_world(tenant)
    _, key = tenant.user("read_only")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(f"{PUR}/purchase-orders", headers=headers).status_code == 200
    refused = client.post(f"{PUR}/suppliers", json={"code": "X", "name": "X", "currency": "EUR"}, headers=headers)
    assert refused.status_code == 403
