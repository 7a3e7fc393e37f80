"""The permission matrix of tests/test_permission_matrix.py for every mutating mobile route (the /m forms and the
/api/v1/mobile API), against a scene of its own: stock, a purchase order, a transfer and a count, and orders at each
step of picking and packing. Same rule: a role holding all of a row's permissions succeeds (303 for a form, 2xx for
the API); any other gets 403 and not one row of the tenant changes."""

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stockyard.core.uow import perform
from stockyard.identity.domain import (
    FULFILMENT_PACK,
    FULFILMENT_PICK,
    FULFILMENT_SHIP,
    INVENTORY_ADJUST,
    INVENTORY_COUNT,
    INVENTORY_MOVE,
    INVENTORY_RECEIVE,
    INVENTORY_TRANSFER,
    INVENTORY_VIEW,
    PURCHASING_RECEIVE,
    PURCHASING_VIEW,
    ROLES,
)
from stockyard.inventory import counts, transfers, warehouses
from tests.conftest import TenantCtx
from tests.fulfilment.execution_scene import BARCODES, build_scene
from tests.purchasing.support import sent, supplier
from tests.test_permission_matrix import Action, api, check_role_request, form

A = "/api/v1/mobile/warehouses/{warehouse}"
AN = "/api/v1/mobile/warehouses/{north}"
V = {INVENTORY_VIEW}  # every mobile route first reads the warehouse
RECEIVE_PO = V | {PURCHASING_VIEW, PURCHASING_RECEIVE, INVENTORY_RECEIVE}
MOVE = V | {INVENTORY_MOVE}
ADJUST = V | {INVENTORY_ADJUST}
TRANSFER = V | {INVENTORY_TRANSFER}
COUNT = V | {INVENTORY_COUNT}
PICK = V | {FULFILMENT_PICK}
SHORT = V | {FULFILMENT_PICK}
PACK = V | {FULFILMENT_PACK}
SHIP = V | {FULFILMENT_PACK, FULFILMENT_SHIP, INVENTORY_MOVE}
ONE = {"sku": "SKU-002", "quantity": 1}
MOVE_BODY = {**ONE, "from_location": "MAIN/A/01", "to_location": "MAIN/A/02"}
MEASURES = {"weight_grams": 500, "length_mm": 200, "width_mm": 150, "height_mm": 100}

