"""Carts for guests and customers. Adding to a cart places a stock hold (an inventory reservation with the
channel's TTL); changing a quantity re-checks stock by releasing the hold and reserving the new total in the same
transaction. A lapsed hold is released by the expiry job; the cart then shows it and checkout tries to renew it.

Adding to a cart is the storefront's busiest write, so it reads what it needs in one statement (the shop with the
item, or the item with its line in the cart) and `start_cart` answers with the cart built from what it just wrote.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, bindparam, insert, select, update

from stockyard.catalog.models import Product, Sku
from stockyard.catalog.price_lookup import unit_prices
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.money import round_money
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import ORDERS_PLACE
from stockyard.inventory.models import Reservation
from stockyard.inventory.reservations import ReserveStock, release_reservation, reserve_stock
from stockyard.sales.cart_queries import CartLineView, CartView
from stockyard.sales.models import Cart, CartLine, Channel

MAX_LINE_QUANTITY = 999

_carts = Cart.__table__
_lines = CartLine.__table__
_channels = Channel.__table__
_reservations = Reservation.__table__
_skus = Sku.__table__
_products = Product.__table__

_CART_BY_TOKEN = (
    select(_carts.c.id, _carts.c.channel_id, _carts.c.customer_id, _carts.c.currency, _carts.c.state,
           _channels.c.hold_minutes)
    .join(_channels, _channels.c.id == _carts.c.channel_id)
    .where(_carts.c.tenant_id == bindparam("tenant_id"), _carts.c.token == bindparam("token"))
)
_LINE = select(_lines.c.id, _lines.c.quantity, _lines.c.reservation_id).where(
    _lines.c.cart_id == bindparam("cart_id"), _lines.c.sku_id == bindparam("sku_id"))
_ACTIVE_SKU = select(_skus.c.id, _skus.c.code).where(
    _skus.c.tenant_id == bindparam("tenant_id"), _skus.c.code == bindparam("code"), _skus.c.active.is_(True))
_ITEM = (_skus.c.id.label("sku_id"), _skus.c.code, _skus.c.name, _skus.c.weight_g,
         _products.c.name.label("product_name"))
_item_join = _skus.join(_products, _products.c.id == _skus.c.product_id)
_is_item = and_(_skus.c.tenant_id == bindparam("tenant_id"), _skus.c.code == bindparam("code"),
                _skus.c.active.is_(True))
# A new cart: the shop, and the active item if there is one (outer join, so an unknown item is told apart from a
# closed shop).
_SHOP_AND_ITEM = (
    select(_channels.c.currency, _channels.c.hold_minutes, _channels.c.active, *_ITEM)
    .select_from(_channels.outerjoin(_item_join, _is_item))
    .where(_channels.c.tenant_id == bindparam("tenant_id"), _channels.c.id == bindparam("channel_id"))
)
# An open cart: the active item and its line in the cart, if any.
_ITEM_AND_LINE = (
    select(*_ITEM, _lines.c.id.label("line_id"), _lines.c.quantity, _lines.c.reservation_id)
    .select_from(_item_join.outerjoin(_lines, and_(_lines.c.cart_id == bindparam("cart_id"),
                                                   _lines.c.sku_id == _skus.c.id)))
    .where(_is_item)
)


@dataclass(frozen=True)
class CartRow:
    id: int
    token: str
    channel_id: int
    customer_id: int | None
    currency: str
    hold_minutes: int


class AddToCart(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=MAX_LINE_QUANTITY)


class SetQuantity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=0, le=MAX_LINE_QUANTITY)  # 0 removes the line


@dataclass(frozen=True)
class _Line:
    id: int
    quantity: int
    reservation_id: int | None


def new_cart(uow: UnitOfWork, channel_id: int, customer_id: int | None = None) -> CartRow:
    uow.require(ORDERS_PLACE)
    channel = uow.conn.execute(select(_channels.c.currency, _channels.c.hold_minutes, _channels.c.active).where(
        _channels.c.tenant_id == uow.tenant_id, _channels.c.id == channel_id)).first()
    if channel is None or not channel.active:
        raise NotFound("this shop is not open", field="channel")
    return _insert_cart(uow, channel_id, customer_id, channel.currency, channel.hold_minutes)


def _insert_cart(uow: UnitOfWork, channel_id: int, customer_id: int | None, currency: str,
                 hold_minutes: int) -> CartRow:
    token = secrets.token_urlsafe(24)
    now = utcnow()
    cart_id = uow.conn.execute(insert(_carts).returning(_carts.c.id), {
        "tenant_id": uow.tenant_id, "token": token, "channel_id": channel_id, "customer_id": customer_id,
        "email": "", "currency": currency, "state": "open", "created_at": now, "updated_at": now,
    }).scalar_one()
    return CartRow(cart_id, token, channel_id, customer_id, currency, hold_minutes)


def open_cart(uow: UnitOfWork, token: str) -> CartRow:
    row = uow.conn.execute(_CART_BY_TOKEN, {"tenant_id": uow.tenant_id, "token": token}).first()
    if row is None:
        raise NotFound("this cart does not exist", field="cart")
    if row.state != "open":
        raise Conflict(f"this cart is {row.state}; start a new one", field="cart")
    return CartRow(row.id, token, row.channel_id, row.customer_id, row.currency, row.hold_minutes)


def _sku_id(uow: UnitOfWork, code: str) -> int:
    row = uow.conn.execute(_ACTIVE_SKU, {"tenant_id": uow.tenant_id, "code": code.strip()}).first()
    if row is None:
        raise NotFound(f"unknown item '{code}'", field="sku")
    return row.id


def _hold(uow: UnitOfWork, cart: CartRow, sku_id: int, code: str, quantity: int) -> tuple[int, datetime]:
    """Reserve `quantity` for the cart; a clear message with what is left when the stock is short."""
    try:
        reservation_id = reserve_stock(uow, ReserveStock(sku=sku_id, quantity=quantity, reference=f"cart:{cart.id}",
                                                         ttl_seconds=cart.hold_minutes * 60))
    except Conflict as short:
        available = int(str(short.details.get("available", 0)))
        message = (f"only {available} of {code} available" if available else f"{code} is no longer available")
        raise Conflict(message, field="quantity", details={"available": available, "sku": code}) from None
    return reservation_id, utcnow() + timedelta(minutes=cart.hold_minutes)


def _release_if_active(uow: UnitOfWork, reservation_id: int | None) -> None:
    if reservation_id is None:
        return
    state = uow.conn.execute(select(_reservations.c.state).where(
        _reservations.c.tenant_id == uow.tenant_id, _reservations.c.id == reservation_id)).scalar_one_or_none()
    if state == "active":
        release_reservation(uow, reservation_id)


@dataclass(frozen=True)
class _Added:
    cart: CartRow
    item: Any  # the row of _SHOP_AND_ITEM / _ITEM_AND_LINE
    quantity: int
    unit_price: Decimal
    held_until: datetime


def _add(uow: UnitOfWork, token: str | None, channel_id: int, cmd: AddToCart, customer_id: int | None) -> _Added:
    uow.require(ORDERS_PLACE)
    params = {"tenant_id": uow.tenant_id, "code": cmd.sku.strip()}
    line: _Line | None = None
    cart: CartRow | None = None
    if not token:
        item = uow.conn.execute(_SHOP_AND_ITEM, {**params, "channel_id": channel_id}).first()
        if item is None or not item.active:
            raise NotFound("this shop is not open", field="channel")
        currency = item.currency
    else:
        cart = open_cart(uow, token)
        if cart.channel_id != channel_id:
            raise Conflict("this cart belongs to another shop", field="cart")
        item = uow.conn.execute(_ITEM_AND_LINE, {**params, "cart_id": cart.id}).first()
        currency = cart.currency
        if item is not None and item.line_id is not None:
            line = _Line(item.line_id, item.quantity, item.reservation_id)
    if item is None or item.sku_id is None:
        raise NotFound(f"unknown item '{cmd.sku}'", field="sku")
    total = cmd.quantity + (line.quantity if line else 0)
    if total > MAX_LINE_QUANTITY:
        raise ValidationFailed(f"at most {MAX_LINE_QUANTITY} per line", field="quantity")
    # For sale = priced for the quantity the line will hold (tiers by quantity).
    price = unit_prices(uow, channel_id, currency, {item.sku_id: total}).get(item.sku_id)
    if price is None:
        raise Conflict(f"{cmd.sku} is not for sale in this shop", field="sku")
    if cart is None:
        cart = _insert_cart(uow, channel_id, customer_id, currency, item.hold_minutes)
    until = _set_line(uow, cart, item.sku_id, cmd.sku, total, line, touch=bool(token))
    assert until is not None  # a positive quantity is held
    return _Added(cart, item, total, price, until)


def add_to_cart(uow: UnitOfWork, token: str | None, channel_id: int, cmd: AddToCart,
                customer_id: int | None = None) -> str:
    """Adds units (a new line or more of an existing one), holding the stock; returns the cart's token."""
    return _add(uow, token, channel_id, cmd, customer_id).cart.token


