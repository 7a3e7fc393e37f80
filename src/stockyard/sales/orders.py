"""Order transitions (ARCHITECTURE §4): each is one service call that checks the move against the state machine
with a conditional UPDATE (`... WHERE status IN (allowed)`, rowcount checked), writes the timeline entry, and emits
an outbox event (which is also the audit row)."""

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from stockyard.billing import payments as billing
from stockyard.billing.invoices import InvoiceLineIn, IssueInvoice, issue_invoice
from stockyard.billing.tax_domain import LineRate, TaxLine, fallback_rate
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.files import FileStore
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.shipments import CreateShipment, ShipmentLineIn, create_shipment, record_tracking_event
from stockyard.identity.domain import FULFILMENT_PACK, FULFILMENT_PICK, FULFILMENT_SHIP, ORDERS_CANCEL, ORDERS_MANAGE
from stockyard.inventory.models import Reservation
from stockyard.inventory.reservations import release_reservation
from stockyard.sales.allocation import LineToAllocate, allocate_lines
from stockyard.sales.domain import (
    EXCHANGE_SOURCE,
    TRANSITIONS,
    PricedLine,
    Status,
    check_transition,
    order_totals,
)
from stockyard.sales.models import Channel, Order, OrderAllocation, OrderEvent, OrderLine

_orders = Order.__table__
_lines = OrderLine.__table__
_alloc = OrderAllocation.__table__
_events = OrderEvent.__table__
_channels = Channel.__table__
_res = Reservation.__table__


@dataclass(frozen=True)
class OrderRow:
    id: int
    number: str
    status: str
    channel_id: int
    currency: str
    shipping_address: dict[str, Any]
    shipping_method_id: int | None
    held_from: str | None
    grand_total: Decimal
    shipping_total: Decimal


def load_order(uow: UnitOfWork, order_id: int, *, lock: bool = True) -> OrderRow:
    stmt = select(_orders.c.id, _orders.c.number, _orders.c.status, _orders.c.channel_id, _orders.c.currency,
                  _orders.c.shipping_address, _orders.c.shipping_method_id, _orders.c.held_from,
                  _orders.c.grand_total, _orders.c.shipping_total).where(
        _orders.c.tenant_id == uow.tenant_id, _orders.c.id == order_id)
    row = uow.conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFound(f"unknown order {order_id}", field="order")
    return OrderRow(*row)


def _move(uow: UnitOfWork, order: OrderRow, action: str, to: str, note: str, **values: Any) -> None:
    """The conditional UPDATE of one transition, its timeline entry and its event."""
    allowed = [s.value for s in TRANSITIONS[action][0]]
    changed = uow.conn.execute(update(_orders).where(
        _orders.c.id == order.id, _orders.c.status.in_(allowed)).values(status=to, updated_at=utcnow(), **values))
    if changed.rowcount != 1:
        current = uow.conn.execute(select(_orders.c.status).where(_orders.c.id == order.id)).scalar_one()
        check_transition(action, current)  # raises with the reason
        raise Conflict(f"the order changed while you were looking at it (now {current})", field="status")
    log_event(uow, order.id, order.status, to, note)
    add_event(uow, f"order.{action}.v1" if action != "pay" else "order.paid.v1",
              {"order_id": order.id, "number": order.number, "from": order.status, "to": to, "note": note})


def log_event(uow: UnitOfWork, order_id: int, from_status: str | None, to_status: str, note: str) -> None:
    uow.conn.execute(_events.insert(), {"tenant_id": uow.tenant_id, "order_id": order_id, "from_status": from_status,
                                        "to_status": to_status, "note": note[:500],
                                        "actor_name": uow.actor.name if uow.actor else "", "at": utcnow()})


# ---- holds ----------------------------------------------------------------------------------------------------

