"""The mobile actions, one function each, run in one unit of work by `perform`.

Each takes the chosen warehouse and what was scanned, checks that every scanned location, order and transfer
belongs to that warehouse (a scanner in the wrong aisle must not move stock elsewhere), and calls the owning
context's service in the same transaction: inventory.movements, inventory.transfers, inventory.counts,
purchasing.services. Those services check the permissions and the warehouse limits of the user again. A refused
action raises a domain error naming the field that was scanned and changes nothing. Picking, packing and shipping
go through fulfilment.picking and fulfilment.packing, which check the scans against the pick line and the order.
"""

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stockyard.core.errors import DomainError, ValidationFailed
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment import packing, picking
from stockyard.inventory import counts, movements, transfers
from stockyard.inventory.domain import WholeNumber
from stockyard.inventory.refs import resolve_warehouse
from stockyard.purchasing import putaway
from stockyard.purchasing import services as purchasing
from stockyard.web.mobile import scan

WriteOffReason = Literal["damaged", "expired", "lost", "theft", "sample", "other"]


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Receive(_Command):
    """Received units of one scanned item: against a purchase order (its number) or, without one, blind."""

    sku: str = Field(description="the scanned item: SKU code or barcode")
    quantity: WholeNumber = Field(gt=0, le=1_000_000)
    purchase_order: str = Field(default="", description="the purchase order number; empty for a blind receipt")
    location: str = Field(default="", description="where the units are put down; empty: the receiving dock")
    lot: str = Field(default="", max_length=64)


class Move(_Command):
    """Units of a scanned item from one scanned location to another of the same warehouse."""

    sku: str
    from_location: str
    to_location: str
    quantity: WholeNumber = Field(gt=0, le=1_000_000)
    lot: str = Field(default="", max_length=64)


class WriteOff(_Command):
    sku: str
    location: str
    quantity: WholeNumber = Field(gt=0, le=1_000_000)
    reason: WriteOffReason
    note: str = Field(default="", max_length=500)
    effective_on: date | None = Field(default=None, description="the day the loss happened, when not today "
                                                                "(refused in a closed accounting period)")


class Dispatch(_Command):
    """One scanned item sent from a location of this warehouse to another warehouse (a new transfer)."""

    to_warehouse: str = Field(description="the destination warehouse's code or id")
    sku: str
    from_location: str
    quantity: WholeNumber = Field(gt=0, le=1_000_000)
    note: str = Field(default="", max_length=500)


class ReceiveTransfer(_Command):
    """Units of a scanned item of a transfer in transit to this warehouse, put down at a scanned location."""

    sku: str
    quantity: WholeNumber = Field(gt=0, le=1_000_000)
    to_location: str


class OpenCount(_Command):
    location: str = Field(description="the location (with everything under it) to count")


class CountItem(_Command):
    location: str
    sku: str
    counted: WholeNumber = Field(ge=0, le=1_000_000)


@dataclass(frozen=True)
class Done:
    """What happened, in the words the phone shows."""

    message: str
    sku: str = ""
    quantity: int = 0
    location: str = ""
    state: str = ""  # the purchase order's or transfer's state afterwards
    id: int | None = None  # the new transfer or count, or the recorded count line


def receive(uow: UnitOfWork, warehouse_id: int, cmd: Receive) -> Done:
    sku = scan.sku_of(uow, cmd.sku)
    if cmd.location:
        location = scan.location_in(uow, warehouse_id, cmd.location)
    else:
        docks = scan.receiving_docks(uow, warehouse_id)
        if not docks:
            raise ValidationFailed("this warehouse has no receiving location: scan where the goods are put down",
                                   field="location")
        location = scan.location_in(uow, warehouse_id, docks[0])
    if not cmd.purchase_order:
        movements.receive_stock(uow, movements.ReceiveStock(
            sku=sku.id, location=location.id, quantity=cmd.quantity, lot=cmd.lot, note="blind receipt"))
        return Done(f"Received {cmd.quantity} × {sku.code} into {location.path} (blind receipt)", sku.code,
                    cmd.quantity, location.path)
    order = scan.open_purchase_order(uow, warehouse_id, cmd.purchase_order)
    line = scan.line_for(order, sku)
    if cmd.quantity > line.open:
        raise ValidationFailed(f"more than ordered: only {line.open} of {line.quantity} × {sku.code} are still "
                               f"expected on {order.order.number}", field="quantity")
    receipt = purchasing.receive_purchase_order_lines(uow, order.order.id, purchasing.ReceivePurchaseOrder(
        location=location.id, lines=[purchasing.ReceivedLine(line_id=line.id, quantity=cmd.quantity, lot=cmd.lot)]))
    return Done(f"Received {cmd.quantity} × {sku.code} on {order.order.number} into {location.path}", sku.code,
                cmd.quantity, location.path, receipt.state)


