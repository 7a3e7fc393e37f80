"""Orders taken by staff (phone orders): the customer's details, SKU codes with quantities, a shipping method and a
manual payment method (bank transfer, cash on delivery).

One transaction, like the storefront's place-order (sales/checkout.py), and sharing its parts: prices come from the
channel's price list (catalog.price_lookup), shipping from the rate engine (fulfilment.quotes), totals from
sales.domain, the number from checkout.next_order_number, the rows from sales.order_writer; the payment is taken
through billing (a manual method leaves it pending, so the order waits in awaiting_payment) and the stock is
allocated at once, so the units are set aside while the customer pays.

Shortage: staff see the stock while they take the order; a line that cannot be served in full is still accepted,
and the units no warehouse can serve are backordered (the timeline says how many of which SKU). They are allocated
when the order is paid, or by the backorder job (sales/jobs.py) once it is paid and the stock arrives. An unknown
SKU, a SKU the channel does not sell, a shipping method not offered for the address, or a card payment method is
refused, and nothing is written.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from stockyard.billing.gateways import MANUAL_GATEWAYS, load_method
from stockyard.billing.offered import OfferedMethod, offered_payment_methods
from stockyard.billing.payments import TakePayment, take_payment
from stockyard.catalog.models import Product, Sku
from stockyard.catalog.price_lookup import unit_prices
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.outbox import add_events
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.quotes import Destination, QuoteLine, QuoteRequest, ShippingOption, quote
from stockyard.identity.domain import ORDERS_MANAGE, ORDERS_PLACE
from stockyard.sales.allocation import LineToAllocate, allocate_lines
from stockyard.sales.checkout import AddressIn, check_email, next_order_number
from stockyard.sales.domain import PricedLine, Status, order_totals
from stockyard.sales.models import Channel, Customer, Order, OrderLine
from stockyard.sales.order_writer import NewLine, OrderHeader, insert_order, write_timeline
from stockyard.sales.tax_lookup import with_tax_rates

_channels = Channel.__table__
_customers = Customer.__table__
_orders = Order.__table__
_lines = OrderLine.__table__
_skus = Sku.__table__
_products = Product.__table__
MAX_LINES = 200


class StaffLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=9999)


class StaffOrder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    channel_id: int
    email: str
    customer_name: str = Field(default="", max_length=200)
    customer_phone: str = Field(default="", max_length=40)
    shipping_address: AddressIn
    lines: list[StaffLine] = Field(min_length=1, max_length=MAX_LINES)
    shipping_method_id: int
    payment_method_id: int
    note: str = Field(default="", max_length=2000)
    # A resubmitted form (same key) returns the order it placed the first time.
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=80)

    _email = field_validator("email")(classmethod(lambda cls, v: check_email(v)))


@dataclass(frozen=True)
class StaffOrderPlaced:
    order_id: int
    number: str
    status: str
    backordered: int
    replayed: bool = False


@dataclass(frozen=True)
class _ChannelRow:
    id: int
    currency: str
    tax_rate: Decimal
    prices_include_tax: bool
    allocation_strategy: str
    allow_split_shipments: bool


@dataclass(frozen=True)
class _Item:
    sku_id: int
    code: str
    name: str
    quantity: int


def _channel(uow: UnitOfWork, channel_id: int) -> _ChannelRow:
    row = uow.conn.execute(select(_channels.c.id, _channels.c.currency, _channels.c.tax_rate,
                                  _channels.c.prices_include_tax, _channels.c.allocation_strategy,
                                  _channels.c.allow_split_shipments, _channels.c.active).where(
        _channels.c.tenant_id == uow.tenant_id, _channels.c.id == channel_id)).first()
    if row is None:
        raise NotFound(f"unknown channel {channel_id}", field="channel_id")
    if not row.active:
        raise Conflict("this channel is not active", field="channel_id")
    return _ChannelRow(row.id, row.currency, Decimal(row.tax_rate), row.prices_include_tax, row.allocation_strategy,
                       row.allow_split_shipments)


def _items(uow: UnitOfWork, lines: list[StaffLine]) -> list[_Item]:
    """The order's SKUs by code, in the order given; the same SKU twice is one line with the quantities added."""
    codes = sorted({line.sku for line in lines})
    found = {r.code: r for r in uow.conn.execute(
        select(_skus.c.id, _skus.c.code, _skus.c.name, _skus.c.active, _products.c.name.label("product_name"))
        .join(_products, _products.c.id == _skus.c.product_id)
        .where(_skus.c.tenant_id == uow.tenant_id, _skus.c.code.in_(codes)))}
    merged: dict[str, _Item] = {}
    for index, line in enumerate(lines):
        row = found.get(line.sku)
        if row is None or not row.active:
            raise NotFound(f"unknown SKU {line.sku}", field=f"lines[{index}].sku")
        name = row.product_name if row.name == row.code else row.name
        before = merged.get(line.sku)
        merged[line.sku] = _Item(row.id, row.code, name, line.quantity + (before.quantity if before else 0))
    return list(merged.values())


