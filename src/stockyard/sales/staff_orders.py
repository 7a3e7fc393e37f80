"""Order changes made for returns (returns/services.py): the replacement order of an exchange, and the units that
came back."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import insert, select, update

from stockyard.catalog.models import Product, Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.outbox import add_events
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import ORDERS_MANAGE
from stockyard.sales.allocation import LineToAllocate, allocate_lines
from stockyard.sales.checkout import next_order_number
from stockyard.sales.domain import EXCHANGE_SOURCE, PricedLine, Status, order_totals
from stockyard.sales.models import Channel, Order, OrderLine
from stockyard.sales.orders import log_event
from stockyard.sales.tax_lookup import with_tax_rates

_orders = Order.__table__
_lines = OrderLine.__table__
_channels = Channel.__table__
_skus = Sku.__table__
_products = Product.__table__


@dataclass(frozen=True)
class ExchangeLine:
    sku_id: int
    quantity: int
    # The price the customer paid for the returned unit it replaces; zero for a like-for-like swap.
    unit_price: Decimal


@dataclass(frozen=True)
class CreateExchangeOrder:
    original_order_id: int
    return_number: str
    lines: list[ExchangeLine]


@dataclass(frozen=True)
class ExchangeOrder:
    id: int
    number: str
    status: str


def create_exchange_order(uow: UnitOfWork, cmd: CreateExchangeOrder) -> ExchangeOrder:
    """A new order for the replacement items of a return, to the original order's customer, address, channel and
    shipping method, and allocated at once.

    Payment rule: the exchange order is paid by the returned goods. No payment is taken and no payment method is
    set; it starts as paid. A like-for-like replacement (the same SKU) is priced at zero; a different item is priced
    at the unit price the customer paid for the returned item on the original order, so its total equals the credit
    of the returned goods. Shipping is free. Each line is taxed at its product's rate for the original address, with
    or without tax in its price as on the original order, so the exchange's invoice shows its tax."""
    actor = uow.require(ORDERS_MANAGE)
    if not cmd.lines:
        raise ValidationFailed("choose at least one replacement item", field="lines")
    for index, line in enumerate(cmd.lines):
        if line.quantity <= 0:
            raise ValidationFailed("must be at least 1", field=f"lines[{index}].quantity")
        if line.unit_price < 0:
            raise ValidationFailed("cannot be negative", field=f"lines[{index}].unit_price")
    original = uow.conn.execute(select(_orders).where(_orders.c.tenant_id == uow.tenant_id,
                                                      _orders.c.id == cmd.original_order_id)).first()
    if original is None:
        raise NotFound(f"unknown order {cmd.original_order_id}", field="order")
    sku_ids = sorted({line.sku_id for line in cmd.lines})
    names = {r.id: (r.code, r.product_name if r.name == r.code else r.name) for r in uow.conn.execute(
        select(_skus.c.id, _skus.c.code, _skus.c.name, _products.c.name.label("product_name"))
        .join(_products, _products.c.id == _skus.c.product_id)
        .where(_skus.c.tenant_id == uow.tenant_id, _skus.c.id.in_(sku_ids)))}
    for index, line in enumerate(cmd.lines):
        if line.sku_id not in names:
            raise NotFound(f"unknown SKU {line.sku_id}", field=f"lines[{index}].sku")
    channel = uow.conn.execute(select(_channels.c.allocation_strategy, _channels.c.allow_split_shipments,
                                      _channels.c.tax_rate).where(_channels.c.id == original.channel_id)).one()
    address = original.shipping_address or {}
    priced = with_tax_rates(uow, [PricedLine(line.sku_id, line.quantity, line.unit_price) for line in cmd.lines],
                            address.get("country", ""), address.get("region"), channel.tax_rate)
    totals = order_totals(priced, Decimal(0), channel.tax_rate, original.prices_include_tax)
    now = utcnow()
    number = next_order_number(uow)
    order_id = uow.conn.execute(insert(_orders).returning(_orders.c.id), {
        "tenant_id": uow.tenant_id, "number": number, "channel_id": original.channel_id,
        "customer_id": original.customer_id, "email": original.email, "status": Status.PAID.value,
        "currency": original.currency, "subtotal": totals.subtotal, "shipping_total": Decimal(0),
        "tax_total": totals.tax, "grand_total": totals.grand_total, "prices_include_tax": original.prices_include_tax,
        "tax_lines": [line.as_json() for line in totals.tax_lines], "shipping_method_id": original.shipping_method_id,
        "payment_method_id": None, "shipping_address": original.shipping_address,
        "billing_address": original.billing_address, "source": EXCHANGE_SOURCE,
        "external_ref": f"exchange:{cmd.return_number}"[:100],
        "note": f"Exchange for return {cmd.return_number} of order {original.number}; paid by the returned goods.",
        "placed_at": now, "updated_at": now, "created_at": now,
    }).scalar_one()
    line_ids = list(uow.conn.execute(insert(_lines).returning(_lines.c.id, sort_by_parameter_order=True), [
        {"tenant_id": uow.tenant_id, "order_id": order_id, "sku_id": p.sku_id, "sku_code": names[p.sku_id][0],
         "name": names[p.sku_id][1], "quantity": p.quantity, "unit_price": p.unit_price, "line_total": p.total,
         "tax_rate": p.tax.rate if p.tax else channel.tax_rate, "tax_name": p.tax.name if p.tax else ""}
        for p in priced]).scalars())
    log_event(uow, order_id, None, Status.PLACED.value, f"exchange for return {cmd.return_number} by {actor.name}")
    log_event(uow, order_id, Status.PLACED.value, Status.PAID.value, "paid by the returned goods")
    result = allocate_lines(
        uow, order_id, number,
        [LineToAllocate(line_id, p.sku_id, p.quantity) for line_id, p in zip(line_ids, priced, strict=True)],
        strategy=channel.allocation_strategy, allow_split=channel.allow_split_shipments,
        destination=original.shipping_address, ordered_total=sum(p.quantity for p in priced))
    uow.conn.execute(update(_orders).where(_orders.c.id == order_id).values(status=result.status))
    log_event(uow, order_id, Status.PAID.value, result.status, f"allocated: {result.reason}")
    add_events(uow, [
        ("order.placed.v1", {"order_id": order_id, "number": number, "channel_id": original.channel_id,
                             "customer_id": original.customer_id, "grand_total": str(totals.grand_total),
                             "currency": original.currency, "exchange_for": cmd.return_number}),
        ("order.paid.v1", {"order_id": order_id, "number": number}),
        ("order.allocated.v1", {"order_id": order_id, "number": number, "short": result.short}),
    ])
    return ExchangeOrder(order_id, number, result.status)


def record_returned(uow: UnitOfWork, order_id: int, units: dict[int, int]) -> None:
    """Count returned units on the order's lines (order line id → units). Each line is one conditional UPDATE
    that never lets `returned` pass `shipped`; the caller checked its own permission."""
    for line_id, quantity in sorted(units.items()):
        if quantity <= 0:
            raise ValidationFailed("must be at least 1", field="quantity")
        changed = uow.conn.execute(update(_lines).where(
            _lines.c.tenant_id == uow.tenant_id, _lines.c.order_id == order_id, _lines.c.id == line_id,
            _lines.c.returned + quantity <= _lines.c.shipped).values(returned=_lines.c.returned + quantity))
        if changed.rowcount != 1:
            raise Conflict(f"order line {line_id} has fewer than {quantity} shipped unit(s) not yet returned",
                           field="quantity")
