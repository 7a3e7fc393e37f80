"""Warehouse execution tables: pick waves, pick lists and their lines, pick discrepancies (short picks), and the
parcels an order is packed into (issue 5). The services in waves.py, picking.py and packing.py are their only
writers."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned
from stockyard.inventory.models import BigId


class PickWave(TenantOwned, CreatedAt, Base):
    """A batch of orders of one warehouse released to the floor together (same carrier cut-off and priority)."""

    __tablename__ = "pick_waves"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'done', 'cancelled')", name="state"),
        Index("ix_pick_waves_tenant_state", "tenant_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    cutoff: Mapped[str] = mapped_column(String(5), default="")  # "HH:MM" of the methods' cut-off; "" none
    priority: Mapped[int] = mapped_column(default=0)  # the methods' transit days: smaller is more urgent
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_by_name: Mapped[str] = mapped_column(String(200), default="")


class PickList(TenantOwned, CreatedAt, Base):
    """What one picker walks for: one order of a wave, a replenishment task (storage → pick location), or the
    units of a transfer to another warehouse (dispatched as one transfer when the list is picked)."""

    __tablename__ = "pick_lists"
    __table_args__ = (
        CheckConstraint("kind IN ('order', 'replenishment', 'transfer')", name="kind"),
        CheckConstraint("state IN ('open', 'picked', 'cancelled')", name="state"),
        Index("ix_pick_lists_order", "tenant_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("pick_waves.id"), default=None, index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    kind: Mapped[str] = mapped_column(String(14), default="order")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), default=None)
    # replenishment: where the picked units go
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), default=None)
    # transfer: the destination warehouse, and the transfer dispatched once the list is picked
    to_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"), default=None)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"), default=None)
    state: Mapped[str] = mapped_column(String(10), default="open")
    picked_at: Mapped[datetime | None] = mapped_column(default=None)


class PickLine(TenantOwned, Base):
    """Take `quantity` of a SKU from one location. For an order, the line is one held level of one allocation's
    reservation: the units stay reserved in the bin until the shipment consumes the reservation."""

    __tablename__ = "pick_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("picked >= 0 AND picked <= quantity", name="picked_within_quantity"),
        CheckConstraint("state IN ('open', 'picked', 'short', 'replaced')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pick_list_id: Mapped[int] = mapped_column(ForeignKey("pick_lists.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)  # walking order
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot: Mapped[str] = mapped_column(String(64), default="")
    quantity: Mapped[int]
    picked: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(10), default="open")
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"), default=None)
    allocation_id: Mapped[int | None] = mapped_column(ForeignKey("order_allocations.id"), default=None)
    reservation_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("reservations.id"), default=None)
    picked_by_name: Mapped[str] = mapped_column(String(200), default="")
    picked_at: Mapped[datetime | None] = mapped_column(default=None)


class PickDiscrepancy(TenantOwned, CreatedAt, Base):
    """A bin held fewer units than the ledger said (a short pick): what was expected and found, what was done for
    the order, and what a supervisor should do about the bin (count it, or write the missing units off)."""

    __tablename__ = "pick_discrepancies"
    __table_args__ = (
        CheckConstraint("missing > 0", name="missing_positive"),
        CheckConstraint("state IN ('open', 'resolved')", name="state"),
        Index("ix_pick_discrepancies_open", "tenant_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pick_line_id: Mapped[int] = mapped_column(ForeignKey("pick_lines.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    lot: Mapped[str] = mapped_column(String(64), default="")
    expected: Mapped[int]
    found: Mapped[int]
    missing: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(300), default="")  # reallocated / backordered, in words
    suggestion: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[str] = mapped_column(String(10), default="open")
    actor_name: Mapped[str] = mapped_column(String(200), default="")


class Parcel(TenantOwned, CreatedAt, Base):
    """A box being packed for an order at a pack station; closed with its weight and dimensions, then shipped."""

    __tablename__ = "parcels"
    __table_args__ = (
        UniqueConstraint("order_id", "warehouse_id", "parcel_no"),
        CheckConstraint("state IN ('open', 'closed', 'shipped')", name="state"),
        CheckConstraint("parcel_no > 0 AND weight_g >= 0 AND length_mm >= 0 AND width_mm >= 0 AND height_mm >= 0",
                        name="measures"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    parcel_no: Mapped[int]
    state: Mapped[str] = mapped_column(String(10), default="open")
    weight_g: Mapped[int] = mapped_column(default=0)
    length_mm: Mapped[int] = mapped_column(default=0)
    width_mm: Mapped[int] = mapped_column(default=0)
    height_mm: Mapped[int] = mapped_column(default=0)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"), default=None)


class ParcelItem(TenantOwned, Base):
    __tablename__ = "parcel_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int] = mapped_column(Integer)
