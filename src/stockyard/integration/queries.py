"""What the integration page shows a tenant: its outbox lag, each consumer's backlog, failures and dead letters."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from stockyard.core.clock import utcnow
from stockyard.core.outbox import OutboxEvent
from stockyard.core.pagination import Page, paginate
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import INTEGRATION_VIEW
from stockyard.integration.models import Delivery, InboxEntry

_outbox = OutboxEvent.__table__
_d = Delivery.__table__


@dataclass(frozen=True)
class ConsumerBacklog:
    name: str
    event_types: str
    pending: int  # waiting for (embedded) or replayed to (broker) the consumer
    retrying: int  # failed at least once, will be tried again
    dead: int
    handled: int


@dataclass(frozen=True)
class Overview:
    unpublished: int
    oldest_unpublished_at: datetime | None
    consumers: list[ConsumerBacklog]
    failures: Page
    dead_letters: Page

    @property
    def lag_seconds(self) -> float:
        return (utcnow() - self.oldest_unpublished_at).total_seconds() if self.oldest_unpublished_at else 0.0


@requires(INTEGRATION_VIEW)
def integration_overview(uow: UnitOfWork, consumers: dict[str, str], page: int = 1, dead_page: int = 1,
                         per_page: int = 25) -> Overview:
    """`consumers`: name → the event types it takes, of the consumers this installation runs."""
    tenant = uow.tenant_id
    lag = uow.conn.execute(select(func.count(), func.min(_outbox.c.created_at)).where(
        _outbox.c.tenant_id == tenant, _outbox.c.published_at.is_(None))).one()
    counts = {row.consumer: row for row in uow.conn.execute(
        select(_d.c.consumer,
               func.sum(case((_d.c.state == "dead", 0), (_d.c.attempts == 0, 1), else_=0)).label("pending"),
               func.sum(case((_d.c.state == "dead", 0), (_d.c.attempts > 0, 1), else_=0)).label("retrying"),
               func.sum(case((_d.c.state == "dead", 1), else_=0)).label("dead"))
        .where(_d.c.tenant_id == tenant).group_by(_d.c.consumer))}
    inbox = InboxEntry.__table__
    handled = dict(uow.conn.execute(select(inbox.c.consumer, func.count()).where(inbox.c.tenant_id == tenant)
                                    .group_by(inbox.c.consumer)).all())
    names = sorted(set(consumers) | set(counts))
    backlog = [ConsumerBacklog(name, consumers.get(name, "(no longer running)"),
                               int(counts[name].pending or 0) if name in counts else 0,
                               int(counts[name].retrying or 0) if name in counts else 0,
                               int(counts[name].dead or 0) if name in counts else 0, int(handled.get(name, 0)))
               for name in names]
    columns = (_d.c.id, _d.c.consumer, _d.c.event_id, _d.c.event_type, _d.c.attempts, _d.c.last_error,
               _d.c.failed_at, _d.c.next_attempt_at, _d.c.state)
    failures = paginate(uow.conn.execute, select(*columns).where(
        _d.c.tenant_id == tenant, _d.c.state != "dead", _d.c.attempts > 0).order_by(_d.c.failed_at.desc(), _d.c.id),
        page, per_page)
    dead = paginate(uow.conn.execute, select(*columns).where(
        _d.c.tenant_id == tenant, _d.c.state == "dead").order_by(_d.c.failed_at.desc(), _d.c.id), dead_page, per_page)
    return Overview(int(lag[0]), lag[1], backlog, failures, dead)
