"""Packing at the pack station: scan picked units into parcels, close each parcel with its weight and dimensions,
compare carrier services for the parcels, ship.

    pack_item(uow, PackItem(order_id, parcel_no, scanned_barcode, quantity=1)) -> PackResult
    close_parcel(uow, CloseParcel(order_id, parcel_no, weight_grams, length_mm, width_mm, height_mm)) -> order status
    parcel_rates(uow, order_id) -> [ParcelRate]            every method that carries all closed parcels, cheapest first
    ship_packed_order(uow, ShipPacked(order_id, method_id=None)) -> [shipment id]
    shipment_notice(settings, engine, actor, order_id)     the customer's e-mail, sent after the commit

A unit can be packed once it was picked for the order and is not packed yet: an item not in the order, or one whose
picked units are all in parcels already, is refused with a clear error and nothing changes. A parcel holds units of
one warehouse. When every pick line of the order is done and every picked unit is in a closed parcel, the order
moves to `packed` (sales.orders.mark_packed). Shipping needs a packed order: per warehouse, one shipment with the
chosen method (fulfilment.shipments.create_shipment through sales.orders.ship_order: tracking number, PDF label,
the reservations consumed so that the units leave the bins for the customer through ledger moves, the payment
captured), the parcels marked shipped with it, and the order advances to shipped or partially_shipped.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, func, insert, select, update

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.files import FileStore
from stockyard.core.mail import send_mail
from stockyard.core.outbox import add_event
from stockyard.core.settings import Settings
from stockyard.core.uow import UnitOfWork, read
from stockyard.fulfilment.execution_models import Parcel, ParcelItem, PickLine, PickList
from stockyard.fulfilment.models import Carrier, Shipment
from stockyard.fulfilment.quotes import Destination, QuoteRequest, quote_details
from stockyard.fulfilment.rating import Parcel as RatedParcel
from stockyard.identity.domain import FULFILMENT_PACK, FULFILMENT_SHIP
from stockyard.inventory.refs import resolve_sku
from stockyard.sales import orders as sales_orders
from stockyard.sales.models import Order, OrderAllocation, OrderLine

log = logging.getLogger("stockyard.fulfilment.packing")
_parcels, _items = Parcel.__table__, ParcelItem.__table__
_pl, _pk, _a = PickLine.__table__, PickList.__table__, OrderAllocation.__table__
_o, _ol = Order.__table__, OrderLine.__table__


class PackItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: int
    parcel_no: int = Field(default=1, gt=0, le=999)
    scanned_barcode: str = Field(min_length=1, max_length=64, description="the item's barcode (or SKU code)")
    quantity: int = Field(default=1, gt=0, le=100_000)


class CloseParcel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: int
    parcel_no: int = Field(gt=0, le=999)
    weight_grams: int = Field(gt=0, le=1_000_000)
    length_mm: int = Field(gt=0, le=10_000)
    width_mm: int = Field(gt=0, le=10_000)
    height_mm: int = Field(gt=0, le=10_000)


class ShipPacked(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: int
    method_id: int | None = Field(default=None, description="the carrier service; default: the order's method")


@dataclass(frozen=True)
class PackResult:
    parcel_id: int
    parcel_no: int
    sku: str
    packed: int  # units of this SKU in parcels now
    left_to_pack: int  # picked units of the whole order not in a parcel yet


@dataclass(frozen=True)
class ParcelRate:
    method_id: int
    code: str
    name: str
    carrier: str
    cost: Decimal
    currency: str


def _order(uow: UnitOfWork, order_id: int, lock: bool = True) -> Any:
    stmt = select(_o.c.id, _o.c.number, _o.c.status, _o.c.currency, _o.c.shipping_address, _o.c.shipping_method_id,
                  _o.c.subtotal).where(_o.c.tenant_id == uow.tenant_id, _o.c.id == order_id)
    row = uow.conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFound(f"unknown order {order_id}", field="order_id")
    return row


def _picked(uow: UnitOfWork, order_id: int) -> dict[tuple[int, int], int]:
    """(warehouse, SKU) → units picked for the order's open allocations."""
    rows = uow.conn.execute(
        select(_pk.c.warehouse_id, _pl.c.sku_id, func.sum(_pl.c.picked))
        .join(_pk, _pk.c.id == _pl.c.pick_list_id).join(_a, _a.c.id == _pl.c.allocation_id)
        .where(_pk.c.tenant_id == uow.tenant_id, _pk.c.order_id == order_id, _a.c.state == "allocated",
               _pl.c.state.in_(("open", "picked", "short")))
        .group_by(_pk.c.warehouse_id, _pl.c.sku_id))
    return {(w, s): int(q) for w, s, q in rows if q}


