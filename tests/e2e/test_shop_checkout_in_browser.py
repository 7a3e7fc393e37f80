"""The whole storefront journey in a real browser, as issue 4 describes it: a guest searches the shop, narrows the
results by brand, opens the product, adds it to the cart, checks out with a shipping cost computed for the address
and pays with the test gateway's approving card; gets the receipt (page and PDF), registers with the same e-mail
and finds the order in the history. Staff ship the order and mark it delivered on the admin order page; the
customer asks to return the part; staff authorise, receive, inspect and refund the return on the admin returns
pages, and in the end the customer and the order page both show the refund, and the part is back on sale.

The shop answers on its own host name, <tenant slug>.localhost: Chromium sends every *.localhost name to the
loopback interface, where the live server listens, and the Host header picks the channel (web/storefront/context.py).
"""

import re
import uuid
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from stockyard.catalog.pricing import SetSkuPrices, TierIn, set_sku_prices
from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.uow import perform
from stockyard.sales.models import Channel
from tests.conftest import TenantCtx, new_tenant
from tests.e2e.conftest import ARTIFACTS, LiveServer
from tests.factories import receive
from tests.sales.shop_setup import APPROVE_CARD, SHIPPING_PRICE, Shop, build_shop

STAFF_PASSWORD = "correct horse battery"
CUSTOMER_PASSWORD = "a long enough password 42"
DISC = "ATE-24.0128-0188"  # the part the customer buys
DISC_PRICE = Decimal("39.90")
# Same query, other brands: one in stock, one sold out, so both the brand and the stock facets have something to do.
OTHER_DISCS = {"BRM-09.A820.11": ("Brembo", Decimal("42.50"), 8), "TEX-92106303": ("Textar", Decimal("35.00"), 0)}


def _product(ctx: TenantCtx, shop: Shop, code: str, brand: str, price: Decimal, stock: int) -> None:
    perform(ctx.engine, ctx.actor, create_product, CreateProduct(
        name="Brake disc, vented, front axle", brand=brand, category="Brakes/Discs", part_number="5Q0615301F",
        description="<p>Ventilated front brake disc, 312 mm.</p>", skus=[{"code": code}]))
    perform(ctx.engine, ctx.actor, set_sku_prices, shop.price_list_id,
            SetSkuPrices(sku=code, tiers=[TierIn(min_quantity=1, unit_price=price)]))
    if stock:
        receive(ctx, code, "MAIN/A/02", stock, unit_cost=Decimal("20.00"))


