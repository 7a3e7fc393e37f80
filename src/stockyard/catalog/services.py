"""Catalog use cases needed by inventory: brands, categories, products with SKUs and barcodes."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import insert, select

from stockyard.billing.tax_domain import DEFAULT_TAX_CLASS
from stockyard.billing.tax_services import check_tax_class
from stockyard.catalog.domain import validate_barcode
from stockyard.catalog.models import Barcode, Brand, Category, Product, Sku
from stockyard.catalog.rich_text import sanitize_description
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import CATALOG_EDIT


class BarcodeIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    kind: Literal["ean13", "upca", "code128"]


class SkuIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, max_length=64, pattern=r"^\S+$")
    name: str = Field(default="", max_length=255)
    unit: str = Field(default="pcs", min_length=1, max_length=16)
    weight_g: int = Field(default=0, ge=0)
    length_mm: int = Field(default=0, ge=0)
    width_mm: int = Field(default=0, ge=0)
    height_mm: int = Field(default=0, ge=0)
    tracking: Literal["none", "lot", "serial"] = "none"
    barcodes: list[BarcodeIn] = Field(default_factory=list)


class CreateProduct(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    description: str = ""
    brand: str | None = Field(default=None, max_length=120)
    category: str | None = Field(default=None, description="category path, e.g. 'Brakes/Pads'")
    part_number: str = Field(default="", max_length=80)
    tax_class: str = Field(default=DEFAULT_TAX_CLASS, min_length=1, max_length=40,
                           description="the product tax class (standard, reduced, ...): which tax rate applies")
    skus: list[SkuIn] = Field(min_length=1)


def get_or_create_brand(uow: UnitOfWork, name: str) -> int:
    uow.require(CATALOG_EDIT)
    name = name.strip()
    if not name:
        raise ValidationFailed("is required", field="brand")
    found = uow.execute(select(Brand.id).where(Brand.name == name)).scalar()
    if found is not None:
        return found
    return uow.conn.execute(insert(Brand).values(tenant_id=uow.tenant_id, name=name, created_at=utcnow())
                            .returning(Brand.id)).scalar_one()


def get_or_create_category(uow: UnitOfWork, path: str) -> int:
    """Categories by path ('Brakes/Pads'); missing levels are created."""
    uow.require(CATALOG_EDIT)
    parts = [p.strip() for p in path.split("/") if p.strip()]
    if not parts:
        raise ValidationFailed("is empty", field="category")
    parent_id: int | None = None
    for name in parts:
        stmt = select(Category.id).where(Category.name == name)
        stmt = stmt.where(Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id)
        found = uow.execute(stmt).scalar()
        if found is None:
            found = uow.conn.execute(insert(Category).values(tenant_id=uow.tenant_id, name=name, parent_id=parent_id,
                                                             created_at=utcnow()).returning(Category.id)).scalar_one()
        parent_id = found
    assert parent_id is not None
    return parent_id


def create_product(uow: UnitOfWork, cmd: CreateProduct) -> int:
    uow.require(CATALOG_EDIT)
    codes = [s.code for s in cmd.skus]
    if len(set(codes)) != len(codes):
        raise ValidationFailed("a SKU code appears twice", field="skus")
    barcodes = [(i, j, b) for i, s in enumerate(cmd.skus) for j, b in enumerate(s.barcodes)]
    for i, j, b in barcodes:
        validate_barcode(b.code, b.kind, field=f"skus[{i}].barcodes[{j}].code")
    if len({b.code for _, _, b in barcodes}) != len(barcodes):
        raise ValidationFailed("a barcode appears twice", field="skus")
    taken = uow.execute(select(Sku.code).where(Sku.code.in_(codes))).scalars().first()
    if taken:
        raise Conflict(f"SKU {taken} exists", field="skus")
    if barcodes:
        taken = uow.execute(select(Barcode.code).where(Barcode.code.in_([b.code for _, _, b in barcodes]))).scalar()
        if taken:
            raise Conflict(f"barcode {taken} is already used", field="skus")
    tax_class = check_tax_class(uow, cmd.tax_class)
    brand_id = get_or_create_brand(uow, cmd.brand) if cmd.brand else None
    category_id = get_or_create_category(uow, cmd.category) if cmd.category else None
    now = utcnow()
    product_id = uow.conn.execute(insert(Product).values(
        tenant_id=uow.tenant_id, name=cmd.name, description=sanitize_description(cmd.description), brand_id=brand_id,
        category_id=category_id, part_number=cmd.part_number.strip(), tax_class=tax_class, created_at=now)
        .returning(Product.id)).scalar_one()
    for s in cmd.skus:
        sku_id = uow.conn.execute(insert(Sku).values(
            tenant_id=uow.tenant_id, product_id=product_id, code=s.code, name=s.name or cmd.name, unit=s.unit,
            weight_g=s.weight_g, length_mm=s.length_mm, width_mm=s.width_mm, height_mm=s.height_mm,
            tracking=s.tracking, created_at=now).returning(Sku.id)).scalar_one()
        if s.barcodes:
            uow.conn.execute(insert(Barcode), [{"tenant_id": uow.tenant_id, "sku_id": sku_id, "code": b.code.strip(),
                                                "kind": b.kind} for b in s.barcodes])
    add_event(uow, "product.created.v1", {"product_id": product_id, "skus": codes})
    return product_id


def add_barcode(uow: UnitOfWork, *, sku: str, code: str, kind: str) -> int:
    uow.require(CATALOG_EDIT)
    code = validate_barcode(code, kind, field="code")
    sku_id = uow.execute(select(Sku.id).where(Sku.code == sku)).scalar()
    if sku_id is None:
        raise NotFound(f"unknown SKU '{sku}'", field="sku")
    if uow.execute(select(Barcode.id).where(Barcode.code == code)).first():
        raise Conflict(f"barcode {code} is already used", field="code")
    barcode_id = uow.conn.execute(insert(Barcode).values(tenant_id=uow.tenant_id, sku_id=sku_id, code=code,
                                                         kind=kind).returning(Barcode.id)).scalar_one()
    add_event(uow, "sku.barcode_added.v1", {"sku_id": sku_id, "sku": sku, "code": code, "kind": kind})
    return barcode_id
