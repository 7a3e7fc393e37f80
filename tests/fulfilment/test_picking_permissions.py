"""The permission matrix of tests/test_permission_matrix.py for every mutating warehouse-execution route (the /erp
forms and the JSON API), against a scene of its own: orders in each step of picking and packing. Same rule: a role
holding all of a row's permissions succeeds (303 for a form, 2xx for the API); any other gets 403 and not one row of
the tenant changes."""

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stockyard.core.uow import perform, read
from stockyard.fulfilment.picking import CreateTransferPick, create_transfer_pick, pick_list
from stockyard.identity.domain import (
    FULFILMENT_PACK,
    FULFILMENT_PICK,
    FULFILMENT_SHIP,
    INVENTORY_MOVE,
    INVENTORY_TRANSFER,
    ROLES,
)
from tests.conftest import TenantCtx
from tests.fulfilment.execution_scene import BARCODES, build_scene
from tests.test_permission_matrix import Action, api, check_role_request, form

F = "/api/v1/fulfilment"
E = "/erp/fulfilment"
SHIP = {FULFILMENT_SHIP, INVENTORY_MOVE}
SHORT = {FULFILMENT_PICK}
REPLENISH = {FULFILMENT_PICK, INVENTORY_MOVE}
SCAN = {"line_id": "{line}", "location_code": "MAIN/A/01", "scanned_barcode": BARCODES["SKU-001"], "quantity": 1}
SHORT_BODY = {"line_id": "{line}", "location_code": "MAIN/A/01", "found": 0}
TASK = {"warehouse_id": "MAIN", "sku": "SKU-002", "from_location": "MAIN/A/01", "to_location": "MAIN/P/01",
        "quantity": 1}
TRANSFER = {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": [{"sku": "SKU-002", "quantity": 1}]}
TRANSFER_FORM = {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines.0.sku": "SKU-002", "lines.0.quantity": 1,
                 "pick_first": "1"}
TRANSFER_SCAN = {"line_id": "{transfer_line}", "location_code": "MAIN/A/01", "scanned_barcode": BARCODES["SKU-002"],
                 "quantity": 1}
MEASURES = {"weight_grams": 500, "length_mm": 200, "width_mm": 150, "height_mm": 100}

ACTIONS: list[Action] = [
    api("release pick wave", f"{F}/waves", {FULFILMENT_PICK}, {"warehouse_id": "MAIN"}),
    api("confirm pick", f"{F}/pick-lists/{{pick_list}}/confirm", {FULFILMENT_PICK}, SCAN),
    api("report short pick", f"{F}/pick-lists/{{pick_list}}/short", SHORT, SHORT_BODY),
    api("replenishment task", f"{F}/replenishments", REPLENISH, TASK),
    api("transfer pick list", f"{F}/transfer-picks", {INVENTORY_TRANSFER}, TRANSFER),
    # the last scan dispatches the transfer: the picker needs neither inventory.transfer nor inventory.reserve
    api("confirm transfer pick", f"{F}/pick-lists/{{transfer_list}}/confirm", {FULFILMENT_PICK}, TRANSFER_SCAN),
    api("call off transfer pick", f"{F}/transfer-picks/{{transfer_list}}/cancel", {INVENTORY_TRANSFER}),
    form("call off transfer pick (form)", f"{E}/pick-lists/{{transfer_list}}/cancel", {INVENTORY_TRANSFER}),
    api("pack item", f"{F}/orders/{{picked_order}}/pack", {FULFILMENT_PACK},
        {"scanned_barcode": BARCODES["SKU-001"]}),
    api("close parcel", f"{F}/orders/{{packing_order}}/parcels/{{parcel_no}}/close", {FULFILMENT_PACK}, MEASURES),
    api("ship packed order", f"{F}/orders/{{packed_order}}/ship", SHIP, {}),
    form("release pick wave (form)", f"{E}/waves", {FULFILMENT_PICK}, {"warehouse_id": "MAIN", "cutoff": "any"}),
    form("confirm pick (form)", f"{E}/pick-lists/{{pick_list}}/confirm", {FULFILMENT_PICK}, SCAN),
    form("report short pick (form)", f"{E}/pick-lists/{{pick_list}}/short", SHORT, SHORT_BODY),
    form("replenishment task (form)", f"{E}/replenishments", REPLENISH, TASK),
    form("transfer pick list (form)", "/erp/transfers/new", {INVENTORY_TRANSFER}, TRANSFER_FORM),
    form("pack item (form)", f"{E}/pack/{{picked_order}}/item", {FULFILMENT_PACK},
         {"scanned_barcode": BARCODES["SKU-001"], "parcel_no": 1}),
    form("close parcel (form)", f"{E}/pack/{{packing_order}}/close", {FULFILMENT_PACK}, {"parcel_no": 1, **MEASURES}),
    form("ship packed order (form)", f"{E}/pack/{{packed_order}}/ship", SHIP),
]


@dataclass(frozen=True)
class Scene:
    """Orders of one SKU-001 each: one allocated and waiting for a wave, one being picked (its pick list and line),
    one picked, one with an open parcel holding everything, one packed; and a transfer pick list of one SKU-002."""

    waiting_order: int
    pick_list: int
    line: int
    picked_order: int
    packing_order: int
    packed_order: int
    transfer_list: int
    transfer_line: int
    parcel_no: int = 1  # the packing order's open parcel


def build(ctx: TenantCtx) -> Scene:
    sc = build_scene(ctx)
    packed = sc.order({"SKU-001": 1})
    packing = sc.order({"SKU-001": 1})
    picked = sc.order({"SKU-001": 1})
    picking = sc.order({"SKU-001": 1})
    sc.wave()
    for order_id in (packed, packing, picked):
        sc.pick_all(order_id)
        if order_id != picked:
            sc.pack(order_id, "SKU-001")
    sc.close(packed)
    plist = sc.list_for(picking)
    waiting = sc.order({"SKU-001": 1})
    transfer = read(ctx.engine, ctx.actor, pick_list, perform(
        ctx.engine, ctx.actor, create_transfer_pick, CreateTransferPick(**TRANSFER)))  # type: ignore[arg-type]
    return Scene(waiting, plist.id, plist.lines[0].id, picked, packing, packed, transfer.id, transfer.lines[0].id)


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_role_against_fulfilment_request(action: Action, role: str, engine: Engine, client: TestClient) -> None:
    check_role_request(client, action, role, engine, build)
