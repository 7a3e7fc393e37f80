"""A ready-to-sell shop for storefront, checkout and order tests, built through the real configuration services:
the warehouses and SKUs of tests/factories.build_world with stock, a storefront channel answering on its own domain,
a price list, a German shipping zone with one carrier, method and rate table, a test-gateway card method and a
manual bank transfer method.

    shop = build_shop(tenant)            # SKU-001 at 10.00 (5 in stock), SKU-002 at 25.00 (3 in stock)
    shop.actor                           # a storefront visitor of this shop (identity.domain.STOREFRONT)
    shop.address()                       # an address inside the zone
"""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from stockyard.billing.config import PaymentMethodIn, create_payment_method
from stockyard.catalog.pricing import PriceListIn, SetSkuPrices, TierIn, create_price_list, set_sku_prices
from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.uow import perform
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
from stockyard.identity.domain import STOREFRONT
from stockyard.sales.channels import ChannelIn, create_channel
from stockyard.sales.checkout import AddressIn
from stockyard.sales.models import Channel
from tests.conftest import TenantCtx
from tests.factories import World, build_world, receive

SHIPPING_PRICE = Decimal("4.90")
PRICES = {"SKU-001": Decimal("10.00"), "SKU-002": Decimal("25.00"), "SKU-003": Decimal("7.50")}
STOCK = {"SKU-001": 5, "SKU-002": 3, "SKU-003": 0}
APPROVE_CARD = "4242 4242 4242 4242"
DECLINE_CARD = "4000 0000 0000 0002"
CONFIRM_CARD = "4000 0000 0000 3220"
TIMEOUT_CARD = "4000 0000 0000 0119"


@dataclass
class Shop:
    ctx: TenantCtx
    world: World
    channel_id: int
    channel_code: str
    domain: str
    currency: str
    price_list_id: int
    zone_id: int
    method_id: int
    card_method_id: int
    bank_method_id: int
    prices: dict[str, Decimal] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        """A storefront visitor: the permissions identity.domain.STOREFRONT grants, in this tenant."""
        return Actor(tenant_id=self.ctx.tenant_id, user_id=None, name="storefront", permissions=STOREFRONT)

    @staticmethod
    def address(**changes: Any) -> AddressIn:
        values = {"name": "Erika Mustermann", "line1": "Hafenstraße 1", "city": "Hamburg", "postcode": "20095",
                  "country": "DE"}
        return AddressIn(**{**values, **changes})

    @staticmethod
    def card(number: str = APPROVE_CARD) -> dict[str, Any]:
        return {"number": number, "exp_month": 12, "exp_year": utcnow().year + 3, "cvc": "123",
                "holder": "E Mustermann"}


def build_shop(ctx: TenantCtx, *, hold_minutes: int = 15, tax_rate: Decimal = Decimal("0.19"),
               stock: dict[str, int] | None = None, test_gateway_settings: dict[str, str] | None = None) -> Shop:
    stock = STOCK if stock is None else stock
    world = build_world(ctx, skus=3)
    e, a = ctx.engine, ctx.actor
    for code, quantity in stock.items():
        if quantity:
            receive(ctx, code, "MAIN/A/01", quantity, unit_cost=Decimal("4.00"))
    code = "WEB"
    channel_id = perform(e, a, create_channel, ChannelIn(code=code, name="Web shop", kind="storefront",
                                                         currency="EUR", prices_include_tax=True))
    # The storefront settings have no admin form yet; set them as an administrator would in the database.
    domain = f"{ctx.slug}-{uuid.uuid4().hex[:6]}.shop.test"
    with ctx.uow() as uow:
        uow.conn.execute(update(Channel.__table__).where(Channel.__table__.c.id == channel_id).values(
            domain=domain, hold_minutes=hold_minutes, tax_rate=tax_rate))
    price_list_id = perform(e, a, create_price_list, PriceListIn(name="Retail", channel=code))
    for sku, price in PRICES.items():
        perform(e, a, set_sku_prices, price_list_id, SetSkuPrices(sku=sku, tiers=[TierIn(min_quantity=1,
                                                                                       unit_price=price)]))
    zone_id = perform(e, a, create_zone, ZoneIn(name="Germany", countries=["DE"]))
    perform(e, a, create_carrier, CarrierIn(code="DHL", name="DHL",
                                            tracking_url="https://track.example/{tracking}"))
    method_id = perform(e, a, create_method, MethodIn(carrier="DHL", code="DHL-STD", name="DHL Standard",
                                                      currency="EUR", transit_days=2))
    perform(e, a, set_rate_table, method_id, SetRateTable(zone_id=zone_id, basis="weight", bands=[
        BandIn(lower=Decimal(0), upper=None, price=SHIPPING_PRICE)]))
    card_method_id = perform(e, a, create_payment_method, PaymentMethodIn(
        name="Card", gateway="test", channel=code, position=1,
        settings={"outcome": "approve", "timeout_seconds": "0.05", **(test_gateway_settings or {})}))
    bank_method_id = perform(e, a, create_payment_method, PaymentMethodIn(
        name="Bank transfer", gateway="manual_bank_transfer", position=2,
        settings={"account_holder": "Stockyard Parts GmbH", "iban": "DE89 3704 0044 0532 0130 00"}))
    return Shop(ctx, world, channel_id, code, domain, "EUR", price_list_id, zone_id, method_id, card_method_id,
                bank_method_id, dict(PRICES))
