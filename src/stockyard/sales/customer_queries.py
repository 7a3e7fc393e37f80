"""What a customer sees of their orders: the history (paged), one order with its lines, payment, status timeline
and the shipments with tracking. An order is visible to the customer it belongs to, or, for a guest, only to the
session that placed it (the caller passes the numbers it remembers); anybody else gets NotFound."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from stockyard.billing.models import Payment, PaymentMethod
from stockyard.billing.tax_domain import TaxLine
from stockyard.core.errors import NotFound
from stockyard.core.pagination import Page
from stockyard.core.uow import UnitOfWork, requires
from stockyard.fulfilment.models import Carrier, Shipment, ShipmentEvent, ShippingMethod
from stockyard.identity.domain import ORDERS_PLACE
from stockyard.sales.models import Cart, CustomerAddress, Order, OrderEvent, OrderLine

_orders = Order.__table__
_lines = OrderLine.__table__
_events = OrderEvent.__table__
_payments = Payment.__table__
_methods = PaymentMethod.__table__
_shipping_methods = ShippingMethod.__table__
_shipments = Shipment.__table__
_shipment_events = ShipmentEvent.__table__
_carriers = Carrier.__table__
_addresses = CustomerAddress.__table__
_carts = Cart.__table__

# Statuses in which goods have reached the customer, so lines may be returned.
DELIVERED_STATUSES = frozenset({"delivered", "invoiced", "closed"})
STATUS_LABELS = {
    "placed": "Placed", "awaiting_payment": "Waiting for payment", "paid": "Paid", "allocated": "Being prepared",
    "partially_allocated": "Being prepared (partly backordered)", "backordered": "Backordered", "picking": "Picking",
    "packed": "Packed", "partially_shipped": "Partly shipped", "shipped": "Shipped", "delivered": "Delivered",
    "invoiced": "Delivered and invoiced", "closed": "Closed", "on_hold": "On hold", "cancelled": "Cancelled",
}


@dataclass(frozen=True)
class OrderSummary:
    number: str
    status: str
    status_label: str
    placed_at: datetime
    grand_total: Decimal
    currency: str
    item_count: int


@dataclass(frozen=True)
class OrderLineView:
    sku_code: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    shipped: int
    returned: int
    backordered: int
    backorder_expected_on: date | None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    status: str
    label: str
    note: str


@dataclass(frozen=True)
class TrackingEvent:
    at: datetime
    status: str
    note: str


@dataclass(frozen=True)
class ShipmentView:
    carrier_code: str
    carrier_name: str
    tracking_number: str
    tracking_url: str
    status: str
    shipped_at: datetime | None
    delivered_at: datetime | None
    events: list[TrackingEvent] = field(default_factory=list)


@dataclass(frozen=True)
class OrderDetail:
    id: int
    number: str
    customer_id: int | None
    email: str
    status: str
    status_label: str
    placed_at: datetime
    currency: str
    subtotal: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    grand_total: Decimal
    prices_include_tax: bool
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any] | None
    shipping_method: str
    promised_date: str | None
    shipping_explanation: list[str]
    payment_method: str
    payment_state: str
    payment_message: str
    lines: list[OrderLineView]
    timeline: list[TimelineEntry]
    shipments: list[ShipmentView]
    # The tax per rate (name, rate, taxable base, tax); empty on orders placed before tax lines were kept.
    tax_lines: list[TaxLine] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return self.status in DELIVERED_STATUSES

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


@requires(ORDERS_PLACE)
def order_history(uow: UnitOfWork, customer_id: int, page: int = 1, per_page: int = 20) -> Page[OrderSummary]:
    """The customer's orders, newest first."""
    page, per_page = max(1, page), min(max(1, per_page), 100)
    mine = (_orders.c.tenant_id == uow.tenant_id) & (_orders.c.customer_id == customer_id)
    total = uow.conn.execute(select(func.count()).select_from(_orders).where(mine)).scalar_one()
    counted = (select(_lines.c.order_id, func.sum(_lines.c.quantity).label("item_total"))
             .where(_lines.c.tenant_id == uow.tenant_id).group_by(_lines.c.order_id).subquery())
    rows = uow.conn.execute(
        select(_orders.c.number, _orders.c.status, _orders.c.placed_at, _orders.c.grand_total, _orders.c.currency,
               counted.c.item_total)
        .outerjoin(counted, counted.c.order_id == _orders.c.id)
        .where(mine).order_by(_orders.c.placed_at.desc(), _orders.c.id.desc())
        .limit(per_page).offset((page - 1) * per_page))
    return Page([OrderSummary(r.number, r.status, STATUS_LABELS.get(r.status, r.status), r.placed_at,
                              Decimal(r.grand_total), r.currency, int(r.item_total or 0)) for r in rows],
                total, page, per_page)


