"""The outbound half of a channel connection: which of our SKUs the site lists, how much of our stock it may sell,
what is waiting to be pushed, and what status updates are owed to the site.

- `ChannelSkuMap` ("channel_sku_maps"): our SKU ↔ the site's item id (Shopify variant id, WooCommerce product id,
  any id for the generic contract) and, where the platform keeps stock on a separate record, its stock id (Shopify
  inventory item id). It remembers what was last pushed, so the dashboard can show drift.
- `ChannelSyncSettings` ("channel_sync_settings"): one per connection: the allocation pool (warehouses feeding the
  site, a share of their ATP, a buffer held back), the debounce, and the health of the last pushes.
- `ChannelPendingPush` ("channel_pending_pushes"): (connection, SKU) waiting to be pushed; one row however many
  changes happened (coalesced), sent by the push job once `due_at` passes. `version` grows with every change, so a
  change that lands while a push is in flight is not lost when the push deletes the row.
- `ChannelStatusPush` ("channel_status_pushes"): a shipment, invoice, refund or cancellation owed to the site for an
  order that came from it; sent by the status job, retried with backoff.
- `ChannelSyncError` ("channel_sync_errors"): the log of failed pushes and reads shown on the dashboard.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.clock import utcnow
from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned

STATUS_KINDS = ("shipped", "invoiced", "refunded", "cancelled")


class ChannelSkuMap(TenantOwned, CreatedAt, Base):
    __tablename__ = "channel_sku_maps"
    __table_args__ = (
        UniqueConstraint("connection_id", "sku_id"),
        UniqueConstraint("connection_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("channel_connections.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(100))
    external_stock_id: Mapped[str] = mapped_column(String(100), default="")
    last_available: Mapped[int | None] = mapped_column(default=None)
    last_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 4), default=None)
    last_pushed_at: Mapped[datetime | None] = mapped_column(default=None)


class ChannelSyncSettings(TenantOwned, Base):
    __tablename__ = "channel_sync_settings"
    __table_args__ = (
        CheckConstraint("stock_buffer >= 0", name="stock_buffer"),
        CheckConstraint("stock_share_pct BETWEEN 0 AND 100", name="stock_share_pct"),
        CheckConstraint("debounce_seconds >= 0", name="debounce_seconds"),
    )

    connection_id: Mapped[int] = mapped_column(ForeignKey("channel_connections.id"), primary_key=True)
    stock_buffer: Mapped[int] = mapped_column(default=0)
    stock_share_pct: Mapped[int] = mapped_column(default=100)
    # Warehouse ids whose stock feeds the site; an empty list means every active warehouse.
    warehouse_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    push_prices: Mapped[bool] = mapped_column(default=True)
    # Shopify: the location whose levels we set.
    external_location_id: Mapped[str] = mapped_column(String(100), default="")
    debounce_seconds: Mapped[int] = mapped_column(default=2)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    last_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelPendingPush(TenantOwned, CreatedAt, Base):
    __tablename__ = "channel_pending_pushes"
    __table_args__ = (
        UniqueConstraint("connection_id", "sku_id"),
        Index("ix_channel_pending_pushes_due", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("channel_connections.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    version: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")


class ChannelStatusPush(TenantOwned, CreatedAt, Base):
    __tablename__ = "channel_status_pushes"
    __table_args__ = (
        UniqueConstraint("connection_id", "source_event_id"),
        CheckConstraint("kind IN ('shipped', 'invoiced', 'refunded', 'cancelled')", name="kind"),
        CheckConstraint("state IN ('pending', 'sent', 'failed')", name="state"),
        Index("ix_channel_status_pushes_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("channel_connections.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    external_order_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_event_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(8), default="pending")
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class ChannelSyncError(TenantOwned, CreatedAt, Base):
    __tablename__ = "channel_sync_errors"
    __table_args__ = (Index("ix_channel_sync_errors_connection", "connection_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("channel_connections.id"))
    kind: Mapped[str] = mapped_column(String(10))  # stock, status, read
    message: Mapped[str] = mapped_column(String(500))
