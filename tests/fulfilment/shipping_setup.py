"""A real shipping configuration built through the configuration services, and SKUs with weights and sizes."""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from stockyard.catalog.models import Sku
from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.uow import perform
from stockyard.fulfilment import config
from tests.conftest import TenantCtx
from tests.factories import World, build_world


@dataclass
class Shipping:
    world: World
    germany: int = 0
    islands: int = 0
    standard: int = 0
    express: int = 0
    swiss: int = 0
    skus: dict[str, int] = field(default_factory=dict)


def bands(*rows: tuple[str, str | None, str]) -> list[config.BandIn]:
    return [config.BandIn(lower=Decimal(lo), upper=None if hi is None else Decimal(hi), price=Decimal(price))
            for lo, hi, price in rows]


def configure(ctx: TenantCtx) -> Shipping:
    """Zones Germany and German islands (tried first); carrier DHL with Standard (EUR, weight bands, remote-area
    and oversize surcharges, free from 100.00 in Germany) and Express (EUR, item-count bands, 1 transit day); a
    CHF method for Switzerland only. SKUs: LIGHT (300 g, 100×100×50 mm), BULKY (1,800 g, 400×300×100 mm), POLE
    (2,000 g, 1,500×50×50 mm)."""
    world = build_world(ctx, skus=0)
    e, a = ctx.engine, ctx.actor
    s = Shipping(world)
    s.germany = perform(e, a, config.create_zone, config.ZoneIn(name="Germany", countries=["DE"], position=10))
    s.islands = perform(e, a, config.create_zone, config.ZoneIn(name="German islands", countries=["DE"],
                                                                postcode_patterns=["18565", "25938-25999"]))
    swiss = perform(e, a, config.create_zone, config.ZoneIn(name="Switzerland", countries=["CH"]))
    perform(e, a, config.create_carrier, config.CarrierIn(code="dhl", name="DHL"))
    s.standard = perform(e, a, config.create_method, config.MethodIn(
        carrier="dhl", code="STD", name="Standard", currency="EUR", remote_area_surcharge=Decimal("4"),
        remote_area_patterns=["259*"], oversize_surcharge=Decimal("15"), oversize_length_mm=1200, transit_days=2))
    s.express = perform(e, a, config.create_method, config.MethodIn(
        carrier="dhl", code="EXP", name="Express", currency="EUR", transit_days=1))
    s.swiss = perform(e, a, config.create_method, config.MethodIn(carrier="dhl", code="CH", name="Swiss Post",
                                                                  currency="CHF"))
    weight = bands(("0", "2000", "4.90"), ("2000", "5000", "6.90"), ("5000", "31500", "12.90"))
    for zone in (s.germany, s.islands):
        perform(e, a, config.set_rate_table, s.standard, config.SetRateTable(zone_id=zone, basis="weight",
                                                                             bands=weight))
    perform(e, a, config.set_rate_table, s.express, config.SetRateTable(
        zone_id=s.germany, basis="item_count", bands=bands(("1", "5", "14.50"), ("5", None, "19.50"))))
    perform(e, a, config.set_rate_table, s.swiss, config.SetRateTable(zone_id=swiss, basis="weight",
                                                                      bands=bands(("0", None, "9"))))
    perform(e, a, config.set_free_shipping, s.standard, config.SetFreeShipping(zone_id=s.germany,
                                                                              threshold=Decimal("100")))
    for code, weight_g, dims in [("LIGHT", 300, (100, 100, 50)), ("BULKY", 1800, (400, 300, 100)),
                                 ("POLE", 2000, (1500, 50, 50))]:
        perform(e, a, create_product, CreateProduct(name=code.title(), skus=[{
            "code": code, "weight_g": weight_g, "length_mm": dims[0], "width_mm": dims[1], "height_mm": dims[2]}]))
    with ctx.uow() as uow:
        s.skus = {code: sku_id for code, sku_id in uow.execute(select(Sku.code, Sku.id))}
    return s
