"""Tenants on the admin pages (owners only, permission tenants.manage): the list an owner may see, creating a
tenant together with its first owner, in one transaction, and renaming one.

An owner sees their own tenant and the tenants created from it (`tenants.parent_id`), never anyone else's: any
other tenant's id is unknown (404). A tenant's slug is what its people type when signing in, so it never changes;
tenants have no active flag (a tenant's people are deactivated one by one on its users page).
"""

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.outbox import add_event
from stockyard.core.pagination import Page, paginate
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import TENANTS_MANAGE
from stockyard.identity.models import Tenant, User, UserSession
from stockyard.identity.services import create_user, forget_cached_keys

SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
SORTS = {"name": (Tenant.name, Tenant.id), "slug": (Tenant.slug,),
         "newest": (Tenant.created_at.desc(), Tenant.id.desc())}


class CreateTenant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    owner_name: str = Field(min_length=1, max_length=200)
    owner_email: str = Field(max_length=254)
    owner_password: str = Field(min_length=8, max_length=200)

    @field_validator("slug", mode="before")
    @classmethod
    def _slug(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            if value and not SLUG.fullmatch(value):
                raise ValueError("use lowercase letters, digits and single dashes, like 'north-trading'")
        return value

    @field_validator("name", "owner_name", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("owner_email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            if not EMAIL.fullmatch(value):
                raise ValueError("not an e-mail address")
        return value


def create_tenant_with_owner(uow: UnitOfWork, cmd: CreateTenant) -> int:
    """The new tenant and its owner user (through identity's create_user), or neither."""
    actor = uow.require(TENANTS_MANAGE)
    table = Tenant.__table__
    dialect_insert = pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert
    tenant_id = uow.conn.execute(
        dialect_insert(table)
        .values(slug=cmd.slug, name=cmd.name, parent_id=actor.tenant_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[table.c.slug])
        .returning(table.c.id)
    ).scalar()
    if tenant_id is None:
        raise Conflict(f"the tenant slug '{cmd.slug}' is taken", field="slug")
    setup = Actor(tenant_id=tenant_id, user_id=None, name=f"{actor.name} (tenant setup)", permissions=frozenset({"*"}))
    with uow.acting_as(setup) as new_tenant:
        owner_id = create_user(new_tenant, email=cmd.owner_email, name=cmd.owner_name, password=cmd.owner_password,
                               role="owner")
    add_event(uow, "tenant.created.v1", {"id": tenant_id, "after": {
        "id": tenant_id, "slug": cmd.slug, "name": cmd.name, "parent_id": actor.tenant_id,
        "owner_user_id": owner_id, "owner_email": cmd.owner_email}})
    return tenant_id


@requires(TENANTS_MANAGE)
def list_tenants(uow: UnitOfWork, q: str = "", sort: Literal["name", "slug", "newest"] = "name", page: int = 1,
                 per_page: int = 50) -> Page[Any]:
    stmt = select(Tenant.id, Tenant.slug, Tenant.name, Tenant.created_at, Tenant.parent_id, Tenant.active).where(
        or_(Tenant.id == uow.tenant_id, Tenant.parent_id == uow.tenant_id))
    if q.strip():
        stmt = stmt.where(or_(Tenant.slug.icontains(q.strip(), autoescape=True),
                              Tenant.name.icontains(q.strip(), autoescape=True)))
    return paginate(uow.execute, stmt.order_by(*SORTS.get(sort, SORTS["name"])), page, per_page)


@requires(TENANTS_MANAGE)
def own_tenant(uow: UnitOfWork) -> Any:
    return uow.execute(select(Tenant.id, Tenant.slug, Tenant.name).where(Tenant.id == uow.tenant_id)).one()


class RenameTenant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)

    @field_validator("name", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value


def _visible(uow: UnitOfWork, tenant_id: int) -> Any:
    row = uow.execute(select(Tenant.id, Tenant.slug, Tenant.name, Tenant.created_at, Tenant.parent_id, Tenant.active,
                             Tenant.suspended_reason).where(
        Tenant.id == tenant_id, or_(Tenant.id == uow.tenant_id, Tenant.parent_id == uow.tenant_id))).first()
    if row is None:
        raise NotFound(f"unknown tenant {tenant_id}", field="tenant_id")
    return row


@requires(TENANTS_MANAGE)
def tenant_detail(uow: UnitOfWork, tenant_id: int) -> dict[str, Any]:
    """The tenant (own or created from it), the tenant it was created from (if that is the actor's), and how many
    staff users it has."""
    tenant = _visible(uow, tenant_id)
    # Core on the connection: the tenant filter would count the actor's own users, not the shown tenant's.
    users = uow.conn.execute(select(func.count()).select_from(User.__table__).where(
        User.__table__.c.tenant_id == tenant.id)).scalar_one()
    parent = _visible(uow, tenant.parent_id) if tenant.parent_id == uow.tenant_id else None
    return {"tenant": tenant, "parent": parent, "users": users, "own": tenant.id == uow.tenant_id}


def rename_tenant(uow: UnitOfWork, tenant_id: int, cmd: RenameTenant) -> None:
    """A new display name for the actor's tenant or one created from it; audited with before and after."""
    uow.require(TENANTS_MANAGE)
    tenant = _visible(uow, tenant_id)
    if tenant.name == cmd.name:
        return
    uow.conn.execute(update(Tenant.__table__).where(Tenant.__table__.c.id == tenant.id).values(name=cmd.name))
    add_event(uow, "tenant.renamed.v1", {"id": tenant.id, "slug": tenant.slug, "before": {"name": tenant.name},
                                         "after": {"name": cmd.name}})


class SuspendTenant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=3, max_length=500)


def _child(uow: UnitOfWork, tenant_id: int, doing: str) -> Any:
    tenant = _visible(uow, tenant_id)
    if tenant.id == uow.tenant_id:
        raise Conflict(f"you cannot {doing} your own tenant; an owner of the tenant it was created from can",
                       field="tenant_id")
    return tenant


def suspend_tenant(uow: UnitOfWork, tenant_id: int, cmd: SuspendTenant) -> None:
    """Suspends a tenant created from the actor's: its people are signed out and cannot sign in, its API keys are
    refused and its shops close. Audited with the reason."""
    uow.require(TENANTS_MANAGE)
    tenant = _child(uow, tenant_id, "suspend")
    if not tenant.active:
        raise Conflict(f"tenant '{tenant.slug}' is suspended already", field="tenant_id")
    uow.conn.execute(update(Tenant.__table__).where(Tenant.__table__.c.id == tenant.id)
                     .values(active=False, suspended_reason=cmd.reason))
    uow.conn.execute(delete(UserSession.__table__).where(UserSession.__table__.c.user_id.in_(
        select(User.__table__.c.id).where(User.__table__.c.tenant_id == tenant.id))))
    add_event(uow, "tenant.suspended.v1", {"id": tenant.id, "slug": tenant.slug, "reason": cmd.reason,
                                           "before": {"active": True}, "after": {"active": False}})
    uow.after_commit(forget_cached_keys)


def reactivate_tenant(uow: UnitOfWork, tenant_id: int) -> None:
    """Lifts a suspension: the tenant's people can sign in again with their own passwords and keys."""
    uow.require(TENANTS_MANAGE)
    tenant = _child(uow, tenant_id, "reactivate")
    if tenant.active:
        raise Conflict(f"tenant '{tenant.slug}' is not suspended", field="tenant_id")
    uow.conn.execute(update(Tenant.__table__).where(Tenant.__table__.c.id == tenant.id)
                     .values(active=True, suspended_reason=""))
    add_event(uow, "tenant.reactivated.v1", {"id": tenant.id, "slug": tenant.slug,
                                             "before": {"active": False, "reason": tenant.suspended_reason},
                                             "after": {"active": True}})
