"""Staff users as the admin manages them (create, edit, deactivate, reactivate), and the read models for the user
and API key pages.

Rules: only with users.manage; nobody hands out a role with permissions they lack or changes a user who holds
permissions they lack; nobody deactivates themselves; a tenant always keeps an active owner.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Select, func, or_, select

from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.pagination import Page, paginate, sorted_by
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import API_KEYS_MANAGE, USERS_MANAGE, parse_warehouse_ids
from stockyard.identity.models import ApiKey, User
from stockyard.identity.services import (
    check_can_grant,
    create_api_key,
    create_user,
    forget_cached_keys,
    role_permissions,
)
from stockyard.identity.sessions import end_user_sessions
from stockyard.inventory.models import Warehouse

OWNER = "owner"
SORTS = {"name": User.name, "email": User.email, "role": User.role, "created": User.created_at}


class _UserFields(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=40)
    # Empty: every warehouse.
    warehouse_ids: list[int] = Field(default_factory=list)

    @field_validator("role", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class NewUser(_UserFields):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=8, max_length=200)


class UserChanges(_UserFields):
    active: bool = True


@dataclass(frozen=True)
class UserView:
    id: int
    name: str
    email: str
    role: str
    warehouse_ids: list[int]
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class KeyView:
    id: int
    name: str
    prefix: str
    user_id: int
    user_name: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedKey:
    """A new key: `token` is shown this once and never stored."""

    id: int
    token: str
    prefix: str
    scopes: list[str]


def _view(user: User) -> UserView:
    return UserView(user.id, user.name, user.email, user.role, sorted(parse_warehouse_ids(user.warehouse_ids) or ()),
                    user.active, user.created_at)


def user_dict(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
            "warehouse_ids": sorted(parse_warehouse_ids(user.warehouse_ids) or ()), "active": user.active}


def _load(uow: UnitOfWork, user_id: int) -> User:
    found = uow.execute(select(User).where(User.id == user_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"unknown user {user_id}", field="user_id")
    return found


def _check_warehouses(uow: UnitOfWork, ids: list[int]) -> None:
    """Warehouses of this tenant, and (for an actor limited to some) only warehouses the actor may work in."""
    wanted = set(ids)
    known = set(uow.execute(select(Warehouse.id).where(Warehouse.id.in_(wanted))).scalars()) if wanted else set()
    if wanted - known:
        raise ValidationFailed(f"unknown warehouse(s): {', '.join(map(str, sorted(wanted - known)))}",
                               field="warehouse_ids")
    limit = uow.actor.warehouse_ids if uow.actor else None
    if limit is not None and (not wanted or wanted - limit):
        raise PermissionDenied("you may only give access to warehouses you work in yourself", field="warehouse_ids")


def _check_may_change(uow: UnitOfWork, user: User) -> None:
    """A user who holds permissions the actor lacks (an owner, to an administrator) is out of the actor's reach."""
    held = role_permissions(uow, user.role)
    if uow.actor is not None and not uow.actor.can("*") and held - uow.actor.permissions:
        raise PermissionDenied(f"{user.name} holds permissions you do not; only someone who holds them all can "
                               "change this user", field="user_id")


def _other_active_owners(uow: UnitOfWork, user_id: int) -> int:
    # Locks the owners' rows (PostgreSQL), so that two admins cannot each remove "the other" owner at once.
    ids = uow.execute(select(User.id).where(User.role == OWNER, User.active.is_(True), User.id != user_id)
                      .with_for_update()).scalars().all()
    return len(ids)


def create_staff_user(uow: UnitOfWork, cmd: NewUser) -> int:
    uow.require(USERS_MANAGE)
    _check_warehouses(uow, cmd.warehouse_ids)
    return create_user(uow, email=cmd.email, name=cmd.name, password=cmd.password, role=cmd.role,
                       warehouse_ids=sorted(set(cmd.warehouse_ids)))


def update_staff_user(uow: UnitOfWork, user_id: int, cmd: UserChanges) -> None:
    """Name, role, warehouses and active; writes `user.updated.v1` with before and after when something changed."""
    uow.require(USERS_MANAGE)
    user = _load(uow, user_id)
    _check_may_change(uow, user)
    if cmd.role != user.role:
        check_can_grant(uow, role_permissions(uow, cmd.role), field="role")
    if sorted(set(cmd.warehouse_ids)) != sorted(parse_warehouse_ids(user.warehouse_ids) or ()):
        _check_warehouses(uow, cmd.warehouse_ids)
    if not cmd.active and user.active and uow.actor is not None and uow.actor.user_id == user_id:
        raise Conflict("you cannot deactivate yourself", field="active")
    loses_owner = user.role == OWNER and user.active and (cmd.role != OWNER or not cmd.active)
    if loses_owner and _other_active_owners(uow, user_id) == 0:
        raise Conflict(f"{user.name} is the last active owner; make someone else owner first",
                       field="role" if cmd.role != OWNER else "active")
    before = user_dict(user)
    user.name, user.role, user.active = cmd.name, cmd.role, cmd.active
    user.warehouse_ids = ",".join(str(w) for w in sorted(set(cmd.warehouse_ids)))
    uow.session.flush()
    after = user_dict(user)
    if after == before:
        return
    add_event(uow, "user.updated.v1", {"id": user_id, "before": before, "after": after})
    if before["active"] != after["active"]:
        if not user.active:  # ended now, so that reactivating the user does not revive them
            end_user_sessions(uow, user_id)
        add_event(uow, "user.reactivated.v1" if user.active else "user.deactivated.v1", {"id": user_id})
    forget_cached_keys()


