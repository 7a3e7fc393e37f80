"""Periodic inventory jobs."""

from sqlalchemy import Engine, and_, select

from stockyard.core.actor import system_actor
from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork, perform
from stockyard.inventory.models import Reservation
from stockyard.inventory.reservations import release_expired_for_sku


def release_expired_reservations(engine: Engine) -> int:
    """Release every hold whose `reserved_until` has passed, tenant by tenant; returns how many."""
    r = Reservation.__table__
    with UnitOfWork(engine, readonly=True) as uow:
        tenants = list(uow.conn.execute(
            select(r.c.tenant_id).where(r.c.state == "active",
                                        and_(r.c.reserved_until.is_not(None), r.c.reserved_until < utcnow()))
            .distinct()).scalars())
    total = 0
    for tenant_id in tenants:
        actor = system_actor(tenant_id, "reservation expiry job")
        while released := perform(engine, actor, release_expired_for_sku, None):
            total += released
    return total