def hold_order(uow: UnitOfWork, order_id: int, reason: str) -> None:
    uow.require(ORDERS_MANAGE)
    if not reason.strip():
        raise ValidationFailed("say why the order is held", field="reason")
    order = load_order(uow, order_id)
    check_transition("hold", order.status)
    _move(uow, order, "hold", Status.ON_HOLD.value, f"held: {reason.strip()}", held_from=order.status)


def release_hold(uow: UnitOfWork, order_id: int) -> None:
    uow.require(ORDERS_MANAGE)
    order = load_order(uow, order_id)
    if order.status != Status.ON_HOLD.value or order.held_from is None:
        raise Conflict(f"the order is {order.status}, not on hold", field="status")
    changed = uow.conn.execute(update(_orders).where(_orders.c.id == order.id, _orders.c.status == "on_hold")
                               .values(status=order.held_from, held_from=None, updated_at=utcnow()))
    if changed.rowcount != 1:
        raise Conflict("the order changed while you were looking at it", field="status")
    log_event(uow, order.id, order.status, order.held_from, "hold released")
    add_event(uow, "order.released.v1", {"order_id": order.id, "number": order.number, "to": order.held_from})


# ---- payment --------------------------------------------------------------------------------------------------

def confirm_payment(uow: UnitOfWork, order_id: int) -> str:
    """An order waiting for its payment moves on once the payment went through (a confirmed card payment, a
    webhook, a bank transfer marked received): paid, then allocated. Returns the new status."""
    order = load_order(uow, order_id)
    if order.status not in (Status.PLACED.value, Status.AWAITING_PAYMENT.value):
        return order.status
    # The storefront calls this when the customer returns from confirming a payment: it reads the payment's state
    # without orders.view, and only ever moves the order on when the money is there.
    state, _ = billing.order_payment_state(uow, order_id)
    if state not in ("authorized", "captured", "partially_captured"):
        return order.status
    _move(uow, order, "pay", Status.PAID.value, f"payment {state}")
    already = uow.conn.execute(select(_alloc.c.id).where(_alloc.c.order_id == order_id).limit(1)).first()
    if already is not None:  # a manual-payment order was allocated when placed
        total, allocated = _progress(uow, order_id)
        status = Status.ALLOCATED.value if allocated >= total else (
            Status.PARTIALLY_ALLOCATED.value if allocated else Status.BACKORDERED.value)
        _move(uow, replace(order, status=Status.PAID.value), "allocate", status,
              "stock was allocated when the order was placed")
        return status
    return _allocate(uow, replace(order, status=Status.PAID.value))


def mark_paid(uow: UnitOfWork, order_id: int, reference: str) -> str:
    """Staff record a bank transfer or cash payment."""
    uow.require(ORDERS_MANAGE)
    check_transition("pay", load_order(uow, order_id).status)  # not while held or cancelled
    billing.mark_paid(uow, order_id, reference)
    return confirm_payment(uow, order_id)


# ---- allocation -----------------------------------------------------------------------------------------------

def _progress(uow: UnitOfWork, order_id: int) -> tuple[int, int]:
    rows = list(uow.conn.execute(select(_lines.c.quantity, _lines.c.allocated).where(_lines.c.order_id == order_id)))
    return sum(r.quantity for r in rows), sum(r.allocated for r in rows)


def _allocate(uow: UnitOfWork, order: OrderRow, holds: dict[int, int] | None = None) -> str:
    channel = uow.conn.execute(select(_channels.c.allocation_strategy, _channels.c.allow_split_shipments)
                               .where(_channels.c.id == order.channel_id)).one()
    lines = list(uow.conn.execute(select(_lines.c.id, _lines.c.sku_id, _lines.c.quantity, _lines.c.allocated)
                                  .where(_lines.c.order_id == order.id).order_by(_lines.c.sku_id)))
    holds = holds if holds is not None else _order_holds(uow, order)
    todo = [LineToAllocate(r.id, r.sku_id, r.quantity - r.allocated, holds.get(r.sku_id))
            for r in lines if r.quantity > r.allocated]
    total = sum(r.quantity for r in lines)
    if not todo:
        status = Status.ALLOCATED.value
        reason = "already allocated"
    else:
        result = allocate_lines(uow, order.id, order.number, todo, strategy=channel.allocation_strategy,
                                allow_split=channel.allow_split_shipments, destination=order.shipping_address,
                                ordered_total=total)
        status, reason = result.status, result.reason
    if status != order.status:
        _move(uow, order, "allocate", status, f"allocated: {reason}")
    return status


