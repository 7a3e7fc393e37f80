"""Purchasing tables: suppliers and the SKUs they sell, purchase orders and their lines, purchase order numbers
(gapless per tenant), advance shipping notices, goods receipts, putaway rules."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint, text
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
    # How far above the ordered quantity a delivery may go (percent of the line); beyond it a receipt is refused.
    over_receipt_tolerance_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0), server_default="0")


class SupplierSku(TenantOwned, Base):
    """A SKU a supplier sells: its own code, price in the supplier's currency, pack size and minimum order."""

    __tablename__ = "supplier_skus"
    __table_args__ = (
        UniqueConstraint("supplier_id", "sku_id"),
        CheckConstraint("unit_cost >= 0 AND pack_size >= 1 AND min_order_qty >= 1", name="terms"),
        # One preferred supplier per SKU: the one replenishment orders from.
        Index("ix_supplier_skus_preferred", "tenant_id", "sku_id", unique=True,
              sqlite_where=text("preferred"), postgresql_where=text("preferred")),
        Index("ix_supplier_skus_tenant_sku", "tenant_id", "sku_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    supplier_code: Mapped[str] = mapped_column(String(64), default="")
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    pack_size: Mapped[int] = mapped_column(default=1)
    min_order_qty: Mapped[int] = mapped_column(default=1)
    preferred: Mapped[bool] = mapped_column(default=False)


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
    # Units delivered beyond `quantity`, accepted within the supplier's over-receipt tolerance (not in `received`,
    # so that received <= quantity stays true and inbound never goes negative).
    over_received: Mapped[int] = mapped_column(default=0, server_default="0")
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost)
    # When this line arrives, if not with the rest of the order (a partial delivery announced by the supplier).
    expected_on: Mapped[date | None] = mapped_column(default=None)


ASN_STATES = ("open", "partially_received", "received", "cancelled")


class Asn(TenantOwned, CreatedAt, Base):
    """An advance shipping notice: the supplier says what is on its way for a purchase order, how and when."""

    __tablename__ = "asns"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'partially_received', 'received', 'cancelled')", name="state"),
        Index("ix_asns_tenant_po", "tenant_id", "purchase_order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"))
    reference: Mapped[str] = mapped_column(String(64), default="")  # the supplier's delivery note number
    carrier: Mapped[str] = mapped_column(String(80), default="")
    tracking: Mapped[str] = mapped_column(String(120), default="")
    expected_on: Mapped[date]
    state: Mapped[str] = mapped_column(String(20), default="open")
    note: Mapped[str] = mapped_column(String(500), default="")


class AsnLine(TenantOwned, Base):
    __tablename__ = "asn_lines"
    __table_args__ = (
        UniqueConstraint("asn_id", "po_line_id"),
        CheckConstraint("quantity > 0 AND received >= 0", name="quantities"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asn_id: Mapped[int] = mapped_column(ForeignKey("asns.id"), index=True)
    po_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id"))
    quantity: Mapped[int]
    received: Mapped[int] = mapped_column(default=0)


class ReceiptNumber(Base):
    """The last goods receipt number handed out per tenant."""

    __tablename__ = "receipt_numbers"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class GoodsReceipt(TenantOwned, CreatedAt, Base):
    """One delivery received: against a purchase order, an ASN of one, or blind (no order; the supplier optional)."""

    __tablename__ = "goods_receipts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("kind IN ('purchase_order', 'asn', 'blind')", name="kind"),
        Index("ix_goods_receipts_tenant_po", "tenant_id", "purchase_order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"), default=None)
    asn_id: Mapped[int | None] = mapped_column(ForeignKey("asns.id"), default=None)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), default=None)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    actor_name: Mapped[str] = mapped_column(String(200), default="")


class GoodsReceiptLine(TenantOwned, Base):
    __tablename__ = "goods_receipt_lines"
    __table_args__ = (CheckConstraint("quantity > 0 AND over_received >= 0", name="quantities"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("goods_receipts.id"), index=True)
    po_line_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order_lines.id"), default=None)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    # Of `quantity`, the units beyond what the order line still expected (accepted within the tolerance).
    over_received: Mapped[int] = mapped_column(default=0)
    unit_cost: Mapped[Decimal | None] = mapped_column(UnitCost, default=None)
    lot: Mapped[str] = mapped_column(String(64), default="")
    move_id: Mapped[int | None] = mapped_column(default=None)


class PutawayRule(TenantOwned, CreatedAt, Base):
    """SKUs of a category (or of its subcategories) go to this location of a warehouse, or to the bins under it."""

    __tablename__ = "putaway_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "warehouse_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
