"""Products, their sellable variants (SKUs), barcodes, brands, the category tree, attributes, images and the
relations between SKUs (equivalents, replacements, related items)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned


class Brand(TenantOwned, CreatedAt, Base):
    __tablename__ = "brands"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class Category(TenantOwned, CreatedAt, Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("tenant_id", "parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), default=None)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)


class Product(TenantOwned, CreatedAt, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id"), default=None, index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), default=None, index=True)
    # The manufacturer's (OEM) part number; buyers search by it as often as by name.
    part_number: Mapped[str] = mapped_column(String(80), default="", index=True)
    # The product tax class's code (billing/tax_models.TaxClass): which rate applies where (billing/tax_domain.py).
    tax_class: Mapped[str] = mapped_column(String(40), default="standard", server_default="standard")


class Sku(TenantOwned, CreatedAt, Base):
    __tablename__ = "skus"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("tracking IN ('none', 'lot', 'serial')", name="tracking"),
        CheckConstraint("weight_g >= 0 AND length_mm >= 0 AND width_mm >= 0 AND height_mm >= 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    unit: Mapped[str] = mapped_column(String(16), default="pcs")
    weight_g: Mapped[int] = mapped_column(default=0)
    length_mm: Mapped[int] = mapped_column(default=0)
    width_mm: Mapped[int] = mapped_column(default=0)
    height_mm: Mapped[int] = mapped_column(default=0)
    tracking: Mapped[str] = mapped_column(String(8), default="none")
    active: Mapped[bool] = mapped_column(default=True)
    backorderable: Mapped[bool] = mapped_column(default=False, server_default=false())  # sold beyond stock


class Barcode(TenantOwned, Base):
    __tablename__ = "barcodes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("kind IN ('ean13', 'upca', 'code128')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))


class Attribute(TenantOwned, CreatedAt, Base):
    """A property of SKUs that the storefront filters by (diameter, thread, colour)."""

    __tablename__ = "attributes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint("type IN ('text', 'number', 'choice')", name="type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(8))
    unit: Mapped[str] = mapped_column(String(16), default="")
    # For type 'choice': the allowed values, one per line.
    choices: Mapped[str] = mapped_column(Text, default="")


class SkuAttributeValue(TenantOwned, Base):
    __tablename__ = "sku_attribute_values"
    __table_args__ = (UniqueConstraint("sku_id", "attribute_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    attribute_id: Mapped[int] = mapped_column(ForeignKey("attributes.id"), index=True)
    value: Mapped[str] = mapped_column(String(255))
    # Set for number attributes, so that range filters compare numbers, not text.
    number: Mapped[Decimal | None] = mapped_column(Numeric(18, 6), default=None)


class ProductImage(TenantOwned, CreatedAt, Base):
    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    alt: Mapped[str] = mapped_column(String(255), default="")
    # File-store keys of the original and of its thumbnails.
    original_key: Mapped[str] = mapped_column(String(255))
    small_key: Mapped[str] = mapped_column(String(255))
    medium_key: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    size_bytes: Mapped[int] = mapped_column()


class EquivalentGroup(TenantOwned, CreatedAt, Base):
    """SKUs that can stand in for each other; a SKU is in at most one group."""

    __tablename__ = "equivalent_groups"

    id: Mapped[int] = mapped_column(primary_key=True)


class EquivalentMember(TenantOwned, Base):
    __tablename__ = "equivalent_members"
    __table_args__ = (UniqueConstraint("tenant_id", "sku_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("equivalent_groups.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))


class Replacement(TenantOwned, CreatedAt, Base):
    """'sku is superseded by replaced_by from effective_on' (one way; a SKU has at most one successor)."""

    __tablename__ = "sku_replacements"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku_id"),
        CheckConstraint("sku_id <> replaced_by_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    replaced_by_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    effective_on: Mapped[date] = mapped_column()


class RelatedItem(TenantOwned, CreatedAt, Base):
    __tablename__ = "related_items"
    __table_args__ = (
        UniqueConstraint("sku_id", "related_id", "kind"),
        CheckConstraint("kind IN ('accessory', 'bought_together')", name="kind"),
        CheckConstraint("sku_id <> related_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    related_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
