"""Billing tables: payment methods a tenant offers, payments and their transaction log, invoices, and the test
gateway's own records."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.clock import utcnow
from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned


class PaymentMethod(TenantOwned, CreatedAt, Base):
    __tablename__ = "payment_methods"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint("gateway IN ('manual_bank_transfer', 'cash_on_delivery', 'test', 'stripe')", name="gateway"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    gateway: Mapped[str] = mapped_column(String(32))
    # None: offered on every channel of the tenant.
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), default=None, index=True)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Secret name → Fernet ciphertext (core/crypto.py); never sent back to a page or an API.
    secrets: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


# ---- payments ---------------------------------------------------------------------------------------------------

Amount = Numeric(14, 4)
PAYMENT_STATES = ("pending", "requires_action", "authorized", "partially_captured", "captured", "partially_refunded",
                  "refunded", "voided", "failed")
TRANSACTION_KINDS = ("authorize", "capture", "void", "refund", "webhook")


class Payment(TenantOwned, CreatedAt, Base):
    """One attempt to get an order's money through one payment method. Amounts: `amount` is what was authorised
    (or, for manual methods, what is due); captured and refunded add up the transactions below."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_payments_order", "tenant_id", "order_id"),
        Index("ix_payments_reference", "method_id", "reference"),
        CheckConstraint("state IN ('pending', 'requires_action', 'authorized', 'partially_captured', 'captured', "
                        "'partially_refunded', 'refunded', 'voided', 'failed')", name="state"),
        CheckConstraint("capture_mode IN ('order', 'shipment')", name="capture_mode"),
        CheckConstraint("amount > 0 AND captured_amount >= 0 AND captured_amount <= amount AND refunded_amount >= 0 "
                        "AND refunded_amount <= captured_amount", name="amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    method_id: Mapped[int] = mapped_column(ForeignKey("payment_methods.id"), index=True)
    gateway: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Amount)
    captured_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    refunded_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3))
    # The gateway's id of the charge; None for manual methods until staff record the bank reference.
    reference: Mapped[str | None] = mapped_column(String(100), default=None)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    capture_mode: Mapped[str] = mapped_column(String(10), default="order")
    # Where the customer confirms the payment (3-D Secure), while the state is requires_action.
    action_url: Mapped[str | None] = mapped_column(String(500), default=None)
    message: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentTransaction(TenantOwned, CreatedAt, Base):
    """Append-only log of every call to a gateway and every webhook applied, successful or not."""

    __tablename__ = "payment_transactions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id"),
        CheckConstraint("kind IN ('authorize', 'capture', 'void', 'refund', 'webhook')", name="kind"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    success: Mapped[bool] = mapped_column(default=True)
    message: Mapped[str] = mapped_column(String(300), default="")
    reference: Mapped[str | None] = mapped_column(String(100), default=None)
    # The gateway's event id of a webhook: a replayed delivery finds it here and changes nothing.
    event_id: Mapped[str | None] = mapped_column(String(100), default=None)


# ---- invoices ---------------------------------------------------------------------------------------------------

class InvoiceSequence(Base):
    """The last invoice number handed out per tenant and year; incremented in the issuing transaction, so a rolled
    back invoice gives its number back and the sequence has no gaps."""

    __tablename__ = "invoice_sequences"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class Invoice(TenantOwned, Base):
    """An issued invoice: a snapshot of what was sold, never changed afterwards (a correction is a credit note)."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "order_id"),
        CheckConstraint("subtotal >= 0 AND shipping_total >= 0 AND tax_total >= 0 AND grand_total >= 0",
                        name="totals"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    number: Mapped[str] = mapped_column(String(32))
    order_number: Mapped[str] = mapped_column(String(32))
    # Who issues it (the tenant's trading name, as the caller gives it).
    seller: Mapped[str] = mapped_column(String(200), default="")
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    currency: Mapped[str] = mapped_column(String(3))
    email: Mapped[str] = mapped_column(String(254), default="")
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    prices_include_tax: Mapped[bool] = mapped_column(default=True)
    subtotal: Mapped[Decimal] = mapped_column(Amount)
    shipping_total: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    tax_total: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    grand_total: Mapped[Decimal] = mapped_column(Amount)
    # The tax per rate: [{"name", "rate", "base", "tax"}] (billing/tax_domain.TaxLine), adding up to tax_total.
    tax_lines: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)


class InvoiceLine(TenantOwned, Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int]
    sku_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Amount)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), default=Decimal(0))
    line_total: Mapped[Decimal] = mapped_column(Amount)


# ---- the test gateway's own records (it stands in for a remote card network; see billing/test_gateway.py) ---------

class TestGatewayCharge(Base):
    __tablename__ = "testgw_charges"
    __test__ = False  # not a pytest test class
    __table_args__ = (
        UniqueConstraint("method_id", "idempotency_key"),
        CheckConstraint("state IN ('requires_action', 'authorized', 'declined', 'canceled', 'voided')", name="state"),
        CheckConstraint("amount > 0 AND captured >= 0 AND captured <= amount AND refunded >= 0 "
                        "AND refunded <= captured", name="amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    method_id: Mapped[int] = mapped_column(ForeignKey("payment_methods.id"))
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    # What the first answer to this idempotency key was: approved, declined or requires_action.
    result: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Amount)
    captured: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    refunded: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3))
    last4: Mapped[str] = mapped_column(String(4), default="")
    description: Mapped[str] = mapped_column(String(200), default="")
    decline_message: Mapped[str] = mapped_column(String(200), default="")
    return_url: Mapped[str] = mapped_column(String(500), default="")
    # Capture at once when the customer confirms (the merchant asked for authorise-and-capture).
    capture_on_confirm: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TestGatewayWebhook(Base):
    """The test gateway's outbox of webhook deliveries, sent by `deliver_test_gateway_webhooks` with retries."""

    __tablename__ = "testgw_webhooks"
    __test__ = False
    __table_args__ = (Index("ix_testgw_webhooks_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    method_id: Mapped[int] = mapped_column(ForeignKey("payment_methods.id"))
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(300), default="")
