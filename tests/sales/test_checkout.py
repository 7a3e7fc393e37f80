"""Checkout services on both backends: live shipping options, place-order all-or-nothing, idempotent replays,
tampered totals, payments that fail, lapsed holds and addresses nobody ships to."""

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from stockyard.billing.errors import PaymentDeclined, PaymentTimedOut
from stockyard.billing.models import Payment
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.inventory.jobs import release_expired_reservations
from stockyard.inventory.models import Reservation
from stockyard.inventory.queries import atp_for_sku
from stockyard.sales import carts, checkout
from stockyard.sales.cart_queries import cart_view
from stockyard.sales.carts import AddToCart
from stockyard.sales.checkout import CheckoutDetails, PlaceOrder
from stockyard.sales.models import CartLine, Order, OrderLine
from tests.conftest import TenantCtx
from tests.sales.shop_setup import (
    CONFIRM_CARD,
    DECLINE_CARD,
    SHIPPING_PRICE,
    TIMEOUT_CARD,
    Shop,
    build_shop,
)


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


def atp(shop: Shop, sku: str) -> int:
    return read(shop.ctx.engine, shop.ctx.actor, atp_for_sku, sku).atp


def cart_with(shop: Shop, **lines: int) -> str:
    token = None
    for sku, quantity in lines.items():
        token = perform(shop.ctx.engine, shop.actor, carts.add_to_cart, token, shop.channel_id,
                        AddToCart(sku=sku.replace("_", "-"), quantity=quantity))
    assert token is not None
    return token


def expected_total(shop: Shop, token: str) -> Decimal:
    cart = read(shop.ctx.engine, shop.actor, cart_view, token)
    assert cart is not None
    return cart.subtotal + SHIPPING_PRICE  # prices include tax on this channel


def order_cmd(shop: Shop, token: str, **changes: Any) -> PlaceOrder:
    values: dict[str, Any] = {
        "idempotency_key": uuid.uuid4().hex, "email": "Erika@Example.com", "shipping_address": shop.address(),
        "shipping_method_id": shop.method_id, "payment_method_id": shop.card_method_id, "card": shop.card(),
        "expected_total": expected_total(shop, token), "return_url": "https://shop.test/checkout/return"}
    return PlaceOrder(**{**values, **changes})


def place(shop: Shop, token: str, cmd: PlaceOrder, customer_id: int | None = None) -> checkout.PlacedOrder:
    return checkout.place_order(shop.ctx.engine, shop.actor, token, cmd, customer_id)


def counts(shop: Shop) -> tuple[int, int, int]:
    with shop.ctx.uow() as uow:
        def n(table: Any) -> int:
            return uow.conn.execute(select(func.count()).select_from(table).where(
                table.c.tenant_id == shop.ctx.tenant_id)).scalar_one()
        return n(Order.__table__), n(OrderLine.__table__), n(Payment.__table__)


def test_shipping_options_are_quoted_live_with_cost_date_and_explanation(shop: Shop) -> None:
    token = cart_with(shop, SKU_001=2)
    options = perform(shop.ctx.engine, shop.actor, checkout.shipping_options, token, shop.address())
    assert [(o.method_id, o.cost, o.currency) for o in options] == [(shop.method_id, SHIPPING_PRICE, "EUR")]
    assert options[0].promised_date > utcnow().date() and options[0].explanation


def test_an_address_outside_every_zone_is_refused_and_nothing_is_written(shop: Shop) -> None:
    token = cart_with(shop, SKU_001=1)
    abroad = shop.address(country="FR", postcode="75001", city="Paris")
    with pytest.raises(ValidationFailed, match="we do not ship to FR") as refused:
        perform(shop.ctx.engine, shop.actor, checkout.shipping_options, token, abroad)
    assert refused.value.field == "shipping_address"
    with pytest.raises(ValidationFailed, match="we do not ship to FR"):
        place(shop, token, order_cmd(shop, token, shipping_address=abroad))
    assert counts(shop) == (0, 0, 0)
    assert atp(shop, "SKU-001") == 4  # the hold stays for another try


def test_placing_an_order_prices_from_the_list_pays_and_consumes_the_cart(shop: Shop) -> None:
    token = cart_with(shop, SKU_001=2, SKU_002=1)
    perform(shop.ctx.engine, shop.actor, checkout.save_details, token, CheckoutDetails(
        email="erika@example.com", shipping_address=shop.address(), shipping_method_id=shop.method_id,
        payment_method_id=shop.card_method_id))
    total = expected_total(shop, token)
    assert total == Decimal("2") * 10 + 25 + SHIPPING_PRICE
    placed = place(shop, token, order_cmd(shop, token))
    assert placed.number.startswith("SO-") and not placed.replayed
    assert placed.payment_state == "captured" and placed.status in ("allocated", "paid")
    order = read(shop.ctx.engine, shop.actor, checkout.order_by_number, placed.number)
    assert Decimal(order["grand_total"]) == total and order["email"] == "erika@example.com"
    assert Decimal(order["shipping_total"]) == SHIPPING_PRICE
    # Tax is included in the prices: 19 % of the gross total is inside it.
    assert Decimal(order["tax_total"]) > 0
    assert counts(shop) == (1, 2, 1)
    assert read(shop.ctx.engine, shop.actor, cart_view, token).state == "ordered"
    # The held units became the order's: nothing went back on sale.
    assert atp(shop, "SKU-001") == 3 and atp(shop, "SKU-002") == 2
    with pytest.raises(Conflict, match="this cart is ordered"):
        place(shop, token, order_cmd(shop, token, expected_total=total))


