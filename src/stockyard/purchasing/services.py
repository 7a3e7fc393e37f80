"""Purchasing use cases: create a supplier (supplier SKUs and changes: suppliers.py); create a purchase order (a
draft with its lines), send it, cancel it, change when it is expected, receive what arrived (receiving.py does the
receipt), close it. Each runs in one unit of work: the order's state (a conditional UPDATE on its state, rowcount
checked), the stock receipts (through inventory.movements, which posts them to the ledger) and the outbox events
change together or not at all.

Permissions: purchasing.edit to create, send, cancel, reschedule and close; purchasing.receive to receive (the
stock receipt itself also needs inventory.receive, checked by the inventory service, and a location the actor may
work in).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import insert, select, update

from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.iso_codes import check_currency
from stockyard.core.numbering import next_number
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import PURCHASING_EDIT
from stockyard.inventory.domain import WholeNumber
from stockyard.inventory.refs import resolve_skus, resolve_warehouse
from stockyard.purchasing.domain import (
    LineIn,
    OpenLine,
    POState,
    check_expected,
    check_lines,
    check_transition,
)
from stockyard.purchasing.models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderNumber, Supplier

_suppliers = Supplier.__table__
_po = PurchaseOrder.__table__
_lines = PurchaseOrderLine.__table__
_numbers = PurchaseOrderNumber.__table__

Ref = int | str


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class CreateSupplier(_Command):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(min_length=3, max_length=3)
    lead_time_days: WholeNumber = Field(default=7, ge=0, le=365)
    over_receipt_tolerance_pct: Decimal = Field(default=Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)

    @field_validator("code", "currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        try:
            return check_currency(value)
        except ValidationFailed as error:
            raise ValueError(error.message) from None


class POLineIn(_Command):
    sku: Ref
    quantity: WholeNumber = Field(gt=0, le=1_000_000)
    unit_cost: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    expected_on: date | None = None


class CreatePurchaseOrder(_Command):
    supplier: Ref  # id or code
    warehouse: Ref  # the destination, id or code
    lines: list[POLineIn] = Field(min_length=1, max_length=500)
    # None: today plus the supplier's lead time.
    expected_on: date | None = None
    note: str = Field(default="", max_length=500)


class LineDate(_Command):
    line_id: int
    expected_on: date | None  # None: with the rest of the order


class Reschedule(_Command):
    expected_on: date | None = None  # None: the order's date stays
    lines: list[LineDate] = Field(default_factory=list, max_length=500)
    note: str = Field(default="", max_length=500)


class ReceivedLine(_Command):
    """Units of one order line: the line named by its id, or by its SKU (code or barcode, as scanned)."""

    line_id: int | None = None
    sku: Ref | None = None
    quantity: WholeNumber = Field(gt=0, le=1_000_000)
    lot: str = Field(default="", max_length=64)

    @model_validator(mode="after")
    def _one_line(self) -> "ReceivedLine":
        if (self.line_id is None) == (self.sku is None):
            raise ValueError("give the line_id or the sku of the line received, not both")
        return self


class ReceivePurchaseOrder(_Command):
    # A location in the order's warehouse (id or path); None: the warehouse's receiving location.
    location: Ref | None = None
    lines: list[ReceivedLine] = Field(min_length=1, max_length=500)
    note: str = Field(default="", max_length=500)


class Reason(_Command):
    note: str = Field(default="", max_length=500)


@dataclass(frozen=True)
class CreatedOrder:
    id: int
    number: str


@dataclass(frozen=True)
class Receipt:
    state: str
    move_ids: list[int]
    receipt_id: int = 0
    number: str = ""  # the goods receipt's number (GR-000001)
    over_received: int = 0  # units accepted beyond the ordered quantities (within the tolerance)


# ---- suppliers --------------------------------------------------------------------------------------------------

def create_supplier(uow: UnitOfWork, cmd: CreateSupplier) -> int:
    uow.require(PURCHASING_EDIT)
    taken = uow.conn.execute(select(_suppliers.c.id).where(_suppliers.c.tenant_id == uow.tenant_id,
                                                           _suppliers.c.code == cmd.code)).first()
    if taken is not None:
        raise Conflict(f"a supplier with code {cmd.code} exists already", field="code")
    supplier_id = uow.conn.execute(insert(_suppliers).returning(_suppliers.c.id), {
        "tenant_id": uow.tenant_id, "code": cmd.code, "name": cmd.name, "currency": cmd.currency,
        "lead_time_days": cmd.lead_time_days, "over_receipt_tolerance_pct": cmd.over_receipt_tolerance_pct,
        "active": True, "created_at": utcnow()}).scalar_one()
    add_event(uow, "supplier.created.v1", {"supplier_id": supplier_id, **cmd.model_dump(mode="json")})
    return supplier_id


def _supplier(uow: UnitOfWork, ref: Ref) -> Any:
    t = _suppliers
    stmt = select(t.c.id, t.c.code, t.c.name, t.c.currency, t.c.lead_time_days, t.c.active,
                  t.c.over_receipt_tolerance_pct).where(
        t.c.tenant_id == uow.tenant_id)
    stmt = stmt.where(t.c.id == ref) if isinstance(ref, int) else stmt.where(t.c.code == ref.strip().upper())
    row = uow.conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"unknown supplier '{ref}'", field="supplier")
    if not row.active:
        raise Conflict(f"supplier {row.code} is inactive", field="supplier")
    return row


# ---- purchase orders --------------------------------------------------------------------------------------------

def _next_number(uow: UnitOfWork) -> str:
    return next_number(uow, _numbers, "PO")


def create_purchase_order(uow: UnitOfWork, cmd: CreatePurchaseOrder) -> CreatedOrder:
    """A draft order to the supplier for delivery to the warehouse; nothing is inbound until it is sent."""
    uow.require(PURCHASING_EDIT)
    today = utcnow().date()
    supplier = _supplier(uow, cmd.supplier)
    warehouse_id = resolve_warehouse(uow, cmd.warehouse, works_in=False)
    skus = resolve_skus(uow, [line.sku for line in cmd.lines], [f"lines[{i}].sku" for i in range(len(cmd.lines))])
    check_lines([LineIn(sku.id, sku.code, line.quantity) for sku, line in zip(skus, cmd.lines, strict=True)])
    expected_on = cmd.expected_on or today + timedelta(days=supplier.lead_time_days)
    check_expected(expected_on, today)
    for index, line in enumerate(cmd.lines):
        if line.expected_on is not None:
            check_expected(line.expected_on, today, f"lines[{index}].expected_on")
    now = utcnow()
    number = _next_number(uow)
    order_id = uow.conn.execute(insert(_po).returning(_po.c.id), {
        "tenant_id": uow.tenant_id, "number": number, "supplier_id": supplier.id, "warehouse_id": warehouse_id,
        "state": POState.DRAFT.value, "currency": supplier.currency, "expected_on": expected_on, "note": cmd.note,
        "sent_at": None, "updated_at": now, "created_at": now}).scalar_one()
    uow.conn.execute(insert(_lines), [
        {"tenant_id": uow.tenant_id, "purchase_order_id": order_id, "sku_id": sku.id, "quantity": line.quantity,
         "received": 0, "unit_cost": line.unit_cost, "expected_on": line.expected_on}
        for sku, line in zip(skus, cmd.lines, strict=True)])
    add_event(uow, "purchase_order.created.v1", {
        "purchase_order_id": order_id, "number": number, "supplier": supplier.code, "warehouse_id": warehouse_id,
        "expected_on": expected_on.isoformat(), "currency": supplier.currency,
        "lines": [{"sku": sku.code, "quantity": line.quantity, "unit_cost": str(line.unit_cost),
                   "expected_on": line.expected_on.isoformat() if line.expected_on else None}
                  for sku, line in zip(skus, cmd.lines, strict=True)]})
    return CreatedOrder(order_id, number)


@dataclass(frozen=True)
class _Order:
    id: int
    number: str
    state: str
    warehouse_id: int
    expected_on: date
    supplier_id: int


def _load(uow: UnitOfWork, order_id: int) -> _Order:
    row = uow.conn.execute(select(_po.c.id, _po.c.number, _po.c.state, _po.c.warehouse_id, _po.c.expected_on,
                                  _po.c.supplier_id).where(
        _po.c.tenant_id == uow.tenant_id, _po.c.id == order_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"unknown purchase order {order_id}", field="purchase_order")
    return _Order(*row)


def _open_lines(uow: UnitOfWork, order_id: int) -> dict[int, OpenLine]:
    from stockyard.catalog.models import Sku

    skus = Sku.__table__
    rows = uow.conn.execute(
        select(_lines.c.id, skus.c.code, _lines.c.quantity, _lines.c.received, _lines.c.over_received)
        .join(skus, skus.c.id == _lines.c.sku_id)
        .where(_lines.c.tenant_id == uow.tenant_id, _lines.c.purchase_order_id == order_id).order_by(_lines.c.id))
    return {r.id: OpenLine(r.id, r.code, r.quantity, r.received, r.over_received) for r in rows}


def _transition(uow: UnitOfWork, order: _Order, action: str, target: POState, payload: dict[str, Any],
                **values: Any) -> None:
    """The state change as a conditional UPDATE (rowcount checked) and its event."""
    changed = uow.conn.execute(update(_po).where(_po.c.id == order.id, _po.c.state == order.state).values(
        state=target.value, updated_at=utcnow(), **values))
    if changed.rowcount != 1:
        raise Conflict("the purchase order changed while you were looking at it; reload", field="state")
    event = {"send": "sent", "cancel": "cancelled", "receive": "received", "close": "closed"}[action]
    add_event(uow, f"purchase_order.{event}.v1", {"purchase_order_id": order.id, "number": order.number,
                                                   "from": order.state, "to": target.value, **payload})


def send_purchase_order(uow: UnitOfWork, order_id: int) -> None:
    """The order goes to the supplier: from now on its units are inbound."""
    uow.require(PURCHASING_EDIT)
    order = _load(uow, order_id)
    check_transition("send", order.state)
    check_expected(order.expected_on, utcnow().date())
    _transition(uow, order, "send", POState.SENT, {"expected_on": order.expected_on.isoformat()},
                sent_at=utcnow())


def cancel_purchase_order(uow: UnitOfWork, order_id: int, cmd: Reason) -> None:
    uow.require(PURCHASING_EDIT)
    order = _load(uow, order_id)
    check_transition("cancel", order.state)
    _transition(uow, order, "cancel", POState.CANCELLED, {"note": cmd.note})


def close_purchase_order(uow: UnitOfWork, order_id: int, cmd: Reason) -> None:
    """No more deliveries: what was not received is no longer inbound."""
    uow.require(PURCHASING_EDIT)
    order = _load(uow, order_id)
    check_transition("close", order.state)
    short = sum(line.open for line in _open_lines(uow, order.id).values())
    _transition(uow, order, "close", POState.CLOSED, {"note": cmd.note, "units_not_delivered": short})


def reschedule_purchase_order(uow: UnitOfWork, order_id: int, cmd: Reschedule) -> None:
    """The supplier announced another date: for the whole order, and/or for some lines (None: with the order)."""
    uow.require(PURCHASING_EDIT)
    if cmd.expected_on is None and not cmd.lines:
        raise ValidationFailed("give the new expected date of the order or of some lines", field="expected_on")
    order = _load(uow, order_id)
    check_transition("reschedule", order.state)
    today = utcnow().date()
    lines = _open_lines(uow, order.id)
    before_lines = dict(uow.conn.execute(select(_lines.c.id, _lines.c.expected_on).where(
        _lines.c.purchase_order_id == order.id)).all())
    for index, given in enumerate(cmd.lines):
        if given.line_id not in lines:
            raise ValidationFailed("this line is not on the purchase order", field=f"lines[{index}].line_id")
        if given.expected_on is not None:
            check_expected(given.expected_on, today, f"lines[{index}].expected_on")
    if cmd.expected_on is not None:
        check_expected(cmd.expected_on, today)
        uow.conn.execute(update(_po).where(_po.c.id == order.id).values(expected_on=cmd.expected_on,
                                                                        updated_at=utcnow()))
    for given in cmd.lines:
        uow.conn.execute(update(_lines).where(_lines.c.id == given.line_id).values(expected_on=given.expected_on))

    def dated(value: date | None) -> str | None:
        return value.isoformat() if value else None

    add_event(uow, "purchase_order.rescheduled.v1", {
        "purchase_order_id": order.id, "number": order.number, "note": cmd.note,
        "before": {"expected_on": order.expected_on.isoformat(),
                   "lines": {str(g.line_id): dated(before_lines[g.line_id]) for g in cmd.lines}},
        "after": {"expected_on": (cmd.expected_on or order.expected_on).isoformat(),
                  "lines": {str(g.line_id): dated(g.expected_on) for g in cmd.lines}}})


def receive_purchase_order_lines(uow: UnitOfWork, order_id: int, cmd: ReceivePurchaseOrder) -> Receipt:
    """What arrived is received into `location` (in the order's warehouse; by default its receiving location) at
    the order's unit costs, as one goods receipt; the lines count it and the order becomes partially received or
    received. Beyond the supplier's over-receipt tolerance the receipt is refused and changes nothing. Returns the
    new state, the stock move ids and the goods receipt (see receiving.receive_on_order)."""
    from stockyard.purchasing.receiving import receive_on_order

    return receive_on_order(uow, order_id, cmd)
