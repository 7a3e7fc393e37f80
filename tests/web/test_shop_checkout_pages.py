"""The storefront's cart, checkout, receipt and account pages through HTTP, as a buyer's browser uses them (a cookie
jar per buyer, the shop chosen by its domain, CSRF tokens from the pages)."""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select, update

from stockyard.catalog.relations import add_equivalent, sku_id_for
from stockyard.core.clock import utcnow
from stockyard.core.mail import stored_mail
from stockyard.core.settings import Settings
from stockyard.core.uow import read
from stockyard.integration.dispatch import drain
from stockyard.inventory.jobs import release_expired_reservations
from stockyard.inventory.models import Reservation
from stockyard.inventory.queries import atp_for_sku
from stockyard.sales.models import Order
from tests.conftest import TenantCtx
from tests.sales.shop_setup import APPROVE_CARD, CONFIRM_CARD, DECLINE_CARD, SHIPPING_PRICE, Shop, build_shop

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "a long secret 123"


@dataclass
class Buyer:
    client: TestClient

    def get(self, url: str, **params: str) -> Response:
        return self.client.get(url, params=params or None, follow_redirects=False)

    def csrf(self, url: str = "/my/login") -> str:
        found = CSRF.search(self.client.get(url).text)
        assert found, f"no form on {url}"
        return found[1]

    def post(self, url: str, data: dict[str, str], *, csrf: bool = True) -> Response:
        body = {**data, "csrf_token": self.csrf()} if csrf else dict(data)
        return self.client.post(url, data=body, follow_redirects=False)

    def follow(self, response: Response) -> Response:
        assert response.status_code == 303, f"{response.status_code}: {response.text[:800]}"
        return self.get(response.headers["location"])


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


@pytest.fixture
def buyer(shop: Shop, app_for) -> Callable[[], Buyer]:  # noqa: ANN001
    """A new browser (its own cookies) visiting the shop's domain."""
    return lambda: Buyer(TestClient(app_for(shop.ctx.engine).app, base_url=f"http://{shop.domain}"))