def _packed(uow: UnitOfWork, order_id: int) -> dict[tuple[int, int], int]:
    """(warehouse, SKU) → units in parcels not shipped yet."""
    rows = uow.conn.execute(
        select(_parcels.c.warehouse_id, _items.c.sku_id, func.sum(_items.c.quantity))
        .join(_parcels, _parcels.c.id == _items.c.parcel_id)
        .where(_parcels.c.tenant_id == uow.tenant_id, _parcels.c.order_id == order_id,
               _parcels.c.state != "shipped").group_by(_parcels.c.warehouse_id, _items.c.sku_id))
    return {(w, s): int(q) for w, s, q in rows}


def pack_item(uow: UnitOfWork, cmd: PackItem) -> PackResult:
    """Put scanned units of a picked item into parcel `parcel_no` (opened on the first item)."""
    actor = uow.require(FULFILMENT_PACK)
    order = _order(uow, cmd.order_id)
    if order.status != "picking":
        raise Conflict(f"order {order.number} is {order.status}: only an order being picked can be packed",
                       field="order_id")
    try:
        sku = resolve_sku(uow, cmd.scanned_barcode, "scanned_barcode")
    except NotFound:
        raise NotFound(f"unknown barcode '{cmd.scanned_barcode.strip()}'", field="scanned_barcode") from None
    line_id = uow.conn.execute(select(_ol.c.id).where(_ol.c.order_id == order.id, _ol.c.sku_id == sku.id)
                               .order_by(_ol.c.id).limit(1)).scalar()
    if line_id is None:
        raise ValidationFailed(f"{sku.code} is not in order {order.number}", field="scanned_barcode")
    parcel = uow.conn.execute(select(_parcels).where(
        _parcels.c.tenant_id == uow.tenant_id, _parcels.c.order_id == order.id, _parcels.c.parcel_no == cmd.parcel_no,
        _parcels.c.state != "shipped")).first()
    if parcel is not None and parcel.state != "open":
        raise Conflict(f"parcel {cmd.parcel_no} is closed; open another parcel number", field="parcel_no")
    picked, packed = _picked(uow, order.id), _packed(uow, order.id)
    warehouses = [w for (w, s), q in sorted(picked.items()) if s == sku.id and q > packed.get((w, s), 0)]
    if parcel is not None:
        warehouses = [w for w in warehouses if w == parcel.warehouse_id]
    if not warehouses:
        if not any(s == sku.id for (_, s) in picked):
            raise Conflict(f"{sku.code} of order {order.number} is not picked yet", field="scanned_barcode")
        raise Conflict(f"every picked unit of {sku.code} is packed already", field="scanned_barcode")
    warehouse_id = warehouses[0]
    actor.require_warehouse(warehouse_id)
    free = picked[(warehouse_id, sku.id)] - packed.get((warehouse_id, sku.id), 0)
    if cmd.quantity > free:
        raise Conflict(f"only {free} picked unit(s) of {sku.code} are left to pack", field="quantity")
    if parcel is None:
        parcel_id = uow.conn.execute(insert(_parcels).values(
            tenant_id=uow.tenant_id, order_id=order.id, warehouse_id=warehouse_id, parcel_no=cmd.parcel_no,
            state="open", weight_g=0, length_mm=0, width_mm=0, height_mm=0).returning(_parcels.c.id)).scalar_one()
    else:
        parcel_id = parcel.id
    existing = uow.conn.execute(select(_items.c.id).where(_items.c.parcel_id == parcel_id,
                                                          _items.c.sku_id == sku.id)).scalar()
    if existing is None:
        uow.conn.execute(insert(_items).values(tenant_id=uow.tenant_id, parcel_id=parcel_id, order_line_id=line_id,
                                               sku_id=sku.id, quantity=cmd.quantity))
    else:
        uow.conn.execute(update(_items).where(_items.c.id == existing).values(quantity=_items.c.quantity
                                                                              + cmd.quantity))
    add_event(uow, "fulfilment.packed.v1", {"order_id": order.id, "parcel_id": parcel_id, "sku_id": sku.id,
                                            "quantity": cmd.quantity})
    packed_now = packed.get((warehouse_id, sku.id), 0) + cmd.quantity
    left = sum(picked.values()) - sum(packed.values()) - cmd.quantity
    return PackResult(parcel_id, cmd.parcel_no, sku.code, packed_now, left)