def _order_holds(uow: UnitOfWork, order: OrderRow) -> dict[int, int]:
    """Holds carried over from the cart for an order that waited for its payment (sku id → reservation id), minus
    those already turned into allocations."""
    allocated = select(_alloc.c.reservation_id).where(_alloc.c.order_id == order.id)
    rows = uow.conn.execute(select(_res.c.id, _res.c.sku_id).where(
        _res.c.tenant_id == uow.tenant_id, _res.c.reference == f"order:{order.number}", _res.c.state == "active",
        _res.c.id.not_in(allocated)))
    return {r.sku_id: r.id for r in rows}


def allocate_order(uow: UnitOfWork, order_id: int) -> str:
    uow.require(ORDERS_MANAGE)
    order = load_order(uow, order_id)
    check_transition("allocate", order.status)
    return _allocate(uow, order)


def reallocate_order(uow: UnitOfWork, order_id: int) -> str:
    """Let go of every allocation not yet shipped and allocate again (stock moved, a warehouse closed)."""
    uow.require(ORDERS_MANAGE)
    order = load_order(uow, order_id)
    check_transition("reallocate", order.status)
    _release_allocations(uow, order_id)
    return _allocate(uow, order, holds={})


def _release_allocations(uow: UnitOfWork, order_id: int) -> None:
    rows = list(uow.conn.execute(select(_alloc.c.id, _alloc.c.order_line_id, _alloc.c.reservation_id,
                                        _alloc.c.quantity).where(_alloc.c.order_id == order_id,
                                                                 _alloc.c.state == "allocated")))
    for row in rows:
        state = uow.conn.execute(select(_res.c.state).where(_res.c.id == row.reservation_id)).scalar_one()
        if state == "active":
            release_reservation(uow, row.reservation_id)
        uow.conn.execute(update(_lines).where(_lines.c.id == row.order_line_id)
                         .values(allocated=_lines.c.allocated - row.quantity))
    if rows:
        uow.conn.execute(update(_alloc).where(_alloc.c.id.in_([r.id for r in rows])).values(state="released"))


def allocate_backorders(uow: UnitOfWork, limit: int = 50) -> int:
    """Orders waiting for stock, oldest first, take what has arrived since. Returns how many orders moved."""
    uow.require(ORDERS_MANAGE)
    ids = list(uow.conn.execute(select(_orders.c.id).where(
        _orders.c.tenant_id == uow.tenant_id,
        _orders.c.status.in_([Status.BACKORDERED.value, Status.PARTIALLY_ALLOCATED.value]))
        .order_by(_orders.c.placed_at, _orders.c.id).limit(limit)).scalars())
    moved = 0
    for order_id in ids:
        order = load_order(uow, order_id)
        if _allocate(uow, order, holds={}) != order.status:
            moved += 1
    return moved


# ---- cancel ---------------------------------------------------------------------------------------------------

def cancel_order(uow: UnitOfWork, order_id: int, reason: str) -> None:
    """Releases every unit held for the order and voids the payment (or refunds what was captured)."""
    uow.require(ORDERS_CANCEL)
    order = load_order(uow, order_id)
    check_transition("cancel", order.status)
    _release_allocations(uow, order_id)
    for reservation_id in _order_holds(uow, order).values():
        release_reservation(uow, reservation_id)
    billing.settle_cancelled_order(uow, order_id, reason or "order cancelled")
    _move(uow, order, "cancel", Status.CANCELLED.value, f"cancelled: {reason or 'no reason given'}")


