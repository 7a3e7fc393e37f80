"""Payment test setup: a channel, orders inserted as rows (billing never writes order tables; the sales services
normally create them), payment methods configured through the real service, and the actors involved."""

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from stockyard.billing import config
from stockyard.billing.gateways import CardInput
from stockyard.billing.models import Payment, PaymentTransaction
from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.outbox import OutboxEvent
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity.domain import STOREFRONT, permissions_for
from stockyard.sales.models import Channel, Order
from tests.conftest import TenantCtx

APPROVE = "4242424242424242"
DECLINE = "4000000000000002"
NO_FUNDS = "4000000000009995"
CONFIRM = "4000000000003220"
TIMEOUT = "4000000000000119"
NEXT_YEARS = utcnow().year + 3
ADDRESS = {"name": "Jana Novak", "line1": "Hauptstrasse 5", "postcode": "10115", "city": "Berlin", "country": "DE"}


def card(number: str = APPROVE, exp_month: int = 12, exp_year: int = NEXT_YEARS, cvc: str = "123") -> CardInput:
    return CardInput(number, exp_month, exp_year, cvc, "Jana Novak")


def storefront(ctx: TenantCtx) -> Actor:
    return Actor(ctx.tenant_id, None, "storefront", STOREFRONT)


def role(ctx: TenantCtx, name: str) -> Actor:
    return Actor(ctx.tenant_id, None, f"{name} tester", permissions_for(name))


def make_order(ctx: TenantCtx, total: Decimal = Decimal("100.00"), currency: str = "EUR") -> int:
    """An order row as sales would have placed it (only what the foreign keys need)."""
    with ctx.uow() as uow:
        channel = uow.session.execute(select(Channel).where(Channel.code == "WEB")).scalar_one_or_none()
        if channel is None:
            channel = Channel(tenant_id=ctx.tenant_id, code="WEB", name="Web shop", kind="storefront",
                              currency=currency)
            uow.session.add(channel)
            uow.session.flush()
        order = Order(tenant_id=ctx.tenant_id, number=f"SO-{uuid.uuid4().hex[:8]}", channel_id=channel.id,
                      email="jana@example.com", status="placed", currency=currency, subtotal=total,
                      grand_total=total, shipping_address=ADDRESS)
        uow.session.add(order)
        uow.session.flush()
        return order.id


def make_method(ctx: TenantCtx, gateway: str = "test", name: str | None = None, **settings: str) -> int:
    defaults: dict[str, dict[str, str]] = {
        "test": {"outcome": "approve", "timeout_seconds": "0.05"},
        "manual_bank_transfer": {"account_holder": "Acme Parts GmbH", "iban": "DE89370400440532013000"},
        "cash_on_delivery": {},
    }
    secrets = {"webhook_secret": settings.pop("webhook_secret")} if "webhook_secret" in settings else {}
    cmd = config.PaymentMethodIn(name=name or f"{gateway}-{uuid.uuid4().hex[:6]}", gateway=gateway,
                                 settings={**defaults[gateway], **settings}, secrets=secrets)
    return perform(ctx.engine, ctx.actor, config.create_payment_method, cmd)


def payment_row(ctx: TenantCtx, payment_id: int) -> Any:
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return uow.conn.execute(select(Payment.__table__).where(Payment.id == payment_id)).one()


def transactions(ctx: TenantCtx, payment_id: int) -> list[tuple[str, Decimal, bool]]:
    table = PaymentTransaction.__table__
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        rows = uow.conn.execute(select(table.c.kind, table.c.amount, table.c.success)
                                .where(table.c.payment_id == payment_id).order_by(table.c.id)).all()
    return [(r.kind, r.amount, r.success) for r in rows]


def events(ctx: TenantCtx, prefix: str = "payment.") -> list[tuple[str, dict[str, Any]]]:
    table = OutboxEvent.__table__
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        rows = uow.conn.execute(select(table.c.type, table.c.payload)
                                .where(table.c.tenant_id == ctx.tenant_id, table.c.type.like(f"{prefix}%"))
                                .order_by(table.c.id)).all()
    return [(r.type, r.payload) for r in rows]
