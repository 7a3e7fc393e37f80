"""Tenants, users and API keys: creation and authentication."""

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import replace
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, and_, insert, select, update

from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.settings import get_settings
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import ALL_PERMISSIONS, API_KEYS_MANAGE, ROLES, USERS_MANAGE, parse_warehouse_ids
from stockyard.identity.models import ApiKey, Role, Tenant, User


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified API keys are remembered briefly so that the hot API paths do not pay a lookup per request. A key
# revoked in this process is forgotten at once; other processes stop accepting it within KEY_CACHE_SECONDS.
KEY_CACHE_SECONDS = 30.0
_KEY_CACHE_MAX = 10_000
_key_cache: dict[str, tuple[float, Actor]] = {}
_key_cache_lock = threading.Lock()

# A user row with the permissions of their custom role, if they have one: a LEFT JOIN on the unique (tenant, name)
# of roles, so resolving an actor costs no extra round trip; built-in roles come from code.
_ROLE_OF_USER = and_(Role.tenant_id == User.tenant_id, Role.name == User.role)
_USER_WITH_ROLE = select(*User.__table__.c, Role.permissions.label("role_permissions"),
                         Tenant.active.label("tenant_active")).select_from(
    User.__table__.join(Tenant.__table__, Tenant.id == User.tenant_id).outerjoin(Role.__table__, _ROLE_OF_USER))
SUSPENDED = "your company's account is suspended; ask whoever runs it to reactivate it"


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
    check_can_grant(uow, role_permissions(uow, role), field="role")
    if len(password) < 8:
        raise ValidationFailed("a password has at least 8 characters", field="password")
    if uow.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(f"a user with e-mail {email} exists", field="email")
    user_id = uow.conn.execute(
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
    after = {"id": user_id, "email": email, "name": name, "role": role, "warehouse_ids": sorted(warehouse_ids or []),
             "active": True}
    add_event(uow, "user.created.v1", {"id": user_id, "after": after})
    return user_id


# ---- roles and permissions ------------------------------------------------------------------------------------

def effective_permissions(role: str, custom_permissions: list[str] | None) -> frozenset[str]:
    """A built-in role's bundle, or a custom role's stored permissions (names no longer known are ignored)."""
    if role in ROLES:
        return ROLES[role]
    return frozenset(custom_permissions or ()) & ALL_PERMISSIONS


def role_permissions(uow: UnitOfWork, role: str, field: str = "role") -> frozenset[str]:
    """The permissions of a built-in role or of a custom role of this tenant; an unknown role is refused."""
    if role in ROLES:
        return ROLES[role]
    found = uow.execute(select(Role.permissions).where(Role.name == role)).first()
    if found is None:
        raise ValidationFailed(f"unknown role '{role}'", field=field)
    return effective_permissions(role, found[0])


def check_can_grant(uow: UnitOfWork, permissions: frozenset[str], field: str) -> None:
    """Nobody hands out a permission they do not hold themselves (no escalation through roles or keys)."""
    if uow.actor is None or uow.actor.can("*"):
        return
    missing = sorted(permissions - uow.actor.permissions)
    if missing:
        raise PermissionDenied(f"you cannot grant permissions you do not hold: {', '.join(missing)}", field=field)


def forget_cached_keys() -> None:
    """Call when a key, a user or a role changes: API keys are verified again on their next use."""
    with _key_cache_lock:
        _key_cache.clear()


def _require_own_or_manage(uow: UnitOfWork, user_id: int) -> None:
    """A user may look after their own keys; anyone else's need api_keys.manage."""
    if uow.actor is not None and uow.actor.user_id is not None and uow.actor.user_id != user_id:
        uow.actor.require(API_KEYS_MANAGE)


def create_api_key(uow: UnitOfWork, *, user_id: int, name: str, scopes: list[str] | None = None) -> str:
    """Returns the key in clear once; only its hash is stored. `scopes` is a subset of the user's permissions
    (default: all of them, as they are now); the key's actor gets the user's permissions ∩ its scopes."""
    _require_own_or_manage(uow, user_id)
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed("a key needs a name of 1 to 200 characters", field="name")
    user = uow.execute(select(User.role, User.active).where(User.id == user_id)).first()
    if user is None:
        raise NotFound(f"no user {user_id}", field="user_id")
    if not user.active:
        raise Conflict("the user is deactivated; reactivate them first", field="user_id")
    granted = role_permissions(uow, user.role, field="user_id")
    if scopes is None:
        chosen = granted if uow.actor is None or uow.actor.can("*") else granted & uow.actor.permissions
    else:
        chosen = frozenset(scopes)
        unknown = sorted(chosen - ALL_PERMISSIONS)
        if unknown:
            raise ValidationFailed(f"unknown permission(s): {', '.join(unknown)}", field="scopes")
        beyond = sorted(chosen - granted)
        if beyond:
            raise ValidationFailed(f"the user does not hold: {', '.join(beyond)}", field="scopes")
    if not chosen:
        raise ValidationFailed("choose at least one permission for the key", field="scopes")
    check_can_grant(uow, chosen, field="scopes")
    prefix = secrets.token_hex(6)
    token = f"sy_{prefix}_{secrets.token_urlsafe(24)}"
    key_id = uow.conn.execute(
        insert(ApiKey).values(
            tenant_id=uow.tenant_id, user_id=user_id, name=name, prefix=prefix, key_hash=_digest(token),
            scopes=sorted(chosen),
        ).returning(ApiKey.id)
    ).scalar_one()
    add_event(uow, "api_key.created.v1", {"id": key_id, "after": {
        "id": key_id, "user_id": user_id, "name": name, "prefix": prefix, "scopes": sorted(chosen)}})
    return token


def revoke_api_key(uow: UnitOfWork, key_id: int) -> None:
    key = uow.execute(select(ApiKey.user_id, ApiKey.name, ApiKey.prefix).where(ApiKey.id == key_id)).first()
    if key is not None:
        _require_own_or_manage(uow, key.user_id)
    revoked_at = utcnow()
    result = uow.execute(
        update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)).values(revoked_at=revoked_at)
    )
    if key is None or result.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(f"no active API key {key_id}", field="key_id")
    about = {"id": key_id, "user_id": key.user_id, "name": key.name, "prefix": key.prefix}
    add_event(uow, "api_key.revoked.v1", {"id": key_id, "before": {**about, "revoked_at": None},
                                          "after": {**about, "revoked_at": revoked_at.isoformat()}})
    forget_cached_keys()


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
            _USER_WITH_ROLE.add_columns(ApiKey.key_hash, ApiKey.revoked_at, ApiKey.scopes)
            .join(ApiKey.__table__, ApiKey.user_id == User.id)
            .where(ApiKey.prefix == parts[1])
        ).first()
    if row is None or row.revoked_at is not None or not row.active or not hmac.compare_digest(row.key_hash, digest):
        raise NotAuthenticated("unknown or revoked API key")
    if not row.tenant_active:
        raise NotAuthenticated(SUSPENDED)
    actor = _actor_from_row(row)
    if "*" not in row.scopes:  # the key may use only its scopes of what its user may do
        actor = replace(actor, permissions=actor.permissions & frozenset(row.scopes))
    with _key_cache_lock:
        if len(_key_cache) >= _KEY_CACHE_MAX:
            _key_cache.clear()
        _key_cache[digest] = (time.monotonic() + KEY_CACHE_SECONDS, actor)
    return actor


