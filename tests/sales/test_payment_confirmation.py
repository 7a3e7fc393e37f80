"""A card payment that needs the customer's confirmation: the order waits with its stock held, and moves on to
paid and allocated once the gateway's signed webhook says the customer confirmed, even if the customer never
comes back to the shop; cancelled, with its stock freed, when the customer refuses or never confirms."""

from datetime import timedelta

import pytest

from stockyard.billing.test_gateway import confirm_charge, deliver_test_gateway_webhooks
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict
from stockyard.core.settings import get_settings
from stockyard.sales.jobs import cancel_unconfirmed_orders_everywhere, confirm_paid_orders_everywhere
from stockyard.sales.models import Order
from tests.conftest import TenantCtx
from tests.sales.shop_setup import CONFIRM_CARD, Shop, build_shop
from tests.sales.test_checkout import atp, cart_with, order_cmd, place


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


def _status(shop: Shop, order_id: int) -> str:
    with shop.ctx.uow() as uow:
        o = Order.__table__
        return uow.conn.execute(o.select().with_only_columns(o.c.status).where(o.c.id == order_id)).scalar_one()


def test_a_confirmed_payment_moves_the_waiting_order_on_by_itself(shop: Shop) -> None:
    token = cart_with(shop, SKU_001=2)
    placed = place(shop, token, order_cmd(shop, token, card=shop.card(CONFIRM_CARD)))
    assert placed.status == "awaiting_payment" and placed.action_url
    reference = placed.action_url.rstrip("/").rsplit("/", 1)[-1]
    engine = shop.ctx.engine
    confirm_paid_orders_everywhere(engine)  # nothing confirmed yet: the order keeps waiting
    assert _status(shop, placed.order_id) == "awaiting_payment"
    confirm_charge(engine, reference, approve=True)
    assert deliver_test_gateway_webhooks(engine).delivered >= 1
    assert confirm_paid_orders_everywhere(engine) >= 1
    assert _status(shop, placed.order_id) == "allocated"
    assert atp(shop, "SKU-001") == 3  # the units stayed held throughout, now as the order's allocation


def test_a_refused_confirmation_cancels_the_order_and_frees_its_stock(shop: Shop) -> None:
    token = cart_with(shop, SKU_001=1)
    placed = place(shop, token, order_cmd(shop, token, card=shop.card(CONFIRM_CARD)))
    reference = placed.action_url.rstrip("/").rsplit("/", 1)[-1]
    engine = shop.ctx.engine
    # The jobs look at every tenant's orders; what other tests left in the database may be counted too.
    cancel_unconfirmed_orders_everywhere(engine)
    assert _status(shop, placed.order_id) == "awaiting_payment"  # still waiting for the customer
    assert atp(shop, "SKU-001") == 4
    confirm_charge(engine, reference, approve=False)
    deliver_test_gateway_webhooks(engine)
    confirm_paid_orders_everywhere(engine)
    assert _status(shop, placed.order_id) == "awaiting_payment"
    assert cancel_unconfirmed_orders_everywhere(engine) >= 1
    assert _status(shop, placed.order_id) == "cancelled"
    assert atp(shop, "SKU-001") == 5


def test_an_order_never_confirmed_is_cancelled_after_the_configured_time(shop: Shop) -> None:
    token = cart_with(shop, SKU_001=2)
    placed = place(shop, token, order_cmd(shop, token, card=shop.card(CONFIRM_CARD)))
    with shop.ctx.uow() as uow:  # placed long ago
        o = Order.__table__
        long_ago = utcnow() - timedelta(minutes=get_settings().unconfirmed_payment_minutes + 1)
        uow.conn.execute(o.update().where(o.c.id == placed.order_id).values(placed_at=long_ago))
    assert cancel_unconfirmed_orders_everywhere(shop.ctx.engine) >= 1
    assert _status(shop, placed.order_id) == "cancelled"
    assert atp(shop, "SKU-001") == 5
    with pytest.raises(Conflict):  # the customer confirms too late: the charge was voided with the order
        confirm_charge(shop.ctx.engine, placed.action_url.rstrip("/").rsplit("/", 1)[-1], approve=True)
