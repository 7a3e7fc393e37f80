"""The mobile JSON API (/api/v1/mobile): the scanner workflows, the warehouse limits of an operator, and bad scans
that must be refused with a 4xx naming the field while nothing changes."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from stockyard.inventory.verify import verify_levels
from tests.conftest import Api, TenantCtx
from tests.factories import receive
from tests.inventory.support import level, tenant_rows
from tests.web.mobile.support import EAN, Floor, build_floor

M = "/api/v1/mobile/warehouses"


@pytest.fixture
def floor(tenant: TenantCtx) -> Floor:
    return build_floor(tenant)


def as_role(tenant: TenantCtx, client: TestClient, role: str, warehouse_ids: list[int] | None = None) -> Api:
    _, key = tenant.user(role, warehouse_ids=warehouse_ids)
    return Api(client, {"Authorization": f"Bearer {key}"})


def refused(api: Api, tenant: TenantCtx, url: str, body: dict[str, Any], status: int, field: str) -> str:
    before = tenant_rows(tenant)
    response = api.post(url, body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["field"] == field, error
    assert tenant_rows(tenant) == before
    return error["message"]


def test_receive_a_purchase_order_by_scanning_then_put_away(tenant: TenantCtx, client: TestClient,
                                                            floor: Floor) -> None:
    receive(tenant, "SKU-001", "MAIN/A/02", 1)
    op = as_role(tenant, client, "warehouse_operator", [floor.world.main])
    assert [w["code"] for w in op.get(M).json()] == ["MAIN"]
    scanned = op.get(f"{M}/MAIN/scan", params={"code": floor.po_number}).json()
    assert scanned["kind"] == "purchase_order"
    assert [(line["sku"], line["open"]) for line in scanned["lines"]] == [("SKU-001", 5), ("SKU-002", 2)]

    got = op.post(f"{M}/MAIN/receipts", {"purchase_order": floor.po_number, "sku": EAN, "quantity": 3})
    assert got.status_code == 201, got.text
    assert got.json()["state"] == "partially_received"
    assert got.json()["location"] == "MAIN/DOCK"
    assert level(tenant, "SKU-001", "MAIN/DOCK") == (3, 0)

    where = op.get(f"{M}/MAIN/putaway", params={"sku": EAN}).json()
    assert where["waiting"] == [{"location": "MAIN/DOCK", "on_hand": 3}]
    # the bin that already holds the SKU comes first; the receiving dock and the quarantine bin are no candidates
    assert [s["location"] for s in where["suggested"]] == ["MAIN/A/02", "MAIN/A/01"]
    put = op.post(f"{M}/MAIN/putaways", {"sku": EAN, "from_location": "MAIN/DOCK", "to_location": "main/a/02",
                                         "quantity": 3})
    assert put.status_code == 201, put.text
    assert put.json()["message"] == "Put away 3 × SKU-001 from MAIN/DOCK to MAIN/A/02"
    assert level(tenant, "SKU-001", "MAIN/A/02") == (4, 0)
    assert level(tenant, "SKU-001", "MAIN/DOCK") == (0, 0)
    after = op.get(f"{M}/MAIN/scan", params={"code": "SKU-001"}).json()
    assert after["stock"] == [{"location": "MAIN/A/02", "type": "storage", "on_hand": 4}]


def test_blind_receipt_move_transfer_and_count(tenant: TenantCtx, client: TestClient, floor: Floor) -> None:
    op = as_role(tenant, client, "warehouse_operator")
    assert op.post(f"{M}/MAIN/receipts", {"sku": "SKU-002", "quantity": 4, "location": "MAIN/A/02"}).status_code == 201
    assert level(tenant, "SKU-002", "MAIN/A/02") == (4, 0)
    assert op.post(f"{M}/MAIN/moves", {"sku": "SKU-002", "from_location": "MAIN/A/02", "to_location": "MAIN/A/01",
                                       "quantity": 1}).status_code == 201
    sent = op.post(f"{M}/MAIN/transfers", {"to_warehouse": "NORTH", "sku": "SKU-002", "from_location": "MAIN/A/02",
                                           "quantity": 2})
    assert sent.status_code == 201, sent.text
    transfer = sent.json()["id"]
    assert op.get(f"{M}/NORTH/scan", params={"code": f"TR-{transfer}"}).json()["lines"][0]["in_transit"] == 2
    got = op.post(f"{M}/NORTH/transfers/{transfer}/receipts", {"sku": "SKU-002", "quantity": 2,
                                                               "to_location": "NORTH/B/01"})
    assert got.status_code == 200, got.text
    assert got.json()["state"] == "received"
    assert level(tenant, "SKU-002", "NORTH/B/01") == (2, 0)

    opened = op.post(f"{M}/MAIN/counts", {"location": "MAIN/A"})
    assert opened.status_code == 201, opened.text
    count = opened.json()["id"]
    recorded = op.post(f"{M}/MAIN/counts/{count}/lines", {"location": "MAIN/A/01", "sku": "SKU-002", "counted": 0})
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["message"] == f"Counted 0 × SKU-002 at MAIN/A/01 on CNT-{count}"
    assert verify_levels(tenant.engine, tenant.tenant_id) == []


def test_write_off_needs_inventory_adjust(tenant: TenantCtx, client: TestClient, floor: Floor) -> None:
    receive(tenant, "SKU-001", "MAIN/A/01", 3)
    body = {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1, "reason": "damaged"}
    refused(as_role(tenant, client, "warehouse_operator"), tenant, f"{M}/MAIN/write-offs", body, 403, "permission")
    manager = as_role(tenant, client, "warehouse_manager")
    done = manager.post(f"{M}/MAIN/write-offs", body)
    assert done.status_code == 201, done.text
    assert done.json()["message"] == "Wrote off 1 × SKU-001 at MAIN/A/01 (damaged)"
    assert level(tenant, "SKU-001", "MAIN/A/01") == (2, 0)


def test_an_operator_limited_to_one_warehouse_is_refused_the_other(tenant: TenantCtx, client: TestClient,
                                                                    floor: Floor) -> None:
    receive(tenant, "SKU-001", "NORTH/B/01", 3)
    op = as_role(tenant, client, "warehouse_operator", [floor.world.main])
    assert op.get(f"{M}/NORTH/scan", params={"code": "SKU-001"}).status_code == 403
    assert op.get(f"{M}/{floor.world.north}/scan", params={"code": "SKU-001"}).status_code == 403
    refused(op, tenant, f"{M}/NORTH/moves", {"sku": "SKU-001", "from_location": "NORTH/B/01",
                                             "to_location": "NORTH/B", "quantity": 1}, 403, "warehouse")
    refused(op, tenant, f"{M}/NORTH/receipts", {"sku": "SKU-001", "quantity": 1, "location": "NORTH/B/01"}, 403,
            "warehouse")


def test_bad_scans_are_refused_and_change_nothing(tenant: TenantCtx, client: TestClient, floor: Floor) -> None:
    receive(tenant, "SKU-001", "MAIN/A/01", 3)
    op = as_role(tenant, client, "warehouse_operator")
    unknown = op.get(f"{M}/MAIN/scan", params={"code": "0000000000000"})
    assert unknown.status_code == 404
    assert "unknown barcode '0000000000000'" in unknown.json()["error"]["message"]
    assert "unknown barcode" in refused(op, tenant, f"{M}/MAIN/receipts",
                                        {"purchase_order": floor.po_number, "sku": "999", "quantity": 1}, 404, "sku")
    # a location of another warehouse
    assert op.get(f"{M}/MAIN/scan", params={"code": "NORTH/B/01"}).status_code == 422
    assert "not in the chosen warehouse" in refused(
        op, tenant, f"{M}/MAIN/moves", {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "NORTH/B/01",
                                        "quantity": 1}, 422, "to_location")
    # more than ordered, an item not on the order
    assert "more than ordered" in refused(op, tenant, f"{M}/MAIN/receipts",
                                          {"purchase_order": floor.po_number, "sku": "SKU-002", "quantity": 3}, 422,
                                          "quantity")
    assert "SKU-003 is not on purchase order" in refused(op, tenant, f"{M}/MAIN/receipts",
                                                         {"purchase_order": floor.po_number, "sku": "SKU-003",
                                                          "quantity": 1}, 422, "sku")
    # more than on hand
    refused(op, tenant, f"{M}/MAIN/moves", {"sku": "SKU-001", "from_location": "MAIN/A/01",
                                            "to_location": "MAIN/A/02", "quantity": 4}, 409, "quantity")
    refused(op, tenant, f"{M}/MAIN/transfers", {"to_warehouse": "NORTH", "sku": "SKU-001",
                                                "from_location": "MAIN/A/01", "quantity": 4}, 409, "quantity")
    refused(op, tenant, f"{M}/MAIN/receipts", {"sku": "SKU-001", "quantity": 0}, 422, "quantity")


def test_the_mobile_api_is_documented(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    mobile = {path: ops for path, ops in paths.items() if path.startswith("/api/v1/mobile/")}
    assert len(mobile) >= 15
    for path, ops in mobile.items():
        for method, op in ops.items():
            assert op["tags"] == ["mobile"], (method, path)
            assert op.get("summary") and op.get("description"), f"{method} {path} needs a summary and a description"
    receipts = mobile["/api/v1/mobile/warehouses/{warehouse}/receipts"]["post"]
    assert "blind receipt" in receipts["description"]