# ---- fulfilment -----------------------------------------------------------------------------------------------

def start_picking(uow: UnitOfWork, order_id: int, note: str = "picking started") -> None:
    """A pick wave released the order to the floor (fulfilment/waves.py). An order already picking stays so."""
    uow.require(FULFILMENT_PICK)
    order = load_order(uow, order_id)
    if order.status == Status.PICKING.value:
        return
    check_transition("start_picking", order.status)
    _move(uow, order, "start_picking", Status.PICKING.value, note)


def mark_packed(uow: UnitOfWork, order_id: int, note: str = "packed") -> None:
    """Every picked unit is in a closed parcel (fulfilment/packing.py)."""
    uow.require(FULFILMENT_PACK)
    order = load_order(uow, order_id)
    check_transition("pack", order.status)
    _move(uow, order, "pack", Status.PACKED.value, note)


@dataclass(frozen=True)
class ShortPickOutcome:
    new_allocation_ids: list[int]
    reallocated: int  # units held again, in this or another warehouse
    backordered: int  # units no warehouse has


def reallocate_short_pick(uow: UnitOfWork, order_id: int, allocation_id: int) -> ShortPickOutcome:
    """A picker found fewer units than an allocation holds (fulfilment/picking.py). The allocation is let go (its
    reservation released if still active) and the line allocated again by the channel's strategy, from any
    warehouse; what none can serve is backordered on the line. The order stays in picking."""
    uow.require(FULFILMENT_PICK)
    order = load_order(uow, order_id)
    if order.status != Status.PICKING.value:
        raise Conflict(f"the order is {order.status}, not picking", field="status")
    row = uow.conn.execute(select(_alloc.c.id, _alloc.c.order_line_id, _alloc.c.reservation_id, _alloc.c.quantity)
                           .where(_alloc.c.tenant_id == uow.tenant_id, _alloc.c.order_id == order_id,
                                  _alloc.c.id == allocation_id, _alloc.c.state == "allocated")).first()
    if row is None:
        raise NotFound(f"order {order.number} has no open allocation {allocation_id}", field="allocation_id")
    if uow.conn.execute(select(_res.c.state).where(_res.c.id == row.reservation_id)).scalar_one() == "active":
        release_reservation(uow, row.reservation_id)
    uow.conn.execute(update(_alloc).where(_alloc.c.id == row.id).values(state="released"))
    uow.conn.execute(update(_lines).where(_lines.c.id == row.order_line_id)
                     .values(allocated=_lines.c.allocated - row.quantity))
    line = uow.conn.execute(select(_lines.c.id, _lines.c.sku_id, _lines.c.quantity, _lines.c.allocated)
                            .where(_lines.c.id == row.order_line_id)).one()
    channel = uow.conn.execute(select(_channels.c.allocation_strategy, _channels.c.allow_split_shipments)
                               .where(_channels.c.id == order.channel_id)).one()
    total, _ = _progress(uow, order_id)
    result = allocate_lines(uow, order.id, order.number, [LineToAllocate(line.id, line.sku_id,
                                                                         line.quantity - line.allocated)],
                            strategy=channel.allocation_strategy, allow_split=True,
                            destination=order.shipping_address, ordered_total=total)
    new_ids = list(uow.conn.execute(select(_alloc.c.id).where(
        _alloc.c.order_line_id == line.id, _alloc.c.state == "allocated", _alloc.c.id > row.id)
        .order_by(_alloc.c.id)).scalars())
    backordered = result.short
    note = (f"short pick: {row.quantity} units of line {line.id} let go; {result.allocated} allocated again"
            + (f", {backordered} backordered" if backordered else ""))
    log_event(uow, order.id, order.status, order.status, note)
    add_event(uow, "order.reallocated.v1", {"order_id": order.id, "number": order.number, "note": note,
                                            "allocation_ids": new_ids})
    return ShortPickOutcome(new_ids, result.allocated, backordered)


