"""Pick, pack and ship through the mobile API (fulfilment.picking / fulfilment.packing underneath), and the scans
that must be refused there: the wrong location or item for the pick line, more than the line needs, packing an
item twice, shipping an order that is not packed."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from stockyard.inventory.verify import verify_levels
from tests.conftest import Api, TenantCtx
from tests.fulfilment.execution_scene import BARCODES, Scene, build_scene
from tests.inventory.support import level, tenant_rows

M = "/api/v1/mobile/warehouses/MAIN"


@pytest.fixture
def scene(tenant: TenantCtx) -> Scene:
    return build_scene(tenant)


@pytest.fixture
def operator(tenant: TenantCtx, client: TestClient, scene: Scene) -> Api:
    _, key = tenant.user("warehouse_operator")
    return Api(client, {"Authorization": f"Bearer {key}"})


def refused(api: Api, tenant: TenantCtx, url: str, body: dict[str, Any], status: int, field: str) -> str:
    before = tenant_rows(tenant)
    response = api.post(url, body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field, response.text
    assert tenant_rows(tenant) == before
    return response.json()["error"]["message"]


def test_pick_pack_and_ship_an_order_by_scanning(tenant: TenantCtx, operator: Api, scene: Scene) -> None:
    order_id = scene.order({"SKU-001": 2})
    scene.wave()
    lists = operator.get(f"{M}/picking").json()["pick_lists"]
    assert len(lists) == 1 and lists[0]["lines_left"] == 1
    plist = operator.get(f"{M}/picking", params={"pick": lists[0]["order"]}).json()
    number = plist["order"]
    assert plist["next_line_id"] == plist["lines"][0]["line_id"]
    line = plist["lines"][0]
    assert (line["location"], line["sku"], line["remaining"]) == ("MAIN/A/01", "SKU-001", 2)
    picks = f"{M}/pick-lists/{plist['id']}/picks"

    assert "wrong location" in refused(operator, tenant, picks, {"line_id": line["line_id"], "location": "MAIN/A/02",
                                                                 "sku": BARCODES["SKU-001"], "quantity": 2},
                                       422, "location")
    assert "another warehouse" in refused(operator, tenant, picks, {"line_id": line["line_id"],
                                                                    "location": "NORTH/B/01",
                                                                    "sku": BARCODES["SKU-001"], "quantity": 2},
                                          422, "location")
    assert "wrong item SKU-002" in refused(operator, tenant, picks, {"line_id": line["line_id"],
                                                                     "location": "MAIN/A/01",
                                                                     "sku": BARCODES["SKU-002"], "quantity": 2},
                                           422, "sku")
    assert "unknown barcode" in refused(operator, tenant, picks, {"line_id": line["line_id"], "location": "MAIN/A/01",
                                                                  "sku": "0000000000000", "quantity": 2}, 404, "sku")
    assert "only 2 more" in refused(operator, tenant, picks, {"line_id": line["line_id"], "location": "MAIN/A/01",
                                                              "sku": BARCODES["SKU-001"], "quantity": 3},
                                    422, "quantity")
    shipping = f"{M}/shipments"
    assert "not packed" in refused(operator, tenant, shipping, {"order": number}, 409, "order")

    picked = operator.post(picks, {"line_id": line["line_id"], "location": "MAIN/A/01", "sku": BARCODES["SKU-001"],
                                   "quantity": 2})
    assert picked.status_code == 200, picked.text
    assert picked.json()["state"] == "picked"
    assert picked.json()["message"] == f"Picked 2 × SKU-001 from MAIN/A/01; PL-{plist['id']} is complete: pack " \
                                       f"order {number}"

    assert operator.get(f"{M}/packing").json() == {"warehouse": "MAIN", "orders": [number]}
    packed = operator.post(f"{M}/packing/items", {"order": number, "sku": BARCODES["SKU-001"], "quantity": 2})
    assert packed.status_code == 200, packed.text
    assert packed.json()["message"] == "Packed 2 × SKU-001 into parcel 1; everything picked is packed"
    assert "packed already" in refused(operator, tenant, f"{M}/packing/items",
                                       {"order": number, "sku": "SKU-001"}, 409, "sku")
    assert "not in order" in refused(operator, tenant, f"{M}/packing/items", {"order": number, "sku": "SKU-002"},
                                     422, "sku")
    assert "not packed" in refused(operator, tenant, shipping, {"order": number}, 409, "order")
    state = operator.get(f"{M}/packing", params={"order": number}).json()
    assert state["lines"] == [{"sku": "SKU-001", "picked": 2, "packed": 2}]
    assert state["parcels"] == [{"parcel": 1, "state": "open", "units": 2}]

    closed = operator.post(f"{M}/packing/parcels", {"order": number, "parcel": 1, "weight_grams": 900,
                                                     "length_mm": 300, "width_mm": 200, "height_mm": 100})
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "packed"
    assert level(tenant, "SKU-001", "MAIN/A/01") == (5, 2)  # picked units stay reserved until they ship
    # The operator ships: the step consumes the order's reservations without the operator holding inventory.reserve.
    shipped = operator.post(shipping, {"order": number})
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["message"] == f"Shipped order {number} (1 shipment)"
    assert level(tenant, "SKU-001", "MAIN/A/01") == (3, 0)
    assert operator.get(f"{M}/picking").json()["pick_lists"] == []
    assert operator.get(f"{M}/packing").json()["orders"] == []
    assert order_id == shipped.json()["id"]
    assert verify_levels(tenant.engine, tenant.tenant_id) == []  # the levels agree with the ledger


def test_an_order_of_another_warehouse_is_not_packed_here(tenant: TenantCtx, client: TestClient,
                                                          scene: Scene) -> None:
    scene.order({"SKU-001": 1})
    scene.wave()
    _, key = tenant.user("warehouse_operator")
    anyone = Api(client, {"Authorization": f"Bearer {key}"})
    number = anyone.get(f"{M}/picking").json()["pick_lists"][0]["order"]
    assert anyone.get("/api/v1/mobile/warehouses/NORTH/packing", params={"order": number}).status_code == 422
    assert anyone.get("/api/v1/mobile/warehouses/NORTH/picking", params={"pick": number}).status_code == 422
    assert anyone.get("/api/v1/mobile/warehouses/NORTH/picking").json()["pick_lists"] == []
