"""Price lists per channel and currency, with validity dates and quantity-tiered prices per SKU."""

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned


class PriceList(TenantOwned, CreatedAt, Base):
    __tablename__ = "price_lists"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint("valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to", name="validity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    priority: Mapped[int] = mapped_column(default=0)
    valid_from: Mapped[date | None] = mapped_column(Date, default=None)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)
    active: Mapped[bool] = mapped_column(default=True)


class PriceTier(TenantOwned, Base):
    __tablename__ = "price_tiers"
    __table_args__ = (
        UniqueConstraint("price_list_id", "sku_id", "min_quantity"),
        CheckConstraint("min_quantity >= 1", name="min_quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    min_quantity: Mapped[int] = mapped_column()
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 4))
