"""Payment methods a tenant offers, per channel or on all its channels."""

from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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