def start_cart(uow: UnitOfWork, channel_id: int, cmd: AddToCart, customer_id: int | None = None) -> CartView:
    """A new cart with one held line; returns the cart as cart_queries.cart_view would show it, built from what was
    just written rather than read back."""
    added = _add(uow, None, channel_id, cmd, customer_id)
    cart, item = added.cart, added.item
    seconds_left = max(0, int((added.held_until - utcnow()).total_seconds()))
    line = CartLineView(item.sku_id, item.code, item.product_name if item.name == item.code else item.name,
                        added.quantity, added.unit_price, round_money(added.unit_price * added.quantity), True,
                        seconds_left, item.weight_g)
    return CartView(cart.id, cart.token, cart.channel_id, cart.customer_id, cart.currency, "open", "", None, None,
                    None, [line])


def set_quantity(uow: UnitOfWork, token: str, cmd: SetQuantity) -> None:
    uow.require(ORDERS_PLACE)
    cart = open_cart(uow, token)
    sku_id = _sku_id(uow, cmd.sku)
    line = uow.conn.execute(_LINE, {"cart_id": cart.id, "sku_id": sku_id}).first()
    if line is None:
        raise NotFound(f"{cmd.sku} is not in the cart", field="sku")
    _set_line(uow, cart, sku_id, cmd.sku, cmd.quantity, _Line(line.id, line.quantity, line.reservation_id))


