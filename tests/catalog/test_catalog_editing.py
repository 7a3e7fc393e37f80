"""Editing the catalog after creation: products (sanitised rich text), variants, barcodes, brands, the category
tree and attributes. Every change writes its event with before/after; bad input changes nothing."""

from decimal import Decimal

from sqlalchemy import select

from stockyard.catalog import admin_queries
from stockyard.catalog.attributes import AttributeIn, define_attribute, set_sku_attributes, update_attribute
from stockyard.catalog.editing import UpdateProduct, UpdateSku, add_sku, remove_barcode, update_product, update_sku
from stockyard.catalog.models import SkuAttributeValue
from stockyard.catalog.services import BarcodeIn, SkuIn, add_barcode
from stockyard.catalog.taxonomy import (
    BrandIn,
    CategoryIn,
    create_brand,
    create_category,
    move_category,
    rename_brand,
    update_category,
)
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.uow import UnitOfWork, perform, read
from tests.catalog.catalog_support import make_skus
from tests.conftest import TenantCtx, new_tenant
from tests.inventory.support import assert_refused, events, role_actor


def _product_id(ctx: TenantCtx, sku_id: int) -> int:
    return read(ctx.engine, ctx.actor, admin_queries.sku_detail, sku_id)["product"].id


def test_description_is_sanitised_and_update_records_before_and_after(tenant: TenantCtx) -> None:
    ids = make_skus(tenant, "P-1")
    product_id = _product_id(tenant, ids["P-1"])
    html = ('<p onclick="steal()">Fits <strong>all</strong> <em>front</em> axles</p><script>alert(1)</script>'
            '<a href="javascript:alert(1)">x</a><a href="https://example.com/spec">spec</a><img src=x onerror=y>')
    perform(tenant.engine, tenant.actor, update_product, product_id,
            UpdateProduct(name="Brake disc", description=html, part_number="OEM-9", brand="Bosch"))
    detail = read(tenant.engine, tenant.actor, admin_queries.product_detail, product_id)
    description = detail["product"].description
    assert "<strong>all</strong>" in description and "<em>front</em>" in description
    for gone in ("script", "onclick", "javascript:", "<img", "onerror"):
        assert gone not in description
    assert 'href="https://example.com/spec"' in description
    assert detail["brand"] == "Bosch" and detail["product"].part_number == "OEM-9"
    event = events(tenant, "product.updated.v1")[-1]
    assert event["before"]["name"] == "Part P-1" and event["after"]["name"] == "Brake disc"
    assert event["before"]["part_number"] == "PN-P-1" and event["after"]["part_number"] == "OEM-9"


def test_product_edits_that_are_wrong_change_nothing(tenant: TenantCtx) -> None:
    ids = make_skus(tenant, "P-1")
    product_id = _product_id(tenant, ids["P-1"])
    assert_refused(tenant, NotFound, "category_id", update_product, product_id,
                   UpdateProduct(name="X", category_id=999999))
    assert_refused(tenant, NotFound, "product_id", update_product, 999999, UpdateProduct(name="X"))
    assert_refused(tenant, PermissionDenied, "permission", update_product, product_id, UpdateProduct(name="X"),
                   actor=role_actor(tenant, "read_only"))


def test_variants_and_barcodes(tenant: TenantCtx) -> None:
    ids = make_skus(tenant, "P-1")
    product_id = _product_id(tenant, ids["P-1"])
    sku_id = perform(tenant.engine, tenant.actor, add_sku, product_id,
                     SkuIn(code="P-1-SET4", name="Set of four", unit="set", weight_g=800,
                           barcodes=[BarcodeIn(code="4006381333931", kind="ean13")]))
    detail = read(tenant.engine, tenant.actor, admin_queries.product_detail, product_id)
    assert [(row["sku"].code, row["barcodes"]) for row in detail["skus"]] == [
        ("P-1", []), ("P-1-SET4", ["4006381333931"])]
    assert_refused(tenant, Conflict, "code", add_sku, product_id, SkuIn(code="P-1"))
    assert_refused(tenant, Conflict, "barcode", add_sku, product_id,
                   SkuIn(code="P-1-X", barcodes=[BarcodeIn(code="4006381333931", kind="ean13")]))
    assert_refused(tenant, ValidationFailed, "code", add_barcode, sku="P-1", code="4006381333932", kind="ean13")
    perform(tenant.engine, tenant.actor, update_sku, sku_id,
            UpdateSku(name="Set of 4", unit="set", weight_g=850, tracking="lot", active=False))
    event = events(tenant, "sku.updated.v1")[-1]
    assert event["before"]["weight_g"] == 800 and event["after"]["weight_g"] == 850
    assert event["before"]["active"] is True and event["after"]["active"] is False
    barcode_id = read(tenant.engine, tenant.actor, admin_queries.sku_detail, sku_id)["barcodes"][0].id
    perform(tenant.engine, tenant.actor, remove_barcode, sku_id, barcode_id)
    assert read(tenant.engine, tenant.actor, admin_queries.sku_detail, sku_id)["barcodes"] == []
    assert events(tenant, "sku.barcode_removed.v1")[-1]["code"] == "4006381333931"
    assert_refused(tenant, NotFound, "barcode_id", remove_barcode, sku_id, barcode_id)


