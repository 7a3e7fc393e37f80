"""Place-order asks the payment provider while no transaction of ours is open: a slow provider holds no lock;
an order that cannot be written after the provider said yes has its authorisation reversed; a checkout that dies
between the two is given back, and its authorisation reversed, by the stalled-checkout job."""

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from stockyard.billing import models as billing_models
from stockyard.billing.payments import authorize_at_checkout
from stockyard.core.clock import utcnow
from stockyard.core.uow import perform
from stockyard.sales import checkout
from stockyard.sales.jobs import recover_stalled_checkouts
from stockyard.sales.models import Cart, Order
from tests.conftest import TenantCtx
from tests.sales.shop_setup import TIMEOUT_CARD, Shop, build_shop
from tests.sales.test_checkout import atp, cart_with, order_cmd, place

_charges = billing_models.TestGatewayCharge.__table__


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


def charge_state(shop: Shop, key: str) -> str | None:
    with shop.ctx.uow() as uow:
        return uow.conn.execute(select(_charges.c.state).where(_charges.c.idempotency_key == key)).scalar()


def cart_state(shop: Shop, token: str) -> str:
    with shop.ctx.uow() as uow:
        c = Cart.__table__
        return uow.conn.execute(select(c.c.state).where(c.c.token == token)).scalar_one()


def orders(shop: Shop) -> int:
    with shop.ctx.uow() as uow:
        o = Order.__table__
        return uow.conn.execute(select(func.count()).select_from(o).where(o.c.tenant_id == shop.ctx.tenant_id)
                                ).scalar_one()


def test_an_order_that_cannot_be_written_reverses_its_authorisation(shop: Shop,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    token = cart_with(shop, SKU_001=2)
    cmd = order_cmd(shop, token)

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(checkout, "allocate_lines", broken)
    with pytest.raises(RuntimeError):
        place(shop, token, cmd)
    assert orders(shop) == 0
    assert charge_state(shop, cmd.idempotency_key) == "voided"  # the customer's money is released at once
    assert cart_state(shop, token) == "open" and atp(shop, "SKU-001") == 3  # the cart and its holds are kept
    monkeypatch.undo()
    placed = place(shop, token, order_cmd(shop, token))
    assert placed.status == "allocated" and orders(shop) == 1


def test_a_stalled_checkout_is_given_back_and_its_authorisation_reversed(shop: Shop) -> None:
    token = cart_with(shop, SKU_001=1)
    cmd = order_cmd(shop, token)
    e, a = shop.ctx.engine, shop.actor
    prepared = perform(e, a, checkout.prepare_order, token, cmd)
    assert authorize_at_checkout(e, prepared.method, prepared.request).status == "approved"
    # ... and the process dies before the order is written.
    assert cart_state(shop, token) == "paying"
    assert recover_stalled_checkouts(e) == 0  # within its grace time a checkout may still finish
    with shop.ctx.uow() as uow:
        c = Cart.__table__
        uow.conn.execute(update(c).where(c.c.token == token)
                         .values(updated_at=utcnow() - checkout.CHECKOUT_GRACE - timedelta(seconds=1)))
    assert recover_stalled_checkouts(e) == 1
    assert cart_state(shop, token) == "open" and charge_state(shop, cmd.idempotency_key) == "voided"
    assert recover_stalled_checkouts(e) == 0
    assert place(shop, token, order_cmd(shop, token)).status == "allocated"


def test_a_slow_provider_holds_no_lock_while_another_customer_checks_out(shop: Shop) -> None:
    slow_token, quick_token = cart_with(shop, SKU_001=1), cart_with(shop, SKU_002=1)
    slow = order_cmd(shop, slow_token, card=shop.card(TIMEOUT_CARD))
    slow_done = threading.Event()
    outcome: list[BaseException] = []

    def slow_checkout() -> None:
        try:
            place(shop, slow_token, slow)
        except BaseException as error:  # noqa: BLE001 — the timeout is expected; the thread reports it
            outcome.append(error)
        finally:
            slow_done.set()

    thread = threading.Thread(target=slow_checkout)
    thread.start()
    while charge_state(shop, slow.idempotency_key) is None:  # the provider booked it and is "not answering"
        assert not slow_done.is_set(), outcome
        threading.Event().wait(0.02)
    placed = place(shop, quick_token, order_cmd(shop, quick_token))
    assert placed.status == "allocated"
    assert not slow_done.is_set()  # the other checkout went through while the provider was still silent
    thread.join(30)
    assert [type(e).__name__ for e in outcome] == ["PaymentTimedOut"]
    assert charge_state(shop, slow.idempotency_key) == "voided" and cart_state(shop, slow_token) == "open"
    assert orders(shop) == 1
