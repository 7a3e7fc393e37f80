"""Customer accounts on both backends: registration links guest orders, sign-in is generic and rate limited, the
address book keeps one default, and the order queries show a customer only their own orders."""

import uuid

import pytest
from pydantic import ValidationError

from stockyard.core.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.login_limits import InProcessLoginLimiter, TooManyAttempts
from stockyard.sales import carts, checkout, customers
from stockyard.sales.cart_queries import cart_view
from stockyard.sales.carts import AddToCart
from stockyard.sales.customer_queries import customer_addresses, customer_order, order_history, reorder_lines
from stockyard.sales.customers import CustomerAddressIn, RegisterCustomer
from tests.conftest import TenantCtx
from tests.sales.shop_setup import SHIPPING_PRICE, Shop, build_shop

PASSWORD = "a long secret 123"


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


def register(shop: Shop, email: str, name: str = "Ana") -> customers.Registered:
    return perform(shop.ctx.engine, shop.actor, customers.register_customer,
                   RegisterCustomer(email=email, name=name, password=PASSWORD))


def place_guest_order(shop: Shop, email: str, customer_id: int | None = None) -> str:
    token = perform(shop.ctx.engine, shop.actor, carts.add_to_cart, None, shop.channel_id,
                    AddToCart(sku="SKU-001", quantity=1), customer_id)
    cart = read(shop.ctx.engine, shop.actor, cart_view, token)
    cmd = checkout.PlaceOrder(idempotency_key=uuid.uuid4().hex, email=email, shipping_address=shop.address(),
                              shipping_method_id=shop.method_id, payment_method_id=shop.bank_method_id,
                              expected_total=cart.subtotal + SHIPPING_PRICE)
    return checkout.place_order(shop.ctx.engine, shop.actor, token, cmd, customer_id).number


def test_registering_links_earlier_guest_orders_of_the_same_email(shop: Shop) -> None:
    first = place_guest_order(shop, "ana@example.com")
    place_guest_order(shop, "someone@example.com")
    done = register(shop, "Ana@Example.com")
    assert done.linked_orders == 1
    history = read(shop.ctx.engine, shop.actor, order_history, done.customer_id)
    assert [o.number for o in history.items] == [first] and history.total == 1
    assert history.items[0].item_count == 1 and history.items[0].status == "awaiting_payment"


def test_an_email_registers_once_and_a_weak_password_is_refused(shop: Shop) -> None:
    register(shop, "ana@example.com")
    with pytest.raises(Conflict, match="exists already") as taken:
        register(shop, "ANA@example.com")
    assert taken.value.field == "email"
    with pytest.raises(ValidationFailed) as weak:
        perform(shop.ctx.engine, shop.actor, customers.register_customer,
                RegisterCustomer(email="ben@example.com", name="Ben", password="short"))
    assert weak.value.field == "password"
    with pytest.raises(ValidationError):
        RegisterCustomer(email="not an email", name="Ben", password=PASSWORD)


def test_sign_in_is_generic_and_rate_limited(shop: Shop) -> None:
    done = register(shop, "ana@example.com")
    limiter = InProcessLoginLimiter(max_failures=3, window_seconds=60)

    def sign_in(email: str, password: str) -> customers.SignedInCustomer:
        return customers.authenticate_customer(shop.ctx.engine, shop.actor, limiter, email=email, password=password,
                                               client_ip="10.0.0.1")

    assert sign_in(" ANA@example.com ", PASSWORD).customer_id == done.customer_id
    with pytest.raises(NotAuthenticated) as wrong:
        sign_in("ana@example.com", "wrong password")
    with pytest.raises(NotAuthenticated) as unknown:
        sign_in("nobody@example.com", PASSWORD)
    assert wrong.value.message == unknown.value.message == "wrong e-mail or password"
    with pytest.raises(NotAuthenticated):
        sign_in("ana@example.com", "wrong again")
    with pytest.raises(TooManyAttempts):  # the address reached the limit: even the right password waits
        sign_in("ana@example.com", PASSWORD)