def put_away(uow: UnitOfWork, warehouse_id: int, cmd: Move) -> Done:
    """Through purchasing.putaway, which also refuses a bin the units would overfill."""
    sku = scan.sku_of(uow, cmd.sku)
    source = scan.location_in(uow, warehouse_id, cmd.from_location, "from_location")
    target = scan.location_in(uow, warehouse_id, cmd.to_location, "to_location")
    putaway.put_away(uow, putaway.PutAway(sku=sku.id, quantity=cmd.quantity, from_location=source.id,
                                          to_location=target.id, lot=cmd.lot))
    return Done(f"Put away {cmd.quantity} × {sku.code} from {source.path} to {target.path}", sku.code, cmd.quantity,
                target.path)


def move(uow: UnitOfWork, warehouse_id: int, cmd: Move) -> Done:
    sku = scan.sku_of(uow, cmd.sku)
    source = scan.location_in(uow, warehouse_id, cmd.from_location, "from_location")
    target = scan.location_in(uow, warehouse_id, cmd.to_location, "to_location")
    movements.move_stock(uow, movements.MoveStock(sku=sku.id, from_location=source.id, to_location=target.id,
                                                  quantity=cmd.quantity, lot=cmd.lot, reason="move"))
    return Done(f"Moved {cmd.quantity} × {sku.code} from {source.path} to {target.path}", sku.code, cmd.quantity,
                target.path)


def write_off(uow: UnitOfWork, warehouse_id: int, cmd: WriteOff) -> Done:
    sku = scan.sku_of(uow, cmd.sku)
    location = scan.location_in(uow, warehouse_id, cmd.location)
    movements.write_off_stock(uow, movements.WriteOffStock(sku=sku.id, location=location.id, quantity=cmd.quantity,
                                                           reason=cmd.reason, note=cmd.note,
                                                           effective_on=cmd.effective_on))
    return Done(f"Wrote off {cmd.quantity} × {sku.code} at {location.path} ({cmd.reason})", sku.code, cmd.quantity,
                location.path)


def dispatch(uow: UnitOfWork, warehouse_id: int, cmd: Dispatch) -> Done:
    sku = scan.sku_of(uow, cmd.sku)
    source = scan.location_in(uow, warehouse_id, cmd.from_location, "from_location")
    ref = cmd.to_warehouse
    target = resolve_warehouse(uow, int(ref) if ref.isdigit() else ref, "to_warehouse", works_in=False)
    transfer_id = transfers.dispatch_transfer(uow, transfers.DispatchTransfer(
        from_warehouse=warehouse_id, to_warehouse=target, note=cmd.note,
        lines=[transfers.TransferLineIn(sku=sku.id, from_location=source.id, quantity=cmd.quantity)]))
    return Done(f"Dispatched {cmd.quantity} × {sku.code} from {source.path} on transfer TR-{transfer_id}", sku.code,
                cmd.quantity, source.path, "in_transit", transfer_id)