def _shop_on_its_own_host(server: LiveServer) -> tuple[TenantCtx, Shop, str]:
    """A tenant whose storefront channel answers on <slug>.localhost; returns the shop's base URL."""
    ctx = new_tenant(server.engine)
    shop = build_shop(ctx)
    _product(ctx, shop, DISC, "ATE", DISC_PRICE, 3)
    for code, (brand, price, stock) in OTHER_DISCS.items():
        _product(ctx, shop, code, brand, price, stock)
    host = f"{ctx.slug}.localhost"
    with ctx.uow() as uow:
        uow.conn.execute(update(Channel.__table__).where(Channel.__table__.c.id == shop.channel_id)
                         .values(domain=host))
    return ctx, shop, f"http://{host}:{urlsplit(server.url).port}"


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _guest_finds_the_part(page: Page, shop_url: str) -> None:
    page.goto(f"{shop_url}/")
    expect(page.locator("a.shop-name")).to_have_text("Web shop")
    page.get_by_role("searchbox", name="Search by name, part number, SKU or barcode").fill("brake disc")
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page).to_have_url(re.compile(r"/search\?q=brake\+disc$"))
    expect(page.get_by_role("heading", name="Results for “brake disc”")).to_be_visible()
    expect(page.locator("#h-results")).to_have_text("3 products")
    for code in (DISC, *OTHER_DISCS):
        expect(page.locator(f"article.card[data-sku='{code}']")).to_be_visible()
    expect(page.locator(f"article.card[data-sku='{DISC}'] .stock")).to_have_text("Only 3 left")
    expect(page.locator("article.card[data-sku='TEX-92106303'] .stock")).to_have_text("Out of stock")
    filters = page.locator("form.facet-form")
    expect(filters.locator("label", has_text="In stock only").locator(".count")).to_have_text("2")

    # Narrow down to one brand: the form keeps the query and the results shrink to that brand's disc.
    filters.get_by_role("checkbox", name=re.compile(r"^ATE\b")).check()
    filters.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"[?&]brand=\d+"))
    expect(page).to_have_url(re.compile(r"[?&]q=brake\+disc"))
    expect(page.locator("#h-results")).to_have_text("1 product")
    card = page.locator(f"article.card[data-sku='{DISC}']")
    expect(card).to_be_visible()
    expect(page.locator("article.card")).to_have_count(1)
    expect(card.locator(".price")).to_have_text(f"{_money(DISC_PRICE)} EUR")
    expect(filters.get_by_role("checkbox", name=re.compile(r"^ATE\b"))).to_be_checked()

    card.locator("a.card-title").click()
    expect(page).to_have_url(f"{shop_url}/p/{DISC}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Brake disc, vented, front axle")
    expect(page.locator(".product-ids")).to_contain_text("ATE")
    expect(page.locator(".product-ids")).to_contain_text("5Q0615301F")
    expect(page.locator(".product-price .price")).to_have_text(f"{_money(DISC_PRICE)} EUR")
    expect(page.locator(".product-stock")).to_contain_text("Only 3 left")


