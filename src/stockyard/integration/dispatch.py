"""Delivering outbox events to consumers, exactly once in effect.

`handle_event` is the one place a consumer runs: inside ONE unit of work (the system actor of the event's tenant)
that also inserts the (consumer, event id) inbox row, so a duplicate delivery finds the row and does nothing.
A failure is recorded on the (consumer, event) delivery row with the time of the next attempt (exponential
backoff); after the consumer's `max_attempts` the delivery is dead until an administrator replays or discards it.

Embedded profile (no STOCKYARD_BROKER_URL): `drain(engine)` relays unpublished outbox rows to delivery rows (one
per interested consumer; the outbox row is then marked published) and handles every delivery that is due, oldest
event first. The scale-out profile (integration/relay.py, integration/broker.py) uses the same `handle_event` and
`record_failure` behind RabbitMQ queues.
"""

import importlib
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from stockyard.core.actor import system_actor
from stockyard.core.clock import utcnow
from stockyard.core.metrics import CONSUMER_FAILURES
from stockyard.core.outbox import OutboxEvent
from stockyard.core.settings import Settings, get_settings
from stockyard.core.uow import UnitOfWork
from stockyard.integration.consumers import Consumer, Event, registered
from stockyard.integration.models import Delivery, InboxEntry
from stockyard.integration.registry import CONSUMER_MODULES, load_consumers

log = logging.getLogger("stockyard.integration")

_outbox = OutboxEvent.__table__
_inbox = InboxEntry.__table__
_deliveries = Delivery.__table__
ERROR_TEXT_LIMIT = 2000
INSERT_CHUNK = 1000

_settings: ContextVar[Settings | None] = ContextVar("stockyard_consumer_settings", default=None)


def consumer_settings() -> Settings:
    """The settings a consumer should use (mail, URLs): those of the process that dispatches the event."""
    return _settings.get() or get_settings()


@contextmanager
def _using(settings: Settings) -> Iterator[None]:
    token = _settings.set(settings)
    try:
        yield
    finally:
        _settings.reset(token)


def consumer_modules(settings: Settings) -> list[str]:
    extra = [m.strip() for m in settings.consumer_modules.split(",") if m.strip()]
    return [*CONSUMER_MODULES, *extra]


def active_consumers(settings: Settings | None = None) -> dict[str, Consumer]:
    """The consumers defined by CONSUMER_MODULES and STOCKYARD_CONSUMER_MODULES (not any other module that
    happens to be imported and registers one)."""
    settings = settings or get_settings()
    load_consumers()
    modules = consumer_modules(settings)
    for module in modules:
        importlib.import_module(module)
    return {name: c for name, c in sorted(registered().items()) if c.handle.__module__ in modules}


