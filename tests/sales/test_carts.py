"""Carts on both backends: adding holds stock, quantity changes re-check it, lapsed holds are renewed or refused with
the SKU named, and the guest cart merges into the customer's at sign-in."""

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.uow import perform, read
from stockyard.inventory.jobs import release_expired_reservations
from stockyard.inventory.models import Reservation
from stockyard.inventory.queries import atp_for_sku
from stockyard.sales import carts
from stockyard.sales.cart_queries import cart_view
from stockyard.sales.carts import AddToCart, SetQuantity
from stockyard.sales.customers import RegisterCustomer, register_customer
from stockyard.sales.models import CartLine
from tests.conftest import TenantCtx
from tests.sales.shop_setup import Shop, build_shop


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


def atp(shop: Shop, sku: str) -> int:
    return read(shop.ctx.engine, shop.ctx.actor, atp_for_sku, sku).atp


def add(shop: Shop, token: str | None, sku: str, quantity: int, customer_id: int | None = None) -> str:
    return perform(shop.ctx.engine, shop.actor, carts.add_to_cart, token, shop.channel_id,
                   AddToCart(sku=sku, quantity=quantity), customer_id)


def view(shop: Shop, token: str):  # noqa: ANN201
    found = read(shop.ctx.engine, shop.actor, cart_view, token)
    assert found is not None
    return found


def expire_holds(shop: Shop, token: str) -> None:
    """Time passes beyond the hold: the reservations' `reserved_until` lies in the past."""
    cart = view(shop, token)
    r, lines = Reservation.__table__, CartLine.__table__
    with shop.ctx.uow() as uow:
        ids = list(uow.conn.execute(select(lines.c.reservation_id).where(lines.c.cart_id == cart.id)).scalars())
        uow.conn.execute(update(r).where(r.c.id.in_([i for i in ids if i])).values(
            reserved_until=utcnow() - timedelta(seconds=1)))


def test_adding_places_a_hold_with_the_channels_time_and_prices_the_line(shop: Shop) -> None:
    token = add(shop, None, "SKU-001", 2)
    assert atp(shop, "SKU-001") == 3
    cart = view(shop, token)
    assert [(line.code, line.quantity, line.unit_price, line.held) for line in cart.lines] == [
        ("SKU-001", 2, shop.prices["SKU-001"], True)]
    assert cart.subtotal == 2 * shop.prices["SKU-001"]
    assert 14 * 60 < (cart.first_hold_expiry_seconds or 0) <= 15 * 60
    # More of the same adds up on one line with one hold for the total.
    assert add(shop, token, "SKU-001", 1) == token
    assert [line.quantity for line in view(shop, token).lines] == [3]
    assert atp(shop, "SKU-001") == 2


def test_adding_more_than_is_available_is_refused_and_changes_nothing(shop: Shop) -> None:
    token = add(shop, None, "SKU-002", 2)
    with pytest.raises(Conflict) as refused:
        add(shop, token, "SKU-002", 2)
    assert "only 3 of SKU-002 available" in refused.value.message  # counting the 2 already held
    assert [line.quantity for line in view(shop, token).lines] == [2]
    assert atp(shop, "SKU-002") == 1
    with pytest.raises(Conflict, match="SKU-003 is no longer available"):
        add(shop, token, "SKU-003", 1)
    with pytest.raises(NotFound):
        add(shop, token, "NOPE", 1)


