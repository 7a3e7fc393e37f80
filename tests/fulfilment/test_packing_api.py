"""The warehouse-execution JSON API (/api/v1/fulfilment) and the /erp pages: a warehouse manager's API key walks an
order from a wave through picking and packing to shipped; bad scans are 4xx naming the field. Both backends."""

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Api, TenantCtx
from tests.fulfilment.execution_scene import BARCODES, build_scene
from tests.inventory.support import assert_ledger_consistent
from tests.sales.order_fixtures import detail

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_the_api_walks_an_order_from_wave_to_shipped(tenant: TenantCtx, client: TestClient) -> None:
    sc = build_scene(tenant)
    order_id = sc.order({"SKU-001": 2, "SKU-002": 1})
    _, key = tenant.user("warehouse_manager")
    api = Api(client, {"Authorization": f"Bearer {key}"})
    groups = api.get(f"/api/v1/fulfilment/waves/groups?warehouse_id={sc.shop.world.main}")
    assert groups.status_code == 200 and groups.json()["items"][0]["orders"] == 1
    wave = api.post("/api/v1/fulfilment/waves", {"warehouse_id": "MAIN"})
    assert wave.status_code == 201, wave.text
    [plist] = wave.json()["pick_lists"]
    assert plist["order_status"] == "picking"
    listing = api.get(f"/api/v1/fulfilment/pick-lists/{plist['id']}").json()
    nxt = listing["next_line"]
    bad = api.post(f"/api/v1/fulfilment/pick-lists/{plist['id']}/confirm", {
        "line_id": nxt["id"], "location_code": "MAIN/A/02", "scanned_barcode": BARCODES[nxt["sku"]]})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "location_code", bad.text
    while nxt is not None:
        done = api.post(f"/api/v1/fulfilment/pick-lists/{plist['id']}/confirm", {
            "line_id": nxt["id"], "location_code": nxt["location"], "scanned_barcode": BARCODES[nxt["sku"]],
            "quantity": nxt["remaining"]})
        assert done.status_code == 200, done.text
        nxt = done.json()["pick_list"]["next_line"]
    for sku in ("SKU-001", "SKU-001", "SKU-002"):
        packed = api.post(f"/api/v1/fulfilment/orders/{order_id}/pack", {"scanned_barcode": BARCODES[sku]})
        assert packed.status_code == 200, packed.text
    twice = api.post(f"/api/v1/fulfilment/orders/{order_id}/pack", {"scanned_barcode": BARCODES["SKU-002"]})
    assert twice.status_code == 409 and twice.json()["error"]["field"] == "scanned_barcode"
    early = api.post(f"/api/v1/fulfilment/orders/{order_id}/ship", {})
    assert early.status_code == 409 and "not packed" in early.text
    closed = api.post(f"/api/v1/fulfilment/orders/{order_id}/parcels/1/close",
                      {"weight_grams": 900, "length_mm": 300, "width_mm": 200, "height_mm": 100})
    assert closed.status_code == 200 and closed.json()["order_status"] == "packed"
    [rate] = closed.json()["station"]["rates"]
    shipped = api.post(f"/api/v1/fulfilment/orders/{order_id}/ship", {"method_id": rate["method_id"]})
    assert shipped.status_code == 200, shipped.text
    [shipment] = shipped.json()["shipments"]
    assert shipment["tracking_number"]
    assert api.get(shipment["label_url"]).headers["content-type"] == "application/pdf"
    assert detail(sc.shop, order_id).status == "shipped"
    assert_ledger_consistent(tenant)


def signed_in(tenant: TenantCtx, app_for: Any, role: str) -> tuple[TestClient, str]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    tenant.user(role, email=email, password=PASSWORD)
    client = TestClient(app_for(tenant.engine).app)
    token = CSRF.search(client.get("/login").text)[1]
    response = client.post("/login", data={"tenant": tenant.slug, "email": email, "password": PASSWORD,
                                            "csrf_token": token, "next": "/erp"}, follow_redirects=False)
    assert response.status_code == 303
    return client, CSRF.search(client.get("/erp").text)[1]


def test_the_erp_pages_release_a_wave_and_show_the_pick_list_and_pack_station(tenant: TenantCtx,
                                                                               app_for: Any) -> None:
    sc = build_scene(tenant)
    order_id = sc.order({"SKU-001": 1})
    client, csrf = signed_in(tenant, app_for, "warehouse_manager")
    page = client.get("/erp/fulfilment/waves")
    assert page.status_code == 200 and "Release a wave" in page.text
    made = client.post("/erp/fulfilment/waves", data={"csrf_token": csrf, "warehouse_id": "MAIN", "cutoff": "any"},
                       follow_redirects=False)
    assert made.status_code == 303, made.text
    wave = client.get(made.headers["location"])
    assert "Pick wave" in wave.text and detail(sc.shop, order_id).number in wave.text
    plist = sc.list_for(order_id)
    shown = client.get(f"/erp/fulfilment/pick-lists/{plist.id}")
    assert "MAIN/A/01" in shown.text and "Scan the location" in shown.text
    wrong = client.post(f"/erp/fulfilment/pick-lists/{plist.id}/confirm", data={
        "csrf_token": csrf, "line_id": plist.lines[0].id, "location_code": "MAIN/A/01",
        "scanned_barcode": BARCODES["SKU-002"]})
    assert wrong.status_code == 422 and "this line needs SKU-001" in wrong.text
    sc.pick_all(order_id)
    station = client.get(f"/erp/fulfilment/pack?order_id={order_id}")
    assert station.status_code == 200 and "Scan the item" in station.text and "Print packing slip" in station.text
    base = f"/erp/fulfilment/pack/{order_id}"
    twice = None
    for _ in range(2):
        twice = client.post(f"{base}/item", data={"csrf_token": csrf, "scanned_barcode": BARCODES["SKU-001"],
                                                  "parcel_no": "1"}, follow_redirects=False)
    assert twice is not None and twice.status_code == 409 and "packed already" in twice.text
    closed = client.post(f"{base}/close", data={"csrf_token": csrf, "parcel_no": "1", "weight_grams": "800",
                                                "length_mm": "300", "width_mm": "200", "height_mm": "100"},
                         follow_redirects=False)
    assert closed.status_code == 303
    packed = client.get(closed.headers["location"])
    assert "Carrier service" in packed.text and "DHL Standard" in packed.text
    shipped = client.post(f"{base}/ship", data={"csrf_token": csrf}, follow_redirects=False)
    assert shipped.status_code == 303
    assert detail(sc.shop, order_id).status == "shipped"
    assert_ledger_consistent(tenant)
