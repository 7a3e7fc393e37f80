"""Bank transfer orders hold stock while the money is on its way; a method may set how many days customers have to
pay. After that the order is cancelled by the job and its stock goes back on sale; without the setting staff decide."""

from datetime import timedelta

import pytest

from stockyard.billing.config import PaymentMethodIn, update_payment_method
from stockyard.billing.offered import offered_payment_methods
from stockyard.core.clock import utcnow
from stockyard.core.errors import ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.sales.jobs import cancel_overdue_transfer_orders_everywhere
from stockyard.sales.models import Order
from tests.conftest import TenantCtx
from tests.sales.order_fixtures import atp, checkout_order, detail
from tests.sales.shop_setup import Shop, build_shop

BANK = {"account_holder": "Stockyard Parts GmbH", "iban": "DE89 3704 0044 0532 0130 00"}


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


def _days_to_pay(shop: Shop, days: str) -> None:
    perform(shop.ctx.engine, shop.ctx.actor, update_payment_method, shop.bank_method_id, PaymentMethodIn(
        name="Bank transfer", gateway="manual_bank_transfer", position=2, settings={**BANK, "payment_days": days}))


def _placed_days_ago(shop: Shop, order_id: int, days: float) -> None:
    o = Order.__table__
    with shop.ctx.uow() as uow:
        uow.conn.execute(o.update().where(o.c.id == order_id).values(placed_at=utcnow() - timedelta(days=days)))


def test_an_order_not_paid_within_the_days_is_cancelled_and_its_stock_is_back_on_sale(shop: Shop) -> None:
    _days_to_pay(shop, "7")
    overdue = checkout_order(shop, {"SKU-001": 2}, bank=True)
    in_time = checkout_order(shop, {"SKU-001": 1}, bank=True)
    _placed_days_ago(shop, overdue.order_id, 7.1)
    _placed_days_ago(shop, in_time.order_id, 6.9)
    assert atp(shop, "SKU-001") == 2

    assert cancel_overdue_transfer_orders_everywhere(shop.ctx.engine) >= 1  # (every tenant's, so at least ours)
    cancelled = detail(shop, overdue.order_id)
    assert cancelled.status == "cancelled"
    assert "the bank transfer did not arrive within 7 days" in cancelled.timeline[-1].note
    assert detail(shop, in_time.order_id).status == "awaiting_payment"
    assert atp(shop, "SKU-001") == 4
    cancel_overdue_transfer_orders_everywhere(shop.ctx.engine)
    assert detail(shop, in_time.order_id).status == "awaiting_payment"


def test_without_the_setting_unpaid_orders_wait_for_staff(shop: Shop) -> None:
    waiting = checkout_order(shop, {"SKU-001": 1}, bank=True)
    _placed_days_ago(shop, waiting.order_id, 400)
    cancel_overdue_transfer_orders_everywhere(shop.ctx.engine)
    assert detail(shop, waiting.order_id).status == "awaiting_payment"


def test_the_customer_is_told_the_deadline_with_the_bank_details(shop: Shop) -> None:
    _days_to_pay(shop, "10")
    [bank] = [m for m in read(shop.ctx.engine, shop.actor, offered_payment_methods, shop.channel_id)
              if m.id == shop.bank_method_id]
    assert "Please pay within 10 days of ordering" in bank.instructions
    assert "IBAN: DE89370400440532013000" in bank.instructions


@pytest.mark.parametrize("days", ["0", "91", "seven", "2.5", "-3"])
def test_a_bad_number_of_days_is_refused_and_changes_nothing(shop: Shop, days: str) -> None:
    before = read(shop.ctx.engine, shop.actor, offered_payment_methods, shop.channel_id)
    with pytest.raises(ValidationFailed) as refused:
        _days_to_pay(shop, days)
    assert refused.value.field == "settings.payment_days"
    assert "1 to 90" in refused.value.message
    assert read(shop.ctx.engine, shop.actor, offered_payment_methods, shop.channel_id) == before
