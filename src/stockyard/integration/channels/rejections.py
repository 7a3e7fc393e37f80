"""Site orders we refused. A webhook's refusal is answered to the site and a polled order's is logged, but nobody
watches either, so each refusal is kept here with its reason until the same order is taken; the sync dashboard lists
the open ones and the exception queue (analytics) counts them."""

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from stockyard.core.actor import system_actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, DomainError
from stockyard.core.uow import UnitOfWork, perform, requires
from stockyard.identity.domain import INTEGRATION_VIEW
from stockyard.integration.channels.models import ChannelOrderRejection

_rejections = ChannelOrderRejection.__table__
UNATTENDED = ("webhook", "poll")  # a CSV import's refusals are reported to the person importing


def is_repeat(error: DomainError) -> bool:
    """The site sent an order it had sent before: answered, but nothing is wrong with it."""
    return isinstance(error, Conflict) and error.field == "external_id"


def _record(uow: UnitOfWork, connection_id: int, external_id: str, via: str, error: DomainError,
            at: datetime) -> None:
    """One open row per site order: a site retrying a refused webhook (Shopify does, for two days) or a poll
    meeting the order again updates the reason, keeping when it was first refused."""
    reason = {"received_via": via, "field": (error.field or "")[:200], "message": error.message[:1000]}
    key = (_rejections.c.tenant_id == uow.tenant_id, _rejections.c.connection_id == connection_id,
           _rejections.c.external_order_id == external_id[:100], _rejections.c.resolved_at.is_(None))
    if uow.conn.execute(update(_rejections).where(*key).values(**reason)).rowcount:
        return
    uow.conn.execute(insert(_rejections), {
        "tenant_id": uow.tenant_id, "connection_id": connection_id, "external_order_id": external_id[:100],
        **reason, "received_at": at, "resolved_at": None})


def record_rejection(engine: Engine, tenant_id: int, connection_id: int, external_id: str, via: str,
                     error: DomainError) -> None:
    """Keeps an unattended refusal (in a transaction of its own: the refused one rolled back)."""
    if via not in UNATTENDED or is_repeat(error):
        return
    perform(engine, system_actor(tenant_id, "channel order intake"), _record, connection_id, external_id, via,
            error, utcnow())


def resolve_rejections(uow: UnitOfWork, connection_id: int, external_id: str) -> None:
    """The order was taken after all: its earlier refusals are dealt with."""
    uow.conn.execute(update(_rejections).where(
        _rejections.c.tenant_id == uow.tenant_id, _rejections.c.connection_id == connection_id,
        _rejections.c.external_order_id == external_id, _rejections.c.resolved_at.is_(None)).values(
        resolved_at=utcnow()))


@requires(INTEGRATION_VIEW)
def open_rejections(uow: UnitOfWork, connection_id: int, limit: int = 50) -> list[Any]:
    """The connection's refused orders not taken since, newest first."""
    return list(uow.conn.execute(
        select(_rejections).where(_rejections.c.tenant_id == uow.tenant_id,
                                  _rejections.c.connection_id == connection_id,
                                  _rejections.c.resolved_at.is_(None))
        .order_by(_rejections.c.received_at.desc(), _rejections.c.id.desc()).limit(limit)))