def test_brands_are_unique_per_tenant_regardless_of_case(tenant: TenantCtx) -> None:
    brand_id = perform(tenant.engine, tenant.actor, create_brand, BrandIn(name="Bosch"))
    assert_refused(tenant, Conflict, "name", create_brand, BrandIn(name="bosch"))
    other = perform(tenant.engine, tenant.actor, create_brand, BrandIn(name="Valeo"))
    assert_refused(tenant, Conflict, "name", rename_brand, other, BrandIn(name="BOSCH"))
    perform(tenant.engine, tenant.actor, rename_brand, brand_id, BrandIn(name="Robert Bosch"))
    assert events(tenant, "brand.updated.v1")[-1]["before"] == {"name": "Bosch"}
    # Another tenant may use the same name.
    elsewhere = new_tenant(tenant.engine)
    perform(elsewhere.engine, elsewhere.actor, create_brand, BrandIn(name="Valeo"))


def _paths(ctx: TenantCtx) -> list[str]:
    return [n.path for n in read(ctx.engine, ctx.actor, admin_queries.category_tree)]


def test_category_tree_order_and_reparenting(tenant: TenantCtx) -> None:
    e, a = tenant.engine, tenant.actor
    brakes = perform(e, a, create_category, CategoryIn(name="Brakes"))
    pads = perform(e, a, create_category, CategoryIn(name="Pads", parent_id=brakes))
    discs = perform(e, a, create_category, CategoryIn(name="Discs", parent_id=brakes))
    filters = perform(e, a, create_category, CategoryIn(name="Filters"))
    assert _paths(tenant) == ["Brakes", "Brakes/Pads", "Brakes/Discs", "Filters"]
    perform(e, a, move_category, discs, "up")
    perform(e, a, move_category, filters, "up")
    assert _paths(tenant) == ["Filters", "Brakes", "Brakes/Discs", "Brakes/Pads"]
    perform(e, a, move_category, filters, "up")  # already first: nothing moves
    assert _paths(tenant)[0] == "Filters"
    perform(e, a, update_category, pads, CategoryIn(name="Pads", parent_id=filters))
    assert _paths(tenant) == ["Filters", "Filters/Pads", "Brakes", "Brakes/Discs"]
    event = events(tenant, "category.updated.v1")[-1]
    assert event["before"]["parent_id"] == brakes and event["after"]["parent_id"] == filters


def test_a_category_cannot_move_into_its_own_subtree(tenant: TenantCtx) -> None:
    e, a = tenant.engine, tenant.actor
    top = perform(e, a, create_category, CategoryIn(name="Engine"))
    middle = perform(e, a, create_category, CategoryIn(name="Cooling", parent_id=top))
    leaf = perform(e, a, create_category, CategoryIn(name="Pumps", parent_id=middle))
    error = assert_refused(tenant, ValidationFailed, "parent_id", update_category, top,
                           CategoryIn(name="Engine", parent_id=leaf))
    assert "under itself" in error.message
    assert_refused(tenant, ValidationFailed, "parent_id", update_category, middle,
                   CategoryIn(name="Cooling", parent_id=middle))
    assert_refused(tenant, Conflict, "name", create_category, CategoryIn(name="cooling", parent_id=top))
    assert_refused(tenant, NotFound, "parent_id", create_category, CategoryIn(name="X", parent_id=999999))


def test_attributes_validate_values_by_type(tenant: TenantCtx) -> None:
    ids = make_skus(tenant, "S-1")
    e, a = tenant.engine, tenant.actor
    diameter = perform(e, a, define_attribute, AttributeIn(name="Diameter", type="number", unit="mm"))
    colour = perform(e, a, define_attribute, AttributeIn(name="Colour", type="choice", choices="Red\nBlack\n"))
    note = perform(e, a, define_attribute, AttributeIn(name="Note", type="text"))
    assert_refused(tenant, ValidationFailed, "choices", define_attribute, AttributeIn(name="Size", type="choice"))
    assert_refused(tenant, Conflict, "name", define_attribute, AttributeIn(name="diameter", type="text"))
    perform(e, a, set_sku_attributes, ids["S-1"], {diameter: "12,50", colour: "Black", note: "OEM quality"})
    detail = read(e, a, admin_queries.sku_detail, ids["S-1"])
    assert {x["attribute"].name: x["value"] for x in detail["attributes"]} == {
        "Colour": "Black", "Diameter": "12.5", "Note": "OEM quality"}
    with UnitOfWork(e, a, readonly=True) as uow:
        stmt = select(SkuAttributeValue.number).where(SkuAttributeValue.attribute_id == diameter)
        number = uow.execute(stmt).scalar()
    assert Decimal(number) == Decimal("12.5")
    assert_refused(tenant, ValidationFailed, f"attr.{diameter}", set_sku_attributes, ids["S-1"], {diameter: "twelve"})
    assert_refused(tenant, ValidationFailed, f"attr.{colour}", set_sku_attributes, ids["S-1"], {colour: "Green"})
    # A choice in use cannot be dropped, nor the type changed.
    assert_refused(tenant, Conflict, "choices", update_attribute, colour,
                   AttributeIn(name="Colour", type="choice", choices="Red"))
    assert_refused(tenant, Conflict, "type", update_attribute, diameter, AttributeIn(name="Diameter", type="text"))
    # An empty value removes it.
    perform(e, a, set_sku_attributes, ids["S-1"], {note: ""})
    event = events(tenant, "sku.attributes_changed.v1")[-1]
    assert event["before"][str(note)] == "OEM quality" and str(note) not in event["after"]
    assert event["after"][str(diameter)] == "12.5"
