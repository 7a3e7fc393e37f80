"""Consumers for the backbone's tests, with an effect a test can count: a row per handled (consumer, event) in a
table of their own (created by the tests, not by the migrations). Listed in STOCKYARD_CONSUMER_MODULES by the tests
that want them, in-process or in a `stockyard worker` subprocess.

- backbone_test.counter: records every `backbone_test.ping.v1` and `order.placed.v1`.
- backbone_test.picky: records `backbone_test.ping.v1` too, but fails on a payload with "poison": true (and on the
  first "fail_times" attempts of an event whose payload says so).
"""

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert, select

from stockyard.core.uow import UnitOfWork
from stockyard.integration.consumers import Event, register
from stockyard.integration.models import Delivery

MODULE = __name__
PING = "backbone_test.ping.v1"
metadata = MetaData()
effects = Table("backbone_test_effects", metadata,
                Column("id", Integer, primary_key=True, autoincrement=True),
                Column("consumer", String(120), nullable=False),
                Column("event_id", String(36), nullable=False),
                Column("tenant_id", Integer, nullable=False))


def create_tables(engine: Engine) -> None:
    metadata.create_all(engine)


class Poisoned(RuntimeError):
    pass


@register("backbone_test.counter", [PING, "order.placed.v1"])
def count(uow: UnitOfWork, event: Event) -> None:
    uow.conn.execute(insert(effects).values(consumer="backbone_test.counter", event_id=event.event_id,
                                            tenant_id=event.tenant_id))


@register("backbone_test.picky", [PING], max_attempts=3)
def picky(uow: UnitOfWork, event: Event) -> None:
    if event.payload.get("poison"):
        raise Poisoned(f"event {event.payload.get('n')} is poison")
    fail_times = int(event.payload.get("fail_times", 0))
    if fail_times:
        # The failures recorded so far, as committed (read beside this transaction, which drops the delivery row).
        with UnitOfWork(uow.engine, readonly=True) as outside:
            failed = outside.conn.execute(select(Delivery.__table__.c.attempts).where(
                Delivery.__table__.c.consumer == "backbone_test.picky",
                Delivery.__table__.c.event_id == event.event_id)).scalar() or 0
        if failed < fail_times:
            raise Poisoned(f"attempt {failed + 1} of event {event.payload.get('n')} fails on purpose")
    uow.conn.execute(insert(effects).values(consumer="backbone_test.picky", event_id=event.event_id,
                                            tenant_id=event.tenant_id))
