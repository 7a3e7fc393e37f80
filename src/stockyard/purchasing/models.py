"""Purchasing tables: suppliers, purchase orders and their lines, purchase order numbers (gapless per tenant)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.clock import utcnow
from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned

PO_STATES = ("draft", "sent", "partially_received", "received", "closed", "cancelled")
UnitCost = Numeric(14, 4)


class Supplier(TenantOwned, CreatedAt, Base):
    __tablename__ = "suppliers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    # Days from sending an order to its arrival, the default expected date of a new purchase order.
    lead_time_days: Mapped[int] = mapped_column(default=7)
    active: Mapped[bool] = mapped_column(default=True)


class PurchaseOrderNumber(Base):
    """The last purchase order number handed out per tenant."""

    __tablename__ = "purchase_order_numbers"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class PurchaseOrder(TenantOwned, CreatedAt, Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("state IN ('draft', 'sent', 'partially_received', 'received', 'closed', 'cancelled')",
                        name="state"),
        Index("ix_purchase_orders_tenant_state", "tenant_id", "state", "expected_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    # The destination: receipts land in a location of this warehouse.
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    currency: Mapped[str] = mapped_column(String(3))
    expected_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PurchaseOrderLine(TenantOwned, Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "sku_id"),
        CheckConstraint("quantity > 0 AND received >= 0 AND received <= quantity", name="quantities"),
        CheckConstraint("unit_cost >= 0", name="unit_cost"),
        # Inbound per SKU (storefront labels, backorder dates).
        Index("ix_purchase_order_lines_tenant_sku", "tenant_id", "sku_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    received: Mapped[int] = mapped_column(default=0)
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost)
    # When this line arrives, if not with the rest of the order (a partial delivery announced by the supplier).
    expected_on: Mapped[date | None] = mapped_column(default=None)