def _set_line(uow: UnitOfWork, cart: CartRow, sku_id: int, code: str, quantity: int, line: _Line | None,
              *, touch: bool = True) -> datetime | None:
    """Hold `quantity` on the line (0 removes it); returns until when the new hold lasts."""
    now = utcnow()
    until = None
    if line is not None:
        _release_if_active(uow, line.reservation_id)
    if quantity == 0:
        assert line is not None
        uow.conn.execute(_lines.delete().where(_lines.c.id == line.id))
    else:
        reservation_id, until = _hold(uow, cart, sku_id, code, quantity)
        if line is None:
            uow.conn.execute(insert(_lines), {"tenant_id": uow.tenant_id, "cart_id": cart.id, "sku_id": sku_id,
                                              "quantity": quantity, "reservation_id": reservation_id,
                                              "held_until": until, "added_at": now})
        else:
            uow.conn.execute(update(_lines).where(_lines.c.id == line.id).values(
                quantity=quantity, reservation_id=reservation_id, held_until=until))
    if touch:
        uow.conn.execute(update(_carts).where(_carts.c.id == cart.id).values(updated_at=now))
    return until


def renew_holds(uow: UnitOfWork, token: str) -> list[str]:
    """Re-reserve the lines whose hold lapsed; returns messages for lines that could not be held again (they stay
    in the cart without a hold, so the customer can lower the quantity or remove them)."""
    uow.require(ORDERS_PLACE)
    cart = open_cart(uow, token)
    problems = []
    for line in lapsed_lines(uow, cart.id):
        try:
            reservation_id, until = _hold(uow, cart, line.sku_id, line.code, line.quantity)
        except Conflict as short:
            problems.append(f"your hold on {line.code} lapsed and {short.message}")
            uow.conn.execute(update(_lines).where(_lines.c.id == line.id).values(reservation_id=None,
                                                                                held_until=None))
            continue
        uow.conn.execute(update(_lines).where(_lines.c.id == line.id).values(reservation_id=reservation_id,
                                                                            held_until=until))
    return problems


