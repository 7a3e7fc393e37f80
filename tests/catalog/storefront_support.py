"""A small shop for the storefront tests, built through the real services: warehouses MAIN and NORTH, a "web"
channel with a price list, brands, a category tree, attributes, stock and equivalents."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from stockyard.catalog import attributes, pricing, relations
from stockyard.catalog.domain import gs1_check_digit
from stockyard.catalog.models import Category, Sku
from stockyard.catalog.services import CreateProduct, create_product
from stockyard.catalog.storefront_queries import Shop
from stockyard.core.uow import UnitOfWork, perform
from stockyard.sales.channels import ChannelIn, create_channel
from stockyard.sales.models import Channel
from tests.conftest import TenantCtx
from tests.factories import build_world, receive


@dataclass
class ShopWorld:
    ctx: TenantCtx
    shop: Shop
    price_list_id: int
    skus: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    attributes: dict[str, int] = field(default_factory=dict)


# code, name, brand, category, part number, barcode (without its check digit), price, stock in MAIN/A/01
CATALOG = (
    ("BRM-P85020", "Brake pad set, front", "Brembo", "Brakes/Pads", "5Q0698151B", "802058400001", "42.50", 12),
    ("BOS-0986494", "Brake pad set, front", "Bosch", "Brakes/Pads", "5Q0698151B", "404702400001", "39.90", 0),
    ("TRW-GDB1550", "Brake pad set, rear", "TRW", "Brakes/Pads", "1K0698451", "332293700001", "29.00", 3),
    ("BRM-09A82711", "Brake disc, front, vented, 312 mm", "Brembo", "Brakes/Discs", "5Q0615301F",
     "802058400002", "85.00", 6),
    ("MANN-W712-75", "Oil filter", "Mann-Filter", "Filters/Oil", "03C115561H", "401155800001", "9.80", 40),
    ("BOS-F026407", "Oil filter, cartridge", "Bosch", "Filters/Oil", "06L115562B", "404702400002", "12.40", 0),
)


def ean13(first12: str) -> str:
    return first12 + str(gs1_check_digit(first12))


def _channel(ctx: TenantCtx, domain: str | None) -> Shop:
    with ctx.uow() as uow:
        channel_id = create_channel(uow, ChannelIn(code="web", name=f"Parts shop {ctx.slug}", currency="EUR"))
        if domain is not None:
            uow.execute(update(Channel).where(Channel.id == channel_id).values(domain=domain))
    return Shop(ctx.tenant_id, channel_id, "web", f"Parts shop {ctx.slug}", "EUR", True)


def set_backorderable(ctx: TenantCtx, code: str) -> None:
    """No staff form sets the flag yet; the tests set it directly."""
    with ctx.uow() as uow:
        uow.execute(update(Sku).where(Sku.code == code).values(backorderable=True))


def build_shop(ctx: TenantCtx, domain: str | None = None) -> ShopWorld:
    build_world(ctx, skus=0)
    shop = _channel(ctx, domain)
    e, a = ctx.engine, ctx.actor
    list_id = perform(e, a, pricing.create_price_list, pricing.PriceListIn(name="Retail", channel="web"))
    world = ShopWorld(ctx, shop, list_id)
    for code, name, brand, category, part, barcode, price, stock in CATALOG:
        perform(e, a, create_product, CreateProduct(
            name=name, brand=brand, category=category, part_number=part,
            description=f"{brand} {name.lower()} for the VW Golf VII.",
            skus=[{"code": code, "barcodes": [{"code": ean13(barcode), "kind": "ean13"}]}]))
        perform(e, a, pricing.set_sku_prices, list_id, pricing.SetSkuPrices(
            sku=code, tiers=[{"min_quantity": 1, "unit_price": Decimal(price)},
                             {"min_quantity": 10, "unit_price": Decimal(price) * Decimal("0.9")}]))
        if stock:
            receive(ctx, code, "MAIN/A/01", stock)
    with UnitOfWork(e, a) as uow:
        world.skus = {code: sku_id for code, sku_id in uow.execute(select(Sku.code, Sku.id))}
        world.categories = {name: cid for cid, name in uow.execute(select(Category.id, Category.name))}
    world.attributes["Position"] = perform(e, a, attributes.define_attribute, attributes.AttributeIn(
        name="Position", type="choice", choices="front\nrear"))
    world.attributes["Diameter"] = perform(e, a, attributes.define_attribute, attributes.AttributeIn(
        name="Diameter", type="number", unit="mm"))
    for code, position in (("BRM-P85020", "front"), ("BOS-0986494", "front"), ("TRW-GDB1550", "rear"),
                           ("BRM-09A82711", "front")):
        values = {world.attributes["Position"]: position}
        if code == "BRM-09A82711":
            values[world.attributes["Diameter"]] = "312"
        perform(e, a, attributes.set_sku_attributes, world.skus[code], values)
    perform(e, a, relations.add_equivalent, world.skus["BOS-0986494"], "BRM-P85020")
    perform(e, a, relations.set_replacement, world.skus["BOS-F026407"],
            relations.SetReplacement(replaced_by="MANN-W712-75", effective_on=date(2024, 1, 1)))
    return world


def add_unpriced(ctx: TenantCtx, code: str) -> None:
    """A SKU that no price list of the channel prices: not part of the shop's assortment."""
    perform(ctx.engine, ctx.actor, create_product, CreateProduct(name="Unpriced part", brand="Bosch",
                                                                 category="Brakes/Pads", skus=[{"code": code}]))