def set_user_active(uow: UnitOfWork, user_id: int, active: bool) -> None:
    """Deactivate (ends the user's sessions and stops their API keys) or reactivate, keeping everything else.
    A reactivated user signs in again: the sessions ended on deactivation stay ended."""
    uow.require(USERS_MANAGE)
    user = _load(uow, user_id)
    changes = UserChanges(name=user.name, role=user.role, active=active,
                          warehouse_ids=sorted(parse_warehouse_ids(user.warehouse_ids) or ()))
    update_staff_user(uow, user_id, changes)


def issue_api_key(uow: UnitOfWork, *, user_id: int, name: str, scopes: list[str] | None = None) -> IssuedKey:
    token = create_api_key(uow, user_id=user_id, name=name, scopes=scopes)
    prefix = token.split("_")[1]
    row = uow.execute(select(ApiKey.id, ApiKey.scopes).where(ApiKey.prefix == prefix)).one()
    return IssuedKey(row.id, token, prefix, list(row.scopes))


# ---- read models ----------------------------------------------------------------------------------------------

class UserFilter(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    q: str = Field(default="", max_length=200)
    role: str = Field(default="", max_length=40)
    active: Literal["", "yes", "no"] = ""
    sort: Literal["name", "-name", "email", "-email", "role", "-role", "created", "-created"] = "name"
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=25, ge=1, le=200)


@requires(USERS_MANAGE)
def list_users(uow: UnitOfWork, f: UserFilter) -> Page[UserView]:
    column = SORTS[f.sort.lstrip("-")]
    stmt = select(User).order_by(column.desc() if f.sort.startswith("-") else column, User.id)
    if f.q:
        like = f"%{f.q.lower()}%"
        stmt = stmt.where(or_(func.lower(User.name).like(like), func.lower(User.email).like(like)))
    if f.role:
        stmt = stmt.where(User.role == f.role.lower())
    if f.active:
        stmt = stmt.where(User.active.is_(f.active == "yes"))
    result = paginate(uow.execute, stmt, f.page, f.per_page)
    return Page([_view(row[0]) for row in result.items], result.total, result.page, result.per_page)


@requires(USERS_MANAGE)
def get_user(uow: UnitOfWork, user_id: int) -> UserView:
    return _view(_load(uow, user_id))


def warehouse_choices(uow: UnitOfWork) -> list[tuple[int, str, str]]:
    """(id, code, name) of the tenant's warehouses, for the user form."""
    rows = uow.execute(select(Warehouse.id, Warehouse.code, Warehouse.name).order_by(Warehouse.code))
    return [(r.id, r.code, r.name) for r in rows]


def _keys(uow: UnitOfWork, user_id: int | None, include_revoked: bool) -> Select[Any]:
    """The actor's own keys; with api_keys.manage every key of the tenant (or one user's)."""
    actor = uow.actor
    if actor is None:
        raise PermissionDenied("nobody is signed in", field="permission")
    stmt = select(ApiKey, User.name).join(User, User.id == ApiKey.user_id)
    if not actor.can(API_KEYS_MANAGE):
        if actor.user_id is None or (user_id is not None and user_id != actor.user_id):
            raise PermissionDenied(f"'{actor.name}' lacks the permission {API_KEYS_MANAGE}", field="permission")
        user_id = actor.user_id
    if user_id is not None:
        stmt = stmt.where(ApiKey.user_id == user_id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return stmt


def _key_views(rows: Iterable[Any]) -> list[KeyView]:
    return [KeyView(k.id, k.name, k.prefix, k.user_id, user_name, list(k.scopes), k.created_at, k.revoked_at)
            for k, user_name in rows]


# Active keys first, the newest first: the order of the API's list and the page's default.
_KEY_ORDER = (ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc())
KEY_SORTS = {"name": ApiKey.name, "user": User.name, "prefix": ApiKey.prefix, "created": (ApiKey.created_at, ApiKey.id),
             "status": ApiKey.revoked_at.is_not(None)}


def list_api_keys(uow: UnitOfWork, user_id: int | None = None, include_revoked: bool = True) -> list[KeyView]:
    """The actor's own keys; with api_keys.manage every key of the tenant (or one user's). Never the secret."""
    return _key_views(uow.execute(_keys(uow, user_id, include_revoked).order_by(*_KEY_ORDER)).all())


def page_api_keys(uow: UnitOfWork, q: str = "", sort: str = "", page: int = 1, per_page: int = 50) -> Page[KeyView]:
    """The API keys page: the keys list_api_keys shows, searched by key name, prefix or user name, sorted by a
    KEY_SORTS key ("-key" descending; active and newest first when it names none)."""
    stmt = _keys(uow, None, True)
    if q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(ApiKey.name).like(like), func.lower(ApiKey.prefix).like(like),
                              func.lower(User.name).like(like)))
    stmt, sort = sorted_by(stmt, sort, KEY_SORTS, "status")
    result = paginate(uow.execute, stmt.order_by(*_KEY_ORDER), page, per_page, sort)
    return replace(result, items=_key_views(result.items))


def key_owner_choices(uow: UnitOfWork) -> list[tuple[int, str]]:
    """Users a key may be made for by this actor: every active user with api_keys.manage, else only themselves."""
    actor = uow.actor
    stmt = select(User.id, User.name).where(User.active.is_(True)).order_by(User.name)
    if actor is None or not actor.can(API_KEYS_MANAGE):
        stmt = stmt.where(User.id == (actor.user_id if actor else None))
    return [(r.id, r.name) for r in uow.execute(stmt)]


def user_permissions(uow: UnitOfWork, user_id: int) -> frozenset[str]:
    """What a user may do through their role (for the key form's scope choices)."""
    if uow.actor is None or uow.actor.user_id != user_id:
        uow.require(API_KEYS_MANAGE)
    user = _load(uow, user_id)
    return role_permissions(uow, user.role, field="user_id")
