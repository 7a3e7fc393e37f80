"""The inventory JSON API at /api/v1/inventory, in-process, with real API keys, on both backends."""

from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from stockyard.catalog.services import add_barcode
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity.models import ApiKey
from stockyard.identity.services import revoke_api_key
from tests.conftest import Api, TenantCtx, new_tenant
from tests.factories import World, build_world, receive
from tests.inventory.support import assert_ledger_consistent, events, level, location_id, tenant_rows

INV = "/api/v1/inventory"


@pytest.fixture
def world(tenant: TenantCtx) -> World:
    made = build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10, unit_cost="2.50", document_type="purchase_order",
            document_id="PO-1")
    return made


def _error(response: httpx.Response) -> dict[str, Any]:
    return response.json()["error"]


def _as(client: TestClient, key: str) -> Api:
    return Api(client, {"Authorization": f"Bearer {key}"})


def _atp(api: Api, sku: str = "SKU-001") -> dict[str, Any]:
    response = api.get(f"{INV}/atp", params={"sku": sku})
    assert response.status_code == 200, response.text
    body = response.json()
    return {"total": body["available_to_promise"], **{w["warehouse"]: w for w in body["warehouses"]}}


# --- the happy paths -------------------------------------------------------------------------------------------


def test_receive_putaway_and_write_off_through_the_api(tenant, api, world):
    response = api.post(f"{INV}/receipts", {"sku": "SKU-002", "location": "MAIN/A/01", "quantity": 6,
                                            "unit_cost": "4.10", "status": "quarantine", "document_id": "PO-2"})
    assert response.status_code == 201, response.text
    assert isinstance(response.json()["id"], int)
    response = api.post(f"{INV}/status-changes", {"sku": "SKU-002", "location": "MAIN/A/01", "quantity": 6,
                                                  "from_status": "quarantine", "to_status": "sellable"})
    assert response.status_code == 201, response.text
    response = api.post(f"{INV}/moves", {"sku": "SKU-002", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02",
                                         "quantity": 4, "reason": "putaway"})
    assert response.status_code == 201, response.text
    response = api.post(f"{INV}/write-offs", {"sku": "SKU-002", "location": "MAIN/A/02", "quantity": 1,
                                              "reason": "damaged"})
    assert response.status_code == 201, response.text

    assert level(tenant, "SKU-002", "MAIN/A/01") == (2, 0)
    assert level(tenant, "SKU-002", "MAIN/A/02") == (3, 0)
    assert _atp(api, "SKU-002")["total"] == 5
    assert_ledger_consistent(tenant)


