"""The mobile staff workflows in a real browser on a phone-sized screen, driven the way a keyboard-wedge scanner
drives them: the code is typed into whatever has the focus and Enter submits. An operator signs in on /m, receives a
purchase order by scanning (one unknown barcode on the way is refused and the scan field keeps the focus), puts the
goods away in the suggested bin, then picks, packs and ships a customer's order; the customer's order history in
the shop shows it shipped."""

import re
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from stockyard.core.uow import perform
from stockyard.inventory import warehouses
from stockyard.sales.customers import RegisterCustomer, register_customer
from stockyard.sales.models import Channel
from tests.conftest import new_tenant
from tests.e2e.conftest import LiveServer
from tests.fulfilment.execution_scene import BARCODES, build_scene
from tests.purchasing.support import sent, supplier
from tests.sales.order_fixtures import checkout_order

STAFF_PASSWORD = "correct horse battery"
CUSTOMER_PASSWORD = "a long enough password 42"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A phone: small screen, touch, its own cookies (the session's one browser, a new context)."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB")
    try:
        yield context.new_page()
    finally:
        context.close()


def scan(page: Page, code: str) -> None:
    """What a keyboard-wedge scanner does: type into the focused field, then Enter. A person scans once the page
    shows its field (the page focuses it), so wait for that: typed earlier, the code would go nowhere."""
    expect(page.locator("input:focus")).to_have_count(1)
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def expect_done(page: Page, text: str) -> None:
    expect(page.get_by_role("status")).to_have_text(f"✔ {text}")
    expect(page.locator("body")).to_have_attribute("data-feedback", "success")


@pytest.mark.browser
def test_receive_put_away_pick_pack_and_ship_on_a_phone(live_server: LiveServer, page: Page,
                                                        browser: Browser) -> None:
    ctx = new_tenant(live_server.engine)
    scene = build_scene(ctx)
    shop_host = f"{ctx.slug}.localhost"
    with ctx.uow() as uow:
        uow.conn.execute(update(Channel.__table__).where(Channel.__table__.c.id == scene.shop.channel_id)
                         .values(domain=shop_host))
    perform(ctx.engine, ctx.actor, warehouses.create_location,
            warehouses.CreateLocation(warehouse="MAIN", code="DOCK", kind="bin", type="receiving"))
    supplier(ctx)
    po = sent(ctx, {"SKU-003": 4}).number
    email = f"operator-{uuid.uuid4().hex[:8]}@example.com"
    ctx.user("warehouse_operator", email=email, password=STAFF_PASSWORD)
    m = f"{live_server.url}/m"

    page.goto(m)
    expect(page).to_have_url(re.compile(r"/login\?next=/m$"))
    page.get_by_label("Company").fill(ctx.slug)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(m)
    page.get_by_role("link", name="MAIN · Main").click()

    # ---- receive the purchase order by scanning
    page.get_by_role("link", name="Receive", exact=True).click()
    expect(page.get_by_role("heading", name="Scan the purchase order number")).to_be_visible()
    scan(page, po)
    expect(page.get_by_role("heading", name=f"Scan an item of {po}")).to_be_visible()
    scan(page, "0000000000000")
    expect(page.get_by_role("alert")).to_have_text("✖ unknown barcode '0000000000000': no item has this code")
    expect(page.locator("body")).to_have_attribute("data-feedback", "error")
    expect(page.get_by_role("textbox", name="Item", exact=True)).to_be_focused()
    page.keyboard.press("Control+A")
    scan(page, BARCODES["SKU-003"])
    expect(page.get_by_role("heading", name="How many × SKU-003 arrived?", exact=False)).to_be_visible()
    expect(page.get_by_role("textbox", name="Receiving location", exact=True)).to_have_value("MAIN/DOCK")
    expect(page.get_by_role("spinbutton", name="Quantity", exact=True)).to_be_focused()
    scan(page, "4")
    expect_done(page, f"Received 4 × SKU-003 on {po} into MAIN/DOCK")
    expect(page.get_by_role("heading", name="Scan the purchase order number")).to_be_visible()  # PO complete

    # ---- put it away in the suggested bin
    page.get_by_role("link", name="MAIN", exact=True).click()
    page.get_by_role("link", name="Put away").click()
    scan(page, BARCODES["SKU-003"])
    expect(page.get_by_role("heading", name="Take them to MAIN/A/01 and scan the bin")).to_be_visible()
    expect(page.get_by_role("textbox", name="Bin", exact=True)).to_be_focused()
    scan(page, "MAIN/A/01")
    expect_done(page, "Put away 4 × SKU-003 from MAIN/DOCK to MAIN/A/01")

    # ---- a customer orders two of them; the office releases a pick wave
    customer = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    number = checkout_order(scene.shop, {"SKU-003": 2}, email=customer).number
    perform(ctx.engine, scene.shop.actor, register_customer, RegisterCustomer(
        email=customer, name="Erika Mustermann", password=CUSTOMER_PASSWORD))
    scene.wave()

    # ---- pick
    page.get_by_role("link", name="MAIN", exact=True).click()
    page.get_by_role("link", name="Pick", exact=True).click()
    expect(page.get_by_role("cell", name=number)).to_be_visible()
    scan(page, number)
    expect(page.get_by_role("heading", name="Go to MAIN/A/01 and scan the location")).to_be_visible()
    scan(page, "MAIN/A/02")
    expect(page.get_by_role("alert")).to_have_text("✖ wrong location MAIN/A/02: pick this line from MAIN/A/01")
    page.keyboard.press("Control+A")
    scan(page, "MAIN/A/01")
    expect(page.get_by_role("heading", name="Scan the item: SKU-003")).to_be_visible()
    scan(page, BARCODES["SKU-003"])
    expect(page.get_by_role("spinbutton", name="Quantity", exact=True)).to_have_value("2")
    page.keyboard.press("Enter")

    # ---- pack: each scan puts one unit in the parcel, then weigh, measure and close it
    expect(page.get_by_role("status")).to_contain_text(f"is complete: pack order {number}")
    expect(page.get_by_role("heading", name="Scan each item into parcel 1 (2 left to pack)")).to_be_visible()
    scan(page, BARCODES["SKU-003"])
    expect_done(page, "Packed 1 × SKU-003 into parcel 1; 1 left to pack")
    scan(page, BARCODES["SKU-003"])
    expect_done(page, "Packed 1 × SKU-003 into parcel 1; everything picked is packed")
    page.get_by_label("Weight (g)").fill("900")
    page.get_by_label("Length (mm)").fill("300")
    page.get_by_label("Width (mm)").fill("200")
    page.get_by_label("Height (mm)").fill("100")
    page.get_by_role("button", name="Close parcel").click()
    expect_done(page, f"Parcel 1 of {number} closed (900 g); the order is packed: ship it")

    # ---- ship
    expect(page.get_by_role("heading", name=f"Hand order {number} to the carrier")).to_be_visible()
    page.get_by_role("button", name="Ship").click()
    expect_done(page, f"Shipped order {number} (1 shipment)")

    # ---- the customer sees it shipped in the shop
    shop = browser.new_context(viewport=PHONE, is_mobile=True, locale="en-GB")
    try:
        mine = shop.new_page()
        shop_url = f"http://{shop_host}:{urlsplit(live_server.url).port}"
        mine.goto(f"{shop_url}/my/login")
        mine.get_by_label("E-mail").fill(customer)
        mine.get_by_label("Password").fill(CUSTOMER_PASSWORD)
        mine.get_by_role("button", name="Sign in").click()
        mine.goto(f"{shop_url}/my/orders")
        expect(mine.locator(f"tr[data-order='{number}']")).to_contain_text("Shipped")
    finally:
        shop.close()