def _guest_checks_out(page: Page, shop_url: str, email: str) -> str:
    """Cart → details → shipping cost → review → pay; returns the order number from the receipt page."""
    page.get_by_label("Quantity").fill("1")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page).to_have_url(f"{shop_url}/cart")
    expect(page.get_by_role("status")).to_have_text(f"Added 1 × {DISC} to your cart.")
    line = page.locator(f"table.lines tr[data-sku='{DISC}']")
    expect(line).to_contain_text("Held for you for")
    expect(page.locator("#hold-note")).to_contain_text("held for you")
    expect(page.locator("tr.grand")).to_contain_text(f"{_money(DISC_PRICE)} EUR")

    page.get_by_role("link", name="Check out").click()
    expect(page).to_have_url(f"{shop_url}/checkout")
    expect(page.locator("#delivery")).to_contain_text("Enter your address to see the shipping options")
    page.get_by_label("E-mail (for the confirmation)").fill(email)
    page.get_by_label("Full name").fill("Erika Mustermann")
    page.get_by_label("Street and number").fill("Hafenstraße 1")
    page.get_by_label("Postcode").fill("20095")
    page.get_by_label("City").fill("Hamburg")
    page.get_by_label("Country (2-letter code, e.g. DE)").fill("DE")
    page.get_by_role("button", name="Show shipping options").click()

    # The rate engine priced the parcel for this address; the option says what it costs and how.
    expect(page).to_have_url(re.compile(r"/checkout(#delivery)?$"))
    option = page.locator("label.choice[data-method='DHL-STD']")
    expect(option).to_contain_text("DHL Standard")
    expect(option).to_contain_text(f"{_money(SHIPPING_PRICE)} EUR")
    expect(option).to_contain_text("How this price was built")
    expect(option.get_by_role("radio")).to_be_checked()
    expect(page.locator("label.choice[data-gateway='test']").get_by_role("radio")).to_be_checked()
    expect(page.get_by_label("Full name")).to_have_value("Erika Mustermann")
    page.get_by_role("button", name="Continue to review").click()

    grand_total = DISC_PRICE + SHIPPING_PRICE
    expect(page).to_have_url(f"{shop_url}/checkout/review")
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    expect(page.locator(f"tr[data-sku='{DISC}']")).to_contain_text(_money(DISC_PRICE))
    expect(page.locator("tfoot")).to_contain_text("DHL Standard")
    expect(page.locator("tfoot")).to_contain_text(_money(SHIPPING_PRICE))
    expect(page.locator("#grand-total")).to_have_text(f"{_money(grand_total)} EUR")
    expect(page.get_by_role("heading", name="Payment: Card")).to_be_visible()
    page.get_by_label("Card number").fill(APPROVE_CARD)
    page.get_by_label("Name on the card").fill("E Mustermann")
    page.get_by_label("Expiry month (MM)").fill("12")
    page.get_by_label("Expiry year (YYYY)").fill("2040")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name=f"Place order · pay {_money(grand_total)} EUR").click()

    expect(page).to_have_url(re.compile(r"/orders/[^/]+/thanks$"))
    expect(page.get_by_role("heading", name="Thank you for your order")).to_be_visible()
    number = page.locator("#order-number").inner_text().strip()
    assert number and page.url.endswith(f"/orders/{number}/thanks")
    expect(page.locator("main")).to_contain_text(f"We have sent a confirmation to {email}")
    expect(page.locator("main")).to_contain_text("Payment: Card")
    expect(page.locator("tr.grand")).to_contain_text(f"{_money(grand_total)} EUR")
    expect(page.locator(f"tr[data-sku='{DISC}']")).to_be_visible()

    # The receipt PDF answers with a PDF, for this browser (its session placed the order).
    link = page.get_by_role("link", name="Download the receipt (PDF)")
    href = link.get_attribute("href")
    assert href == f"/orders/{number}/receipt.pdf"
    # Fetched by the page itself: Playwright's own HTTP client cannot resolve *.localhost, the browser can.
    answer = page.evaluate(
        """async (url) => {
            const response = await fetch(url);
            const head = new Uint8Array(await response.arrayBuffer()).slice(0, 5);
            return {status: response.status, type: response.headers.get("content-type"),
                    head: String.fromCharCode(...head)};
        }""", href)
    assert answer == {"status": 200, "type": "application/pdf", "head": "%PDF-"}
    # Another browser (no session of this guest) does not get it.
    assert page.context.browser is not None
    stranger = page.context.browser.new_context()
    try:
        refused = stranger.new_page().goto(f"{shop_url}{href}")
        assert refused is not None and refused.status == 404
    finally:
        stranger.close()
    return number


def _guest_registers_and_sees_the_order(page: Page, shop_url: str, email: str, number: str) -> None:
    page.get_by_role("link", name="Create an account to follow your orders").click()
    expect(page).to_have_url(f"{shop_url}/my/register")
    page.get_by_label("Your name").fill("Erika Mustermann")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password (at least 10 characters)").fill(CUSTOMER_PASSWORD)
    page.get_by_label("Password again").fill(CUSTOMER_PASSWORD)
    page.get_by_role("button", name="Create the account").click()

    expect(page).to_have_url(f"{shop_url}/my/orders")
    expect(page.get_by_role("status")).to_contain_text("Welcome, Erika Mustermann. Your account is ready.")
    expect(page.get_by_role("status")).to_contain_text("1 earlier order with this e-mail address")
    row = page.locator(f"tr[data-order='{number}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text(_money(DISC_PRICE + SHIPPING_PRICE))
    row.get_by_role("link", name=number).click()
    expect(page).to_have_url(f"{shop_url}/my/orders/{number}")
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.get_by_role("link", name="Return items")).to_have_count(0)  # not delivered yet


