"""Full resync: every mapped SKU of a connection pushed now, whatever was pending or backing off (for recovery, or
after a site was restored from a backup). `stockyard channels resync [--connection ID]` runs it with a progress bar.
"""

from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine, func, select

from stockyard.core.actor import Actor
from stockyard.core.outbound import outbound_client
from stockyard.core.progress import Steps
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.identity.domain import CHANNELS_MANAGE
from stockyard.integration.channels.mapping import load_connection
from stockyard.integration.channels.models import ChannelConnection
from stockyard.integration.channels.stock_push import (
    HTTP_TIMEOUT,
    MAX_BATCHES,
    mark_connection_pending,
    push_connection,
)
from stockyard.integration.channels.sync_models import ChannelPendingPush


@dataclass
class ResyncReport:
    connection_id: int
    name: str
    pushed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _queue_all(uow: UnitOfWork, connection_id: int) -> tuple[str, int]:
    uow.require(CHANNELS_MANAGE)
    connection = load_connection(uow, connection_id)
    return connection.name, mark_connection_pending(uow, connection_id, None, delay_seconds=0)


def queue_resync(uow: UnitOfWork, connection_id: int) -> int:
    """Queue every mapped SKU of the connection, due now (the push job sends them within seconds); how many."""
    return _queue_all(uow, connection_id)[1]


def _last_error(uow: UnitOfWork, connection_id: int) -> str:
    return uow.execute(select(func.max(ChannelPendingPush.last_error)).where(
        ChannelPendingPush.connection_id == connection_id)).scalar_one() or ""


def resync_connection(engine: Engine, actor: Actor, connection_id: int, *, client: httpx.Client | None = None,
                      steps: Steps | None = None) -> ResyncReport:
    name, queued = perform(engine, actor, _queue_all, connection_id)
    report = ResyncReport(connection_id, name)
    advance = (steps or Steps(None)).task(f"{name}: stock and prices", queued)
    http = client or outbound_client(timeout=HTTP_TIMEOUT)
    try:
        for _ in range(MAX_BATCHES * 10):
            done, failed = push_connection(engine, actor.tenant_id, connection_id, http)
            report.pushed += done
            advance(done + failed)
            if failed:
                report.failed += failed
                report.errors.append(read(engine, actor, _last_error, connection_id))
                break
            if not done:
                break
    finally:
        if client is None:
            http.close()
    return report


def _active_ids(uow: UnitOfWork) -> list[int]:
    uow.require(CHANNELS_MANAGE)
    return list(uow.execute(select(ChannelConnection.id).where(ChannelConnection.active.is_(True))
                            .order_by(ChannelConnection.id)).scalars())


def resync_all(engine: Engine, actor: Actor, *, steps: Steps | None = None) -> list[ResyncReport]:
    """Every active connection of the actor's tenant."""
    return [resync_connection(engine, actor, connection_id, steps=steps)
            for connection_id in read(engine, actor, _active_ids)]


def connection_tenants(engine: Engine, connection_id: int | None = None) -> list[tuple[int, int]]:
    """(tenant id, connection id) of one connection, or of every active connection of every tenant: for the CLI,
    which acts as each connection's tenant."""
    c = ChannelConnection.__table__
    stmt = select(c.c.tenant_id, c.c.id).order_by(c.c.id)
    stmt = stmt.where(c.c.id == connection_id) if connection_id is not None else stmt.where(c.c.active.is_(True))
    with engine.connect() as conn:
        return [(r.tenant_id, r.id) for r in conn.execute(stmt)]
