"""Read models of orders for staff (admin pages and the JSON API): the filtered list with counts per status, and
one order with its lines, allocations, timeline, payments, shipments, invoice and documents. Core statements with
an explicit tenant filter; every query needs orders.view."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Select, and_, exists, func, or_, select

from stockyard.billing import payments as billing
from stockyard.billing.models import Invoice, PaymentMethod
from stockyard.billing.tax_domain import LineRate, TaxLine, fallback_rate
from stockyard.core.clock import utcnow
from stockyard.core.errors import NotFound
from stockyard.core.pagination import Page
from stockyard.core.uow import UnitOfWork, requires
from stockyard.documents.pdf_layout import DocumentLine
from stockyard.documents.pdf_receipt import ReceiptData, render_receipt_pdf
from stockyard.fulfilment.models import Carrier, Shipment, ShipmentEvent, ShippingMethod
from stockyard.identity.domain import FULFILMENT_SHIP, ORDERS_CANCEL, ORDERS_MANAGE, ORDERS_VIEW
from stockyard.inventory.models import Warehouse
from stockyard.sales.domain import TRANSITIONS, Status
from stockyard.sales.models import ORDER_STATUSES, Channel, Customer, Order, OrderAllocation, OrderEvent, OrderLine

_orders = Order.__table__
_lines = OrderLine.__table__
_alloc = OrderAllocation.__table__
_events = OrderEvent.__table__
_channels = Channel.__table__
_customers = Customer.__table__
_warehouses = Warehouse.__table__
_shipments = Shipment.__table__
_shipment_events = ShipmentEvent.__table__
_carriers = Carrier.__table__
_shipping_methods = ShippingMethod.__table__
_payment_methods = PaymentMethod.__table__
_invoices = Invoice.__table__

# Which permission each staff action on an order needs (the services check it; pages use it to show buttons).
ACTION_PERMISSIONS: dict[str, str] = {
    "hold": ORDERS_MANAGE, "release": ORDERS_MANAGE, "mark_paid": ORDERS_MANAGE, "allocate": ORDERS_MANAGE,
    "reallocate": ORDERS_MANAGE, "invoice": ORDERS_MANAGE, "close": ORDERS_MANAGE, "edit_lines": ORDERS_MANAGE,
    "cancel": ORDERS_CANCEL, "ship": FULFILMENT_SHIP, "deliver": FULFILMENT_SHIP,
}
SORTS = {
    "-placed": (_orders.c.placed_at.desc(), _orders.c.id.desc()),
    "placed": (_orders.c.placed_at, _orders.c.id),
    "number": (_orders.c.number,),
    "-number": (_orders.c.number.desc(),),
    "-total": (_orders.c.grand_total.desc(), _orders.c.id.desc()),
    "total": (_orders.c.grand_total, _orders.c.id),
    "status": (_orders.c.status, _orders.c.placed_at.desc()),
}
SortKey = Literal["-placed", "placed", "number", "-number", "-total", "total", "status"]


class OrderFilter(BaseModel):
    """What the order list shows. `older_than_days`: placed more than N days ago (orders that linger)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    status: str | None = None
    channel_id: int | None = None
    warehouse_id: int | None = None
    placed_after: date | None = None
    placed_before: date | None = None
    older_than_days: int | None = Field(default=None, ge=0, le=3650)
    q: str = Field(default="", max_length=100)
    sort: SortKey = "-placed"
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=50, ge=1, le=200)

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        if value is not None and value not in ORDER_STATUSES:
            raise ValueError(f"must be one of {', '.join(ORDER_STATUSES)}")
        return value


@dataclass(frozen=True)
class OrderListRow:
    id: int
    number: str
    status: str
    channel_code: str
    email: str
    customer_name: str
    source: str
    placed_at: datetime
    grand_total: Decimal
    currency: str
    items: int


@dataclass(frozen=True)
class OrderList:
    page: Page[OrderListRow]
    # status → how many orders match the other filters in that status (the filter chips)
    counts: dict[str, int]

    @property
    def all_statuses(self) -> int:
        return sum(self.counts.values())


def _conditions(uow: UnitOfWork, f: OrderFilter) -> list[Any]:
    where: list[Any] = [_orders.c.tenant_id == uow.tenant_id]
    if f.channel_id is not None:
        where.append(_orders.c.channel_id == f.channel_id)
    if f.warehouse_id is not None:
        where.append(exists().where(_alloc.c.tenant_id == uow.tenant_id, _alloc.c.order_id == _orders.c.id,
                                    _alloc.c.warehouse_id == f.warehouse_id, _alloc.c.state != "released"))
    if f.placed_after is not None:
        where.append(_orders.c.placed_at >= datetime.combine(f.placed_after, time.min))
    if f.placed_before is not None:
        where.append(_orders.c.placed_at < datetime.combine(f.placed_before + timedelta(days=1), time.min))
    if f.older_than_days is not None:
        where.append(_orders.c.placed_at < utcnow() - timedelta(days=f.older_than_days))
    if f.q:
        pattern = f"%{f.q.lower().replace('%', '').replace('_', '')}%"
        where.append(or_(func.lower(_orders.c.number).like(pattern), func.lower(_orders.c.email).like(pattern)))
    return where


