"""Helpers for the backbone's tests: events of a tenant, the test consumers' effects, the deliveries' rows."""

from typing import Any

from sqlalchemy import Engine, func, select

from stockyard.core.outbox import OutboxEvent, add_events
from stockyard.core.settings import Settings
from stockyard.core.uow import UnitOfWork
from stockyard.integration.models import Delivery
from tests.conftest import TenantCtx
from tests.integration import backbone_consumers
from tests.integration.backbone_consumers import PING, effects

_outbox = OutboxEvent.__table__
_d = Delivery.__table__


def settings_with_test_consumers(**overrides: Any) -> Settings:
    return Settings(consumer_modules=backbone_consumers.MODULE, **overrides)


def pings(ctx: TenantCtx, payloads: list[dict[str, Any]]) -> list[str]:
    with UnitOfWork(ctx.engine, ctx.actor) as uow:
        return add_events(uow, [(PING, p) for p in payloads])


def effect_counts(engine: Engine, tenant_id: int, consumer: str) -> dict[str, int]:
    """event id → how many times the consumer's effect happened."""
    with UnitOfWork(engine, readonly=True) as uow:
        conn = uow.conn
        rows = conn.execute(select(effects.c.event_id, func.count()).where(
            effects.c.tenant_id == tenant_id, effects.c.consumer == consumer).group_by(effects.c.event_id)).all()
    return {event_id: n for event_id, n in rows}


def deliveries(engine: Engine, tenant_id: int) -> list[Any]:
    with UnitOfWork(engine, readonly=True) as uow:
        conn = uow.conn
        return conn.execute(select(_d).where(_d.c.tenant_id == tenant_id).order_by(_d.c.id)).all()


def unpublished_of(engine: Engine, tenant_id: int) -> int:
    with UnitOfWork(engine, readonly=True) as uow:
        conn = uow.conn
        return conn.execute(select(func.count()).select_from(_outbox).where(
            _outbox.c.tenant_id == tenant_id, _outbox.c.published_at.is_(None))).scalar_one()