def field_error(html: str, field: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">([^<]*)</p>', html)
    return unescape(found[1]) if found else None


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return unescape(found[1])


def atp(shop: Shop, sku: str) -> int:
    return read(shop.ctx.engine, shop.ctx.actor, atp_for_sku, sku).atp


def orders(shop: Shop) -> int:
    with shop.ctx.uow() as uow:
        return uow.conn.execute(select(func.count()).select_from(Order.__table__).where(
            Order.__table__.c.tenant_id == shop.ctx.tenant_id)).scalar_one()


ADDRESS = {"name": "Erika Mustermann", "line1": "Hafenstraße 1", "city": "Hamburg", "postcode": "20095",
           "country": "DE"}


def to_review(b: Buyer, shop: Shop, email: str = "erika@example.com", **lines: int) -> str:
    """Adds the lines, fills in the details, chooses shipping and card; returns the review page."""
    for sku, quantity in lines.items():
        b.follow(b.post("/cart/lines", {"sku": sku.replace("_", "-"), "quantity": str(quantity)}))
    details = b.follow(b.post("/checkout", {"email": email, **ADDRESS, "step": "options"}))
    assert "DHL Standard" in details.text and "4.90 EUR" in details.text
    review = b.follow(b.post("/checkout", {"email": email, **ADDRESS, "shipping_method_id": str(shop.method_id),
                                           "payment_method_id": str(shop.card_method_id), "step": "review"}))
    assert review.status_code == 200
    return review.text


def place(b: Buyer, review: str, card: str = APPROVE_CARD, **changes: str) -> Response:
    form = {"idempotency_key": hidden(review, "idempotency_key"), "expected_total": hidden(review, "expected_total"),
            "card_number": card, "card_exp_month": "12", "card_exp_year": "2031", "card_cvc": "123",
            "card_holder": "E Mustermann", **changes}
    return b.post("/checkout/place", form)


def test_guest_adds_to_cart_checks_out_and_gets_receipt_pdf_and_mail(shop: Shop, buyer: Callable[[], Buyer]) -> None:
    b = buyer()
    cart = b.follow(b.post("/cart/lines", {"sku": "SKU-001", "quantity": "2"}))
    assert "Added 2 × SKU-001 to your cart" in cart.text
    assert "held for you for" in cart.text and "go back on sale and we re-check stock at checkout" in cart.text
    assert atp(shop, "SKU-001") == 3
    email = f"erika-{uuid.uuid4().hex[:8]}@example.com"  # mail files outlive the test database
    review = to_review(b, shop, email, SKU_002=1)
    total = Decimal("2") * 10 + 25 + SHIPPING_PRICE
    assert hidden(review, "expected_total") == str(total) and "Included tax" in review
    placed = place(b, review)
    assert placed.status_code == 303 and placed.headers["location"].endswith("/thanks")
    thanks = b.get(placed.headers["location"])
    number = re.search(r'id="order-number">([^<]+)<', thanks.text)[1]
    assert "Thank you for your order" in thanks.text and "49.90 EUR" in thanks.text
    assert "captured" in thanks.text and "Hamburg" in thanks.text and "Expected delivery" in thanks.text
    pdf = b.get(f"/orders/{number}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # The consumer of order.placed.v1 sends the mail.
    drain(shop.ctx.engine, tenant_id=shop.ctx.tenant_id, settings=Settings(var_dir=Path("var-test")))
    mails = [m for m in stored_mail(Path("var-test") / "mail", shop.ctx.tenant_id) if m.to == email]
    assert len(mails) == 1 and number in mails[0].subject and "Total: 49.90 EUR" in mails[0].body
    # The cart was used up: a new visit to /cart shows an empty cart, the stock stays with the order.
    assert "Your cart is empty" in b.get("/cart").text
    assert atp(shop, "SKU-001") == 3 and atp(shop, "SKU-002") == 2
    # Another browser cannot see this receipt.
    stranger = buyer()
    assert stranger.get(f"/orders/{number}/thanks").status_code == 404
    assert stranger.get(f"/orders/{number}/receipt.pdf").status_code == 404


def test_a_double_submitted_place_order_makes_one_order(shop: Shop, buyer: Callable[[], Buyer]) -> None:
    b = buyer()
    review = to_review(b, shop, SKU_001=1)
    first = place(b, review)
    second = place(b, review)
    assert first.status_code == 303 and second.status_code in (303, 200)
    assert orders(shop) == 1


def test_tampered_fields_are_ignored_and_a_tampered_total_is_refused(shop: Shop, buyer: Callable[[], Buyer]) -> None:
    b = buyer()
    review = to_review(b, shop, SKU_001=1)
    refused = place(b, review, expected_total="0.01")
    assert refused.status_code == 409
    assert "The total is now 14.90 EUR" in unescape(refused.text)
    assert orders(shop) == 0 and atp(shop, "SKU-001") == 4
    # Prices and quantities smuggled into the post change nothing: the service prices the cart itself.
    again = place(b, refused.text, unit_price="0.01", quantity="50", **{"lines.0.unit_price": "0"})
    assert again.status_code == 303
    thanks = b.get(again.headers["location"])
    assert "14.90 EUR" in thanks.text and orders(shop) == 1 and atp(shop, "SKU-001") == 4


def test_a_declined_card_places_no_order_and_releases_the_hold(shop: Shop, buyer: Callable[[], Buyer]) -> None:
    b = buyer()
    review = to_review(b, shop, SKU_002=2)
    assert atp(shop, "SKU-002") == 1
    declined = place(b, review, card=DECLINE_CARD)
    assert declined.status_code == 402
    assert "declined" in declined.text and "no order was placed" in declined.text
    assert orders(shop) == 0 and atp(shop, "SKU-002") == 3
    # The customer tries another card: the holds are taken again and the order goes through.
    placed = place(b, declined.text)
    assert placed.status_code == 303 and orders(shop) == 1 and atp(shop, "SKU-002") == 1


def test_bad_input_re_renders_with_field_messages(shop: Shop, buyer: Callable[[], Buyer]) -> None:
    b = buyer()
    assert b.post("/cart/lines", {"sku": "SKU-001", "quantity": "1"}, csrf=False).status_code == 403
    bad_quantity = b.post("/cart/lines", {"sku": "SKU-001", "quantity": "two"})
    assert bad_quantity.status_code == 422 and "whole number" in bad_quantity.text
    b.follow(b.post("/cart/lines", {"sku": "SKU-001", "quantity": "1"}))
    missing = b.post("/checkout", {"email": "not-an-email", **{**ADDRESS, "city": ""}, "step": "options"})
    assert missing.status_code == 422
    assert field_error(missing.text, "email") and field_error(missing.text, "city")
    abroad = b.post("/checkout", {"email": "e@example.com", **ADDRESS, "country": "FR", "step": "options"})
    assert abroad.status_code == 422 and "we do not ship to FR" in (field_error(abroad.text, "shipping_address") or "")
    review = to_review(b, shop)
    no_card = place(b, review, card="")
    assert no_card.status_code == 422 and field_error(no_card.text, "card_number")
    assert orders(shop) == 0


def test_out_of_stock_at_add_to_cart_offers_an_in_stock_equivalent(shop: Shop, buyer: Callable[[], Buyer]) -> None:
    with shop.ctx.uow() as uow:
        add_equivalent(uow, sku_id_for(uow, "SKU-003", "sku"), "SKU-001")
    b = buyer()
    refused = b.post("/cart/lines", {"sku": "SKU-003", "quantity": "1"})
    assert refused.status_code == 409 and "SKU-003 is no longer available" in refused.text
    assert "in stock from another brand" in refused.text and "Add SKU-001 to cart" in refused.text
    added = b.follow(b.post("/cart/lines", {"sku": "SKU-001", "quantity": "1"}))
    assert 'data-sku="SKU-001"' in added.text


def test_quantity_change_and_removal_on_the_cart_page(shop: Shop, buyer: Callable[[], Buyer]) -> None:
    b = buyer()
    b.follow(b.post("/cart/lines", {"sku": "SKU-002", "quantity": "1"}))
    too_many = b.post("/cart/quantity", {"sku": "SKU-002", "quantity": "9"})
    assert too_many.status_code == 409 and "only 3 of SKU-002 available" in too_many.text
    assert atp(shop, "SKU-002") == 2
    assert "quantity set to 3" in b.follow(b.post("/cart/quantity", {"sku": "SKU-002", "quantity": "3"})).text
    assert atp(shop, "SKU-002") == 0
    assert "Removed SKU-002" in b.follow(b.post("/cart/quantity", {"sku": "SKU-002", "remove": "1"})).text
    assert atp(shop, "SKU-002") == 3


def register(b: Buyer, email: str, name: str = "Erika") -> Response:
    return b.post("/my/register", {"name": name, "email": email, "password": PASSWORD, "password_again": PASSWORD})


def test_register_login_history_reorder_and_privacy(shop: Shop, buyer: Callable[[], Buyer]) -> None:
    guest = buyer()
    placed = place(guest, to_review(guest, shop, "erika@example.com", SKU_001=1))
    number = placed.headers["location"].split("/")[2]
    # Registering with the e-mail of the guest order brings it into the history.
    short = guest.post("/my/register", {"name": "E", "email": "erika@example.com", "password": "short",
                                        "password_again": "short"})
    assert short.status_code == 422 and field_error(short.text, "password")
    history = guest.follow(register(guest, "erika@example.com"))
    assert "1 earlier order" in history.text and number in history.text
    assert register(buyer(), "erika@example.com").status_code == 409
    detail = guest.get(f"/my/orders/{number}")
    assert detail.status_code == 200
    assert "Placed" in detail.text and "Order again" in detail.text and "SKU-001" in detail.text
    assert "Return items" not in detail.text  # not delivered yet
    # Order again puts the lines into the cart.
    again = guest.follow(guest.post(f"/my/orders/{number}/again", {}))
    assert "Added to your cart: 1 × SKU-001" in again.text
    assert guest.follow(guest.post("/my/logout", {})).status_code == 200
    assert guest.get("/my/orders").status_code == 303
    # Signing in again: a wrong password is refused with the generic message, then the guest cart merges.
    other = buyer()
    other.follow(other.post("/cart/lines", {"sku": "SKU-002", "quantity": "1"}))
    wrong = other.post("/my/login", {"email": "erika@example.com", "password": "wrong password!"})
    assert wrong.status_code == 401 and "Wrong e-mail or password" in wrong.text
    signed_in = other.post("/my/login", {"email": "erika@example.com", "password": PASSWORD, "next": "/cart"})
    cart = other.follow(signed_in)
    assert 'data-sku="SKU-001"' in cart.text and 'data-sku="SKU-002"' in cart.text
    # Another customer sees neither the order page nor its receipt.
    mallory = buyer()
    mallory.follow(register(mallory, "mallory@example.com", "Mallory"))
    assert mallory.get(f"/my/orders/{number}").status_code == 404
    assert mallory.get(f"/orders/{number}/thanks").status_code == 404
    assert mallory.get(f"/orders/{number}/receipt.pdf").status_code == 404
    assert number not in mallory.get("/my/orders").text


def test_addresses_are_kept_and_prefill_the_checkout(shop: Shop, buyer: Callable[[], Buyer]) -> None:
    b = buyer()
    b.follow(register(b, "ana@example.com", "Ana"))
    bad = b.post("/my/addresses", {**ADDRESS, "country": "ZZ"})
    assert bad.status_code == 422 and field_error(bad.text, "country")
    page = b.follow(b.post("/my/addresses", {**ADDRESS, "name": "Ana Home"}))
    assert "Ana Home" in page.text and "Default address" in page.text
    b.follow(b.post("/my/addresses", {**ADDRESS, "name": "Ana Work", "line1": "Werkstraße 9"}))
    b.follow(b.post("/cart/lines", {"sku": "SKU-001", "quantity": "1"}))
    checkout = b.get("/checkout")
    assert 'value="Ana Home"' in checkout.text and 'value="ana@example.com"' in checkout.text
    assert "DHL Standard" in checkout.text  # options computed from the prefilled address
    ids = re.findall(r'data-address="(\d+)"', b.get("/my/addresses").text)
    b.follow(b.post(f"/my/addresses/{ids[1]}/default", {}))
    assert b.get("/my/addresses").text.index("Ana Work") < b.get("/my/addresses").text.index("Ana Home")
    b.follow(b.post(f"/my/addresses/{ids[1]}/delete", {}))
    assert "Ana Work" not in b.get("/my/addresses").text
    # Somebody else's address id is not found.
    other = buyer()
    other.follow(register(other, "ben@example.com", "Ben"))
    assert other.post(f"/my/addresses/{ids[0]}/delete", {}).status_code == 404
    assert "Ana Home" in b.get("/my/addresses").text



def test_a_card_needing_confirmation_goes_to_the_gateway_and_comes_back(shop: Shop,
                                                                         buyer: Callable[[], Buyer]) -> None:
    b = buyer()
    placed = place(b, to_review(b, shop, SKU_001=1), card=CONFIRM_CARD)
    assert placed.status_code == 303 and "/pay/test/" in placed.headers["location"]
    confirm_page = b.get(placed.headers["location"])
    assert confirm_page.status_code == 200
    back = b.client.post(placed.headers["location"], data={"decision": "confirm",
                                                           "csrf_token": CSRF.search(confirm_page.text)[1]},
                         follow_redirects=False)
    assert back.status_code == 303 and "/checkout/return?payment=" in back.headers["location"]
    thanks = b.follow(b.get(back.headers["location"]))
    assert thanks.status_code == 200 and "Thank you for your order" in thanks.text
    assert "back from the payment page" in thanks.text and orders(shop) == 1


def test_an_item_gone_at_checkout_is_named_and_an_equivalent_offered(shop: Shop, buyer: Callable[[], Buyer]) -> None:
    with shop.ctx.uow() as uow:
        add_equivalent(uow, sku_id_for(uow, "SKU-002", "sku"), "SKU-001")
    b = buyer()
    review = to_review(b, shop, SKU_002=2)
    assert "Held for you for" in b.get("/cart").text
    with shop.ctx.uow() as uow:  # time passes beyond the hold, and the expiry job runs
        r = Reservation.__table__
        uow.conn.execute(update(r).where(r.c.tenant_id == shop.ctx.tenant_id, r.c.state == "active")
                         .values(reserved_until=utcnow() - timedelta(seconds=1)))
    release_expired_reservations(shop.ctx.engine)
    lapsed = b.get("/cart")
    assert "Hold lapsed: back on sale" in lapsed.text and "Hold them for me again" in lapsed.text
    rival = buyer()
    rival.follow(rival.post("/cart/lines", {"sku": "SKU-002", "quantity": "3"}))  # a rival takes every unit
    gone = place(b, review)
    assert gone.status_code == 409 and "SKU-002 is no longer available" in gone.text
    assert "Add SKU-001 to cart" in gone.text
    assert orders(shop) == 0


def test_order_again_skips_what_is_no_longer_available(shop: Shop, buyer: Callable[[], Buyer]) -> None:
    b = buyer()
    b.follow(register(b, "cleo@example.com", "Cleo"))
    placed = place(b, to_review(b, shop, "cleo@example.com", SKU_001=1, SKU_002=3))
    number = placed.headers["location"].split("/")[2]
    assert number in b.get("/my/orders").text  # placed while signed in: in the history at once
    again = b.follow(b.post(f"/my/orders/{number}/again", {}))
    assert "Added to your cart: 1 × SKU-001" in again.text
    assert "Not added, not available now: SKU-002 (SKU-002 is no longer available)" in unescape(again.text)
    assert 'data-sku="SKU-001"' in again.text and 'data-sku="SKU-002"' not in again.text


def test_signing_in_as_a_customer_gets_a_new_session_id(shop: Shop, buyer: Callable[[], Buyer]) -> None:
    b = buyer()
    assert register(b, "fixation@example.com").status_code == 303
    b.post("/my/logout", {})
    b.csrf()  # a session exists before signing in (a planted id would be this one)
    before = b.client.cookies.get("stockyard_session")
    signed_in = b.post("/my/login", {"email": "fixation@example.com", "password": PASSWORD})
    assert signed_in.status_code == 303
    after = b.client.cookies.get("stockyard_session")
    assert before and after and after != before
