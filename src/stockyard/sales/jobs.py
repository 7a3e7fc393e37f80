"""Periodic sales jobs: backordered orders take stock that has arrived since (receipts, returns, cancellations)."""

from sqlalchemy import Engine, exists, select

from stockyard.core.actor import system_actor
from stockyard.core.uow import UnitOfWork, perform
from stockyard.inventory.domain import Status as StockStatus
from stockyard.inventory.models import StockLevel
from stockyard.sales.domain import Status
from stockyard.sales.models import Order, OrderLine
from stockyard.sales.orders import allocate_backorders

WAITING = (Status.BACKORDERED.value, Status.PARTIALLY_ALLOCATED.value)
BATCH = 50


def allocate_backorders_everywhere(engine: Engine) -> int:
    """Tenant by tenant, the orders waiting for stock whose SKUs now have free sellable units are allocated, oldest
    first (sales.orders.allocate_backorders). Returns how many orders moved on. Tenants with nothing to gain are
    not touched, so an idle run only reads."""
    o, line, level = Order.__table__, OrderLine.__table__, StockLevel.__table__
    free_stock = exists().where(level.c.tenant_id == line.c.tenant_id, level.c.sku_id == line.c.sku_id,
                                level.c.status == StockStatus.SELLABLE.value, level.c.on_hand > level.c.reserved)
    with UnitOfWork(engine, readonly=True) as uow:
        tenants = list(uow.conn.execute(
            select(o.c.tenant_id).join(line, line.c.order_id == o.c.id)
            .where(o.c.status.in_(WAITING), line.c.backordered > 0, free_stock).distinct()).scalars())
    moved = 0
    for tenant_id in tenants:
        actor = system_actor(tenant_id, "backorder job")
        moved += perform(engine, actor, allocate_backorders, BATCH)
    return moved


def confirm_paid_orders_everywhere(engine: Engine) -> int:
    """Orders still waiting for their payment whose payment went through meanwhile (a confirmation webhook, a
    customer who closed the tab after confirming) move on to paid and are allocated. Returns how many."""
    from stockyard.billing.models import Payment
    from stockyard.sales.orders import confirm_payment

    o, p = Order.__table__, Payment.__table__
    with UnitOfWork(engine, readonly=True) as uow:
        rows = list(uow.conn.execute(
            select(o.c.tenant_id, o.c.id).join(p, p.c.order_id == o.c.id)
            .where(o.c.status == Status.AWAITING_PAYMENT.value,
                   p.c.state.in_(("authorized", "captured", "partially_captured")))
            .order_by(o.c.id).limit(BATCH)))
    moved = 0
    for row in rows:
        actor = system_actor(row.tenant_id, "payment confirmation job")
        if perform(engine, actor, confirm_payment, row.id) != Status.AWAITING_PAYMENT.value:
            moved += 1
    return moved
