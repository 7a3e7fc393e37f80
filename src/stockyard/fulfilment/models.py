"""Shipping configuration: zones, carriers, their methods, rate tables and free-shipping thresholds."""

from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned


class ShippingZone(TenantOwned, CreatedAt, Base):
    __tablename__ = "shipping_zones"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    countries: Mapped[list[str]] = mapped_column(JSON)  # ISO 3166-1 alpha-2 codes
    region: Mapped[str] = mapped_column(String(120), default="")
    postcode_patterns: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Zones are tried in this order; the first that matches an address wins.
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Carrier(TenantOwned, CreatedAt, Base):
    __tablename__ = "carriers"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    tracking_url: Mapped[str] = mapped_column(String(300), default="")  # with "{tracking}" where the number goes
    active: Mapped[bool] = mapped_column(default=True)


class ShippingMethod(TenantOwned, CreatedAt, Base):
    __tablename__ = "shipping_methods"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("remote_area_surcharge >= 0 AND oversize_surcharge >= 0 AND oversize_length_mm >= 0",
                        name="surcharges"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carriers.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3))
    # Stored for the rate engine (issue 4): added when the address is remote / a parcel side exceeds the length.
    remote_area_surcharge: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal(0))
    remote_area_patterns: Mapped[list[str]] = mapped_column(JSON, default=list)
    oversize_surcharge: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal(0))
    oversize_length_mm: Mapped[int] = mapped_column(default=0)  # 0: no oversize rule
    active: Mapped[bool] = mapped_column(default=True)


class ShippingRate(TenantOwned, Base):
    """One band of a rate table: method × zone × basis (weight in grams or order value in the method's currency)."""

    __tablename__ = "shipping_rates"
    __table_args__ = (
        UniqueConstraint("method_id", "zone_id", "basis", "lower"),
        CheckConstraint("basis IN ('weight', 'order_value')", name="basis"),
        CheckConstraint("lower >= 0 AND (upper IS NULL OR upper > lower) AND price >= 0", name="band"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    method_id: Mapped[int] = mapped_column(ForeignKey("shipping_methods.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("shipping_zones.id"), index=True)
    basis: Mapped[str] = mapped_column(String(12))
    lower: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    upper: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), default=None)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 4))


class FreeShippingThreshold(TenantOwned, Base):
    """Orders of at least `threshold` (method's currency) ship free with this method to this zone."""

    __tablename__ = "free_shipping_thresholds"
    __table_args__ = (
        UniqueConstraint("method_id", "zone_id"),
        CheckConstraint("threshold >= 0", name="threshold"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    method_id: Mapped[int] = mapped_column(ForeignKey("shipping_methods.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("shipping_zones.id"), index=True)
    threshold: Mapped[Decimal] = mapped_column(Numeric(12, 4))
