"""Every signed-in user finds their own security page (password, two-step sign-in) from the header of the admin
and the back-office pages."""

import re
from pathlib import Path

import pytest

from tests.conftest import TenantCtx
from tests.identity.auth_support import browser, login, make_app, new_user

HEADER = re.compile(r"<header[^>]*>(.*?)</header>", re.S)
LINK = re.compile(r'<a href="(/account/security)"[^>]*>([^<]+)</a>')


@pytest.mark.parametrize("role", ["owner", "warehouse_operator", "read_only"])
def test_the_header_links_to_the_users_own_security_page(tenant: TenantCtx, tmp_path: Path, role: str) -> None:
    client = browser(make_app(tenant, tmp_path))
    _, email = new_user(tenant, role)
    assert login(client, tenant, email).status_code == 303
    for start in ("/erp", "/erp/stock", "/admin", "/admin/catalog/products"):
        page = client.get(start)
        assert page.status_code == 200, (start, page.status_code)
        header = HEADER.search(page.text)
        assert header, start
        link = LINK.search(header[1])
        assert link, f"no link to /account/security in the header of {start}"
        assert link[2].strip() == "Account security"
    security = client.get("/account/security")
    assert security.status_code == 200
    assert 'action="/account/security/password"' in security.text
    assert "/account/security/totp" in security.text


def test_signed_out_visitors_get_no_header_links(tenant: TenantCtx, tmp_path: Path) -> None:
    client = browser(make_app(tenant, tmp_path))
    page = client.get("/login")
    assert page.status_code == 200 and "/account/security" not in page.text
    assert client.get("/account/security", follow_redirects=False).status_code == 303
