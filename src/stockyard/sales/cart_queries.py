"""What the cart page and the checkout show: lines with prices, each hold's remaining time, totals."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select

from stockyard.catalog.models import Product, Sku
from stockyard.catalog.price_lookup import unit_prices
from stockyard.core.clock import utcnow
from stockyard.core.money import round_money
from stockyard.core.uow import UnitOfWork
from stockyard.inventory.models import Reservation
from stockyard.sales.models import Cart, CartLine

_carts = Cart.__table__
_lines = CartLine.__table__
_skus = Sku.__table__
_products = Product.__table__
_reservations = Reservation.__table__

_CART = select(_carts).where(_carts.c.tenant_id == bindparam("tenant_id"), _carts.c.token == bindparam("token"))
_CART_LINES = (
    select(_lines.c.sku_id, _lines.c.quantity, _lines.c.held_until, _skus.c.code, _skus.c.name,
           _skus.c.weight_g, _products.c.name.label("product_name"), _reservations.c.state.label("hold_state"),
           _reservations.c.reserved_until)
    .join(_skus, _skus.c.id == _lines.c.sku_id)
    .join(_products, _products.c.id == _skus.c.product_id)
    .outerjoin(_reservations, _reservations.c.id == _lines.c.reservation_id)
    .where(_lines.c.cart_id == bindparam("cart_id"))
    .order_by(_lines.c.added_at, _lines.c.id)
)


@dataclass(frozen=True)
class CartLineView:
    sku_id: int
    code: str
    name: str
    quantity: int
    unit_price: Decimal | None
    line_total: Decimal | None
    held: bool
    hold_seconds_left: int
    weight_g: int


@dataclass
class CartView:
    id: int
    token: str
    channel_id: int
    customer_id: int | None
    currency: str
    state: str
    email: str
    shipping_address: dict[str, Any] | None
    shipping_method_id: int | None
    payment_method_id: int | None
    lines: list[CartLineView] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return round_money(sum((line.line_total or Decimal(0) for line in self.lines), Decimal(0)))

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def lapsed(self) -> list[CartLineView]:
        return [line for line in self.lines if not line.held]

    @property
    def first_hold_expiry_seconds(self) -> int | None:
        held = [line.hold_seconds_left for line in self.lines if line.held]
        return min(held) if held else None


def _seconds_left(until: datetime | None, now: datetime) -> int:
    return max(0, int((until - now).total_seconds())) if until else 0


def cart_view(uow: UnitOfWork, token: str) -> CartView | None:
    """The cart with live prices (tiers by quantity) and hold state; None for an unknown token."""
    cart = uow.conn.execute(_CART, {"tenant_id": uow.tenant_id, "token": token}).first()
    if cart is None:
        return None
    rows = list(uow.conn.execute(_CART_LINES, {"cart_id": cart.id}))
    prices = unit_prices(uow, cart.channel_id, cart.currency, {r.sku_id: r.quantity for r in rows})
    now = utcnow()
    view = CartView(cart.id, cart.token, cart.channel_id, cart.customer_id, cart.currency, cart.state, cart.email,
                    cart.shipping_address, cart.shipping_method_id, cart.payment_method_id)
    for r in rows:
        price = prices.get(r.sku_id)
        held = r.hold_state == "active" and (r.reserved_until is None or r.reserved_until > now)
        view.lines.append(CartLineView(
            r.sku_id, r.code, r.product_name if r.name == r.code else r.name, r.quantity, price,
            round_money(price * r.quantity) if price is not None else None, held,
            _seconds_left(r.reserved_until, now) if held else 0, r.weight_g))
    return view
