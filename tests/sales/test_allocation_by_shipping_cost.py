"""A channel allocating by cheapest shipping prices each warehouse's parcels with the rate engine, from that warehouse
as origin, and allocates where shipping costs least (on both backends, through checkout)."""

from decimal import Decimal

from sqlalchemy import select

from stockyard.core.uow import perform
from stockyard.fulfilment.config import BandIn, MethodIn, SetRateTable, create_method, set_rate_table
from stockyard.inventory.models import StockLevel
from stockyard.sales.channels import ChannelIn, update_channel
from tests.conftest import TenantCtx
from tests.factories import receive
from tests.sales.order_fixtures import checkout_order, detail
from tests.sales.shop_setup import Shop, build_shop


def _cheapest_shipping_shop(tenant: TenantCtx, stock: dict[str, int] | None = None) -> Shop:
    """The shop of shop_setup (DHL Standard 4.90 from any warehouse) with the channel allocating by cheapest
    shipping, and a cheaper method the buyers do not choose: allocation prices with the order's method."""
    shop = build_shop(tenant, stock=stock)
    e, a = tenant.engine, tenant.actor
    perform(e, a, update_channel, shop.channel_id, ChannelIn(
        code=shop.channel_code, name="Web shop", currency="EUR", domain=shop.domain, tax_rate=Decimal("0.19"),
        allocation_strategy="cheapest_shipping"))
    cheap = perform(e, a, create_method, MethodIn(carrier="DHL", code="DHL-CHEAP", name="DHL Cheap", currency="EUR"))
    perform(e, a, set_rate_table, cheap, SetRateTable(zone_id=shop.zone_id, basis="weight", bands=[
        BandIn(lower=Decimal(0), upper=None, price=Decimal("1.00"))]))
    return shop


def _rates_from(shop: Shop, origin: int, basis: str, *bands: tuple[int, int | None, str]) -> None:
    """DHL Standard's rates to Germany for parcels leaving `origin`."""
    perform(shop.ctx.engine, shop.ctx.actor, set_rate_table, shop.method_id, SetRateTable(
        zone_id=shop.zone_id, basis=basis, origin_warehouse_id=origin,  # type: ignore[arg-type]
        bands=[BandIn(lower=Decimal(lo), upper=None if hi is None else Decimal(hi), price=Decimal(price))
               for lo, hi, price in bands]))


def _reserved(shop: Shop, warehouse_id: int) -> int:
    levels = StockLevel.__table__
    with shop.ctx.uow() as uow:
        return sum(uow.conn.execute(select(levels.c.reserved).where(levels.c.tenant_id == uow.tenant_id,
                                                                      levels.c.warehouse_id == warehouse_id)).scalars())


def test_the_order_is_allocated_where_its_parcel_ships_cheapest(tenant: TenantCtx) -> None:
    shop = _cheapest_shipping_shop(tenant)
    _rates_from(shop, shop.world.main, "weight", (0, None, "6.90"))
    _rates_from(shop, shop.world.north, "weight", (0, None, "4.90"))
    receive(tenant, "SKU-001", "NORTH/B/01", 5)
    placed = checkout_order(shop, {"SKU-001": 2})  # the cart held the units in MAIN, first by priority
    order = detail(shop, placed.number)
    assert order.status == "allocated"
    assert [(a.warehouse_code, a.quantity, a.state) for a in order.allocations] == [("NORTH", 2, "allocated")]
    assert order.allocations[0].reason == \
        "cheapest shipping by DHL Standard: from NORTH 4.90 EUR vs MAIN 6.90 EUR"
    assert (_reserved(shop, shop.world.main), _reserved(shop, shop.world.north)) == (0, 2)


def test_a_split_that_costs_more_loses_to_one_parcel_from_the_farther_warehouse(tenant: TenantCtx) -> None:
    # MAIN (first by priority, cheap to ship from) has only SKU-001; NORTH has both SKUs and ships dearer.
    shop = _cheapest_shipping_shop(tenant, stock={"SKU-001": 5})
    _rates_from(shop, shop.world.main, "weight", (0, None, "1.50"))
    _rates_from(shop, shop.world.north, "weight", (0, None, "6.90"))
    receive(tenant, "SKU-001", "NORTH/B/01", 5)
    receive(tenant, "SKU-002", "NORTH/B/01", 3)
    placed = checkout_order(shop, {"SKU-001": 1, "SKU-002": 1})
    order = detail(shop, placed.number)
    assert order.status == "allocated"
    assert sorted((a.sku_code, a.warehouse_code) for a in order.allocations) == [("SKU-001", "NORTH"),
                                                                                ("SKU-002", "NORTH")]
    assert order.allocations[0].reason == \
        "cheapest shipping by DHL Standard: from NORTH 6.90 EUR vs MAIN + NORTH 8.40 EUR"
    assert (_reserved(shop, shop.world.main), _reserved(shop, shop.world.north)) == (0, 2)


def test_a_split_is_taken_when_it_ships_for_less_than_one_parcel(tenant: TenantCtx) -> None:
    # MAIN has everything but charges 15.00 from the third item on; NORTH has SKU-001 and charges 4.00 a parcel.
    shop = _cheapest_shipping_shop(tenant)
    _rates_from(shop, shop.world.main, "item_count", (1, 3, "3.00"), (3, None, "15.00"))
    _rates_from(shop, shop.world.north, "item_count", (1, None, "4.00"))
    receive(tenant, "SKU-001", "NORTH/B/01", 5)
    placed = checkout_order(shop, {"SKU-001": 2, "SKU-002": 1})
    order = detail(shop, placed.number)
    assert order.status == "allocated"
    assert sorted((a.sku_code, a.warehouse_code, a.quantity) for a in order.allocations) == [
        ("SKU-001", "NORTH", 2), ("SKU-002", "MAIN", 1)]
    assert order.allocations[0].reason == \
        "cheapest shipping by DHL Standard: from MAIN + NORTH 7.00 EUR vs MAIN 15.00 EUR"
    assert (_reserved(shop, shop.world.main), _reserved(shop, shop.world.north)) == (1, 2)


def test_checkout_quotes_shipping_from_the_warehouse_holding_the_cart(tenant: TenantCtx) -> None:
    from stockyard.core.uow import read
    from stockyard.sales import checkout
    from tests.sales.test_checkout import cart_with

    shop = build_shop(tenant, stock={"SKU-001": 5})  # SKU-002 only in NORTH
    _rates_from(shop, shop.world.north, "weight", (0, None, "3.50"))
    receive(tenant, "SKU-002", "NORTH/B/01", 2)
    held_in_north = cart_with(shop, SKU_002=1)
    held_in_main = cart_with(shop, SKU_001=1)
    quoted = {token: {o.code: o.cost for o in read(tenant.engine, shop.actor, checkout.shipping_options, token,
                                                    shop.address())}
              for token in (held_in_north, held_in_main)}
    assert quoted[held_in_north]["DHL-STD"] == Decimal("3.50")
    assert quoted[held_in_main]["DHL-STD"] == Decimal("4.90")
