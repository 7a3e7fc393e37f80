"""Warehouses, the location tree, the append-only ledger and the levels projected from it."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned

BigId = BigInteger().with_variant(Integer, "sqlite")
STATUSES = "'sellable', 'quarantine', 'damaged', 'return_pending', 'in_transit'"


class Warehouse(TenantOwned, CreatedAt, Base):
    __tablename__ = "warehouses"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    # Where parcels leave from: the "nearest warehouse" allocation strategy compares it with the customer's zone.
    country: Mapped[str] = mapped_column(String(2), default="", server_default="")
    postcode: Mapped[str] = mapped_column(String(20), default="", server_default="")
    priority: Mapped[int] = mapped_column(default=100)
    handling_days: Mapped[int] = mapped_column(default=1, server_default="1")  # working days before a parcel leaves
    active: Mapped[bool] = mapped_column(default=True)


class Location(TenantOwned, CreatedAt, Base):
    """A place stock can be. Internal and transit locations hold levels; the others are virtual parties."""

    __tablename__ = "locations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "path"),
        CheckConstraint(
            "usage IN ('internal', 'transit', 'supplier', 'customer', 'adjustment', 'scrap')", name="usage"
        ),
        CheckConstraint(
            "kind IN ('zone', 'aisle', 'bin', 'virtual')", name="kind"
        ),
        CheckConstraint(
            "type IN ('receiving', 'storage', 'picking', 'packing', 'shipping', 'quarantine', 'virtual')",
            name="type",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"), default=None, index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), default=None, index=True)
    code: Mapped[str] = mapped_column(String(32))
    # Full code from the warehouse down, e.g. "MAIN/A/03/B2"; what people read and scan.
    path: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    usage: Mapped[str] = mapped_column(String(12), default="internal")
    kind: Mapped[str] = mapped_column(String(8), default="bin")
    type: Mapped[str] = mapped_column(String(12), default="storage")
    active: Mapped[bool] = mapped_column(default=True)
    # Units the location holds at most (None: not limited); putaway suggestions rank bins by what is still free.
    capacity: Mapped[int | None] = mapped_column(default=None)


class StockMove(TenantOwned, Base):
    """One line of the ledger. Append-only: a correction is a new move."""

    __tablename__ = "stock_moves"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "from_location_id <> to_location_id OR from_status <> to_status", name="moves_something"
        ),
        CheckConstraint(f"from_status IN ({STATUSES})", name="from_status"),
        CheckConstraint(f"to_status IN ({STATUSES})", name="to_status"),
        Index("ix_stock_moves_sku_time", "tenant_id", "sku_id", "id"),
        Index("ix_stock_moves_from", "tenant_id", "from_location_id", "id"),
        Index("ix_stock_moves_to", "tenant_id", "to_location_id", "id"),
        Index("ix_stock_moves_document", "tenant_id", "document_type", "document_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    lot: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    document_type: Mapped[str] = mapped_column(String(32), default="")
    document_id: Mapped[str] = mapped_column(String(64), default="")
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), default=None)
    actor_id: Mapped[int | None] = mapped_column(default=None)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    # The business time when it differs from the posting time (a write-off of a loss found later); readers use
    # coalesce(occurred_at, created_at).
    occurred_at: Mapped[datetime | None] = mapped_column(default=None)


class StockLevel(TenantOwned, Base):
    """What is at a location, per SKU, status and lot. Written only with its moves, never edited by hand."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku_id", "location_id", "status", "lot"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
        CheckConstraint(f"status IN ({STATUSES})", name="status"),
        Index("ix_stock_levels_location", "tenant_id", "location_id"),
        Index("ix_stock_levels_warehouse_sku", "tenant_id", "warehouse_id", "sku_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    # Denormalised from the location so that ATP per warehouse is one indexed read.
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[str] = mapped_column(String(16))
    lot: Mapped[str] = mapped_column(String(64), default="")
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)


class Reservation(TenantOwned, CreatedAt, Base):
    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("state IN ('active', 'released', 'consumed', 'expired')", name="state"),
        Index("ix_reservations_expiry", "state", "reserved_until"),
        Index("ix_reservations_reference", "tenant_id", "reference"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    quantity: Mapped[int]
    state: Mapped[str] = mapped_column(String(10), default="active")
    reference: Mapped[str] = mapped_column(String(100), default="")
    reserved_until: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class ReservationLine(TenantOwned, Base):
    """Which level rows a reservation holds, so that release and consume touch exactly those."""

    __tablename__ = "reservation_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id"), index=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("stock_levels.id"))
    quantity: Mapped[int]


class Transfer(TenantOwned, CreatedAt, Base):
    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint(
            "state IN ('in_transit', 'partially_received', 'received', 'cancelled')", name="state"
        ),
        CheckConstraint("from_warehouse_id <> to_warehouse_id", name="different_warehouses"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    state: Mapped[str] = mapped_column(String(20), default="in_transit")
    note: Mapped[str] = mapped_column(Text, default="")
    actor_name: Mapped[str] = mapped_column(String(200), default="")


class TransferLine(TenantOwned, Base):
    __tablename__ = "transfer_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received >= 0 AND received <= quantity", name="received_within_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    lot: Mapped[str] = mapped_column(String(64), default="")
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int]
    received: Mapped[int] = mapped_column(default=0)
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), default=None)


class StockCount(TenantOwned, CreatedAt, Base):
    __tablename__ = "stock_counts"
    __table_args__ = (CheckConstraint("state IN ('open', 'approved', 'cancelled')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    state: Mapped[str] = mapped_column(String(10), default="open")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(default=None)
    created_by_name: Mapped[str] = mapped_column(String(200), default="")
    approved_by_name: Mapped[str] = mapped_column(String(200), default="")
    approved_at: Mapped[datetime | None] = mapped_column(default=None)


class StockCountLine(TenantOwned, Base):
    """One (location, SKU, lot) to count. `system_qty` is what the ledger said when the count was recorded,
    so that stock moved between recording and approval is kept, not overwritten."""

    __tablename__ = "stock_count_lines"
    __table_args__ = (
        UniqueConstraint("count_id", "location_id", "sku_id", "lot"),
        CheckConstraint("counted IS NULL OR counted >= 0", name="counted_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_counts.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    lot: Mapped[str] = mapped_column(String(64), default="")
    expected: Mapped[int] = mapped_column(default=0)
    counted: Mapped[int | None] = mapped_column(default=None)
    system_qty: Mapped[int | None] = mapped_column(default=None)
    counted_by_name: Mapped[str] = mapped_column(String(200), default="")
    counted_at: Mapped[datetime | None] = mapped_column(default=None)


class MinStockRule(TenantOwned, CreatedAt, Base):
    __tablename__ = "min_stock_rules"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku_id", "warehouse_id"),
        CheckConstraint("minimum >= 0 AND safety_stock >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    minimum: Mapped[int]
    safety_stock: Mapped[int] = mapped_column(default=0)


class StockAlert(TenantOwned, CreatedAt, Base):
    __tablename__ = "stock_alerts"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'resolved')", name="state"),
        Index("ix_stock_alerts_open", "tenant_id", "state", "sku_id", "warehouse_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    kind: Mapped[str] = mapped_column(String(16), default="shortage")
    available: Mapped[int]
    minimum: Mapped[int]
    state: Mapped[str] = mapped_column(String(10), default="open")
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