@requires(ORDERS_VIEW)
def list_orders(uow: UnitOfWork, f: OrderFilter | None = None) -> OrderList:
    f = f or OrderFilter()
    where = _conditions(uow, f)
    counts = {status: int(n) for status, n in uow.conn.execute(
        select(_orders.c.status, func.count()).where(*where).group_by(_orders.c.status))}
    if f.status is not None:
        where.append(_orders.c.status == f.status)
    total = counts.get(f.status, 0) if f.status is not None else sum(counts.values())
    counted = (select(_lines.c.order_id, func.sum(_lines.c.quantity).label("item_count"))
               .where(_lines.c.tenant_id == uow.tenant_id).group_by(_lines.c.order_id).subquery())
    stmt: Select[Any] = (
        select(_orders.c.id, _orders.c.number, _orders.c.status, _channels.c.code.label("channel_code"),
               _orders.c.email, func.coalesce(_customers.c.name, "").label("customer_name"), _orders.c.source,
               _orders.c.placed_at, _orders.c.grand_total, _orders.c.currency,
               func.coalesce(counted.c.item_count, 0).label("item_count"))
        .join(_channels, _channels.c.id == _orders.c.channel_id)
        .outerjoin(_customers, _customers.c.id == _orders.c.customer_id)
        .outerjoin(counted, counted.c.order_id == _orders.c.id)
        .where(*where).order_by(*SORTS[f.sort])
        .limit(f.per_page).offset((f.page - 1) * f.per_page))
    rows = [OrderListRow(r.id, r.number, r.status, r.channel_code, r.email, r.customer_name, r.source, r.placed_at,
                         Decimal(r.grand_total), r.currency, int(r.item_count)) for r in uow.conn.execute(stmt)]
    return OrderList(Page(rows, total, f.page, f.per_page), counts)


# ---- one order ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LineView:
    id: int
    sku_id: int
    sku_code: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    allocated: int
    shipped: int
    returned: int
    backordered: int
    backorder_expected_on: date | None
    tax: LineRate | None = None  # the rate the line was taxed at, and its name

    @property
    def to_ship(self) -> int:
        return self.allocated - self.shipped


@dataclass(frozen=True)
class AllocationView:
    id: int
    line_id: int
    sku_code: str
    warehouse_id: int
    warehouse_code: str
    quantity: int
    state: str
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class TimelineView:
    at: datetime
    from_status: str | None
    to_status: str
    note: str
    actor_name: str


@dataclass(frozen=True)
class TrackingView:
    at: datetime
    status: str
    note: str


@dataclass(frozen=True)
class ShipmentView:
    id: int
    warehouse_code: str
    carrier_code: str
    carrier_name: str
    tracking_number: str
    tracking_url: str
    status: str
    cost: Decimal
    currency: str
    weight_g: int
    shipped_at: datetime | None
    delivered_at: datetime | None
    label_url: str
    events: list[TrackingView] = field(default_factory=list)


@dataclass(frozen=True)
class InvoiceInfo:
    id: int
    number: str
    issued_at: datetime
    grand_total: Decimal
    currency: str
    pdf_url: str


@dataclass(frozen=True)
class Document:
    label: str
    url: str


@dataclass(frozen=True)
class ShipFrom:
    warehouse_id: int
    warehouse_code: str
    units: int


@dataclass(frozen=True)
class OrderView:
    id: int
    number: str
    status: str
    held_from: str | None
    source: str
    channel_id: int
    channel_code: str
    channel_name: str
    customer_id: int | None
    customer_name: str
    customer_phone: str
    email: str
    placed_at: datetime
    updated_at: datetime
    currency: str
    subtotal: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    grand_total: Decimal
    prices_include_tax: bool
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any] | None
    shipping_method_id: int | None
    shipping_method: str
    promised_date: str | None
    payment_method: str
    note: str
    lines: list[LineView]
    allocations: list[AllocationView]
    timeline: list[TimelineView]
    payments: list[billing.PaymentView]
    shipments: list[ShipmentView]
    invoices: list[InvoiceInfo]
    documents: list[Document]
    ship_from: list[ShipFrom]
    # The tax per rate (name, rate, taxable base, tax); empty on orders placed before tax lines were kept.
    tax_lines: list[TaxLine] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def actions(self) -> frozenset[str]:
        """The staff actions the order's state allows now (whether the user may take them is a permission)."""
        s = self.status
        out = {a for a in ("hold", "cancel", "edit_lines", "reallocate", "deliver", "invoice", "close")
               if Status(s) in TRANSITIONS[a][0]}
        if s == Status.ON_HOLD.value:
            out.add("release")
        if s in (Status.PLACED.value, Status.AWAITING_PAYMENT.value) and any(p.state == "pending"
                                                                              for p in self.payments):
            out.add("mark_paid")
        if s in (Status.PAID.value, Status.PARTIALLY_ALLOCATED.value, Status.BACKORDERED.value):
            out.add("allocate")
        if Status(s) in TRANSITIONS["ship"][0] and self.ship_from:
            out.add("ship")
        return frozenset(out)