def close_parcel(uow: UnitOfWork, cmd: CloseParcel) -> str:
    """Record the parcel's weight and dimensions and close it; the order becomes packed once everything picked is in
    closed parcels and nothing is left to pick. Returns the order's status."""
    actor = uow.require(FULFILMENT_PACK)
    order = _order(uow, cmd.order_id)
    parcel = uow.conn.execute(select(_parcels).where(
        _parcels.c.tenant_id == uow.tenant_id, _parcels.c.order_id == order.id, _parcels.c.parcel_no == cmd.parcel_no,
        _parcels.c.state != "shipped")).first()
    if parcel is None:
        raise NotFound(f"order {order.number} has no parcel {cmd.parcel_no} being packed", field="parcel_no")
    actor.require_warehouse(parcel.warehouse_id)
    if parcel.state != "open":
        raise Conflict(f"parcel {cmd.parcel_no} is closed already", field="parcel_no")
    uow.conn.execute(update(_parcels).where(_parcels.c.id == parcel.id).values(
        state="closed", weight_g=cmd.weight_grams, length_mm=cmd.length_mm, width_mm=cmd.width_mm,
        height_mm=cmd.height_mm))
    add_event(uow, "fulfilment.parcel_closed.v1", {"order_id": order.id, "parcel_id": parcel.id,
                                                   "weight_g": cmd.weight_grams})
    if _fully_packed(uow, order.id):
        sales_orders.mark_packed(uow, order.id, "every picked unit is in a closed parcel")
        return "packed"
    return str(order.status)


def _fully_packed(uow: UnitOfWork, order_id: int) -> bool:
    still_picking = uow.conn.execute(select(func.count()).select_from(_pl).join(_pk, _pk.c.id == _pl.c.pick_list_id)
                                     .where(_pk.c.order_id == order_id, _pl.c.state == "open")).scalar_one()
    open_parcels = uow.conn.execute(select(func.count()).select_from(_parcels).where(
        _parcels.c.order_id == order_id, _parcels.c.state == "open")).scalar_one()
    picked = _picked(uow, order_id)
    return (not still_picking and not open_parcels and bool(picked) and picked == _packed(uow, order_id))


def parcel_rates(uow: UnitOfWork, order_id: int) -> list[ParcelRate]:
    """Every shipping method that carries each closed parcel (by its measured weight and size) to the order's
    address, with the sum of the parcels' prices, cheapest first."""
    uow.require(FULFILMENT_PACK)
    order = _order(uow, order_id, lock=False)
    parcels = list(uow.conn.execute(select(_parcels).where(
        _parcels.c.tenant_id == uow.tenant_id, _parcels.c.order_id == order_id, _parcels.c.state == "closed")
        .order_by(_parcels.c.parcel_no)))
    if not parcels:
        return []
    address = order.shipping_address or {}
    totals: dict[int, ParcelRate] = {}
    for index, p in enumerate(parcels):
        items = list(uow.conn.execute(select(_items.c.sku_id, _items.c.quantity).where(_items.c.parcel_id == p.id)))
        measured = RatedParcel(weight_g=p.weight_g, volume_mm3=p.length_mm * p.width_mm * p.height_mm,
                               item_count=sum(i.quantity for i in items),
                               order_value=order.subtotal if index == 0 else Decimal(0),
                               longest_side_mm=max(p.length_mm, p.width_mm, p.height_mm))
        req = QuoteRequest(destination=Destination(country=address.get("country", "")[:2] or "XX",
                                                   postcode=address.get("postcode", ""),
                                                   region=address.get("region", "")),
                           lines=[{"sku_id": i.sku_id, "quantity": i.quantity} for i in items],
                           order_value=order.subtotal, currency=order.currency, origin_warehouse_id=p.warehouse_id)
        options = {o.method_id: o for o in quote_details(uow, req, parcel=measured).options}
        if index == 0:
            totals = {m: ParcelRate(m, o.code, o.name, o.carrier_name, o.cost, o.currency) for m, o in options.items()}
        else:
            totals = {m: ParcelRate(r.method_id, r.code, r.name, r.carrier, r.cost + options[m].cost, r.currency)
                      for m, r in totals.items() if m in options}
    return sorted(totals.values(), key=lambda r: (r.cost, r.code))