@dataclass(frozen=True)
class LapsedLine:
    id: int
    sku_id: int
    code: str
    quantity: int


def lapsed_lines(uow: UnitOfWork, cart_id: int) -> list[LapsedLine]:
    """Lines without a live hold: never held, released, or expired (even before the job has run)."""
    now = utcnow()
    rows = uow.conn.execute(
        select(_lines.c.id, _lines.c.sku_id, _skus.c.code, _lines.c.quantity, _reservations.c.state,
               _reservations.c.reserved_until)
        .join(_skus, _skus.c.id == _lines.c.sku_id)
        .outerjoin(_reservations, _reservations.c.id == _lines.c.reservation_id)
        .where(_lines.c.cart_id == cart_id).order_by(_lines.c.sku_id))
    return [LapsedLine(r.id, r.sku_id, r.code, r.quantity) for r in rows
            if r.state != "active" or (r.reserved_until is not None and r.reserved_until <= now)]


def release_cart(uow: UnitOfWork, token: str) -> None:
    """Let go of every hold of the cart (a declined payment, an abandoned checkout); the lines stay."""
    uow.require(ORDERS_PLACE)
    cart = open_cart(uow, token)
    rows = list(uow.conn.execute(select(_lines.c.id, _lines.c.reservation_id).where(_lines.c.cart_id == cart.id)))
    for row in rows:
        _release_if_active(uow, row.reservation_id)
    if rows:
        uow.conn.execute(update(_lines).where(_lines.c.cart_id == cart.id).values(reservation_id=None,
                                                                                 held_until=None))


def merge_carts(uow: UnitOfWork, guest_token: str, customer_id: int) -> str:
    """At login: the guest's lines join the customer's open cart on the same channel (quantities add up and are
    held again); the guest cart is marked merged. Returns the token of the cart the customer now uses."""
    uow.require(ORDERS_PLACE)
    guest = open_cart(uow, guest_token)
    mine = uow.conn.execute(select(_carts.c.token).where(
        _carts.c.tenant_id == uow.tenant_id, _carts.c.customer_id == customer_id, _carts.c.state == "open",
        _carts.c.channel_id == guest.channel_id, _carts.c.id != guest.id).order_by(_carts.c.id.desc())).first()
    if mine is None:
        uow.conn.execute(update(_carts).where(_carts.c.id == guest.id).values(customer_id=customer_id))
        return guest.token
    target = open_cart(uow, mine.token)
    guest_lines = list(uow.conn.execute(select(_lines.c.id, _lines.c.sku_id, _lines.c.quantity,
                                               _lines.c.reservation_id, _skus.c.code)
                                        .join(_skus, _skus.c.id == _lines.c.sku_id)
                                        .where(_lines.c.cart_id == guest.id).order_by(_lines.c.sku_id)))
    for g in guest_lines:
        _release_if_active(uow, g.reservation_id)
        uow.conn.execute(_lines.delete().where(_lines.c.id == g.id))
        found = uow.conn.execute(_LINE, {"cart_id": target.id, "sku_id": g.sku_id}).first()
        existing = _Line(found.id, found.quantity, found.reservation_id) if found else None
        total = min(MAX_LINE_QUANTITY, g.quantity + (existing.quantity if existing else 0))
        try:
            _set_line(uow, target, g.sku_id, g.code, total, existing)
        except Conflict:
            # Keep what the customer already had; the merged units could not be held.
            if existing is None:
                uow.conn.execute(insert(_lines), {"tenant_id": uow.tenant_id, "cart_id": target.id,
                                                  "sku_id": g.sku_id, "quantity": g.quantity,
                                                  "reservation_id": None, "held_until": None, "added_at": utcnow()})
    uow.conn.execute(update(_carts).where(_carts.c.id == guest.id).values(state="merged", updated_at=utcnow()))
    return target.token
