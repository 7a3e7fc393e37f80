"""Tenants, staff users and API keys."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned


class Tenant(CreatedAt, Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The tenant whose owner created this one on the tenants admin page; its owners see it listed there.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True, default=None)
    # A suspended tenant's people cannot sign in, its API keys are refused and its shops answer no one
    # (identity/tenants_admin.py); its data stays as it was.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    suspended_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")


class User(TenantOwned, CreatedAt, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(40))
    # Comma-separated warehouse ids; empty means every warehouse.
    warehouse_ids: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Second factor: the TOTP secret, encrypted (core/crypto.py); set while setting up, enabled once confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(255), default=None)
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    # The last accepted TOTP time step, so that one code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)


class ApiKey(TenantOwned, CreatedAt, Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # Permission names this key may use (its actor gets the user's permissions ∩ these); "*" means all of the
    # user's permissions (keys made before scopes existed).
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)


class Role(TenantOwned, CreatedAt, Base):
    """A custom role of one tenant; the built-in roles live in code (domain.ROLES). `users.role` holds its name."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(500), default="")
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)


class UserSession(Base):
    """A server-side web session. Not tenant-owned: a visitor has a session before signing in. The cookie holds a
    random id; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_last_seen_at", "last_seen_at"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column()
    last_seen_at: Mapped[datetime] = mapped_column()
