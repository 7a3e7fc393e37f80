"""Storefront listings: facets counted with the other filters applied, price range from the channel's price list,
in stock only from ATP, category subtrees, sorting and paging, stock labels, the product page (both backends)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from stockyard.catalog import pricing
from stockyard.catalog.storefront_queries import (
    AttributeFilter,
    Browse,
    Filters,
    Listing,
    browse,
    product_page,
    stock_label,
)
from stockyard.core.errors import NotFound, PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.inventory import reservations
from stockyard.inventory.min_stock import set_min_stock_rule
from stockyard.web.storefront.context import shop_actor
from tests.catalog.storefront_support import ShopWorld, add_unpriced, build_shop, set_backorderable
from tests.conftest import TenantCtx, new_tenant


@pytest.fixture
def world(tenant: TenantCtx) -> ShopWorld:
    return build_shop(tenant)


def listed(world: ShopWorld, **kw: object) -> Listing:
    filters = kw.pop("filters", Filters())
    query = Browse(world.shop, filters, **kw)  # type: ignore[arg-type]
    return read(world.ctx.engine, shop_actor(world.shop), browse, query)


def codes(listing: Listing) -> list[str]:
    return [h.code for h in listing.hits]


def counts(values: list) -> dict[str, int]:  # type: ignore[type-arg]
    return {v.label: v.count for v in values}


def test_a_category_includes_its_subcategories_and_counts_them(world: ShopWorld) -> None:
    brakes = listed(world, filters=Filters(category_id=world.categories["Brakes"]))
    assert sorted(codes(brakes)) == ["BOS-0986494", "BRM-09A82711", "BRM-P85020", "TRW-GDB1550"]
    assert brakes.total == 4
    assert counts(brakes.facets.categories) == {"Pads": 3, "Discs": 1}
    assert [c.name for c in brakes.trail] == ["Brakes"]
    pads = listed(world, filters=Filters(category_id=world.categories["Pads"]))
    assert sorted(codes(pads)) == ["BOS-0986494", "BRM-P85020", "TRW-GDB1550"]
    assert [c.name for c in pads.trail] == ["Brakes", "Pads"]
    everything = listed(world)
    assert everything.total == 6
    assert counts(everything.facets.categories) == {"Brakes": 4, "Filters": 2}


def test_brand_facet_counts_ignore_the_brand_filter_but_apply_the_others(world: ShopWorld) -> None:
    brembo = next(b for b in listed(world).facets.brands if b.label == "Brembo")
    scope = world.categories["Brakes"]
    found = listed(world, filters=Filters(category_id=scope, brand_ids=(int(brembo.key),)))
    assert sorted(codes(found)) == ["BRM-09A82711", "BRM-P85020"]
    assert counts(found.facets.brands) == {"Bosch": 1, "Brembo": 2, "TRW": 1}
    assert [b.label for b in found.facets.brands if b.selected] == ["Brembo"]
    position = next(a for a in found.facets.attributes if a.name == "Position")
    assert counts(position.values) == {"front": 2}  # the brand filter applies to the other facets
    in_stock = listed(world, filters=Filters(category_id=scope, in_stock=True))
    assert counts(in_stock.facets.brands) == {"Brembo": 2, "TRW": 1}  # Bosch's pads are out of stock


def test_attribute_filters_choice_values_and_number_ranges(world: ShopWorld) -> None:
    position, diameter = world.attributes["Position"], world.attributes["Diameter"]
    rear = listed(world, filters=Filters(attributes=(AttributeFilter(position, ("rear",)),)))
    assert codes(rear) == ["TRW-GDB1550"]
    facet = next(a for a in rear.facets.attributes if a.attribute_id == position)
    assert counts(facet.values) == {"front": 3, "rear": 1}  # its own filter does not narrow it
    assert [v.label for v in facet.values if v.selected] == ["rear"]
    assert counts(rear.facets.brands) == {"TRW": 1}
    wide = listed(world, filters=Filters(attributes=(AttributeFilter(diameter, low=Decimal(300), high=Decimal(320)),)))
    assert codes(wide) == ["BRM-09A82711"]
    size = next(a for a in wide.facets.attributes if a.attribute_id == diameter)
    assert (size.type, size.unit, size.low, size.high) == ("number", "mm", Decimal(312), Decimal(312))
    assert listed(world, filters=Filters(attributes=(AttributeFilter(diameter, low=Decimal(313)),))).total == 0


def test_price_range_uses_the_listing_price_and_its_facet_ignores_it(world: ShopWorld) -> None:
    found = listed(world, filters=Filters(category_id=world.categories["Brakes"], price_min=Decimal(30),
                                          price_max=Decimal("42.50")))
    assert sorted(codes(found)) == ["BOS-0986494", "BRM-P85020"]
    assert (found.facets.price_low, found.facets.price_high) == (Decimal("29.00"), Decimal("85.00"))
    assert {h.code: h.price for h in found.hits} == {"BOS-0986494": Decimal("39.90"), "BRM-P85020": Decimal("42.50")}
    with pytest.raises(ValidationFailed) as error:
        listed(world, filters=Filters(price_min=Decimal(50), price_max=Decimal(10)))
    assert error.value.field == "price_min"


def test_the_price_comes_from_the_list_that_applies_today(world: ShopWorld) -> None:
    e, a = world.ctx.engine, world.ctx.actor
    today = date.today()
    future = perform(e, a, pricing.create_price_list, pricing.PriceListIn(
        name="Next year", channel="web", priority=10, valid_from=today + timedelta(days=300)))
    promo = perform(e, a, pricing.create_price_list, pricing.PriceListIn(
        name="Promotion", channel="web", priority=5, valid_from=today - timedelta(days=1),
        valid_to=today + timedelta(days=1)))
    ended = perform(e, a, pricing.create_price_list, pricing.PriceListIn(
        name="Ended", channel="web", priority=20, valid_to=today - timedelta(days=1)))
    for list_id, price in ((future, "1.00"), (promo, "33.33"), (ended, "2.00")):
        perform(e, a, pricing.set_sku_prices, list_id, pricing.SetSkuPrices(
            sku="BRM-P85020", tiers=[{"min_quantity": 1, "unit_price": Decimal(price)}]))
    hit = next(h for h in listed(world).hits if h.code == "BRM-P85020")
    assert hit.price == Decimal("33.33")
    page = read(e, shop_actor(world.shop), product_page, world.shop, "BRM-P85020", 5)
    assert page.item.price == Decimal("33.33")


def test_only_skus_priced_by_the_channel_are_listed(world: ShopWorld) -> None:
    add_unpriced(world.ctx, "NOPRICE-1")
    assert "NOPRICE-1" not in codes(listed(world, per_page=100))
    with pytest.raises(NotFound):
        read(world.ctx.engine, shop_actor(world.shop), product_page, world.shop, "NOPRICE-1", 5)


def test_in_stock_only_follows_atp_with_reservations_and_safety_stock(world: ShopWorld) -> None:
    scope = world.categories["Brakes"]
    found = listed(world, filters=Filters(category_id=scope, in_stock=True))
    assert sorted(codes(found)) == ["BRM-09A82711", "BRM-P85020", "TRW-GDB1550"]
    e, a = world.ctx.engine, world.ctx.actor
    perform(e, a, reservations.reserve_stock, reservations.ReserveStock(sku="BRM-P85020", quantity=12))
    perform(e, a, set_min_stock_rule, sku="TRW-GDB1550", warehouse="MAIN", minimum=5, safety_stock=3)
    found = listed(world, filters=Filters(category_id=scope, in_stock=True))
    assert codes(found) == ["BRM-09A82711"]
    assert found.facets.in_stock == 1
    everything = {h.code: h for h in listed(world, filters=Filters(category_id=scope)).hits}
    assert everything["BRM-P85020"].atp == 0 and everything["BRM-P85020"].stock.text == "Out of stock"
    assert everything["TRW-GDB1550"].atp == 0


def test_stock_labels_on_the_listing(world: ShopWorld) -> None:
    set_backorderable(world.ctx, "BOS-F026407")
    labels = {h.code: h.stock.text for h in listed(world, per_page=50).hits}
    assert labels == {"BRM-P85020": "In stock", "BOS-0986494": "Out of stock", "TRW-GDB1550": "Only 3 left",
                      "BRM-09A82711": "In stock", "MANN-W712-75": "In stock",
                      "BOS-F026407": "Backorderable"}
    assert {h.code: h.stock.text for h in listed(world, low_stock=6).hits}["BRM-09A82711"] == "Only 6 left"


@pytest.mark.parametrize(("atp", "backorderable", "text"), [
    (6, False, "In stock"), (5, False, "Only 5 left"), (1, True, "Only 1 left"), (0, True, "Backorderable"),
    (0, False, "Out of stock"),
])
def test_stock_label_thresholds(atp: int, backorderable: bool, text: str) -> None:
    assert stock_label(atp, backorderable, 5).text == text


def test_sorting_and_paging(world: ShopWorld) -> None:
    by_price = codes(listed(world, sort="price_asc", per_page=50))
    assert by_price == ["MANN-W712-75", "BOS-F026407", "TRW-GDB1550", "BOS-0986494", "BRM-P85020", "BRM-09A82711"]
    assert codes(listed(world, sort="price_desc", per_page=50)) == list(reversed(by_price))
    assert codes(listed(world, sort="newest", per_page=50))[0] == "BOS-F026407"  # created last
    by_name = codes(listed(world, sort="name", per_page=50))
    # "Brake disc" < "Brake pad set, front"; equal names keep the order they were added in
    assert by_name[:3] == ["BRM-09A82711", "BRM-P85020", "BOS-0986494"]
    pages = [listed(world, sort="price_asc", per_page=4, page=n) for n in (1, 2, 3)]
    assert [codes(p) for p in pages] == [by_price[:4], by_price[4:], []]
    assert pages[0].total == 6 and pages[0].pages == 2
    with pytest.raises(ValidationFailed):
        listed(world, sort="cheapest")
    with pytest.raises(ValidationFailed):
        listed(world, per_page=1000)


def test_unknown_category_and_permission(world: ShopWorld) -> None:
    with pytest.raises(NotFound):
        listed(world, filters=Filters(category_id=987654))
    nobody = shop_actor(world.shop).__class__(world.ctx.tenant_id, None, "nobody")
    with pytest.raises(PermissionDenied):
        read(world.ctx.engine, nobody, browse, Browse(world.shop))


def test_a_shop_lists_only_its_own_tenants_items(world: ShopWorld, engine) -> None:  # noqa: ANN001
    other = build_shop(new_tenant(engine))  # the same SKU codes in another tenant
    mine = {h.sku_id for h in listed(world, per_page=50).hits}
    theirs = {h.sku_id for h in listed(other, per_page=50).hits}
    assert mine == set(world.skus.values()) and theirs == set(other.skus.values())
    assert not mine & theirs
    with pytest.raises(ValidationFailed):  # a shop queried as another tenant's actor
        read(engine, shop_actor(world.shop), browse, Browse(other.shop))


def test_product_page(world: ShopWorld) -> None:
    actor = shop_actor(world.shop)
    page = read(world.ctx.engine, actor, product_page, world.shop, "BOS-0986494", 5)
    assert page.item.stock.text == "Out of stock"
    assert [e.code for e in page.equivalents] == ["BRM-P85020"]
    assert page.in_stock_equivalent is not None and page.in_stock_equivalent.code == "BRM-P85020"
    assert [(t.min_quantity, t.unit_price) for t in page.tiers] == [(1, Decimal("39.9000")), (10, Decimal("35.9100"))]
    assert page.attributes == [{"name": "Position", "value": "front"}]
    assert [c.name for c in page.trail] == ["Brakes", "Pads"]
    pads = read(world.ctx.engine, actor, product_page, world.shop, "BRM-P85020", 5)
    assert pads.in_stock_equivalent is None  # in stock itself
    assert [(o.warehouse, o.atp) for o in pads.offers] == [("Main", 12)]
    old = read(world.ctx.engine, actor, product_page, world.shop, "BOS-F026407", 5)
    assert old.replaced_by is not None and old.replaced_by["code"] == "MANN-W712-75" and old.replaced_by["in_effect"]
    new = read(world.ctx.engine, actor, product_page, world.shop, "MANN-W712-75", 5)
    assert [r.code for r in new.replaces] == ["BOS-F026407"]
    with pytest.raises(NotFound):
        read(world.ctx.engine, actor, product_page, world.shop, "NOPE-1", 5)