def test_a_replayed_place_order_returns_the_same_order_and_charges_once(shop: Shop) -> None:
    token = cart_with(shop, SKU_001=1)
    cmd = order_cmd(shop, token)
    first = place(shop, token, cmd)
    again = place(shop, token, cmd)
    assert again.replayed and (again.order_id, again.number) == (first.order_id, first.number)
    assert counts(shop) == (1, 1, 1)


def test_a_tampered_total_is_refused_and_nothing_is_written(shop: Shop) -> None:
    token = cart_with(shop, SKU_001=2)
    with pytest.raises(Conflict) as refused:
        place(shop, token, order_cmd(shop, token, expected_total=Decimal("1.00")))
    assert refused.value.field == "expected_total" and "the total is now 24.90 EUR" in refused.value.message
    assert counts(shop) == (0, 0, 0)
    cart = read(shop.ctx.engine, shop.actor, cart_view, token)
    assert cart.state == "open" and [line.held for line in cart.lines] == [True]
    assert atp(shop, "SKU-001") == 3


@pytest.mark.parametrize("card, error", [(DECLINE_CARD, PaymentDeclined), (TIMEOUT_CARD, PaymentTimedOut)])
def test_a_failed_payment_leaves_no_order_and_the_hold_is_then_released(shop: Shop, card: str,
                                                                        error: type[Exception]) -> None:
    token = cart_with(shop, SKU_002=2)
    with pytest.raises(error):
        place(shop, token, order_cmd(shop, token, card=shop.card(card)))
    assert counts(shop) == (0, 0, 0)
    assert atp(shop, "SKU-002") == 1
    perform(shop.ctx.engine, shop.actor, carts.release_cart, token)  # what the checkout page does next
    assert atp(shop, "SKU-002") == 3
    cart = read(shop.ctx.engine, shop.actor, cart_view, token)
    assert cart.state == "open" and [(line.code, line.held) for line in cart.lines] == [("SKU-002", False)]


def test_a_card_needing_confirmation_waits_with_the_stock_held_for_the_order(shop: Shop) -> None:
    token = cart_with(shop, SKU_001=1)
    placed = place(shop, token, order_cmd(shop, token, card=shop.card(CONFIRM_CARD)))
    assert placed.status == "awaiting_payment" and placed.payment_state == "requires_action"
    assert placed.action_url
    assert atp(shop, "SKU-001") == 4


def test_a_manual_bank_transfer_order_waits_for_its_money_with_stock_allocated(shop: Shop) -> None:
    token = cart_with(shop, SKU_001=1)
    placed = place(shop, token, order_cmd(shop, token, payment_method_id=shop.bank_method_id, card=None))
    assert placed.status == "awaiting_payment" and placed.payment_state == "pending"
    assert atp(shop, "SKU-001") == 4


def test_a_payment_method_of_another_channel_is_refused(shop: Shop) -> None:
    from stockyard.billing.config import PaymentMethodIn, create_payment_method
    from stockyard.sales.channels import ChannelIn, create_channel

    perform(shop.ctx.engine, shop.ctx.actor, create_channel, ChannelIn(code="B2B", name="Trade", kind="b2b",
                                                                       currency="EUR"))
    other = perform(shop.ctx.engine, shop.ctx.actor, create_payment_method, PaymentMethodIn(
        name="Trade card", gateway="test", channel="B2B", settings={"outcome": "approve"}))
    token = cart_with(shop, SKU_001=1)
    with pytest.raises(ValidationFailed, match="not offered in this shop"):
        place(shop, token, order_cmd(shop, token, payment_method_id=other))
    assert counts(shop) == (0, 0, 0)


def _lapse(shop: Shop, token: str) -> None:
    cart = read(shop.ctx.engine, shop.actor, cart_view, token)
    lines, r = CartLine.__table__, Reservation.__table__
    with shop.ctx.uow() as uow:
        ids = list(uow.conn.execute(select(lines.c.reservation_id).where(lines.c.cart_id == cart.id)).scalars())
        uow.conn.execute(update(r).where(r.c.id.in_(ids)).values(reserved_until=utcnow() - timedelta(seconds=1)))
    release_expired_reservations(shop.ctx.engine)


def test_a_lapsed_hold_is_renewed_at_checkout_while_the_stock_is_there(shop: Shop) -> None:
    token = cart_with(shop, SKU_001=2)
    _lapse(shop, token)
    assert atp(shop, "SKU-001") == 5
    placed = place(shop, token, order_cmd(shop, token))
    assert placed.payment_state == "captured"
    assert atp(shop, "SKU-001") == 3


def test_a_lapsed_hold_whose_stock_is_gone_is_refused_naming_the_sku(shop: Shop) -> None:
    token = cart_with(shop, SKU_002=2)
    _lapse(shop, token)
    cart_with(shop, SKU_002=3)  # another buyer takes the units
    with pytest.raises(Conflict) as refused:
        place(shop, token, order_cmd(shop, token))
    assert refused.value.details["sku"] == "SKU-002" and "SKU-002 is no longer available" in refused.value.message
    assert counts(shop) == (0, 0, 0)