def test_a_customer_of_another_tenant_cannot_sign_in_here(shop: Shop, engine) -> None:  # noqa: ANN001
    from tests.conftest import new_tenant

    register(shop, "ana@example.com")
    other = build_shop(new_tenant(engine))
    limiter = InProcessLoginLimiter(max_failures=10, window_seconds=60)
    with pytest.raises(NotAuthenticated):
        customers.authenticate_customer(engine, other.actor, limiter, email="ana@example.com", password=PASSWORD,
                                        client_ip="10.0.0.2")


def _address(name: str, **changes: str) -> CustomerAddressIn:
    return CustomerAddressIn(**{"name": name, "line1": "Hafenstraße 1", "city": "Hamburg", "postcode": "20095",
                                "country": "de", **changes})


def test_the_address_book_keeps_exactly_one_default(shop: Shop) -> None:
    ana = register(shop, "ana@example.com").customer_id
    e, a = shop.ctx.engine, shop.actor
    home = perform(e, a, customers.add_address, ana, _address("Home"))
    work = perform(e, a, customers.add_address, ana, _address("Work"))
    book = read(e, a, customer_addresses, ana)
    assert [(x.name, x.is_default, x.country) for x in book] == [("Home", True, "DE"), ("Work", False, "DE")]
    perform(e, a, customers.set_default_address, ana, work)
    assert [(x.name, x.is_default) for x in read(e, a, customer_addresses, ana)] == [("Work", True), ("Home", False)]
    perform(e, a, customers.update_address, ana, home, _address("Home, new", city="Altona", is_default=True))
    assert [(x.name, x.city, x.is_default) for x in read(e, a, customer_addresses, ana)] == [
        ("Home, new", "Altona", True), ("Work", "Hamburg", False)]
    perform(e, a, customers.delete_address, ana, home)
    assert [(x.name, x.is_default) for x in read(e, a, customer_addresses, ana)] == [("Work", True)]
    ben = register(shop, "ben@example.com", "Ben").customer_id
    with pytest.raises(NotFound):
        perform(e, a, customers.delete_address, ben, work)
    with pytest.raises(NotFound):
        perform(e, a, customers.update_address, ben, work, _address("Mine now"))
    assert [x.name for x in read(e, a, customer_addresses, ana)] == ["Work"]


def test_an_order_is_shown_only_to_its_customer_or_the_session_that_placed_it(shop: Shop) -> None:
    ana = register(shop, "ana@example.com").customer_id
    ben = register(shop, "ben@example.com", "Ben").customer_id
    mine = place_guest_order(shop, "ana@example.com", ana)
    guest = place_guest_order(shop, "guest@example.com")
    e, a = shop.ctx.engine, shop.actor
    order = read(e, a, customer_order, mine, customer_id=ana)
    assert order.number == mine and [line.sku_code for line in order.lines] == ["SKU-001"]
    assert [t.status for t in order.timeline][:2] == ["placed", "awaiting_payment"]
    assert any("allocated" in t.note for t in order.timeline)  # a manual order's stock is set aside at once
    assert order.payment_method == "Bank transfer" and order.payment_state == "pending"
    assert order.shipping_method == "DHL Standard" and order.promised_date
    with pytest.raises(NotFound):
        read(e, a, customer_order, mine, customer_id=ben)
    with pytest.raises(NotFound):
        read(e, a, customer_order, mine, customer_id=None, guest_numbers=[guest])
    assert read(e, a, customer_order, guest, customer_id=None, guest_numbers=[guest]).email == "guest@example.com"
    assert read(e, a, reorder_lines, mine, ana) == [("SKU-001", 1)]
    with pytest.raises(NotFound):
        read(e, a, reorder_lines, mine, ben)


def test_order_history_pages_newest_first(shop: Shop) -> None:
    ana = register(shop, "ana@example.com").customer_id
    numbers = [place_guest_order(shop, "ana@example.com", ana) for _ in range(3)]
    first = read(shop.ctx.engine, shop.actor, order_history, ana, 1, 2)
    second = read(shop.ctx.engine, shop.actor, order_history, ana, 2, 2)
    assert first.total == 3 and first.has_next and not second.has_next
    assert [o.number for o in first.items + second.items] == list(reversed(numbers))
