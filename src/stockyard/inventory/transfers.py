"""Transfers between warehouses in two steps: dispatch puts stock in transit, receipt lands it."""

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import insert, select, update

from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import INVENTORY_TRANSFER
from stockyard.inventory.domain import Move, Reason, Status, WholeNumber, transfer_state
from stockyard.inventory.ledger import Posting, post_moves
from stockyard.inventory.models import Transfer, TransferLine
from stockyard.inventory.refs import resolve_location, resolve_sku, resolve_warehouse, transit_place


class TransferLineIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: int | str
    from_location: int | str
    quantity: WholeNumber = Field(gt=0)
    lot: str = Field(default="", max_length=64)


class DispatchTransfer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    from_warehouse: int | str
    to_warehouse: int | str
    lines: list[TransferLineIn] = Field(min_length=1)
    note: str = ""


class ReceiveLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line_id: int
    quantity: WholeNumber = Field(gt=0)
    to_location: int | str


class ReceiveTransfer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    transfer_id: int
    lines: list[ReceiveLine] = Field(min_length=1)


def dispatch_transfer(uow: UnitOfWork, cmd: DispatchTransfer) -> int:
    actor = uow.require(INVENTORY_TRANSFER)
    source_wh = resolve_warehouse(uow, cmd.from_warehouse, "from_warehouse")
    # Sending is work in the source warehouse; receiving (receive_transfer) needs the destination.
    target_wh = resolve_warehouse(uow, cmd.to_warehouse, "to_warehouse", works_in=False)
    if source_wh == target_wh:
        raise ValidationFailed("is the same warehouse as from_warehouse", field="to_warehouse")
    transit = transit_place(uow, target_wh)
    transfer_id = uow.conn.execute(
        insert(Transfer)
        .values(tenant_id=uow.tenant_id, from_warehouse_id=source_wh, to_warehouse_id=target_wh, note=cmd.note,
                actor_name=actor.name)
        .returning(Transfer.id)
    ).scalar_one()
    moves, rows = [], []
    for i, line in enumerate(cmd.lines):
        sku = resolve_sku(uow, line.sku, f"lines[{i}].sku")
        source = resolve_location(uow, line.from_location, f"lines[{i}].from_location", warehouse_id=source_wh)
        moves.append(Move(sku.id, line.quantity, source.place, transit, Status.SELLABLE, Status.IN_TRANSIT,
                          line.lot.strip()))
        rows.append({"tenant_id": uow.tenant_id, "transfer_id": transfer_id, "sku_id": sku.id,
                     "lot": line.lot.strip(), "from_location_id": source.id, "quantity": line.quantity})
    uow.conn.execute(insert(TransferLine), rows)
    post_moves(uow, moves, Posting(Reason.TRANSFER_DISPATCH, "transfer", str(transfer_id), cmd.note))
    add_event(uow, "transfer.dispatched.v1", {"transfer_id": transfer_id, "from_warehouse_id": source_wh,
                                              "to_warehouse_id": target_wh})
    return transfer_id


def receive_transfer(uow: UnitOfWork, cmd: ReceiveTransfer) -> str:
    """Land some or all of what is in transit; returns the transfer's new state."""
    uow.require(INVENTORY_TRANSFER)
    transfer = uow.conn.execute(
        select(Transfer.__table__)
        .where(Transfer.tenant_id == uow.tenant_id, Transfer.id == cmd.transfer_id)
        .with_for_update()
    ).first()
    if transfer is None:
        raise NotFound(f"unknown transfer {cmd.transfer_id}", field="transfer_id")
    if transfer.state not in ("in_transit", "partially_received"):
        raise Conflict(f"transfer {transfer.id} is {transfer.state}", field="transfer_id")
    uow.actor.require_warehouse(transfer.to_warehouse_id)  # type: ignore[union-attr]
    lines = {
        row.id: row
        for row in uow.conn.execute(
            select(TransferLine.__table__).where(
                TransferLine.tenant_id == uow.tenant_id, TransferLine.transfer_id == transfer.id
            )
        )
    }
    transit = transit_place(uow, transfer.to_warehouse_id)
    moves = []
    receiving: dict[int, int] = {}
    for i, rline in enumerate(cmd.lines):
        line = lines.get(rline.line_id)
        if line is None:
            raise NotFound(f"transfer {transfer.id} has no line {rline.line_id}", field=f"lines[{i}].line_id")
        receiving[line.id] = receiving.get(line.id, 0) + rline.quantity
        outstanding = line.quantity - line.received
        if receiving[line.id] > outstanding:
            raise ValidationFailed(
                f"only {outstanding} of this line are still in transit", field=f"lines[{i}].quantity"
            )
        target = resolve_location(uow, rline.to_location, f"lines[{i}].to_location",
                                  warehouse_id=transfer.to_warehouse_id)
        moves.append(Move(line.sku_id, rline.quantity, transit, target.place, Status.IN_TRANSIT, Status.SELLABLE,
                          line.lot))
    for line_id, quantity in receiving.items():
        uow.conn.execute(
            update(TransferLine).where(TransferLine.id == line_id).values(received=TransferLine.received + quantity)
        )
    post_moves(uow, moves, Posting(Reason.TRANSFER_RECEIPT, "transfer", str(transfer.id)))
    state = transfer_state(
        [(line.quantity, line.received + receiving.get(line.id, 0)) for line in lines.values()]
    )
    uow.conn.execute(update(Transfer).where(Transfer.id == transfer.id).values(state=state))
    add_event(uow, "transfer.received.v1", {"transfer_id": transfer.id, "state": state})
    return state