def receive_transfer(uow: UnitOfWork, warehouse_id: int, transfer_id: int, cmd: ReceiveTransfer) -> Done:
    found = scan.inbound_transfers(uow, warehouse_id, transfer_id)
    if not found:
        raise ValidationFailed(f"TR-{transfer_id} is not on its way to this warehouse", field="transfer")
    sku = scan.sku_of(uow, cmd.sku)
    lines = [line for line in found[0].lines if line[1] == sku.code]
    if not lines:
        raise ValidationFailed(f"{sku.code} is not in transit on TR-{transfer_id}", field="sku")
    line_id, _, outstanding = lines[0]
    if cmd.quantity > outstanding:
        raise ValidationFailed(f"more than was sent: only {outstanding} × {sku.code} are still in transit",
                               field="quantity")
    target = scan.location_in(uow, warehouse_id, cmd.to_location, "to_location")
    state = transfers.receive_transfer(uow, transfers.ReceiveTransfer(transfer_id=transfer_id, lines=[
        transfers.ReceiveLine(line_id=line_id, quantity=cmd.quantity, to_location=target.id)]))
    return Done(f"Received {cmd.quantity} × {sku.code} of TR-{transfer_id} into {target.path}", sku.code,
                cmd.quantity, target.path, state, transfer_id)


def open_count(uow: UnitOfWork, warehouse_id: int, cmd: OpenCount) -> Done:
    location = scan.location_in(uow, warehouse_id, cmd.location)
    count_id = counts.open_count(uow, counts.OpenCount(warehouse=warehouse_id, locations=[location.id],
                                                      note=f"counted on the floor: {location.path}"))
    return Done(f"Count CNT-{count_id} opened for {location.path}", location=location.path, state="open",
                id=count_id)


def count_item(uow: UnitOfWork, warehouse_id: int, count_id: int, cmd: CountItem) -> Done:
    if count_id not in {c for c, _ in scan.open_counts(uow, warehouse_id)}:
        raise ValidationFailed(f"CNT-{count_id} is not an open count of this warehouse", field="count")
    sku = scan.sku_of(uow, cmd.sku)
    location = scan.location_in(uow, warehouse_id, cmd.location)
    line_id = counts.record_count(uow, counts.RecordCount(count_id=count_id, location=location.id, sku=sku.id,
                                                          counted=cmd.counted))
    return Done(f"Counted {cmd.counted} × {sku.code} at {location.path} on CNT-{count_id}", sku.code, cmd.counted,
                location.path, "open", line_id)


# ---- pick, pack, ship (fulfilment.picking and fulfilment.packing) ----------------------------------------------------

# The fulfilment services name the scans by what they hold; the phone and the API name them like the other steps.
_SCAN_FIELDS = {"location_code": "location", "scanned_barcode": "sku", "order_id": "order", "pick_list_id": "pick"}


def _named_as_scanned(error: DomainError) -> DomainError:
    if error.field in _SCAN_FIELDS:
        error.field = _SCAN_FIELDS[error.field]
    return error


class Pick(_Command):
    """The picker scanned the line's location and item and took `quantity` units."""

    line_id: int
    location: str
    sku: str
    quantity: WholeNumber = Field(gt=0, le=100_000)


class ShortPick(_Command):
    """The bin holds fewer units than the line needs: `found` is what the picker can still take there."""

    line_id: int
    location: str
    found: WholeNumber = Field(ge=0, le=100_000)


class Pack(_Command):
    """A scanned item of the order goes into parcel `parcel` (opened with its first item)."""

    order: str = Field(description="the order number")
    sku: str
    quantity: WholeNumber = Field(default=1, gt=0, le=100_000)
    parcel: int = Field(default=1, gt=0, le=999)


class CloseParcel(_Command):
    order: str
    parcel: int = Field(gt=0, le=999)
    weight_grams: WholeNumber = Field(gt=0, le=1_000_000)
    length_mm: WholeNumber = Field(gt=0, le=10_000)
    width_mm: WholeNumber = Field(gt=0, le=10_000)
    height_mm: WholeNumber = Field(gt=0, le=10_000)


class Ship(_Command):
    order: str
    method_id: int | None = Field(default=None, description="the carrier service; default: the order's own")


def list_here(uow: UnitOfWork, warehouse_id: int, pick_list_id: int) -> picking.PickListView:
    view = picking.pick_list(uow, pick_list_id)
    if view.warehouse_id != warehouse_id:
        raise ValidationFailed(f"pick list PL-{pick_list_id} is for warehouse {view.warehouse}", field="pick")
    return view


