"""The scale-out relay: unpublished outbox rows → the broker's topic exchange, in id order.

One batch is one transaction: claim the oldest unpublished rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
workers share the table without waiting for or repeating each other), publish each as a persistent message with
publisher confirms (the broker has taken it when `basic_publish` returns), then mark them published and commit. A
crash between publishing and committing publishes those rows again; the consumers' inbox makes that harmless.
"""

from collections.abc import Mapping

from pika.adapters.blocking_connection import BlockingChannel
from sqlalchemy import Engine, and_, select, update

from stockyard.core.clock import utcnow
from stockyard.core.outbox import OutboxEvent
from stockyard.core.uow import UnitOfWork
from stockyard.integration.broker import Topology, message
from stockyard.integration.consumers import Consumer
from stockyard.integration.models import Delivery

_outbox = OutboxEvent.__table__
_d = Delivery.__table__


def relay_batch(engine: Engine, channel: BlockingChannel, topology: Topology, batch: int) -> int:
    """Publish one batch of unpublished events; how many (0: nothing waits)."""
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        query = (select(_outbox.c.id, _outbox.c.event_id, _outbox.c.tenant_id, _outbox.c.type, _outbox.c.payload,
                        _outbox.c.created_at)
                 .where(_outbox.c.published_at.is_(None)).order_by(_outbox.c.id).limit(batch))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = conn.execute(query).all()
        for row in rows:
            body, properties = message(row.event_id, row.tenant_id, row.type, row.payload, row.created_at, row.id)
            channel.basic_publish(topology.exchange, row.type, body, properties)
        if rows:
            conn.execute(update(_outbox).where(_outbox.c.id.in_([row.id for row in rows])).values(
                published_at=utcnow()))
        return len(rows)


def relay_replays(engine: Engine, channel: BlockingChannel, topology: Topology,
                  consumers: Mapping[str, Consumer], batch: int) -> int:
    """Deliveries an administrator replayed (state pending): their event goes straight to that consumer's queue."""
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        query = (select(_d.c.id, _d.c.consumer, _outbox.c.id.label("outbox_id"), _outbox.c.event_id,
                        _outbox.c.tenant_id, _outbox.c.type, _outbox.c.payload, _outbox.c.created_at)
                 .join(_outbox, and_(_outbox.c.id == _d.c.outbox_id))
                 .where(_d.c.state == "pending", _d.c.next_attempt_at <= utcnow(),
                        _d.c.consumer.in_(list(consumers)))
                 .order_by(_d.c.outbox_id).limit(batch))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(of=_d, skip_locked=True)
        rows = conn.execute(query).all()
        for row in rows:
            body, properties = message(row.event_id, row.tenant_id, row.type, row.payload, row.created_at,
                                       row.outbox_id)
            channel.basic_publish("", topology.queue(row.consumer), body, properties)
        if rows:
            conn.execute(update(_d).where(_d.c.id.in_([row.id for row in rows]), _d.c.state == "pending")
                         .values(state="queued"))
        return len(rows)
