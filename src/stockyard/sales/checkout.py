"""Checkout: the customer's details, live shipping options, and place-order.

`place_order` runs in three steps so that no transaction is open while the payment provider works: prepare (one
transaction: re-price the cart from the price list, never from the form; check the holds; quote shipping; claim
the cart), ask the provider, record (one transaction: the order, its lines, its payment, its allocation). A
declined or timed-out payment leaves no order and gives the cart back; the caller then lets the holds go
(`carts.release_cart`). A replayed request (same idempotency key) returns the order it placed the first time.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Engine, and_, bindparam, or_, select, update

from stockyard.billing.domain import AVAILABLE_GATEWAYS
from stockyard.billing.errors import PaymentFailed
from stockyard.billing.gateways import AuthorizeRequest, GatewayResult, MethodConfig
from stockyard.billing.models import PaymentMethod
from stockyard.billing.payments import (
    CardInput,
    authorize_at_checkout,
    payment_request,
    record_authorization,
    reverse_at_checkout,
)
from stockyard.billing.tax_domain import LineRate, fallback_rate
from stockyard.billing.tax_queries import line_rate, rate_join, rate_params
from stockyard.catalog.models import Product, Sku
from stockyard.catalog.price_lookup import unit_prices
from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.iso_codes import check_country
from stockyard.core.numbering import next_number
from stockyard.core.outbox import add_events
from stockyard.core.uow import UnitOfWork, perform
from stockyard.fulfilment.quotes import (
    Destination,
    QuoteLine,
    QuoteRequest,
    ShippingOption,
    parcel_of_items,
    quote,
)
from stockyard.identity.domain import ORDERS_PLACE
from stockyard.inventory.models import Reservation
from stockyard.sales.allocation import LineToAllocate, allocate_lines
from stockyard.sales.carts import CartRow, _hold, open_cart
from stockyard.sales.domain import PricedLine, Status, Totals, order_totals
from stockyard.sales.models import Cart, CartLine, Channel, Order, OrderEvent, OrderLine, OrderNumber
from stockyard.sales.order_writer import NewLine, OrderHeader, insert_order, write_timeline

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# How long a claimed cart's holds are kept while the payment provider answers; a checkout still paying after
# this long is given back by the stalled-checkout job (sales/jobs.py).
CHECKOUT_GRACE = timedelta(minutes=10)
BEING_PLACED = "this cart's order is being placed; wait a moment, then look at your orders"
_carts = Cart.__table__
_cart_lines = CartLine.__table__
_orders = Order.__table__
_lines = OrderLine.__table__
_events = OrderEvent.__table__
_numbers = OrderNumber.__table__
_channels = Channel.__table__
_skus = Sku.__table__
_products = Product.__table__
_res = Reservation.__table__
_methods = PaymentMethod.__table__


class AddressIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(min_length=1, max_length=120)
    region: str = Field(default="", max_length=120)
    postcode: str = Field(default="", max_length=20)
    country: str = Field(min_length=2, max_length=2)
    phone: str = Field(default="", max_length=40)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return check_country(value.upper(), field="country")


def check_email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value) or len(value) > 254:
        raise ValueError("is not an e-mail address")
    return value.lower()


class CheckoutDetails(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    email: str
    shipping_address: AddressIn
    shipping_method_id: int | None = None
    payment_method_id: int | None = None

    _email = field_validator("email")(classmethod(lambda cls, v: check_email(v)))


class PlaceOrder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    idempotency_key: str = Field(min_length=8, max_length=80)
    email: str
    shipping_address: AddressIn
    billing_address: AddressIn | None = None
    shipping_method_id: int
    payment_method_id: int
    card: CardInput | None = None
    # What the customer saw on the review page; a different total (prices changed, a tampered form) is refused.
    expected_total: Decimal | None = None
    return_url: str = Field(default="", max_length=500)

    _email = field_validator("email")(classmethod(lambda cls, v: check_email(v)))


@dataclass(frozen=True)
class PlacedOrder:
    order_id: int
    number: str
    status: str
    payment_state: str
    action_url: str | None = None
    replayed: bool = False


def save_details(uow: UnitOfWork, token: str, details: CheckoutDetails) -> None:
    uow.require(ORDERS_PLACE)
    cart = open_cart(uow, token)
    uow.conn.execute(update(_carts).where(_carts.c.id == cart.id).values(
        email=details.email, shipping_address=details.shipping_address.model_dump(),
        shipping_method_id=details.shipping_method_id, payment_method_id=details.payment_method_id,
        updated_at=utcnow()))


@dataclass(frozen=True)
class CartLineRow:
    id: int
    sku_id: int
    code: str
    name: str
    quantity: int
    reservation_id: int | None
    held: bool
    warehouse_id: int | None  # where the hold is (its first warehouse, should it span several)
    held_until: datetime | None
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    # The line's tax rate for the destination (None: not asked for; the channel's rate when no rate matched).
    tax: LineRate | None = None


_LINES_WITH_HOLDS = (
    select(_cart_lines.c.id, _cart_lines.c.sku_id, _cart_lines.c.quantity, _cart_lines.c.reservation_id,
           _skus.c.code, _skus.c.name, _products.c.name.label("product_name"), _res.c.state, _res.c.reserved_until,
           _res.c.warehouse_id, _skus.c.weight_g, _skus.c.length_mm, _skus.c.width_mm, _skus.c.height_mm)
    .join(_skus, _skus.c.id == _cart_lines.c.sku_id)
    .join(_products, _products.c.id == _skus.c.product_id)
    .outerjoin(_res, _res.c.id == _cart_lines.c.reservation_id)
    .where(_cart_lines.c.cart_id == bindparam("cart_id"))
    .order_by(_cart_lines.c.sku_id)
)
# The same with each line's tax rate for the destination (billing/tax_queries.py): no extra round trip at checkout.
_TAX_RATES, _BEST_RATE = rate_join(_products)
_LINES_WITH_HOLDS_AND_TAX = (_LINES_WITH_HOLDS.add_columns(_TAX_RATES.c.rate.label("tax_rate"),
                                                           _TAX_RATES.c.name.label("tax_name"))
                             .outerjoin(_TAX_RATES, _BEST_RATE))


def _cart_lines_with_holds(uow: UnitOfWork, cart_id: int, destination: AddressIn | None = None,
                           fallback: LineRate | None = None) -> list[CartLineRow]:
    """The cart's lines with their holds; with a destination, each with its tax rate (`fallback` where none
    matches)."""
    now = utcnow()
    if destination is None or fallback is None:
        rows = uow.conn.execute(_LINES_WITH_HOLDS, {"cart_id": cart_id})
    else:
        rows = uow.conn.execute(_LINES_WITH_HOLDS_AND_TAX, {
            "cart_id": cart_id, **rate_params(destination.country, destination.region)})
    return [CartLineRow(r.id, r.sku_id, r.code, r.product_name if r.name == r.code else r.name, r.quantity,
                        r.reservation_id,
                        r.state == "active" and (r.reserved_until is None or r.reserved_until > now), r.warehouse_id,
                        r.reserved_until, r.weight_g, r.length_mm, r.width_mm, r.height_mm,
                        None if fallback is None else line_rate(r.tax_rate, r.tax_name, fallback))
            for r in rows]


def shipping_options(uow: UnitOfWork, token: str, address: AddressIn) -> list[ShippingOption]:
    """Every way to ship this cart to `address`, with its cost and how it was built."""
    uow.require(ORDERS_PLACE)
    cart = open_cart(uow, token)
    lines = _cart_lines_with_holds(uow, cart.id)
    if not lines:
        raise Conflict("the cart is empty", field="cart")
    prices = unit_prices(uow, cart.channel_id, cart.currency, {line.sku_id: line.quantity for line in lines})
    value = sum((prices.get(line.sku_id, Decimal(0)) * line.quantity for line in lines), Decimal(0))
    return _quote(uow, cart, lines, address, value)


def _quote(uow: UnitOfWork, cart: CartRow, lines: list[CartLineRow], address: AddressIn,
           value: Decimal) -> list[ShippingOption]:
    held_in = {line.warehouse_id for line in lines if line.held}
    return quote(uow, QuoteRequest(
        destination=Destination(country=address.country, postcode=address.postcode, region=address.region),
        lines=[QuoteLine(sku_id=line.sku_id, quantity=line.quantity) for line in lines],
        order_value=value, currency=cart.currency,
        # The parcel leaves from where the cart's units are held (one warehouse); else from the first by priority.
        origin_warehouse_id=held_in.pop() if len(held_in) == 1 else None),
        parcel=parcel_of_items([(line, line.quantity) for line in lines], value))


def _existing(uow: UnitOfWork, key: str) -> PlacedOrder | None:
    row = uow.conn.execute(select(_orders.c.id, _orders.c.number, _orders.c.status).where(
        _orders.c.tenant_id == uow.tenant_id, _orders.c.idempotency_key == key)).first()
    return None if row is None else PlacedOrder(row.id, row.number, row.status, "", None, replayed=True)


def next_order_number(uow: UnitOfWork) -> str:
    return next_number(uow, _numbers, "SO")


def _checkout_context(uow: UnitOfWork, token: str, cmd: PlaceOrder) -> tuple[CartRow, Any, MethodConfig | None]:
    """The cart, its channel's order settings, the payment method when the shop offers it, and whether this
    idempotency key placed an order already: one statement, as place-order is on the hot path."""
    existing = select(_orders.c.id).where(_orders.c.tenant_id == uow.tenant_id,
                                          _orders.c.idempotency_key == cmd.idempotency_key).scalar_subquery()
    offered = and_(_methods.c.tenant_id == uow.tenant_id, _methods.c.id == cmd.payment_method_id,
                   _methods.c.active.is_(True), _methods.c.gateway.in_(AVAILABLE_GATEWAYS),
                   or_(_methods.c.channel_id == _carts.c.channel_id, _methods.c.channel_id.is_(None)))
    row = uow.conn.execute(
        select(_carts.c.id, _carts.c.channel_id, _carts.c.customer_id, _carts.c.currency, _carts.c.state,
               _channels.c.hold_minutes, _channels.c.tax_rate, _channels.c.prices_include_tax,
               _channels.c.allocation_strategy, _channels.c.allow_split_shipments,
               _methods.c.id.label("method_id"), _methods.c.name.label("method_name"),
               _methods.c.gateway.label("method_gateway"), _methods.c.settings.label("method_settings"),
               _methods.c.secrets.label("method_secrets"), existing.label("existing_order"))
        .join(_channels, _channels.c.id == _carts.c.channel_id)
        .outerjoin(_methods, offered)
        .where(_carts.c.tenant_id == uow.tenant_id, _carts.c.token == token)).first()
    if row is None:
        raise NotFound("this cart does not exist", field="cart")
    method = None if row.method_id is None else MethodConfig(
        row.method_id, uow.tenant_id, row.method_name, row.method_gateway, True, dict(row.method_settings or {}),
        dict(row.method_secrets or {}))
    return CartRow(row.id, token, row.channel_id, row.customer_id, row.currency, row.hold_minutes), row, method


@dataclass(frozen=True)
class PreparedOrder:
    """A checked, priced and claimed checkout, waiting for the provider's answer (prepare_order)."""

    cart: CartRow
    lines: list[CartLineRow]
    holds: dict[int, int]  # sku id → the reservation holding it
    priced: list[PricedLine]
    option: ShippingOption
    totals: Totals
    channel: Any
    method: MethodConfig
    request: AuthorizeRequest