def ship_order(uow: UnitOfWork, order_id: int, warehouse_id: int | None = None,
               method_id: int | None = None, store: FileStore | None = None,
               weights: dict[int, int] | None = None) -> list[int]:
    """Ship what is allocated (in one warehouse, or in each): one shipment per warehouse with a label and a
    tracking number; the payment is captured for it when the method captures at shipment. `method_id`: the
    carrier service chosen at the pack station instead of the one the customer chose; `weights`: grams weighed at
    the pack station per warehouse (otherwise the SKUs' weights are added up)."""
    uow.require(FULFILMENT_SHIP)
    order = load_order(uow, order_id)
    check_transition("ship", order.status)
    stmt = select(_alloc.c.id, _alloc.c.order_line_id, _alloc.c.warehouse_id, _alloc.c.reservation_id,
                  _alloc.c.quantity, _lines.c.sku_id, _lines.c.unit_price).join(
        _lines, _lines.c.id == _alloc.c.order_line_id).where(_alloc.c.order_id == order_id,
                                                             _alloc.c.state == "allocated")
    if warehouse_id is not None:
        stmt = stmt.where(_alloc.c.warehouse_id == warehouse_id)
    rows = list(uow.conn.execute(stmt.order_by(_alloc.c.warehouse_id, _alloc.c.id)))
    if not rows:
        raise Conflict("nothing is allocated to ship" + (" from this warehouse" if warehouse_id else ""),
                       field="warehouse_id")
    method_id = method_id or order.shipping_method_id
    if method_id is None:
        raise Conflict("the order has no shipping method", field="shipping_method_id")
    by_warehouse: dict[int, list[Any]] = {}
    for row in rows:
        by_warehouse.setdefault(row.warehouse_id, []).append(row)
    shipment_ids = []
    value = Decimal(0)
    for wh, items in by_warehouse.items():
        shipment_id = create_shipment(uow, CreateShipment(
            order_id=order_id, warehouse_id=wh, method_id=method_id,
            destination=order.shipping_address,
            lines=[ShipmentLineIn(order_line_id=i.order_line_id, sku_id=i.sku_id, quantity=i.quantity,
                                  reservation_id=i.reservation_id) for i in items],
            weight_g=(weights or {}).get(wh) or None), store)
        shipment_ids.append(shipment_id)
        for i in items:
            uow.conn.execute(update(_lines).where(_lines.c.id == i.order_line_id)
                             .values(shipped=_lines.c.shipped + i.quantity))
            value += i.unit_price * i.quantity
        uow.conn.execute(update(_alloc).where(_alloc.c.id.in_([i.id for i in items])).values(state="shipped"))
    total, _ = _progress(uow, order_id)
    shipped = uow.conn.execute(select(_lines.c.shipped).where(_lines.c.order_id == order_id)).scalars().all()
    status = Status.SHIPPED.value if sum(shipped) >= total else Status.PARTIALLY_SHIPPED.value
    first = order.status != Status.PARTIALLY_SHIPPED.value
    billing.capture_for_shipment(uow, order_id, value + (order.shipping_total if first else Decimal(0)),
                                 final=status == Status.SHIPPED.value)
    if status != order.status:
        _move(uow, order, "ship", status, f"shipped in {len(shipment_ids)} parcel(s)")
    else:
        log_event(uow, order.id, order.status, status, f"another {len(shipment_ids)} parcel(s) shipped")
    return shipment_ids


def mark_delivered(uow: UnitOfWork, order_id: int) -> None:
    uow.require(FULFILMENT_SHIP)
    order = load_order(uow, order_id)
    check_transition("deliver", order.status)
    for shipment_id in _shipment_ids(uow, order_id):
        record_tracking_event(uow, shipment_id, "delivered", "delivered to the customer")
    _move(uow, order, "deliver", Status.DELIVERED.value, "delivered")


