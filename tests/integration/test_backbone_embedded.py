"""The embedded profile: consumers run in-process from the outbox, exactly once in effect, with retries, backoff,
dead letters, replay and discard (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from stockyard.core.actor import Actor
from stockyard.core.errors import NotFound, PermissionDenied
from stockyard.core.outbox import OutboxEvent
from stockyard.core.uow import UnitOfWork, perform
from stockyard.integration.dispatch import active_consumers, drain, event_from_row, handle_event
from stockyard.integration.models import Delivery
from stockyard.integration.services import discard_dead_letter, replay_dead_letter
from tests.conftest import TenantCtx, new_tenant
from tests.integration.backbone_consumers import create_tables
from tests.integration.support import (
    deliveries,
    effect_counts,
    pings,
    settings_with_test_consumers,
    unpublished_of,
)

COUNTER, PICKY = "backbone_test.counter", "backbone_test.picky"
_d = Delivery.__table__


@pytest.fixture
def ctx(tenant: TenantCtx) -> TenantCtx:
    create_tables(tenant.engine)
    return tenant


def _make_due(engine: Engine, tenant_id: int) -> None:
    with UnitOfWork(engine) as uow:
        uow.conn.execute(update(_d).where(_d.c.tenant_id == tenant_id, _d.c.state == "pending")
                     .values(next_attempt_at=_d.c.next_attempt_at - timedelta(days=1)))


def test_a_drain_for_one_tenant_leaves_the_other_tenants_events_waiting(ctx: TenantCtx) -> None:
    settings = settings_with_test_consumers()
    other = new_tenant(ctx.engine)
    mine, theirs = pings(ctx, [{"n": 1}]), pings(other, [{"n": 2}])
    drain(ctx.engine, tenant_id=ctx.tenant_id, settings=settings)
    assert effect_counts(ctx.engine, ctx.tenant_id, COUNTER) == dict.fromkeys(mine, 1)
    assert unpublished_of(ctx.engine, other.tenant_id) == 1
    drain(ctx.engine, tenant_id=other.tenant_id, settings=settings)
    assert effect_counts(ctx.engine, other.tenant_id, COUNTER) == dict.fromkeys(theirs, 1)
    assert unpublished_of(ctx.engine, other.tenant_id) == 0


def test_every_consumer_handles_every_event_once_however_often_it_is_delivered(ctx: TenantCtx) -> None:
    settings = settings_with_test_consumers()
    ids = pings(ctx, [{"n": n} for n in range(5)])
    assert unpublished_of(ctx.engine, ctx.tenant_id) == 5

    # Two test consumers, five events (and the real consumers' deliveries of them).
    assert drain(ctx.engine, tenant_id=ctx.tenant_id, settings=settings) >= 10
    assert effect_counts(ctx.engine, ctx.tenant_id, COUNTER) == dict.fromkeys(ids, 1)
    assert effect_counts(ctx.engine, ctx.tenant_id, PICKY) == dict.fromkeys(ids, 1)
    assert unpublished_of(ctx.engine, ctx.tenant_id) == 0 and deliveries(ctx.engine, ctx.tenant_id) == []

    # The same event delivered again (a relay that crashed before marking it published, a replay): no effect.
    consumers = active_consumers(settings)
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        row = uow.conn.execute(select(OutboxEvent.__table__).where(OutboxEvent.__table__.c.event_id == ids[0])).one()
    assert handle_event(ctx.engine, consumers[COUNTER], event_from_row(row), settings) is False
    assert drain(ctx.engine, tenant_id=ctx.tenant_id, settings=settings) == 0
    assert effect_counts(ctx.engine, ctx.tenant_id, COUNTER) == dict.fromkeys(ids, 1)


def test_a_failing_consumer_is_retried_with_exponential_backoff_while_the_others_go_on(ctx: TenantCtx) -> None:
    settings = settings_with_test_consumers(consumer_retry_base_seconds=30)
    flaky, fine = pings(ctx, [{"n": 1, "fail_times": 2}, {"n": 2}])
    drain(ctx.engine, tenant_id=ctx.tenant_id, settings=settings)
    assert effect_counts(ctx.engine, ctx.tenant_id, COUNTER) == {flaky: 1, fine: 1}
    assert effect_counts(ctx.engine, ctx.tenant_id, PICKY) == {fine: 1}
    [waiting] = deliveries(ctx.engine, ctx.tenant_id)
    assert (waiting.consumer, waiting.state, waiting.attempts) == (PICKY, "pending", 1)
    assert waiting.next_attempt_at - waiting.failed_at == timedelta(seconds=30)
    assert "attempt 1 of event 1 fails on purpose" in waiting.last_error

    assert drain(ctx.engine, tenant_id=ctx.tenant_id, settings=settings) == 0  # not due yet: nothing is tried
    assert deliveries(ctx.engine, ctx.tenant_id)[0].attempts == 1

    _make_due(ctx.engine, ctx.tenant_id)
    drain(ctx.engine, tenant_id=ctx.tenant_id, settings=settings)
    [waiting] = deliveries(ctx.engine, ctx.tenant_id)
    assert waiting.attempts == 2 and waiting.next_attempt_at - waiting.failed_at == timedelta(seconds=60)

    _make_due(ctx.engine, ctx.tenant_id)
    drain(ctx.engine, tenant_id=ctx.tenant_id, settings=settings)
    assert effect_counts(ctx.engine, ctx.tenant_id, PICKY) == {flaky: 1, fine: 1}
    assert deliveries(ctx.engine, ctx.tenant_id) == []


def test_a_poison_event_goes_to_the_dead_letters_and_can_be_replayed_or_discarded(ctx: TenantCtx) -> None:
    settings = settings_with_test_consumers(consumer_retry_base_seconds=0)
    poison, *healthy = pings(ctx, [{"n": 0, "poison": True}, *({"n": n} for n in range(1, 4))])
    drain(ctx.engine, tenant_id=ctx.tenant_id, settings=settings)
    assert effect_counts(ctx.engine, ctx.tenant_id, PICKY) == dict.fromkeys(healthy, 1)
    assert effect_counts(ctx.engine, ctx.tenant_id, COUNTER) == dict.fromkeys([poison, *healthy], 1)
    [dead] = deliveries(ctx.engine, ctx.tenant_id)
    assert (dead.consumer, dead.event_id, dead.state, dead.attempts) == (PICKY, poison, "dead", 3)
    assert "Poisoned: event 0 is poison" in dead.last_error

    # Later events keep flowing past the dead letter.
    later = pings(ctx, [{"n": 9}])
    drain(ctx.engine, tenant_id=ctx.tenant_id, settings=settings)
    assert effect_counts(ctx.engine, ctx.tenant_id, PICKY)[later[0]] == 1

    # Replay: the consumer gets the event again with a fresh count (it is still poison, so it dies again).
    perform(ctx.engine, ctx.actor, replay_dead_letter, dead.id)
    [replayed] = deliveries(ctx.engine, ctx.tenant_id)
    assert (replayed.state, replayed.attempts) == ("pending", 0)
    drain(ctx.engine, tenant_id=ctx.tenant_id, settings=settings)
    [again] = deliveries(ctx.engine, ctx.tenant_id)
    assert (again.state, again.attempts) == ("dead", 3)

    with pytest.raises(PermissionDenied):
        perform(ctx.engine, Actor(ctx.tenant_id, None, "viewer", frozenset({"integration.view"})),
                discard_dead_letter, dead.id)
    other = new_tenant(ctx.engine)
    with pytest.raises(NotFound):
        perform(ctx.engine, other.actor, discard_dead_letter, dead.id)
    perform(ctx.engine, ctx.actor, discard_dead_letter, dead.id)
    assert deliveries(ctx.engine, ctx.tenant_id) == []
    assert poison not in effect_counts(ctx.engine, ctx.tenant_id, PICKY)
