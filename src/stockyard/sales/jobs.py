"""Periodic sales jobs: backordered orders take stock that has arrived since (receipts, returns, cancellations);
orders move on when their payment is confirmed, and are cancelled when the confirmation never comes."""

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, and_, exists, or_, select

from stockyard.core.actor import system_actor
from stockyard.core.clock import utcnow
from stockyard.core.settings import get_settings
from stockyard.core.uow import UnitOfWork, perform, read
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


def _awaiting_payment(engine: Engine, payment_is: Any) -> list[Any]:
    """(tenant_id, id) of up to BATCH orders, of every tenant, still awaiting payment whose payment matches
    `payment_is` (a condition on the payments table), oldest first."""
    from stockyard.billing.models import Payment

    o, p = Order.__table__, Payment.__table__
    with UnitOfWork(engine, readonly=True) as uow:
        return list(uow.conn.execute(
            select(o.c.tenant_id, o.c.id).join(p, p.c.order_id == o.c.id)
            .where(o.c.status == Status.AWAITING_PAYMENT.value, payment_is(p, o))
            .order_by(o.c.id).limit(BATCH)))


def confirm_paid_orders_everywhere(engine: Engine) -> int:
    """Orders still waiting for their payment whose payment went through meanwhile (a confirmation webhook, a
    customer who closed the tab after confirming) move on to paid and are allocated. Returns how many."""
    from stockyard.sales.orders import confirm_payment

    rows = _awaiting_payment(engine, lambda p, o: p.c.state.in_(("authorized", "captured", "partially_captured")))
    moved = 0
    for row in rows:
        actor = system_actor(row.tenant_id, "payment confirmation job")
        if perform(engine, actor, confirm_payment, row.id) != Status.AWAITING_PAYMENT.value:
            moved += 1
    return moved


def cancel_unconfirmed_orders_everywhere(engine: Engine) -> int:
    """Card orders whose payment the customer refused to confirm (3-D Secure-like), or has not confirmed for longer
    than `unconfirmed_payment_minutes`, are cancelled: their stock goes back on sale and the authorisation is
    voided. Orders paid by a manual method (bank transfer, cash on delivery) wait for staff instead. Returns how
    many."""
    from stockyard.sales.orders import cancel_order

    cutoff = utcnow() - timedelta(minutes=get_settings().unconfirmed_payment_minutes)
    rows = _awaiting_payment(engine, lambda p, o: or_(
        p.c.state == "failed", and_(p.c.state == "requires_action", o.c.placed_at < cutoff)))
    for row in rows:
        perform(engine, system_actor(row.tenant_id, "unpaid order job"), cancel_order, row.id,
                "the payment was not confirmed")
    return len(rows)


def cancel_overdue_transfer_orders_everywhere(engine: Engine) -> int:
    """Orders to be paid by bank transfer whose payment has not arrived within the method's `payment_days` are
    cancelled, so their stock goes back on sale; a method without the setting leaves them to staff. An order with
    any money recorded against it is left alone. Returns how many."""
    from stockyard.billing.domain import PAYMENT_DAYS
    from stockyard.billing.models import Payment, PaymentMethod
    from stockyard.sales.orders import cancel_order

    o, p, m = Order.__table__, Payment.__table__, PaymentMethod.__table__
    now = utcnow()
    with UnitOfWork(engine, readonly=True) as uow:
        methods = [(r.id, int(r.settings[PAYMENT_DAYS])) for r in uow.conn.execute(
            select(m.c.id, m.c.settings).where(m.c.gateway == "manual_bank_transfer"))
            if (r.settings or {}).get(PAYMENT_DAYS)]
        money_in = exists().where(p.c.order_id == o.c.id, or_(p.c.captured_amount > 0,
                                                               p.c.state.in_(("authorized", "captured"))))
        overdue = []
        for method_id, days in methods:
            overdue += [(r.tenant_id, r.id, days) for r in uow.conn.execute(
                select(o.c.tenant_id, o.c.id).where(
                    o.c.payment_method_id == method_id, o.c.status == Status.AWAITING_PAYMENT.value,
                    o.c.placed_at < now - timedelta(days=days), ~money_in)
                .order_by(o.c.id).limit(BATCH))]
    for tenant_id, order_id, days in overdue:
        perform(engine, system_actor(tenant_id, "unpaid transfer job"), cancel_order, order_id,
                f"the bank transfer did not arrive within {days} days")
    return len(overdue)


def recover_stalled_checkouts(engine: Engine) -> int:
    """Checkouts that claimed their cart and never finished (the process died while the payment provider answered)
    give the cart back and reverse whatever the provider authorised. The cart is given back first, so that a
    checkout that does finish meanwhile keeps its payment. Returns how many were recovered."""
    from stockyard.billing.gateways import load_method
    from stockyard.billing.payments import reverse_at_checkout
    from stockyard.sales.checkout import CHECKOUT_GRACE, reopen_cart
    from stockyard.sales.models import Cart

    carts = Cart.__table__
    with UnitOfWork(engine, readonly=True) as uow:
        rows = list(uow.conn.execute(
            select(carts.c.tenant_id, carts.c.id, carts.c.checkout_key, carts.c.payment_method_id)
            .where(carts.c.state == "paying", carts.c.updated_at < utcnow() - CHECKOUT_GRACE)
            .order_by(carts.c.id).limit(BATCH)))
    recovered = 0
    for row in rows:
        actor = system_actor(row.tenant_id, "stalled checkout job")
        if perform(engine, actor, reopen_cart, row.id, row.checkout_key):
            method = read(engine, actor, load_method, row.payment_method_id)
            reverse_at_checkout(engine, method, row.checkout_key)
            recovered += 1
    return recovered