def _shipment_ids(uow: UnitOfWork, order_id: int) -> list[int]:
    from stockyard.fulfilment.models import Shipment

    s = Shipment.__table__
    return list(uow.conn.execute(select(s.c.id).where(s.c.tenant_id == uow.tenant_id, s.c.order_id == order_id,
                                                      s.c.delivered_at.is_(None))).scalars())


# Where an external site's orders come from (sales/external_order.py); the site takes their payment.
EXTERNAL_SOURCES = ("channel", "csv")


def invoice_order(uow: UnitOfWork, order_id: int) -> int:
    """Issue the invoice once the payment is captured (or was taken by the external site the order came from); the
    order becomes invoiced."""
    uow.require(ORDERS_MANAGE)
    order = load_order(uow, order_id)
    check_transition("invoice", order.status)
    head = uow.conn.execute(select(_orders.c.subtotal, _orders.c.shipping_total, _orders.c.tax_total,
                                   _orders.c.grand_total, _orders.c.email, _orders.c.billing_address,
                                   _orders.c.shipping_address, _orders.c.prices_include_tax, _orders.c.source,
                                   _orders.c.tax_lines)
                            .where(_orders.c.id == order_id)).one()
    if head.source == EXCHANGE_SOURCE:  # paid by the credit of the returned goods (staff_orders.py)
        captured = head.grand_total
    elif head.source in EXTERNAL_SOURCES:
        # The site took the money (an order it reported unpaid waits in awaiting_payment and cannot ship), so the
        # invoice is issued against the site's payment.
        captured = head.grand_total
    else:
        captured = sum((p.captured_amount for p in billing.payment_summary(uow, order_id) if p.live), Decimal(0))
    if captured < order.grand_total:
        raise Conflict(f"only {captured:.2f} of {order.grand_total:.2f} {order.currency} is captured; "
                       "capture the payment before invoicing", field="payment")
    lines = [InvoiceLineIn(sku_code=r.sku_code, name=r.name, quantity=r.quantity, unit_price=r.unit_price,
                           tax_rate=r.tax_rate)
             for r in uow.conn.execute(select(_lines).where(_lines.c.order_id == order_id).order_by(_lines.c.id))]
    invoice_id = issue_invoice(uow, IssueInvoice(
        order_id=order_id, order_number=order.number, currency=order.currency, email=head.email,
        billing_address=head.billing_address, shipping_address=head.shipping_address, lines=lines,
        shipping_total=head.shipping_total, tax_total=head.tax_total, prices_include_tax=head.prices_include_tax,
        expected_total=head.grand_total, tax_lines=[TaxLine.from_json(t) for t in head.tax_lines or []]))
    _move(uow, order, "invoice", Status.INVOICED.value, "invoice issued")
    return invoice_id


def close_order(uow: UnitOfWork, order_id: int) -> None:
    uow.require(ORDERS_MANAGE)
    order = load_order(uow, order_id)
    check_transition("close", order.status)
    _move(uow, order, "close", Status.CLOSED.value, "closed")


# ---- editing --------------------------------------------------------------------------------------------------

class LineChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line_id: int
    quantity: int = Field(ge=0, le=999)  # 0 removes the line