def actor_for_user(engine: Engine, user_id: int) -> Actor:
    with UnitOfWork(engine, readonly=True) as uow:
        row = uow.conn.execute(_USER_WITH_ROLE.where(User.id == user_id, User.active.is_(True))).first()
    if row is None:
        raise NotAuthenticated("the user no longer exists or is inactive")
    if not row.tenant_active:
        raise NotAuthenticated(SUSPENDED)
    return _actor_from_row(row)


def authenticate_password(engine: Engine, *, tenant_slug: str, email: str, password: str) -> Actor:
    """A wrong tenant, e-mail or password all give the same message."""
    failure = NotAuthenticated("wrong e-mail or password")
    with UnitOfWork(engine, readonly=True) as uow:
        row = uow.conn.execute(
            _USER_WITH_ROLE.where(Tenant.slug == tenant_slug.strip().lower(), User.email == email.strip().lower())
        ).first()
    if row is None or not row.active:
        _hasher().hash(password)  # same cost as a real check, so timing does not reveal accounts
        raise failure
    try:
        _hasher().verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise failure from None
    if not row.tenant_active:  # said only to someone who knows the password
        raise NotAuthenticated(SUSPENDED)
    return _actor_from_row(row)


def _actor_from_row(row: object) -> Actor:
    return Actor(
        tenant_id=row.tenant_id,  # type: ignore[attr-defined]
        user_id=row.id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        permissions=effective_permissions(row.role, row.role_permissions),  # type: ignore[attr-defined]
        warehouse_ids=parse_warehouse_ids(row.warehouse_ids),  # type: ignore[attr-defined]
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