def insert_ignoring_duplicates(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING; how many rows were new (counted from RETURNING: psycopg reports no
    rowcount for it)."""
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    key = list(table.primary_key.columns)[0]
    statement = dialect.insert(table).on_conflict_do_nothing().returning(key)
    new = 0
    for start in range(0, len(rows), INSERT_CHUNK):  # SQLite takes at most 32,766 parameters per statement
        new += len(conn.execute(statement.values(rows[start:start + INSERT_CHUNK])).all())
    return new


def event_from_row(row: Any) -> Event:
    return Event(event_id=row.event_id, tenant_id=row.tenant_id, type=row.type, payload=row.payload,
                 created_at=row.created_at)


def _claim(uow: UnitOfWork, consumer: Consumer, event: Event) -> bool:
    """Insert the inbox row and drop the (consumer, event) delivery row; False if the inbox already had the event.
    On PostgreSQL one statement (a data-modifying CTE), so the claim costs one round trip."""
    inbox_row = {"consumer": consumer.name, "event_id": event.event_id, "tenant_id": event.tenant_id,
                 "handled_at": utcnow()}
    gone = delete(_deliveries).where(_deliveries.c.consumer == consumer.name,
                                     _deliveries.c.event_id == event.event_id)
    if uow.conn.dialect.name == "postgresql":
        claim = (postgresql.insert(_inbox).values(inbox_row).on_conflict_do_nothing()
                 .returning(_inbox.c.consumer).add_cte(gone.cte("gone_delivery")))
        return uow.conn.execute(claim).first() is not None
    uow.conn.execute(gone)
    return bool(insert_ignoring_duplicates(uow.conn, _inbox, [inbox_row]))


def handle_event(engine: Engine, consumer: Consumer, event: Event, settings: Settings | None = None) -> bool:
    """Run the consumer on the event once: True if it ran now, False if the inbox shows it ran before. An error
    from the consumer propagates after its transaction was rolled back (nothing of it, nor the inbox row, stays;
    the delivery row is back)."""
    with _using(settings or consumer_settings()), \
            UnitOfWork(engine, system_actor(event.tenant_id, f"consumer {consumer.name}")) as uow:
        new = _claim(uow, consumer, event)
        if new:
            consumer.handle(uow, event)
        return new


def backoff(settings: Settings, attempts: int) -> float:
    """Seconds before the attempt after `attempts` failures."""
    return min(settings.consumer_retry_base_seconds * 2 ** max(attempts - 1, 0), settings.consumer_retry_max_seconds)


@dataclass(frozen=True)
class Failure:
    attempts: int
    dead: bool
    delay_seconds: float


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:ERROR_TEXT_LIMIT]


def record_failure(engine: Engine, consumer: Consumer, event: Event, outbox_id: int, error: BaseException,
                   settings: Settings, *, waiting_state: str = "pending") -> Failure:
    """Count one failed attempt of the consumer on the event; dead after its max_attempts. `waiting_state` is what a
    delivery that will be retried is: pending (embedded, retried in-process) or queued (in a broker delay queue)."""
    now = utcnow()
    message = describe(error)
    d = _deliveries
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        insert_ignoring_duplicates(conn, d, [{
            "consumer": consumer.name, "event_id": event.event_id, "outbox_id": outbox_id,
            "tenant_id": event.tenant_id, "event_type": event.type, "state": waiting_state, "attempts": 0,
            "next_attempt_at": now, "last_error": "", "created_at": now}])
        attempts = conn.execute(update(d).where(d.c.consumer == consumer.name, d.c.event_id == event.event_id)
                                .values(attempts=d.c.attempts + 1).returning(d.c.attempts)).scalar_one()
        dead = attempts >= consumer.max_attempts
        delay = 0.0 if dead else backoff(settings, attempts)
        conn.execute(update(d).where(d.c.consumer == consumer.name, d.c.event_id == event.event_id).values(
            state="dead" if dead else waiting_state, last_error=message, failed_at=now,
            next_attempt_at=now + timedelta(seconds=delay)))
    CONSUMER_FAILURES.labels(consumer.name, "true" if dead else "false").inc()
    if dead:
        log.error("consumer %s gave up on event %s (%s) after %d attempts: %s", consumer.name, event.event_id,
                  event.type, attempts, message)
    else:
        log.warning("consumer %s failed on event %s (%s), attempt %d, retry in %.1fs: %s", consumer.name,
                    event.event_id, event.type, attempts, delay, message)
    return Failure(attempts, dead, delay)


# ---- the embedded profile ------------------------------------------------------------------------------------------

def fan_out(engine: Engine, consumers: Mapping[str, Consumer], batch: int, tenant_id: int | None = None) -> int:
    """Relay one batch of unpublished outbox rows (of one tenant, if given), in id order, to a delivery row per
    interested consumer, and mark them published, in one transaction. How many outbox rows it relayed."""
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        query = (select(_outbox.c.id, _outbox.c.event_id, _outbox.c.tenant_id, _outbox.c.type)
                 .where(_outbox.c.published_at.is_(None)).order_by(_outbox.c.id).limit(batch))
        if tenant_id is not None:
            query = query.where(_outbox.c.tenant_id == tenant_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = conn.execute(query).all()
        if not rows:
            return 0
        now = utcnow()
        deliveries = [{"consumer": c.name, "event_id": row.event_id, "outbox_id": row.id, "tenant_id": row.tenant_id,
                       "event_type": row.type, "state": "pending", "attempts": 0, "next_attempt_at": now,
                       "last_error": "", "created_at": now}
                      for row in rows for c in consumers.values() if c.wants(row.type)]
        insert_ignoring_duplicates(conn, _deliveries, deliveries)
        conn.execute(update(_outbox).where(_outbox.c.id.in_([row.id for row in rows])).values(published_at=now))
        return len(rows)


def _due(engine: Engine, consumers: Mapping[str, Consumer], batch: int, tenant_id: int | None = None) -> list[Any]:
    d = _deliveries
    query = (select(d.c.consumer, d.c.outbox_id, _outbox.c.event_id, _outbox.c.tenant_id, _outbox.c.type,
                    _outbox.c.payload, _outbox.c.created_at)
             .join(_outbox, and_(_outbox.c.id == d.c.outbox_id))
             .where(d.c.state == "pending", d.c.next_attempt_at <= utcnow(), d.c.consumer.in_(list(consumers)))
             .order_by(d.c.outbox_id, d.c.consumer).limit(batch))
    if tenant_id is not None:
        query = query.where(d.c.tenant_id == tenant_id)
    with UnitOfWork(engine, readonly=True) as uow:
        return uow.conn.execute(query).all()


def consume_due(engine: Engine, consumers: Mapping[str, Consumer], settings: Settings,
                tenant_id: int | None = None) -> tuple[int, int]:
    """One batch of due deliveries (of one tenant's events, if given), oldest event first: (attempted, handled)."""
    rows = _due(engine, consumers, settings.relay_batch_size, tenant_id)
    handled = 0
    for row in rows:
        consumer, event = consumers[row.consumer], event_from_row(row)
        try:
            handled += handle_event(engine, consumer, event, settings)
        except Exception as error:
            record_failure(engine, consumer, event, row.outbox_id, error, settings)
    return len(rows), handled


def drain(engine: Engine, *, settings: Settings | None = None, consumers: Mapping[str, Consumer] | None = None,
          tenant_id: int | None = None) -> int:
    """Embedded profile: relay everything unpublished and handle every delivery that is due, for every consumer,
    until nothing is left to do now; returns how many (consumer, event) pairs were handled. Deliveries waiting for
    a later retry stay for a later call. `tenant_id` limits it to one tenant's events (tests, which share a
    database with many other tenants' events)."""
    settings = settings or get_settings()
    consumers = active_consumers(settings) if consumers is None else consumers
    handled = 0
    while True:
        relayed = 0
        while batch := fan_out(engine, consumers, settings.relay_batch_size, tenant_id):
            relayed += batch
        attempted, done = consume_due(engine, consumers, settings, tenant_id)
        handled += done
        if not relayed and not attempted:
            return handled


def dispatch_job(engine: Engine) -> int:
    """The background job of `stockyard serve` / `stockyard worker`: in the embedded profile, drain; with a broker
    the worker's relay and consumers do this work (integration/worker.py)."""
    settings = get_settings()
    if settings.broker_url:
        return 0
    return drain(engine, settings=settings)


# ---- what the admin and the API read -----------------------------------------------------------------------------

def unpublished(conn: Connection) -> tuple[int, datetime | None]:
    """How many outbox rows wait for the relay, and when the oldest was written (every tenant)."""
    row = conn.execute(select(func.count(), func.min(_outbox.c.created_at))
                       .where(_outbox.c.published_at.is_(None))).one()
    return row[0], row[1]
