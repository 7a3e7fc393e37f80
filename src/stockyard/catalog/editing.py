"""Editing products and SKUs after they were created: fields, new variants, barcodes."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, insert, select

from stockyard.billing.tax_services import check_tax_class
from stockyard.catalog.domain import validate_barcode
from stockyard.catalog.models import Barcode, Brand, Category, Product, Sku
from stockyard.catalog.rich_text import sanitize_description
from stockyard.catalog.services import SkuIn, get_or_create_brand
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import CATALOG_EDIT

PRODUCT_FIELDS = ("name", "description", "part_number", "brand_id", "category_id", "tax_class")
SKU_FIELDS = ("name", "unit", "weight_g", "length_mm", "width_mm", "height_mm", "tracking", "active", "backorderable")


class UpdateProduct(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=20000)
    part_number: str = Field(default="", max_length=80)
    brand: str = Field(default="", max_length=120, description="brand name; created when new")
    category_id: int | None = None
    tax_class: str | None = Field(default=None, max_length=40, description="the product tax class; none: unchanged")


class UpdateSku(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    unit: str = Field(default="pcs", min_length=1, max_length=16)
    weight_g: int = Field(default=0, ge=0, le=2_147_483_647)
    length_mm: int = Field(default=0, ge=0, le=2_147_483_647)
    width_mm: int = Field(default=0, ge=0, le=2_147_483_647)
    height_mm: int = Field(default=0, ge=0, le=2_147_483_647)
    tracking: Literal["none", "lot", "serial"] = "none"
    active: bool = True
    backorderable: bool = Field(default=False, description="may be sold beyond the stock on hand")


def _snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in fields}


def load_product(uow: UnitOfWork, product_id: int) -> Product:
    product = uow.execute(select(Product).where(Product.id == product_id)).scalar()
    if product is None:
        raise NotFound(f"unknown product {product_id}", field="product_id")
    return product


def load_sku(uow: UnitOfWork, sku_id: int) -> Sku:
    sku = uow.execute(select(Sku).where(Sku.id == sku_id)).scalar()
    if sku is None:
        raise NotFound(f"unknown SKU {sku_id}", field="sku_id")
    return sku


def update_product(uow: UnitOfWork, product_id: int, cmd: UpdateProduct) -> None:
    uow.require(CATALOG_EDIT)
    product = load_product(uow, product_id)
    if cmd.category_id is not None and uow.execute(
            select(Category.id).where(Category.id == cmd.category_id)).scalar() is None:
        raise NotFound(f"unknown category {cmd.category_id}", field="category_id")
    brand_id = get_or_create_brand(uow, cmd.brand) if cmd.brand.strip() else None
    tax_class = product.tax_class if cmd.tax_class is None else check_tax_class(uow, cmd.tax_class)
    before = _snapshot(product, PRODUCT_FIELDS)
    product.name = cmd.name.strip()
    product.description = sanitize_description(cmd.description)
    product.part_number = cmd.part_number.strip()
    product.brand_id = brand_id
    product.category_id = cmd.category_id
    product.tax_class = tax_class
    uow.session.flush()
    add_event(uow, "product.updated.v1", {"product_id": product_id, "before": before,
                                          "after": _snapshot(product, PRODUCT_FIELDS)})


def add_sku(uow: UnitOfWork, product_id: int, sku: SkuIn) -> int:
    """A new variant of an existing product (with its barcodes)."""
    uow.require(CATALOG_EDIT)
    product = load_product(uow, product_id)
    if uow.execute(select(Sku.id).where(Sku.code == sku.code)).first():
        raise Conflict(f"SKU {sku.code} exists", field="code")
    codes = [validate_barcode(b.code, b.kind, field="barcode") for b in sku.barcodes]
    if codes and uow.execute(select(Barcode.id).where(Barcode.code.in_(codes))).first():
        raise Conflict("the barcode is already used", field="barcode")
    sku_id = uow.conn.execute(insert(Sku).values(
        tenant_id=uow.tenant_id, product_id=product.id, code=sku.code, name=sku.name or product.name, unit=sku.unit,
        weight_g=sku.weight_g, length_mm=sku.length_mm, width_mm=sku.width_mm, height_mm=sku.height_mm,
        tracking=sku.tracking, created_at=utcnow()).returning(Sku.id)).scalar_one()
    for code, b in zip(codes, sku.barcodes, strict=True):
        uow.conn.execute(insert(Barcode).values(tenant_id=uow.tenant_id, sku_id=sku_id, code=code, kind=b.kind))
    add_event(uow, "sku.created.v1", {"product_id": product.id, "sku_id": sku_id, "sku": sku.code,
                                      "barcodes": codes})
    return sku_id


def update_sku(uow: UnitOfWork, sku_id: int, cmd: UpdateSku) -> None:
    uow.require(CATALOG_EDIT)
    sku = load_sku(uow, sku_id)
    before = _snapshot(sku, SKU_FIELDS)
    for name in SKU_FIELDS:
        setattr(sku, name, getattr(cmd, name))
    sku.name = cmd.name.strip()
    uow.session.flush()
    add_event(uow, "sku.updated.v1", {"sku_id": sku_id, "sku": sku.code, "before": before,
                                      "after": _snapshot(sku, SKU_FIELDS)})


def remove_barcode(uow: UnitOfWork, sku_id: int, barcode_id: int) -> None:
    uow.require(CATALOG_EDIT)
    sku = load_sku(uow, sku_id)
    barcode = uow.execute(select(Barcode).where(Barcode.id == barcode_id, Barcode.sku_id == sku_id)).scalar()
    if barcode is None:
        raise NotFound(f"SKU {sku.code} has no barcode {barcode_id}", field="barcode_id")
    uow.execute(delete(Barcode).where(Barcode.id == barcode_id))
    add_event(uow, "sku.barcode_removed.v1", {"sku_id": sku_id, "sku": sku.code, "code": barcode.code,
                                              "kind": barcode.kind})


def brand_name(uow: UnitOfWork, brand_id: int | None) -> str:
    if brand_id is None:
        return ""
    return uow.execute(select(Brand.name).where(Brand.id == brand_id)).scalar() or ""
