"""Read models for the checkout pages: the review of an order about to be placed (lines, shipping, tax, total, the
chosen payment method) and in-stock equivalents to offer when an item is no longer available."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from stockyard.billing.models import PaymentMethod
from stockyard.billing.offered import CARD_GATEWAYS, OfferedMethod, offered_payment_methods
from stockyard.catalog.models import Sku
from stockyard.catalog.price_lookup import unit_prices
from stockyard.catalog.relations import equivalents_of
from stockyard.core.errors import Conflict
from stockyard.core.uow import UnitOfWork, requires
from stockyard.fulfilment.quotes import ShippingOption
from stockyard.identity.domain import ORDERS_PLACE
from stockyard.inventory.queries import stock_for_skus
from stockyard.sales.cart_queries import CartView, cart_view
from stockyard.sales.checkout import AddressIn, shipping_options
from stockyard.sales.domain import PricedLine, Totals, order_totals
from stockyard.sales.models import Cart, Channel
from stockyard.sales.tax_lookup import with_tax_rates

_channels = Channel.__table__
_skus = Sku.__table__
_carts = Cart.__table__
_methods = PaymentMethod.__table__


@dataclass(frozen=True)
class Review:
    cart: CartView
    address: AddressIn
    option: ShippingOption
    payment: OfferedMethod
    totals: Totals
    prices_include_tax: bool
    tax_rate: Decimal


@requires(ORDERS_PLACE)
def checkout_review(uow: UnitOfWork, token: str) -> Review:
    """The order as it would be placed now, from the cart's saved details; Conflict naming what is missing."""
    cart = cart_view(uow, token)
    if cart is None or cart.state != "open":
        raise Conflict("there is no open cart to check out", field="cart")
    if not cart.lines:
        raise Conflict("the cart is empty", field="cart")
    if not cart.shipping_address or not cart.email:
        raise Conflict("enter your e-mail and shipping address first", field="shipping_address")
    address = AddressIn(**cart.shipping_address)
    option = next((o for o in shipping_options(uow, token, address) if o.method_id == cart.shipping_method_id), None)
    if option is None:
        raise Conflict("choose a shipping method", field="shipping_method_id")
    payment = next((m for m in offered_payment_methods(uow, cart.channel_id) if m.id == cart.payment_method_id),
                   None)
    if payment is None:
        raise Conflict("choose a payment method", field="payment_method_id")
    missing = [line.code for line in cart.lines if line.unit_price is None]
    if missing:
        raise Conflict(f"{', '.join(missing)} can no longer be bought here; remove it from the cart", field="cart")
    channel = uow.conn.execute(select(_channels.c.tax_rate, _channels.c.prices_include_tax).where(
        _channels.c.tenant_id == uow.tenant_id, _channels.c.id == cart.channel_id)).one()
    priced = with_tax_rates(uow, [PricedLine(line.sku_id, line.quantity, line.unit_price) for line in cart.lines
                                  if line.unit_price is not None], address.country, address.region,
                            Decimal(channel.tax_rate))
    totals = order_totals(priced, option.cost, Decimal(channel.tax_rate), channel.prices_include_tax)
    return Review(cart, address, option, payment, totals, channel.prices_include_tax, Decimal(channel.tax_rate))


@dataclass(frozen=True)
class CheckoutInputs:
    """What place-order takes from the cart's saved details (never from the order form)."""

    email: str
    address: AddressIn
    shipping_method_id: int
    payment_method_id: int
    takes_card: bool


@requires(ORDERS_PLACE)
def checkout_inputs(uow: UnitOfWork, token: str) -> CheckoutInputs:
    """The saved details in one statement (the hot path); Conflict naming what is missing."""
    c, m = _carts, _methods
    row = uow.conn.execute(select(c.c.state, c.c.email, c.c.shipping_address, c.c.shipping_method_id,
                                  c.c.payment_method_id, m.c.gateway)
                           .outerjoin(m, (m.c.id == c.c.payment_method_id) & (m.c.tenant_id == c.c.tenant_id))
                           .where(c.c.tenant_id == uow.tenant_id, c.c.token == token)).first()
    if row is None or row.state != "open":
        raise Conflict("there is no open cart to check out", field="cart")
    if not row.email or not row.shipping_address:
        raise Conflict("enter your e-mail and shipping address first", field="shipping_address")
    if row.shipping_method_id is None:
        raise Conflict("choose a shipping method", field="shipping_method_id")
    if row.payment_method_id is None:
        raise Conflict("choose a payment method", field="payment_method_id")
    return CheckoutInputs(row.email, AddressIn(**row.shipping_address), row.shipping_method_id,
                          row.payment_method_id, row.gateway in CARD_GATEWAYS)


@dataclass(frozen=True)
class Alternative:
    code: str
    name: str
    unit_price: Decimal
    available: int


@requires(ORDERS_PLACE)
def in_stock_equivalents(uow: UnitOfWork, channel_id: int, currency: str, sku_code: str,
                         limit: int = 3) -> list[Alternative]:
    """The same part from other brands that is in stock and sold in this shop, most available first."""
    sku_id = uow.conn.execute(select(_skus.c.id).where(_skus.c.tenant_id == uow.tenant_id,
                                                       _skus.c.code == sku_code)).scalar()
    if sku_id is None:
        return []
    codes = equivalents_of(uow, sku_id)
    if not codes:
        return []
    rows = list(uow.conn.execute(select(_skus.c.id, _skus.c.code, _skus.c.name).where(
        _skus.c.tenant_id == uow.tenant_id, _skus.c.code.in_(codes), _skus.c.active.is_(True))))
    stock = stock_for_skus(uow, [r.id for r in rows])
    prices = unit_prices(uow, channel_id, currency, {r.id: 1 for r in rows})
    found = [Alternative(r.code, r.name, prices[r.id], stock[r.id].atp) for r in rows
             if r.id in prices and r.id in stock and stock[r.id].atp > 0]
    return sorted(found, key=lambda a: (-a.available, a.code))[:limit]
