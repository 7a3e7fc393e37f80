"""Returns: the return authorisation (RMA), its lines, photos and timeline."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.clock import utcnow
from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned

Amount = Numeric(14, 4)


class ReturnNumber(Base):
    """The last return number handed out per tenant."""

    __tablename__ = "return_numbers"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class ReturnAuthorization(TenantOwned, CreatedAt, Base):
    __tablename__ = "returns"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("status IN ('requested', 'authorized', 'rejected', 'received', 'inspected', 'refunded', "
                        "'exchanged', 'closed')", name="status"),
        CheckConstraint("initiated_by IN ('customer', 'staff')", name="initiated_by"),
        CheckConstraint("refunded_amount >= 0", name="refunded_amount"),
        Index("ix_returns_queue", "tenant_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), default=None)
    status: Mapped[str] = mapped_column(String(12), default="requested")
    initiated_by: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(32))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    # The staff's note when authorising or rejecting.
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    # Where the returned units were received (their return_pending stock sits there until disposition).
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), default=None)
    refunded_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    refunded_shipping: Mapped[bool] = mapped_column(default=False)
    exchange_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReturnLine(TenantOwned, Base):
    __tablename__ = "return_lines"
    __table_args__ = (
        UniqueConstraint("return_id", "order_line_id"),
        CheckConstraint("quantity > 0 AND received >= 0 AND received <= quantity", name="quantities"),
        CheckConstraint("grade IS NULL OR grade IN ('A', 'B', 'C', 'D')", name="grade"),
        CheckConstraint("disposition IS NULL OR disposition IN ('restock', 'quarantine', 'damaged', 'refurbish', "
                        "'scrap')", name="disposition"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    received: Mapped[int] = mapped_column(default=0)
    grade: Mapped[str | None] = mapped_column(String(1), default=None)
    disposition: Mapped[str | None] = mapped_column(String(12), default=None)
    inspection_note: Mapped[str] = mapped_column(String(500), default="")


class ReturnPhoto(TenantOwned, CreatedAt, Base):
    __tablename__ = "return_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), index=True)
    original_key: Mapped[str] = mapped_column(String(300))
    small_key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]


class ReturnEvent(TenantOwned, Base):
    """The return's timeline, as staff and the customer see it."""

    __tablename__ = "return_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(12), default=None)
    to_status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(String(500), default="")
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