def ship_packed_order(uow: UnitOfWork, cmd: ShipPacked, store: FileStore | None = None) -> list[int]:
    """Ship the packed order's closed parcels with the chosen method (labels into `store`, by default the
    configured file store); returns the shipment ids."""
    actor = uow.require(FULFILMENT_SHIP)
    order = _order(uow, cmd.order_id)
    if order.status != "packed":
        raise Conflict(f"order {order.number} is {order.status}, not packed: pick and pack it before shipping",
                       field="order_id")
    parcels = list(uow.conn.execute(select(_parcels.c.id, _parcels.c.warehouse_id, _parcels.c.weight_g).where(
        _parcels.c.tenant_id == uow.tenant_id, _parcels.c.order_id == order.id, _parcels.c.state == "closed")))
    by_warehouse: dict[int, list[int]] = {}
    for p in parcels:
        by_warehouse.setdefault(p.warehouse_id, []).append(p.id)
    allocated = dict(uow.conn.execute(select(_a.c.warehouse_id, func.sum(_a.c.quantity)).where(
        _a.c.order_id == order.id, _a.c.state == "allocated").group_by(_a.c.warehouse_id)).all())
    packed = _packed(uow, order.id)
    shipment_ids = []
    for warehouse_id, parcel_ids in sorted(by_warehouse.items()):
        actor.require_warehouse(warehouse_id)
        in_parcels = sum(q for (w, _), q in packed.items() if w == warehouse_id)
        if in_parcels != int(allocated.get(warehouse_id, 0)):
            raise Conflict(f"{in_parcels} unit(s) are packed but {allocated.get(warehouse_id, 0)} are allocated in "
                           "this warehouse; finish picking and packing first", field="order_id")
        weighed = sum(p.weight_g for p in parcels if p.warehouse_id == warehouse_id)
        ids = sales_orders.ship_order(uow, order.id, warehouse_id, cmd.method_id, store,
                                      {warehouse_id: weighed} if weighed else None)
        uow.conn.execute(update(_parcels).where(_parcels.c.id.in_(parcel_ids)).values(state="shipped",
                                                                                       shipment_id=ids[0]))
        shipment_ids.extend(ids)
    if not shipment_ids:
        raise Conflict(f"order {order.number} has no closed parcel to ship", field="order_id")
    return shipment_ids


# ---- the customer's notice, after the commit ---------------------------------------------------------------------

@dataclass(frozen=True)
class ShipmentNotice:
    email: str
    number: str
    status: str
    parcels: list[tuple[str, str, str]]  # (carrier, tracking number, tracking URL)


def _notice(uow: UnitOfWork, order_id: int) -> ShipmentNotice:
    uow.require(FULFILMENT_SHIP)
    s, c = Shipment.__table__, Carrier.__table__
    head = uow.conn.execute(select(_o.c.email, _o.c.number, _o.c.status).where(
        _o.c.tenant_id == uow.tenant_id, _o.c.id == order_id)).one()
    rows = uow.conn.execute(select(c.c.name, s.c.tracking_number, c.c.tracking_url)
                            .join(c, (c.c.tenant_id == s.c.tenant_id) & (c.c.code == s.c.carrier_code))
                            .where(s.c.tenant_id == uow.tenant_id, s.c.order_id == order_id,
                                   s.c.status != "cancelled").order_by(s.c.id))
    return ShipmentNotice(head.email, head.number, head.status,
                          [(r.name, r.tracking_number, (r.tracking_url or "").replace("{tracking}", r.tracking_number))
                           for r in rows])


def shipment_notice_text(notice: ShipmentNotice) -> str:
    lines = [f"Your order {notice.number} is on its way" +
             (" (in part: the rest follows)." if notice.status == "partially_shipped" else "."), ""]
    for carrier, number, url in notice.parcels:
        lines.append(f"  {carrier}: {number}" + (f"  {url}" if url else ""))
    return "\n".join(lines) + "\n"


def send_shipment_notice(settings: Settings, engine: Engine, actor: Actor, order_id: int) -> None:
    """Tell the customer the tracking numbers; a mail failure never undoes the shipment."""
    notice = read(engine, actor, _notice, order_id)
    try:
        send_mail(settings, to=notice.email, subject=f"Order {notice.number} has shipped",
                  body=shipment_notice_text(notice), tenant_id=actor.tenant_id)
    except OSError:
        log.exception("the shipment e-mail of order %s could not be sent", notice.number)
