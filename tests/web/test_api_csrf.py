"""The JSON API signed in by the staff session cookie: a browser sends that cookie along with a cross-site request
too, so a changing request (anything but GET/HEAD/OPTIONS) must also carry the session's CSRF token in the
X-CSRF-Token header (what base.html hands to htmx). An API key (bearer) needs no such header."""

import re
import uuid

from fastapi.testclient import TestClient

from stockyard.core.uow import read
from stockyard.inventory.queries import list_warehouses
from tests.conftest import TenantCtx
from tests.inventory.support import tenant_rows

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WAREHOUSES = "/api/v1/inventory/warehouses"


def signed_in(client: TestClient, tenant: TenantCtx, role: str = "owner") -> tuple[TestClient, str]:
    """A browser of its own signed in as a new user of `role`, and its session's CSRF token."""
    browser = TestClient(client.app)
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    tenant.user(role, email=email, password=PASSWORD)
    token = CSRF.search(browser.get("/login").text)[1]
    response = browser.post("/login", data={"tenant": tenant.slug, "email": email, "password": PASSWORD,
                                            "csrf_token": token, "next": "/admin"}, follow_redirects=False)
    assert response.status_code == 303
    return browser, CSRF.search(browser.get("/admin").text)[1]


def warehouse_codes(tenant: TenantCtx) -> set[str]:
    return {w.code for w in read(tenant.engine, tenant.actor, list_warehouses)}


def test_a_post_with_only_the_session_cookie_is_refused_and_changes_nothing(tenant: TenantCtx,
                                                                          client: TestClient) -> None:
    browser, _ = signed_in(client, tenant)
    before = tenant_rows(tenant)
    response = browser.post(WAREHOUSES, json={"code": "EVIL", "name": "Forged"})
    assert response.status_code == 403, response.text
    assert "X-CSRF-Token" in response.text
    forged = browser.post(WAREHOUSES, json={"code": "EVIL", "name": "Forged"}, headers={"X-CSRF-Token": "guess"})
    assert forged.status_code == 403
    assert tenant_rows(tenant) == before
    assert "EVIL" not in warehouse_codes(tenant)


def test_the_session_cookie_with_the_pages_csrf_header_works(tenant: TenantCtx, client: TestClient) -> None:
    browser, csrf = signed_in(client, tenant)
    response = browser.post(WAREHOUSES, json={"code": "EAST", "name": "East"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201, response.text
    assert "EAST" in warehouse_codes(tenant)
    # Reading needs no token.
    assert browser.get(WAREHOUSES).status_code == 200


def test_another_sessions_token_does_not_do(tenant: TenantCtx, client: TestClient) -> None:
    browser, _ = signed_in(client, tenant)
    _, other_csrf = signed_in(client, tenant)
    response = browser.post(WAREHOUSES, json={"code": "EAST", "name": "East"}, headers={"X-CSRF-Token": other_csrf})
    assert response.status_code == 403
    assert "EAST" not in warehouse_codes(tenant)


def test_an_api_key_needs_no_csrf_header_even_beside_a_session_cookie(tenant: TenantCtx,
                                                                      client: TestClient) -> None:
    browser, _ = signed_in(client, tenant, "read_only")
    _, key = tenant.user("owner")
    response = browser.post(WAREHOUSES, json={"code": "WEST", "name": "West"},
                            headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201, response.text
    assert "WEST" in warehouse_codes(tenant)
