"""Orders taken on an external sales channel (a connected store or marketplace, a CSV of its orders): the one order
model, through the same steps as a phone order (sales/staff_order.py) and the storefront's checkout.

One transaction: the channel must be active and its currency the order's; the SKUs must exist and be active (an
unknown one is refused naming its line); the shipping method is ours that the site's shipping code names, else the
cheapest of ours serving the address (an address none serves is refused: the order could never ship); the number,
the rows (sales.order_writer), the allocation by the channel's strategy (sales.allocation) and the timeline and
events are the same as every other order's.

What differs, on purpose: the prices and the shipping charge are the site's (what the customer was charged there,
see integration/channels/domain.py), not our price list's; the payment was collected by the site, so no payment of
ours is taken: a paid order is paid at once and allocated; an unpaid one waits in awaiting_payment with its units
allocated, like a bank-transfer order, until the site reports it paid (`confirm_external_payment`). The order
carries the site's order id in `external_ref`, and a unique idempotency key per (connection, external order), so the
same external order can never be written twice.
"""

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from stockyard.catalog.models import Product, Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, ValidationFailed
from stockyard.core.outbox import add_events
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.quotes import Destination, QuoteLine, QuoteRequest, ShippingOption, quote
from stockyard.identity.domain import ORDERS_PLACE
from stockyard.sales.allocation import LineToAllocate, allocate_lines
from stockyard.sales.checkout import AddressIn, next_order_number
from stockyard.sales.domain import PricedLine, Status, order_totals
from stockyard.sales.models import Channel, Order, OrderLine
from stockyard.sales.order_writer import NewLine, OrderHeader, insert_order, write_timeline
from stockyard.sales.orders import EXTERNAL_SOURCES, load_order
from stockyard.sales.orders import _move as move_order
from stockyard.sales.tax_lookup import with_tax_rates

_channels = Channel.__table__
_skus = Sku.__table__
_products = Product.__table__
_lines = OrderLine.__table__
_orders = Order.__table__
SOURCES = EXTERNAL_SOURCES


@dataclass(frozen=True)
class ExternalLine:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class ExternalOrder:
    channel_id: int
    source: str  # channel (webhook, poll, admin) or csv
    external_ref: str
    # Unique per tenant: the same key again is refused by the database, whatever the caller checked before.
    idempotency_key: str
    customer_id: int
    email: str
    paid: bool
    currency: str
    shipping_address: AddressIn
    billing_address: AddressIn | None
    lines: tuple[ExternalLine, ...]  # one per SKU
    shipping_total: Decimal
    shipping_code: str = ""
    # Said first on the order's timeline: where it came from ("order #1001 from Example Shop").
    origin: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExternalOrderPlaced:
    order_id: int
    number: str
    status: str
    backordered: int
    grand_total: Decimal


@dataclass(frozen=True)
class _Item:
    sku_id: int
    code: str
    name: str


def _channel(uow: UnitOfWork, channel_id: int, currency: str) -> Any:
    row = uow.conn.execute(select(_channels).where(_channels.c.tenant_id == uow.tenant_id,
                                                   _channels.c.id == channel_id)).first()
    if row is None:
        raise ValidationFailed(f"unknown channel {channel_id}", field="channel_id")
    if not row.active:
        raise Conflict("this channel is not active", field="channel_id")
    if row.currency != currency.upper():
        raise ValidationFailed(f"the order is in {currency}, the channel sells in {row.currency}", field="currency")
    return row


def _items(uow: UnitOfWork, lines: tuple[ExternalLine, ...]) -> list[_Item]:
    codes = sorted({line.sku for line in lines})
    found = {r.code: r for r in uow.conn.execute(
        select(_skus.c.id, _skus.c.code, _skus.c.name, _skus.c.active, _products.c.name.label("product_name"))
        .join(_products, _products.c.id == _skus.c.product_id)
        .where(_skus.c.tenant_id == uow.tenant_id, _skus.c.code.in_(codes)))}
    items = []
    for index, line in enumerate(lines):
        row = found.get(line.sku)
        if row is None or not row.active:
            raise ValidationFailed(f"unknown SKU {line.sku}", field=f"lines[{index}].sku")
        items.append(_Item(row.id, row.code, row.product_name if row.name == row.code else row.name))
    return items


def _shipping(uow: UnitOfWork, cmd: ExternalOrder, priced: list[PricedLine]) -> ShippingOption:
    address = cmd.shipping_address
    options = quote(uow, QuoteRequest(
        destination=Destination(country=address.country, postcode=address.postcode, region=address.region),
        lines=[QuoteLine(sku_id=p.sku_id, quantity=p.quantity) for p in priced],
        order_value=sum((p.total for p in priced), Decimal(0)), currency=cmd.currency.upper()))
    if not options:
        raise ValidationFailed("none of our shipping methods can carry this order to this address",
                               field="shipping_address")
    chosen = next((o for o in options if cmd.shipping_code and o.code == cmd.shipping_code), options[0])
    why = (f"the site's shipping {cmd.shipping_code}" if chosen.code == cmd.shipping_code
           else "our cheapest method for the address")
    return chosen.model_copy(update={"cost": cmd.shipping_total, "currency": cmd.currency.upper(),
                                     "explanation": [f"{chosen.name}: {why}; the shipping charged by the site"]})