def place_order(engine: Engine, actor: Actor, token: str, cmd: PlaceOrder,
                customer_id: int | None = None) -> PlacedOrder:
    """Place the cart's order and take its payment. A decline or a timeout leaves no order and gives the cart back
    (its holds are the caller's to release); when the order cannot be recorded after the provider said yes, the
    authorisation is reversed."""
    prepared = perform(engine, actor, prepare_order, token, cmd)
    if isinstance(prepared, PlacedOrder):
        return prepared
    try:
        result = authorize_at_checkout(engine, prepared.method, prepared.request)
    except PaymentFailed:
        perform(engine, actor, reopen_cart, prepared.cart.id, cmd.idempotency_key)
        raise
    try:
        return perform(engine, actor, record_order, prepared, cmd, result, customer_id)
    except BaseException:
        perform(engine, actor, reopen_cart, prepared.cart.id, cmd.idempotency_key)
        reverse_at_checkout(engine, prepared.method, cmd.idempotency_key)
        raise


def prepare_order(uow: UnitOfWork, token: str, cmd: PlaceOrder) -> PreparedOrder | PlacedOrder:
    """Everything checked and priced before money moves: the cart's lines (lapsed holds renewed), prices from the
    price list, shipping quoted again, the total the customer saw. Then the cart is claimed (open → paying), so a
    second place-order for it waits for this one and finds it taken, and its holds are kept for at least
    CHECKOUT_GRACE however long the provider takes."""
    uow.require(ORDERS_PLACE)
    cart, channel, method = _checkout_context(uow, token, cmd)
    if channel.existing_order is not None:
        replay = _existing(uow, cmd.idempotency_key)
        if replay is not None:
            return replay
    if channel.state != "open":
        raise Conflict(BEING_PLACED if channel.state == "paying" else f"this cart is {channel.state}; start a new one",
                       field="cart")
    if method is None:
        raise ValidationFailed("this payment method is not offered in this shop", field="payment_method_id")
    lines = _cart_lines_with_holds(uow, cart.id, cmd.shipping_address, fallback_rate(channel.tax_rate))
    if not lines:
        raise Conflict("the cart is empty", field="cart")
    holds, first_lapse = _renew_lapsed(uow, cart, lines)
    prices = unit_prices(uow, cart.channel_id, cart.currency, {line.sku_id: line.quantity for line in lines})
    missing = [line.code for line in lines if line.sku_id not in prices]
    if missing:
        raise Conflict(f"{', '.join(missing)} can no longer be bought here; remove it from the cart", field="cart")
    priced = [PricedLine(line.sku_id, line.quantity, prices[line.sku_id], line.tax) for line in lines]
    goods = sum((p.total for p in priced), Decimal(0))
    options = _quote(uow, cart, lines, cmd.shipping_address, goods)
    option = next((o for o in options if o.method_id == cmd.shipping_method_id), None)
    if option is None:
        raise ValidationFailed("this shipping method is not available for this address and cart",
                               field="shipping_method_id")
    totals = order_totals(priced, option.cost, channel.tax_rate, channel.prices_include_tax)
    if cmd.expected_total is not None and cmd.expected_total != totals.grand_total:
        raise Conflict(f"the total is now {totals.grand_total} {cart.currency}, not {cmd.expected_total}; "
                       "please review your order again", field="expected_total",
                       details={"grand_total": str(totals.grand_total)})
    request = payment_request(method, totals.grand_total, cart.currency, cmd.idempotency_key, cmd.card,
                              return_url=cmd.return_url)
    now = utcnow()
    claimed = uow.conn.execute(update(_carts).where(_carts.c.id == cart.id, _carts.c.state == "open").values(
        state="paying", checkout_key=cmd.idempotency_key, payment_method_id=method.id, email=cmd.email,
        updated_at=now)).rowcount
    if not claimed:
        replay = _existing(uow, cmd.idempotency_key)  # the same request, placed by a twin that committed first
        if replay is not None:
            return replay
        raise Conflict(BEING_PLACED, field="cart")
    if first_lapse is not None and first_lapse < now + CHECKOUT_GRACE:
        uow.conn.execute(update(_res).where(_res.c.id.in_(list(holds.values())), _res.c.state == "active")
                         .values(reserved_until=now + CHECKOUT_GRACE))
    return PreparedOrder(cart, lines, holds, priced, option, totals, channel, method, request)


