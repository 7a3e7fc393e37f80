"""Products, their sellable variants (SKUs), barcodes, brands and the category tree."""

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
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