def create_external_order(uow: UnitOfWork, cmd: ExternalOrder) -> ExternalOrderPlaced:
    actor = uow.require(ORDERS_PLACE)
    if cmd.source not in SOURCES:
        raise ValidationFailed(f"'{cmd.source}' is not one of {', '.join(SOURCES)}", field="source")
    if not cmd.lines:
        raise ValidationFailed("the order has no lines", field="lines")
    channel = _channel(uow, cmd.channel_id, cmd.currency)
    items = _items(uow, cmd.lines)
    priced = [PricedLine(item.sku_id, line.quantity, line.unit_price) for item, line in zip(items, cmd.lines,
                                                                                             strict=True)]
    option = _shipping(uow, cmd, priced)
    tax_rate = Decimal(channel.tax_rate)
    priced = with_tax_rates(uow, priced, cmd.shipping_address.country, cmd.shipping_address.region, tax_rate)
    totals = order_totals(priced, cmd.shipping_total, tax_rate, channel.prices_include_tax)
    now = utcnow()
    number = next_order_number(uow)
    address = cmd.shipping_address.model_dump()
    order_id, line_ids = insert_order(uow, OrderHeader(
        number=number, channel_id=channel.id, customer_id=cmd.customer_id, email=cmd.email,
        status=Status.PLACED.value, currency=channel.currency, totals=totals,
        prices_include_tax=channel.prices_include_tax, shipping=option, payment_method_id=None,
        shipping_address=address, billing_address=(cmd.billing_address or cmd.shipping_address).model_dump(),
        idempotency_key=cmd.idempotency_key, source=cmd.source, placed_at=now, external_ref=cmd.external_ref),
        [NewLine(item.sku_id, item.code, item.name, p) for item, p in zip(items, priced, strict=True)])
    result = allocate_lines(uow, order_id, number, [
        LineToAllocate(line_id, p.sku_id, p.quantity) for line_id, p in zip(line_ids, priced, strict=True)],
        strategy=channel.allocation_strategy, allow_split=channel.allow_split_shipments, destination=address,
        ordered_total=sum(p.quantity for p in priced), allocated_before=0)
    timeline: list[tuple[str | None, str, str]] = [
        (None, Status.PLACED.value, cmd.origin or f"order {cmd.external_ref} received from the channel")]
    events: list[tuple[str, dict[str, Any]]] = [("order.placed.v1", {
        "order_id": order_id, "number": number, "channel_id": channel.id, "customer_id": cmd.customer_id,
        "grand_total": str(totals.grand_total), "currency": channel.currency, "source": cmd.source,
        "external_ref": cmd.external_ref})]
    if cmd.paid:
        timeline.append((Status.PLACED.value, Status.PAID.value, "paid on the channel's site"))
        timeline.append((Status.PAID.value, result.status, _allocation_note(uow, order_id, result.reason,
                                                                           result.short)))
        events.append(("order.paid.v1", {"order_id": order_id, "number": number}))
        status = result.status
    else:
        status = Status.AWAITING_PAYMENT.value
        timeline.append((Status.PLACED.value, status, "waiting for the payment on the channel's site"))
        timeline.append((status, status, _allocation_note(uow, order_id, result.reason, result.short)))
    timeline.extend((status, status, note) for note in cmd.notes)
    events.append(("order.allocated.v1", {"order_id": order_id, "number": number, "short": result.short}))
    uow.conn.execute(update(_orders).where(_orders.c.id == order_id).values(status=status))
    write_timeline(uow, order_id, timeline, actor.name, now)
    add_events(uow, events)
    return ExternalOrderPlaced(order_id, number, status, result.short, totals.grand_total)


def _allocation_note(uow: UnitOfWork, order_id: int, reason: str, short: int) -> str:
    if not short:
        return f"stock allocated ({reason})"
    rows = uow.conn.execute(select(_lines.c.sku_code, _lines.c.backordered).where(
        _lines.c.order_id == order_id, _lines.c.backordered > 0).order_by(_lines.c.id))
    what = ", ".join(f"{r.sku_code} × {r.backordered}" for r in rows)
    return f"stock allocated ({reason}); {short} unit(s) backordered: {what}"


def confirm_external_payment(uow: UnitOfWork, order_id: int, note: str) -> str:
    """An external channel's order waiting for its payment, which the site now reports paid: paid, then on to what
    its allocation (made when it was placed) gives: allocated, partially allocated or backordered. An order that is
    not waiting for its payment stays as it is. Returns the order's status."""
    uow.require(ORDERS_PLACE)
    order = load_order(uow, order_id)
    source = uow.conn.execute(select(_orders.c.source).where(_orders.c.id == order_id)).scalar_one()
    if source not in SOURCES:
        raise Conflict(f"order {order.number} did not come from an external channel", field="order_id")
    if order.status != Status.AWAITING_PAYMENT.value:
        return order.status
    move_order(uow, order, "pay", Status.PAID.value, note)
    rows = list(uow.conn.execute(select(_lines.c.quantity, _lines.c.allocated).where(_lines.c.order_id == order_id)))
    total, allocated = sum(r.quantity for r in rows), sum(r.allocated for r in rows)
    status = (Status.ALLOCATED.value if allocated >= total else
              Status.PARTIALLY_ALLOCATED.value if allocated else Status.BACKORDERED.value)
    move_order(uow, replace(order, status=Status.PAID.value), "allocate", status,
               "stock was allocated when the order was placed")
    return status
