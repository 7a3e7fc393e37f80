"""Storefront search: exact SKU, barcode and part-number hits first; codes with or without separators; words of
names and descriptions by prefix; typo tolerance on PostgreSQL; the index follows catalog edits (triggers)."""

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from stockyard.catalog import pricing
from stockyard.catalog.models import Brand, Product, Sku
from stockyard.catalog.search import SearchQuery, SearchResult, search_products, terms
from stockyard.catalog.services import CreateProduct, add_barcode, create_product
from stockyard.catalog.storefront_queries import Filters
from stockyard.core.uow import perform, read
from stockyard.web.storefront.context import shop_actor
from tests.catalog.storefront_support import ShopWorld, build_shop, ean13
from tests.conftest import TenantCtx, new_tenant


@pytest.fixture
def world(tenant: TenantCtx) -> ShopWorld:
    return build_shop(tenant)


def found(world: ShopWorld, q: str, **kw: object) -> SearchResult:
    return read(world.ctx.engine, shop_actor(world.shop), search_products, SearchQuery(world.shop, q, **kw))  # type: ignore[arg-type]


def codes(result: SearchResult) -> list[str]:
    return [h.code for h in result.hits]


def add_priced(world: ShopWorld, code: str, name: str, description: str, brand: str = "Febi",
               barcode: str | None = None) -> None:
    sku: dict[str, object] = {"code": code}
    if barcode:
        sku["barcodes"] = [{"code": barcode, "kind": "ean13"}]
    perform(world.ctx.engine, world.ctx.actor, create_product, CreateProduct(
        name=name, description=description, brand=brand, category="Brakes/Pads", skus=[sku]))
    perform(world.ctx.engine, world.ctx.actor, pricing.set_sku_prices, world.price_list_id,
            pricing.SetSkuPrices(sku=code, tiers=[{"min_quantity": 1, "unit_price": Decimal("10")}]))


def test_an_exact_sku_code_ranks_first(world: ShopWorld) -> None:
    # A part whose name and description repeat the code many times must still rank below the exact SKU.
    add_priced(world, "FEB-16000", "Brake pad set BRM-P85020 BRM-P85020 compatible",
               "Replaces BRM-P85020. Same as BRM-P85020, BRM-P85020.")
    result = found(world, "BRM-P85020")
    assert codes(result)[0] == "BRM-P85020"
    assert "FEB-16000" in codes(result)
    assert codes(found(world, "brm-p85020"))[0] == "BRM-P85020"  # case does not matter


def test_an_exact_barcode_ranks_first(world: ShopWorld) -> None:
    barcode = ean13("404702400002")  # the barcode of BOS-F026407
    add_priced(world, "FEB-16001", f"Oil filter {barcode}", f"Cross reference {barcode} {barcode}")
    assert codes(found(world, barcode))[0] == "BOS-F026407"


def test_an_exact_part_number_ranks_first_for_every_sku_that_has_it(world: ShopWorld) -> None:
    add_priced(world, "FEB-16002", "Brake pad set 5Q0698151B", "For OEM 5Q0698151B and 5Q0698151B.")
    result = codes(found(world, "5Q0698151B"))
    assert sorted(result[:2]) == ["BOS-0986494", "BRM-P85020"]
    assert "FEB-16002" in result[2:]


def test_codes_without_separators_and_by_prefix(world: ShopWorld) -> None:
    assert codes(found(world, "BRMP85020")) == ["BRM-P85020"]
    assert codes(found(world, "brm p85020"))[0] == "BRM-P85020"
    assert codes(found(world, "BRMP850")) == ["BRM-P85020"]  # the start of a code
    assert "MANN-W712-75" in codes(found(world, "W712/75"))


def test_words_of_names_and_descriptions_by_prefix(world: ShopWorld) -> None:
    assert sorted(codes(found(world, "brake pad"))) == ["BOS-0986494", "BRM-P85020", "TRW-GDB1550"]
    assert sorted(codes(found(world, "brak pa"))) == ["BOS-0986494", "BRM-P85020", "TRW-GDB1550"]
    assert codes(found(world, "cartridge")) == ["BOS-F026407"]
    assert found(world, "golf").total == 6  # every description mentions the VW Golf
    assert sorted(codes(found(world, "brembo"))) == ["BRM-09A82711", "BRM-P85020"]  # brand names are searched
    assert found(world, "zzzqqq").total == 0


def test_typos_on_postgresql(world: ShopWorld) -> None:
    if world.ctx.engine.dialect.name != "postgresql":
        pytest.skip("typo tolerance uses pg_trgm (PostgreSQL); SQLite FTS5 matches prefixes only")
    assert sorted(codes(found(world, "brmbo"))) == ["BRM-09A82711", "BRM-P85020"]
    assert "MANN-W712-75" in codes(found(world, "oil filtr"))
    assert codes(found(world, "BRMP85021"))[0] == "BRM-P85020"  # one digit off


def test_search_with_filters_and_facets(world: ShopWorld) -> None:
    result = found(world, "brake", filters=Filters(in_stock=True))
    assert sorted(codes(result)) == ["BRM-09A82711", "BRM-P85020", "TRW-GDB1550"]
    assert {b.label: b.count for b in result.facets.brands} == {"Brembo": 2, "TRW": 1}
    assert result.facets.in_stock == 3
    by_price = found(world, "brake", sort="price_asc")
    assert codes(by_price) == ["TRW-GDB1550", "BOS-0986494", "BRM-P85020", "BRM-09A82711"]
    second = found(world, "brake", sort="price_asc", per_page=2, page=2)
    assert codes(second) == ["BRM-P85020", "BRM-09A82711"] and second.total == 4


def test_an_empty_query_lists_the_assortment(world: ShopWorld) -> None:
    assert found(world, "  ").total == 6
    assert terms("Brake-pad; DROP TABLE skus --") == ["brake", "pad", "drop", "table", "skus"]
    assert found(world, '"*:( OR NEAR/ ^').total == 0  # query syntax is never passed through


def test_the_index_follows_catalog_edits(world: ShopWorld) -> None:
    e, a = world.ctx.engine, world.ctx.actor
    with world.ctx.uow() as uow:
        uow.execute(update(Product).where(Product.id == select(Sku.product_id).where(Sku.code == "BOS-0986494")
                                          .scalar_subquery()).values(name="Bremsbelag"))
    assert codes(found(world, "bremsbelag")) == ["BOS-0986494"]
    new_barcode = ean13("404702400099")
    perform(e, a, add_barcode, sku="MANN-W712-75", code=new_barcode, kind="ean13")
    assert codes(found(world, new_barcode))[0] == "MANN-W712-75"
    with world.ctx.uow() as uow:
        uow.execute(update(Brand).where(Brand.name == "TRW").values(name="ZF TRW Automotive"))
    assert codes(found(world, "automotive")) == ["TRW-GDB1550"]


def test_a_search_never_finds_another_tenants_items(world: ShopWorld, engine) -> None:  # noqa: ANN001
    other = build_shop(new_tenant(engine))
    add_priced(other, "SECRET-1", "Secret carbon ceramic brake kit", "Only for the other tenant")
    assert found(world, "secret carbon").total == 0
    assert codes(found(other, "secret carbon")) == ["SECRET-1"]
    mine = {h.sku_id for h in found(world, "brake").hits}
    assert mine <= set(world.skus.values())