def _staff_sign_in(staff: Page, server: LiveServer, ctx: TenantCtx, target: str) -> None:
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    ctx.user("owner", email=email, password=STAFF_PASSWORD)
    staff.goto(f"{server.url}{target}")
    expect(staff).to_have_url(re.compile(r"/login\?next="))
    staff.get_by_label("Company").fill(ctx.slug)
    staff.get_by_label("E-mail").fill(email)
    staff.get_by_label("Password").fill(STAFF_PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    expect(staff).to_have_url(f"{server.url}{target}")


def _staff_ships_and_delivers(staff: Page, server: LiveServer, number: str) -> None:
    expect(staff.get_by_role("heading", name=re.compile(f"^Order {re.escape(number)}"))).to_be_visible()
    payments = staff.locator("section.card", has=staff.get_by_role("heading", name="Payments"))
    expect(payments).to_contain_text("Card")
    expect(staff.locator("table.allocations")).to_contain_text(DISC)
    actions = staff.get_by_role("region", name="Actions")
    actions.get_by_role("button", name="Ship", exact=True).click()
    expect(staff).to_have_url(f"{server.url}/admin/orders/{number}")
    expect(staff.get_by_role("status")).to_have_text("Shipped in 1 parcel(s)")
    shipments = staff.locator("table.shipments tbody tr")
    expect(shipments).to_have_count(1)
    expect(shipments.first).to_contain_text("DHL")
    expect(shipments.first.get_by_role("link", name="label PDF")).to_be_visible()

    staff.get_by_role("region", name="Actions").get_by_role("button", name="Mark delivered").click()
    expect(staff.get_by_role("status")).to_have_text("Marked delivered")
    expect(staff.locator("h1 .badge")).to_have_text("delivered")


def _customer_requests_a_return(page: Page, shop_url: str, number: str) -> str:
    page.goto(f"{shop_url}/my/orders/{number}")
    expect(page.locator("#order-status")).to_have_text(re.compile("delivered", re.IGNORECASE))
    expect(page.locator("ol.timeline").first).to_contain_text(re.compile("shipped", re.IGNORECASE))
    page.get_by_role("link", name="Return items").click()
    expect(page).to_have_url(f"{shop_url}/my/orders/{number}/return")
    expect(page.get_by_role("heading", name=f"Return items from order {number}")).to_be_visible()
    page.get_by_label("How many Brake disc, vented, front axle to send back").fill("1")
    page.get_by_label("Reason").select_option("defective")
    page.get_by_label("Tell us more (optional)").fill("The disc wobbles at speed.")
    page.get_by_role("button", name="Request return").click()

    expect(page).to_have_url(re.compile(r"/my/returns/[^/]+$"))
    rma = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("status")).to_have_text(f"Return {rma} requested. We will let you know by e-mail.")
    expect(page.locator(".return-status [data-status]")).to_have_text("requested")
    expect(page.locator("main")).to_contain_text(f"Order {number}")
    expect(page.locator("table.return-lines")).to_contain_text(DISC)
    return rma


