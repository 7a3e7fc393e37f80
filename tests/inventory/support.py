"""Test support: read a tenant's rows straight from the database (to prove what changed and what did not),
and actors holding one role's permissions."""

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from stockyard.all_models import Base
from stockyard.catalog.models import Sku
from stockyard.core.actor import Actor
from stockyard.core.errors import DomainError
from stockyard.core.outbox import OutboxEvent
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity.domain import permissions_for
from stockyard.inventory.models import Location, StockLevel, StockMove
from stockyard.inventory.verify import verify_levels
from tests.conftest import TenantCtx


def role_actor(ctx: TenantCtx, role: str, warehouse_ids: list[int] | None = None) -> Actor:
    """An actor with exactly the permissions of `role` (and optionally limited to some warehouses)."""
    return Actor(tenant_id=ctx.tenant_id, user_id=None, name=f"{role} tester", permissions=permissions_for(role),
                 warehouse_ids=frozenset(warehouse_ids) if warehouse_ids else None)


def tenant_rows(ctx: TenantCtx) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the tenant owns, table by table (outbox included): equal before and after means nothing changed."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        for table in Base.metadata.sorted_tables:
            if "tenant_id" not in table.c:
                continue
            stmt = select(table).where(table.c.tenant_id == ctx.tenant_id).order_by(*table.primary_key.columns)
            found[table.name] = [tuple(row) for row in uow.conn.execute(stmt)]
    return found


def level(ctx: TenantCtx, sku: str, path: str, status: str = "sellable", lot: str = "") -> tuple[int, int]:
    """(on hand, reserved) of one level row; (0, 0) when there is none."""
    lv, s, loc = StockLevel.__table__, Sku.__table__, Location.__table__
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        row = uow.conn.execute(
            select(lv.c.on_hand, lv.c.reserved)
            .join(s, s.c.id == lv.c.sku_id)
            .join(loc, loc.c.id == lv.c.location_id)
            .where(lv.c.tenant_id == ctx.tenant_id, s.c.code == sku, loc.c.path == path, lv.c.status == status,
                   lv.c.lot == lot)
        ).first()
    return (row.on_hand, row.reserved) if row else (0, 0)


def sku_id(ctx: TenantCtx, code: str) -> int:
    s = Sku.__table__
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return uow.conn.execute(select(s.c.id).where(s.c.tenant_id == ctx.tenant_id, s.c.code == code)).scalar_one()


def location_id(ctx: TenantCtx, path: str) -> int:
    loc = Location.__table__
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return uow.conn.execute(
            select(loc.c.id).where(loc.c.tenant_id == ctx.tenant_id, loc.c.path == path)).scalar_one()


def moves_of(ctx: TenantCtx, sku: str) -> list[dict[str, Any]]:
    """The ledger lines of one SKU, oldest first, with the paths of both ends."""
    m, s = StockMove.__table__, Sku.__table__
    src, dst = Location.__table__.alias("src"), Location.__table__.alias("dst")
    stmt = (select(m, src.c.path.label("from_path"), dst.c.path.label("to_path"))
            .join(s, s.c.id == m.c.sku_id).join(src, src.c.id == m.c.from_location_id)
            .join(dst, dst.c.id == m.c.to_location_id)
            .where(m.c.tenant_id == ctx.tenant_id, s.c.code == sku).order_by(m.c.id))
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return [dict(r._mapping) for r in uow.conn.execute(stmt)]


def events(ctx: TenantCtx, event_type: str | None = None) -> list[dict[str, Any]]:
    """Outbox payloads of the tenant, oldest first, optionally of one type."""
    o = OutboxEvent.__table__
    stmt = select(o.c.type, o.c.payload).where(o.c.tenant_id == ctx.tenant_id).order_by(o.c.id)
    if event_type is not None:
        stmt = stmt.where(o.c.type == event_type)
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return [{"type": r.type, **r.payload} for r in uow.conn.execute(stmt)]


def event_types(ctx: TenantCtx) -> list[str]:
    return [e["type"] for e in events(ctx)]


def ledger_size(ctx: TenantCtx) -> int:
    m = StockMove.__table__
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return uow.conn.execute(select(func.count()).where(m.c.tenant_id == ctx.tenant_id)).scalar_one()


def assert_ledger_consistent(ctx: TenantCtx) -> None:
    """Levels rebuilt from the ledger (and reserved from active reservations) equal the stored levels."""
    assert verify_levels(ctx.engine, ctx.tenant_id) == []


def assert_refused(ctx: TenantCtx, error: type[DomainError], field: str, action: Callable[..., Any], *args: Any,
                   actor: Actor | None = None, **kwargs: Any) -> DomainError:
    """Run one service call that must fail with `error` naming `field`, and prove it changed nothing."""
    before = tenant_rows(ctx)
    with pytest.raises(error) as info:
        perform(ctx.engine, actor or ctx.actor, action, *args, **kwargs)
    assert info.value.field == field, info.value
    assert info.value.message
    assert tenant_rows(ctx) == before
    assert_ledger_consistent(ctx)
    return info.value
