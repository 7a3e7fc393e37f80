"""The mobile workflows as JSON for native scanner apps, at /api/v1/mobile. Thin: translate, call, answer.

Every route is under a warehouse (its id or code): the one the operator works in. A user limited to some
warehouses (identity's per-user warehouse list) gets 403 for any other; each action checks that what was scanned
belongs to that warehouse. Errors are the API's usual JSON errors with the field that was scanned: 404 for an
unknown barcode, 422 for a location of another warehouse or more than ordered or in transit, 409 for more than on
hand, 403 for a missing permission.
"""

from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel

from stockyard.core.uow import perform, read
from stockyard.fulfilment import packing
from stockyard.purchasing import putaway
from stockyard.web.deps import ApiActor, EngineDep
from stockyard.web.mobile import scan, workflows

router = APIRouter(prefix="/mobile", tags=["mobile"])
W = "/warehouses/{warehouse}"


class Outcome(BaseModel):
    """What the action did: `message` is the sentence to show or speak; the other fields repeat it as data."""

    message: str
    sku: str = ""
    quantity: int = 0
    location: str = ""
    state: str = ""
    id: int | None = None


def _outcome(done: workflows.Done) -> Outcome:
    return Outcome(message=done.message, sku=done.sku, quantity=done.quantity, location=done.location,
                   state=done.state, id=done.id)


def _warehouse(engine: Any, actor: Any, warehouse: str) -> scan.WarehouseView:
    return read(engine, actor, scan.warehouse, warehouse)


@router.get("/warehouses", summary="Warehouses I may work in")
def my_warehouses(engine: EngineDep, actor: ApiActor) -> list[dict[str, Any]]:
    """The active warehouses the signed-in operator may work in: the choice a scanner app offers after login."""
    return [{"id": w.id, "code": w.code, "name": w.name} for w in read(engine, actor, scan.my_warehouses)]