ACTIONS: list[Action] = [
    api("mobile: receive against a PO", f"{A}/receipts", RECEIVE_PO,
        {"purchase_order": "{po}", "sku": BARCODES["SKU-003"], "quantity": 1}),
    api("mobile: put away", f"{A}/putaways", MOVE, MOVE_BODY),
    api("mobile: move", f"{A}/moves", MOVE, MOVE_BODY),
    api("mobile: write off", f"{A}/write-offs", ADJUST, {**ONE, "location": "MAIN/A/01", "reason": "damaged"}),
    api("mobile: dispatch transfer", f"{A}/transfers", TRANSFER,
        {**ONE, "from_location": "MAIN/A/01", "to_warehouse": "NORTH"}),
    api("mobile: receive transfer", f"{AN}/transfers/{{transfer}}/receipts", TRANSFER,
        {**ONE, "to_location": "NORTH/B/01"}),
    api("mobile: open count", f"{A}/counts", COUNT, {"location": "MAIN/A/02"}),
    api("mobile: record count", f"{A}/counts/{{count}}/lines", COUNT,
        {"location": "MAIN/A/01", "sku": "SKU-002", "counted": 3}),
    api("mobile: pick", f"{A}/pick-lists/{{pick_list}}/picks", PICK,
        {"line_id": "{line}", "location": "MAIN/A/01", "sku": BARCODES["SKU-001"], "quantity": 1}),
    api("mobile: short pick", f"{A}/pick-lists/{{pick_list}}/short-picks", SHORT,
        {"line_id": "{line}", "location": "MAIN/A/01", "found": 0}),
    api("mobile: pack", f"{A}/packing/items", PACK, {"order": "{picked_order}", "sku": BARCODES["SKU-001"]}),
    api("mobile: close parcel", f"{A}/packing/parcels", PACK, {"order": "{packing_order}", "parcel": 1, **MEASURES}),
    api("mobile: ship", f"{A}/shipments", SHIP, {"order": "{packed_order}"}),
    form("mobile: receive (form)", "/m/{warehouse}/receive", RECEIVE_PO,
         {"po": "{po}", "sku": BARCODES["SKU-003"], "quantity": "1"}),
    form("mobile: put away (form)", "/m/{warehouse}/putaway", MOVE, MOVE_BODY),
    form("mobile: move (form)", "/m/{warehouse}/move", MOVE, MOVE_BODY),
    form("mobile: write off (form)", "/m/{warehouse}/write-off", ADJUST,
         {**ONE, "location": "MAIN/A/01", "reason": "lost"}),
    form("mobile: dispatch transfer (form)", "/m/{warehouse}/transfer/send", TRANSFER,
         {**ONE, "location": "MAIN/A/01", "to_warehouse": "NORTH"}),
    form("mobile: receive transfer (form)", "/m/{north}/transfer/receive", TRANSFER,
         {**ONE, "transfer": "TR-{transfer}", "to_location": "NORTH/B/01"}),
    form("mobile: open count (form)", "/m/{warehouse}/count/open", COUNT, {"location": "MAIN/A/02"}),
    form("mobile: record count (form)", "/m/{warehouse}/count", COUNT,
         {"count": "CNT-{count}", "location": "MAIN/A/01", "sku": "SKU-002", "counted": "3"}),
    form("mobile: pick (form)", "/m/{warehouse}/pick", PICK,
         {"pick": "PL-{pick_list}", "line_id": "{line}", "location": "MAIN/A/01", "sku": BARCODES["SKU-001"],
          "quantity": "1"}),
    form("mobile: short pick (form)", "/m/{warehouse}/pick/short", SHORT,
         {"pick": "PL-{pick_list}", "line_id": "{line}", "location": "MAIN/A/01", "found": "0"}),
    form("mobile: pack (form)", "/m/{warehouse}/pack", PACK,
         {"order": "{picked_order}", "sku": BARCODES["SKU-001"], "parcel": "1", "quantity": "1"}),
    form("mobile: close parcel (form)", "/m/{warehouse}/pack/close", PACK,
         {"order": "{packing_order}", "parcel": "1", **MEASURES}),
    form("mobile: ship (form)", "/m/{warehouse}/ship", SHIP, {"order": "{packed_order}"}),
]


@dataclass(frozen=True)
class Scene:
    """tests/fulfilment/execution_scene's shop (SKU-001 × 5 and SKU-002 × 3 in MAIN/A/01) with a sent purchase order
    of SKU-003 due in MAIN (receiving dock MAIN/DOCK), a transfer of one SKU-002 on its way to NORTH, an open count
    of MAIN/A/01, and orders of one SKU-001 each: one being picked (its pick list and line), one picked, one with an
    open parcel holding everything, one packed (the orders by number)."""

    po: str
    transfer: int
    count: int
    pick_list: int
    line: int
    picked_order: str
    packing_order: str
    packed_order: str
    warehouse: str = "MAIN"  # by code: the mobile routes take an id or a code
    north: str = "NORTH"


def build(ctx: TenantCtx) -> Scene:
    sc = build_scene(ctx)
    e, a = ctx.engine, ctx.actor
    perform(e, a, warehouses.create_location,
            warehouses.CreateLocation(warehouse="MAIN", code="DOCK", kind="bin", type="receiving"))
    supplier(ctx)
    po = sent(ctx, {"SKU-003": 5}).number
    transfer = perform(e, a, transfers.dispatch_transfer, transfers.DispatchTransfer(
        from_warehouse="MAIN", to_warehouse="NORTH", lines=[{"sku": "SKU-002", "from_location": "MAIN/A/01",
                                                            "quantity": 1}]))
    count = perform(e, a, counts.open_count, counts.OpenCount(warehouse="MAIN", locations=["MAIN/A/01"]))
    packed, packing, picked, picking = (sc.order({"SKU-001": 1}) for _ in range(4))
    sc.wave()
    for order_id in (packed, packing, picked):
        sc.pick_all(order_id)
        if order_id != picked:
            sc.pack(order_id, "SKU-001")
    sc.close(packed)
    plist = sc.list_for(picking)
    number = {o: sc.list_for(o).order_number for o in (packed, packing, picked)}
    return Scene(po, transfer, count, plist.id, plist.lines[0].id, number[picked], number[packing], number[packed])


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_role_against_mobile_request(action: Action, role: str, engine: Engine, client: TestClient) -> None:
    check_role_request(client, action, role, engine, build)