def record_order(uow: UnitOfWork, prepared: PreparedOrder, cmd: PlaceOrder, result: GatewayResult,
                 customer_id: int | None) -> PlacedOrder:
    """The order, its lines, its payment as the provider answered, and its allocation (paid, or a manual method);
    while a card payment waits for the customer's confirmation, the holds become the order's instead."""
    actor = uow.require(ORDERS_PLACE)
    cart, channel, lines, totals = prepared.cart, prepared.channel, prepared.lines, prepared.totals
    now = utcnow()
    closed = uow.conn.execute(update(_carts).where(
        _carts.c.id == cart.id, _carts.c.state == "paying", _carts.c.checkout_key == cmd.idempotency_key)
        .values(state="ordered", checkout_key=None, updated_at=now)).rowcount
    if not closed:  # the stalled-checkout job gave the cart back meanwhile
        raise Conflict("this checkout took too long and was interrupted; please place your order again",
                       field="cart")
    number = next_order_number(uow)
    order_id, line_ids = insert_order(uow, OrderHeader(
        number=number, channel_id=cart.channel_id, customer_id=customer_id, email=cmd.email,
        status=Status.PLACED.value, currency=cart.currency, totals=totals,
        prices_include_tax=channel.prices_include_tax, shipping=prepared.option,
        payment_method_id=cmd.payment_method_id, shipping_address=cmd.shipping_address.model_dump(),
        billing_address=(cmd.billing_address or cmd.shipping_address).model_dump(),
        idempotency_key=cmd.idempotency_key, source="storefront", placed_at=now),
        [NewLine(line.sku_id, line.code, line.name, p) for line, p in zip(lines, prepared.priced, strict=True)])
    events: list[tuple[str, dict[str, Any]]] = [("order.placed.v1", {
        "order_id": order_id, "number": number, "channel_id": cart.channel_id, "customer_id": customer_id,
        "grand_total": str(totals.grand_total), "currency": cart.currency})]
    outcome = record_authorization(uow, order_id, prepared.method, prepared.request, result, events)
    timeline: list[tuple[str | None, str, str]] = [(None, Status.PLACED.value, f"order placed by {cmd.email}")]
    status = Status.PLACED
    if outcome.state in ("authorized", "captured"):
        timeline.append((status.value, Status.PAID.value, f"payment {outcome.state}"))
        events.append(("order.paid.v1", {"order_id": order_id, "number": number}))
        status = Status.PAID
    else:
        timeline.append((status.value, Status.AWAITING_PAYMENT.value,
                         "waiting for the payment" + (" confirmation" if outcome.state == "requires_action" else "")))
        status = Status.AWAITING_PAYMENT
    manual = outcome.state == "pending"
    to_allocate = [LineToAllocate(line_id, line.sku_id, line.quantity, prepared.holds.get(line.sku_id))
                   for line_id, line in zip(line_ids, lines, strict=True)]
    if status == Status.PAID or manual:
        allocated = allocate_lines(uow, order_id, number, to_allocate, strategy=channel.allocation_strategy,
                                   allow_split=channel.allow_split_shipments,
                                   destination=cmd.shipping_address.model_dump(),
                                   ordered_total=sum(line.quantity for line in lines), allocated_before=0)
        if status == Status.PAID:
            timeline.append((status.value, allocated.status, f"allocated: {allocated.reason}"))
            status = Status(allocated.status)
        else:
            timeline.append((status.value, status.value, f"stock allocated ({allocated.reason}); "
                             f"{allocated.short} unit(s) backordered" if allocated.short else
                             f"stock allocated ({allocated.reason})"))
        events.append(("order.allocated.v1", {"order_id": order_id, "number": number, "short": allocated.short}))
    else:
        # The payment needs the customer's confirmation: the holds become the order's until it is confirmed
        # (or the order is cancelled for want of payment).
        uow.conn.execute(update(_res).where(_res.c.id.in_(list(prepared.holds.values()))).values(
            reference=f"order:{number}", reserved_until=None))
    if status != Status.PLACED:
        uow.conn.execute(update(_orders).where(_orders.c.id == order_id).values(status=status.value))
    write_timeline(uow, order_id, timeline, actor.name, now)
    add_events(uow, events)
    return PlacedOrder(order_id, number, status.value, outcome.state, outcome.action_url)