@router.get(W + "/scan", summary="What a scanned code is")
def identify(warehouse: str, code: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """Resolves a scanned or typed code in this warehouse: a location path, a SKU code or barcode, a purchase order
    number, a transfer (`TR-12`) or a count (`CNT-3`), looked up in that order. With it comes what the next step
    needs: for an item, where it lies in this warehouse; for a purchase order, its open lines; for a transfer on its
    way here, what is still in transit. An unknown code is 404; a location of another warehouse is 422."""
    wh = _warehouse(engine, actor, warehouse)
    found = read(engine, actor, scan.identify, wh.id, code)
    out: dict[str, Any] = {"kind": found.kind, "id": found.id, "code": found.code, "name": found.name}
    if found.kind == "sku":
        out["stock"] = [{"location": s.location, "type": s.type, "on_hand": s.on_hand}
                        for s in read(engine, actor, scan.spots, wh.id, found.id)]
    elif found.kind == "purchase_order":
        order = read(engine, actor, scan.open_purchase_order, wh.id, str(found.id))
        out["state"] = order.order.state
        out["lines"] = [{"line_id": line.id, "sku": line.sku_code, "name": line.sku_name, "quantity": line.quantity,
                         "received": line.received, "open": line.open} for line in order.lines]
    elif found.kind == "transfer":
        inbound = read(engine, actor, scan.inbound_transfers, wh.id, found.id)
        out["lines"] = [{"line_id": line_id, "sku": sku, "in_transit": units}
                        for line_id, sku, units in (inbound[0].lines if inbound else [])]
    return out


@router.get(W + "/putaway", summary="Where to put an item away")
def putaway_suggestion(warehouse: str, sku: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """For a scanned item: its units waiting at the receiving locations of this warehouse, and the bins to put them
    in, best first, each with why (purchasing.putaway: bins already holding the SKU, then the category's putaway
    rule, then free capacity)."""
    wh = _warehouse(engine, actor, warehouse)
    item = read(engine, actor, scan.item, sku)
    waiting = read(engine, actor, scan.spots, wh.id, item.id, ("receiving",))
    units = sum(s.on_hand for s in waiting) or 1
    return {"sku": item.code, "waiting": [{"location": s.location, "on_hand": s.on_hand} for s in waiting],
            "suggested": [{"location": x.path, "free": x.free, "reasons": list(x.reasons)}
                          for x in read(engine, actor, putaway.suggest_putaway, wh.id, item.id, units)]}


@router.post(W + "/receipts", status_code=status.HTTP_201_CREATED, summary="Receive a scanned item")
def receive(warehouse: str, cmd: workflows.Receive, engine: EngineDep, actor: ApiActor) -> Outcome:
    """Against a purchase order (`purchase_order`: its number; the item must be on it and no more than is still
    expected may arrive) or, without one, a blind receipt. The units land at `location` or, if none is given, at the
    warehouse's first receiving location."""
    wh = _warehouse(engine, actor, warehouse)
    return _outcome(perform(engine, actor, workflows.receive, wh.id, cmd))


@router.post(W + "/putaways", status_code=status.HTTP_201_CREATED, summary="Put a scanned item away")
def put_away(warehouse: str, cmd: workflows.Move, engine: EngineDep, actor: ApiActor) -> Outcome:
    """Moves units from the receiving location to the scanned bin (a ledger move with reason `putaway`); a bin the
    units would overfill is refused (422)."""
    wh = _warehouse(engine, actor, warehouse)
    return _outcome(perform(engine, actor, workflows.put_away, wh.id, cmd))


@router.post(W + "/moves", status_code=status.HTTP_201_CREATED, summary="Move a scanned item")
def move(warehouse: str, cmd: workflows.Move, engine: EngineDep, actor: ApiActor) -> Outcome:
    """Moves units between two locations of this warehouse; more than lies at `from_location` is 409."""
    wh = _warehouse(engine, actor, warehouse)
    return _outcome(perform(engine, actor, workflows.move, wh.id, cmd))


@router.post(W + "/write-offs", status_code=status.HTTP_201_CREATED, summary="Write off a scanned item")
def write_off(warehouse: str, cmd: workflows.WriteOff, engine: EngineDep, actor: ApiActor) -> Outcome:
    """Takes damaged, expired, lost... units out of stock with the reason (needs inventory.adjust)."""
    wh = _warehouse(engine, actor, warehouse)
    return _outcome(perform(engine, actor, workflows.write_off, wh.id, cmd))


@router.post(W + "/transfers", status_code=status.HTTP_201_CREATED, summary="Dispatch a transfer")
def dispatch(warehouse: str, cmd: workflows.Dispatch, engine: EngineDep, actor: ApiActor) -> Outcome:
    """Sends units of a scanned item from a location here to another warehouse; `id` is the new transfer."""
    wh = _warehouse(engine, actor, warehouse)
    return _outcome(perform(engine, actor, workflows.dispatch, wh.id, cmd))


@router.post(W + "/transfers/{transfer_id}/receipts", summary="Receive a transfer's item")
def receive_transfer(warehouse: str, transfer_id: int, cmd: workflows.ReceiveTransfer, engine: EngineDep,
                     actor: ApiActor) -> Outcome:
    """Lands units of a scanned item of a transfer on its way to this warehouse at a scanned location; `state` is
    the transfer's state afterwards (partially_received or received)."""
    wh = _warehouse(engine, actor, warehouse)
    return _outcome(perform(engine, actor, workflows.receive_transfer, wh.id, transfer_id, cmd))


@router.post(W + "/counts", status_code=status.HTTP_201_CREATED, summary="Open a count of a location")
def open_count(warehouse: str, cmd: workflows.OpenCount, engine: EngineDep, actor: ApiActor) -> Outcome:
    """Opens a cycle count of the scanned location and everything under it; `id` is the count."""
    wh = _warehouse(engine, actor, warehouse)
    return _outcome(perform(engine, actor, workflows.open_count, wh.id, cmd))


@router.post(W + "/counts/{count_id}/lines", summary="Record a counted item")
def count_item(warehouse: str, count_id: int, cmd: workflows.CountItem, engine: EngineDep,
               actor: ApiActor) -> Outcome:
    """Records how many of a scanned item were found at a scanned location on an open count of this warehouse.
    The variance is posted when a manager approves the count."""
    wh = _warehouse(engine, actor, warehouse)
    return _outcome(perform(engine, actor, workflows.count_item, wh.id, count_id, cmd))


@router.get(W + "/picking", summary="Pick lists to pick")
def picking_state(warehouse: str, engine: EngineDep, actor: ApiActor, pick: str = "") -> dict[str, Any]:
    """Without `pick`: the warehouse's open pick lists, oldest first (`PL-<id>`, the order, lines left). With `pick`
    (a scanned pick list number `PL-12` or an order number): that list's lines in walking order with what is left to
    pick; `next_line_id` is the one to go to."""
    wh = _warehouse(engine, actor, warehouse)
    out: dict[str, Any] = {"warehouse": wh.code}
    if not pick:
        out["pick_lists"] = [{"id": p.id, "code": f"PL-{p.id}", "order": p.order_number, "lines_left": p.lines_left}
                             for p in read(engine, actor, scan.pick_lists, wh.id)]
        return out
    view = read(engine, actor, workflows.list_here, wh.id, read(engine, actor, scan.pick_list_in, wh.id, pick))
    return out | {"id": view.id, "code": f"PL-{view.id}", "state": view.state, "order": view.order_number,
                  "kind": view.kind, "to_warehouse": view.to_warehouse or None,
                  "next_line_id": view.next_line.id if view.next_line else None,
                  "lines": [{"line_id": line.id, "location": line.location, "sku": line.sku, "name": line.name,
                             "quantity": line.quantity, "picked": line.picked, "remaining": line.remaining,
                             "state": line.state} for line in view.lines]}


@router.post(W + "/pick-lists/{pick_list_id}/picks", summary="Confirm a pick")
def pick(warehouse: str, pick_list_id: int, cmd: workflows.Pick, engine: EngineDep, actor: ApiActor) -> Outcome:
    """The scanned location must be the line's (another warehouse's is 422), the scanned item the line's SKU (a wrong
    item is 422, an unknown barcode 404), the quantity at most what the line still needs (422). `state` is `picked`
    when the list is complete."""
    wh = _warehouse(engine, actor, warehouse)
    return _outcome(perform(engine, actor, workflows.pick, wh.id, pick_list_id, cmd))


@router.post(W + "/pick-lists/{pick_list_id}/short-picks", summary="Report a short pick")
def short_pick(warehouse: str, pick_list_id: int, cmd: workflows.ShortPick, engine: EngineDep,
               actor: ApiActor) -> Outcome:
    """The bin holds fewer units than the line needs: the missing units are quarantined in the bin and the order is
    re-allocated from elsewhere or backordered (fulfilment.picking)."""
    wh = _warehouse(engine, actor, warehouse)
    return _outcome(perform(engine, actor, workflows.short_pick, wh.id, pick_list_id, cmd))


@router.get(W + "/packing", summary="Orders at the pack station")
def packing_state(warehouse: str, engine: EngineDep, actor: ApiActor, order: str = "") -> dict[str, Any]:
    """Without `order`: the orders with picked units here not yet in a parcel. With `order` (its number): per item
    the units picked here and in parcels, and the parcels with their state."""
    wh = _warehouse(engine, actor, warehouse)
    if not order:
        return {"warehouse": wh.code, "orders": read(engine, actor, scan.orders_to_pack, wh.id)}
    view = read(engine, actor, scan.order_to_pack, wh.id, order)
    return {"warehouse": wh.code, "order": view.number, "status": view.status, "left_to_pack": view.left_to_pack,
            "lines": [{"sku": line.sku, "picked": line.picked, "packed": line.packed} for line in view.lines],
            "parcels": [{"parcel": no, "state": state, "units": units} for no, state, units in view.parcels]}


@router.post(W + "/packing/items", summary="Pack a scanned item")
def pack(warehouse: str, cmd: workflows.Pack, engine: EngineDep, actor: ApiActor) -> Outcome:
    """Only picked units can be packed, each once: an item not in the order is 422, one whose picked units are all
    packed already is 409."""
    wh = _warehouse(engine, actor, warehouse)
    return _outcome(perform(engine, actor, workflows.pack, wh.id, cmd))


@router.post(W + "/packing/parcels", summary="Close a parcel")
def close_parcel(warehouse: str, cmd: workflows.CloseParcel, engine: EngineDep, actor: ApiActor) -> Outcome:
    """Records weight and dimensions; `state` is `packed` when the whole order is in closed parcels."""
    wh = _warehouse(engine, actor, warehouse)
    return _outcome(perform(engine, actor, workflows.close_parcel, wh.id, cmd))


@router.post(W + "/shipments", summary="Ship a packed order")
def ship(warehouse: str, cmd: workflows.Ship, request: Request, engine: EngineDep, actor: ApiActor) -> Outcome:
    """Books the carrier for the closed parcels, the stock leaves the bins and the order is shipped; the customer
    gets the tracking e-mail. An order not packed yet is 409 and nothing changes."""
    wh = _warehouse(engine, actor, warehouse)
    done = perform(engine, actor, workflows.ship, wh.id, cmd)
    packing.send_shipment_notice(request.app.state.settings, engine, actor, done.id)  # type: ignore[arg-type]
    return _outcome(done)
