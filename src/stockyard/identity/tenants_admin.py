"""Tenants on the admin pages (owners only, permission tenants.manage): the list an owner may see, and creating a
tenant together with its first owner, in one transaction.

An owner sees their own tenant and the tenants created from it (`tenants.parent_id`), never anyone else's.
"""

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict
from stockyard.core.outbox import add_event
from stockyard.core.pagination import Page, paginate
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import TENANTS_MANAGE
from stockyard.identity.models import Tenant
from stockyard.identity.services import create_user

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
    stmt = select(Tenant.id, Tenant.slug, Tenant.name, Tenant.created_at, Tenant.parent_id).where(
        or_(Tenant.id == uow.tenant_id, Tenant.parent_id == uow.tenant_id))
    if q.strip():
        stmt = stmt.where(or_(Tenant.slug.icontains(q.strip(), autoescape=True),
                              Tenant.name.icontains(q.strip(), autoescape=True)))
    return paginate(uow.execute, stmt.order_by(*SORTS.get(sort, SORTS["name"])), page, per_page)


@requires(TENANTS_MANAGE)
def own_tenant(uow: UnitOfWork) -> Any:
    return uow.execute(select(Tenant.id, Tenant.slug, Tenant.name).where(Tenant.id == uow.tenant_id)).one()