def _prices(uow: UnitOfWork, channel: _ChannelRow, items: list[_Item], lines: list[StaffLine]) -> list[PricedLine]:
    prices = unit_prices(uow, channel.id, channel.currency, {item.sku_id: item.quantity for item in items})
    for item in items:
        if item.sku_id not in prices:
            index = next(i for i, line in enumerate(lines) if line.sku == item.code)
            raise Conflict(f"{item.code} has no price on this channel's price list", field=f"lines[{index}].sku")
    return [PricedLine(item.sku_id, item.quantity, prices[item.sku_id]) for item in items]


def _options(uow: UnitOfWork, channel: _ChannelRow, address: AddressIn,
             priced: list[PricedLine]) -> list[ShippingOption]:
    goods = sum((p.total for p in priced), Decimal(0))
    return quote(uow, QuoteRequest(
        destination=Destination(country=address.country, postcode=address.postcode, region=address.region),
        lines=[QuoteLine(sku_id=p.sku_id, quantity=p.quantity) for p in priced], order_value=goods,
        currency=channel.currency))


def staff_shipping_options(uow: UnitOfWork, channel_id: int, address: AddressIn,
                           lines: list[StaffLine]) -> list[ShippingOption]:
    """The shipping methods (with cost) the order form offers once the address and lines are entered."""
    uow.require(ORDERS_PLACE)
    channel = _channel(uow, channel_id)
    items = _items(uow, lines)
    return _options(uow, channel, address, _prices(uow, channel, items, lines))


def staff_payment_methods(uow: UnitOfWork, channel_id: int) -> list[OfferedMethod]:
    """The manual payment methods staff may choose for a phone order on this channel."""
    uow.require(ORDERS_PLACE)
    return [m for m in offered_payment_methods(uow, channel_id) if m.gateway in MANUAL_GATEWAYS]


def _customer(uow: UnitOfWork, cmd: StaffOrder) -> int:
    """The customer with this e-mail; a new guest customer (no password) when there is none."""
    dialect_insert = pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert
    uow.conn.execute(dialect_insert(_customers).values(
        tenant_id=uow.tenant_id, email=cmd.email, name=cmd.customer_name or cmd.shipping_address.name,
        phone=cmd.customer_phone or cmd.shipping_address.phone, password_hash=None, active=True,
        created_at=utcnow()).on_conflict_do_nothing(index_elements=[_customers.c.tenant_id, _customers.c.email]))
    return int(uow.conn.execute(select(_customers.c.id).where(
        _customers.c.tenant_id == uow.tenant_id, _customers.c.email == cmd.email)).scalar_one())


def _replay(uow: UnitOfWork, key: str | None) -> StaffOrderPlaced | None:
    if key is None:
        return None
    row = uow.conn.execute(select(_orders.c.id, _orders.c.number, _orders.c.status, _orders.c.source).where(
        _orders.c.tenant_id == uow.tenant_id, _orders.c.idempotency_key == key)).first()
    if row is None:
        return None
    if row.source != "staff":
        raise Conflict("this idempotency key was used for another order", field="idempotency_key")
    return StaffOrderPlaced(row.id, row.number, row.status, 0, replayed=True)


