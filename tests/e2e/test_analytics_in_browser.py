"""One browser session through the analytics pages: the index, a KPI's page and one of its CSV downloads."""

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.analytics.history import END, START, build_history
from tests.e2e.conftest import LiveServer

PASSWORD = "correct horse battery"


@pytest.mark.browser
def test_open_analytics_a_kpi_and_download_its_breakdown(live_server: LiveServer, page: Page) -> None:
    history = build_history(live_server.engine)
    email = f"accountant-{uuid.uuid4().hex[:8]}@example.com"
    history.ctx.user("accountant", email=email, password=PASSWORD)

    page.goto(f"{live_server.url}/erp/analytics")
    page.get_by_label("Company").fill(history.ctx.slug)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/erp/analytics")

    page.get_by_label("From").fill(START.isoformat())
    page.get_by_label("To (included)").fill(END.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Inventory", exact=True)).to_be_visible()
    expect(page.locator("#kpi-fill-rate .kpi-value")).to_have_text(re.compile(r"50\.0\s+%"))
    page.locator("#kpi-fill-rate").click()

    expect(page).to_have_url(re.compile(r"/erp/analytics/kpi/fill-rate\?"))
    expect(page.locator("#headline")).to_have_text("50.0")
    expect(page.locator("#transactions")).to_contain_text(history.order_b)
    with page.expect_download() as download:
        page.get_by_role("link", name="Breakdown as CSV").click()
    body = Path(download.value.path()).read_text(encoding="utf-8")
    assert body.splitlines()[0].startswith("SKU,Lines,Lines complete,Line fill %")
    assert "SKU-002,1,0,0,5,4,80" in body
