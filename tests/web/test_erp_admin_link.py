"""The back office and the admin link to each other: /erp's header has an "Admin" link for a signed-in user, and the
admin's header leads back to /erp."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TenantCtx
from tests.web.test_api_csrf import signed_in

NAV = re.compile(r"<nav>(.*?)</nav>", re.S)


@pytest.mark.parametrize("role", ["owner", "read_only", "warehouse_operator"])
def test_the_back_office_header_links_to_the_admin_and_back(role: str, tenant: TenantCtx,
                                                            client: TestClient) -> None:
    browser, _ = signed_in(client, tenant, role)
    erp = browser.get("/erp")
    assert erp.status_code == 200
    assert '<a href="/admin"' in NAV.search(erp.text)[1]  # type: ignore[index]
    admin = browser.get("/admin")
    assert admin.status_code == 200
    assert '<a href="/erp">' in NAV.search(admin.text)[1]  # type: ignore[index]


def test_a_signed_out_visitor_sees_no_header_links(client: TestClient) -> None:
    page = TestClient(client.app).get("/login")
    assert 'href="/admin"' not in page.text
