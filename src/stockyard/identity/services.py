"""Tenants, users and API keys: creation and authentication."""

import hashlib
import hmac
import secrets
import threading
import time
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, insert, select, update

from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from stockyard.core.settings import get_settings
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import ROLES, USERS_MANAGE, parse_warehouse_ids, permissions_for
from stockyard.identity.models import ApiKey, Tenant, User


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)


# Verified API keys are remembered briefly so that the hot API paths do not pay a lookup per request. A key
# revoked in this process is forgotten at once; other processes stop accepting it within KEY_CACHE_SECONDS.
KEY_CACHE_SECONDS = 30.0
_KEY_CACHE_MAX = 10_000
_key_cache: dict[str, tuple[float, Actor]] = {}
_key_cache_lock = threading.Lock()


def create_tenant(engine: Engine, slug: str, name: str) -> int:
    slug = slug.strip().lower()
    if not slug or not slug.replace("-", "").isalnum():
        raise ValidationFailed("a tenant slug is letters, digits and dashes", field="slug")
    with UnitOfWork(engine) as uow:
        exists = uow.conn.execute(select(Tenant.id).where(Tenant.slug == slug)).first()
        if exists:
            raise Conflict(f"tenant '{slug}' exists", field="slug")
        return uow.conn.execute(insert(Tenant).values(slug=slug, name=name).returning(Tenant.id)).scalar_one()


def tenant_id_for(engine: Engine, slug: str) -> int:
    with UnitOfWork(engine, readonly=True) as uow:
        tid = uow.conn.execute(select(Tenant.id).where(Tenant.slug == slug)).scalar()
    if tid is None:
        raise NotFound(f"no tenant '{slug}'", field="tenant")
    return tid


def create_user(
    uow: UnitOfWork, *, email: str, name: str, password: str, role: str, warehouse_ids: list[int] | None = None
) -> int:
    if uow.actor is not None and uow.actor.user_id is not None:
        uow.actor.require(USERS_MANAGE)
    email = email.strip().lower()
    if "@" not in email:
        raise ValidationFailed("not an e-mail address", field="email")
    if role not in ROLES:
        raise ValidationFailed(f"unknown role '{role}'", field="role")
    if len(password) < 8:
        raise ValidationFailed("a password has at least 8 characters", field="password")
    if uow.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(f"a user with e-mail {email} exists", field="email")
    return uow.conn.execute(
        insert(User)
        .values(
            tenant_id=uow.tenant_id,
            email=email,
            name=name,
            password_hash=_hasher().hash(password),
            role=role,
            warehouse_ids=",".join(str(w) for w in warehouse_ids or []),
        )
        .returning(User.id)
    ).scalar_one()


def _require_own_or_manage(uow: UnitOfWork, user_id: int) -> None:
    """A user may look after their own keys; anyone else's need users.manage (a key carries its user's rights)."""
    if uow.actor is not None and uow.actor.user_id is not None and uow.actor.user_id != user_id:
        uow.actor.require(USERS_MANAGE)


def create_api_key(uow: UnitOfWork, *, user_id: int, name: str) -> str:
    """Returns the key in clear once; only its hash is stored."""
    _require_own_or_manage(uow, user_id)
    if uow.execute(select(User.id).where(User.id == user_id)).first() is None:
        raise NotFound(f"no user {user_id}", field="user_id")
    prefix = secrets.token_hex(6)
    token = f"sy_{prefix}_{secrets.token_urlsafe(24)}"
    uow.conn.execute(
        insert(ApiKey).values(
            tenant_id=uow.tenant_id, user_id=user_id, name=name, prefix=prefix, key_hash=_digest(token)
        )
    )
    return token


def revoke_api_key(uow: UnitOfWork, key_id: int) -> None:
    owner = uow.execute(select(ApiKey.user_id).where(ApiKey.id == key_id)).scalar()
    if owner is not None:
        _require_own_or_manage(uow, owner)
    result = uow.execute(
        update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(f"no active API key {key_id}", field="key_id")
    with _key_cache_lock:
        _key_cache.clear()


def actor_from_api_key(engine: Engine, token: str) -> Actor:
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "sy":
        raise NotAuthenticated("malformed API key")
    digest = _digest(token)
    cached = _key_cache.get(digest)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    with UnitOfWork(engine, readonly=True) as uow:
        row = uow.conn.execute(
            select(ApiKey.key_hash, ApiKey.revoked_at, *User.__table__.c)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.prefix == parts[1])
        ).first()
    if row is None or row.revoked_at is not None or not row.active or not hmac.compare_digest(row.key_hash, digest):
        raise NotAuthenticated("unknown or revoked API key")
    actor = _actor_from_row(row)
    with _key_cache_lock:
        if len(_key_cache) >= _KEY_CACHE_MAX:
            _key_cache.clear()
        _key_cache[digest] = (time.monotonic() + KEY_CACHE_SECONDS, actor)
    return actor


def actor_for_user(engine: Engine, user_id: int) -> Actor:
    with UnitOfWork(engine, readonly=True) as uow:
        row = uow.conn.execute(select(User.__table__).where(User.id == user_id, User.active.is_(True))).first()
    if row is None:
        raise NotAuthenticated("the user no longer exists or is inactive")
    return _actor_from_row(row)


def authenticate_password(engine: Engine, *, tenant_slug: str, email: str, password: str) -> Actor:
    """A wrong tenant, e-mail or password all give the same message."""
    failure = NotAuthenticated("wrong e-mail or password")
    with UnitOfWork(engine, readonly=True) as uow:
        row = uow.conn.execute(
            select(User.__table__)
            .join(Tenant, Tenant.id == User.tenant_id)
            .where(Tenant.slug == tenant_slug.strip().lower(), User.email == email.strip().lower())
        ).first()
    if row is None or not row.active:
        _hasher().hash(password)  # same cost as a real check, so timing does not reveal accounts
        raise failure
    try:
        _hasher().verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise failure from None
    return _actor_from_row(row)


def _actor_from_row(row: object) -> Actor:
    return Actor(
        tenant_id=row.tenant_id,  # type: ignore[attr-defined]
        user_id=row.id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        permissions=permissions_for(row.role),  # type: ignore[attr-defined]
        warehouse_ids=parse_warehouse_ids(row.warehouse_ids),  # type: ignore[attr-defined]
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
