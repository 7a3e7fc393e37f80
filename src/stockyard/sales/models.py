"""A tenant's sales channels: its web shops, marketplace accounts, B2B portal and tills."""

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned

CHANNEL_KINDS = ("storefront", "marketplace", "b2b", "pos")


class Channel(TenantOwned, CreatedAt, Base):
    __tablename__ = "channels"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("kind IN ('storefront', 'marketplace', 'b2b', 'pos')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    # Whether prices entered for this channel already include tax (typical for B2C) or not (B2B).
    prices_include_tax: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
