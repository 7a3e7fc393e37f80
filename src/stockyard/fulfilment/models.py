"""Shipping configuration (zones, carriers, their methods, rate tables and free-shipping thresholds) and shipments
with their lines and tracking events."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
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
        CheckConstraint("transit_days >= 0 AND dim_divisor >= 0", name="transit"),
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
    # Working days from handover to delivery, for the promised date.
    transit_days: Mapped[int] = mapped_column(default=2, server_default="2")
    # Dimensional weight in grams = L×W×H in mm³ / divisor (5000 is the usual cm³/5000 kg); 0: actual weight only.
    dim_divisor: Mapped[int] = mapped_column(default=5000, server_default="5000")
    # "HH:MM" (warehouse local time) by which the carrier collects today's parcels; "" none. Pick waves group by it.
    cutoff_time: Mapped[str] = mapped_column(String(5), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)


class ShippingRate(TenantOwned, Base):
    """One band of a rate table: method × zone × basis (weight in grams, order value in the method's currency, or
    item count), for parcels from any warehouse or only from one (`origin_warehouse_id`)."""

    __tablename__ = "shipping_rates"
    __table_args__ = (
        UniqueConstraint("method_id", "zone_id", "basis", "lower", "origin_warehouse_id",
                         name="uq_shipping_rates_band"),
        # NULL origins are distinct in a unique constraint: the any-origin tables need their own index.
        Index("uq_shipping_rates_any_origin", "method_id", "zone_id", "basis", "lower", unique=True,
              sqlite_where=text("origin_warehouse_id IS NULL"), postgresql_where=text("origin_warehouse_id IS NULL")),
        CheckConstraint("basis IN ('weight', 'order_value', 'item_count')", name="basis"),
        CheckConstraint("lower >= 0 AND (upper IS NULL OR upper > lower) AND price >= 0", name="band"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    method_id: Mapped[int] = mapped_column(ForeignKey("shipping_methods.id"), index=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("shipping_zones.id"), index=True)
    basis: Mapped[str] = mapped_column(String(12))
    lower: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    upper: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), default=None)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    # None: parcels from any warehouse; a warehouse: only parcels leaving it (these replace the any-origin tables).
    origin_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"), default=None, index=True)


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


SHIPMENT_STATUSES = ("shipped", "in_transit", "out_for_delivery", "delivered", "exception", "cancelled")
TRACKING_STATUSES = ("label_created", "in_transit", "out_for_delivery", "delivered", "exception", "cancelled")


class Shipment(TenantOwned, CreatedAt, Base):
    """A parcel that left (or is about to leave) a warehouse for an order, with its carrier label."""

    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "carrier_code", "tracking_number"),
        CheckConstraint("status IN ('shipped', 'in_transit', 'out_for_delivery', 'delivered', 'exception', "
                        "'cancelled')", name="status"),
        CheckConstraint("cost >= 0", name="cost"),
        Index("ix_shipments_order", "tenant_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    method_id: Mapped[int] = mapped_column(ForeignKey("shipping_methods.id"))
    carrier_code: Mapped[str] = mapped_column(String(40))
    tracking_number: Mapped[str] = mapped_column(String(64))
    label_key: Mapped[str] = mapped_column(String(255), default="")  # file-store key of the PDF label
    status: Mapped[str] = mapped_column(String(20), default="shipped")
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3))
    weight_g: Mapped[int] = mapped_column(default=0)
    address: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    shipped_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)


class ShipmentLine(TenantOwned, Base):
    __tablename__ = "shipment_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    reservation_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                                       ForeignKey("reservations.id"), default=None)


class ShipmentEvent(TenantOwned, Base):
    """One tracking event of a shipment, as recorded by staff or reported by the carrier."""

    __tablename__ = "shipment_events"
    __table_args__ = (
        CheckConstraint("status IN ('label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', "
                        "'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column()


class TrackingSequence(Base):
    """The last tracking number handed out per tenant and carrier (one conditional UPDATE ... RETURNING each)."""

    __tablename__ = "tracking_sequences"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    carrier_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
