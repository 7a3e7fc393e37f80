"""Goods coming back from a customer: moves customer (virtual) → a bin, landing in the status return_pending,
where they wait for inspection (returns/services.py decides what becomes of them)."""

from pydantic import BaseModel, ConfigDict, Field

from stockyard.core.errors import ValidationFailed
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import INVENTORY_RECEIVE
from stockyard.inventory.domain import Move, Reason, Status, Usage, WholeNumber
from stockyard.inventory.ledger import Posting, post_moves
from stockyard.inventory.movements import _require_lot
from stockyard.inventory.refs import resolve_location, resolve_skus, resolve_warehouse, virtual_place


class ReceiveReturn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    warehouse: int | str
    location: int | str
    # (SKU id or code, units)
    lines: list[tuple[int | str, WholeNumber]] = Field(min_length=1)
    document_id: str = Field(min_length=1, max_length=64)
    note: str = ""


def receive_return(uow: UnitOfWork, cmd: ReceiveReturn) -> list[int]:
    """Post the returned units into `location` as return_pending; returns the move ids."""
    uow.require(INVENTORY_RECEIVE)
    warehouse_id = resolve_warehouse(uow, cmd.warehouse)
    location = resolve_location(uow, cmd.location, warehouse_id=warehouse_id)
    fields = [f"lines[{i}]" for i in range(len(cmd.lines))]
    skus = resolve_skus(uow, [sku for sku, _ in cmd.lines], [f + ".sku" for f in fields])
    customer = virtual_place(uow, Usage.CUSTOMER)
    moves = []
    for field, sku, (_, quantity) in zip(fields, skus, cmd.lines, strict=True):
        if quantity <= 0:
            raise ValidationFailed("must be greater than zero", field=field + ".quantity")
        _require_lot(sku, "", field + ".lot", quantity)
        moves.append(Move(sku.id, quantity, customer, location.place, Status.RETURN_PENDING, Status.RETURN_PENDING))
    return post_moves(uow, moves, Posting(Reason.RETURN_RECEIPT, "return", cmd.document_id, cmd.note))
