"""Receive, move (putaway), write off and change the status of stock: each one posting to the ledger."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stockyard.core.clock import utcnow
from stockyard.core.errors import ValidationFailed
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import INVENTORY_ADJUST, INVENTORY_MOVE, INVENTORY_RECEIVE
from stockyard.inventory.domain import WRITE_OFF_REASONS, Move, Reason, Status, Usage, WholeNumber
from stockyard.inventory.ledger import Posting, post_moves
from stockyard.inventory.refs import (
    SkuRef,
    resolve_location,
    resolve_locations,
    resolve_sku,
    resolve_skus,
    virtual_place,
)

Ref = int | str


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReceiveStock(_Command):
    sku: Ref
    location: Ref
    quantity: WholeNumber = Field(gt=0)
    status: Status = Status.SELLABLE
    unit_cost: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)
    lot: str = Field(default="", max_length=64)
    document_type: str = Field(default="", max_length=32)
    document_id: str = Field(default="", max_length=64)
    note: str = ""


class MoveStock(_Command):
    sku: Ref
    from_location: Ref
    to_location: Ref
    quantity: WholeNumber = Field(gt=0)
    status: Status = Status.SELLABLE
    lot: str = Field(default="", max_length=64)
    reason: Literal["putaway", "move"] = "move"
    note: str = ""


class WriteOffStock(_Command):
    sku: Ref
    location: Ref
    quantity: WholeNumber = Field(gt=0)
    reason: Literal["damaged", "expired", "lost", "theft", "sample", "other"]
    status: Status = Status.SELLABLE
    lot: str = Field(default="", max_length=64)
    note: str = ""
    effective_on: date | None = Field(default=None, description="the day the loss happened, when not today "
                                                                "(refused in a closed accounting period)")


class ChangeStockStatus(_Command):
    sku: Ref
    location: Ref
    quantity: WholeNumber = Field(gt=0)
    from_status: Status
    to_status: Status
    lot: str = Field(default="", max_length=64)
    note: str = ""


assert set(WriteOffStock.model_fields["reason"].annotation.__args__) == set(WRITE_OFF_REASONS)  # type: ignore[union-attr]


def _require_lot(sku: SkuRef, lot: str, field: str = "lot", quantity: int = 1) -> None:
    if sku.tracking != "none" and not lot.strip():
        raise ValidationFailed(f"SKU {sku.code} is tracked by {sku.tracking}; a lot/serial is required", field=field)
    if sku.tracking == "serial" and quantity != 1:
        raise ValidationFailed(f"SKU {sku.code} is serial-tracked: receive one unit per serial number",
                               field=field.removesuffix("lot") + "quantity")


def _no_transit_status(status: Status, field: str) -> None:
    if status == Status.IN_TRANSIT:
        raise ValidationFailed("in_transit stock is created and received only by transfers", field=field)


def receive_stock(uow: UnitOfWork, cmd: ReceiveStock) -> int:
    return receive_stock_batch(uow, [cmd])[0]


def receive_stock_batch(uow: UnitOfWork, cmds: list[ReceiveStock]) -> list[int]:
    """Several receipts in one transaction: all of them are posted, or none."""
    uow.require(INVENTORY_RECEIVE)
    prefixes = _prefixes("receipts", len(cmds))
    for prefix, cmd in zip(prefixes, cmds, strict=True):
        _no_transit_status(cmd.status, prefix + "status")
    skus = resolve_skus(uow, [c.sku for c in cmds], [p + "sku" for p in prefixes])
    locations = resolve_locations(uow, [c.location for c in cmds], [p + "location" for p in prefixes])
    supplier = virtual_place(uow, Usage.SUPPLIER)
    moves = []
    for prefix, cmd, sku, location in zip(prefixes, cmds, skus, locations, strict=True):
        _require_lot(sku, cmd.lot, prefix + "lot", cmd.quantity)
        moves.append(Move(sku.id, cmd.quantity, supplier, location.place, cmd.status, cmd.status, cmd.lot.strip()))
    first = cmds[0]
    posting = Posting(Reason.RECEIPT, first.document_type, first.document_id, first.note if len(cmds) == 1 else "")
    return post_moves(uow, moves, posting, [cmd.unit_cost for cmd in cmds])


def _prefixes(name: str, n: int) -> list[str]:
    """Field-name prefixes for error messages: none for a single command, `name[i].` in a batch."""
    return [""] if n == 1 else [f"{name}[{i}]." for i in range(n)]


def move_stock(uow: UnitOfWork, cmd: MoveStock) -> int:
    return move_stock_batch(uow, [cmd])[0]


def move_stock_batch(uow: UnitOfWork, cmds: list[MoveStock]) -> list[int]:
    """Several moves in one transaction: all of them are posted, or none."""
    uow.require(INVENTORY_MOVE)
    prefixes = _prefixes("moves", len(cmds))
    for prefix, cmd in zip(prefixes, cmds, strict=True):
        _no_transit_status(cmd.status, prefix + "status")
    skus = resolve_skus(uow, [c.sku for c in cmds], [p + "sku" for p in prefixes])
    sources = resolve_locations(uow, [c.from_location for c in cmds], [p + "from_location" for p in prefixes])
    targets = resolve_locations(uow, [c.to_location for c in cmds], [p + "to_location" for p in prefixes])
    moves = []
    for prefix, cmd, sku, source, target in zip(prefixes, cmds, skus, sources, targets, strict=True):
        if source.id == target.id:
            raise ValidationFailed("is the same location as from_location", field=prefix + "to_location")
        if source.warehouse_id != target.warehouse_id:
            raise ValidationFailed("is in another warehouse; use a transfer between warehouses",
                                   field=prefix + "to_location")
        moves.append(Move(sku.id, cmd.quantity, source.place, target.place, cmd.status, cmd.status, cmd.lot.strip()))
    reason = cmds[0].reason if len({c.reason for c in cmds}) == 1 else Reason.MOVE
    return post_moves(uow, moves, Posting(reason, note=cmds[0].note if len(cmds) == 1 else ""))


def business_time(uow: UnitOfWork, effective_on: date | None, field: str = "effective_on") -> datetime | None:
    """The business time of a move dated `effective_on` (None: now): not in the future, not in a closed
    accounting period."""
    if effective_on is None:
        return None
    today = utcnow().date()
    if effective_on > today:
        raise ValidationFailed("is in the future", field=field)
    # Imported late: billing reads the inventory ledger, and its periods decide what may still be dated.
    from stockyard.billing.periods import check_open

    check_open(uow, effective_on, field=field)
    return None if effective_on == today else datetime.combine(effective_on, time.min)


def write_off_stock(uow: UnitOfWork, cmd: WriteOffStock) -> int:
    uow.require(INVENTORY_ADJUST)
    occurred_at = business_time(uow, cmd.effective_on)
    sku = resolve_sku(uow, cmd.sku)
    location = resolve_location(uow, cmd.location)
    move = Move(sku.id, cmd.quantity, location.place, virtual_place(uow, Usage.SCRAP), cmd.status, cmd.status,
                cmd.lot.strip())
    note = f"{cmd.reason}: {cmd.note}" if cmd.note else cmd.reason
    return post_moves(uow, [move], Posting(Reason.WRITE_OFF, note=note, occurred_at=occurred_at))[0]


def change_stock_status(uow: UnitOfWork, cmd: ChangeStockStatus) -> int:
    uow.require(INVENTORY_ADJUST)
    if cmd.from_status == cmd.to_status:
        raise ValidationFailed("is the same as from_status", field="to_status")
    _no_transit_status(cmd.from_status, "from_status")
    _no_transit_status(cmd.to_status, "to_status")
    sku = resolve_sku(uow, cmd.sku)
    location = resolve_location(uow, cmd.location)
    move = Move(sku.id, cmd.quantity, location.place, location.place, cmd.from_status, cmd.to_status,
                cmd.lot.strip())
    return post_moves(uow, [move], Posting(Reason.STATUS_CHANGE, note=cmd.note))[0]
