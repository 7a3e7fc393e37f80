"""Channel connections: one external site (store, marketplace) wired to one tenant's sales channel.

Public contract (the outbound half builds on it; columns may be added, never renamed):
- `ChannelConnection` ("channel_connections"): the site, its adapter ('generic' | 'shopify' | 'woocommerce'), its
  API root, the tenant's sales channel (`channel_id`) whose prices, currency and allocation rules apply, the
  webhook secret (stored encrypted with core/crypto.py: read it with `connection_secret()` in
  integration/channels/connections.py), the API token (encrypted likewise), and the polling cursor.
  A site serving several tenants has one connection per tenant: unique (adapter, base_url, tenant_id).
- `ChannelCustomerLink` ("channel_customer_links"): the site's customer id → our customer.
- `ChannelOrderRef` ("channel_order_refs"): the site's order id → our order; the dedupe key of inbound orders.
- `ChannelOrderRejection` ("channel_order_rejections"): a site's order we refused, open until the order is taken.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.clock import utcnow
from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned

ADAPTERS = ("generic", "shopify", "woocommerce")


class ChannelConnection(TenantOwned, CreatedAt, Base):
    __tablename__ = "channel_connections"
    __table_args__ = (
        UniqueConstraint("adapter", "base_url", "tenant_id"),
        CheckConstraint("adapter IN ('generic', 'shopify', 'woocommerce')", name="adapter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    adapter: Mapped[str] = mapped_column(String(20))
    # The external site's API root, e.g. https://shop.example.com (no trailing slash).
    base_url: Mapped[str] = mapped_column(String(500))
    # The site's own id for itself (Shopify shop domain, WooCommerce site URL, any string for generic).
    external_site_id: Mapped[str] = mapped_column(String(200), default="")
    # Fernet ciphertext (core/crypto.py) of the shared HMAC secret of the site's webhooks.
    webhook_secret: Mapped[str] = mapped_column(Text)
    # Fernet ciphertext of the token we use to call the site's API ("" when none).
    api_token: Mapped[str] = mapped_column(Text, default="")
    poll_orders: Mapped[bool] = mapped_column(default=False)
    # Where the next poll starts (an ISO timestamp for the three adapters); None: from the beginning.
    poll_cursor: Mapped[str | None] = mapped_column(String(100), default=None)
    last_polled_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelCustomerLink(TenantOwned, CreatedAt, Base):
    __tablename__ = "channel_customer_links"
    __table_args__ = (UniqueConstraint("connection_id", "external_customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("channel_connections.id"))
    external_customer_id: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)


class ChannelOrderRef(TenantOwned, Base):
    __tablename__ = "channel_order_refs"
    __table_args__ = (UniqueConstraint("connection_id", "external_order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("channel_connections.id"))
    external_order_id: Mapped[str] = mapped_column(String(100))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    # webhook, poll, csv, manual
    received_via: Mapped[str] = mapped_column(String(10), default="webhook")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelOrderRejection(TenantOwned, Base):
    """A site's order we refused (unknown SKU, bad address, no stock policy...), sent by webhook or found by polling:
    the site was answered, but nobody watches those answers, so it waits here for a person until the same order is
    taken (`resolved_at`)."""

    __tablename__ = "channel_order_rejections"
    __table_args__ = (Index("ix_channel_order_rejections_open", "tenant_id", "connection_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("channel_connections.id"))
    external_order_id: Mapped[str] = mapped_column(String(100))
    received_via: Mapped[str] = mapped_column(String(10))  # webhook, poll
    field: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(String(1000))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
