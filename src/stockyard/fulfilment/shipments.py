"""Shipments: booking a parcel with its carrier (tracking number, PDF label), recording tracking, cancelling before
handover. The sales context calls these when staff ship an order and moves the order's own status itself.

Statuses: shipped (booked, label printed, stock left the bin) → in_transit → out_for_delivery → delivered;
exception may be recorded on the way; a shipment still `shipped` (not handed over) can be cancelled, which puts
its units back in the bins they left.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import insert, select, update

from stockyard.catalog.models import Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.files import FileStore, file_store
from stockyard.core.iso_codes import check_country
from stockyard.core.outbox import add_event
from stockyard.core.settings import get_settings
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.carriers import ShipmentBooking, TrackingEvent, carrier_for
from stockyard.fulfilment.labels import LabelParty
from stockyard.fulfilment.models import Carrier, Shipment, ShipmentEvent, ShipmentLine, ShippingMethod
from stockyard.fulfilment.quotes import Destination, QuoteLine, QuoteRequest, quote_details
from stockyard.identity.domain import FULFILMENT_SHIP, INVENTORY_RESERVE, ORDERS_VIEW
from stockyard.inventory.domain import Move, Place, Usage
from stockyard.inventory.ledger import Posting, post_moves
from stockyard.inventory.models import Location, Reservation, StockMove, Warehouse
from stockyard.inventory.refs import virtual_place
from stockyard.inventory.reservations import consume_reservation
from stockyard.sales.models import Order, OrderLine

__all__ = ["FULFILMENT_SHIP", "CreateShipment", "ShipAddress", "ShipmentLineIn", "cancel_shipment", "create_shipment",
           "record_tracking_event", "shipment_label", "shipments_for_order", "tracking"]

DOCUMENT = "shipment"
CANCEL_REASON = "shipment_cancel"
FINAL = ("delivered", "cancelled")


class ShipAddress(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(min_length=1, max_length=200)
    company: str = Field(default="", max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field(default="", max_length=200)
    postcode: str = Field(default="", max_length=20)
    city: str = Field(min_length=1, max_length=120)
    region: str = Field(default="", max_length=120)
    country: str = Field(min_length=2, max_length=2)
    phone: str = Field(default="", max_length=40)


class ShipmentLineIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    order_line_id: int
    sku_id: int
    quantity: int = Field(gt=0)
    reservation_id: int


class CreateShipment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: int
    warehouse_id: int
    method_id: int
    destination: ShipAddress
    lines: list[ShipmentLineIn] = Field(min_length=1, max_length=500)
    weight_g: int | None = Field(default=None, gt=0, le=1_000_000,
                                 description="weighed at the pack station; none: the SKUs' weights added up")


TrackingStatus = Literal["in_transit", "out_for_delivery", "delivered", "exception"]


@dataclass(frozen=True)
class Label:
    data: bytes
    filename: str


def _require_any(uow: UnitOfWork, *permissions: str) -> None:
    actor = uow.actor
    if actor is None:
        raise PermissionDenied("nobody is signed in", field="permission")
    if not any(actor.can(p) for p in permissions):
        raise PermissionDenied(f"'{actor.name}' lacks the permission {' or '.join(permissions)}", field="permission")


def _check_lines(uow: UnitOfWork, cmd: CreateShipment) -> None:
    """The lines belong to the order, name its SKUs, and each consumes a live reservation of exactly those units in
    the shipping warehouse (two statements)."""
    ol, r = OrderLine.__table__, Reservation.__table__
    order_lines = {row.id: row for row in uow.conn.execute(
        select(ol.c.id, ol.c.sku_id, ol.c.quantity, ol.c.shipped).where(
            ol.c.tenant_id == uow.tenant_id, ol.c.order_id == cmd.order_id,
            ol.c.id.in_([line.order_line_id for line in cmd.lines])))}
    holds = {row.id: row for row in uow.conn.execute(
        select(r.c.id, r.c.sku_id, r.c.warehouse_id, r.c.quantity, r.c.state).where(
            r.c.tenant_id == uow.tenant_id, r.c.id.in_([line.reservation_id for line in cmd.lines])))}
    seen: set[int] = set()
    for index, line in enumerate(cmd.lines):
        where = f"lines[{index}]"
        found = order_lines.get(line.order_line_id)
        if found is None:
            raise NotFound(f"order {cmd.order_id} has no line {line.order_line_id}", field=f"{where}.order_line_id")
        if found.sku_id != line.sku_id:
            raise ValidationFailed("is not the SKU of the order line", field=f"{where}.sku_id")
        if line.reservation_id in seen:
            raise ValidationFailed("is used by another line of this shipment", field=f"{where}.reservation_id")
        seen.add(line.reservation_id)
        hold = holds.get(line.reservation_id)
        if hold is None:
            raise NotFound(f"unknown reservation {line.reservation_id}", field=f"{where}.reservation_id")
        if hold.state != "active":
            raise Conflict(f"reservation {line.reservation_id} is {hold.state}", field=f"{where}.reservation_id")
        if (hold.sku_id, hold.warehouse_id, hold.quantity) != (line.sku_id, cmd.warehouse_id, line.quantity):
            raise ValidationFailed(f"reservation {line.reservation_id} holds {hold.quantity} of another SKU or "
                                   "warehouse than this line ships", field=f"{where}.reservation_id")
    shipping: dict[int, int] = {}
    for line in cmd.lines:
        shipping[line.order_line_id] = shipping.get(line.order_line_id, 0) + line.quantity
    for index, line in enumerate(cmd.lines):
        found = order_lines[line.order_line_id]
        if shipping[line.order_line_id] > found.quantity - found.shipped:
            raise Conflict(f"order line {line.order_line_id} has {found.quantity - found.shipped} units left to "
                           "ship", field=f"lines[{index}].quantity")


def create_shipment(uow: UnitOfWork, cmd: CreateShipment, store: FileStore | None = None) -> int:
    """Books the parcel with the method's carrier, ships the reserved units (bin → customer), stores the label
    and records the shipment as shipped; emits shipment.created.v1. Returns the shipment id."""
    actor = uow.require(FULFILMENT_SHIP)
    actor.require_warehouse(cmd.warehouse_id)
    country = check_country(cmd.destination.country, field="destination.country")
    o, m, c, w = Order.__table__, ShippingMethod.__table__, Carrier.__table__, Warehouse.__table__
    order = uow.conn.execute(select(o.c.id, o.c.number, o.c.currency).where(
        o.c.tenant_id == uow.tenant_id, o.c.id == cmd.order_id)).first()
    if order is None:
        raise NotFound(f"unknown order {cmd.order_id}", field="order_id")
    method = uow.conn.execute(select(m.c.id, m.c.code, m.c.name, m.c.currency, c.c.code.label("carrier_code"),
                                     c.c.name.label("carrier_name")).join(c, c.c.id == m.c.carrier_id)
                              .where(m.c.tenant_id == uow.tenant_id, m.c.id == cmd.method_id)).first()
    if method is None:
        raise NotFound(f"unknown shipping method {cmd.method_id}", field="method_id")
    warehouse = uow.conn.execute(select(w.c.id, w.c.name, w.c.address).where(
        w.c.tenant_id == uow.tenant_id, w.c.id == cmd.warehouse_id)).first()
    if warehouse is None:
        raise NotFound(f"unknown warehouse {cmd.warehouse_id}", field="warehouse_id")
    _check_lines(uow, cmd)
    cost = _cost(uow, cmd, method, order.currency, country)
    s = Sku.__table__
    weights = {r.id: r.weight_g for r in uow.conn.execute(select(s.c.id, s.c.weight_g).where(
        s.c.tenant_id == uow.tenant_id, s.c.id.in_([line.sku_id for line in cmd.lines])))}
    weight = cmd.weight_g or sum(weights.get(line.sku_id, 0) * line.quantity for line in cmd.lines)
    dest = cmd.destination
    recipient = LabelParty(dest.name, tuple(x for x in (dest.company, dest.line1, dest.line2,
                                                         f"{dest.postcode} {dest.city}".strip(), dest.region,
                                                         country) if x))
    sender = LabelParty(warehouse.name, tuple(line for line in warehouse.address.splitlines() if line.strip()))
    carrier = carrier_for(method.carrier_code)
    booked = carrier.create_shipment(uow, ShipmentBooking(
        carrier_code=method.carrier_code, carrier_name=method.carrier_name, method_code=method.code,
        method_name=method.name, sender=sender, recipient=recipient, weight_g=weight, reference=order.number))
    now = utcnow()
    key = f"t{uow.tenant_id}/labels/{method.carrier_code.lower()}-{booked.tracking_number}.pdf"
    shipment_id = uow.conn.execute(insert(Shipment.__table__).values(
        tenant_id=uow.tenant_id, order_id=cmd.order_id, warehouse_id=cmd.warehouse_id, method_id=cmd.method_id,
        carrier_code=method.carrier_code, tracking_number=booked.tracking_number, label_key=key, status="shipped",
        cost=cost, currency=method.currency, weight_g=weight, address=dest.model_dump() | {"country": country},
        shipped_at=now, created_at=now).returning(Shipment.__table__.c.id)).scalar_one()
    uow.conn.execute(insert(ShipmentLine.__table__), [
        {"tenant_id": uow.tenant_id, "shipment_id": shipment_id, "order_line_id": line.order_line_id,
         "sku_id": line.sku_id, "quantity": line.quantity, "reservation_id": line.reservation_id}
        for line in cmd.lines])
    with uow.granting({INVENTORY_RESERVE}, because=FULFILMENT_SHIP):  # the order's holds are the shipper's to use
        for line in sorted(cmd.lines, key=lambda x: x.reservation_id):
            consume_reservation(uow, line.reservation_id, document_type=DOCUMENT, document_id=str(shipment_id))
    _record(uow, shipment_id, "label_created", f"{method.carrier_name} {booked.tracking_number}", now)
    (store or file_store(get_settings())).put(key, booked.label_pdf, "application/pdf")
    add_event(uow, "shipment.created.v1", {
        "shipment_id": shipment_id, "order_id": cmd.order_id, "warehouse_id": cmd.warehouse_id,
        "method_id": cmd.method_id, "carrier": method.carrier_code, "tracking_number": booked.tracking_number,
        "cost": str(cost), "currency": method.currency, "weight_g": weight,
        "lines": [line.model_dump() for line in cmd.lines]})
    return int(shipment_id)


def _cost(uow: UnitOfWork, cmd: CreateShipment, method: Any, order_currency: str, country: str) -> Decimal:
    """What the rate engine charges for this parcel with this method (the order's value counts for free shipping
    only when the order is in the method's currency)."""
    ol = OrderLine.__table__
    value = Decimal(0)
    if order_currency == method.currency:
        totals = {r.id: r.unit_price for r in uow.conn.execute(select(ol.c.id, ol.c.unit_price).where(
            ol.c.tenant_id == uow.tenant_id, ol.c.id.in_([line.order_line_id for line in cmd.lines])))}
        value = sum((Decimal(totals[line.order_line_id]) * line.quantity for line in cmd.lines), Decimal(0))
    req = QuoteRequest(destination=Destination(country=country, postcode=cmd.destination.postcode,
                                               region=cmd.destination.region),
                       lines=[QuoteLine(sku_id=line.sku_id, quantity=line.quantity) for line in cmd.lines],
                       order_value=value, currency=method.currency, origin_warehouse_id=cmd.warehouse_id)
    result = quote_details(uow, req)
    for option in result.options:
        if option.method_id == method.id:
            return option.cost
    why = next((reason for reason in result.not_offered if reason.startswith(f"{method.code}")), "")
    raise Conflict(f"shipping method {method.code} cannot carry this parcel" + (f" ({why})" if why else ""),
                   field="method_id")


def _record(uow: UnitOfWork, shipment_id: int, status: str, note: str, at: Any) -> None:
    name = uow.actor.name if uow.actor else ""
    uow.conn.execute(insert(ShipmentEvent.__table__).values(tenant_id=uow.tenant_id, shipment_id=shipment_id,
                                                            status=status, note=note[:500], actor_name=name, at=at))


def _load(uow: UnitOfWork, shipment_id: int) -> Any:
    s = Shipment.__table__
    row = uow.conn.execute(select(s).where(s.c.tenant_id == uow.tenant_id, s.c.id == shipment_id)).first()
    if row is None:
        raise NotFound(f"unknown shipment {shipment_id}", field="shipment_id")
    return row


def record_tracking_event(uow: UnitOfWork, shipment_id: int, status: TrackingStatus, note: str = "") -> None:
    """Staff record where the parcel is (the table-rate carrier has no outside tracking). Delivered sets
    delivered_at and emits shipment.delivered.v1; delivered and cancelled shipments take no more events."""
    actor = uow.require(FULFILMENT_SHIP)
    if status not in ("in_transit", "out_for_delivery", "delivered", "exception"):
        raise ValidationFailed("must be in_transit, out_for_delivery, delivered or exception", field="status")
    row = _load(uow, shipment_id)
    actor.require_warehouse(row.warehouse_id)
    s = Shipment.__table__
    now = utcnow()
    values: dict[str, Any] = {"status": status}
    if status == "delivered":
        values["delivered_at"] = now
    changed = uow.conn.execute(update(s).where(s.c.tenant_id == uow.tenant_id, s.c.id == shipment_id,
                                               s.c.status.not_in(FINAL)).values(**values)).rowcount
    if changed != 1:
        raise Conflict(f"shipment {row.tracking_number} is {row.status} already", field="status")
    _record(uow, shipment_id, status, note, now)
    payload = {"shipment_id": shipment_id, "order_id": row.order_id, "tracking_number": row.tracking_number,
               "from_status": row.status, "status": status, "note": note}
    add_event(uow, "shipment.delivered.v1" if status == "delivered" else "shipment.tracking_updated.v1", payload)


def cancel_shipment(uow: UnitOfWork, shipment_id: int, note: str = "") -> None:
    """Withdraws a booked shipment that was not handed over yet (still `shipped`, no tracking since the label):
    the carrier cancels the booking and the units go back to the bins and statuses they left. The order's lines
    are the sales context's to update (it hears shipment.cancelled.v1)."""
    actor = uow.require(FULFILMENT_SHIP)
    row = _load(uow, shipment_id)
    actor.require_warehouse(row.warehouse_id)
    s = Shipment.__table__
    now = utcnow()
    changed = uow.conn.execute(update(s).where(s.c.tenant_id == uow.tenant_id, s.c.id == shipment_id,
                                               s.c.status == "shipped").values(status="cancelled", cancelled_at=now)
                               ).rowcount
    if changed != 1:
        raise Conflict(f"shipment {row.tracking_number} is {row.status}: only a parcel not yet handed over can be "
                       "cancelled", field="shipment_id")
    carrier_for(row.carrier_code).cancel(uow, shipment_id)
    _restock(uow, shipment_id)
    _record(uow, shipment_id, "cancelled", note, now)
    sl = ShipmentLine.__table__
    lines = [dict(r._mapping) for r in uow.conn.execute(select(sl.c.order_line_id, sl.c.sku_id, sl.c.quantity).where(
        sl.c.tenant_id == uow.tenant_id, sl.c.shipment_id == shipment_id).order_by(sl.c.id))]
    add_event(uow, "shipment.cancelled.v1", {"shipment_id": shipment_id, "order_id": row.order_id,
                                             "tracking_number": row.tracking_number, "note": note, "lines": lines})


def _restock(uow: UnitOfWork, shipment_id: int) -> None:
    """The shipment's moves bin → customer, reversed: customer → the same bin, status and lot."""
    sm, loc = StockMove.__table__, Location.__table__
    shipped = list(uow.conn.execute(
        select(sm.c.sku_id, sm.c.quantity, sm.c.from_location_id, sm.c.from_status, sm.c.lot, loc.c.usage,
               loc.c.warehouse_id).join(loc, loc.c.id == sm.c.from_location_id)
        .where(sm.c.tenant_id == uow.tenant_id, sm.c.document_type == DOCUMENT,
               sm.c.document_id == str(shipment_id), sm.c.reason == "shipment").order_by(sm.c.id)))
    if not shipped:
        return
    customer = virtual_place(uow, Usage.CUSTOMER)
    moves = [Move(r.sku_id, r.quantity, customer, Place(r.from_location_id, r.usage, r.warehouse_id), r.from_status,
                  r.from_status, r.lot) for r in shipped]
    post_moves(uow, moves, Posting(CANCEL_REASON, DOCUMENT, str(shipment_id), "shipment cancelled before handover"))


# ---- read models ----------------------------------------------------------------------------------------------

def shipment_label(uow: UnitOfWork, shipment_id: int, store: FileStore) -> Label:
    """The shipment's PDF label, for staff who ship or see orders."""
    _require_any(uow, FULFILMENT_SHIP, ORDERS_VIEW)
    row = _load(uow, shipment_id)
    data = carrier_for(row.carrier_code).label(uow, shipment_id, store)
    return Label(data, f"label-{row.tracking_number}.pdf")


def tracking(uow: UnitOfWork, shipment_id: int) -> list[TrackingEvent]:
    _require_any(uow, FULFILMENT_SHIP, ORDERS_VIEW)
    row = _load(uow, shipment_id)
    return carrier_for(row.carrier_code).track(uow, shipment_id)


def shipments_for_order(uow: UnitOfWork, order_id: int) -> list[dict[str, Any]]:
    _require_any(uow, FULFILMENT_SHIP, ORDERS_VIEW)
    s = Shipment.__table__
    return [dict(r._mapping) for r in uow.conn.execute(select(s).where(
        s.c.tenant_id == uow.tenant_id, s.c.order_id == order_id).order_by(s.c.id))]
