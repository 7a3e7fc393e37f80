"""Pick, pack and ship on the phone pages: each scan is checked on its step (wrong location, wrong item, more than
the line needs, packing an item twice, shipping an unpacked order) and refused with nothing changed."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TenantCtx
from tests.fulfilment.execution_scene import BARCODES, Scene, build_scene
from tests.inventory.support import level, tenant_rows
from tests.web.mobile.test_mobile_pages import CSRF, Phone, alert, sign_in


@pytest.fixture
def scene(tenant: TenantCtx) -> Scene:
    return build_scene(tenant)


def test_pick_pack_and_ship_on_the_phone(tenant: TenantCtx, client: TestClient, scene: Scene) -> None:
    scene.order({"SKU-001": 2})
    scene.wave()
    phone: Phone = sign_in(tenant, TestClient(client.app), "warehouse_manager")
    start = phone.get("/m/MAIN/pick")
    phone.csrf = CSRF.search(start.text)[1]
    code = re.search(r"<td>(PL-\d+)</td>", start.text)[1]  # type: ignore[index]
    number = re.search(r"<td>PL-\d+</td><td>([^<]+)</td>", start.text)[1]  # type: ignore[index]

    before = tenant_rows(tenant)
    assert "Go to MAIN/A/01 and scan the location" in phone.get("/m/MAIN/pick", pick=number).text
    wrong_place = phone.get("/m/MAIN/pick", pick=code, location="MAIN/A/02")
    assert wrong_place.status_code == 422
    assert alert(wrong_place) == "wrong location MAIN/A/02: pick this line from MAIN/A/01"
    elsewhere = phone.get("/m/MAIN/pick", pick=code, location="NORTH/B/01")
    assert alert(elsewhere) == "location NORTH/B/01 is not in the chosen warehouse"
    wrong_item = phone.get("/m/MAIN/pick", pick=code, location="MAIN/A/01", sku=BARCODES["SKU-002"])
    assert wrong_item.status_code == 422
    assert alert(wrong_item) == "wrong item SKU-002: this line needs SKU-001"
    unknown = phone.get("/m/MAIN/pick", pick=code, location="MAIN/A/01", sku="123")
    assert unknown.status_code == 404
    line = phone.get("/m/MAIN/pick", pick=code, location="MAIN/A/01", sku=BARCODES["SKU-001"])
    assert "How many × SKU-001 did you take?" in line.text
    line_id = re.search(r'name="line_id" value="(\d+)"', line.text)[1]  # type: ignore[index]
    too_many = phone.post("/m/MAIN/pick", {"pick": code, "line_id": line_id, "location": "MAIN/A/01",
                                           "sku": "SKU-001", "quantity": "3"})
    assert too_many.status_code == 422
    assert alert(too_many) == "only 2 more to pick on this line"
    not_packed = phone.get("/m/MAIN/ship", order=number)
    assert not_packed.status_code == 409
    assert alert(not_packed) == f"order {number} is picking, not packed: pick and pack it before shipping"
    assert tenant_rows(tenant) == before

    picked = phone.post("/m/MAIN/pick", {"pick": code, "line_id": line_id, "location": "MAIN/A/01",
                                         "sku": "SKU-001", "quantity": "2"})
    assert picked.status_code == 303
    assert picked.headers["location"] == f"/m/MAIN/pack?order={number}"  # next: the pack station
    station = phone.get(picked.headers["location"])
    assert f"is complete: pack order {number}" in station.text
    assert "Scan each item into parcel 1 (2 left to pack)" in station.text
    assert phone.done("/m/MAIN/pack", {"order": number, "parcel": "1", "quantity": "1",
                                       "sku": BARCODES["SKU-001"]}) == \
        "Packed 1 × SKU-001 into parcel 1; 1 left to pack"
    assert phone.done("/m/MAIN/pack", {"order": number, "parcel": "1", "quantity": "1",
                                       "sku": BARCODES["SKU-001"]}) == \
        "Packed 1 × SKU-001 into parcel 1; everything picked is packed"
    before = tenant_rows(tenant)
    twice = phone.post("/m/MAIN/pack", {"order": number, "parcel": "1", "quantity": "1", "sku": "SKU-001"})
    assert twice.status_code == 409
    assert alert(twice) == "every picked unit of SKU-001 is packed already"
    assert tenant_rows(tenant) == before
    close_form = phone.get("/m/MAIN/pack", order=number).text
    assert "weigh and measure parcel 1" in close_form and 'action="pack/close"' in close_form
    closing = phone.post("/m/MAIN/pack/close", {"order": number, "parcel": "1", "weight_grams": "800",
                                                "length_mm": "300", "width_mm": "200", "height_mm": "100"})
    assert closing.status_code == 303 and closing.headers["location"] == f"/m/MAIN/ship?order={number}"
    assert "Hand order" in phone.get(closing.headers["location"]).text
    assert phone.done("/m/MAIN/ship", {"order": number}) == f"Shipped order {number} (1 shipment)"
    assert level(tenant, "SKU-001", "MAIN/A/01") == (3, 0)