def create_staff_order(uow: UnitOfWork, cmd: StaffOrder) -> StaffOrderPlaced:
    uow.require(ORDERS_PLACE)
    actor = uow.require(ORDERS_MANAGE)
    replay = _replay(uow, cmd.idempotency_key)
    if replay is not None:
        return replay
    channel = _channel(uow, cmd.channel_id)
    method = load_method(uow, cmd.payment_method_id)
    offered = {m.id for m in staff_payment_methods(uow, channel.id)}
    if not method.is_manual:
        raise ValidationFailed(f"'{method.name}' takes a card online; a phone order is paid by bank transfer or on "
                               "delivery", field="payment_method_id")
    if method.id not in offered:
        raise ValidationFailed(f"'{method.name}' is not offered on this channel", field="payment_method_id")
    items = _items(uow, list(cmd.lines))
    priced = _prices(uow, channel, items, list(cmd.lines))
    option = next((o for o in _options(uow, channel, cmd.shipping_address, priced)
                   if o.method_id == cmd.shipping_method_id), None)
    if option is None:
        raise ValidationFailed("this shipping method is not available for this address and these lines",
                               field="shipping_method_id")
    priced = with_tax_rates(uow, priced, cmd.shipping_address.country, cmd.shipping_address.region,
                            channel.tax_rate)
    totals = order_totals(priced, option.cost, channel.tax_rate, channel.prices_include_tax)
    customer_id = _customer(uow, cmd)
    key = cmd.idempotency_key or f"staff-{uuid.uuid4().hex}"
    now = utcnow()
    number = next_order_number(uow)
    address = cmd.shipping_address.model_dump()
    order_id, line_ids = insert_order(uow, OrderHeader(
        number=number, channel_id=channel.id, customer_id=customer_id, email=cmd.email,
        status=Status.AWAITING_PAYMENT.value, currency=channel.currency, totals=totals,
        prices_include_tax=channel.prices_include_tax, shipping=option, payment_method_id=method.id,
        shipping_address=address, billing_address=address, idempotency_key=key, source="staff", placed_at=now,
        note=cmd.note), [NewLine(item.sku_id, item.code, item.name, p) for item, p in zip(items, priced, strict=True)])
    outcome = take_payment(uow, TakePayment(order_id=order_id, method_id=method.id, amount=totals.grand_total,
                                            currency=channel.currency, idempotency_key=key,
                                            description=f"order {number}"))
    result = allocate_lines(uow, order_id, number, [
        LineToAllocate(line_id, item.sku_id, item.quantity) for line_id, item in zip(line_ids, items, strict=True)],
        strategy=channel.allocation_strategy, allow_split=channel.allow_split_shipments, destination=address,
        ordered_total=sum(item.quantity for item in items))
    if outcome.state != "pending":  # a manual method never moves money by itself
        raise Conflict(f"the payment method answered {outcome.state}, not pending", field="payment_method_id")
    status = Status.AWAITING_PAYMENT
    timeline: list[tuple[str | None, str, str]] = [
        (None, Status.PLACED.value, f"order taken by {actor.name} for {cmd.email}"),
        (Status.PLACED.value, status.value, f"waiting for the payment ({method.name})")]
    if cmd.note:
        timeline.append((status.value, status.value, f"note: {cmd.note}"))
    timeline.append((status.value, status.value, _allocation_note(uow, order_id, result.reason, result.short)))
    write_timeline(uow, order_id, timeline, actor.name, now)
    add_events(uow, [
        ("order.placed.v1", {"order_id": order_id, "number": number, "channel_id": channel.id,
                             "customer_id": customer_id, "grand_total": str(totals.grand_total),
                             "currency": channel.currency, "source": "staff"}),
        ("order.allocated.v1", {"order_id": order_id, "number": number, "short": result.short}),
    ])
    return StaffOrderPlaced(order_id, number, status.value, result.short)


def _allocation_note(uow: UnitOfWork, order_id: int, reason: str, short: int) -> str:
    if not short:
        return f"stock allocated ({reason})"
    rows = uow.conn.execute(select(_lines.c.sku_code, _lines.c.backordered).where(
        _lines.c.order_id == order_id, _lines.c.backordered > 0).order_by(_lines.c.id))
    what = ", ".join(f"{r.sku_code} × {r.backordered}" for r in rows)
    return f"stock allocated ({reason}); {short} unit(s) backordered: {what}"