def _order_row(uow: UnitOfWork, number_or_id: str | int) -> Any:
    key = _orders.c.id == number_or_id if isinstance(number_or_id, int) else _orders.c.number == number_or_id
    row = uow.conn.execute(
        select(_orders, _channels.c.code.label("channel_code"), _channels.c.name.label("channel_name"),
               _customers.c.name.label("customer_name"), _customers.c.phone.label("customer_phone"),
               _shipping_methods.c.name.label("shipping_method_name"),
               _payment_methods.c.name.label("payment_method_name"))
        .join(_channels, _channels.c.id == _orders.c.channel_id)
        .outerjoin(_customers, _customers.c.id == _orders.c.customer_id)
        .outerjoin(_shipping_methods, _shipping_methods.c.id == _orders.c.shipping_method_id)
        .outerjoin(_payment_methods, _payment_methods.c.id == _orders.c.payment_method_id)
        .where(_orders.c.tenant_id == uow.tenant_id, key)).first()
    if row is None:
        raise NotFound(f"unknown order {number_or_id}", field="order")
    return row


def _shipment_views(uow: UnitOfWork, order_id: int) -> list[ShipmentView]:
    rows = list(uow.conn.execute(
        select(_shipments, _carriers.c.name.label("carrier_name"), _carriers.c.tracking_url,
               _warehouses.c.code.label("warehouse_code"))
        .outerjoin(_carriers, and_(_carriers.c.tenant_id == _shipments.c.tenant_id,
                                   _carriers.c.code == _shipments.c.carrier_code))
        .join(_warehouses, _warehouses.c.id == _shipments.c.warehouse_id)
        .where(_shipments.c.tenant_id == uow.tenant_id, _shipments.c.order_id == order_id)
        .order_by(_shipments.c.id)))
    events: dict[int, list[TrackingView]] = {}
    if rows:
        for e in uow.conn.execute(select(_shipment_events).where(
                _shipment_events.c.tenant_id == uow.tenant_id,
                _shipment_events.c.shipment_id.in_([r.id for r in rows]))
                .order_by(_shipment_events.c.at, _shipment_events.c.id)):
            events.setdefault(e.shipment_id, []).append(TrackingView(e.at, e.status, e.note))
    return [ShipmentView(r.id, r.warehouse_code, r.carrier_code, r.carrier_name or r.carrier_code,
                         r.tracking_number, (r.tracking_url or "").replace("{tracking}", r.tracking_number),
                         r.status, Decimal(r.cost), r.currency, r.weight_g, r.shipped_at, r.delivered_at,
                         f"/api/v1/shipments/{r.id}/label", events.get(r.id, [])) for r in rows]


