"""Tenant isolation, applied in one place.

Every tenant-owned table mixes in `TenantOwned`. Every ORM-enabled SELECT, UPDATE and DELETE run
through a unit of work's session is given `tenant_id = <current tenant>` for every tenant-owned
entity it touches (joins, subqueries and relationship loads included), by the listener below.
Inserts get the tenant from `UnitOfWork.tenant_id`.
"""

from typing import Any

from sqlalchemy import ForeignKey, event
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)

TENANT_KEY = "tenant_id"


class TenantOwned:
    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(ForeignKey("tenants.id"), index=True, nullable=False)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None or state.execution_options.get("all_tenants", False):
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantOwned,
                lambda cls: cls.tenant_id == tenant_id,
                include_aliases=True,
            )
        )


def scoped_session_info(tenant_id: int | None) -> dict[str, Any]:
    return {TENANT_KEY: tenant_id}
