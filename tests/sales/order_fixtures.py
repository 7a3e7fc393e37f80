"""Orders in known states for order-management tests, placed through the real services on the shop of
tests/sales/shop_setup.py (SKU-001 at 10.00 with 5 in MAIN, SKU-002 at 25.00 with 3, SKU-003 at 7.50 with none)."""

import uuid
from decimal import Decimal

from sqlalchemy import func, select

from stockyard.billing.config import PaymentMethodIn, create_payment_method
from stockyard.catalog.models import Sku
from stockyard.catalog.pricing import PriceListIn, SetSkuPrices, TierIn, create_price_list, set_sku_prices
from stockyard.core.uow import perform, read
from stockyard.fulfilment.config import (
    BandIn,
    CarrierIn,
    MethodIn,
    SetRateTable,
    ZoneIn,
    create_carrier,
    create_method,
    create_zone,
    set_rate_table,
)
from stockyard.inventory.models import StockLevel
from stockyard.inventory.queries import atp_for_sku
from stockyard.sales import carts, checkout, orders, staff_order
from stockyard.sales.carts import AddToCart
from stockyard.sales.channels import ChannelIn, create_channel
from stockyard.sales.queries import OrderView, order_detail
from tests.conftest import TenantCtx
from tests.factories import World
from tests.sales.shop_setup import APPROVE_CARD, PRICES, SHIPPING_PRICE, Shop


def checkout_order(shop: Shop, lines: dict[str, int], *, bank: bool = False, card: str = APPROVE_CARD,
                   email: str = "buyer@example.com") -> checkout.PlacedOrder:
    """A storefront order: cart, then place-order with the card (paid and allocated) or by bank transfer."""
    token = None
    for sku, quantity in lines.items():
        token = perform(shop.ctx.engine, shop.actor, carts.add_to_cart, token, shop.channel_id,
                        AddToCart(sku=sku, quantity=quantity))
    cmd = checkout.PlaceOrder(
        idempotency_key=uuid.uuid4().hex, email=email, shipping_address=shop.address(),
        shipping_method_id=shop.method_id, payment_method_id=shop.bank_method_id if bank else shop.card_method_id,
        card=None if bank else shop.card(card))
    return checkout.place_order(shop.ctx.engine, shop.actor, token, cmd)


def phone_order(shop: Shop, lines: dict[str, int], **changes: object) -> staff_order.StaffOrderPlaced:
    return perform(shop.ctx.engine, shop.ctx.actor, staff_order.create_staff_order, staff_command(shop, lines,
                                                                                                  **changes))


def staff_command(shop: Shop, lines: dict[str, int], **changes: object) -> staff_order.StaffOrder:
    values: dict[str, object] = {
        "channel_id": shop.channel_id, "email": "Phone.Buyer@Example.com", "customer_name": "Hans Hörer",
        "customer_phone": "+49 40 123456", "shipping_address": shop.address(),
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines.items()],
        "shipping_method_id": shop.method_id, "payment_method_id": shop.bank_method_id}
    return staff_order.StaffOrder(**{**values, **changes})


def detail(shop: Shop, number_or_id: str | int) -> OrderView:
    return read(shop.ctx.engine, shop.ctx.actor, order_detail, number_or_id)


def atp(shop: Shop, sku: str) -> int:
    return read(shop.ctx.engine, shop.ctx.actor, atp_for_sku, sku).atp


def on_hand(shop: Shop, sku: str) -> int:
    """Units physically in the warehouses (all statuses)."""
    level = StockLevel.__table__
    with shop.ctx.uow() as uow:
        sku_id = uow.conn.execute(select(Sku.__table__.c.id).where(Sku.__table__.c.tenant_id == uow.tenant_id,
                                                                    Sku.__table__.c.code == sku)).scalar_one()
        return int(uow.conn.execute(select(func.coalesce(func.sum(level.c.on_hand), 0)).where(
            level.c.tenant_id == uow.tenant_id, level.c.sku_id == sku_id)).scalar_one())


def total(shop: Shop, lines: dict[str, int]) -> Decimal:
    return sum((shop.prices[sku] * quantity for sku, quantity in lines.items()), Decimal(0))


def commerce_on(ctx: TenantCtx, world: World) -> Shop:
    """The selling side of shop_setup.build_shop (channel WEB with prices for SKU-001 and SKU-002, a German zone
    with one DHL method at 4.90, a card method and a bank transfer method) on a tenant whose warehouses, SKUs and
    stock exist already (tests/factories.build_world), e.g. the permission matrix's scene."""
    e, a = ctx.engine, ctx.actor
    channel_id = perform(e, a, create_channel, ChannelIn(code="WEB", name="Web shop", kind="storefront",
                                                         currency="EUR", prices_include_tax=True))
    price_list_id = perform(e, a, create_price_list, PriceListIn(name="Retail", channel="WEB"))
    prices = {sku: PRICES[sku] for sku in world.skus if sku in PRICES}
    for sku, price in prices.items():
        perform(e, a, set_sku_prices, price_list_id, SetSkuPrices(sku=sku, tiers=[TierIn(min_quantity=1,
                                                                                       unit_price=price)]))
    zone_id = perform(e, a, create_zone, ZoneIn(name="Germany", countries=["DE"]))
    perform(e, a, create_carrier, CarrierIn(code="DHL", name="DHL", tracking_url="https://track.example/{tracking}"))
    method_id = perform(e, a, create_method, MethodIn(carrier="DHL", code="DHL-STD", name="DHL Standard",
                                                      currency="EUR", transit_days=2))
    perform(e, a, set_rate_table, method_id, SetRateTable(zone_id=zone_id, basis="weight", bands=[
        BandIn(lower=Decimal(0), upper=None, price=SHIPPING_PRICE)]))
    card = perform(e, a, create_payment_method, PaymentMethodIn(name="Card", gateway="test", channel="WEB",
                                                                 settings={"outcome": "approve"}))
    bank = perform(e, a, create_payment_method, PaymentMethodIn(
        name="Bank transfer", gateway="manual_bank_transfer",
        settings={"account_holder": "Stockyard Parts GmbH", "iban": "DE89 3704 0044 0532 0130 00"}))
    return Shop(ctx, world, channel_id, "WEB", "", "EUR", price_list_id, zone_id, method_id, card, bank, prices)


def order_in_state(shop: Shop, state: str) -> tuple[str, int]:
    """An order of one unit of SKU-001 in `state` (allocated, on_hold, awaiting_payment, partially_allocated,
    shipped, delivered, invoiced), moved there through the services; returns its number and its line's id."""
    e, a = shop.ctx.engine, shop.ctx.actor
    if state in ("awaiting_payment", "partially_allocated"):
        placed = phone_order(shop, {"SKU-001": 1 if state == "awaiting_payment" else 999})
        number, order_id = placed.number, placed.order_id
        if state == "partially_allocated":
            perform(e, a, orders.mark_paid, order_id, "SCENE-1")
    else:
        placed_card = checkout_order(shop, {"SKU-001": 1})
        number, order_id = placed_card.number, placed_card.order_id
        steps = {"on_hold": [(orders.hold_order, "scene")], "shipped": [(orders.ship_order,)],
                 "delivered": [(orders.ship_order,), (orders.mark_delivered,)],
                 "invoiced": [(orders.ship_order,), (orders.mark_delivered,), (orders.invoice_order,)]}
        for service, *args in steps.get(state, []):
            perform(e, a, service, order_id, *args)
    found = detail(shop, order_id)
    assert found.status == state, f"wanted {state}, got {found.status}"
    return number, found.lines[0].id