def _staff_handles_the_return(staff: Page, server: LiveServer, number: str, rma: str) -> None:
    staff.goto(f"{server.url}/admin/returns")
    row = staff.locator("table.returns tbody tr", has_text=rma)
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("requested")
    expect(row).to_contain_text("Defective / does not work")
    row.get_by_role("link", name=rma).click()
    expect(staff).to_have_url(re.compile(r"/admin/returns/\d+$"))
    return_url = staff.url
    expect(staff.get_by_role("heading", name=re.compile(f"^Return {re.escape(rma)}"))).to_be_visible()
    expect(staff.locator("table.summary")).to_contain_text("The disc wobbles at speed.")

    staff.locator("#decide").get_by_label(re.compile("^Note")).fill("Send it back, we will check it.")
    staff.get_by_role("button", name="Authorise").click()
    expect(staff).to_have_url(return_url)
    expect(staff.get_by_role("status")).to_have_text("Return authorised")
    expect(staff.locator("h1 .badge")).to_have_text("authorized")

    receive_form = staff.locator("#receive")
    receive_form.get_by_label("Into bin").select_option(label="MAIN/A/02")
    expect(receive_form.get_by_label(f"Units of {DISC} that arrived")).to_have_value("1")
    receive_form.get_by_role("button", name="Receive into stock (return pending)").click()
    expect(staff.get_by_role("status")).to_have_text("Received: the items are in stock as return pending")
    expect(staff.locator("h1 .badge")).to_have_text("received")
    expect(staff.locator("table.summary")).to_contain_text("MAIN/A/02")

    inspect_form = staff.locator("#inspect")
    inspect_form.get_by_label(f"Grade of {DISC}").select_option("A")
    inspect_form.get_by_label(f"Disposition of {DISC}").select_option("restock")
    inspect_form.get_by_label(f"Note on {DISC}").fill("No fault found, sealed")
    inspect_form.get_by_role("button", name="Record inspection and move stock").click()
    expect(staff.get_by_role("status")).to_have_text("Inspected: stock moved as decided")
    expect(staff.locator("h1 .badge")).to_have_text("inspected")
    expect(staff.locator("table.return-lines")).to_contain_text("restock")

    refund_form = staff.locator("#refund")
    expect(refund_form).to_contain_text(f"At most {_money(DISC_PRICE)} EUR for the items")
    refund_form.get_by_role("button", name="Refund through the payment provider").click()
    expect(staff.get_by_role("status")).to_have_text("Refunded through the payment provider")
    expect(staff.locator("h1 .badge")).to_have_text("refunded")
    refunded = staff.locator("table.summary tr", has=staff.get_by_role("rowheader", name="Refunded"))
    expect(refunded.locator("td")).to_have_text(f"{_money(DISC_PRICE)} EUR")


@pytest.mark.browser
def test_guest_buys_registers_returns_and_is_refunded(live_server: LiveServer, page: Page, browser: Browser) -> None:
    ctx, _shop, shop_url = _shop_on_its_own_host(live_server)
    email = f"erika-{uuid.uuid4().hex[:8]}@example.com"

    _guest_finds_the_part(page, shop_url)
    number = _guest_checks_out(page, shop_url, email)
    _guest_registers_and_sees_the_order(page, shop_url, email, number)

    staff_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    staff = staff_context.new_page()
    try:
        _staff_sign_in(staff, live_server, ctx, f"/admin/orders/{number}")
        _staff_ships_and_delivers(staff, live_server, number)

        rma = _customer_requests_a_return(page, shop_url, number)
        _staff_handles_the_return(staff, live_server, number, rma)

        # The order's payment shows the refund next to the capture.
        staff.goto(f"{live_server.url}/admin/orders/{number}")
        payments = staff.locator("section.card", has=staff.get_by_role("heading", name="Payments"))
        expect(payments).to_contain_text(f"captured {_money(DISC_PRICE + SHIPPING_PRICE)}")
        expect(payments).to_contain_text(f"refunded {_money(DISC_PRICE)}")
        expect(payments.locator("table.transactions")).to_contain_text("refund")
        expect(staff.locator("table.order-lines tbody tr", has_text=DISC).locator("td").nth(7)).to_have_text("1")
    except Exception:
        # The conftest hook photographs the customer's page; the staff page is the one that matters here.
        ARTIFACTS.mkdir(exist_ok=True)
        staff.screenshot(path=str(ARTIFACTS / "test_shop_checkout_in_browser_staff.png"), full_page=True)
        raise
    finally:
        staff_context.close()

    # The customer follows the return to its end; the part is on sale again (restocked).
    page.goto(f"{shop_url}/my/returns/{rma}")
    expect(page.locator(".return-status [data-status]")).to_have_text("refunded")
    expect(page.locator(".return-status")).to_contain_text("Refunded to your original payment method.")
    expect(page.locator("main")).to_contain_text(f"Refunded: {_money(DISC_PRICE)} EUR")
    page.goto(f"{shop_url}/p/{DISC}")
    expect(page.locator(".product-stock")).to_contain_text("Only 3 left")
