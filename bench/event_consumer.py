"""The consumer the events benchmark runs in its `stockyard worker` processes (STOCKYARD_CONSUMER_MODULES):
it records when it handled each `bench.ping.v1`, in a table of the benchmark's own."""

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert

from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork
from stockyard.integration.consumers import Event, register

PING = "bench.ping.v1"
metadata = MetaData()
handled = Table("bench_events_handled", metadata,
                Column("id", Integer, primary_key=True, autoincrement=True),
                Column("event_id", String(36), nullable=False),
                Column("handled_at", DateTime, nullable=False))


@register("bench.events", [PING])
def record(uow: UnitOfWork, event: Event) -> None:
    uow.conn.execute(insert(handled).values(event_id=event.event_id, handled_at=utcnow()))
