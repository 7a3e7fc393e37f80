"""A delivered order to return, built through the real services: the shop of tests/sales/shop_setup.py, a
registered customer, a cart, place-order with the test gateway's approving card, shipment and delivery."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from stockyard.core.actor import Actor
from stockyard.core.uow import perform
from stockyard.identity.domain import ALL_PERMISSIONS
from stockyard.returns.services import RETURNS_MANAGE
from stockyard.sales import carts, checkout, orders
from stockyard.sales.carts import AddToCart
from stockyard.sales.customers import RegisterCustomer, register_customer
from stockyard.sales.models import OrderLine
from tests.sales.shop_setup import Shop

PASSWORD = "a long enough password 42"
CARD = {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2040, "cvc": "123", "holder": "E Buyer"}


def staff(shop: Shop, *permissions: str) -> Actor:
    """A staff member with exactly these permissions (the returns manager by default has every one)."""
    granted = frozenset(permissions) if permissions else ALL_PERMISSIONS | {RETURNS_MANAGE}
    return Actor(tenant_id=shop.ctx.tenant_id, user_id=None, name="returns clerk", permissions=granted)


@dataclass
class Delivered:
    order_id: int
    number: str
    customer_id: int
    email: str
    lines: dict[str, int]  # SKU code → order line id


def register(shop: Shop, email: str | None = None) -> int:
    email = email or f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    return perform(shop.ctx.engine, shop.actor, register_customer,
                   RegisterCustomer(email=email, name="Erika Buyer", password=PASSWORD)).customer_id


def place_order(shop: Shop, customer_id: int | None = None, **quantities: int) -> checkout.PlacedOrder:
    e = shop.ctx.engine
    token = None
    for sku, quantity in quantities.items():
        token = perform(e, shop.actor, carts.add_to_cart, token, shop.channel_id,
                        AddToCart(sku=sku.replace("_", "-"), quantity=quantity), customer_id)
    assert token is not None
    cmd = checkout.PlaceOrder(idempotency_key=uuid.uuid4().hex, email="erika@example.com",
                              shipping_address=shop.address(), shipping_method_id=shop.method_id,
                              payment_method_id=shop.card_method_id, card=CARD)
    return checkout.place_order(e, shop.actor, token, cmd, customer_id)


def delivered_order(shop: Shop, **quantities: int) -> Delivered:
    """An order of `quantities` (SKU_001=2) by a registered customer, paid by card, shipped and delivered."""
    email = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    customer_id = register(shop, email)
    placed = place_order(shop, customer_id, **quantities)
    e, a = shop.ctx.engine, shop.ctx.actor
    perform(e, a, orders.ship_order, placed.order_id)
    perform(e, a, orders.mark_delivered, placed.order_id)
    with shop.ctx.uow() as uow:
        lines = {r.sku_code: r.id for r in uow.conn.execute(
            select(OrderLine.__table__.c.sku_code, OrderLine.__table__.c.id)
            .where(OrderLine.__table__.c.order_id == placed.order_id))}
    return Delivered(placed.order_id, placed.number, customer_id, email, lines)
