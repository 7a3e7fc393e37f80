"""The scale-out profile against a real RabbitMQ with real `stockyard worker` subprocesses (PostgreSQL when
available): a worker killed mid-burst loses and repeats nothing, a broker outage only delays events, a poison
message goes to the dead letters while the rest flows."""

import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from stockyard.core.uow import perform
from stockyard.integration.broker import Topology, queue_depths
from stockyard.integration.services import replay_dead_letter
from tests.conftest import TenantCtx, new_tenant
from tests.integration.broker_support import (
    Workers,
    count,
    require_broker,
    start_rabbitmq,
    stop_rabbitmq,
    wait_for,
    worker_database,
)
from tests.integration.support import deliveries, effect_counts, pings, unpublished_of

pytestmark = [pytest.mark.xdist_group("rabbitmq")]
COUNTER, PICKY = "backbone_test.counter", "backbone_test.picky"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    require_broker()
    yield from worker_database(tmp_path_factory.mktemp("broker-db"))


@pytest.fixture
def workers(db: Engine, tmp_path: Path) -> Iterator[Workers]:
    running = Workers(db, require_broker(), tmp_path)
    try:
        yield running
    finally:
        running.stop_all()
        running.delete_queues()


def _published(engine: Engine, tenant_id: int) -> int:
    return count(engine, "SELECT count(*) FROM outbox WHERE tenant_id = :t AND published_at IS NOT NULL",
                 t=tenant_id)


def _handled(engine: Engine, tenant_id: int, consumer: str) -> int:
    return count(engine, "SELECT count(*) FROM backbone_test_effects WHERE tenant_id = :t AND consumer = :c",
                 t=tenant_id, c=consumer)


def test_a_worker_killed_while_relaying_a_burst_loses_and_repeats_nothing(db: Engine, workers: Workers) -> None:
    ctx = new_tenant(db)
    ids = pings(ctx, [{"n": n} for n in range(1000)])
    workers.settings["STOCKYARD_RELAY_BATCH_SIZE"] = "10"  # many small transactions: the kill lands mid-burst
    first = workers.start()
    wait_for(lambda: _published(db, ctx.tenant_id) > 0, 60, "the relay's first batch", workers, every=0.002)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    published_at_kill = _published(db, ctx.tenant_id)
    assert published_at_kill < 1000, "the worker relayed the whole burst before it was killed"

    workers.start()
    wait_for(lambda: _handled(db, ctx.tenant_id, COUNTER) >= 1000 and _handled(db, ctx.tenant_id, PICKY) >= 1000,
             90, "every event handled by both consumers", workers)
    assert effect_counts(db, ctx.tenant_id, COUNTER) == dict.fromkeys(ids, 1)
    assert effect_counts(db, ctx.tenant_id, PICKY) == dict.fromkeys(ids, 1)
    assert unpublished_of(db, ctx.tenant_id) == 0 and deliveries(db, ctx.tenant_id) == []


def test_orders_placed_while_rabbitmq_is_down_wait_in_the_outbox_and_arrive_after(db: Engine,
                                                                                    workers: Workers) -> None:
    from tests.sales.order_fixtures import checkout_order
    from tests.sales.shop_setup import build_shop

    shop = build_shop(new_tenant(db))
    workers.start()
    first = checkout_order(shop, {"SKU-001": 1}, email=f"a-{uuid.uuid4().hex[:6]}@example.com")
    wait_for(lambda: _handled(db, shop.ctx.tenant_id, COUNTER) == 1, 60, "the first order's event", workers)

    stop_rabbitmq()
    try:
        placed = [checkout_order(shop, {"SKU-001": 1}) for _ in range(3)]
        assert all(p.status == "allocated" for p in placed)
        assert unpublished_of(db, shop.ctx.tenant_id) > 0  # the events wait in the outbox
    finally:
        start_rabbitmq()
    wait_for(lambda: unpublished_of(db, shop.ctx.tenant_id) == 0 and _handled(db, shop.ctx.tenant_id, COUNTER) == 4,
             90, "the events written while the broker was down", workers)
    assert len(effect_counts(db, shop.ctx.tenant_id, COUNTER)) == 4
    assert first.number not in {p.number for p in placed}


def test_a_poison_message_is_dead_lettered_after_its_tries_and_the_others_keep_flowing(db: Engine,
                                                                                        workers: Workers) -> None:
    ctx: TenantCtx = new_tenant(db)
    workers.start()
    poison, *healthy = pings(ctx, [{"n": 0, "poison": True}, *({"n": n} for n in range(1, 20))])
    wait_for(lambda: any(d.state == "dead" for d in deliveries(db, ctx.tenant_id)), 60, "the dead letter", workers)
    [dead] = deliveries(db, ctx.tenant_id)
    assert (dead.consumer, dead.event_id, dead.attempts) == (PICKY, poison, 3)
    assert "Poisoned: event 0 is poison" in dead.last_error
    wait_for(lambda: _handled(db, ctx.tenant_id, PICKY) == 19, 30, "the healthy events", workers)
    assert set(effect_counts(db, ctx.tenant_id, PICKY)) == set(healthy)
    topology = Topology(workers.prefix)
    wait_for(lambda: queue_depths(workers.broker_url, topology, [])[topology.dead_queue] == 1, 10,
             "the message in the dead-letter queue", workers)

    later = pings(ctx, [{"n": 30}, {"n": 31, "fail_times": 1}])  # a transient failure is retried and succeeds
    wait_for(lambda: _handled(db, ctx.tenant_id, PICKY) == 21, 30, "events after the poison one", workers)
    assert set(later) <= set(effect_counts(db, ctx.tenant_id, PICKY))

    perform(db, ctx.actor, replay_dead_letter, dead.id)  # still poison: dead again after three more tries
    wait_for(lambda: [(d.state, d.attempts) for d in deliveries(db, ctx.tenant_id)] == [("dead", 3)], 30,
             "the replayed message dead again", workers)
    wait_for(lambda: queue_depths(workers.broker_url, topology, [])[topology.dead_queue] == 2, 10,
             "the second copy in the dead-letter queue", workers)