@requires(ORDERS_PLACE)
def customer_order(uow: UnitOfWork, number: str, *, customer_id: int | None,
                   guest_numbers: Collection[str] = (), with_history: bool = True) -> OrderDetail:
    """One order as its buyer sees it: the signed-in customer's own, or one this guest session placed. Without
    history (the confirmation e-mail) the timeline and shipments are left empty: two statements instead of four."""
    newer = _payments.alias("newer")
    latest_payment = (select(newer.c.id).where(newer.c.tenant_id == uow.tenant_id, newer.c.order_id == _orders.c.id)
                      .order_by(newer.c.id.desc()).limit(1).correlate(_orders).scalar_subquery())
    row = uow.conn.execute(
        select(_orders, _methods.c.name.label("payment_method_name"),
               _shipping_methods.c.name.label("shipping_method_name"),
               _payments.c.state.label("payment_state"), _payments.c.message.label("payment_message"))
        .outerjoin(_methods, _methods.c.id == _orders.c.payment_method_id)
        .outerjoin(_shipping_methods, _shipping_methods.c.id == _orders.c.shipping_method_id)
        .outerjoin(_payments, _payments.c.id == latest_payment)
        .where(_orders.c.tenant_id == uow.tenant_id, _orders.c.number == number)).first()
    visible = row is not None and ((customer_id is not None and row.customer_id == customer_id)
                                   or number in guest_numbers)
    if row is None or not visible:
        raise NotFound(f"there is no order {number} for you", field="order")
    lines = [OrderLineView(r.sku_code, r.name, r.quantity, Decimal(r.unit_price), Decimal(r.line_total), r.shipped,
                           r.returned, r.backordered, r.backorder_expected_on)
             for r in uow.conn.execute(select(_lines).where(_lines.c.tenant_id == uow.tenant_id,
                                                            _lines.c.order_id == row.id).order_by(_lines.c.id))]
    timeline = [TimelineEntry(r.at, r.to_status, STATUS_LABELS.get(r.to_status, r.to_status), r.note)
                for r in uow.conn.execute(select(_events).where(_events.c.tenant_id == uow.tenant_id,
                                                                _events.c.order_id == row.id)
                                          .order_by(_events.c.at, _events.c.id))] if with_history else []
    quote = row.shipping_quote or {}
    return OrderDetail(
        row.id, row.number, row.customer_id, row.email, row.status, STATUS_LABELS.get(row.status, row.status),
        row.placed_at, row.currency, Decimal(row.subtotal), Decimal(row.shipping_total), Decimal(row.tax_total),
        Decimal(row.grand_total), row.prices_include_tax, row.shipping_address, row.billing_address,
        row.shipping_method_name or str(quote.get("name", "")), quote.get("promised_date"),
        list(quote.get("explanation", [])), row.payment_method_name or "",
        row.payment_state or "", row.payment_message or "", lines, timeline,
        _shipments_of(uow, row.id) if with_history else [], [TaxLine.from_json(t) for t in row.tax_lines or []])


def _shipments_of(uow: UnitOfWork, order_id: int) -> list[ShipmentView]:
    rows = list(uow.conn.execute(
        select(_shipments.c.id, _shipments.c.carrier_code, _shipments.c.tracking_number, _shipments.c.status,
               _shipments.c.shipped_at, _shipments.c.delivered_at, _carriers.c.name.label("carrier_name"),
               _carriers.c.tracking_url)
        .outerjoin(_carriers, (_carriers.c.tenant_id == _shipments.c.tenant_id)
                   & (_carriers.c.code == _shipments.c.carrier_code))
        .where(_shipments.c.tenant_id == uow.tenant_id, _shipments.c.order_id == order_id,
               _shipments.c.status != "cancelled")
        .order_by(_shipments.c.id)))
    if not rows:
        return []
    events: dict[int, list[TrackingEvent]] = {}
    for e in uow.conn.execute(select(_shipment_events).where(
            _shipment_events.c.tenant_id == uow.tenant_id,
            _shipment_events.c.shipment_id.in_([r.id for r in rows])).order_by(_shipment_events.c.at)):
        events.setdefault(e.shipment_id, []).append(TrackingEvent(e.at, e.status, e.note))
    return [ShipmentView(r.carrier_code, r.carrier_name or r.carrier_code, r.tracking_number,
                         (r.tracking_url or "").replace("{tracking}", r.tracking_number), r.status, r.shipped_at,
                         r.delivered_at, events.get(r.id, [])) for r in rows]


@requires(ORDERS_PLACE)
def reorder_lines(uow: UnitOfWork, number: str, customer_id: int) -> list[tuple[str, int]]:
    """(SKU code, quantity) of the customer's order, for "order again"."""
    order_id = uow.conn.execute(select(_orders.c.id).where(
        _orders.c.tenant_id == uow.tenant_id, _orders.c.number == number,
        _orders.c.customer_id == customer_id)).scalar()
    if order_id is None:
        raise NotFound(f"there is no order {number} for you", field="order")
    return [(r.sku_code, r.quantity) for r in uow.conn.execute(
        select(_lines.c.sku_code, _lines.c.quantity).where(_lines.c.tenant_id == uow.tenant_id,
                                                           _lines.c.order_id == order_id).order_by(_lines.c.id))]


@dataclass(frozen=True)
class AddressView:
    id: int
    name: str
    line1: str
    line2: str
    city: str
    region: str
    postcode: str
    country: str
    phone: str
    is_default: bool

    def as_form(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if k not in ("id", "is_default")}


@requires(ORDERS_PLACE)
def customer_addresses(uow: UnitOfWork, customer_id: int) -> list[AddressView]:
    """The address book, the default first."""
    a = _addresses
    return [AddressView(r.id, r.name, r.line1, r.line2, r.city, r.region, r.postcode, r.country, r.phone,
                        r.is_default)
            for r in uow.conn.execute(select(a).where(a.c.tenant_id == uow.tenant_id, a.c.customer_id == customer_id)
                                      .order_by(a.c.is_default.desc(), a.c.id))]


@requires(ORDERS_PLACE)
def open_cart_of(uow: UnitOfWork, customer_id: int, channel_id: int) -> str | None:
    """The token of the customer's latest open cart in this shop, to pick up at sign-in."""
    return uow.conn.execute(select(_carts.c.token).where(
        _carts.c.tenant_id == uow.tenant_id, _carts.c.customer_id == customer_id, _carts.c.channel_id == channel_id,
        _carts.c.state == "open").order_by(_carts.c.id.desc()).limit(1)).scalar()