def reopen_cart(uow: UnitOfWork, cart_id: int, checkout_key: str) -> bool:
    """A checkout that will not become an order gives its cart back (paying → open); False when the cart was not
    this checkout's to give back."""
    uow.require(ORDERS_PLACE)
    return bool(uow.conn.execute(update(_carts).where(
        _carts.c.tenant_id == uow.tenant_id, _carts.c.id == cart_id, _carts.c.state == "paying",
        _carts.c.checkout_key == checkout_key).values(state="open", checkout_key=None, updated_at=utcnow())).rowcount)


def _renew_lapsed(uow: UnitOfWork, cart: CartRow, lines: list[CartLineRow]) -> tuple[dict[int, int], datetime | None]:
    """sku id → the live hold of each line, and when the first of them lapses; a lapsed hold is renewed when the
    stock is still there, otherwise the customer is told which item is gone (a Conflict naming the SKU, so the shop
    can offer an equivalent)."""
    holds: dict[int, int] = {}
    lapses: list[datetime] = []
    for line in lines:
        if line.held and line.reservation_id is not None:
            holds[line.sku_id] = line.reservation_id
            if line.held_until is not None:
                lapses.append(line.held_until)
            continue
        try:
            reservation_id, until = _hold(uow, cart, line.sku_id, line.code, line.quantity)
        except Conflict as short:
            raise Conflict(f"sorry, {short.message}: your hold on it lapsed", field="cart",
                           details={"sku": line.code, "available": short.details.get("available", 0)}) from None
        uow.conn.execute(update(_cart_lines).where(_cart_lines.c.id == line.id).values(
            reservation_id=reservation_id, held_until=until))
        holds[line.sku_id] = reservation_id
        lapses.append(until)
    return holds, min(lapses, default=None)


def order_by_number(uow: UnitOfWork, number: str) -> dict[str, Any]:
    row = uow.conn.execute(select(_orders).where(_orders.c.tenant_id == uow.tenant_id,
                                                 _orders.c.number == number)).first()
    if row is None:
        raise NotFound(f"unknown order {number}", field="order")
    return dict(row._mapping)