@requires(ORDERS_VIEW)
def order_detail(uow: UnitOfWork, number_or_id: str | int) -> OrderView:
    """One order by its number (or id) with everything staff need to act on it."""
    row = _order_row(uow, number_or_id)
    lines = [LineView(r.id, r.sku_id, r.sku_code, r.name, r.quantity, Decimal(r.unit_price), Decimal(r.line_total),
                      r.allocated, r.shipped, r.returned, r.backordered, r.backorder_expected_on,
                      LineRate(Decimal(r.tax_rate), r.tax_name or fallback_rate(Decimal(r.tax_rate)).name))
             for r in uow.conn.execute(select(_lines).where(_lines.c.tenant_id == uow.tenant_id,
                                                            _lines.c.order_id == row.id).order_by(_lines.c.id))]
    codes = {line.id: line.sku_code for line in lines}
    allocations = [AllocationView(r.id, r.order_line_id, codes.get(r.order_line_id, ""), r.warehouse_id,
                                  r.warehouse_code, r.quantity, r.state, r.reason, r.created_at)
                   for r in uow.conn.execute(
                       select(_alloc, _warehouses.c.code.label("warehouse_code"))
                       .join(_warehouses, _warehouses.c.id == _alloc.c.warehouse_id)
                       .where(_alloc.c.tenant_id == uow.tenant_id, _alloc.c.order_id == row.id)
                       .order_by(_alloc.c.id))]
    ship_from: dict[int, ShipFrom] = {}
    for a in allocations:
        if a.state == "allocated":
            units = a.quantity + (ship_from[a.warehouse_id].units if a.warehouse_id in ship_from else 0)
            ship_from[a.warehouse_id] = ShipFrom(a.warehouse_id, a.warehouse_code, units)
    timeline = [TimelineView(r.at, r.from_status, r.to_status, r.note, r.actor_name)
                for r in uow.conn.execute(select(_events).where(_events.c.tenant_id == uow.tenant_id,
                                                                _events.c.order_id == row.id)
                                          .order_by(_events.c.at, _events.c.id))]
    invoices = [InvoiceInfo(r.id, r.number, r.issued_at, Decimal(r.grand_total), r.currency,
                            f"/api/v1/invoices/{r.id}.pdf")
                for r in uow.conn.execute(select(_invoices).where(_invoices.c.tenant_id == uow.tenant_id,
                                                                  _invoices.c.order_id == row.id)
                                          .order_by(_invoices.c.id))]
    shipments = _shipment_views(uow, row.id)
    documents = [Document(f"Receipt {row.number}", f"/api/v1/orders/{row.number}/receipt.pdf")]
    documents += [Document(f"Invoice {i.number}", i.pdf_url) for i in invoices]
    documents += [Document(f"Label {s.tracking_number}", s.label_url) for s in shipments if s.status != "cancelled"]
    quote = row.shipping_quote or {}
    return OrderView(
        row.id, row.number, row.status, row.held_from, row.source, row.channel_id, row.channel_code,
        row.channel_name, row.customer_id, row.customer_name or "", row.customer_phone or "", row.email,
        row.placed_at, row.updated_at, row.currency, Decimal(row.subtotal), Decimal(row.shipping_total),
        Decimal(row.tax_total), Decimal(row.grand_total), row.prices_include_tax, dict(row.shipping_address or {}),
        row.billing_address, row.shipping_method_id, row.shipping_method_name or str(quote.get("name", "")),
        quote.get("promised_date"), row.payment_method_name or "", row.note, lines, allocations, timeline,
        billing.payment_summary(uow, row.id), shipments, invoices, documents, list(ship_from.values()),
        [TaxLine.from_json(t) for t in row.tax_lines or []])


@requires(ORDERS_VIEW)
def order_id_for(uow: UnitOfWork, number: str) -> int:
    """The id of the tenant's order with this number (NotFound for another tenant's)."""
    order_id = uow.conn.execute(select(_orders.c.id).where(_orders.c.tenant_id == uow.tenant_id,
                                                           _orders.c.number == number)).scalar()
    if order_id is None:
        raise NotFound(f"unknown order {number}", field="order")
    return int(order_id)


@requires(ORDERS_VIEW)
def order_receipt_pdf(uow: UnitOfWork, number: str) -> bytes:
    """The order's receipt as a PDF (what the customer got when the order was placed)."""
    row = _order_row(uow, number)
    lines = [DocumentLine(r.sku_code, r.name, r.quantity, Decimal(r.unit_price), Decimal(r.line_total))
             for r in uow.conn.execute(select(_lines).where(_lines.c.tenant_id == uow.tenant_id,
                                                            _lines.c.order_id == row.id).order_by(_lines.c.id))]
    payments = billing.payment_summary(uow, row.id)
    return render_receipt_pdf(ReceiptData(
        order_number=row.number, placed_at=row.placed_at, customer_email=row.email, lines=lines,
        subtotal=Decimal(row.subtotal), shipping=Decimal(row.shipping_total), tax=Decimal(row.tax_total),
        total=Decimal(row.grand_total), currency=row.currency, shop_name=row.channel_name,
        prices_include_tax=row.prices_include_tax, shipping_address=row.shipping_address,
        billing_address=row.billing_address, shipping_method=row.shipping_method_name or "",
        payment_method=row.payment_method_name or "", payment_state=payments[-1].state if payments else ""))


@requires(ORDERS_VIEW)
def filter_choices(uow: UnitOfWork) -> dict[str, list[tuple[int, str]]]:
    """Channels and warehouses for the list's filter menus."""
    channels = [(r.id, f"{r.code} · {r.name}") for r in uow.conn.execute(
        select(_channels.c.id, _channels.c.code, _channels.c.name).where(_channels.c.tenant_id == uow.tenant_id)
        .order_by(_channels.c.code))]
    warehouses = [(r.id, f"{r.code} · {r.name}") for r in uow.conn.execute(
        select(_warehouses.c.id, _warehouses.c.code, _warehouses.c.name)
        .where(_warehouses.c.tenant_id == uow.tenant_id).order_by(_warehouses.c.code))]
    return {"channels": channels, "warehouses": warehouses}