class EditLines(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    changes: list[LineChange] = Field(min_length=1)


def edit_lines(uow: UnitOfWork, order_id: int, cmd: EditLines) -> str:
    """Change quantities before picking, at the order's own prices. A paid order can only shrink (the payment
    covers the old total; the difference is never captured); stock is allocated again for what changed."""
    uow.require(ORDERS_MANAGE)
    order = load_order(uow, order_id)
    check_transition("edit_lines", order.status)
    current = {r.id: r for r in uow.conn.execute(select(_lines).where(_lines.c.order_id == order_id))}
    paid = order.status not in (Status.PLACED.value, Status.AWAITING_PAYMENT.value)
    for index, change in enumerate(cmd.changes):
        line = current.get(change.line_id)
        if line is None:
            raise NotFound(f"line {change.line_id} is not on this order", field=f"changes[{index}].line_id")
        if paid and change.quantity > line.quantity:
            raise Conflict("a paid order's lines can only be reduced; place a new order for more",
                           field=f"changes[{index}].quantity")
    remaining = {lid: r.quantity for lid, r in current.items()}
    for change in cmd.changes:
        remaining[change.line_id] = change.quantity
    if not any(remaining.values()):
        raise Conflict("an order needs at least one line; cancel it instead", field="changes")
    had_allocations = uow.conn.execute(select(_alloc.c.id).where(
        _alloc.c.order_id == order_id, _alloc.c.state == "allocated").limit(1)).first() is not None
    _release_allocations(uow, order_id)
    for reservation_id in _order_holds(uow, order).values():
        release_reservation(uow, reservation_id)
    priced = []
    for lid, r in current.items():
        quantity = remaining[lid]
        if quantity == 0:
            # Its allocations were all released just above; their rows go with the line (the reservations stay).
            uow.conn.execute(_alloc.delete().where(_alloc.c.order_line_id == lid, _alloc.c.state == "released"))
            uow.conn.execute(_lines.delete().where(_lines.c.id == lid))
            continue
        p = PricedLine(r.sku_id, quantity, r.unit_price,
                       LineRate(Decimal(r.tax_rate), r.tax_name or fallback_rate(Decimal(r.tax_rate)).name))
        priced.append(p)
        uow.conn.execute(update(_lines).where(_lines.c.id == lid).values(quantity=quantity, line_total=p.total,
                                                                         backordered=0))
    channel = uow.conn.execute(select(_channels.c.tax_rate, _channels.c.prices_include_tax)
                               .where(_channels.c.id == order.channel_id)).one()
    totals = order_totals(priced, order.shipping_total, channel.tax_rate, channel.prices_include_tax)
    uow.conn.execute(update(_orders).where(_orders.c.id == order_id).values(
        subtotal=totals.subtotal, tax_total=totals.tax, grand_total=totals.grand_total,
        tax_lines=[t.as_json() for t in totals.tax_lines], updated_at=utcnow()))
    billing.adjust_amount(uow, order_id, totals.grand_total)
    log_event(uow, order_id, order.status, order.status, "lines edited: " + ", ".join(
        f"line {c.line_id} → {c.quantity}" for c in cmd.changes))
    add_event(uow, "order.lines_edited.v1", {"order_id": order_id, "number": order.number,
                                             "grand_total": str(totals.grand_total)})
    if order.status in (Status.PLACED.value, Status.AWAITING_PAYMENT.value):
        if had_allocations:  # a manual-payment order keeps its stock while it waits
            _allocate_quietly(uow, order)
        return order.status
    return _allocate(uow, order, holds={})


def _allocate_quietly(uow: UnitOfWork, order: OrderRow) -> None:
    """Allocate an order that is not yet paid without moving its status (manual payment methods)."""
    channel = uow.conn.execute(select(_channels.c.allocation_strategy, _channels.c.allow_split_shipments)
                               .where(_channels.c.id == order.channel_id)).one()
    lines = list(uow.conn.execute(select(_lines.c.id, _lines.c.sku_id, _lines.c.quantity, _lines.c.allocated)
                                  .where(_lines.c.order_id == order.id).order_by(_lines.c.sku_id)))
    todo = [LineToAllocate(r.id, r.sku_id, r.quantity - r.allocated) for r in lines if r.quantity > r.allocated]
    if todo:
        allocate_lines(uow, order.id, order.number, todo, strategy=channel.allocation_strategy,
                       allow_split=channel.allow_split_shipments, destination=order.shipping_address,
                       ordered_total=sum(r.quantity for r in lines))
