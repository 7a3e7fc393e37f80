"""Sales: channels, customers and their addresses, carts with stock holds, orders, their lines, allocations and
the order timeline."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.clock import utcnow
from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned

CHANNEL_KINDS = ("storefront", "marketplace", "b2b", "pos")
ALLOCATION_STRATEGIES = ("priority", "fewest_shipments", "nearest", "cheapest_shipping")
ORDER_STATUSES = (
    "placed", "awaiting_payment", "paid", "allocated", "partially_allocated", "backordered", "picking", "packed",
    "partially_shipped", "shipped", "delivered", "invoiced", "closed", "on_hold", "cancelled",
)
Amount = Numeric(14, 4)


class Channel(TenantOwned, CreatedAt, Base):
    __tablename__ = "channels"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("kind IN ('storefront', 'marketplace', 'b2b', 'pos')", name="kind"),
        CheckConstraint("allocation_strategy IN ('priority', 'fewest_shipments', 'nearest', 'cheapest_shipping')",
                        name="allocation_strategy"),
        CheckConstraint("hold_minutes > 0", name="hold_minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    # Whether prices entered for this channel already include tax (typical for B2C) or not (B2B).
    prices_include_tax: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    # The host name a storefront channel answers on (shop.example.com); None: the configured default shop.
    domain: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    allocation_strategy: Mapped[str] = mapped_column(String(20), default="priority")
    allow_split_shipments: Mapped[bool] = mapped_column(default=True)
    # How long adding to a cart holds the stock.
    hold_minutes: Mapped[int] = mapped_column(default=15)
    # The sales tax (VAT) rate applied to this channel's orders, 0.2 = 20 %.
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal(0))


class Customer(TenantOwned, CreatedAt, Base):
    """A buyer: a registered account (with a password) or a guest known by e-mail. Not a staff user."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    active: Mapped[bool] = mapped_column(default=True)


class CustomerAddress(TenantOwned, CreatedAt, Base):
    __tablename__ = "customer_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(120), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(40), default="")
    is_default: Mapped[bool] = mapped_column(default=False)


class Cart(TenantOwned, CreatedAt, Base):
    __tablename__ = "carts"
    __table_args__ = (
        # paying: place-order has claimed the cart and waits for the payment provider (sales/checkout.py).
        CheckConstraint("state IN ('open', 'paying', 'ordered', 'merged', 'abandoned')", name="state"),
        Index("ix_carts_customer", "tenant_id", "customer_id", "state"),
        Index("ix_carts_paying", "state", "updated_at"),  # the stalled-checkout job
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The guest's handle on the cart (kept in the session); never guessable.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), default=None)
    email: Mapped[str] = mapped_column(String(254), default="")
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(10), default="open")
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    shipping_method_id: Mapped[int | None] = mapped_column(ForeignKey("shipping_methods.id"), default=None)
    payment_method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"), default=None)
    # The idempotency key of the place-order that claimed the cart, while it is paying.
    checkout_key: Mapped[str | None] = mapped_column(String(80), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CartLine(TenantOwned, Base):
    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "sku_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    # The stock hold for this line (inventory reservation with a TTL); None once it lapsed or was released.
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), default=None)
    held_until: Mapped[datetime | None] = mapped_column(default=None)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderNumber(Base):
    """The last order number handed out per tenant (one conditional UPDATE ... RETURNING per order)."""

    __tablename__ = "order_numbers"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Order(TenantOwned, CreatedAt, Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint(
            "status IN ('placed', 'awaiting_payment', 'paid', 'allocated', 'partially_allocated', 'backordered', "
            "'picking', 'packed', 'partially_shipped', 'shipped', 'delivered', 'invoiced', 'closed', 'on_hold', "
            "'cancelled')", name="status"),
        CheckConstraint("subtotal >= 0 AND shipping_total >= 0 AND tax_total >= 0 AND grand_total >= 0",
                        name="totals"),
        Index("ix_orders_listing", "tenant_id", "status", "placed_at"),
        Index("ix_orders_customer", "tenant_id", "customer_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), default=None)
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20))
    # The status to return to when a hold is lifted.
    held_from: Mapped[str | None] = mapped_column(String(20), default=None)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Amount)
    shipping_total: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    tax_total: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    grand_total: Mapped[Decimal] = mapped_column(Amount)
    prices_include_tax: Mapped[bool] = mapped_column(default=True)
    shipping_method_id: Mapped[int | None] = mapped_column(ForeignKey("shipping_methods.id"), default=None)
    shipping_quote: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    payment_method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"), default=None)
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), default=None)
    # storefront, staff, exchange, api, channel, csv
    source: Mapped[str] = mapped_column(String(20), default="storefront")
    external_ref: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The tax per rate: [{"name", "rate", "base", "tax"}] (billing/tax_domain.TaxLine); None on older orders.
    tax_lines: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)


class OrderLine(TenantOwned, Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("allocated >= 0 AND shipped >= 0 AND returned >= 0 AND shipped <= quantity "
                        "AND returned <= shipped", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    sku_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Amount)
    line_total: Mapped[Decimal] = mapped_column(Amount)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal(0))
    # The name of the rate on documents ("DE VAT reduced 7%").
    tax_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    allocated: Mapped[int] = mapped_column(default=0)
    shipped: Mapped[int] = mapped_column(default=0)
    returned: Mapped[int] = mapped_column(default=0)
    # Units that could not be allocated wait here; the date is known when an inbound purchase covers them.
    backordered: Mapped[int] = mapped_column(default=0)
    backorder_expected_on: Mapped[date | None] = mapped_column(default=None)


class OrderAllocation(TenantOwned, CreatedAt, Base):
    """Units of a line held in one warehouse for this order (an inventory reservation), and why there."""

    __tablename__ = "order_allocations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("state IN ('allocated', 'shipped', 'released')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id"))
    quantity: Mapped[int]
    state: Mapped[str] = mapped_column(String(10), default="allocated")
    reason: Mapped[str] = mapped_column(String(300), default="")


class OrderEvent(TenantOwned, Base):
    """The order's timeline: every status change and notable action, as the customer and staff see it."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20), default=None)
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
