"""What an administrator does with the dead letters of the integration layer: replay one (its consumer gets the
event again, with a fresh count of attempts) or discard it (the consumer never handles that event). Both audited."""

from sqlalchemy import delete, select, update

from stockyard.core.clock import utcnow
from stockyard.core.errors import NotFound
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import INTEGRATION_MANAGE
from stockyard.integration.models import Delivery

_d = Delivery.__table__


def _dead_letter(uow: UnitOfWork, delivery_id: int) -> Delivery:
    row = uow.conn.execute(select(_d).where(_d.c.id == delivery_id, _d.c.tenant_id == uow.tenant_id,
                                            _d.c.state == "dead").with_for_update()).first()
    if row is None:
        raise NotFound(f"there is no dead letter {delivery_id}", field="delivery_id")
    return row  # type: ignore[return-value]


def replay_dead_letter(uow: UnitOfWork, delivery_id: int) -> None:
    uow.require(INTEGRATION_MANAGE)
    dead = _dead_letter(uow, delivery_id)
    uow.conn.execute(update(_d).where(_d.c.id == dead.id, _d.c.state == "dead").values(
        state="pending", attempts=0, next_attempt_at=utcnow()))
    add_event(uow, "integration.dead_letter_replayed.v1", {
        "delivery_id": dead.id, "consumer": dead.consumer, "event_id": dead.event_id, "event_type": dead.event_type,
        "attempts": dead.attempts, "last_error": dead.last_error})


def discard_dead_letter(uow: UnitOfWork, delivery_id: int) -> None:
    uow.require(INTEGRATION_MANAGE)
    dead = _dead_letter(uow, delivery_id)
    uow.conn.execute(delete(_d).where(_d.c.id == dead.id, _d.c.state == "dead"))
    add_event(uow, "integration.dead_letter_discarded.v1", {
        "delivery_id": dead.id, "consumer": dead.consumer, "event_id": dead.event_id, "event_type": dead.event_type,
        "attempts": dead.attempts, "last_error": dead.last_error})