def test_a_batch_of_moves_through_the_api(tenant, api, world):
    receive(tenant, "SKU-002", "MAIN/A/01", 4)
    response = api.post(f"{INV}/moves/batch", {"moves": [
        {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02", "quantity": 10},
        {"sku": "SKU-002", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02", "quantity": 4},
    ]})
    assert response.status_code == 201, response.text
    assert len(response.json()["move_ids"]) == 2
    assert level(tenant, "SKU-001", "MAIN/A/02") == (10, 0)
    assert level(tenant, "SKU-002", "MAIN/A/02") == (4, 0)


def test_a_transfer_through_the_api(tenant, api, world):
    response = api.post(f"{INV}/transfers", {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": [
        {"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 6}]})
    assert response.status_code == 201, response.text
    transfer_id = response.json()["id"]
    detail = api.get(f"{INV}/transfers/{transfer_id}").json()
    assert detail["state"] == "in_transit"
    [line] = detail["lines"]
    assert (line["sku"], line["from_location"], line["quantity"], line["received"]) == ("SKU-001", "MAIN/A/01", 6, 0)
    atp = _atp(api)
    assert (atp["total"], atp["MAIN"]["available_to_promise"], atp["NORTH"]["in_transit"]) == (4, 4, 6)

    response = api.post(f"{INV}/transfers/{transfer_id}/receipts",
                        {"lines": [{"line_id": line["line_id"], "quantity": 4, "to_location": "NORTH/B/01"}]})
    assert response.status_code == 200, response.text
    assert response.json() == {"state": "partially_received"}
    listed = api.get(f"{INV}/transfers").json()["items"]
    assert [(t["id"], t["state"], t["quantity"], t["received"]) for t in listed] == [
        (transfer_id, "partially_received", 6, 4)]
    atp = _atp(api)
    assert (atp["total"], atp["NORTH"]["available_to_promise"], atp["NORTH"]["in_transit"]) == (8, 4, 2)
    assert_ledger_consistent(tenant)


def test_reservations_through_the_api(tenant, api, world):
    response = api.post(f"{INV}/reservations", {"sku": "SKU-001", "quantity": 3, "reference": "cart-9",
                                                "ttl_seconds": 900})
    assert response.status_code == 201, response.text
    held = response.json()["id"]
    second = api.post(f"{INV}/reservations", {"sku": "SKU-001", "quantity": 2, "warehouse": "MAIN"}).json()["id"]
    listed = api.get(f"{INV}/reservations").json()["items"]
    assert {(r["id"], r["quantity"], r["warehouse"], r["reference"]) for r in listed} == {
        (held, 3, "MAIN", "cart-9"), (second, 2, "MAIN", "")}
    assert _atp(api)["MAIN"]["reserved"] == 5

    assert api.post(f"{INV}/reservations/{held}/release").status_code == 204
    response = api.post(f"{INV}/reservations/{second}/consume", {"document_type": "shipment", "document_id": "S1"})
    assert response.status_code == 200, response.text
    assert len(response.json()["move_ids"]) == 1
    assert api.get(f"{INV}/reservations").json()["items"] == []
    assert {r["state"] for r in api.get(f"{INV}/reservations", params={"state": ""}).json()["items"]} == {
        "released", "consumed"}
    atp = _atp(api)
    assert (atp["MAIN"]["on_hand"], atp["MAIN"]["reserved"], atp["total"]) == (8, 0, 8)
    assert_ledger_consistent(tenant)


def test_a_count_through_the_api(tenant, api, world):
    response = api.post(f"{INV}/counts", {"warehouse": "MAIN", "locations": ["MAIN/A"]})
    assert response.status_code == 201, response.text
    count_id = response.json()["id"]
    response = api.post(f"{INV}/counts/{count_id}/lines", {"location": "MAIN/A/01", "sku": "SKU-001", "counted": 7})
    assert response.status_code == 200, response.text
    [line] = api.get(f"{INV}/counts/{count_id}").json()["lines"]
    assert (line["location"], line["sku"], line["expected"], line["counted"], line["variance"]) == (
        "MAIN/A/01", "SKU-001", 10, 7, -3)
    response = api.post(f"{INV}/counts/{count_id}/approve")
    assert response.status_code == 200, response.text
    assert response.json() == {"adjustments": 1}
    assert api.get(f"{INV}/counts/{count_id}").json()["state"] == "approved"
    assert level(tenant, "SKU-001", "MAIN/A/01") == (7, 0)


def test_min_stock_rules_and_alerts_through_the_api(tenant, api, world):
    response = api.put(f"{INV}/min-stock-rules", {"sku": "SKU-001", "warehouse": "MAIN", "minimum": 12,
                                                  "safety_stock": 1})
    assert response.status_code == 200, response.text
    [alert] = api.get(f"{INV}/alerts").json()
    assert (alert["sku"], alert["warehouse"], alert["available"], alert["minimum"]) == ("SKU-001", "MAIN", 10, 12)
    assert len(events(tenant, "stock.shortage.v1")) == 1
    main = _atp(api)["MAIN"]
    assert (main["minimum"], main["safety_stock"], main["available_to_promise"]) == (12, 1, 9)
    receive(tenant, "SKU-001", "MAIN/A/02", 2)
    assert api.get(f"{INV}/alerts").json() == []
    assert [a["sku"] for a in api.get(f"{INV}/alerts", params={"state": "resolved"}).json()] == ["SKU-001"]


# --- queries ---------------------------------------------------------------------------------------------------


def test_available_to_promise_per_warehouse_and_in_total(tenant, api, world):
    receive(tenant, "SKU-001", "NORTH/B/01", 4)
    receive(tenant, "SKU-001", "MAIN/Q/01", 3, status="quarantine")
    receive(tenant, "SKU-001", "MAIN/A/02", 2, status="damaged")
    api.post(f"{INV}/reservations", {"sku": "SKU-001", "quantity": 6, "warehouse": "MAIN"})

    response = api.get(f"{INV}/atp", params={"sku": "SKU-001"})
    body = response.json()
    assert (body["sku"], body["available_to_promise"], body["on_hand"]) == ("SKU-001", 8, 14)
    main, north = body["warehouses"]
    assert main == {"warehouse_id": world.main, "warehouse": "MAIN", "on_hand": 10, "reserved": 6,
                    "safety_stock": 0, "available_to_promise": 4, "quarantine": 3, "damaged": 2,
                    "return_pending": 0, "in_transit": 0, "minimum": None}
    assert (north["warehouse"], north["on_hand"], north["available_to_promise"]) == ("NORTH", 4, 4)


def test_available_to_promise_is_found_by_code_by_barcode_and_by_id(tenant, api, world):
    perform(tenant.engine, tenant.actor, add_barcode, sku="SKU-001", code="4006381333931", kind="ean13")
    by_code = api.get(f"{INV}/atp", params={"sku": "SKU-001"}).json()
    by_barcode = api.get(f"{INV}/atp", params={"sku": "4006381333931"})
    assert by_barcode.status_code == 200, by_barcode.text
    assert by_barcode.json() == by_code
    assert api.get(f"{INV}/atp", params={"sku": str(by_code["sku_id"])}).json() == by_code
    unknown = api.get(f"{INV}/atp", params={"sku": "NOPE"})
    assert unknown.status_code == 404
    assert _error(unknown)["field"] == "sku"


def test_a_numeric_sku_code_is_not_mistaken_for_an_id(tenant, api, world):
    from stockyard.catalog.services import CreateProduct, create_product

    perform(tenant.engine, tenant.actor, create_product, CreateProduct(name="Numbered", skus=[{"code": "1"}]))
    receive(tenant, "1", "NORTH/B/01", 3)
    body = api.get(f"{INV}/atp", params={"sku": "1"}).json()
    assert (body["sku"], body["available_to_promise"]) == ("1", 3)


def test_stock_at_a_location_by_path_and_by_id(tenant, api, world):
    receive(tenant, "SKU-002", "MAIN/A/01", 2, status="quarantine")
    api.post(f"{INV}/reservations", {"sku": "SKU-001", "quantity": 1})
    by_path = api.get(f"{INV}/locations/MAIN/A/01/stock")
    assert by_path.status_code == 200, by_path.text
    assert by_path.json() == {"location": "MAIN/A/01", "items": [
        {"sku": "SKU-001", "name": "Part 1", "status": "sellable", "lot": "", "on_hand": 10, "reserved": 1},
        {"sku": "SKU-002", "name": "Part 2", "status": "quarantine", "lot": "", "on_hand": 2, "reserved": 0},
    ]}
    assert api.get(f"{INV}/locations/{location_id(tenant, 'MAIN/A/01')}/stock").json() == by_path.json()
    assert api.get(f"{INV}/locations/MAIN/A/02/stock").json() == {"location": "MAIN/A/02", "items": []}
    missing = api.get(f"{INV}/locations/MAIN/A/99/stock")
    assert missing.status_code == 404
    assert _error(missing)["field"] == "location"


def test_movement_history_of_a_sku_and_of_a_location_shows_the_source_documents(tenant, api, world):
    api.post(f"{INV}/moves", {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02",
                              "quantity": 3})
    transfer_id = api.post(f"{INV}/transfers", {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": [
        {"sku": "SKU-001", "from_location": "MAIN/A/02", "quantity": 2}]}).json()["id"]
    receive(tenant, "SKU-002", "MAIN/A/01", 1)

    history = api.get(f"{INV}/moves", params={"sku": "SKU-001"}).json()
    assert history["total"] == 3
    rows = [(m["reason"], m["from"], m["to"], m["quantity"], m["document_type"], m["document_id"])
            for m in history["items"]]
    assert rows == [  # newest first
        ("transfer_dispatch", "MAIN/A/02", "@TRANSIT/NORTH", 2, "transfer", str(transfer_id)),
        ("move", "MAIN/A/01", "MAIN/A/02", 3, "", ""),
        ("receipt", "@SUPPLIER", "MAIN/A/01", 10, "purchase_order", "PO-1"),
    ]
    assert Decimal(str(history["items"][2]["unit_cost"])) == Decimal("2.5")

    at_bin = api.get(f"{INV}/moves", params={"location": "MAIN/A/01"}).json()
    assert [(m["sku"], m["reason"]) for m in at_bin["items"]] == [
        ("SKU-002", "receipt"), ("SKU-001", "move"), ("SKU-001", "receipt")]
    by_document = api.get(f"{INV}/moves", params={"document_type": "transfer", "document_id": str(transfer_id)})
    assert [m["reason"] for m in by_document.json()["items"]] == ["transfer_dispatch"]
    by_reason = api.get(f"{INV}/moves", params={"reason": "receipt", "per_page": 1}).json()
    assert (by_reason["total"], len(by_reason["items"])) == (2, 1)


def test_inventory_value_at_average_receipt_cost_per_warehouse(tenant, api, world):
    receive(tenant, "SKU-001", "NORTH/B/01", 4, unit_cost="4.00")  # average (25 + 16) / 14
    receive(tenant, "SKU-002", "NORTH/B/01", 3)  # no cost known
    value = {v["warehouse"]: v for v in api.get(f"{INV}/value").json()}
    assert (value["MAIN"]["units"], Decimal(value["MAIN"]["value"]), value["MAIN"]["uncosted_units"]) == (
        10, Decimal("29.29"), 0)
    assert (value["NORTH"]["units"], Decimal(value["NORTH"]["value"]), value["NORTH"]["uncosted_units"]) == (
        7, Decimal("11.71"), 3)


def test_inventory_value_is_exact_for_decimal_costs(tenant, api, world):
    receive(tenant, "SKU-002", "NORTH/B/01", 3, unit_cost="1.10")
    receive(tenant, "SKU-002", "NORTH/B/01", 7, unit_cost="0.35")
    value = {v["warehouse"]: v for v in api.get(f"{INV}/value").json()}
    assert Decimal(value["NORTH"]["value"]) == Decimal("5.75")


def test_warehouses_locations_and_stock_search(tenant, api, world):
    warehouses = api.get(f"{INV}/warehouses").json()
    assert [w["code"] for w in warehouses] == ["MAIN", "NORTH"]
    tree = api.get(f"{INV}/warehouses/{world.main}/locations").json()
    assert [(n["path"], n["depth"], n["on_hand"]) for n in tree] == [
        ("MAIN/A", 0, 0), ("MAIN/A/01", 1, 10), ("MAIN/A/02", 1, 0), ("MAIN/Q", 0, 0), ("MAIN/Q/01", 1, 0)]
    found = api.get(f"{INV}/stock", params={"q": "SKU-00"}).json()
    assert [(s["sku"], s["on_hand"]) for s in found["items"]] == [("SKU-001", 10), ("SKU-002", 0)]
    north = api.get(f"{INV}/stock", params={"warehouse": "NORTH"}).json()
    assert north["items"] == []


def test_warehouses_and_locations_are_created_through_the_api(tenant, api, world):
    response = api.post(f"{INV}/warehouses", {"code": "south", "name": "South"})
    assert response.status_code == 201, response.text
    response = api.post(f"{INV}/locations", {"warehouse": "SOUTH", "code": "R1", "kind": "zone"})
    assert response.status_code == 201, response.text
    response = api.post(f"{INV}/locations", {"warehouse": "SOUTH", "parent": "SOUTH/R1", "code": "01"})
    assert response.status_code == 201, response.text
    assert api.post(f"{INV}/receipts", {"sku": "SKU-002", "location": "south/r1/01", "quantity": 1}).status_code == 201
    duplicate = api.post(f"{INV}/warehouses", {"code": "SOUTH", "name": "Again"})
    assert (duplicate.status_code, _error(duplicate)["field"]) == (409, "code")


# --- bad input: a 4xx naming the field, and nothing changed ---------------------------------------------------------


BAD_REQUESTS = [
    # (what, path, body, status, field)
    ("zero quantity", "/receipts", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 0}, 422, "quantity"),
    ("negative quantity", "/receipts", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": -4}, 422, "quantity"),
    ("negative move", "/moves", {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02",
                                 "quantity": -1}, 422, "quantity"),
    ("zero write-off", "/write-offs", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 0, "reason": "lost"},
     422, "quantity"),
    ("zero reservation", "/reservations", {"sku": "SKU-001", "quantity": 0}, 422, "quantity"),
    ("negative transfer line", "/transfers", {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": [
        {"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": -2}]}, 422, "lines[0].quantity"),
    ("unknown SKU", "/receipts", {"sku": "NOPE", "location": "MAIN/A/01", "quantity": 1}, 404, "sku"),
    ("unknown location", "/receipts", {"sku": "SKU-001", "location": "MAIN/Z/1", "quantity": 1}, 404, "location"),
    ("unknown source", "/moves", {"sku": "SKU-001", "from_location": "MAIN/Z/1", "to_location": "MAIN/A/02",
                                  "quantity": 1}, 404, "from_location"),
    ("virtual location", "/receipts", {"sku": "SKU-001", "location": "@SCRAP", "quantity": 1}, 404, "location"),
    ("unknown reservation SKU", "/reservations", {"sku": "NOPE", "quantity": 1}, 404, "sku"),
    ("move to another warehouse", "/moves", {"sku": "SKU-001", "from_location": "MAIN/A/01",
                                             "to_location": "NORTH/B/01", "quantity": 1}, 422, "to_location"),
    ("move to the same location", "/moves", {"sku": "SKU-001", "from_location": "MAIN/A/01",
                                             "to_location": "MAIN/A/01", "quantity": 1}, 422, "to_location"),
    ("move more than on hand", "/moves", {"sku": "SKU-001", "from_location": "MAIN/A/01",
                                          "to_location": "MAIN/A/02", "quantity": 11}, 409, "quantity"),
    ("move more than free", "/moves", {"sku": "SKU-001", "from_location": "MAIN/A/01",
                                       "to_location": "MAIN/A/02", "quantity": 9}, 409, "quantity"),
    ("write off more than on hand", "/write-offs", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 11,
                                                    "reason": "lost"}, 409, "quantity"),
    ("write off more than free", "/write-offs", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 9,
                                                 "reason": "lost"}, 409, "quantity"),
    ("write off without a reason", "/write-offs", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1},
     422, "reason"),
    ("reserve more than available", "/reservations", {"sku": "SKU-001", "quantity": 9}, 409, "quantity"),
    ("reserve in an empty warehouse", "/reservations", {"sku": "SKU-001", "quantity": 1, "warehouse": "NORTH"},
     409, "quantity"),
    ("transfer to the same warehouse", "/transfers", {"from_warehouse": "MAIN", "to_warehouse": "MAIN", "lines": [
        {"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 1}]}, 422, "to_warehouse"),
    ("transfer from another warehouse's bin", "/transfers", {"from_warehouse": "NORTH", "to_warehouse": "MAIN",
                                                             "lines": [{"sku": "SKU-001", "from_location": "MAIN/A/01",
                                                                        "quantity": 1}]},
     422, "lines[0].from_location"),
    ("transfer more than free", "/transfers", {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": [
        {"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 9}]}, 409, "quantity"),
    ("transfer without lines", "/transfers", {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": []},
     422, "lines"),
    ("receipt in transit", "/receipts", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1,
                                         "status": "in_transit"}, 422, "status"),
    ("unknown status", "/receipts", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1, "status": "lost"},
     422, "status"),
    ("negative unit cost", "/receipts", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1,
                                         "unit_cost": "-1"}, 422, "unit_cost"),
    ("unknown field", "/receipts", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1, "qty": 2},
     422, "qty"),
    ("missing SKU", "/receipts", {"location": "MAIN/A/01", "quantity": 1}, 422, "sku"),
    ("text quantity", "/receipts", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": "ten"}, 422, "quantity"),
    ("fractional quantity", "/receipts", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1.5},
     422, "quantity"),
    ("boolean quantity", "/receipts", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": True},
     422, "quantity"),
    ("null location", "/moves", {"sku": "SKU-001", "from_location": None, "to_location": "MAIN/A/02",
                                 "quantity": 1}, 422, "from_location"),
    ("status change to itself", "/status-changes", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1,
                                                    "from_status": "sellable", "to_status": "sellable"},
     422, "to_status"),
    ("negative minimum", "/min-stock-rules", {"sku": "SKU-001", "warehouse": "MAIN", "minimum": -1}, 422, "minimum"),
    ("count in another warehouse", "/counts", {"warehouse": "MAIN", "locations": ["NORTH/B/01"]},
     422, "locations[0]"),
    ("count of no locations", "/counts", {"warehouse": "MAIN", "locations": []}, 422, "locations"),
]


def test_bad_input_is_refused_with_the_field_and_changes_nothing(tenant, api, world, subtests):
    api.post(f"{INV}/reservations", {"sku": "SKU-001", "quantity": 2})  # 10 on hand in MAIN/A/01, 8 free
    receive(tenant, "SKU-002", "NORTH/B/01", 1)
    for what, path, body, status, field in BAD_REQUESTS:
        with subtests.test(what):
            before = tenant_rows(tenant)
            send = api.put if path == "/min-stock-rules" else api.post
            response = send(INV + path, body)
            assert response.status_code == status, response.text
            error = _error(response)
            assert error["field"] == field
            assert error["message"]
            assert tenant_rows(tenant) == before
    assert_ledger_consistent(tenant)


def test_bad_input_on_documents_is_refused_with_the_field_and_changes_nothing(tenant, api, world, subtests):
    transfer_id = api.post(f"{INV}/transfers", {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": [
        {"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 3}]}).json()["id"]
    line_id = api.get(f"{INV}/transfers/{transfer_id}").json()["lines"][0]["line_id"]
    count_id = api.post(f"{INV}/counts", {"warehouse": "MAIN", "locations": ["MAIN/A"]}).json()["id"]
    reservation_id = api.post(f"{INV}/reservations", {"sku": "SKU-001", "quantity": 1}).json()["id"]
    api.post(f"{INV}/reservations/{reservation_id}/release")
    cases = [
        ("over-receipt", f"/transfers/{transfer_id}/receipts",
         {"lines": [{"line_id": line_id, "quantity": 4, "to_location": "NORTH/B/01"}]}, 422, "lines[0].quantity"),
        ("receipt into the wrong warehouse", f"/transfers/{transfer_id}/receipts",
         {"lines": [{"line_id": line_id, "quantity": 1, "to_location": "MAIN/A/02"}]}, 422, "lines[0].to_location"),
        ("receipt of an unknown line", f"/transfers/{transfer_id}/receipts",
         {"lines": [{"line_id": line_id + 999, "quantity": 1, "to_location": "NORTH/B/01"}]}, 404,
         "lines[0].line_id"),
        ("receipt of zero", f"/transfers/{transfer_id}/receipts",
         {"lines": [{"line_id": line_id, "quantity": 0, "to_location": "NORTH/B/01"}]}, 422, "lines[0].quantity"),
        ("receipt of an unknown transfer", f"/transfers/{transfer_id + 999}/receipts",
         {"lines": [{"line_id": line_id, "quantity": 1, "to_location": "NORTH/B/01"}]}, 404, "transfer_id"),
        ("negative count", f"/counts/{count_id}/lines", {"location": "MAIN/A/01", "sku": "SKU-001", "counted": -1},
         422, "counted"),
        ("count in another warehouse", f"/counts/{count_id}/lines",
         {"location": "NORTH/B/01", "sku": "SKU-001", "counted": 1}, 422, "location"),
        ("approve with nothing counted", f"/counts/{count_id}/approve", None, 422, "lines"),
        ("release twice", f"/reservations/{reservation_id}/release", None, 409, "reservation_id"),
        ("consume a released hold", f"/reservations/{reservation_id}/consume", None, 409, "reservation_id"),
        ("release an unknown hold", f"/reservations/{reservation_id + 999}/release", None, 404, "reservation_id"),
        ("path id that is not a number", "/reservations/abc/release", None, 422, "reservation_id"),
    ]
    for what, path, body, status, field in cases:
        with subtests.test(what):
            before = tenant_rows(tenant)
            response = api.post(INV + path, body)
            assert response.status_code == status, response.text
            assert _error(response)["field"] == field
            assert tenant_rows(tenant) == before
    assert_ledger_consistent(tenant)


def test_malformed_json_is_refused_naming_the_body(tenant, api, world, subtests):
    before = tenant_rows(tenant)
    for what, raw in [("truncated", '{"sku": "SKU-001", "location": '), ("not an object", "[1, 2]"),
                      ("not json", "sku=SKU-001")]:
        with subtests.test(what):
            response = api.client.post(f"{INV}/receipts", content=raw,
                                       headers={**api.headers, "Content-Type": "application/json"})
            assert response.status_code == 422, response.text
            assert _error(response)["field"] == "body"
            assert _error(response)["message"]
    assert tenant_rows(tenant) == before


def test_unknown_transfers_and_counts_are_not_found(api, world):
    for path, field in [("/transfers/987654", "transfer_id"), ("/counts/987654", "count_id")]:
        response = api.get(INV + path)
        assert (response.status_code, _error(response)["field"]) == (404, field)


# --- authentication and permissions --------------------------------------------------------------------------------


def test_a_request_without_a_valid_key_is_unauthenticated(tenant, client, world):
    _, key = tenant.user("owner")
    with UnitOfWork(tenant.engine, tenant.actor) as uow:
        key_id = uow.execute(select(ApiKey.id).where(ApiKey.prefix == key.split("_")[1])).scalar_one()
        revoke_api_key(uow, key_id)
    before = tenant_rows(tenant)
    body = {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1}
    for headers in [{}, {"Authorization": f"Bearer {key}"}, {"Authorization": "Bearer sy_000000000000_nope"},
                    {"Authorization": "Bearer garbage"}, {"Authorization": f"Basic {key}"},
                    {"Authorization": "Bearer "}]:
        for response in (client.post(f"{INV}/receipts", json=body, headers=headers),
                         client.get(f"{INV}/atp", params={"sku": "SKU-001"}, headers=headers)):
            assert response.status_code == 401, (headers, response.text)
            assert _error(response)["type"] == "not_authenticated"
    assert tenant_rows(tenant) == before


def test_a_key_with_a_wrong_secret_is_refused(tenant, client, world):
    _, key = tenant.user("owner")
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    response = client.get(f"{INV}/warehouses", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_a_read_only_user_can_look_but_not_receive(tenant, client, world):
    _, key = tenant.user("read_only")
    reader = _as(client, key)
    assert _atp(reader)["total"] == 10
    before = tenant_rows(tenant)
    response = reader.post(f"{INV}/receipts", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1})
    assert response.status_code == 403
    assert _error(response)["field"] == "permission"
    assert "inventory.receive" in _error(response)["message"]
    assert reader.post(f"{INV}/reservations", {"sku": "SKU-001", "quantity": 1}).status_code == 403
    assert tenant_rows(tenant) == before


def test_an_operator_limited_to_one_warehouse_cannot_receive_into_another(tenant, client, world):
    _, key = tenant.user("warehouse_operator", warehouse_ids=[world.main])
    operator = _as(client, key)
    before = tenant_rows(tenant)
    response = operator.post(f"{INV}/receipts", {"sku": "SKU-001", "location": "NORTH/B/01", "quantity": 1})
    assert response.status_code == 403
    assert _error(response)["field"] == "warehouse"
    assert tenant_rows(tenant) == before
    response = operator.post(f"{INV}/receipts", {"sku": "SKU-001", "location": "MAIN/A/02", "quantity": 1})
    assert response.status_code == 201
    assert level(tenant, "SKU-001", "MAIN/A/02") == (1, 0)


def test_sales_can_hold_stock_but_not_ship_it(tenant, client, world):
    _, key = tenant.user("sales")
    sales = _as(client, key)
    response = sales.post(f"{INV}/reservations", {"sku": "SKU-001", "quantity": 2})
    assert response.status_code == 201, response.text
    before = tenant_rows(tenant)
    response = sales.post(f"{INV}/reservations/{response.json()['id']}/consume")
    assert response.status_code == 403
    assert "inventory.move" in _error(response)["message"]
    assert tenant_rows(tenant) == before
    assert level(tenant, "SKU-001", "MAIN/A/01") == (10, 2)


def test_an_operator_cannot_approve_a_count_but_a_manager_can(tenant, client, world):
    _, key = tenant.user("warehouse_operator")
    operator = _as(client, key)
    count_id = operator.post(f"{INV}/counts", {"warehouse": "MAIN", "locations": ["MAIN/A/01"]}).json()["id"]
    response = operator.post(f"{INV}/counts/{count_id}/lines", {"location": "MAIN/A/01", "sku": "SKU-001",
                                                                "counted": 12})
    assert response.status_code == 200, response.text
    before = tenant_rows(tenant)
    response = operator.post(f"{INV}/counts/{count_id}/approve")
    assert response.status_code == 403
    assert _error(response)["field"] == "permission"
    assert "inventory.count.approve" in _error(response)["message"]
    assert tenant_rows(tenant) == before

    _, manager_key = tenant.user("warehouse_manager")
    assert _as(client, manager_key).post(f"{INV}/counts/{count_id}/approve").json() == {"adjustments": 1}
    assert level(tenant, "SKU-001", "MAIN/A/01") == (12, 0)


def test_keys_of_another_tenant_see_their_own_tenant_only(tenant, client, api, world, engine):
    other = new_tenant(engine)
    _, other_key = other.user("owner")
    response = _as(client, other_key).get(f"{INV}/atp", params={"sku": "SKU-001"})
    assert response.status_code == 404
    assert _as(client, other_key).get(f"{INV}/warehouses").json() == []


# --- the outbox ------------------------------------------------------------------------------------------------


def test_every_change_through_the_api_writes_its_event_with_it(tenant, api, world):
    answers: list[httpx.Response] = []

    def new_events(method: str, path: str, body: object = None) -> list[str]:
        seen = len(events(tenant))
        response = api.client.request(method, path, json=body, headers=api.headers)
        assert response.status_code in (200, 201, 204), response.text
        answers.append(response)
        return [e["type"] for e in events(tenant)[seen:]]

    def created() -> int:
        return answers[-1].json()["id"]

    assert new_events("POST", "/api/v1/catalog/products", {"name": "Seal", "skus": [{"code": "SEAL-1"}]}) == [
        "product.created.v1"]
    assert new_events("POST", "/api/v1/catalog/skus/SEAL-1/barcodes", {"code": "5901234123457", "kind": "ean13"}) == [
        "sku.barcode_added.v1"]
    assert new_events("POST", f"{INV}/warehouses", {"code": "SOUTH", "name": "South"}) == ["warehouse.created.v1"]
    assert new_events("POST", f"{INV}/locations", {"warehouse": "SOUTH", "code": "S1"}) == ["location.created.v1"]
    assert new_events("PUT", f"{INV}/min-stock-rules", {"sku": "SEAL-1", "warehouse": "MAIN", "minimum": 0}) == [
        "min_stock_rule.set.v1"]
    assert new_events("POST", f"{INV}/receipts", {"sku": "SEAL-1", "location": "MAIN/Q/01", "quantity": 9,
                                                  "status": "quarantine"}) == ["stock.changed.v1"]
    assert new_events("POST", f"{INV}/status-changes", {"sku": "SEAL-1", "location": "MAIN/Q/01", "quantity": 9,
                                                        "from_status": "quarantine", "to_status": "sellable"}) == [
        "stock.changed.v1"]
    assert new_events("POST", f"{INV}/moves", {"sku": "SEAL-1", "from_location": "MAIN/Q/01",
                                               "to_location": "MAIN/A/01", "quantity": 8}) == ["stock.changed.v1"]
    assert new_events("POST", f"{INV}/moves/batch", {"moves": [
        {"sku": "SEAL-1", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02", "quantity": 1}]}) == [
        "stock.changed.v1"]
    assert new_events("POST", f"{INV}/write-offs", {"sku": "SEAL-1", "location": "MAIN/Q/01", "quantity": 1,
                                                    "reason": "damaged"}) == ["stock.changed.v1"]

    assert new_events("POST", f"{INV}/transfers", {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": [
        {"sku": "SEAL-1", "from_location": "MAIN/A/02", "quantity": 1}]}) == ["stock.changed.v1",
                                                                                "transfer.dispatched.v1"]
    transfer_id = created()
    line_id = api.get(f"{INV}/transfers/{transfer_id}").json()["lines"][0]["line_id"]
    assert new_events("POST", f"{INV}/transfers/{transfer_id}/receipts", {"lines": [
        {"line_id": line_id, "quantity": 1, "to_location": "NORTH/B/01"}]}) == ["stock.changed.v1",
                                                                                  "transfer.received.v1"]

    assert new_events("POST", f"{INV}/reservations", {"sku": "SEAL-1", "quantity": 2}) == ["stock.reserved.v1"]
    first = created()
    assert new_events("POST", f"{INV}/reservations", {"sku": "SEAL-1", "quantity": 2}) == ["stock.reserved.v1"]
    second = created()
    assert new_events("POST", f"{INV}/reservations/{first}/release") == ["stock.reservation_released.v1"]
    assert new_events("POST", f"{INV}/reservations/{second}/consume") == ["stock.changed.v1",
                                                                          "stock.reservation_consumed.v1"]

    assert new_events("POST", f"{INV}/counts", {"warehouse": "MAIN", "locations": ["MAIN/A"]}) == ["count.opened.v1"]
    count_id = created()
    assert new_events("POST", f"{INV}/counts/{count_id}/lines", {"location": "MAIN/A/01", "sku": "SEAL-1",
                                                                 "counted": 4}) == ["count.line_recorded.v1"]
    assert new_events("POST", f"{INV}/counts/{count_id}/approve") == ["stock.changed.v1", "count.approved.v1"]
    assert new_events("POST", f"{INV}/counts", {"warehouse": "MAIN", "locations": ["MAIN/Q"]}) == ["count.opened.v1"]
    assert new_events("POST", f"{INV}/counts/{created()}/cancel") == ["count.cancelled.v1"]
    assert_ledger_consistent(tenant)