def pick(uow: UnitOfWork, warehouse_id: int, pick_list_id: int, cmd: Pick) -> Done:
    view = list_here(uow, warehouse_id, pick_list_id)
    try:
        progress = picking.confirm_pick(uow, picking.ConfirmPick(
            pick_list_id=pick_list_id, line_id=cmd.line_id, location_code=cmd.location, scanned_barcode=cmd.sku,
            quantity=cmd.quantity))
    except DomainError as error:
        raise _named_as_scanned(error) from None
    line = next(line for line in view.lines if line.id == cmd.line_id)
    message = f"Picked {cmd.quantity} × {line.sku} from {line.location}"
    if progress.list_done:
        message += f"; PL-{pick_list_id} is complete" + (f": pack order {view.order_number}"
                                                         if view.order_number else "")
        if view.to_warehouse:
            message += f": dispatched to {view.to_warehouse}, put the units on the transfer"
    return Done(message, line.sku, cmd.quantity, line.location, "picked" if progress.list_done else "open",
                pick_list_id)


def short_pick(uow: UnitOfWork, warehouse_id: int, pick_list_id: int, cmd: ShortPick) -> Done:
    view = list_here(uow, warehouse_id, pick_list_id)
    try:
        result = picking.report_short_pick(uow, picking.ReportShortPick(
            pick_list_id=pick_list_id, line_id=cmd.line_id, location_code=cmd.location, found=cmd.found))
    except DomainError as error:
        raise _named_as_scanned(error) from None
    line = next(line for line in view.lines if line.id == cmd.line_id)
    return Done(f"Short pick of {line.sku} at {line.location}: {result.missing} missing; {result.outcome}",
                line.sku, cmd.found, line.location, id=pick_list_id)


def _order_id(uow: UnitOfWork, warehouse_id: int, number: str) -> int:
    return scan.order_to_pack(uow, warehouse_id, number).order_id


def pack(uow: UnitOfWork, warehouse_id: int, cmd: Pack) -> Done:
    order_id = _order_id(uow, warehouse_id, cmd.order)
    try:
        result = packing.pack_item(uow, packing.PackItem(order_id=order_id, parcel_no=cmd.parcel,
                                                         scanned_barcode=cmd.sku, quantity=cmd.quantity))
    except DomainError as error:
        raise _named_as_scanned(error) from None
    left = f"{result.left_to_pack} left to pack" if result.left_to_pack else "everything picked is packed"
    return Done(f"Packed {cmd.quantity} × {result.sku} into parcel {result.parcel_no}; {left}", result.sku,
                cmd.quantity, state="packing" if result.left_to_pack else "all_packed", id=result.parcel_no)


def close_parcel(uow: UnitOfWork, warehouse_id: int, cmd: CloseParcel) -> Done:
    order_id = _order_id(uow, warehouse_id, cmd.order)
    try:
        status = packing.close_parcel(uow, packing.CloseParcel(
            order_id=order_id, parcel_no=cmd.parcel, weight_grams=cmd.weight_grams, length_mm=cmd.length_mm,
            width_mm=cmd.width_mm, height_mm=cmd.height_mm))
    except DomainError as error:
        raise _named_as_scanned(error) from None
    then = "; the order is packed: ship it" if status == "packed" else ""
    return Done(f"Parcel {cmd.parcel} of {cmd.order.upper()} closed ({cmd.weight_grams} g){then}", state=status,
                id=cmd.parcel)


def ship(uow: UnitOfWork, warehouse_id: int, cmd: Ship) -> Done:
    order_id = _order_id(uow, warehouse_id, cmd.order)
    try:
        shipment_ids = packing.ship_packed_order(uow, packing.ShipPacked(order_id=order_id, method_id=cmd.method_id))
    except DomainError as error:
        raise _named_as_scanned(error) from None
    count = len(shipment_ids)
    return Done(f"Shipped order {cmd.order.upper()} ({count} shipment{'s' if count != 1 else ''})", state="shipped",
                id=order_id)
