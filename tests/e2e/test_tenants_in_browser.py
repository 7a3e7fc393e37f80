"""Suspending a tenant in a real browser: the owner of the creating tenant suspends it with a reason on its page, and
its owner's next sign-in is told the account is suspended; reactivated, the same sign-in goes through."""

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from stockyard.core.uow import perform
from stockyard.identity import tenants_admin
from tests.conftest import new_tenant
from tests.e2e.conftest import LiveServer

PASSWORD = "correct horse battery"


def _sign_in(page: Page, server: LiveServer, slug: str, email: str, target: str = "/admin") -> None:
    page.goto(f"{server.url}/login?next={target}")
    page.get_by_label("Company").fill(slug)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.browser
def test_an_owner_suspends_and_reactivates_a_tenant_made_from_theirs(live_server: LiveServer, page: Page,
                                                                       browser: Browser) -> None:
    parent = new_tenant(live_server.engine)
    owner_email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    parent.user("owner", email=owner_email, password=PASSWORD)
    slug = f"north-{uuid.uuid4().hex[:8]}"
    child_id = perform(live_server.engine, parent.actor, tenants_admin.create_tenant_with_owner,
                       tenants_admin.CreateTenant(slug=slug, name="North Trading", owner_name="Nora North",
                                                  owner_email="nora@north.example", owner_password=PASSWORD))

    _sign_in(page, live_server, parent.slug, owner_email, f"/admin/tenants/{child_id}")
    expect(page.get_by_role("heading", name="North Trading")).to_be_visible()
    page.get_by_label("Reason (kept with the suspension)").fill("Unpaid invoices since March")
    page.get_by_role("button", name="Suspend tenant").click()
    expect(page.get_by_role("status")).to_contain_text("Tenant suspended")
    expect(page.locator("#tenant-status")).to_have_text("suspended: Unpaid invoices since March")
    page.goto(f"{live_server.url}/admin/tenants")
    expect(page.locator("table.tenants tr", has_text=slug)).to_contain_text("suspended")

    nora = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        their_page = nora.new_page()
        _sign_in(their_page, live_server, slug, "nora@north.example")
        expect(their_page.get_by_text(re.compile("account is suspended"))).to_be_visible()
        expect(their_page).to_have_url(re.compile(r"/login"))

        page.goto(f"{live_server.url}/admin/tenants/{child_id}")
        page.get_by_role("button", name="Reactivate tenant").click()
        expect(page.get_by_role("status")).to_contain_text("Tenant reactivated")
        expect(page.locator("#tenant-status")).to_have_text("active")

        _sign_in(their_page, live_server, slug, "nora@north.example")
        expect(their_page).to_have_url(f"{live_server.url}/admin")
    finally:
        nora.close()