def test_quantity_change_re_checks_stock_and_zero_removes_the_line(shop: Shop) -> None:
    token = add(shop, None, "SKU-001", 1)
    perform(shop.ctx.engine, shop.actor, carts.set_quantity, token, SetQuantity(sku="SKU-001", quantity=5))
    assert atp(shop, "SKU-001") == 0
    with pytest.raises(Conflict, match="only 5 of SKU-001 available"):
        perform(shop.ctx.engine, shop.actor, carts.set_quantity, token, SetQuantity(sku="SKU-001", quantity=6))
    # The refused change kept the earlier hold whole.
    assert [line.quantity for line in view(shop, token).lines] == [5] and atp(shop, "SKU-001") == 0
    perform(shop.ctx.engine, shop.actor, carts.set_quantity, token, SetQuantity(sku="SKU-001", quantity=2))
    assert atp(shop, "SKU-001") == 3
    perform(shop.ctx.engine, shop.actor, carts.set_quantity, token, SetQuantity(sku="SKU-001", quantity=0))
    assert view(shop, token).lines == [] and atp(shop, "SKU-001") == 5
    with pytest.raises(ValidationError):
        SetQuantity(sku="SKU-001", quantity=-1)


def test_a_lapsed_hold_is_released_by_the_job_and_renewed_while_stock_lasts(shop: Shop) -> None:
    token = add(shop, None, "SKU-001", 2)
    expire_holds(shop, token)
    assert [line.held for line in view(shop, token).lines] == [False]
    assert release_expired_reservations(shop.ctx.engine) >= 1
    assert atp(shop, "SKU-001") == 5
    assert perform(shop.ctx.engine, shop.actor, carts.renew_holds, token) == []
    cart = view(shop, token)
    assert [line.held for line in cart.lines] == [True] and atp(shop, "SKU-001") == 3


def test_a_lapsed_hold_whose_stock_was_sold_is_refused_with_the_sku_named(shop: Shop) -> None:
    token = add(shop, None, "SKU-002", 2)
    expire_holds(shop, token)
    release_expired_reservations(shop.ctx.engine)
    other = add(shop, None, "SKU-002", 3)  # someone else takes every unit meanwhile
    assert other != token
    problems = perform(shop.ctx.engine, shop.actor, carts.renew_holds, token)
    assert problems == ["your hold on SKU-002 lapsed and SKU-002 is no longer available"]
    line = view(shop, token).lines[0]
    assert (line.code, line.quantity, line.held) == ("SKU-002", 2, False)


def test_release_cart_lets_every_hold_go_and_keeps_the_lines(shop: Shop) -> None:
    token = add(shop, None, "SKU-001", 2)
    add(shop, token, "SKU-002", 1)
    perform(shop.ctx.engine, shop.actor, carts.release_cart, token)
    assert atp(shop, "SKU-001") == 5 and atp(shop, "SKU-002") == 3
    assert [(line.code, line.held) for line in view(shop, token).lines] == [("SKU-001", False), ("SKU-002", False)]


def test_the_guest_cart_merges_into_the_customers_cart_at_sign_in(shop: Shop) -> None:
    customer = perform(shop.ctx.engine, shop.actor, register_customer, RegisterCustomer(
        email="ana@example.com", name="Ana", password="a long secret 123"))
    mine = add(shop, None, "SKU-001", 1, customer.customer_id)
    guest = add(shop, None, "SKU-001", 2)
    add(shop, guest, "SKU-002", 1)
    merged = perform(shop.ctx.engine, shop.actor, carts.merge_carts, guest, customer.customer_id)
    assert merged == mine
    cart = view(shop, merged)
    assert sorted((line.code, line.quantity, line.held) for line in cart.lines) == [
        ("SKU-001", 3, True), ("SKU-002", 1, True)]
    assert atp(shop, "SKU-001") == 2 and atp(shop, "SKU-002") == 2
    assert view(shop, guest).state == "merged"
    with pytest.raises(Conflict):
        add(shop, guest, "SKU-001", 1)


def test_a_guest_cart_becomes_the_customers_when_they_have_none(shop: Shop) -> None:
    customer = perform(shop.ctx.engine, shop.actor, register_customer, RegisterCustomer(
        email="ben@example.com", name="Ben", password="a long secret 123"))
    guest = add(shop, None, "SKU-001", 2)
    assert perform(shop.ctx.engine, shop.actor, carts.merge_carts, guest, customer.customer_id) == guest
    assert view(shop, guest).customer_id == customer.customer_id
