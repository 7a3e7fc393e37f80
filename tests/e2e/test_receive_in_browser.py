"""One real browser session: sign in, receive stock through the form, see the new ATP."""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import new_tenant
from tests.e2e.conftest import LiveServer
from tests.factories import build_world, receive

PASSWORD = "correct horse battery"


@pytest.mark.browser
def test_receive_stock_in_the_browser(live_server: LiveServer, page: Page) -> None:
    ctx = new_tenant(live_server.engine)
    build_world(ctx)
    receive(ctx, "SKU-001", "MAIN/A/02", 4)
    email = f"manager-{uuid.uuid4().hex[:8]}@example.com"
    ctx.user("warehouse_manager", email=email, password=PASSWORD)

    page.goto(f"{live_server.url}/erp/receive")
    expect(page).to_have_url(re.compile(r"/login\?next=/erp/receive$"))
    page.get_by_label("Company").fill(ctx.slug)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(f"{live_server.url}/erp/receive")
    expect(page.get_by_role("heading", name="Receive stock")).to_be_visible()
    page.get_by_label("SKU or barcode").fill("SKU-001")
    page.get_by_label("Location path").fill("MAIN/A/01")
    page.get_by_label("Quantity").fill("7")
    page.get_by_label("Unit cost").fill("3.20")
    page.get_by_role("button", name="Receive", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/erp/stock/SKU-001")
    expect(page.get_by_role("status")).to_have_text("Received 7 × SKU-001 into MAIN/A/01")
    expect(page.locator("#atp-total")).to_have_text("11")
    main = page.locator("table.per-warehouse tr[data-warehouse='MAIN']")
    expect(main.locator("td.atp")).to_have_text("11")
    expect(page.locator("table.levels")).to_contain_text("MAIN/A/01")
